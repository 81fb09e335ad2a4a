"""What a person feels in the page, measured in real headless Chromium beside its floors.

Run: ``python benchmarks/bench_browser.py [--servers gunicorn,module] [--drags 5] [--presses 15]
[--loads 3] [--seconds 4]`` (a few minutes). ``python benchmarks/run_all.py --browser`` runs it
after the engine benchmarks.

Needs Playwright (``pip install playwright``; never ``playwright install``: it drives the system
Chromium, ``/usr/bin/chromium``, with the project's flags from ``tests/browser_flags.py``) at a
1440 x 900 viewport, ``--disable-gpu`` (software canvas and WebGL). Playwright is a benchmark
dependency, not one of the app or its tests.

The app is served the production way (``scripts/serve.sh``, started by
``loadtest.dash_client.Gunicorn``, 2 workers x 4 threads) and with ``python -m descent_lab``
(Flask's threaded server), both from this checkout on a free loopback port. The floors run in
the same process, interleaved with the app's measurements:

* first contour, cold (a fresh browser profile each load): the app's default page against a
  plain page (served by a stdlib HTTP server from this script) that loads the same Plotly
  bundle (``assets/vendor/plotly-contour.min.js``) and draws the same contour payload (the
  surface store's value for the default page, taken from ``ui.race.flow.respond``), compressed
  the way the app serves its own bundle. On loopback and at 20 Mbit/s with 40 ms RTT (CDP
  ``Network.emulateNetworkConditions``). "First contour" is the first animation frame in which
  the contour's SVG is in the page (measured from navigation start); first-load bytes are
  CDP's ``encodedDataLength`` (on the wire, headers included) of every request until the
  network has been quiet for a second;
* a 1-second real mouse drag (Playwright's ``page.mouse``: trusted pointer events, up to 60
  moves a second, each to where the hand is at that moment, so a busy page gets fewer moves,
  never a longer drag) of Adam's learning-rate slider with 8 runs x 1000 steps on Rosenbrock, paused
  at step 500. An injected script samples the paths canvas on every ``requestAnimationFrame``
  (the canvas scaled down 3x onto a small canvas, a hash of its pixels) and counts the frames in
  which what is on screen changed while the button was down: that is what reached the screen,
  whatever the app does inside. "Last move to painted" runs from the last ``pointermove`` to the
  first frame showing the final picture (the picture once everything has settled). Floors: the
  animation frames during the drag (the most that could be painted) and, for the latency, one
  ``/api/preview`` round trip for the same change fetched by the page when idle plus the page's
  own draw of the paths;
* a keyboard step on the same slider (ArrowLeft on the focused thumb): ``keydown`` to the first
  frame showing changed paths, p50; floor as above;
* side by side with 8 runs: click on "Side by side" to the first frame after Plotly has drawn
  the 8 panels and the page its paths on them; floor: Plotly drawing the same 8-panel figure in
  a fresh element of the same size;
* the readout switched on: click to the first frame with the paused step's table on screen, and
  the bytes on the wire in between (the callback's reply, and everything); floor: the readout
  callback's server time (CDP timing of its request);
* the 3D view switched on (first time: its bundle is fetched): click to the frame after the 3D
  figure is drawn; floor: Plotly's 3D bundle drawing the same figure in a fresh element;
* the animation with 8 x 1000 and every instrument on, at 4x (a new step every display frame,
  the heaviest case) and 1x: ``requestAnimationFrame`` callbacks per second; floor: the same
  page's frame rate while paused.

It prints a table (what, measured, floor, target, met/missed) per server, with the machine's
load average before and after (the machine is shared: compare with the floor measured in the
same run), and exits 0 whatever the numbers (1 only when it could not measure: no Chromium, no
Playwright, the app did not start or the page never loaded).
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import http.server
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

from _timing import ROOT, machine  # (importing _timing puts this checkout first on sys.path)

WIDTH, HEIGHT = 1440, 900
STEPS = 1000
RUNS = [  # none converges or diverges within 1000 steps on Rosenbrock: every path has 1001 points
    ("gd", {"lr": 1e-3}),
    ("momentum", {"lr": 1e-3, "momentum": 0.9}),
    ("nesterov", {"lr": 1e-3, "momentum": 0.9}),
    ("adagrad", {"lr": 1e-1}),
    ("rmsprop", {"lr": 3e-3}),
    ("adam", {"lr": 1e-2}),
    ("nadam", {"lr": 1e-2}),
    ("radam", {"lr": 3e-3}),
]
SLIDER_RUN = 5  # Adam's learning rate
PAUSE_AT = 500
THROTTLE = {"offline": False, "latency": 40, "downloadThroughput": 20e6 / 8, "uploadThroughput": 20e6 / 8}
VENDOR = ROOT / "descent_lab" / "assets" / "vendor"

TARGETS = {  # issue: "Numbers to reach"
    "drag_updates": 30, "drag_latency": 50.0, "key_latency": 40.0,
    "contour": 1.5, "contour_ratio": 1.5, "contour_slow": 2.5, "bytes": 2e6,
    "grid": 150.0, "readout_ms": 150.0, "readout_bytes": 100e3, "view3d": 500.0, "fps": 55.0,
}

# ------------------------------------------------------------ the page probe
# Injected before any page script: samples the paths canvas every animation frame (while
# ``on``), notes input events, the first frame with a contour, and long tasks.
PROBE = r"""
(function () {
  if (window.__bench) { return; }
  var B = window.__bench = {on: false, samples: [], moves: [], downs: [], ups: [], keys: [], clicks: [],
                            firstContour: null, longTasks: [], frames: 0};
  var small = null, sctx = null;
  function checksum() {
    var cv = document.querySelector('#main-graph canvas.frame-overlay');
    if (!cv || !cv.width) { return 0; }
    var w = Math.max(1, Math.round(cv.width / 3)), h = Math.max(1, Math.round(cv.height / 3));
    if (!small) { small = document.createElement('canvas'); sctx = small.getContext('2d', {willReadFrequently: true}); }
    if (small.width !== w || small.height !== h) { small.width = w; small.height = h; }
    sctx.imageSmoothingEnabled = true; sctx.imageSmoothingQuality = 'high';
    sctx.clearRect(0, 0, w, h); sctx.drawImage(cv, 0, 0, w, h);
    // FNV-1a over the pixels' 32-bit words: a third of the time of Adler-32's two modulos
    // (the probe runs every frame and its time is the page's: it slowed the page it measured)
    var d = new Uint32Array(sctx.getImageData(0, 0, w, h).data.buffer), x = 2166136261;
    for (var i = 0; i < d.length; i++) { x = Math.imul(x ^ d[i], 16777619); }
    return x >>> 0;
  }
  B.checksum = checksum;
  function loop() {
    var now = performance.now();
    B.frames += 1;
    // the contour in the live page's graph, or in the HTML's first frame (drawn before Dash starts)
    if (B.firstContour === null && document.querySelector('#main-graph .js-plotly-plot .contour, .page-shell .main-graph .js-plotly-plot .contour')) { B.firstContour = now; }
    if (B.on) { B.samples.push([now, checksum()]); }
    if (B.watch) { try { B.watch(now); } catch (e) { B.watchError = String(e); B.watch = null; } }
    window.requestAnimationFrame(loop);
  }
  window.requestAnimationFrame(loop);
  var note = function (name) { return function (e) { if (B.on) { B[name].push(e.timeStamp); } }; };
  document.addEventListener('pointermove', function (e) { if (B.on && e.buttons) { B.moves.push(e.timeStamp); } }, true);
  document.addEventListener('pointerdown', note('downs'), true);
  document.addEventListener('pointerup', note('ups'), true);
  document.addEventListener('keydown', note('keys'), true);
  document.addEventListener('click', function (e) { B.clicks.push(e.timeStamp); }, true);
  try {
    new PerformanceObserver(function (list) {
      list.getEntries().forEach(function (e) { B.longTasks.push([e.startTime, e.duration]); });
    }).observe({type: 'longtask', buffered: true});
  } catch (e) { /* no long task timing */ }
})();
"""

# --------------------------------------------------------------- the floor page
FLOOR_HTML = """<!doctype html><html><head><meta charset="utf-8"><title>floor</title>
<script src="/plotly-contour.min.js"></script></head>
<body style="margin:0"><div id="main-graph" style="width:900px;height:640px"><div class="gd" style="width:100%;height:100%"></div></div>
<script>
function f4(spec) {
  var bin = atob(spec.bdata), bytes = new Uint8Array(bin.length);
  for (var i = 0; i < bin.length; i++) { bytes[i] = bin.charCodeAt(i); }
  return new Float32Array(bytes.buffer);
}
fetch('/contour.json').then(function (r) { return r.json(); }).then(function (p) {
  var c = Object.assign({}, p.surface.contour), flat = f4(c.z), x = f4(c.x), y = f4(c.y), z = [];
  for (var r = 0; r < y.length; r++) { z.push(flat.subarray(r * x.length, (r + 1) * x.length)); }
  c.x = x; c.y = y; c.z = z;
  var data = [c];
  if (p.surface.minima) { data.push(p.surface.minima); }
  Plotly.newPlot(document.querySelector('#main-graph .gd'), data, p.layout, {displayModeBar: false});
});
</script></body></html>"""


def floor_payload() -> dict:
    """The default page's contour payload and axes, as the app sends them."""
    from descent_lab.ui.race import flow

    out = flow.respond(None, {"kind": "load", "search": ""})
    return {"surface": out["surface"], "layout": out["paths"]["layout"]}


