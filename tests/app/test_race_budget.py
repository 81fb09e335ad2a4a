"""The race's work under the request budget (ui.serving.budget), called as plain
functions: an over-budget set-up is refused before the engine runs, with what to reduce,
and nothing is committed; a run the engine has cached costs nothing; the live preview
says the refusal instead of drawing."""

from __future__ import annotations

import dash
import pytest
from dash import no_update

from descent_lab import optimizers
from descent_lab.optimizers import sweeps
from descent_lab.ui.core import engine, widgets
from descent_lab.ui.core.url import decode_url, encode_url
from descent_lab.ui.maps import callbacks as map_callbacks
from descent_lab.ui.race import flow
from descent_lab.ui.serving import budget

HEAVY = "?surface=rosenbrock&run=adam(lr=0.01)&run=gd(lr=0.001)&steps=4000&seed={seed}"


@pytest.fixture
def small_gate(monkeypatch):
    """A gate that admits 2,000 steps of the cheapest work and refuses more (no waiting)."""
    units = optimizers.cost("gd", engine.surface_of({"key": "rosenbrock", "params": {}}), 2000)
    gate = budget.Gate(budget.Limits(max_units=units, heavy_units=units, heavy_slots=1, wait_seconds=0.0,
                                     seconds=60.0))
    monkeypatch.setattr(budget, "gate", lambda: gate)
    return gate


@pytest.fixture
def engine_calls(monkeypatch):
    calls = []
    real = optimizers.run

    def counted(*args, **kwargs):
        calls.append(args[0])
        return real(*args, **kwargs)

    monkeypatch.setattr(optimizers, "run", counted)
    return calls


def _position(lr: float) -> float:
    """Where gradient descent's learning-rate slider sits for ``lr``."""
    hp = next(h for h in optimizers.REGISTRY["gd"].hyperparams if h.name == "lr")
    return widgets.to_slider(hp, lr)


def _alert_text(out) -> str:
    return str(out["alerts"])


def test_the_race_work_counts_every_run_not_cached_and_nothing_once_cached():
    state, _ = decode_url(HEAVY.format(seed=101))
    work = flow.race_work(state)
    assert [name for name, _ in work.parts] == ["run 1 (adam, 4,000 steps)", "run 2 (gd, 4,000 steps)"]
    assert work.units == pytest.approx(sum(optimizers.cost(r["optimizer"], engine.surface_of(state["surface"]), 4000)
                                           for r in state["runs"]))
    engine.trajectory(state, 0)
    assert [name for name, _ in flow.race_work(state).parts] == ["run 2 (gd, 4,000 steps)"]


def test_a_compared_panel_adds_its_own_runs():
    state, _ = decode_url("?surface=valley(condition=20,angle=0)&run=gd(lr=0.5)&steps=300&seed=102&compare=angle=45")
    assert state["compare"]
    names = [name for name, _ in flow.race_work(state).parts]
    assert names == ["run 1 (gd, 300 steps)", "run 1 (gd, 300 steps)"]  # this panel's and the twin's


def test_a_first_load_over_the_budget_opens_the_default_and_says_why(small_gate, engine_calls):
    out = flow.respond(None, {"kind": "load", "search": HEAVY.format(seed=103)})
    text = _alert_text(out)
    assert "times the work one request may do" in text and "Reduce the steps" in text
    assert out["state"]["steps"] != 4000 and out["paths"] is not no_update  # the default set-up, drawn
    assert not any(call == "adam" and out["state"]["steps"] == 4000 for call in engine_calls)


def test_a_change_over_the_budget_commits_nothing_and_puts_the_field_back(small_gate, engine_calls):
    state, _ = decode_url("?surface=rosenbrock&run=gd(lr=0.001)&steps=500&seed=104")
    before = flow.respond(None, {"kind": "load", "search": encode_url(state)})["state"]
    del engine_calls[:]
    out = flow.respond(before, {"kind": "steps", "value": 9000})
    assert engine_calls == []  # refused before the engine ran
    assert out["state"] is no_update and out["url"] is no_update
    assert out["steps"] == 500  # the field shows the value in use again
    assert "Reduce the steps" in _alert_text(out)
    assert isinstance(out["paths"], dash.Patch)  # the page's controls follow the state it keeps


def test_the_same_change_within_the_budget_goes_through(small_gate):
    state, _ = decode_url("?surface=rosenbrock&run=gd(lr=0.001)&steps=500&seed=105")
    before = flow.respond(None, {"kind": "load", "search": encode_url(state)})["state"]
    out = flow.respond(before, {"kind": "steps", "value": 800})
    assert out["state"]["steps"] == 800 and out["alerts"] is no_update


def test_a_preview_over_the_budget_says_so_instead_of_drawing(small_gate):
    state, _ = decode_url("?surface=rosenbrock&run=gd(lr=0.001)&steps=1800&seed=106")
    before = flow.respond(None, {"kind": "load", "search": encode_url(state)})["state"]
    first = flow.preview(before, {"kind": "hparam", "run": before["runs"][0]["id"], "name": "lr",
                                  "value": _position(0.002)})
    assert "runs" in first  # one run of 1,800 steps fits
    run = before["runs"][0]
    two = {**before, "runs": [{**run, "hparams": {**run["hparams"], "lr": 0.0041}},
                              {**run, "id": run["id"] + 1, "hparams": {**run["hparams"], "lr": 0.0042}}]}
    out = flow.preview(two, {"kind": "hparam", "run": two["runs"][1]["id"], "name": "lr", "value": _position(0.003)})
    assert set(out) == {"error"} and "Reduce the steps" in out["error"]  # two new runs: 3,600 steps


def test_a_map_over_the_budget_is_refused_before_the_sweep(small_gate, monkeypatch):
    sweeps_run = []
    real = sweeps.hyperparameter_map
    monkeypatch.setattr(sweeps, "hyperparameter_map", lambda *a, **k: sweeps_run.append(a) or real(*a, **k))
    state, _ = decode_url("?surface=rosenbrock&run=adam(lr=0.01)&seed=107")
    args = ("weight_decay", 24, 300, "final_loss", 1e-6, [-4, 0], [0, 0.1])
    out = map_callbacks.hparam_compute(state, 0, *args)
    assert sweeps_run == [] and "Reduce the steps" in str(out["alerts"]) and out["figure"] is no_update
    monkeypatch.setattr(budget, "gate", lambda: budget.Gate(budget.Limits.from_seconds(1000.0)))
    out = map_callbacks.hparam_compute(state, 0, *args)
    assert len(sweeps_run) == 1 and out["figure"] is not no_update
