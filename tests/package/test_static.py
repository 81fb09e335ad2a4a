"""Compression and caching of what the app serves (descent_lab/ui/serving/static.py), through
Flask's test client on a real app: every file the page links, Dash's lazily loaded
chunks, dynamic replies, robots.txt and the favicon."""

from __future__ import annotations

import gzip
import json
import os
import re
import threading

import pytest

from descent_lab.app import create_app
from descent_lab.ui.serving import static
from descent_lab.ui.serving.server import Config, harden

GZIP = {"Accept-Encoding": "gzip, deflate, br, zstd"}  # what Chromium sends
IDENTITY = {"Accept-Encoding": "identity"}


@pytest.fixture(scope="module")
def app():
    application = create_app()
    harden(application, Config())
    return application


@pytest.fixture(scope="module")
def client(app):
    return app.server.test_client()


@pytest.fixture(scope="module")
def page_urls(client):
    html = gzip.decompress(client.get("/", headers=GZIP).data).decode()
    urls = re.findall(r'(?:src|href)="(/[^"]+)"', html)
    assert len(urls) >= 10
    return urls


def disk_bytes(app, url: str) -> bytes:
    path = url.split("?")[0]
    cache = app.server.extensions["descent_lab_static"]
    if path.startswith("/assets/"):
        return open(os.path.join(app.config.assets_folder, path[len("/assets/"):]), "rb").read()
    package, _, rest = path[len("/_dash-component-suites/"):].partition("/")
    found = static.suite_file(app, package, rest)
    assert found is not None, url
    entry = cache.get(found[0])
    return open(entry.path, "rb").read()


# ------------------------------------------------------------------ pure helpers

@pytest.mark.parametrize("header, expected", [
    ("gzip, deflate, br, zstd", "gzip"),
    ("gzip", "gzip"),
    ("GZIP;q=0.8", "gzip"),
    ("*", "gzip"),
    ("deflate, br", None),          # gzip not named and no wildcard
    ("gzip;q=0", None),             # refused explicitly
    ("*;q=0, identity", None),
    ("identity", None),
    ("gzip;q=0.5, identity", None),  # the client prefers the file as it is
    ("gzip;q=0.5, identity;q=0", "gzip"),
    ("gzip;q=nonsense", None),       # a malformed q-value is not taken as consent
    ("", None),                      # an empty header asks for identity only
    (None, None),
])
def test_choose_encoding_follows_accept_encoding(header, expected):
    assert static.choose_encoding(header) == expected


def test_accepted_encodings_reads_q_values():
    assert static.accepted_encodings("gzip, deflate;q=0.5, br;q=0, x;q=7") == {
        "gzip": 1.0, "deflate": 0.5, "br": 0.0, "x": 1.0}


@pytest.mark.parametrize("name, expected", [
    ("dash_renderer.v4_4_1m1795799379.min.js", ("dash_renderer.min.js", "1795799379")),
    ("polyfill@7.v4_4_1m1795799380.12.1.min.js", ("polyfill@7.12.1.min.js", "1795799380")),
    ("bundle.v7_4_1m1795799379.js", ("bundle.js", "1795799379")),
    ("async-graph.js", ("async-graph.js", None)),
    ("plotly.min.js", ("plotly.min.js", None)),
])
def test_suite_fingerprint_splits_dash_names(name, expected):
    assert static.suite_fingerprint(name) == expected


@pytest.mark.parametrize("mimetype, expected", [
    ("application/javascript", True), ("text/css", True), ("application/json", True),
    ("image/svg+xml", True), ("text/html", True), ("application/vnd.api+json", True),
    ("image/png", False), ("image/x-icon", False), ("application/octet-stream", False), (None, False),
])
def test_what_is_compressed(mimetype, expected):
    assert static.is_compressible(mimetype) is expected


# ------------------------------------------------------------------ the cache

def test_cache_compresses_a_file_once_and_again_only_when_it_changes(tmp_path):
    path = tmp_path / "x.js"
    path.write_text("var a = 1;\n" * 500)
    cache = static.StaticCache()
    first = cache.get(str(path))
    assert gzip.decompress(first.gzip_body) == path.read_bytes()
    assert cache.get(str(path)) is first and cache.compressions == 1
    path.write_text("var b = 2;\n" * 600)
    os.utime(path, ns=(first.key[0] + 10**9, first.key[0] + 10**9))
    second = cache.get(str(path))
    assert cache.compressions == 2 and second.etag != first.etag
    assert gzip.decompress(second.gzip_body) == path.read_bytes()
    assert len(cache) == 1 and cache.nbytes == len(second.gzip_body)


