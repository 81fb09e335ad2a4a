"""What keeps the page quick, checked as behaviour in real headless Chromium (dash_duo; the
flags are in tests/conftest.py). Nothing here asserts on speed: the figures are measured by
benchmarks/bench_browser.py. These tests check the mechanisms those figures rest on:

* a real mouse drag repaints the paths several times before the button is released (the
  page previews from the slider's thumb), the state settles once, at release, with one
  race callback, and the thumb is the same element, still focused, afterwards;
* a keyboard step is previewed, then committed once;
* the page loads its own Plotly bundle only (core, heatmap, contour): no full Plotly, no
  cartesian bundle, no 3D bundle until the 3D view opens, no MathJax until a formula is
  shown; the favicon is fetched once, however often a commit rewrites the link;
* the view toggle redraws from the layouts the page already holds; side by side, the
  panels draw the contour's bands as images (no contour trace traced eight times);
* switching the readout on shows its table from the lean route.

Requests are counted by the server itself (a Flask hook on the app under test), so they
include what the browser fetches on its own (the favicon).
"""

import io
import json
import threading
import time
from urllib.parse import parse_qs, urlsplit

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.keys import Keys

from descent_lab.ui.core import ids
from descent_lab.ui.core.state import validate_state
from descent_lab.ui.core.url import encode_url

RUNS = [("gd", {"lr": 1e-3}), ("adam", {"lr": 1e-2}), ("rmsprop", {"lr": 3e-3})]
SLIDER_RUN = 1  # Adam's learning rate
STEPS, FRAME = 300, 150

# Every animation frame, a cheap checksum of the paths canvas (scaled down 3x): what
# reached the screen, whatever the app does inside.
SAMPLER = r"""
if (window.__paints) { return; }
var P = window.__paints = {on: false, sums: [], last: null}, small = document.createElement('canvas');
var sctx = small.getContext('2d', {willReadFrequently: true});
function checksum() {
  var cv = document.querySelector('#main-graph canvas.frame-overlay');
  if (!cv || !cv.width) { return 0; }
  small.width = Math.max(1, Math.round(cv.width / 3)); small.height = Math.max(1, Math.round(cv.height / 3));
  sctx.imageSmoothingQuality = 'high'; sctx.drawImage(cv, 0, 0, small.width, small.height);
  var d = new Uint32Array(sctx.getImageData(0, 0, small.width, small.height).data.buffer), a = 1, b = 0;
  for (var i = 0; i < d.length; i++) { a = (a + d[i]) % 65521; b = (b + a) % 65521; }
  return b * 65536 + a;
}
P.checksum = checksum;
(function loop() {
  if (P.on) { var s = checksum(); if (s !== P.last) { P.sums.push(s); P.last = s; } }
  window.requestAnimationFrame(loop);
})();
"""


class Requests:
    """Every request the app under test answers: path, and the race callback's (the one
    that writes the state store) told apart from the others."""

    def __init__(self):
        self.lock = threading.Lock()
        self.log = []

    def record(self, path, race):
        with self.lock:
            self.log.append((path, race))

    def paths(self):
        with self.lock:
            return [p for p, _ in self.log]

    def race_callbacks(self):
        with self.lock:
            return sum(1 for _, race in self.log if race)

    def count(self, fragment):
        return sum(fragment in p for p in self.paths())


class Counting:
    """WSGI middleware in front of the app under test: notes every request it answers."""

    def __init__(self, app):
        self.app, self.seen = app, None

    def __call__(self, environ, start_response):
        if self.seen is not None:
            path, race = environ.get("PATH_INFO", ""), False
            if path == "/_dash-update-component":
                size = int(environ.get("CONTENT_LENGTH") or 0)
                body = environ["wsgi.input"].read(size) if size else b""
                environ["wsgi.input"] = io.BytesIO(body)
                race = f"{ids.STATE}.data".encode() in body.split(b'"outputs"')[0]
            self.seen.record(path, race)
        return self.app(environ, start_response)


@pytest.fixture(scope="module")
def requests_seen(descent_app):
    server = descent_app.server
    if not isinstance(server.wsgi_app, Counting):
        server.wsgi_app = Counting(server.wsgi_app)
    server.wsgi_app.seen = seen = Requests()
    yield seen
    server.wsgi_app.seen = None


def js(dash_duo, script, *args):
    return dash_duo.driver.execute_script(script, *args)


def wait_until(predicate, timeout=30.0, message="condition"):
    """Poll until truthy; the timeout only bounds a failure."""
    end, last = time.time() + timeout, None
    while time.time() < end:
        try:
            last = predicate()
            if last:
                return last
        except Exception as exc:  # the page may be mid-render
            last = exc
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {message} (last: {last!r})")


def search(**changes):
    state, errors = validate_state({
        "surface": {"key": "rosenbrock", "params": {}},
        "runs": [{"optimizer": key, "hparams": hp} for key, hp in RUNS],
        "steps": STEPS, "frame": FRAME, **changes})
    assert errors == []
    return encode_url(state)


