"""ui/serving/budget.py: estimates, limits and the per-worker gate, with a fake engine cost and a
fake clock (nothing here depends on how fast the machine is)."""

from __future__ import annotations

import threading

import pytest

from descent_lab.ui.serving.budget import (
    BUSY,
    Busy,
    Estimate,
    Gate,
    Limits,
    OverBudget,
    current_deadline,
    estimate_runs,
    gate,
)
from descent_lab.ui.serving.server import Config


def fake_cost(key, surface, steps, runs=1, batch=False):
    """optimizers.cost's interface: Newton pays for its Hessian, a batch is cheaper per run."""
    per_step = surface["per_step"] * (3.0 if key == "newton" else 1.0)
    return steps * per_step * (runs * 0.1 + 1 if batch else runs)


SURFACE = {"per_step": 2.0}
LIMITS = Limits(max_units=100_000, heavy_units=5_000, heavy_slots=1, wait_seconds=0.5, seconds=4.0)


def test_an_estimate_adds_its_parts_and_names_the_largest():
    runs = [{"optimizer": "adam"}, {"optimizer": "newton"}]
    e = estimate_runs(runs, fake_cost, SURFACE, steps=1000)
    assert e.units == 1000 * 2 + 1000 * 6
    assert e.largest() == "run 2 (newton, 1,000 steps)"
    fan = estimate_runs(runs, fake_cost, SURFACE, steps=1000, fan=20)
    assert fan.units == e.units + 1000 * 2 * 3 + 1000 * 6 * 3
    assert "noise fan (20 seeds)" in " ".join(w for w, _ in fan.parts)
    assert (e + fan).units == e.units + fan.units


def test_cached_runs_cost_nothing():
    runs = [{"optimizer": "adam"}] * 8
    moved = estimate_runs(runs, fake_cost, SURFACE, steps=10_000, fresh=lambda i: i == 3)
    assert moved.units == 10_000 * 2 and len(moved.parts) == 1  # a slider moves one run


def test_limits_from_seconds_and_from_the_environment():
    limits = Limits.from_seconds(2.0, heavy_slots=1, unit_seconds=2e-6)
    assert limits.max_units == pytest.approx(1_000_000)
    assert limits.heavy_units == pytest.approx(50_000) and limits.seconds == 4.0
    config = Config.from_env({"REQUEST_SECONDS": "3", "HEAVY_REQUESTS": "2", "THREADS": "4"})
    assert Limits.from_config(config).heavy_slots == 2
    with pytest.raises(ValueError, match="inconsistent"):
        Limits(max_units=10, heavy_units=20, heavy_slots=1, wait_seconds=0, seconds=1)


@pytest.mark.parametrize("env,words", [
    ({"REQUEST_SECONDS": "0"}, "REQUEST_SECONDS must be between 0.1 and 60"),
    ({"REQUEST_SECONDS": "fast"}, "REQUEST_SECONDS must be a number of seconds"),
    ({"HEAVY_REQUESTS": "4", "THREADS": "4"}, "HEAVY_REQUESTS must be at most THREADS - 1"),
    ({"HEAVY_REQUESTS": "0"}, "HEAVY_REQUESTS must be between 1 and 64"),
])
def test_malformed_budget_settings_stop_the_server(env, words):
    with pytest.raises(ValueError, match=words):
        Config.from_env(env)


def test_over_the_budget_is_refused_before_any_work_with_what_to_reduce():
    g = Gate(LIMITS)
    heavy = estimate_runs([{"optimizer": "newton"}] * 8, fake_cost, SURFACE, steps=10_000, fan=20)
    ran = []
    with pytest.raises(OverBudget) as refused:
        with g.admit(heavy):
            ran.append(1)
    assert ran == []
    message = str(refused.value)
    assert "times the work one request may do" in message and "Reduce the steps" in message
    assert "noise fan" in message  # the largest part is named
    assert g.counts.over_budget == 1 and isinstance(refused.value, ValueError)


def test_light_requests_never_wait_and_get_a_deadline():
    now = [100.0]
    g = Gate(LIMITS, clock=lambda: now[0])
    with g.admit(Estimate((("slider", 1000.0),))) as ticket:
        assert not ticket.heavy and ticket.deadline == 104.0
        # while a light one runs, any number of others run too
        with g.admit(Estimate((("slider", 1000.0),))), g.admit(Estimate((("slider", 10.0),))):
            pass
    assert g.counts.light == 3 and g.counts.heavy == 0


