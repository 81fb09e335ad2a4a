"""An optimizer's own points and its distance estimate on the page, called as plain
functions: the registry's entries, what each run's payload carries (against the engine's
numbers) and the sentence under each."""

import numpy as np
import pytest

from descent_lab import optimizers
from descent_lab.optimizers.diagnostics import companion_points, distance_estimate
from descent_lab.ui.core import registry
from descent_lab.ui.core.codec import decode_f4
from descent_lab.ui.core.engine import trajectory
from descent_lab.ui.core.state import default_state, make_surface, validate_state
from descent_lab.ui.core.url import encode_url
from descent_lab.ui.instruments import data
from descent_lab.ui.maps import callbacks as map_callbacks
from descent_lab.ui.maps import tune
from descent_lab.ui.race.flow import respond

ROSENBROCK = {"key": "rosenbrock", "params": {}}
BOWL = {"key": "bowl", "params": {}}


def _state(runs, show, surface=ROSENBROCK, steps=120, start=(-1.2, 1.0)):
    state, errors = validate_state({**default_state(), "surface": surface, "runs": runs, "show": list(show),
                                    "start": list(start), "steps": steps})
    assert errors == []
    return state


def _run(optimizer, **hparams):
    return {"optimizer": optimizer, "hparams": hparams}


def _load(state):
    return respond(None, {"kind": "load", "search": encode_url(state)})


def test_the_two_instruments_are_in_the_registry_where_they_draw():
    points, estimate = registry.BY_NAME["points"], registry.BY_NAME["estimate"]
    assert points.where == "path" and points.notes and "L-BFGS" in points.legend and "Schedule-Free" in points.legend
    assert estimate.where == "chart" and estimate.log and estimate.notes and "estimate" in registry.CHARTS
    assert registry.data_groups(["points", "estimate"]) == ("estimate", "points")
    # every optimizer that keeps points or an estimate names state fields its rule records
    bowl = make_surface(BOWL)
    for key, spec in optimizers.REGISTRY.items():
        if spec.points or spec.estimate:
            tr = optimizers.run(key, bowl, (2.0, 1.0), 3, lr=spec.param("lr").default, tol=0.0)
            fields = [name for name, _ in spec.points] + ([spec.estimate[0]] if spec.estimate else [])
            assert all(name in tr.state for name in fields), key


def test_schedule_free_runs_carry_z_and_x_and_say_where_each_ends():
    state = _state([_run("sf_adamw", lr=0.01), _run("adam", lr=0.01)], show=("points",))
    out = _load(state)
    sf, adam = out["paths"]["runs"]
    traj = trajectory(out["state"], 0)
    expected = companion_points(traj, optimizers.REGISTRY["sf_adamw"].points)
    assert [p["what"] for p in sf["inst"]["points"]] == [what for what, _ in expected]
    for sent, (_, path) in zip(sf["inst"]["points"], expected):
        np.testing.assert_allclose(decode_f4(sent["x"]), path[:, 0], rtol=1e-6)
        np.testing.assert_allclose(decode_f4(sent["y"]), path[:, 1], rtol=1e-6)
    note = sf["inst"]["points_note"]
    assert note.startswith("z (the base sequence) ends at") and "x (the average" in note
    assert f"the run's path ends at ({traj.xy[-1, 0]:.4g}, {traj.xy[-1, 1]:.4g})" in note
    assert "inst" not in adam or "points" not in adam["inst"]  # Adam keeps no points of its own


def test_an_lbfgs_run_carries_its_inner_iterates_and_counts_evaluations():
    state = _state([_run("lbfgs", lr=1.0)], show=("points",), steps=30)
    out = _load(state)
    sent = out["paths"]["runs"][0]["inst"]
    traj = trajectory(out["state"], 0)
    inner = traj.series["inner"]
    used = int(np.isfinite(inner[..., 0]).sum(axis=1).max())
    assert sent["inner_l"] == used and sent["inner_stride"] == 1
    np.testing.assert_allclose(decode_f4(sent["inner_x"]), inner[:, :used, 0].ravel(), rtol=1e-6)
    evals = int(traj.state["func_evals"][-1, 0])
    assert evals > traj.steps  # several evaluations a step: what a fair comparison by steps hides
    assert sent["points_note"].startswith(f"{evals} function evaluations in {traj.steps} steps")


def test_many_inner_iterates_are_sent_every_few_steps(monkeypatch):
    surface = make_surface(ROSENBROCK)
    traj = optimizers.run("lbfgs", surface, (-1.2, 1.0), 30, lr=0.05, tol=0.0)
    monkeypatch.setattr(data, "INNER_POINTS_PER_RUN", 50)
    sent = data.run_arrays(["points"], traj, surface)
    length = sent["inner_l"]
    stride = sent["inner_stride"]
    assert stride > 1 and len(decode_f4(sent["inner_x"])) <= 50 + length
    np.testing.assert_allclose(decode_f4(sent["inner_y"]), traj.series["inner"][::stride, :length, 1].ravel(),
                               rtol=1e-6)
    assert f"shown every {stride} steps" in sent["points_note"]