@contextlib.contextmanager
def serve_floor(compress: bool):
    """The plain page on a free loopback port (stdlib, threaded); gzip when ``compress``."""
    files = {
        "/": (FLOOR_HTML.encode(), "text/html; charset=utf-8"),
        "/plotly-contour.min.js": ((VENDOR / "plotly-contour.min.js").read_bytes(), "application/javascript"),
        "/contour.json": (json.dumps(floor_payload(), separators=(",", ":")).encode(), "application/json"),
    }
    zipped = {k: gzip.compress(v[0], 6) for k, v in files.items()} if compress else {}

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):  # noqa: N802
            path = self.path.split("?")[0]
            if path not in files:
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            body, kind = files[path]
            use_gzip = compress and "gzip" in self.headers.get("Accept-Encoding", "")
            if use_gzip:
                body = zipped[path]
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-cache")
            if use_gzip:
                self.send_header("Content-Encoding", "gzip")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


# --------------------------------------------------------------------- the app
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _env() -> dict:
    env = dict(os.environ, DASH_DISABLE_VERSION_CHECK="true")
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.pop("DASH_DEBUG", None)
    return env


def _wait_healthy(base: str, proc: subprocess.Popen, what: str, log, timeout: float = 90.0) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            log.seek(0)
            raise RuntimeError(f"{what} exited with status {proc.returncode}:\n{log.read()[-2000:]}")
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{what} did not answer {base}/healthz within {timeout:.0f} s")


@contextlib.contextmanager
def serve(kind: str):
    """``gunicorn``: scripts/serve.sh (the production command, 2 workers x 4 threads);
    ``module``: ``python -m descent_lab``. Yields the base URL."""
    port = free_port()
    env = _env()
    env.update(HOST="127.0.0.1", PORT=str(port))
    if kind == "gunicorn":
        env.update(WORKERS="2", THREADS="4", LOG_LEVEL="warning")
        env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
        cmd = ["sh", str(ROOT / "scripts" / "serve.sh")]
    else:
        cmd = [sys.executable, "-m", "descent_lab"]
    log = tempfile.TemporaryFile(mode="w+")
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(base, proc, kind, log)
        warm(base)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
            proc.wait()
        log.close()


