"""The production stack as the Docker image runs it: ``sh scripts/serve.sh`` (nginx on
PORT in front of gunicorn on a private unix socket), started here as a subprocess with
``HOST=127.0.0.1`` and a free ``PORT`` (a Docker engine cannot run on these machines).

Checked: what the image's HEALTHCHECK and a browser see (``/healthz``, the page and its
headers, a real callback), that every reply carries the security headers whoever made
it (the app, nginx's own errors, gunicorn's refusals of malformed HTTP), compression
and caching of the bundles, 404s for paths the app does not serve, the access log, a
graceful reload (SIGHUP) under traffic and a graceful stop (SIGTERM, what ``docker
stop`` sends) with requests in flight.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import re
import signal
import threading
import time
from pathlib import Path

import plotly
import pytest

from descent_lab.ui.core import ids
from descent_lab.ui.core.url import encode_url
from descent_lab.ui.race import download
from descent_lab.ui.race.export import csv_text
from loadtest.dash_client import CALLBACK_PATH, Http, Stack, User, raw_exchange

PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
SECURITY = ("content-security-policy", "x-content-type-options", "referrer-policy", "permissions-policy")
STRICT_CSP = "default-src 'none'"


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    log = tmp_path_factory.mktemp("serve") / "serve.log"
    # DASH_DEBUG=1 and an embedding origin, as a careless or a course's deployment might set
    server = Stack(workers=2, threads=4, log_path=log,
                   env={"DASH_DEBUG": "1", "FRAME_ANCESTORS": "https://course.example.org"})
    try:
        server.wait_ready()
        yield server, log
    finally:
        server.stop()


def _log_text(log: Path) -> str:
    time.sleep(0.3)  # nginx writes its access log line as the reply ends
    return log.read_text(errors="replace")


def _has_security_headers(reply, strict: bool) -> None:
    for name in SECURITY:
        assert name in reply.headers, (name, reply.status, reply.headers)
    assert reply.headers["x-content-type-options"] == "nosniff"
    csp = reply.headers["content-security-policy"]
    if strict:
        assert csp.startswith(STRICT_CSP) and "frame-ancestors 'none'" in csp, csp
        assert reply.headers["x-frame-options"] == "DENY"
    else:
        assert "script-src 'self'" in csp, csp


def test_healthz_answers_ok_through_nginx(served):
    server, _ = served
    reply = Http(server.url).get("/healthz")
    assert reply.status == 200 and reply.body == b"ok"
    assert reply.headers["server"] == "nginx"  # no version
    assert len(server.workers()) == 2 and server.nginx_master() is not None
    for pid in server.workers():  # two malloc arenas per worker (scripts/serve.sh)
        environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
        assert b"MALLOC_ARENA_MAX=2" in environ


def test_the_page_is_served_with_the_security_headers(served):
    server, _ = served
    reply = Http(server.url).get("/")
    assert reply.status == 200 and b"react-entry-point" in reply.body
    h = reply.headers
    csp = dict(part.strip().split(" ", 1) for part in h["content-security-policy"].split(";"))
    assert csp["default-src"] == "'self'"
    assert csp["object-src"] == "'none'"
    assert "'unsafe-inline'" not in csp["script-src"] and "'unsafe-eval'" not in csp["script-src"]
    assert csp["frame-ancestors"] == "'self' https://course.example.org"
    assert "x-frame-options" not in h  # it cannot name another origin; frame-ancestors does
    assert h["x-content-type-options"] == "nosniff"
    assert h["referrer-policy"] == "same-origin"
    assert "cache-control" not in h or "immutable" not in h["cache-control"]
    # every inline script of the page is allowed by its hash, nothing more is needed
    html = re.sub(r"<!--.*?-->", "", reply.body.decode(), flags=re.S)  # e.g. Dash's IE-only note
    inline = re.findall(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>(.*?)</script>", html, flags=re.S)
    assert inline, "expected Dash's inline renderer script"
    for script in inline:
        digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in csp["script-src"], script[:80]


def test_app_replies_and_app_errors_carry_the_headers(served):
    server, _ = served
    http = Http(server.url)
    for path in ("/_dash-layout", "/_dash-dependencies", "/healthz", "/_dash-component-suites/dash/nope.js"):
        _has_security_headers(http.get(path), strict=False)
    assert http.get("/_dash-component-suites/dash/nope.js").status == 404


def test_bundles_are_compressed_once_and_cached(served):
    server, log = served
    http = Http(server.url)
    path = "/_dash-component-suites/plotly/package_data/plotly.min.js"
    first = http.request("GET", path, headers={"Accept-Encoding": "gzip"})
    second = http.request("GET", path, headers={"Accept-Encoding": "gzip, br"})
    plain = http.request("GET", path)  # a client without gzip gets it decompressed
    original = PLOTLY_JS.read_bytes()
    for reply in (first, second):
        assert reply.status == 200 and reply.headers["content-encoding"] == "gzip"
        assert gzip.decompress(reply.body) == original
        assert len(reply.body) < len(original) / 2
        _has_security_headers(reply, strict=False)
    assert plain.status == 200 and "content-encoding" not in plain.headers and plain.body == original
    # its name has no version stamp: the app's own caching rules apply, not a year
    assert "immutable" not in second.headers.get("cache-control", "")
    # the access log's lines (not nginx's notes, such as a large reply buffered to a file)
    lines = [line for line in _log_text(log).splitlines() if f'"GET {path} ' in line and " cache=" in line]
    assert [re.search(r"cache=(\S+)", line).group(1) for line in lines] == ["MISS", "HIT", "HIT"], lines


def test_versioned_bundles_and_assets_are_cached_for_a_year(served):
    server, _ = served
    http = Http(server.url)
    page = http.get("/").body.decode()
    stamped = re.findall(r'src="(/_dash-component-suites/[^"]+\.v[\w-]+m[0-9a-f]+\.[\w.]+)"', page)
    assets = re.findall(r'(?:src|href)="(/assets/[^"?]+\?m=[0-9.]+)"', page)
    assert stamped and assets
    for path in stamped + assets:
        reply = http.request("GET", path, headers={"Accept-Encoding": "gzip"})
        assert reply.status == 200, path
        assert reply.headers["cache-control"] == "public, max-age=31536000, immutable", path
    bare = http.get(assets[0].split("?")[0])  # no stamp: the URL may serve new content
    assert bare.status == 200 and "immutable" not in bare.headers.get("cache-control", "")


def test_callback_replies_are_gzipped(served):
    server, _ = served
    user = User(server.url)
    user.open()
    body = user.page.body(user.page.callbacks_for("url", "search")[0], [("url", "search")])
    zipped = user.http.request("POST", CALLBACK_PATH, json.dumps(body).encode(),
                               {"Content-Type": "application/json", "Accept-Encoding": "gzip"})
    assert zipped.status == 200 and zipped.headers["content-encoding"] == "gzip"
    assert b'"multi":true' in gzip.decompress(zipped.body)


def test_a_real_callback_request_is_answered(served):
    server, _ = served
    user = User(server.url)
    replies = user.open()
    assert [r.status for r in replies] == [200, 200, 200, 200]
    load = replies[-1].json()["response"]
    assert load[ids.STATE]["data"]["runs"], "the first callback fills the state"
    drag = user.trigger(user.sliders()[0], "value", user.page.props(user.sliders()[0])["value"])
    assert drag.status == 200
    assert user.alerts_text() == ""


def test_malformed_and_oversized_requests_are_refused_briefly(served):
    server, _ = served
    http = Http(server.url)
    reply = http.post_json(CALLBACK_PATH, {"output": "state-store.data", "inputs": "x"})
    assert reply.status == 400 and reply.json() == {"error": "Unknown callback output."}
    reply = http.request("POST", CALLBACK_PATH, b"{", {"Content-Type": "application/json"})
    assert reply.status == 400 and b"Traceback" not in reply.body
    # past the body limit: nginx refuses it before the app reads a byte, in the app's words
    reply = Http(server.url).post_json(CALLBACK_PATH, b'{"x": "' + b"y" * 1_100_000 + b'"}')
    assert reply.status == 413 and reply.json() == {"error": "Request body too large (limit 1,000,000 bytes)."}
    _has_security_headers(reply, strict=True)


def test_outputs_that_do_not_match_the_callback_get_400(served):
    """Dash raises (a 500) when the outputs named in a request are not the callback's."""
    server, _ = served
    user = User(server.url)
    user.open()
    for dep in user.page.server_callbacks:
        body = user.page.body(dep, [])
        outputs = body["outputs"] if isinstance(body["outputs"], list) else [body["outputs"]]
        renamed = dict(outputs[0], property=outputs[0]["property"] + "x")
        body["outputs"] = [renamed] + outputs[1:] if isinstance(body["outputs"], list) else renamed
        reply = user.http.post_json(CALLBACK_PATH, body)
        assert reply.status == 400, (dep["output"][:60], reply.status, reply.body[:200])
        assert "does not name an output" in reply.json()["error"]


