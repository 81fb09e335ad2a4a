"""Regenerate the README screenshot: the real app in headless Chromium at a laptop size.

``python scripts/screenshot.py [--out docs/screenshot.png] [--side-by-side] [--scale 2]``

What it does, start to finish:

1. starts the app itself (``python app.py`` from this checkout, ``HOST=127.0.0.1`` on a
   free port) and waits for ``/healthz``;
2. launches the system Chromium (``/usr/bin/chromium`` through ``/usr/bin/chromedriver``,
   selenium) with the project's flags (``tests/browser_flags.py``: headless, no outside
   network) and a 1440 x 900 viewport;
3. opens a lesson through its link (``?lesson=KEY``: the lesson's whole set-up; default
   the aligned-versus-rotated ravine), waits for the contour and the paths, lets the
   animation play from step 0 to the lesson's own pause (or ``--frame``), and checks it
   stopped there (``window.descentLab``);
4. checks that the page is finished (no alert, no loading indicator, paths painted on
   the canvas, no browser console errors) and saves the viewport as a PNG.

``--side-by-side`` also writes ``docs/screenshot-side-by-side.png``: three optimizers on
Rosenbrock in the side-by-side view. Exit status 1 when a check fails (nothing is
written then).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # this checkout's ui/ and tests/browser_flags.py

from tests.browser_flags import chromedriver_path, chromium_flags, chromium_path  # noqa: E402


# ----------------------------------------------------------------- the app
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def serve_app(timeout: float = 60.0):
    """``python app.py`` on a free loopback port; yields its base URL."""
    port = free_port()
    env = dict(os.environ, HOST="127.0.0.1", PORT=str(port), DASH_DISABLE_VERSION_CHECK="true")
    env.pop("DASH_DEBUG", None)  # the real app, not debug mode (no dev-tools overlay)
    log = tempfile.TemporaryFile(mode="w+")
    proc = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        end = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                log.seek(0)
                raise RuntimeError(f"app.py exited with status {proc.returncode}:\n{log.read()[-3000:]}")
            try:
                with urllib.request.urlopen(base + "/healthz", timeout=1) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > end:
                raise RuntimeError(f"app.py did not answer {base}/healthz within {timeout:.0f} s")
            time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


# ------------------------------------------------------------- the browser
def chrome(width: int, height: int, scale: float = 1.0, performance_log: bool = False):
    """Headless Chromium with the project's flags and an exact ``width`` x ``height`` viewport."""
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    for path in (chromium_path, chromedriver_path):
        if not os.path.exists(path):
            raise RuntimeError(f"{path} is missing: apt-get install -y chromium chromium-driver "
                               "(scripts/test.sh does it)")
    options = Options()
    for flag in chromium_flags:
        if not flag.startswith(("--window-size", "--force-device-scale-factor")):
            options.add_argument(flag)
    options.add_argument(f"--window-size={width},{height}")
    options.add_argument(f"--force-device-scale-factor={scale:g}")
    options.binary_location = chromium_path
    caps = {"browser": "ALL"}
    if performance_log:
        caps["performance"] = "ALL"  # DevTools Network.* events (bytes on the wire)
    options.set_capability("goog:loggingPrefs", caps)
    driver = webdriver.Chrome(service=Service(chromedriver_path), options=options)
    # --window-size is the window, not the viewport: pin the viewport itself.
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": width, "height": height, "deviceScaleFactor": scale, "mobile": False})
    return driver


def wait_js(driver, expr: str, timeout: float = 30.0, what: str = "the page"):
    """Poll ``return <expr>`` until it is truthy; returns its value."""
    end = time.monotonic() + timeout
    last = None
    while time.monotonic() < end:
        try:
            last = driver.execute_script("return " + expr + ";")
            if last:
                return last
        except Exception as exc:  # noqa: BLE001  (the page may be mid-render)
            last = exc
        time.sleep(0.05)
    raise RuntimeError(f"timed out after {timeout:.0f} s waiting for {what} (last: {last!r})")


LOADED = ("!!(window.descentLab && window.descentLab.paths && window.descentLab.runs.length"
          " && document.querySelector('#main-graph .js-plotly-plot .contour')"
          " && document.querySelector('#main-graph canvas.frame-overlay'))")


def url_for(lesson: str | None = None, **changes) -> str:
    """The link of a lesson (``?lesson=KEY`` alone opens its whole set-up), or of a state
    built from ``changes``."""
    from descent_lab.ui.core.state import validate_state
    from descent_lab.ui.core.url import encode_url

    if lesson and not changes:
        return f"?lesson={lesson}"
    state, errors = validate_state(dict(changes))
    if errors:
        raise ValueError("; ".join(errors))
    return encode_url(state)


def lesson_stop(lesson: str) -> int:
    from descent_lab.ui.race import lessons

    return lessons.get(lesson).stop


def console_errors(driver) -> list[str]:
    return [entry["message"] for entry in driver.get_log("browser") if entry.get("level") == "SEVERE"]