def warm(base: str, rounds: int = 8) -> None:
    """Fetch the page and every script it names a few times, one request at a time, so that
    each worker has set itself up before the browser comes: a fresh Dash worker can 404 a
    core script when its first requests arrive together (a known server-side bug, fixed
    outside this benchmark); the measured loads then find warm servers."""
    import re

    def get(path):
        try:
            with urllib.request.urlopen(base + path, timeout=30) as resp:
                return resp.read()
        except OSError:
            return b""

    html = get("/").decode("utf-8", "replace")
    paths = ["/", "/_dash-layout", "/_dash-dependencies"] + re.findall(r'src="(/[^"]+)"', html)
    for _ in range(rounds):
        for path in paths:
            get(path)


def bench_search(view: str = "overlay", show=(), frame: int = PAUSE_AT) -> str:
    from descent_lab.ui.core.state import validate_state
    from descent_lab.ui.core.url import encode_url

    state, errors = validate_state({
        "surface": {"key": "rosenbrock", "params": {}},
        "runs": [{"optimizer": key, "hparams": hp} for key, hp in RUNS],
        "steps": STEPS, "view": view, "frame": frame, "show": list(show)})
    if errors:
        raise RuntimeError("; ".join(errors))
    return encode_url(state)


# ----------------------------------------------------------------- statistics
def med(values) -> float:
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else float("nan")


def spread(values, unit: str = "ms", digits: int = 0) -> str:
    values = [v for v in values if v is not None]
    if not values:
        return "n/a"
    f = f"{{:.{digits}f}}".format
    text = f(med(values)) + (f" {unit}" if unit else "")
    if len(values) > 1:
        text += f" ({f(min(values))}-{f(max(values))}, n={len(values)})"
    return text


def load_average() -> str:
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True, timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


# ------------------------------------------------------------------- browser
class Browser:
    def __init__(self, playwright):
        from tests.browser_flags import chromium_flags, chromium_path

        if not os.path.exists(chromium_path):
            raise RuntimeError(f"{chromium_path} is missing: apt-get install -y chromium")
        flags = [f for f in chromium_flags if not f.startswith("--window-size")]
        self.browser = playwright.chromium.launch(executable_path=chromium_path, args=flags)
        self.version = self.browser.version

    def page(self):
        """A fresh profile (cold cache) with the probe installed; the app's CSP forbids
        eval, which Playwright's own helpers use, so the context bypasses it."""
        context = self.browser.new_context(viewport={"width": WIDTH, "height": HEIGHT}, bypass_csp=True,
                                           device_scale_factor=1)
        context.add_init_script(PROBE)
        page = context.new_page()
        page.set_default_timeout(60_000)
        page.errors = []
        page.on("pageerror", lambda exc: page.errors.append(str(exc)))
        page.on("console", lambda msg: page.errors.append(msg.text) if msg.type == "error" else None)
        return page

    def close(self):
        self.browser.close()


class Network:
    """CDP's view of a page's requests: URL, bytes on the wire, status, timing."""

    def __init__(self, page):
        self.cdp = page.context.new_cdp_session(page)
        self.cdp.send("Network.enable")
        self.requests: dict[str, dict] = {}
        self.cdp.on("Network.requestWillBeSent", self._sent)
        self.cdp.on("Network.responseReceived", self._response)
        self.cdp.on("Network.loadingFinished", self._finished)
        self.cdp.on("Network.loadingFailed", self._failed)
        self.cdp.on("Network.requestServedFromCache", self._cached)

    def _sent(self, e):
        self.requests[e["requestId"]] = {"url": e["request"]["url"], "method": e["request"]["method"],
                                         "t": time.monotonic(), "done": False, "bytes": 0}

    def _cached(self, e):
        r = self.requests.get(e["requestId"])
        if r is not None:
            r["cached"] = True

    def _response(self, e):
        r = self.requests.get(e["requestId"])
        if r is not None:
            r["status"] = e["response"].get("status")
            if e["response"].get("fromDiskCache") or e["response"].get("fromPrefetchCache"):
                r["cached"] = True
            r["encoding"] = {k.lower(): v for k, v in (e["response"].get("headers") or {}).items()}.get(
                "content-encoding", "")
            timing = e["response"].get("timing") or {}
            if timing:
                r["server_ms"] = timing.get("receiveHeadersStart", timing.get("receiveHeadersEnd", 0)) - \
                    timing.get("sendEnd", 0)

    def _finished(self, e):
        r = self.requests.get(e["requestId"])
        if r is not None:
            r["bytes"] = e.get("encodedDataLength", 0)
            r["done"] = True
            r["t_done"] = time.monotonic()

    def _failed(self, e):
        r = self.requests.get(e["requestId"])
        if r is not None:
            r["done"] = True
            r["failed"] = e.get("errorText")
            r["t_done"] = time.monotonic()

    def gzip_estimate(self) -> int:
        """The bytes on the wire had every uncompressed text reply been gzipped (level 6):
        each body fetched back through CDP and compressed here; headers counted as sent."""
        import base64

        total = 0
        for request_id, r in list(self.requests.items()):
            if not r.get("done") or r.get("failed"):
                continue
            try:
                body = self.cdp.send("Network.getResponseBody", {"requestId": request_id})
            except Exception:  # noqa: BLE001  (no body kept for this request)
                total += r["bytes"]
                continue
            data = base64.b64decode(body["body"]) if body.get("base64Encoded") else body["body"].encode()
            if r.get("encoding") or len(data) < 1024:
                total += r["bytes"]
                continue
            total += r["bytes"] - len(data) + len(gzip.compress(data, 6))
        return total

    def throttle(self, conditions: dict) -> None:
        self.cdp.send("Network.emulateNetworkConditions", conditions)

    def mark(self) -> set:
        return set(self.requests)

    def since(self, mark: set) -> list[dict]:
        return [r for k, r in self.requests.items() if k not in mark]

    def wait_quiet(self, page, quiet: float = 1.0, timeout: float = 30.0) -> None:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            now = time.monotonic()
            busy = any(not r["done"] for r in self.requests.values())
            last = max([r.get("t_done", r["t"]) for r in self.requests.values()] or [0])
            if not busy and now - last >= quiet:
                return
            page.wait_for_timeout(100)


