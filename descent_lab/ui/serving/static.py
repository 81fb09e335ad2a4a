"""Compression and HTTP caching for what the app serves, in the app itself (not only in a
proxy in front of it).

Installed by ``create_app()`` with one call, :func:`install`::

    from descent_lab.ui.serving import static
    static.install(application)

What it does
------------
Static files: ``/assets/...`` (the app's CSS, JavaScript and favicon) and
``/_dash-component-suites/...`` (Dash's, Plotly's and MathJax's bundles).

* **Compressed once.** A text file (JavaScript, CSS, JSON, SVG, ...) of 1 kB or more is
  gzipped at level 9 the first time a worker serves it and kept in memory (about 4 MB for
  every bundle Dash registers and every asset, less for what a visit loads); later requests
  send the stored bytes. A file is compressed again only when its size or modification time
  changes (a development edit). :func:`warm` compresses everything the page links before
  the first visitor comes.
* **Accept-Encoding honoured** (q-values, ``identity``, ``*``); every reply that could have
  been compressed carries ``Vary: Accept-Encoding``.
* **Immutable when fingerprinted.** Dash puts a fingerprint in the URL of its bundles
  (``dash_renderer.v4_4_1m1795799379.min.js``: the package version and the file's
  modification time) and of the app's own files (``app.css?m=1795799380.30``, the
  modification time). When that fingerprint is the current one, the reply is
  ``Cache-Control: public, max-age=31536000, immutable``: a browser keeps it a year and
  never asks again; a new version or an edited file gets a new URL. An outdated or absent
  fingerprint gets the revalidated treatment below (never a year-long copy under a URL
  whose content may differ).
* **Revalidated otherwise.** Files whose URL has no fingerprint get
  ``Cache-Control: no-cache`` and a strong ``ETag`` (a hash of the content, one per
  encoding); a browser that has the file asks again and gets ``304 Not Modified`` with no
  body. Dash 4's own lazily loaded chunks are of this kind (``async-graph.js``,
  ``async-mathjax.js``, Plotly's ``plotly.min.js``): the webpack 5 chunk loader in
  ``dash_core_components`` and the renderer's Plotly URL carry no fingerprint, so they
  cannot be cached as immutable without risking a stale chunk after an upgrade.

Dynamic replies (the page, ``/_dash-layout``, ``/_dash-dependencies``, callback replies):
gzipped at level 5 per request when 1 kB or larger, the client accepts gzip, and the reply
is not streamed or already encoded. They change with every request, so there is nothing to
store.

``/robots.txt`` (crawlers may read the page, not Dash's endpoints) and ``/favicon.ico``
(the file Dash links from the page, ``assets/favicon.ico``, for clients that ask the site
root) are answered here, cacheable for a day with an ETag.

Memory: one compressed copy per file the page links (bounded by the installed packages'
files, not by traffic), replaced when the file changes; uncompressed files are read from
disk per request, as Flask and Dash do.
"""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
import os
import re
import sys
import threading
from dataclasses import dataclass
from typing import Any, Iterable

import dash
from flask import Response, request
from werkzeug.security import safe_join

IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
DAY = "public, max-age=86400"
STATIC_GZIP_LEVEL = 9       # once per file and worker: the smallest output is worth the time
DYNAMIC_GZIP_LEVEL = 5      # per request: most of level 9's saving at a fraction of its cost
MIN_COMPRESS_BYTES = 1024   # below this the headers outweigh the saving
COMPONENT_SUITES = "_dash-component-suites/"
# descent_lab/assets, beside the package's ui/ (this file is descent_lab/ui/serving/static.py)
ASSETS_FOLDER = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "assets")

ROBOTS_TXT = (
    "# Descent Lab: the page may be indexed; Dash's data endpoints are not pages.\n"
    "User-agent: *\n"
    "Disallow: /_dash-\n"
    "Disallow: /_reload-hash\n"
    "Disallow: /healthz\n"
)

_COMPRESSIBLE_TYPES = frozenset({
    "application/javascript", "application/json", "application/xml", "application/manifest+json",
    "image/svg+xml", "text/javascript", "text/css", "text/html", "text/plain", "text/xml",
    "text/csv", "text/markdown",
})
# Dash's fingerprint, as dash.fingerprint builds it: name.v<version>m<hash>.ext
_FINGERPRINT = re.compile(r"^v[\w-]+m([0-9a-fA-F]+)$")


# ------------------------------------------------------------------------------
# pure helpers
# ------------------------------------------------------------------------------

