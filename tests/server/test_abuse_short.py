"""Short versions of ``loadtest/abuse.py`` against the production stack (loopback, bounded
in time and traffic): idle connections, slowloris sockets and slow readers while probes
and students' slider requests go on. They assert what was answered and what the front
did to the attackers, never how fast (``loadtest/abuse.py`` prints the timings; the
README's figures come from its full runs).
"""

from __future__ import annotations

import pytest

from loadtest.abuse import idle, slow
from loadtest.dash_client import Stack

HEADER_TIMEOUT = 10  # nginx's client_header_timeout (deploy/nginx.conf.template)


@pytest.fixture(scope="module")
def front(tmp_path_factory):
    log = tmp_path_factory.mktemp("abuse") / "serve.log"
    server = Stack(workers=2, threads=4, log_path=log)
    try:
        server.wait_ready()
        yield server
    finally:
        code = server.stop()
    text = log.read_text(errors="replace")
    assert code == 0, text[-3000:]
    assert "Traceback" not in text


def test_idle_connections_neither_block_nor_outlive_the_header_timeout(front):
    """300 connections that never send a byte, held past nginx's header timeout."""
    result = idle(front.url, connections=300, hold=HEADER_TIMEOUT + 2, after=2)
    print(result)
    assert result["opened"] == 300 and result["refused_while_opening"] == 0
    during, after = result["probes_during"], result["probes_after"]
    assert during["sent"] >= 20 and during["answered"] >= 0.9 * during["sent"], during
    assert after["sent"] >= 5 and after["answered"] == after["sent"], after
    # nginx closed every one of them by itself
    assert result["closed_by_server_while_held"] == 300


def test_slowloris_and_slow_readers_do_not_stop_the_class(front):
    """8 sockets trickling a header (a byte every 3 s) and 4 that ask for the 4.8 MB
    bundle and never read it, while probes and 2 students' slider requests go on."""
    result = slow(front.url, slowloris=8, slowloris_seconds=HEADER_TIMEOUT + 4, readers=4, readers_seconds=8,
                  interval=3, students=2)
    print(result)
    probes, sliders = result["probes"], result["slider_requests"]
    assert probes["sent"] >= 50 and probes["answered"] >= 0.9 * probes["sent"], probes
    assert sliders["sent"] >= 10 and sliders["answered"] == sliders["sent"], sliders
    # the header timeout ended every trickling socket; they came back and were ended again
    assert result["slowloris"]["dropped_by_server"] >= 8, result["slowloris"]
    assert result["slow_readers"]["connects"] >= 4