def wait(page, expr: str, timeout: float = 60.0, what: str = "the page"):
    try:
        return page.wait_for_function(expr, timeout=timeout * 1000, polling=50)
    except Exception as exc:  # noqa: BLE001  (Playwright's TimeoutError; say what was awaited)
        raise RuntimeError(f"timed out waiting for {what}: {exc}; page errors: {page.errors[:3]}") from None


READY = ("() => !!(window.descentLab && window.descentLab.runs.length === %d && window.descentLab.paths"
         " && document.querySelector('#main-graph canvas.frame-overlay'))")


RETRIES = {"count": 0}


def broken(page) -> bool:
    """A page whose scripts did not all load (a fresh server worker can 404 one of Dash's
    core scripts when its first requests arrive together, a server bug fixed elsewhere):
    such a load is retried, and counted, rather than measured."""
    return any("404" in e or "MIME type" in e for e in page.errors)


def open_bench(browser: Browser, base: str, attempts: int = 3, **kw):
    for attempt in range(attempts):
        page = browser.page()
        net = Network(page)
        page.goto(base + "/" + bench_search(**kw))
        try:
            wait(page, READY % len(RUNS), timeout=60 if attempt + 1 == attempts else 30, what="8 runs drawn")
            break
        except RuntimeError:
            if attempt + 1 == attempts or not broken(page):
                raise
            RETRIES["count"] += 1
            page.context.close()
    n = page.evaluate("() => window.descentLab.runs.map(r => r.n)")
    if n != [STEPS + 1] * len(RUNS):
        raise RuntimeError(f"expected 8 paths of {STEPS + 1} points, got {n}")
    net.wait_quiet(page, 0.5)
    page.evaluate("() => { var c = window.descentLab; c.pause(); }")
    return page, net


# ------------------------------------------------------------ first contour
def first_load(browser: Browser, url: str, throttled: bool, attempts: int = 3) -> dict:
    for attempt in range(attempts):
        try:
            return _first_load(browser, url, throttled)
        except RuntimeError as exc:
            if attempt + 1 == attempts or "404" not in str(exc) and "MIME" not in str(exc):
                raise
            RETRIES["count"] += 1
    raise AssertionError("unreachable")


def _first_load(browser: Browser, url: str, throttled: bool) -> dict:
    page = browser.page()
    net = Network(page)
    if throttled:
        net.throttle(THROTTLE)
    try:
        page.goto(url, wait_until="commit")
        wait(page, "() => window.__bench && window.__bench.firstContour !== null", what="the first contour")
        first = page.evaluate("() => window.__bench.firstContour")
        net.wait_quiet(page, 1.0, timeout=60)
        reqs = list(net.requests.values())
        return {"contour_ms": first, "bytes": sum(r["bytes"] for r in reqs), "requests": len(reqs),
                "gzip_bytes": net.gzip_estimate() if not throttled else None,
                "by_url": sorted(((r["bytes"], r["url"].split("?")[0].replace(url.rstrip("/"), "")) for r in reqs),
                                 reverse=True),
                # the browser asks for the icon again (load, address changes): from its cache
                "favicons": sum("favicon" in r["url"] and not r.get("cached") for r in reqs),
                "favicons_cached": sum("favicon" in r["url"] and bool(r.get("cached")) for r in reqs),
                "errors": list(page.errors)}
    finally:
        page.context.close()


def measure_first_load(browser: Browser, base: str, floor: str, loads: int) -> dict:
    out = {"app": [], "floor": [], "app_slow": [], "floor_slow": []}
    first_load(browser, base + "/", False)  # warm the server's caches (the browser's stay cold)
    for i in range(loads):
        pairs = [("app", base + "/"), ("floor", floor + "/")]
        for name, url in (pairs if i % 2 == 0 else pairs[::-1]):
            out[name].append(first_load(browser, url, False))
    for i in range(max(1, loads - 1)):
        pairs = [("app_slow", base + "/"), ("floor_slow", floor + "/")]
        for name, url in (pairs if i % 2 == 0 else pairs[::-1]):
            out[name].append(first_load(browser, url, True))
    return out


# ------------------------------------------------------------------ the slider
def thumb_box(page):
    from descent_lab.ui.core import ids

    dom_id = json.dumps(ids.hparam(SLIDER_RUN, "lr"), sort_keys=True, separators=(",", ":"))
    thumb = page.locator(f'[id="{dom_id.replace(chr(34), chr(92) + chr(34))}"] [role=slider]')
    thumb.scroll_into_view_if_needed()
    page.wait_for_timeout(300)
    return thumb, thumb.bounding_box()


def settle(page, net, quiet: float = 0.4) -> None:
    net.wait_quiet(page, quiet, timeout=30)
    page.wait_for_timeout(150)


def preview_floor(page, net) -> dict:
    """One /api/preview round trip for the next slider value, fetched by the page while idle,
    and the page's own draw of the paths (no server): the least a change can cost."""
    return page.evaluate("""async () => {
      var c = window.descentLab, times = [], draws = [];
      var run = c.state.runs[%d], action = {kind: 'hparam', run: run.id, name: 'lr', value: null};
      var pos = c.paths.runs[%d].positions.lr;
      for (var i = 0; i < 5; i++) {
        action.value = pos - 0.013 * (i + 1);
        var t0 = performance.now();
        var r = await fetch(c.config.preview, {method: 'POST', headers: {'Content-Type': 'application/json'},
                                                body: JSON.stringify({state: c.state, action: action})});
        var reply = await r.json();
        var keep = c.runs[%d];
        c.runs[%d] = c.util.decodeRun(reply.runs['%d']);
        c.pathsVersion += 1;
        var t1 = performance.now();
        c.drawFrame();
        var t2 = performance.now();
        times.push(t2 - t0); draws.push(t2 - t1);
        c.runs[%d] = keep; c.pathsVersion += 1; c.drawFrame();
      }
      times.sort(function (a, b) { return a - b; }); draws.sort(function (a, b) { return a - b; });
      return {roundtrip_draw: times[2], draw: draws[2]};
    }""" % ((SLIDER_RUN,) * 6))


def final_checksum(page) -> int:
    return page.evaluate("() => window.__bench.checksum()")