def test_a_long_shared_link_fits_the_request_line(served):
    """The app accepts 8,000-character URLs; gunicorn's default line limit (4,094) would not."""
    server, _ = served
    search = "?surface=valley&" + "&".join(["run=adam(lr=0.1,beta1=0.9,beta2=0.999,eps=1e-08)"] * 8)
    search += "&noise=0" * ((7900 - len(search)) // 8)
    assert len(search) > 7800
    assert Http(server.url).get("/" + search).status == 200


@pytest.mark.parametrize("name,request_bytes,status", [
    ("garbage request line", b"GARBAGE\r\n\r\n", 400),
    ("URL far past any link the app makes", b"GET /?" + b"a" * 50_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414),
    ("one header of 20 kB", b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"y" * 20_000 + b"\r\n\r\n", 400),
    ("POST to a bundle", b"POST /assets/app.css HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n", 403),
    ("body past the limit", b"POST /_dash-update-component HTTP/1.1\r\nHost: x\r\nContent-Type: application/json"
                            b"\r\nContent-Length: 5000000\r\n\r\n{", 413),
])
def test_nginx_refusals_are_json_with_the_strict_headers(served, name, request_bytes, status):
    server, _ = served
    reply = raw_exchange(server.url, request_bytes)
    assert reply.status == status, (name, reply.status, reply.body[:200])
    assert reply.headers["content-type"].startswith("application/json")
    assert b'"error"' in reply.body and b"nginx" not in reply.body
    _has_security_headers(reply, strict=True)


@pytest.mark.parametrize("name,request_bytes,status", [
    ("150 headers (gunicorn's limit is 100)",
     b"GET / HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-%d: y\r\n" % i for i in range(150)) + b"Connection: close\r\n\r\n",
     431),
    ("a header field of 9 kB (gunicorn's limit is 8,190 bytes)",
     b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"y" * 9000 + b"\r\nConnection: close\r\n\r\n", 431),
])
def test_gunicorn_refusals_reach_the_client_with_the_headers(served, name, request_bytes, status):
    server, _ = served
    reply = raw_exchange(server.url, request_bytes)
    assert reply.status == status, (name, reply.status, reply.body[:200])
    assert reply.headers["content-type"].startswith("application/json")
    _has_security_headers(reply, strict=True)