def open_page(dash_duo, descent_app, query):
    dash_duo.start_server(descent_app)
    dash_duo.driver.get(dash_duo.server_url + "/" + query)
    wait_until(lambda: js(dash_duo, "var c = window.descentLab; return !!(c && c.paths && c.runs.length === %d "
                                    "&& document.querySelector('#main-graph canvas.frame-overlay'));" % len(RUNS)),
               message="the contour and the paths")
    js(dash_duo, SAMPLER)
    js(dash_duo, "window.descentLab.pause();")


def lr_in_url(dash_duo):
    query = parse_qs(urlsplit(js(dash_duo, "return window.location.href;")).query)
    return query["run"][SLIDER_RUN]


def thumb_selector():
    dom_id = json.dumps(ids.hparam(SLIDER_RUN, "lr"), sort_keys=True, separators=(",", ":"))
    return '[id="' + dom_id.replace('"', '\\"') + '"] [role=slider]'


def settled(dash_duo, requests_seen, quiet=1.0):
    """Nothing asked of the server for ``quiet`` seconds."""
    last = [len(requests_seen.paths()), time.time()]

    def still():
        n = len(requests_seen.paths())
        if n != last[0]:
            last[:] = [n, time.time()]
        return time.time() - last[1] >= quiet
    wait_until(still, message="the page to settle")


def test_perf001_a_mouse_drag_repaints_the_paths_before_release_and_settles_once(dash_duo, descent_app,
                                                                                 requests_seen):
    open_page(dash_duo, descent_app, search())
    settled(dash_duo, requests_seen)
    thumb = dash_duo.find_element(thumb_selector())
    js(dash_duo, "arguments[0].scrollIntoView({block: 'center'}); window.__thumb = arguments[0];", thumb)
    before_url, races, previews = lr_in_url(dash_duo), requests_seen.race_callbacks(), requests_seen.count("/api/preview")
    js(dash_duo, "window.__paints.sums = []; window.__paints.last = window.__paints.checksum(); window.__paints.on = true;")

    chain = ActionChains(dash_duo.driver).click_and_hold(thumb)
    for _ in range(12):
        chain.move_by_offset(-4, 0).pause(0.15)
    chain.perform()
    # the button is still down: the paths have been repainted, the state has not moved
    wait_until(lambda: len(js(dash_duo, "return window.__paints.sums;")) >= 3, message="paints while dragging")
    assert requests_seen.count("/api/preview") - previews >= 3
    assert lr_in_url(dash_duo) == before_url
    assert requests_seen.race_callbacks() == races

    ActionChains(dash_duo.driver).release().perform()
    wait_until(lambda: lr_in_url(dash_duo) != before_url, message="the new learning rate in the link")
    settled(dash_duo, requests_seen)
    assert requests_seen.race_callbacks() - races == 1  # the state settled once, at release
    assert js(dash_duo, "return document.querySelector(arguments[0]) === window.__thumb;", thumb_selector())
    assert js(dash_duo, "return document.activeElement === window.__thumb;")
    # what is on screen is the committed value's paths (the release repaints nothing else)
    shown = js(dash_duo, "return window.__paints.checksum();")
    js(dash_duo, "window.descentLab.drawFrame();")
    assert js(dash_duo, "return window.__paints.checksum();") == shown


def test_perf002_a_keyboard_step_is_previewed_then_committed_once(dash_duo, descent_app, requests_seen):
    open_page(dash_duo, descent_app, search())
    settled(dash_duo, requests_seen)
    thumb = dash_duo.find_element(thumb_selector())
    js(dash_duo, "arguments[0].scrollIntoView({block: 'center'}); arguments[0].focus();", thumb)
    before_url, races, previews = lr_in_url(dash_duo), requests_seen.race_callbacks(), requests_seen.count("/api/preview")
    shown = js(dash_duo, "return window.__paints.checksum();")
    thumb.send_keys(Keys.ARROW_LEFT)
    wait_until(lambda: lr_in_url(dash_duo) != before_url, message="the stepped learning rate in the link")
    settled(dash_duo, requests_seen)
    assert requests_seen.count("/api/preview") - previews == 1
    assert requests_seen.race_callbacks() - races == 1
    assert js(dash_duo, "return window.__paints.checksum();") != shown
    assert js(dash_duo, "return document.activeElement.getAttribute('role');") == "slider"