def measure_drags(page, net, drags: int, seconds: float = 1.0, distance: float = 60.0) -> dict:
    thumb, box = thumb_box(page)
    x0, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    results = []
    for d in range(drags):
        direction = -1 if d % 2 == 0 else 1  # left then back right: the values stay in range
        settle(page, net)
        page.evaluate("() => { var B = window.__bench; B.samples = []; B.moves = []; B.downs = []; B.ups = [];"
                      " B.on = true; B.previews0 = window.descentLab.previews; }")
        page.mouse.move(x0, y)
        page.mouse.down()
        hand_moves(page, x0, y, direction * distance, seconds)
        page.mouse.up()
        x0 += direction * distance
        settle(page, net, 0.8)
        page.wait_for_timeout(300)
        data = page.evaluate("() => { var B = window.__bench; B.on = false;"
                             " return {samples: B.samples, moves: B.moves, downs: B.downs, ups: B.ups,"
                             " previews: window.descentLab.previews - B.previews0, final: B.checksum(),"
                             " same: document.activeElement && document.activeElement.getAttribute('role')}; }")
        results.append(drag_numbers(data))
    box_after = thumb.bounding_box()
    same_thumb = page.evaluate("() => !!document.activeElement && document.activeElement.getAttribute('role') === 'slider'")
    return {"drags": results, "thumb_kept_focus": same_thumb, "thumb_still_there": box_after is not None}


def hand_moves(page, x0: float, y: float, dx: float, seconds: float, rate: float = 60.0) -> int:
    """Move the pressed pointer from ``x0`` by ``dx`` pixels over ``seconds`` of wall time, as
    a hand does: at most ``rate`` moves a second, each to where the hand is at that moment.
    Playwright waits for the page to take each move, so a busy page gets fewer moves (as the
    browser coalesces a real hand's moves), never a longer drag."""
    t0, moves = time.monotonic(), 0
    while True:
        elapsed = time.monotonic() - t0
        fraction = min(1.0, elapsed / seconds)
        page.mouse.move(x0 + dx * fraction, y)
        moves += 1
        if fraction >= 1.0:
            return moves
        delay = t0 + moves / rate - time.monotonic()
        if delay > 0:
            time.sleep(delay)


def drag_numbers(data: dict) -> dict:
    samples, down, up = data["samples"], data["downs"][0], data["ups"][-1]
    last_move = max(data["moves"]) if data["moves"] else up
    during = [s for s in samples if down <= s[0] <= up]
    changes = sum(1 for a, b in zip(during, during[1:]) if a[1] != b[1])
    # first frame after the last move that shows the final (settled) picture
    final = data["final"]
    shown = [s[0] for s in samples if s[0] >= last_move and s[1] == final]
    first_final = shown[0] if shown else None
    before = [s for s in samples if s[0] < last_move]
    if first_final is not None and before and before[-1][1] == final:
        first_final = last_move  # already on screen when the hand stopped
    return {"updates": changes, "frames": len(during), "previews": data["previews"],
            "last_move_to_painted": None if first_final is None else first_final - last_move,
            "release_to_painted": None if first_final is None else max(0.0, first_final - up),
            "moves": len(data["moves"])}


def measure_keys(page, net, presses: int) -> dict:
    thumb, _ = thumb_box(page)
    thumb.focus()
    out = []
    for i in range(presses):
        settle(page, net)
        page.evaluate("() => { var B = window.__bench; B.samples = []; B.keys = []; B.on = true; }")
        page.wait_for_timeout(50)
        page.keyboard.press("ArrowLeft" if i % 4 < 2 else "ArrowRight")
        settle(page, net, 1.0)  # the page commits a keyed value once no key came for a moment
        data = page.evaluate("() => { var B = window.__bench; B.on = false; return {samples: B.samples, keys: B.keys}; }")
        if not data["keys"]:
            out.append(None)
            continue
        t = data["keys"][0]
        before = [s for s in data["samples"] if s[0] < t]
        base = before[-1][1] if before else None
        changed = [s[0] for s in data["samples"] if s[0] >= t and s[1] != base]
        out.append(changed[0] - t if changed else None)
    focused = page.evaluate("() => !!document.activeElement && document.activeElement.getAttribute('role') === 'slider'")
    return {"latency": out, "kept_focus": focused}


# ------------------------------------------------------------- heavy views
CLICK_WATCH = """(src) => {
  var cond = eval('(' + src + ')'), B = window.__bench, c = window.descentLab, start = performance.now();
  B.clicks = [];
  B.waiting = new Promise(function (resolve) {
    B.watch = function (now) {
      if (!B.clicks.length) { if (now - start > 30000) { B.watch = null; resolve(null); } return; }
      var t = B.clicks[B.clicks.length - 1];
      if (now - t > 30000) { B.watch = null; resolve(null); return; }
      if (cond(c, t)) { B.watch = null; resolve({ms: now - t, t: t}); }
    };
  });
}"""


def click_and_time(page, locator, condition_js: str) -> dict | None:
    """Click ``locator`` (a real mouse click) and time it to the first animation frame where
    ``condition_js`` (``(c, tClick) => bool``, c = window.descentLab) holds."""
    page.evaluate(CLICK_WATCH, condition_js)
    locator.click()
    return page.evaluate("() => window.__bench.waiting")


GRID_PAINTED = """(c, t) => {
  var gd = document.querySelector('#main-graph .js-plotly-plot');
  return c.view === 'grid' && gd && gd._fullLayout && gd._fullLayout.xaxis8 && c.lastPlotAt > t && c.lastDrawAt >= c.lastPlotAt;
}"""
OVERLAY_PAINTED = """(c, t) => {
  var gd = document.querySelector('#main-graph .js-plotly-plot');
  return c.view === 'overlay' && gd && gd._fullLayout && !gd._fullLayout.xaxis2 && c.lastPlotAt > t && c.lastDrawAt >= c.lastPlotAt;
}"""