@pytest.mark.parametrize("key", ["prodigy", "dadapt_sgd", "dadapt_adam"])
def test_a_distance_estimate_is_sent_with_the_distance_it_estimates(key):
    state = _state([_run(key)], show=("estimate",), surface=BOWL, steps=100, start=(3.0, 1.5))
    out = _load(state)
    sent = out["paths"]["runs"][0]["inst"]
    traj = trajectory(out["state"], 0)
    d = distance_estimate(traj, "d")
    np.testing.assert_allclose(decode_f4(sent["estimate"]), d, rtol=1e-6)
    assert sent["estimate_true"] == pytest.approx(np.hypot(3.0, 1.5))  # the bowl's minimum is the origin
    what = optimizers.REGISTRY[key].estimate[1]
    assert sent["estimate_note"] == (f"d is {what}; it ends at {d[-1]:.3g}, {d[-1] / np.hypot(3.0, 1.5):.0%} "
                                     f"of the distance from the start to the minimum, {np.hypot(3.0, 1.5):.3g}.")


def test_d_adaptation_sgds_estimate_stays_below_the_distance_it_bounds_on_the_bowl():
    # the note's claim for the SGD form ("a lower bound ... when the surface is convex")
    state = _state([_run("dadapt_sgd")], show=("estimate",), surface=BOWL, steps=300, start=(3.0, 1.5))
    sent = _load(state)["paths"]["runs"][0]["inst"]
    d = decode_f4(sent["estimate"])
    assert d.max() <= sent["estimate_true"] and d[-1] >= 0.5 * sent["estimate_true"]
    assert "lower bound" in sent["estimate_note"]


def test_runs_without_an_estimate_send_nothing_for_the_chart():
    state = _state([_run("adam", lr=0.01)], show=("estimate",))
    run = _load(state)["paths"]["runs"][0]
    assert "estimate" not in run.get("inst", {})


# ------------------------------------------------- the budget counted in evaluations


def _act(out, action):
    return respond(out["state"], action)


def test_counting_evaluations_puts_every_run_on_one_axis_of_equal_work():
    state = _state([_run("lbfgs", lr=1.0), _run("adam", lr=0.05)], show=(), steps=60)
    out = _load(state)
    assert out["paths"]["unit"] == "step" and out["paths"]["runs"][0]["n"] == 61
    out = _act(out, {"kind": "count", "value": "evaluations"})
    assert out["state"]["count"] == "evaluations" and "count=evaluations" in out["url"]
    lbfgs, adam = out["paths"]["runs"]
    assert out["paths"]["unit"] == "evaluation"
    steps_run = trajectory({**out["state"], "count": "steps"}, 0)
    used = int(optimizers.cumulative_evaluations(steps_run)[-1])
    assert lbfgs["n"] == min(60, used) + 1 and adam["n"] == 61  # 60 evaluations each (Adam: one a step)
    assert "evaluation" in lbfgs["status_text"] and "step" not in lbfgs["status_text"]
    # the link carries it; a link without it counts steps
    again = respond(None, {"kind": "load", "search": out["url"]})
    assert again["state"]["count"] == "evaluations" and again["paths"]["runs"][0]["n"] == lbfgs["n"]
    assert _act(out, {"kind": "count", "value": "steps"})["paths"]["unit"] == "step"


def test_a_count_other_than_steps_or_evaluations_is_refused_with_a_message():
    out = _load(_state([_run("adam", lr=0.05)], show=()))
    refused = _act(out, {"kind": "count", "value": "seconds"})
    assert refused["state"]["count"] == "steps"
    assert "The budget counts steps or evaluations, got 'seconds'" in str(refused["alerts"])
    state, errors = validate_state({**default_state(), "count": ["evaluations"]})
    assert state["count"] == "steps" and errors and "budget counts" in errors[0]


def test_on_the_evaluation_axis_lbfgs_counts_the_steps_that_landed_within_the_budget():
    surface = make_surface(ROSENBROCK)
    tr = optimizers.run("lbfgs", surface, (-1.2, 1.0), 50, lr=1.0, tol=0.0)
    cum = optimizers.cumulative_evaluations(tr)
    budget = int(cum[1]) + 3  # three evaluations into the third step
    note = data.run_arrays(["points"], optimizers.evaluation_axis(tr, budget), surface)["points_note"]
    assert note.startswith(f"{int(cum[1])} function evaluations in 2 steps")


def test_the_fair_comparison_tunes_in_evaluations_when_the_race_counts_them():
    state = _state([_run("lbfgs", lr=1.0), _run("adam", lr=0.05)], show=(), steps=120)
    state = {**state, "count": "evaluations"}
    req, errors = tune.tune_request(state, [0, 1], "steps_to_tol", 120, 6, "none", 8, 1e-6)
    assert errors == [] and req.count == "evaluations" and req.to_json()["count"] == "evaluations"
    assert tune.parse_tune_request(req.to_json())[0] == req  # the stored request keeps it
    out = map_callbacks.tune_compute(state, [0, 1], "steps_to_tol", 120, 6, "none", 8, 1e-6)
    assert "evaluations until" in out["note"] and "after at most 120 function evaluations" in out["note"]
    steps_req, _ = tune.tune_request({**state, "count": "steps"}, [0, 1], "steps_to_tol", 120, 6, "none", 8, 1e-6)
    by_steps = tune.compute_tune(steps_req)[0].best_value
    by_evals = tune.compute_tune(req)[0].best_value
    assert by_evals > by_steps  # L-BFGS's steps cost several evaluations each