def test_cache_keeps_no_gzip_for_small_or_binary_files(tmp_path):
    (tmp_path / "small.css").write_text("a{}")
    (tmp_path / "image.png").write_bytes(os.urandom(4096))
    cache = static.StaticCache()
    assert cache.get(str(tmp_path / "small.css")).gzip_body is None
    assert cache.get(str(tmp_path / "image.png")).gzip_body is None
    assert cache.get(str(tmp_path / "missing.js")) is None
    assert cache.get(str(tmp_path)) is None  # a folder is not a file
    assert cache.compressions == 0


def test_threads_asking_for_a_new_file_at_once_compress_it_once(tmp_path):
    path = tmp_path / "big.js"
    path.write_text("function f(x) { return x * x; }\n" * 20000)
    cache = static.StaticCache()
    barrier = threading.Barrier(8)
    results = []

    def ask():
        barrier.wait()
        results.append(cache.get(str(path)))

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert cache.compressions == 1
    assert len({id(r) for r in results}) == 1


# ------------------------------------------------------------------ through the app

def test_every_file_the_page_links_is_gzipped_and_immutable(app, client, page_urls):
    for url in page_urls:
        reply = client.get(url, headers=GZIP)
        assert reply.status_code == 200, url
        assert reply.headers["Cache-Control"] == "public, max-age=31536000, immutable", url
        body = reply.data
        if url.split("?")[0].endswith((".js", ".css")):
            assert reply.headers["Content-Encoding"] == "gzip", url
            assert "Accept-Encoding" in reply.headers["Vary"], url
            body = gzip.decompress(body)
        assert body == disk_bytes(app, url), url
        # the security headers of ui/serving/server.py are on static replies too
        assert "frame-ancestors" in reply.headers["Content-Security-Policy"]


def test_identity_is_served_when_gzip_is_not_accepted(app, client, page_urls):
    url = next(u for u in page_urls if "dash_renderer" in u)
    reply = client.get(url, headers=IDENTITY)
    assert "Content-Encoding" not in reply.headers
    assert reply.data == disk_bytes(app, url)
    assert "Accept-Encoding" in reply.headers["Vary"]
    gz = client.get(url, headers=GZIP)
    assert gz.headers["ETag"] != reply.headers["ETag"]  # one validator per representation


def test_stored_bytes_are_reused_not_recompressed(app, client):
    cache = app.server.extensions["descent_lab_static"]
    url = "/_dash-component-suites/plotly/package_data/plotly.min.js"
    first = client.get(url, headers=GZIP)
    count = cache.compressions
    for _ in range(3):
        again = client.get(url, headers=GZIP)
        assert again.data == first.data
    assert cache.compressions == count
    assert len(first.data) < 0.4 * len(gzip.decompress(first.data))