@pytest.mark.parametrize("path", ["/nope", "/index.html", "/robots.txt.bak", "/admin/login", "/_reload-hash",
                                  "/_dash-layout/x", "/assets/nope.css"])
def test_paths_the_app_does_not_serve_get_404(served, path):
    server, _ = served
    http = Http(server.url)
    reply = http.get(path)
    assert reply.status == 404, (path, reply.status, reply.body[:100])
    assert b"react-entry-point" not in reply.body
    _has_security_headers(reply, strict=False)
    browser = http.request("GET", path, headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert browser.status == 404 and browser.headers["content-type"].startswith("text/html")


@pytest.mark.parametrize("path", ["/", "/?surface=rosenbrock", "/healthz", "/_favicon.ico", "/_dash-layout",
                                  "/_dash-dependencies"])
def test_the_app_paths_are_served(served, path):
    server, _ = served
    assert Http(server.url).get(path).status == 200, path


def test_access_log_and_no_debug_under_gunicorn(served):
    server, log = served
    Http(server.url).get("/healthz?from=test")
    text = _log_text(log)
    assert re.search(r'127\.0\.0\.1 "GET /healthz\?from=test HTTP/1.1" 200 2 [\d.]+s up=[\d.]+s', text), text[-2000:]
    assert "DASH_DEBUG=1 ignored: debug mode is never enabled under gunicorn" in text
    assert "warmed up: " in text
    assert "Traceback" not in text


def _loop_requests(url: str, stop: threading.Event, results: list, lock: threading.Lock) -> None:
    """Real callback requests, one after the other, on a keep-alive connection."""
    user = User(url)
    try:
        user.open()
        while not stop.is_set():
            slider = user.sliders()[0]
            try:
                reply = user.trigger(slider, "value", user.page.props(slider)["value"])
                outcome = reply.status
            except OSError as exc:
                outcome = f"{type(exc).__name__}: {exc}"
            with lock:
                results.append(outcome)
    finally:
        user.http.close()


def test_sighup_replaces_the_workers_and_no_request_is_lost(served):
    server, log = served
    before = server.workers()
    stop, lock, results = threading.Event(), threading.Lock(), []
    threads = [threading.Thread(target=_loop_requests, args=(server.url, stop, results, lock)) for _ in range(6)]
    for thread in threads:
        thread.start()
    try:
        while len(results) < 30:  # traffic is flowing
            time.sleep(0.05)
        server.signal(signal.SIGHUP)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:  # until the new workers are the only ones, warmed up
            now = server.workers()
            if len(now) == 2 and not set(now) & set(before) and _log_text(log).count("warmed up") >= 4:
                break
            time.sleep(0.2)
        answered_before = len(results)
        while len(results) < answered_before + 30:  # and serving
            time.sleep(0.05)
    finally:
        stop.set()
        for thread in threads:
            thread.join(60)
    after = server.workers()
    assert len(after) == 2 and not set(after) & set(before), (before, after)
    failed = [r for r in results if r != 200]
    assert not failed, f"{len(failed)} of {len(results)} requests failed across the reload: {failed[:5]}"


def test_sigterm_lets_requests_in_flight_finish_then_stops(served):
    """Last in the module: stop the stack the way `docker stop` does while four CSV
    exports of 8 x 10,000 steps are being computed; each must arrive whole."""
    server, log = served
    runs = "&".join(f"run=adam(lr={0.01 + 0.001 * i:.3f})" for i in range(8))
    users = []
    for _ in range(4):
        user = User(server.url, timeout=60)
        user.open(f"?surface=rosenbrock&{runs}&steps=10000")
        users.append(user)
    replies: list = [None] * len(users)

    def export(i: int) -> None:
        try:
            replies[i] = users[i].http.get(download.ROUTE + encode_url(users[i].page.get(ids.STATE, "data")))
        except OSError as exc:
            replies[i] = exc

    threads = [threading.Thread(target=export, args=(i,)) for i in range(len(users))]
    for thread in threads:
        thread.start()
    time.sleep(0.3)
    signalled = time.monotonic()
    code = server.stop(timeout=60)
    for thread in threads:
        thread.join(60)
    expected = csv_text(users[0].page.get(ids.STATE, "data"))[0]
    assert expected.count("\n") > 8 * 1000
    for reply in replies:
        assert not isinstance(reply, Exception), reply
        assert reply.status == 200, reply.body[:200]
        assert reply.body.decode() == expected  # whole
    assert code == 0
    text = log.read_text()
    assert "Handling signal: term" in text and "Shutting down: Master" in text
    assert not server.workers() and server.nginx_master() is None
    run_dir = re.search(r"run directory (\S+)", text).group(1)
    assert not Path(run_dir).exists()
    print(f"stopped {time.monotonic() - signalled:.1f} s after SIGTERM")
