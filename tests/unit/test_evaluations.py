"""Runs counted in function evaluations: L-BFGS's several evaluations a step against the
others' one, on one axis."""

import numpy as np
import pytest

from descent_lab import surfaces
from descent_lab.optimizers import cumulative_evaluations, evaluation_axis, run, run_batch, sweeps

ROSEN = surfaces.get("rosenbrock")


def test_lbfgs_holds_its_point_while_a_step_evaluates_and_lands_on_the_steps_last_evaluation():
    tr = run("lbfgs", ROSEN, (-1.2, 1.0), 12, lr=1.0, tol=0.0)
    cum = cumulative_evaluations(tr)
    assert np.array_equal(cum, tr.state["func_evals"][:, 0].astype(int)) and cum[0] > 1  # torch's own count
    ev = evaluation_axis(tr, 10_000)
    assert ev.steps == cum[-1]  # one index per evaluation, all of them
    for s, c in enumerate(cum):  # after c evaluations the run stands on step s + 1's point ...
        np.testing.assert_array_equal(ev.xy[c], tr.xy[s + 1])
        before = 0 if s == 0 else cum[s - 1]
        np.testing.assert_array_equal(ev.xy[before:c], np.repeat(tr.xy[s][None], c - before, axis=0))  # ... held
        assert np.all(ev.lr_eff[before:c - 1] == 0) and np.array_equal(ev.lr_eff[c - 1], tr.lr_eff[s])
        assert np.isnan(ev.series["inner"][before:c - 1]).all()
        np.testing.assert_array_equal(ev.series["inner"][c - 1], tr.series["inner"][s])
    np.testing.assert_allclose(ev.loss, ROSEN.f(ev.xy), rtol=1e-12, atol=1e-300)


def test_a_budget_that_ends_inside_a_step_ends_at_the_last_complete_step():
    tr = run("lbfgs", ROSEN, (-1.2, 1.0), 12, lr=1.0, tol=0.0)
    cum = cumulative_evaluations(tr)
    budget = int(cum[1]) + 1  # one evaluation into the third step
    ev = evaluation_axis(tr, budget)
    assert ev.steps == budget and np.array_equal(ev.xy[-1], tr.xy[2])
    assert ev.status == "max_steps" and ev.converged_at is None


@pytest.mark.parametrize("key,hp", [("adam", {"lr": 0.01}), ("gd", {"lr": 1e-3}), ("momentum", {}),
                                    ("newton", {})])
def test_one_evaluation_a_step_is_the_step_axis_cut_to_the_budget(key, hp):
    tr = run(key, ROSEN, (-1.2, 1.0), 200, **hp)
    ev = evaluation_axis(tr, 150)
    n = min(150, tr.steps)
    assert ev.steps == n
    for name in ("xy", "loss", "grad"):
        np.testing.assert_array_equal(getattr(ev, name), getattr(tr, name)[:n + 1])
    for name in ("grad_used", "lr", "lr_eff"):
        np.testing.assert_array_equal(getattr(ev, name), getattr(tr, name)[:n])


def test_where_a_run_converged_or_diverged_becomes_an_evaluation_count():
    bowl = surfaces.get("bowl")
    tr = run("lbfgs", bowl, (3.0, 1.5), 50, lr=1.0)
    assert tr.status == "converged"
    ev = evaluation_axis(tr, 10_000)
    assert ev.status == "converged" and ev.converged_at == cumulative_evaluations(tr)[tr.converged_at - 1]
    gd = run("gd", ROSEN, (-1.2, 1.0), 100, lr=0.1)
    assert gd.status == "diverged"
    assert evaluation_axis(gd, 100).diverged_at == gd.diverged_at  # one evaluation a step
    with pytest.raises(ValueError, match="evaluation budget"):
        evaluation_axis(gd, -1)


def test_a_batch_counted_in_evaluations_is_each_run_on_its_evaluation_axis():
    lrs = np.array([0.3, 1.0])
    xy = run_batch("lbfgs", ROSEN, [(-1.2, 1.0)] * 2, 90, count="evaluations", lr=lrs)
    for b, lr in enumerate(lrs):
        one = evaluation_axis(run("lbfgs", ROSEN, (-1.2, 1.0), 90, lr=float(lr), tol=0.0), 90)
        np.testing.assert_array_equal(xy[b], one.xy)
    # one evaluation a step: the same as counting steps
    np.testing.assert_array_equal(run_batch("adam", ROSEN, [(-1.2, 1.0)] * 2, 50, count="evaluations", lr=lrs),
                                  run_batch("adam", ROSEN, [(-1.2, 1.0)] * 2, 50, lr=lrs))
    with pytest.raises(ValueError, match="counts steps or evaluations"):
        run_batch("adam", ROSEN, [(-1.2, 1.0)], 5, count="seconds", lr=0.1)


def test_tuning_lbfgs_in_evaluations_counts_what_its_steps_cost():
    by_steps = sweeps.tune("lbfgs", ROSEN, (-1.2, 1.0), 200, objective="steps_to_tol", n_lr=8)
    by_evals = sweeps.tune("lbfgs", ROSEN, (-1.2, 1.0), 200, objective="steps_to_tol", n_lr=8, count="evaluations")
    best = run("lbfgs", ROSEN, (-1.2, 1.0), 200, lr=by_evals.best["lr"], tol=0.0)
    gap = ROSEN.f(evaluation_axis(best, 200).xy) - ROSEN.min_value
    assert by_evals.best_value == np.argmax(gap <= 1e-6)  # evaluations until the tolerance
    assert by_evals.best_value > 4 * by_steps.best_value  # several evaluations a step
