"""A freshly started server answers its very first requests correctly.

Dash finishes setting itself up on its first request and marks that done before it has
registered the scripts it serves, so concurrent first requests to a new worker used to
get a 404 for a core script (and that page never loaded). Each worker now serves the
page and its scripts once, alone, before it accepts a connection
(``gunicorn.conf.py``'s ``post_worker_init`` calling ``ui.serving.server.warm``).

Here: a burst of page loads (the page, then every script and stylesheet it links, all
at once from many clients) hits the stack the moment its port accepts, before anything
else has touched it; every reply must be a 200. Then the same with ``FRONT=none``
(gunicorn alone on the port), where gunicorn's own refusals must carry the headers too.
``loadtest/fresh_start.py`` repeats this over many starts, with and without the warm-up.
"""

from __future__ import annotations

import pytest

from loadtest.dash_client import Stack, raw_exchange
from loadtest.fresh_start import burst, wait_for_port

CLIENTS = 12


@pytest.mark.parametrize("front", ["nginx", "none"])
def test_a_burst_at_a_fresh_start_gets_every_script(tmp_path, front):
    log = tmp_path / "serve.log"
    server = Stack(workers=2, threads=4, log_path=log, front=front)
    try:
        wait_for_port(server, timeout=90)
        results = burst(server.url, clients=CLIENTS)
        pages = [r for r in results if r.path == "/"]
        assert len(pages) == CLIENTS
        scripts = [r for r in results if r.path.startswith(("/_dash-component-suites/", "/assets/"))]
        assert len(scripts) >= CLIENTS * 10, "each page links its bundles and assets"
        failed = [(r.path, r.status) for r in results if r.status != 200]
        assert not failed, f"{len(failed)} of {len(results)} first requests failed: {failed[:5]}"
        if front == "none":
            # gunicorn answers malformed HTTP itself here: JSON and the strict headers
            reply = raw_exchange(server.url, b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
            assert reply.status == 400 and reply.headers["content-type"] == "application/json"
            assert reply.headers["content-security-policy"].startswith("default-src 'none'")
            assert reply.headers["x-frame-options"] == "DENY"
            assert reply.headers["x-content-type-options"] == "nosniff"
    finally:
        code = server.stop()
    text = log.read_text(errors="replace")
    assert code == 0, text[-3000:]
    assert text.count("warmed up: ") == 2, text[-3000:]
    assert "Traceback" not in text
