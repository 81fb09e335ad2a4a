"""Short versions of ``loadtest/heavy.py`` and ``loadtest/export_memory.py`` against the
production stack (loopback, bounded): students keep working while clients loop the
heaviest request the page can send, and concurrent CSV exports are answered whole by
workers that stay under their memory ceiling. They assert what was answered, never how
fast; the scripts print the timings and the README's figures come from their full runs.
"""

from __future__ import annotations

import pytest

from loadtest.dash_client import Stack
from loadtest.export_memory import measure
from loadtest.heavy import classroom

CEILING_MB = 400


@pytest.fixture(scope="module")
def stack_for_heavy(tmp_path_factory):
    log = tmp_path_factory.mktemp("heavy") / "serve.log"
    server = Stack(workers=2, threads=4, log_path=log)
    try:
        server.wait_ready()
        yield server
    finally:
        code = server.stop(timeout=90)
    text = log.read_text(errors="replace")
    assert code == 0, text[-3000:]
    assert "Traceback" not in text, text[-5000:]


def test_students_are_answered_while_clients_loop_the_heaviest_request(stack_for_heavy):
    result = classroom(stack_for_heavy, students=5, seconds=8, n_loopers=2)
    print(result)
    assert result["without"]["requests"] > 50 and result["with"]["requests"] > 50
    assert result["without"]["failed"] == 0 and result["with"]["failed"] == 0, result["failures"]
    assert result["heavy_requests"] >= 2
    assert all(key.startswith("200 ") for key in result["heavy_outcomes"]), result["heavy_outcomes"]


def test_concurrent_exports_are_whole_and_workers_stay_under_the_ceiling(stack_for_heavy):
    before = stack_for_heavy.workers()
    result = measure(stack_for_heavy, exports=2, rounds=1, steps=2_000)  # 8 runs x 2,000 steps each
    print(result)
    assert [r["status"] for r in result["replies"]] == [200, 200]
    assert all(r["bytes"] > 1_000_000 or "busy" in r["page_shows"] for r in result["replies"])
    assert result["same_workers"] and stack_for_heavy.workers() == before  # none killed
    for pid, worker in result["workers"].items():
        assert worker["peak_mb"] <= CEILING_MB, (pid, worker)
