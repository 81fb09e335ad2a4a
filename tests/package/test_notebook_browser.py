"""The app shown by descent_lab.show() inside a page of another origin, in headless
Chromium: a notebook page on http://localhost:<port> (what Jupyter serves) embeds it and it
renders; a page of an origin not allowed (http://127.0.0.2:<port>) is refused by the
browser with a frame-ancestors violation."""

from __future__ import annotations

import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

try:  # the repository root on sys.path (python -m pytest), or tests/ (plain pytest)
    from tests.browser_flags import chromedriver_path, chromium_flags, chromium_path
except ImportError:
    from browser_flags import chromedriver_path, chromium_flags, chromium_path

pytestmark = pytest.mark.browser


def notebook_page(src: str) -> bytes:
    return (f'<!doctype html><html lang="en"><head><title>notebook</title></head><body>'
            f'<iframe id="app" title="Descent Lab" src="{src}" width="1200" height="800"></iframe>'
            f"</body></html>").encode()


@pytest.fixture(scope="module")
def parent_pages(shown_in_ipython):
    """Two pages embedding the shown app: one served on 127.0.0.1 (opened as localhost),
    one on 127.0.0.2."""
    info, _ = shown_in_ipython
    src = re.search(r'src="([^"]+)"', info["shown"][0]["text/html"]).group(1)
    body = notebook_page(src)

    class Page(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    servers = [ThreadingHTTPServer((host, 0), Page) for host in ("127.0.0.1", "127.0.0.2")]
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    yield (f"http://localhost:{servers[0].server_address[1]}/",
           f"http://127.0.0.2:{servers[1].server_address[1]}/")
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def driver():
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    for flag in chromium_flags:
        options.add_argument(flag)
    options.binary_location = chromium_path
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    drv = webdriver.Chrome(service=Service(chromedriver_path), options=options)
    yield drv
    drv.quit()


def poll(predicate, limit: float = 30.0):
    """The first truthy value of ``predicate()``, or the last one after ``limit`` seconds
    (a bound on a page that never loads, not a speed requirement)."""
    end = time.monotonic() + limit
    value = predicate()
    while not value and time.monotonic() < end:
        time.sleep(0.1)
        value = predicate()
    return value


def test_a_notebook_on_localhost_shows_the_app(driver, parent_pages):
    driver.get_log("browser")
    driver.get(parent_pages[0])
    driver.switch_to.frame(driver.find_element("id", "app"))
    try:
        rendered = poll(lambda: driver.execute_script(
            "return !!document.querySelector('#main-graph .js-plotly-plot .contour');"))
    finally:
        driver.switch_to.default_content()
    assert rendered, "the embedded app did not draw its contour"
    errors = [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == []


def test_a_page_of_another_origin_is_refused(driver, parent_pages):
    driver.get_log("browser")
    driver.get(parent_pages[1])
    seen: list[str] = []

    def violation():
        seen.extend(e["message"] for e in driver.get_log("browser"))
        return any("frame-ancestors" in m for m in seen)

    assert poll(violation), seen