# ------------------------------------------------------------------ a shot
PAINTED = """
var cv = document.querySelector('#main-graph canvas.frame-overlay');
if (!cv || !cv.width) { return 0; }
var d = cv.getContext('2d').getImageData(0, 0, cv.width, cv.height).data, n = 0;
for (var i = 3; i < d.length; i += 4) { if (d[i]) { n++; } }
return n;"""


def shoot(driver, base: str, search: str, frame: int, out: Path, settle: float = 0.6) -> dict:
    """Open ``search``, play from step 0, pause at ``frame``, check the page, save ``out``."""
    driver.get(base + "/" + search)
    wait_js(driver, LOADED, timeout=40, what="the contour and the paths")
    wait_js(driver, "document.fonts.status === 'loaded'", what="the fonts")
    max_frame = driver.execute_script("return window.descentLab.maxFrame;")
    frame = max(0, min(frame, max_frame))
    # The URL opens at step 0 and autoplays: let it play, then pause at the frame.
    wait_js(driver, f"window.descentLab.playing || window.descentLab.frame >= {frame}", what="autoplay")
    wait_js(driver, f"window.descentLab.frame >= {frame}", timeout=max(30, 2 * frame / 30 + 10),
            what=f"the animation to reach step {frame}")
    # (stepBy(0) reports the frame to the server, as the step buttons do)
    driver.execute_script(f"var c = window.descentLab; c.pause(); c.seek({frame}); c.stepBy(0);"
                          "if (document.activeElement) { document.activeElement.blur(); }")
    # the paused frame goes to the server (URL); wait for every callback to settle
    wait_js(driver, f"window.location.search.indexOf('frame={frame}') >= 0", what="the paused frame in the URL")
    wait_js(driver, "!document.querySelector('[data-dash-is-loading=true]')", what="the loading indicator to go")
    time.sleep(settle)  # let Plotly's and the page's transitions finish
    state = driver.execute_script("""
        var c = window.descentLab, alerts = document.getElementById('alerts');
        return {frame: c.frame, maxFrame: c.maxFrame, playing: c.playing, runs: c.runs.length,
                alert: alerts ? alerts.innerText.trim() : '',
                size: [window.innerWidth, window.innerHeight, window.devicePixelRatio]};""")
    state["painted"] = driver.execute_script(PAINTED)
    problems = []
    if state["alert"]:
        problems.append(f"an alert is shown: {state['alert']!r}")
    if state["playing"] or state["frame"] != frame:
        problems.append(f"not paused at step {frame}: {state}")
    if state["painted"] < 500:
        problems.append(f"the paths are not painted ({state['painted']} pixels on the canvas)")
    errors = console_errors(driver)
    if errors:
        problems.append("console errors: " + " | ".join(errors))
    if problems:
        raise RuntimeError("; ".join(problems))
    out.parent.mkdir(parents=True, exist_ok=True)
    png = driver.get_screenshot_as_png()
    out.write_bytes(png)
    state["bytes"] = len(png)
    state["pixels"] = [int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")]
    return state


SIDE_BY_SIDE = dict(
    surface={"key": "rosenbrock", "params": {}},
    runs=[{"optimizer": "gd", "hparams": {"lr": 0.002}},
          {"optimizer": "momentum", "hparams": {"lr": 0.001, "momentum": 0.9}},
          {"optimizer": "adam", "hparams": {"lr": 0.1}}],
    steps=500, view="grid",
)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshot.png")
    ap.add_argument("--lesson", default="aligned-vs-rotated", help="lesson to show (ui/race/lessons.py)")
    ap.add_argument("--frame", type=int, default=None, help="step to pause at (default: the lesson's own pause)")
    ap.add_argument("--width", type=int, default=1440)
    ap.add_argument("--height", type=int, default=900)
    ap.add_argument("--scale", type=float, default=1.0, help="device scale factor (2 = retina)")
    ap.add_argument("--side-by-side", action="store_true",
                    help="also write screenshot-side-by-side.png next to --out")
    ap.add_argument("--side-frame", type=int, default=200, help="step to pause at in the side-by-side shot")
    args = ap.parse_args(argv)

    frame = lesson_stop(args.lesson) if args.frame is None else args.frame
    shots = [(url_for(args.lesson), frame, args.out)]
    if args.side_by_side:
        shots.append((url_for(None, **SIDE_BY_SIDE), args.side_frame,
                      args.out.with_name(args.out.stem + "-side-by-side" + args.out.suffix)))
    from selenium.common.exceptions import WebDriverException

    try:
        with serve_app() as base:
            driver = chrome(args.width, args.height, args.scale)
            try:
                for search, frame, out in shots:
                    info = shoot(driver, base, search, frame, out)
                    print(f"wrote {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}: "
                          f"{info['pixels'][0]} x {info['pixels'][1]} px, {info['bytes'] / 1024:.0f} KB, "
                          f"{info['runs']} runs at step {info['frame']} / {info['maxFrame']}")
                    print(f"  {driver.current_url}")
            finally:
                driver.quit()
    except (RuntimeError, ValueError, WebDriverException) as exc:
        print(f"screenshot failed: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