PLOTLY_FLOOR = """async (which) => {
  var src = which === '3d' ? document.querySelector('#%(view3d)s') : document.querySelector('#main-graph .js-plotly-plot');
  var P = which === '3d' ? window.descentLab.plotly3d : window.Plotly;
  var div = document.createElement('div');
  div.style.cssText = 'position:fixed;left:0;top:0;z-index:-1;width:' + src.clientWidth + 'px;height:' + src.clientHeight + 'px';
  document.body.appendChild(div);
  var data = JSON.parse(JSON.stringify(src.data, function (k, v) { return ArrayBuffer.isView(v) ? Array.from(v) : v; }));
  var layout = JSON.parse(JSON.stringify(src.layout));
  var t0 = performance.now();
  await P.newPlot(div, data, layout, {displayModeBar: false});
  await new Promise(function (r) { requestAnimationFrame(function () { r(); }); });
  var ms = performance.now() - t0;
  P.purge(div); div.remove();
  return ms;
}"""


def view_radio(page, value: str):
    from descent_lab.ui.core import ids

    return page.locator(f"#{ids.VIEW} input[value={value}]")


def show_box(page, name: str):
    from descent_lab.ui.core import ids

    return page.locator(f"#{ids.SHOW} input[value={name}]")


def measure_grid(page, net, repeats: int) -> dict:
    out, long_tasks, floor = [], [], []
    for _ in range(repeats):
        settle(page, net)
        page.evaluate("() => { window.__bench.longTasks = []; }")
        res = click_and_time(page, view_radio(page, "grid"), GRID_PAINTED)
        out.append(res and res["ms"])
        settle(page, net)
        if res:
            long_tasks.append(page.evaluate(
                "(t) => window.__bench.longTasks.filter(e => e[0] >= t - 5).reduce((m, e) => Math.max(m, e[1]), 0)",
                res["t"]))
        floor.append(page.evaluate(PLOTLY_FLOOR % {"view3d": "x"}, "2d"))
        click_and_time(page, view_radio(page, "overlay"), OVERLAY_PAINTED)
    return {"ms": out, "long_task": long_tasks, "floor": floor}


READOUT_PAINTED = """(c, t) => {
  var box = document.getElementById(c.config.instruments.boxes.readout);
  return !!(box && box.offsetParent !== null && box.querySelector('table'));
}"""


def measure_readout(page, net) -> dict:
    """Click on "readout" to the first frame with the paused step's table on screen; what
    travels: the readout's data (callback replies and the table's route) apart from the
    libraries fetched the first time a formula is shown (Dash's Markdown and MathJax)."""
    from descent_lab.ui.core import ids

    settle(page, net)
    mark = net.mark()
    res = click_and_time(page, show_box(page, "readout"), READOUT_PAINTED)
    settle(page, net, 1.0)
    reqs = net.since(mark)
    data = [r for r in reqs if "_dash-update-component" in r["url"] or "/api/" in r["url"]]
    table = [r for r in reqs if "/api/readout" in r["url"]]
    typeset = page.evaluate(f"() => document.querySelectorAll('#{ids.READOUT} mjx-container').length")
    return {"ms": res and res["ms"], "bytes": sum(r["bytes"] for r in reqs), "requests": len(reqs),
            "data_bytes": sum(r["bytes"] for r in data),
            "server_ms": table[0].get("server_ms") if table else None,
            "urls": sorted(((r["bytes"], r["url"].split("?")[0].rsplit("/", 1)[-1]) for r in reqs), reverse=True)[:5],
            "typeset": typeset}


VIEW3D_DRAWN = "(c, t) => !!(c.instruments && c.instruments.has3d && c.instruments.lastOpenMs !== undefined)"


AIM_SECONDS = 0.3  # a hand's aim before a click: the pointer over the target, then the press


def measure_3d(page, net, dwell: float = 0.0) -> dict:
    """The 3D view opened by a click on its switch; with ``dwell`` seconds of the pointer
    resting on the switch first, as a hand aims before it clicks (the page starts loading
    the 3D bundle when the pointer comes over the switch)."""
    settle(page, net)
    mark = net.mark()
    if dwell:
        show_box(page, "view3d").hover()
        page.wait_for_timeout(dwell * 1000)
    res = click_and_time(page, show_box(page, "view3d"), VIEW3D_DRAWN)
    settle(page, net, 0.8)
    reqs = net.since(mark)
    from descent_lab.ui.core import ids

    floor = page.evaluate(PLOTLY_FLOOR % {"view3d": ids.chart("view3d")}, "3d") if res else None
    return {"ms": res and res["ms"], "bytes": sum(r["bytes"] for r in reqs), "floor": floor}


FPS = """async ([seconds, speed]) => {
  var c = window.descentLab, select = document.getElementById(c.ids.SPEED);
  c.pause();
  await new Promise(function (r) { setTimeout(r, 2000); });  // what a pause catches up on (3D) is done
  var idle = await new Promise(function (resolve) {
    var n = 0, t0 = null;
    function f(t) { if (t0 === null) { t0 = performance.now(); } n += 1;
      if (performance.now() - t0 < 1000) { requestAnimationFrame(f); } else { resolve(n / ((performance.now() - t0) / 1000)); } }
    requestAnimationFrame(f);
  });
  select.value = String(speed); select.dispatchEvent(new Event('change', {bubbles: true}));
  c.seek(0); c.play();
  await new Promise(function (r) { setTimeout(r, 500); });
  return await new Promise(function (resolve) {
    var f0 = c.frames, d0 = c.drawMs, t0 = performance.now(), last = t0, gaps = [];
    function tick() {
      var t = performance.now(); gaps.push(t - last); last = t;
      if (t - t0 < seconds * 1000 && c.playing) { requestAnimationFrame(tick); return; }
      var elapsed = (t - t0) / 1000, draws = c.frames - f0;
      c.pause();
      gaps.sort(function (a, b) { return a - b; });
      resolve({fps: gaps.length / elapsed, draws: draws / elapsed, drawMs: draws ? (c.drawMs - d0) / draws : null,
               idle: idle, p95: gaps[Math.floor(gaps.length * 0.95)], playedThrough: t - t0 >= seconds * 1000});
    }
    requestAnimationFrame(tick);
  });
}"""


