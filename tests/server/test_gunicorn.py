"""The production server as the Docker image runs it.

A Docker engine cannot run on these machines, so this starts the image's exact command,
``sh scripts/serve.sh`` (gunicorn with ``gunicorn.conf.py``), with ``HOST=127.0.0.1`` and
a free ``PORT`` as a subprocess, and checks what the image's HEALTHCHECK and a browser
would see: ``/healthz``, the page with its security headers, a real callback request,
the limits, the access log, and a clean stop on SIGTERM (what ``docker stop`` sends).
"""

from __future__ import annotations

import base64
import hashlib
import re
import time

import pytest

from descent_lab.ui.core import ids
from loadtest.dash_client import CALLBACK_PATH, Gunicorn, Http, User


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    log = tmp_path_factory.mktemp("serve") / "serve.log"
    # DASH_DEBUG=1 and an embedding origin, as a careless or a course's deployment might set
    server = Gunicorn(workers=2, threads=4, log_path=log,
                      env={"DASH_DEBUG": "1", "FRAME_ANCESTORS": "https://course.example.org"})
    started = time.monotonic()
    try:
        server.wait_ready(timeout=60)
        server.ready_after = time.monotonic() - started
        yield server, log
    finally:
        server.exit_code = server.stop()


def test_healthz_answers_ok(served):
    server, _ = served
    reply = Http(server.url).get("/healthz")
    assert reply.status == 200 and reply.body == b"ok"
    assert len(server.workers()) == 2


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
    # every inline script of the page is allowed by its hash, nothing more is needed
    html = re.sub(r"<!--.*?-->", "", reply.body.decode(), flags=re.S)  # e.g. Dash's IE-only note
    inline = re.findall(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>(.*?)</script>", html, flags=re.S)
    assert inline, "expected Dash's inline renderer script"
    for script in inline:
        digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in csp["script-src"], script[:80]


def test_static_files_and_errors_carry_the_headers_too(served):
    server, _ = served
    http = Http(server.url)
    for path in ("/_dash-layout", "/_dash-dependencies", "/healthz", "/_dash-component-suites/dash/nope.js"):
        reply = http.get(path)
        assert "content-security-policy" in reply.headers, path
        assert reply.headers["x-content-type-options"] == "nosniff", path
    assert http.get("/_dash-component-suites/dash/nope.js").status == 404


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
    reply = Http(server.url).post_json(CALLBACK_PATH, b'{"x": "' + b"y" * 1_100_000 + b'"}')
    assert reply.status == 413 and b"too large" in reply.body


def test_a_long_shared_link_fits_the_request_line(served):
    """The app accepts 8,000-character URLs; gunicorn's default line limit (4,094) would not."""
    server, _ = served
    search = "?surface=valley&" + "&".join(["run=adam(lr=0.1,beta1=0.9,beta2=0.999,eps=1e-08)"] * 8)
    search += "&noise=0" * ((6000 - len(search)) // 8)
    assert len(search) > 5000
    assert Http(server.url).get("/" + search).status == 200


def test_access_log_and_no_debug_under_gunicorn(served):
    server, log = served
    Http(server.url).get("/healthz?from=test")
    time.sleep(0.5)
    text = log.read_text()
    assert re.search(r'"GET /healthz\?from=test HTTP/1.1" 200 2 \d+ms', text), text[-2000:]
    assert "DASH_DEBUG=1 ignored: debug mode is never enabled under gunicorn" in text
    assert "Traceback" not in text


def test_sigterm_stops_it_cleanly(served):
    """Last in the module: stop the server the way `docker stop` does."""
    server, log = served
    assert server.stop(timeout=30) == 0
    text = log.read_text()
    assert "Handling signal: term" in text and "Shutting down: Master" in text
    assert not server.workers()