def accepted_encodings(header: str | None) -> dict[str, float]:
    """The codings of an ``Accept-Encoding`` header with their q-values, lower-cased.

    >>> accepted_encodings("gzip, deflate;q=0.5, br;q=0")
    {'gzip': 1.0, 'deflate': 0.5, 'br': 0.0}
    """
    result: dict[str, float] = {}
    for part in (header or "").split(","):
        name, _, params = part.strip().partition(";")
        name = name.strip().lower()
        if not name:
            continue
        q = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key.strip().lower() == "q":
                try:
                    q = min(max(float(value), 0.0), 1.0)
                except ValueError:
                    q = 0.0  # a malformed q-value: do not guess that it is wanted
        result[name] = q
    return result


def choose_encoding(header: str | None, offered: Iterable[str] = ("gzip",)) -> str | None:
    """The coding to reply with: the offered one the client rates highest (q > 0, ties in
    ``offered`` order), or ``None`` for the identity coding.

    A coding not named gets the ``*`` rating when there is one, else 0 (RFC 9110 12.5.3);
    the file as it is wins only when ``identity`` is named with a higher rating. Without
    the header we reply uncompressed (no client that can decode gzip omits it).
    """
    accepted = accepted_encodings(header)
    wildcard = accepted.get("*", 0.0)
    best, best_q = None, 0.0
    for coding in offered:
        q = accepted.get(coding, wildcard)
        if q > best_q:
            best, best_q = coding, q
    if best is None:
        return None
    identity_q = accepted.get("identity")  # unnamed: acceptable, but not preferred
    return best if identity_q is None or best_q >= identity_q else None


def is_compressible(mimetype: str | None) -> bool:
    return bool(mimetype) and (mimetype in _COMPRESSIBLE_TYPES or mimetype.endswith(("+json", "+xml")))


def guess_mimetype(path: str) -> str:
    if path.endswith((".js", ".mjs")):
        return "application/javascript"  # the same on every system's mime table
    return mimetypes.guess_type(path)[0] or "application/octet-stream"


def suite_fingerprint(filename: str) -> tuple[str, str | None]:
    """Split a component-suite file name into (name without fingerprint, the fingerprint's
    hash part or None): ``dash_renderer.v4_4_1m1795799379.min.js`` ->
    (``dash_renderer.min.js``, ``1795799379``)."""
    parts = filename.split(".")
    if len(parts) > 2:
        match = _FINGERPRINT.match(parts[1])
        if match:
            return ".".join([parts[0]] + parts[2:]), match.group(1)
    return filename, None


def cache_control(fingerprint_is_current: bool) -> str:
    return IMMUTABLE if fingerprint_is_current else REVALIDATE


# ------------------------------------------------------------------------------
# the compressed-file cache
# ------------------------------------------------------------------------------

@dataclass(frozen=True)
class StaticFile:
    """One file as served: its identity on disk, validator and stored gzip body."""

    path: str
    mtime_ns: int
    size: int
    mimetype: str
    etag: str                 # content hash, for the identity coding
    gzip_body: bytes | None   # None: not compressible, or too small to be worth it

    @property
    def key(self) -> tuple[int, int]:
        return (self.mtime_ns, self.size)

    def etag_for(self, encoding: str | None) -> str:
        return self.etag + ("-gzip" if encoding == "gzip" else "")


class StaticCache:
    """Compressed copies of static files, one per path, made once and kept until the file
    changes. Thread-safe; two threads asking for the same new file compress it once."""

    def __init__(self, level: int = STATIC_GZIP_LEVEL):
        self.level = level
        self._files: dict[str, StaticFile] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()
        self.compressions = 0  # how many times a file was compressed (tests, warm-up report)

    def __len__(self) -> int:
        return len(self._files)

    @property
    def nbytes(self) -> int:
        """Bytes held (the compressed bodies)."""
        return sum(len(f.gzip_body or b"") for f in self._files.values())

    def get(self, path: str) -> StaticFile | None:
        """The entry for a file on disk, made or remade if needed; None if it is not a file."""
        try:
            stat = os.stat(path)
        except OSError:
            return None
        if not os.path.isfile(path):
            return None
        key = (stat.st_mtime_ns, stat.st_size)
        entry = self._files.get(path)
        if entry is not None and entry.key == key:
            return entry
        with self._guard:
            lock = self._locks.setdefault(path, threading.Lock())
        with lock:
            entry = self._files.get(path)
            if entry is not None and entry.key == key:
                return entry
            entry = self._load(path)
            if entry is not None:
                self._files[path] = entry
            return entry

    def _load(self, path: str) -> StaticFile | None:
        try:
            with open(path, "rb") as handle:
                data = handle.read()
            stat = os.stat(path)
        except OSError:
            return None
        mimetype = guess_mimetype(path)
        body = None
        if is_compressible(mimetype) and len(data) >= MIN_COMPRESS_BYTES:
            # mtime=0: the same bytes every time, so every worker sends an identical body
            body = gzip.compress(data, compresslevel=self.level, mtime=0)
            self.compressions += 1
            if len(body) >= len(data):
                body = None
        etag = hashlib.blake2b(data, digest_size=12).hexdigest()
        return StaticFile(path, stat.st_mtime_ns, stat.st_size, mimetype, etag, body)


