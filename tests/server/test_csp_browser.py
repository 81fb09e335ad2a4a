"""The Content-Security-Policy against the real page in headless Chromium.

The hardened server (``app.server`` with ``ui/serving/server.py``'s headers, served by werkzeug
in a thread) is opened in the system Chromium with the policy *enforced*; a
``securitypolicyviolation`` listener is installed before any page script runs. The page
must load, render its MathJax formulas (SVG) and its Plotly graphs, answer a slider
move and a lesson, and report no violation and no console error. That is how the policy
was shown not to need ``'unsafe-eval'`` or ``'unsafe-inline'`` for scripts.

Control runs serve the same page with one allowance removed (the inline-script hashes;
``'unsafe-inline'`` for styles) and expect violations of that directive: the listener
really sees what a policy blocks, and neither allowance is there for nothing.
"""

from __future__ import annotations

import json
import re
import threading
import time

import pytest

pytestmark = pytest.mark.browser

LISTENER = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', function (e) {
  window.__csp.push({directive: e.violatedDirective, blocked: e.blockedURI, sample: e.sample});
});
"""


class _Rewrite:
    """WSGI middleware: the same app with one change to its CSP header."""

    def __init__(self, wsgi, pattern: str, replacement: str):
        self.wsgi, self.pattern, self.replacement = wsgi, pattern, replacement

    def __call__(self, environ, start_response):
        def start(status, headers, exc_info=None):
            fixed = []
            for name, value in headers:
                if name.lower() == "content-security-policy":
                    value = re.sub(self.pattern, self.replacement, value)
                fixed.append((name, value))
            return start_response(status, fixed, exc_info)

        return self.wsgi(environ, start)


CONTROLS = {
    # without the hashes, Dash's inline start-up script is refused
    "no-script-hashes": (r" 'sha256-[^']*'", "", "script-src"),
    # without 'unsafe-inline' for styles, Plotly's and MathJax's run-time styles are refused
    "no-inline-styles": (r"style-src 'self' 'unsafe-inline'", "style-src 'self'", "style-src"),
}


@pytest.fixture(scope="module")
def servers():
    """The hardened app, and one copy of it per control policy, each on its own port."""
    from werkzeug.serving import make_server

    from descent_lab.app import app

    apps = {"real": app.server}
    apps.update({name: _Rewrite(app.server, pattern, repl) for name, (pattern, repl, _) in CONTROLS.items()})
    running = {name: make_server("127.0.0.1", 0, wsgi, threaded=True) for name, wsgi in apps.items()}
    for srv in running.values():
        threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield {name: f"http://127.0.0.1:{srv.server_port}" for name, srv in running.items()}
    for srv in running.values():
        srv.shutdown()


@pytest.fixture(scope="module")
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    try:  # tests/ is on sys.path (rootdir conftest) or the repository root is
        from browser_flags import chromedriver_path, chromium_flags, chromium_path
    except ImportError:
        from tests.browser_flags import chromedriver_path, chromium_flags, chromium_path

    options = Options()
    for flag in chromium_flags:
        options.add_argument(flag)
    options.binary_location = chromium_path
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(service=Service(chromedriver_path), options=options)
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": LISTENER})
    yield driver
    driver.quit()


def _wait(driver, script, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = driver.execute_script(script)
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for: {script}")


def _network(driver) -> tuple[list[str], list[tuple[str, int]]]:
    """(every requested URL, (URL, status) of every response) since the last call."""
    requested, answered = [], []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            requested.append(message["params"]["request"]["url"])
        elif message["method"] == "Network.responseReceived":
            response = message["params"]["response"]
            answered.append((response["url"], response["status"]))
    return requested, answered


def test_csp001_page_works_under_the_enforced_policy(servers, browser):
    from selenium.webdriver.common.keys import Keys

    url = servers["real"]
    browser.get_log("browser"), _network(browser)  # start clean
    browser.get(url + "/")
    policy = browser.execute_script(
        "return fetch(location.href).then(r => r.headers.get('content-security-policy'))")
    assert "script-src 'self' 'sha256-" in policy and "'unsafe-eval'" not in policy

    # Plotly draws the contour and the two charts
    _wait(browser, "return document.querySelectorAll('.js-plotly-plot .main-svg').length >= 3")
    # MathJax, fetched when a formula is first opened, typesets it as SVG under the policy
    toggle = _wait(browser, "return document.querySelector('button.formula-toggle')")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'}); arguments[0].click()", toggle)
    _wait(browser, "return document.querySelectorAll('mjx-container svg').length >= 1", timeout=40)

    # a slider move (keyboard) and a lesson go through the callback endpoint
    slider = _wait(browser, "return document.querySelector('[role=slider]')")
    slider.click()
    slider.send_keys(Keys.ARROW_RIGHT)
    before = browser.execute_script("var l = document.querySelector('.lesson'); return l ? l.innerText : ''")
    buttons = browser.find_elements("css selector", "button[id*='lesson-pick']")
    assert len(buttons) >= 2
    browser.execute_script("arguments[0].click()", buttons[-1])  # the last lesson (not the one open)
    _wait(browser, "var l = document.querySelector('.lesson');"
                   f"return l && l.innerText.length > 0 && l.innerText !== {json.dumps(before)}")
    time.sleep(1.0)
    # the PNG export (Plotly.toImage's data: URL drawn into a canvas) works too
    size = browser.execute_async_script(
        "var done = arguments[arguments.length - 1];"
        "window.descentLab.composePng().then(b => done(b ? b.size : -1), e => done(String(e)));")
    assert isinstance(size, int) and size > 10_000, size

    violations = browser.execute_script("return window.__csp")
    assert violations == [], violations
    errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == [], errors
    requested, answered = _network(browser)
    assert [u for u in requested if not u.startswith((url, "data:", "blob:"))] == []
    callbacks = [status for u, status in answered if "/_dash-update-component" in u]
    assert len(callbacks) >= 3 and set(callbacks) <= {200, 204}, callbacks  # load, slider, lesson
    assert all(status < 400 for _, status in answered), answered


@pytest.mark.parametrize("control", sorted(CONTROLS))
def test_csp002_each_allowance_is_needed(servers, browser, control):
    """The page under a policy without one allowance reports violations of that directive:
    the listener sees what a policy blocks, and the allowance is not there for nothing."""
    browser.get(servers[control] + "/")
    directive = CONTROLS[control][2]
    violations = _wait(browser, "return window.__csp.length ? window.__csp : null", timeout=15)
    assert any(v["directive"].startswith(directive) and v["blocked"] == "inline" for v in violations), violations
