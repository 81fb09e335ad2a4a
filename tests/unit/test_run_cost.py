"""Budgets: a deadline inside the runner loops, and a cost estimate before a run.

No test here depends on the clock: a deadline already in the past must stop any
run, and a fake clock counts how often the loops look at it."""

import math
import time

import numpy as np
import pytest

from descent_lab import optimizers, surfaces
from descent_lab.optimizers import BudgetExceeded, cost, run, run_batch, runner, sweeps

BOWL = surfaces.get("bowl")
PAST = -1.0  # time.monotonic() is positive, so this deadline has passed


def _past():
    return time.monotonic() - 1.0


def test_a_deadline_in_the_past_stops_a_long_run():
    with pytest.raises(BudgetExceeded) as err:
        run("adam", BOWL, (3.0, 1.5), optimizers.MAX_STEPS, deadline=_past())
    exc = err.value
    assert isinstance(exc, ValueError)
    assert exc.done == 0 and exc.total == optimizers.MAX_STEPS
    text = str(exc)
    assert text.startswith("This request took too long") and "Reduce the number of steps" in text


@pytest.mark.parametrize("key", ["adam", "newton"])
def test_a_deadline_in_the_past_stops_a_batch(key):
    with pytest.raises(BudgetExceeded, match="took too long"):
        run_batch(key, BOWL, np.zeros((10, 2)) + 1.0, 5000, deadline=_past())


@pytest.mark.parametrize("call", [
    lambda d: sweeps.hyperparameter_map("adam", BOWL, (3.0, 1.5), 500, y_name="beta1", nx=8, ny=8,
                                        deadline=d),
    lambda d: sweeps.basin_map("gd", BOWL, 500, n=8, deadline=d),
    lambda d: sweeps.tune("adam", BOWL, (3.0, 1.5), 500, n_lr=8, deadline=d),
    lambda d: sweeps.tune("adam", BOWL, (3.0, 1.5), 500, n_lr=4, second="beta1", n_second=4,
                          deadline=d),
])
def test_a_deadline_in_the_past_stops_every_sweep_and_says_what_to_reduce(call):
    with pytest.raises(BudgetExceeded) as err:
        call(_past())
    assert "Reduce the grid size or the number of steps" in str(err.value)


class FakeClock:
    """time.monotonic stand-in: each call is one tick later."""

    def __init__(self):
        self.calls = 0

    def __call__(self):
        self.calls += 1
        return float(self.calls)


def test_run_looks_at_its_deadline_once_per_block_of_steps(monkeypatch):
    clock = FakeClock()
    monkeypatch.setattr(runner, "monotonic", clock)
    with pytest.raises(BudgetExceeded) as err:
        run("adam", BOWL, (3.0, 1.5), 5000, lr=1e-6, tol=0.0, deadline=3.0)
    # ticks 1, 2, 3 are within the deadline: three blocks ran, the fourth check stops it
    assert clock.calls == 4 and err.value.done == 3 * runner.CHECK_EVERY
    clock.calls = 0
    tr = run("adam", BOWL, (3.0, 1.5), 1000, lr=1e-6, tol=0.0, deadline=1e9)
    assert tr.steps == 1000 and clock.calls == math.ceil(1000 / runner.CHECK_EVERY)
    clock.calls = 0
    run("adam", BOWL, (3.0, 1.5), 1000, lr=1e-6, tol=0.0)
    assert clock.calls == 0  # no deadline: the clock is never read


def test_run_batch_looks_at_its_deadline_every_few_steps(monkeypatch):
    clock = FakeClock()
    monkeypatch.setattr(runner, "monotonic", clock)
    with pytest.raises(BudgetExceeded) as err:
        run_batch("adam", BOWL, np.ones((4, 2)), 1000, lr=1e-6, deadline=5.0)
    assert clock.calls == 6 and err.value.done == 5 * runner.BATCH_CHECK_EVERY
    clock.calls = 0
    run_batch("adam", BOWL, np.ones((4, 2)), 1000, lr=1e-6)
    assert clock.calls == 0


def test_a_generous_deadline_changes_nothing():
    far = time.monotonic() + 3600.0
    a = run("nadam", surfaces.get("rosenbrock"), (-1.2, 1.0), 600, lr=1e-3)
    b = run("nadam", surfaces.get("rosenbrock"), (-1.2, 1.0), 600, lr=1e-3, deadline=far)
    np.testing.assert_array_equal(a.xy, b.xy)
    np.testing.assert_array_equal(
        run_batch("adam", BOWL, np.ones((3, 2)), 100), run_batch("adam", BOWL, np.ones((3, 2)), 100,
                                                                 deadline=far))


def test_a_run_that_converges_or_diverges_ends_as_before_with_a_deadline():
    far = time.monotonic() + 3600.0
    tr = run("newton", surfaces.get("booth"), (-8.0, -7.0), 500, deadline=far)
    assert tr.status == "converged"
    plain = run("gd", BOWL, (3.0, 1.5), 1000, lr=2.5)
    tr = run("gd", BOWL, (3.0, 1.5), 1000, lr=2.5, deadline=far)
    assert tr.status == plain.status == "diverged" and tr.diverged_at == plain.diverged_at


# ------------------------------------------------------------------ cost


TYPED = ["x**2 + y**2", "sin(x)*cos(y) + 0.1*(x**2 + y**2)",
         "sin(x)*cos(y)*sin(2*x)*cos(2*y)*sin(3*x)*cos(3*y)*sin(x*y)*cos(x+y)"]


def test_cost_grows_linearly_with_steps_and_runs():
    one = cost("adam", BOWL, 100)
    assert one > 0 and cost("adam", BOWL, 0) == 0.0
    assert cost("adam", BOWL, 1000) == pytest.approx(10 * one)
    assert cost("adam", BOWL, 100, runs=8) == pytest.approx(8 * one)
    small, big = cost("adam", BOWL, 500, 100, batch=True), cost("adam", BOWL, 500, 10_000, batch=True)
    assert small < big < cost("adam", BOWL, 500, 10_000)  # a batch is cheaper per run
    assert cost("adam", BOWL, 1000, 100, batch=True) == pytest.approx(2 * small)


def test_cost_grows_with_the_typed_expression():
    costs = [cost("adam", surfaces.get("custom", expression=t), 1000) for t in TYPED]
    assert costs[0] < costs[1] < costs[2]
    grads = [surfaces.get("custom", expression=t).grad_cost for t in TYPED]
    assert 1.0 < grads[0] < 1.1  # a quadratic costs about one unit
    assert grads[2] > 2 * grads[0]
    scaled = surfaces.get("custom", expression=TYPED[2], scale=5.0)
    assert scaled.grad_cost == grads[2]  # the loss scale does not change the work


def test_newton_adds_its_hessian():
    gp = surfaces.get("goldstein_price")
    assert cost("newton", gp, 100) == pytest.approx(100 * (gp.grad_cost + gp.hess_cost))
    assert cost("gd", gp, 100) == pytest.approx(100 * gp.grad_cost)
    assert gp.hess_cost > surfaces.get("bowl").hess_cost


@pytest.mark.parametrize("steps, runs", [(-1, 1), (1.5, 1), (10, -2), (True, 1), ("5", 1)])
def test_cost_refuses_nonsense(steps, runs):
    with pytest.raises(ValueError, match="Invalid number of"):
        cost("adam", BOWL, steps, runs)


def test_cost_of_an_unknown_optimizer_is_refused():
    with pytest.raises(ValueError, match="Unknown optimizer"):
        cost("nope", BOWL, 10)