# ------------------------------------------------------------------------------
# resolving request paths to files
# ------------------------------------------------------------------------------

def suite_file(app: Any, package: str, fingerprinted: str) -> tuple[str, bool] | None:
    """(file on disk, fingerprint is current) for a ``_dash-component-suites`` request, or
    None when Dash would not serve it (not a registered resource) or it is not a plain file
    on disk (Dash then serves it itself)."""
    head, _, filename = fingerprinted.rpartition("/")
    name, stamp = suite_fingerprint(filename)
    relative = f"{head}/{name}" if head else name
    registered = getattr(app, "registered_paths", {}).get(package)
    module = sys.modules.get(package)
    if not registered or relative not in registered or module is None:
        return None
    module_file = getattr(module, "__file__", None)
    if not module_file:
        return None
    path = safe_join(os.path.dirname(module_file), relative)
    if path is None or not os.path.isfile(path):
        return None
    # Dash's stamp is the file's modification time in whole seconds (dash.py, _relative_url_path)
    current = stamp is not None and stamp == str(int(os.stat(path).st_mtime))
    return path, current


def asset_url(relative: str, assets_folder: str = ASSETS_FOLDER) -> str:
    """The URL of an asset the page fetches by itself (a bundle loaded on demand, which Dash
    does not link), with Dash's fingerprint ``?m=<modification time>``, so it is served as
    immutable like the assets Dash links: ``asset_url("vendor/plotly-gl3d.min.js")``. The
    Dash app's path prefix comes with it (``dash.get_asset_url``); before an app exists, the
    root's ``/assets/``."""
    path = safe_join(assets_folder, relative)
    if path is None or not os.path.isfile(path):
        raise FileNotFoundError(f"no asset {relative!r} in {assets_folder}")
    try:
        url = dash.get_asset_url(relative)
    except AttributeError:  # no Dash app configured yet (the page built on its own, in tests)
        url = f"/assets/{relative}"
    return f"{url}?m={os.stat(path).st_mtime}"


def asset_file(assets_folder: str, relative: str, stamp: str | None) -> tuple[str, bool] | None:
    """(file on disk, fingerprint is current) for an ``/assets/`` request; Dash's stamp is
    ``?m=<modification time>`` exactly as ``str(os.stat(file).st_mtime)``."""
    path = safe_join(assets_folder, relative)
    if path is None or not os.path.isfile(path):
        return None
    current = stamp is not None and stamp == str(os.stat(path).st_mtime)
    return path, current


# ------------------------------------------------------------------------------
# Flask wiring
# ------------------------------------------------------------------------------

def file_response(req: Any, entry: StaticFile, cache: str, vary: bool = True):
    """The reply for one static file to the request ``req``: stored gzip or the file as it
    is, with validators; ``304`` when the client's ETag matches."""
    encoding = choose_encoding(req.headers.get("Accept-Encoding")) if entry.gzip_body else None
    if encoding == "gzip":
        response = Response(entry.gzip_body, mimetype=entry.mimetype)
        response.headers["Content-Encoding"] = "gzip"
    else:
        with open(entry.path, "rb") as handle:
            response = Response(handle.read(), mimetype=entry.mimetype)
    if entry.gzip_body is not None and vary:
        response.vary.add("Accept-Encoding")
    response.headers["Cache-Control"] = cache
    response.set_etag(entry.etag_for(encoding))
    return response.make_conditional(req)