def test_unfingerprinted_dash_chunks_revalidate_with_an_etag(client):
    url = "/_dash-component-suites/dash/dcc/async-graph.js"
    reply = client.get(url, headers=GZIP)
    assert reply.status_code == 200
    assert reply.headers["Cache-Control"] == "no-cache"
    etag = reply.headers["ETag"]
    again = client.get(url, headers={**GZIP, "If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    assert again.headers["ETag"] == etag and again.headers["Cache-Control"] == "no-cache"
    # the identity representation's validator does not match the gzip one
    other = client.get(url, headers={**IDENTITY, "If-None-Match": etag})
    assert other.status_code == 200


def test_an_outdated_fingerprint_is_not_cached_for_a_year(client, page_urls):
    css = next(u for u in page_urls if u.startswith("/assets/") and ".css?" in u)
    stale = css.split("?")[0] + "?m=1000000000.5"
    assert client.get(stale, headers=GZIP).headers["Cache-Control"] == "no-cache"
    assert client.get(css.split("?")[0], headers=GZIP).headers["Cache-Control"] == "no-cache"
    renderer = next(u for u in page_urls if "dash_renderer" in u)
    old = re.sub(r"m\d+\.min\.js$", "m1000000000.min.js", renderer)
    assert old != renderer
    reply = client.get(old, headers=GZIP)
    assert reply.status_code == 200 and reply.headers["Cache-Control"] == "no-cache"


def test_an_asset_the_page_loads_itself_gets_an_immutable_url(app, client):
    url = static.asset_url("favicon.ico", app.config.assets_folder)
    assert url.startswith("/assets/favicon.ico?m=")
    assert client.get(url).headers["Cache-Control"] == static.IMMUTABLE
    assert static.ASSETS_FOLDER == app.config.assets_folder
    with pytest.raises(FileNotFoundError):
        static.asset_url("no-such-bundle.js")


def test_unknown_static_paths_are_404(client):
    for url in ("/_dash-component-suites/dash/not-a-bundle.js", "/assets/missing.css",
                "/_dash-component-suites/os/os.py", "/assets/%2e%2e/app.py"):
        assert client.get(url, headers=GZIP).status_code == 404, url


def test_head_requests_get_headers_only(client, page_urls):
    url = next(u for u in page_urls if "react-dom" in u)
    reply = client.head(url, headers=GZIP)
    assert reply.status_code == 200 and reply.data == b""
    assert reply.headers["Content-Encoding"] == "gzip"
    assert int(reply.headers["Content-Length"]) == len(client.get(url, headers=GZIP).data)


def test_dynamic_replies_are_gzipped_when_large_enough(client):
    page = client.get("/", headers=GZIP)
    assert page.headers["Content-Encoding"] == "gzip" and b"<html" in gzip.decompress(page.data)
    layout = client.get("/_dash-layout", headers=GZIP)
    assert layout.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in layout.headers["Vary"]
    assert json.loads(gzip.decompress(layout.data))["type"]
    plain = client.get("/_dash-layout", headers=IDENTITY)
    assert "Content-Encoding" not in plain.headers
    assert json.loads(plain.data) == json.loads(gzip.decompress(layout.data))
    health = client.get("/healthz", headers=GZIP)  # two bytes: not worth it
    assert "Content-Encoding" not in health.headers and health.data == b"ok"


def test_robots_txt_keeps_crawlers_off_dash_endpoints(client):
    reply = client.get("/robots.txt")
    assert reply.status_code == 200 and reply.mimetype == "text/plain"
    text = reply.data.decode()
    assert "User-agent: *" in text and "Disallow: /_dash-" in text
    assert "Disallow: /\n" not in text  # the page itself may be indexed
    assert reply.headers["Cache-Control"] == static.DAY
    assert client.get("/robots.txt", headers={"If-None-Match": reply.headers["ETag"]}).status_code == 304


def test_the_page_links_one_favicon_the_apps_own(app, client, page_urls):
    html = gzip.decompress(client.get("/", headers=GZIP).data).decode()
    assert html.count('rel="icon"') == 1
    icon = next(u for u in page_urls if "favicon" in u)
    assert icon.startswith("/assets/favicon.ico?m=")
    ours = open(os.path.join(app.config.assets_folder, "favicon.ico"), "rb").read()
    linked = client.get(icon, headers=GZIP)
    assert linked.data == ours and linked.mimetype in ("image/x-icon", "image/vnd.microsoft.icon")
    assert linked.headers["Cache-Control"] == static.IMMUTABLE
    root = client.get("/favicon.ico", headers=GZIP)
    assert root.status_code == 200 and root.data == ours
    assert root.headers["Cache-Control"] == static.DAY and root.headers["ETag"]


def test_warm_compresses_everything_the_page_needs_before_the_first_visit():
    application = create_app()
    counts = static.warm(application)
    cache = application.server.extensions["descent_lab_static"]
    assert counts["compressed"] == cache.compressions >= 15
    assert counts["bytes"] == cache.nbytes < 5_000_000  # every registered bundle, gzipped
    before = cache.compressions
    client = application.server.test_client()
    html = gzip.decompress(client.get("/", headers=GZIP).data).decode()
    for url in re.findall(r'(?:src|href)="(/[^"]+)"', html) + [
            "/_dash-component-suites/plotly/package_data/plotly.min.js",
            "/_dash-component-suites/dash/dcc/async-mathjax.js"]:
        assert client.get(url, headers=GZIP).status_code == 200
    assert cache.compressions == before


def test_install_is_idempotent(app):
    cache = app.server.extensions["descent_lab_static"]
    assert static.install(app) is cache