def test_perf003_bundles_come_when_needed(dash_duo, descent_app, requests_seen):
    seen_before = len(requests_seen.paths())
    open_page(dash_duo, descent_app, search())
    settled(dash_duo, requests_seen)
    paths = requests_seen.paths()[seen_before:]
    assert any(p.endswith("plotly-contour.min.js") for p in paths)
    assert not any("plotly.min.js" in p or "async-plotlyjs" in p for p in paths), "a full Plotly bundle"
    assert not any("gl3d" in p for p in paths) and not any("mathjax" in p for p in paths)
    traces = js(dash_duo, "return Object.keys(window.Plotly.PlotSchema.get().traces);")
    assert {"scatter", "heatmap", "contour"} <= set(traces)  # what the page and the maps draw
    assert not {"surface", "bar", "box", "histogram", "pie"} & set(traces)  # the page's own bundle

    formula = dash_duo.find_element(f"[id*='{ids.FORMULA_TOGGLE}']")
    js(dash_duo, "arguments[0].scrollIntoView({block: 'center'});", formula)
    formula.click()
    wait_until(lambda: requests_seen.count("mathjax"), message="MathJax once a formula is opened")
    assert not any("gl3d" in p for p in requests_seen.paths())

    box = dash_duo.find_element(f"#{ids.SHOW} input[value=view3d]")
    js(dash_duo, "arguments[0].scrollIntoView({block: 'center'});", box)
    box.click()
    wait_until(lambda: requests_seen.count("plotly-gl3d"), message="the 3D bundle once the 3D view opens")
    wait_until(lambda: js(dash_duo, "return !!window.descentLab.instruments.has3d;"), message="the 3D view")
    assert "contour" in js(dash_duo, "return Object.keys(window.Plotly.PlotSchema.get().traces);")
    assert "surface" not in js(dash_duo, "return Object.keys(window.Plotly.PlotSchema.get().traces);")


def test_perf004_the_view_toggle_redraws_from_what_the_page_holds(dash_duo, descent_app, requests_seen):
    open_page(dash_duo, descent_app, search())
    settled(dash_duo, requests_seen)
    js(dash_duo, "var gd = document.querySelector('#main-graph .js-plotly-plot'); window.__redraws = 0;"
                 "gd.on('plotly_afterplot', function () { window.__redraws += 1; });")
    dash_duo.find_element(f"#{ids.VIEW} input[value=grid]").click()
    # drawn by the page on the click, before any server reply
    assert js(dash_duo, "var gd = document.querySelector('#main-graph .js-plotly-plot');"
                        "return !!(gd._fullLayout.xaxis3 && window.descentLab.view === 'grid');")
    settled(dash_duo, requests_seen)
    gd = "document.querySelector('#main-graph .js-plotly-plot')"
    types = js(dash_duo, f"return {gd}.data.map(function (t) {{ return t.type; }});")
    assert types.count("heatmap") == len(RUNS) and "contour" not in types
    assert js(dash_duo, f"return {gd}.data[0].z[0].length;") > 50  # the contour's grid, banded
    assert js(dash_duo, "return window.__redraws;") == 1  # the server's answer drew nothing again
    assert "view=grid" in js(dash_duo, "return window.location.search;")
    dash_duo.find_element(f"#{ids.VIEW} input[value=overlay]").click()
    settled(dash_duo, requests_seen)
    types = js(dash_duo, f"return {gd}.data.map(function (t) {{ return t.type; }});")
    assert types.count("contour") == 1 and "heatmap" not in types


def test_perf005_the_readout_shows_its_table_from_the_lean_route(dash_duo, descent_app, requests_seen):
    open_page(dash_duo, descent_app, search())
    settled(dash_duo, requests_seen)
    asked = requests_seen.count("/api/readout")
    box = dash_duo.find_element(f"#{ids.SHOW} input[value=readout]")
    js(dash_duo, "arguments[0].scrollIntoView({block: 'center'});", box)
    box.click()
    wait_until(lambda: js(dash_duo, f"return document.querySelectorAll('#{ids.READOUT_TABLE} tbody tr').length;")
               == len(RUNS), message="the readout's table")
    settled(dash_duo, requests_seen)
    assert requests_seen.count("/api/readout") - asked == 1  # the commit's state asked nothing twice
    text = dash_duo.find_element(f"#{ids.READOUT_TABLE}").text
    assert f"step {FRAME}" in text and f"update t={FRAME + 1}" in text
    wait_until(lambda: f"step {FRAME}" in dash_duo.find_element(f"#{ids.READOUT}").text, message="the rules")


def test_perf006_the_favicon_is_fetched_once(dash_duo, descent_app, requests_seen):
    """Chromium may fetch the page's icon again on a history.replaceState (each commit
    rewrites the link) unless the icon may be cached: Dash's own /_favicon.ico carries no
    caching headers, and this test then fails now and then; a fingerprinted, cacheable
    favicon (the static files' handling) makes it hold every time."""
    icons = requests_seen.count("favicon")
    open_page(dash_duo, descent_app, search())
    settled(dash_duo, requests_seen)
    thumb = dash_duo.find_element(thumb_selector())
    js(dash_duo, "arguments[0].scrollIntoView({block: 'center'}); arguments[0].focus();", thumb)
    for key in (Keys.ARROW_RIGHT, Keys.ARROW_LEFT):
        before_url = lr_in_url(dash_duo)
        thumb.send_keys(key)
        wait_until(lambda: lr_in_url(dash_duo) != before_url, message="a committed change")
        settled(dash_duo, requests_seen)
    assert requests_seen.count("favicon") - icons == 1
