"""Short versions of the load, soak and kill scripts in ``loadtest/``, so they cannot rot.

One stack (``scripts/serve.sh``: nginx, gunicorn with 2 workers x 4 threads, loopback) for the module; the
full runs (50 users for 60 s, a 5-minute soak, a kill under 50 users) are the same
functions with bigger numbers, and their results are in the README's Deploying section.
"""

from __future__ import annotations

from loadtest.kill_worker import kill_under_load, verdict
from loadtest.load import run_load
from loadtest.soak import slope_per_minute, soak


def test_load_10_users_10_s_without_failures(stack):
    """Every request answered, none refused. How fast is not asserted: a reply slower than
    2 s is an error in loadtest/load.py's report, but on a shared CI machine that is the
    machine's load, not the code (a run beside a busy browser suite took 3.4 s once)."""
    stats, elapsed = run_load(stack.url, users=10, seconds=10)
    summary = stats.summary(elapsed, slow=2.0)
    print(summary)
    assert summary["failed"] == 0, summary["first_failures"]
    assert summary["retried"] == 0  # no connection failed: nothing was killed here
    # every kind of request was exercised; how many, and how fast, is the machine's business
    # (loadtest/load.py prints the timings; the README's figures come from its full runs)
    assert summary["by_kind"].get("drag", 0) > 0 and summary["by_kind"].get("preset", 0) > 0


def test_soak_20_s_memory_levels_off(stack):
    """A smoke version of the 5-minute soak: the first half fills the app's bounded caches;
    in the second half no worker may grow by more than 15 MB (keeping every reply would)."""
    result = soak(stack, seconds=20, users=10, every=1.0, warmup=0.5)
    print({pid: w for pid, w in result["workers"].items()})
    assert result["load"]["failed"] == 0, result["load"]["first_failures"]
    assert len(result["workers"]) == 2
    for pid, worker in result["workers"].items():
        assert worker["samples"] >= 10, pid
        assert worker["growth_after_warmup_mb"] < 15, (pid, worker)


def test_slope_per_minute():
    assert slope_per_minute([(0, 100.0), (60, 110.0), (120, 120.0)]) == 10.0
    assert slope_per_minute([(0, 5.0), (30, 5.0)]) == 0.0


def test_kill_a_worker_under_load_loses_nothing(stack):
    """Last: SIGKILL one worker while 10 users work; gunicorn replaces it, requests whose
    connection died with it succeed when sent once more, everyone carries on."""
    result = kill_under_load(stack, users=10, seconds=12, kill_at=4)
    print({k: v for k, v in result.items() if k != "load"})
    assert verdict(result, users=10, count_slow=False) == []
    assert result["replaced_after_s"] is not None and result["replaced_after_s"] < 10
    assert len(stack.workers()) == 2