def compress_response(response: Any, accept_encoding: str | None, level: int = DYNAMIC_GZIP_LEVEL):
    """Gzip a dynamic reply in place when worth it; returns the response."""
    if (response.status_code != 200 or response.direct_passthrough or response.is_streamed
            or "Content-Encoding" in response.headers or not is_compressible(response.mimetype)):
        return response
    data = response.get_data()
    if len(data) < MIN_COMPRESS_BYTES:
        return response
    response.vary.add("Accept-Encoding")
    if choose_encoding(accept_encoding) != "gzip":
        return response
    response.set_data(gzip.compress(data, compresslevel=level, mtime=0))
    response.headers["Content-Encoding"] = "gzip"
    etag, weak = response.get_etag()
    if etag and not weak:  # a strong validator names these exact bytes, so it changes too
        response.set_etag(etag + "-gzip")
    return response


def _assets_prefix(app: Any) -> str:
    return "/" + (app.config.routes_pathname_prefix.lstrip("/") + app.config.assets_url_path.strip("/") + "/")


def _suites_prefix(app: Any) -> str:
    return "/" + app.config.routes_pathname_prefix.lstrip("/") + COMPONENT_SUITES


def install(app: Any, cache: StaticCache | None = None) -> StaticCache:
    """Serve the Dash ``app``'s static files compressed and cached, compress its dynamic
    replies, and answer ``/robots.txt`` and ``/favicon.ico``. Returns the cache (one per
    app; :func:`warm` fills it)."""
    server = app.server
    if "descent_lab_static" in server.extensions:
        return server.extensions["descent_lab_static"]
    cache = cache or StaticCache()
    server.extensions["descent_lab_static"] = cache
    assets_prefix, suites_prefix = _assets_prefix(app), _suites_prefix(app)

    @server.before_request
    def _serve_static():
        if request.method not in ("GET", "HEAD") or request.headers.get("Range"):
            return None  # ranges: Flask's and Dash's own handlers
        path = request.path
        if path.startswith(suites_prefix):
            package, _, rest = path[len(suites_prefix):].partition("/")
            found = suite_file(app, package, rest) if rest else None
        elif path.startswith(assets_prefix):
            found = asset_file(app.config.assets_folder, path[len(assets_prefix):], request.args.get("m"))
        else:
            return None
        if found is None:
            return None  # not ours to answer: Dash and Flask say 404
        entry = cache.get(found[0])
        if entry is None:
            return None
        return file_response(request, entry, cache_control(found[1]))

    @server.after_request
    def _compress_dynamic(response):
        if request.path.startswith((suites_prefix, assets_prefix)) or request.path == "/favicon.ico":
            return response  # static files: stored gzip or deliberately not compressed
        return compress_response(response, request.headers.get("Accept-Encoding"))

    @server.route("/robots.txt")
    def robots_txt():
        response = Response(ROBOTS_TXT, mimetype="text/plain")
        response.headers["Cache-Control"] = DAY
        response.add_etag()
        return response.make_conditional(request)

    @server.route("/favicon.ico")
    def favicon_ico():
        entry = cache.get(os.path.join(app.config.assets_folder, "favicon.ico"))
        if entry is None:
            return Response("Not Found", status=404, mimetype="text/plain")
        return file_response(request, entry, DAY)

    return cache


def linked_files(app: Any) -> list[str]:
    """Every file the page can ask for: the registered component-suite resources of the
    loaded packages (source maps aside: only developer tools fetch them) and everything
    in the assets folder."""
    files: list[str] = []
    for package, relatives in getattr(app, "registered_paths", {}).items():
        module = sys.modules.get(package)
        module_file = getattr(module, "__file__", None) if module else None
        if not module_file:
            continue
        for relative in sorted(relatives):
            path = safe_join(os.path.dirname(module_file), relative)
            if path and os.path.isfile(path) and not path.endswith(".map"):
                files.append(path)
    folder = app.config.assets_folder
    for current, _, names in sorted(os.walk(folder)):
        files.extend(os.path.join(current, name) for name in sorted(names))
    return files


def warm(app: Any) -> dict[str, int]:
    """Compress every file the page links now (about half a second of CPU), so the first visitor
    gets stored bytes. Renders the page once with Flask's test client first, which makes
    Dash register its resources. Returns counts for a log line."""
    cache = install(app)
    with app.server.test_client() as client:
        client.get("/", headers={"Accept-Encoding": "gzip"})
    files = linked_files(app)
    for path in files:
        cache.get(path)
    return {"files": len(files), "compressed": sum(1 for f in cache._files.values() if f.gzip_body),
            "bytes": cache.nbytes}