def measure_fps(browser: Browser, base: str, seconds: float) -> dict:
    from descent_lab.ui.core import registry

    page, net = open_bench(browser, base, show=registry.NAMES, frame=0)
    try:
        wait(page, "() => window.descentLab.instruments && window.descentLab.instruments.has3d", what="the 3D view")
        settle(page, net)
        return {speed: page.evaluate(FPS, [seconds, speed]) for speed in (4, 1)}
    finally:
        page.context.close()


# --------------------------------------------------------------------- all
PARTS = ("first", "drag", "keys", "grid", "readout", "view3d", "fps")


def measure_server(browser: Browser, kind: str, floor_url: str, args) -> dict:
    res: dict = {"server": kind}
    parts = args.only
    with serve(kind) as base:
        res["load_avg"] = [load_average()]
        if "first" in parts:
            res["first"] = measure_first_load(browser, base, floor_url, args.loads)
        if parts & {"drag", "keys", "grid", "readout", "view3d"}:
            page, net = open_bench(browser, base)
            try:
                res["preview_floor"] = preview_floor(page, net)
                if "drag" in parts:
                    res["drag"] = measure_drags(page, net, args.drags)
                if "keys" in parts:
                    res["keys"] = measure_keys(page, net, args.presses)
                if "grid" in parts:
                    res["grid"] = measure_grid(page, net, args.repeats)
                if "readout" in parts:
                    res["readout"] = measure_readout(page, net)
                if "view3d" in parts:
                    res["view3d"] = measure_3d(page, net)
                res["errors"] = list(page.errors)
            finally:
                page.context.close()
            if "view3d" in parts:  # a fresh page: the 3D bundle and WebGL cold again
                page, net = open_bench(browser, base)
                try:
                    res["view3d_aimed"] = measure_3d(page, net, dwell=AIM_SECONDS)
                finally:
                    page.context.close()
        if "fps" in parts:
            res["fps"] = measure_fps(browser, base, args.seconds)
        res["load_avg"].append(load_average())
    res["retries"], RETRIES["count"] = RETRIES["count"], 0
    return res