def test_heavy_requests_take_turns_and_the_rest_hear_busy():
    g = Gate(Limits(max_units=100_000, heavy_units=5_000, heavy_slots=1, wait_seconds=0.0, seconds=4.0))
    big = Estimate((("8 runs", 50_000.0),))
    with g.admit(big) as first:
        assert first.heavy
        with pytest.raises(Busy, match="busy"):
            with g.admit(big):
                pass
        with g.admit(Estimate((("slider", 100.0),))):  # a slider still goes through
            pass
    with g.admit(big):  # the slot is free again
        pass
    assert (g.counts.heavy, g.counts.busy, g.counts.light) == (2, 1, 1)
    assert "try again" in BUSY.lower() and "nothing was changed" in BUSY


def test_a_waiting_heavy_request_gets_the_slot_when_it_frees():
    g = Gate(Limits(max_units=100_000, heavy_units=5_000, heavy_slots=1, wait_seconds=30.0, seconds=4.0))
    big = Estimate((("8 runs", 50_000.0),))
    order, holding, done = [], threading.Event(), threading.Event()

    def second():
        with g.admit(big):
            order.append("second")
        done.set()

    with g.admit(big):
        order.append("first")
        thread = threading.Thread(target=second)
        thread.start()
        holding.wait(0.2)  # the second one is waiting for the slot, not refused
        assert order == ["first"]
    done.wait(30)
    thread.join(30)
    assert order == ["first", "second"] and g.counts.busy == 0


def test_the_slot_is_released_when_the_work_fails():
    g = Gate(Limits(max_units=100_000, heavy_units=5_000, heavy_slots=1, wait_seconds=0.0, seconds=4.0))
    big = Estimate((("8 runs", 50_000.0),))
    with pytest.raises(RuntimeError):
        with g.admit(big):
            raise RuntimeError("the engine stopped at its deadline")
    with g.admit(big):
        pass


def test_the_process_gate_reads_the_environment_once():
    assert gate() is gate()
    assert gate().limits == Limits.from_config(Config.from_env())


def test_the_deadline_reaches_code_inside_the_block_and_only_there():
    now = [50.0]
    g = Gate(LIMITS, clock=lambda: now[0])
    assert current_deadline() is None
    with g.admit(Estimate((("a", 10.0),))) as ticket:
        assert current_deadline() == ticket.deadline == 54.0
        now[0] = 52.0
        with g.admit(Estimate((("nested", 10.0),))):  # a nested admission never extends it
            assert current_deadline() == 54.0
        seen = []
        thread = threading.Thread(target=lambda: seen.append(current_deadline()))
        thread.start()
        thread.join()
        assert seen == [None]  # another request's thread has its own
    assert current_deadline() is None


def test_heavy_work_runs_on_a_lower_priority_thread_with_the_deadline():
    import os

    g = Gate(LIMITS, clock=lambda: 10.0)
    here = threading.get_native_id()

    def where():
        tid = threading.get_native_id()
        return tid, os.getpriority(os.PRIO_PROCESS, tid), current_deadline()

    with g.admit(Estimate((("slider", 10.0),))) as light:
        assert light.run(where) == (here, os.getpriority(os.PRIO_PROCESS, here), 14.0)  # inline
    with g.admit(Estimate((("8 runs", 50_000.0),))) as heavy:
        tid, nice, deadline = heavy.run(where)
    assert tid != here and nice >= os.getpriority(os.PRIO_PROCESS, here) + 10 - 1
    assert deadline == 14.0
    with g.admit(Estimate((("8 runs", 50_000.0),))) as heavy:
        with pytest.raises(ZeroDivisionError):  # the work's own error reaches the request
            heavy.run(lambda: 1 / 0)


def test_a_download_may_wait_longer_than_a_slider():
    g = Gate(Limits(max_units=100_000, heavy_units=5_000, heavy_slots=1, wait_seconds=0.0, seconds=4.0))
    big = Estimate((("an export", 50_000.0),))
    got = []

    def later():
        with g.admit(big, wait=30.0):
            got.append("second")

    with g.admit(big):
        thread = threading.Thread(target=later)
        thread.start()
        with pytest.raises(Busy):  # the limits' own wait (none)
            with g.admit(big):
                pass
    thread.join(30)
    assert got == ["second"]