def app_compresses(base: str) -> bool:
    req = urllib.request.Request(base + "/assets/vendor/plotly-contour.min.js", headers={"Accept-Encoding": "gzip"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return bool(resp.headers.get("Content-Encoding"))


def measure(args) -> list[dict]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        raise RuntimeError("Playwright is not installed (pip install playwright; it drives /usr/bin/chromium)") from None
    with serve("gunicorn") as base:
        compress = app_compresses(base)
    out = []
    with sync_playwright() as p, serve_floor(compress) as floor_url:
        browser = Browser(p)
        try:
            for kind in args.servers:
                res = measure_server(browser, kind, floor_url, args)
                res["chromium"] = browser.version
                res["floor_gzip"] = compress
                out.append(res)
        finally:
            browser.close()
    return out


# ------------------------------------------------------------------- report
def _verdict(ok: bool | None) -> str:
    return "n/a" if ok is None else ("met" if ok else "MISSED")


def rows(res: dict) -> list[dict]:
    T, out = TARGETS, []

    def row(what, measured, floor, target, ok):
        out.append({"what": what, "measured": measured, "floor": floor, "target": target, "result": _verdict(ok)})

    if "first" in res:
        f = res["first"]
        app_ms = [r["contour_ms"] for r in f["app"]]
        floor_ms = [r["contour_ms"] for r in f["floor"]]
        ratio = med(app_ms) / med(floor_ms) if floor_ms else float("nan")
        row("first contour, cold, loopback", spread([m / 1000 for m in app_ms], "s", 2),
            spread([m / 1000 for m in floor_ms], "s", 2), f"<= {T['contour']:g} s", med(app_ms) <= 1000 * T["contour"])
        row("  the same, app / plain page", f"{ratio:.2f}x", "1x", f"<= {T['contour_ratio']:g}x",
            ratio <= T["contour_ratio"])
        slow = [r["contour_ms"] for r in f["app_slow"]]
        row("first contour, cold, 20 Mbit/s + 40 ms RTT", spread([m / 1000 for m in slow], "s", 2),
            spread([r["contour_ms"] / 1000 for r in f["floor_slow"]], "s", 2),
            f"<= {T['contour_slow']:g} s", med(slow) <= 1000 * T["contour_slow"])
        first = f["app"][0]
        app_bytes = med([r["bytes"] for r in f["app"]])
        row(f"first-load bytes on the wire ({first['requests']} requests, favicon fetched {first['favicons']}x, "
            f"{first.get('favicons_cached', 0)}x more from the browser's cache)",
            f"{app_bytes / 1e6:.2f} MB", f"{med([r['bytes'] for r in f['floor']]) / 1e6:.2f} MB",
            f"<= {T['bytes'] / 1e6:g} MB", app_bytes <= T["bytes"])
        if first.get("gzip_bytes"):
            row("  the same if every text reply were gzipped (-6)", f"{first['gzip_bytes'] / 1e6:.2f} MB", "-",
                f"<= {T['bytes'] / 1e6:g} MB", None)
    pf = res.get("preview_floor") or {}
    floor_ms = f"{pf['roundtrip_draw']:.0f} ms" if pf else "-"
    if "drag" in res:
        d = res["drag"]["drags"]
        ups = [x["updates"] for x in d]
        moves = med([x["moves"] for x in d])
        row(f"1-s mouse drag, 8 x {STEPS}: path updates painted during the drag (of {moves:.0f} moves the "
            f"page took, p50)", spread(ups, "", 0),
            f"{med([x['frames'] for x in d]):.0f} frames", f">= {T['drag_updates']}", med(ups) >= T["drag_updates"])
        lat = [x["last_move_to_painted"] for x in d]
        row("  last move to painted path, p50", spread(lat), floor_ms, f"<= {T['drag_latency']:g} ms",
            med(lat) <= T["drag_latency"])
    if "keys" in res:
        k = [v for v in res["keys"]["latency"] if v is not None]
        missing = len(res["keys"]["latency"]) - len(k)
        row("keyboard step to painted frame, p50" + (f" ({missing} never painted)" if missing else ""), spread(k),
            floor_ms, f"<= {T['key_latency']:g} ms", med(k) <= T["key_latency"] if k else None)
    if "grid" in res:
        g = res["grid"]
        row("side by side, 8 runs: click to painted" + (f" (longest task {med(g['long_task']):.0f} ms)"
                                                         if g["long_task"] else ""),
            spread(g["ms"]), spread(g["floor"]), f"<= {T['grid']:g} ms", med(g["ms"]) <= T["grid"])
    if "readout" in res:
        r = res["readout"]
        row(f"readout on: click to its table painted (formulas typeset later: {r['typeset']})", spread([r["ms"]]),
            f"{r['server_ms']:.0f} ms server" if r["server_ms"] is not None else "-",
            f"<= {T['readout_ms']:g} ms", r["ms"] is not None and r["ms"] <= T["readout_ms"])
        row(f"  readout on: its data on the wire (all bytes, with the formula libraries fetched the first "
            f"time: {r['bytes'] / 1e3:.0f} kB)", f"{r['data_bytes'] / 1e3:.0f} kB", "-",
            f"<= {T['readout_bytes'] / 1e3:g} kB", r["data_bytes"] <= T["readout_bytes"])
    if "view3d" in res:
        v = res["view3d"]
        row(f"3D view open, first time ({v['bytes'] / 1e6:.1f} MB fetched)", spread([v["ms"]]),
            spread([v["floor"]]), f"<= {T['view3d']:g} ms", v["ms"] is not None and v["ms"] <= T["view3d"])
    if "view3d_aimed" in res:
        v = res["view3d_aimed"]
        row(f"  the same after the pointer rested {AIM_SECONDS:g} s on the switch (a fresh page)", spread([v["ms"]]),
            spread([v["floor"]]), f"<= {T['view3d']:g} ms", v["ms"] is not None and v["ms"] <= T["view3d"])
    for speed, fr in (res.get("fps") or {}).items():
        every = "a new step every frame" if int(speed) > 1 else "30 steps/s"
        row(f"animation, 8 x {STEPS}, every instrument on, {speed}x ({every}; draw {fr['drawMs'] or 0:.1f} ms, "
            f"p95 frame {fr['p95']:.0f} ms)", f"{fr['fps']:.1f} fps", f"{fr['idle']:.1f} fps idle",
            f">= {T['fps']:g} fps", fr["fps"] >= T["fps"])
    return out


def table(rows_: list[dict]) -> str:
    head = ["what", "measured", "floor", "target", "result"]
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    lines += ["| " + " | ".join(str(r[k]) for k in head) + " |" for r in rows_]
    return "\n".join(lines)


def report(results: list[dict]) -> None:
    names = {"gunicorn": "gunicorn (scripts/serve.sh, 2 workers x 4 threads)", "module": "python -m descent_lab"}
    for res in results:
        print(f"\n## {names[res['server']]}: Chromium {res['chromium']} headless (--disable-gpu), "
              f"{WIDTH} x {HEIGHT}; {machine()}")
        print(f"load before: {res['load_avg'][0]}")
        if res.get("retries"):
            print(f"page loads retried after a server 404 on a core script: {res['retries']}")
        print(f"load after:  {res['load_avg'][-1]}")
        if "first" in res:
            first = res["first"]["app"][0]
            print("first load, biggest responses: " + ", ".join(f"{b / 1e3:.0f} kB {u}" for b, u in first["by_url"][:6]))
        if res.get("drag"):
            print("drags: " + "; ".join(f"{x['updates']} painted / {x['previews']} previews / {x['moves']} moves, "
                                        f"last move -> painted {x['last_move_to_painted'] or float('nan'):.0f} ms"
                                        for x in res["drag"]["drags"]))
            print(f"the thumb kept focus through the drags: {res['drag']['thumb_kept_focus']}")
        if res.get("keys"):
            print(f"the thumb kept focus through the key presses: {res['keys']['kept_focus']}")
        if res.get("readout"):
            print(f"readout: biggest replies {res['readout']['urls']}")
        if res.get("errors"):
            print("page errors:", *res["errors"][:5], sep="\n  ")
        print()
        print(table(rows(res)))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--servers", default="gunicorn,module",
                    help="comma-separated: gunicorn (scripts/serve.sh), module (python -m descent_lab)")
    ap.add_argument("--drags", type=int, default=6, help="1-second mouse drags (default 6)")
    ap.add_argument("--presses", type=int, default=12, help="keyboard steps (default 12)")
    ap.add_argument("--loads", type=int, default=3, help="cold loads per page on loopback (default 3)")
    ap.add_argument("--repeats", type=int, default=3, help="side-by-side switches (default 3)")
    ap.add_argument("--seconds", type=float, default=4.0, help="seconds of play per fps figure (default 4)")
    ap.add_argument("--only", default=",".join(PARTS),
                    help="comma-separated parts to measure (default all): " + ", ".join(PARTS))
    ap.add_argument("--json", type=Path, help="also write the raw measurements here")
    args = ap.parse_args(argv)
    args.only = {s.strip() for s in args.only.split(",") if s.strip()}
    if not args.only <= set(PARTS):
        ap.error("--only takes " + ", ".join(PARTS))
    args.servers = [s.strip() for s in args.servers.split(",") if s.strip()]
    if not set(args.servers) <= {"gunicorn", "module"}:
        ap.error("--servers takes gunicorn and/or module")
    try:
        results = measure(args)
    except Exception as exc:  # noqa: BLE001  (no browser, no app, the page never loaded: say so)
        if isinstance(exc, KeyboardInterrupt):
            raise
        print(f"browser benchmark could not run: {exc}", file=sys.stderr)
        if os.environ.get("BENCH_TRACEBACK"):
            raise
        return 1
    report(results)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1, default=str))
    return 0  # a benchmark, not a test: missed targets are reported, not an error


if __name__ == "__main__":
    raise SystemExit(main())
