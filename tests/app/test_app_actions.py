"""ui.actions: what each control does to the state (pure, never mutates its input)."""

import copy

import pytest

from descent_lab import optimizers
from descent_lab.ui import actions
from descent_lab.ui.state import MAX_RUNS, default_state, validate_state


@pytest.fixture
def state():
    return default_state()


def _unchanged(before, after_state, original):
    assert after_state == original
    assert before == original  # the input was not mutated


def test_set_hparam_changes_one_run_only(state):
    original = copy.deepcopy(state)
    new, errors = actions.set_hparam(state, 2, "lr", 0.05)
    assert errors == []
    assert new["runs"][2]["hparams"]["lr"] == 0.05
    assert new["runs"][:2] == original["runs"][:2]
    assert state == original


@pytest.mark.parametrize("run,name,value,message", [
    (2, "lr", 50.0, "learning rate"),
    (2, "beta1", 1.0, "beta"),
    (2, "lr", float("nan"), "finite"),
    (2, "lr", "0.1", "must be a number"),
    (2, "nope", 0.1, "no setting"),
    (9, "lr", 0.1, "no run"),
    ("0", "lr", 0.1, "no run"),
    (True, "lr", 0.1, "no run"),
])
def test_set_hparam_refuses_bad_values_and_keeps_the_state(state, run, name, value, message):
    original = copy.deepcopy(state)
    new, errors = actions.set_hparam(state, run, name, value)
    assert any(message in e.lower() for e in errors), errors
    _unchanged(state, new, original)


def test_two_runs_of_the_same_optimizer_can_differ(state):
    new, _ = actions.add_run(state, "adam")
    new, _ = actions.set_hparam(new, 3, "lr", 0.01)
    assert [r["optimizer"] for r in new["runs"]].count("adam") == 2
    assert new["runs"][2]["hparams"]["lr"] != new["runs"][3]["hparams"]["lr"]


def test_add_run_uses_the_surface_hint_and_stops_at_the_limit(state):
    new = state
    while len(new["runs"]) < MAX_RUNS:
        new, errors = actions.add_run(new, "rmsprop")
        assert errors == []
    assert new["runs"][-1]["hparams"]["lr"] == 0.3  # the valley's "normalized" hint
    full, errors = actions.add_run(new, "adam")
    assert len(full["runs"]) == MAX_RUNS and "At most" in errors[0]


def test_add_run_refuses_unknown_optimizer(state):
    new, errors = actions.add_run(state, "<script>")
    assert new == state and "Unknown optimizer" in errors[0]


def test_remove_and_duplicate(state):
    new, _ = actions.remove_run(state, 0)
    assert [r["optimizer"] for r in new["runs"]] == ["momentum", "adam"]
    new, _ = actions.duplicate_run(new, 1)
    assert [r["optimizer"] for r in new["runs"]] == ["momentum", "adam", "adam"]
    _, errors = actions.remove_run(new, 7)
    assert errors


def test_set_optimizer_keeps_shared_settings(state):
    new, _ = actions.set_hparam(state, 2, "beta1", 0.5)
    new, errors = actions.set_optimizer(new, 2, "nadam")
    assert errors == []
    run = new["runs"][2]
    assert run["optimizer"] == "nadam"
    assert run["hparams"]["beta1"] == 0.5  # shared with Adam
    assert run["hparams"]["lr"] == state["runs"][2]["hparams"]["lr"]  # same lr kind
    assert set(run["hparams"]) == {h.name for h in optimizers.REGISTRY["nadam"].hyperparams}


def test_set_optimizer_resets_lr_across_lr_kinds(state):
    new, _ = actions.set_optimizer(state, 0, "adam")  # gd (gradient) -> adam (normalized)
    assert new["runs"][0]["hparams"]["lr"] == 0.3  # the valley's hint for adam, not gd's 1.8


def test_set_surface_keeps_learning_rate_ratios(state):
    new, _ = actions.add_run(state, "adam")
    new, _ = actions.set_hparam(new, 3, "lr", 0.03)  # adam at 0.3 and 0.03: 10x apart
    moved, errors = actions.set_surface(new, "rosenbrock")
    assert errors == []
    lrs = [r["hparams"]["lr"] for r in moved["runs"] if r["optimizer"] == "adam"]
    assert lrs[0] / lrs[1] == pytest.approx(10.0)
    assert moved["start"] == [-1.2, 1.0]
    assert moved["surface"] == {"key": "rosenbrock", "params": {"a": 1.0, "b": 100.0}}
    assert validate_state(moved)[1] == []


def test_set_surface_refuses_unknown(state):
    new, errors = actions.set_surface(state, "../../etc/passwd")
    assert new == state and errors


def test_set_surface_param(state):
    new, errors = actions.set_surface_param(state, "angle", 45.0)
    assert errors == [] and new["surface"]["params"]["angle"] == 45.0
    same, errors = actions.set_surface_param(state, "angle", 500.0)
    assert same == state and errors


def test_set_start_and_its_limits(state):
    new, errors = actions.set_start(state, 1.5, -2.25)
    assert errors == [] and new["start"] == [1.5, -2.25] and new["frame"] == 0
    for bad in [(None, 1.0), (float("nan"), 0.0), (1e6, 0.0), ("1", 0.0)]:
        same, errors = actions.set_start(state, *bad)
        assert same == state and errors, bad


@pytest.mark.parametrize("value", [0, -5, 10_001, 1e12, None, "100", 2.5, float("inf")])
def test_set_steps_refuses(state, value):
    same, errors = actions.set_steps(state, value)
    assert same == state and errors


def test_set_steps_clamps_the_frame(state):
    new, _ = actions.set_frame(state, 150)
    new, _ = actions.set_steps(new, 100)
    assert new["steps"] == 100 and new["frame"] == 100


def test_load_preset_and_unknown_preset(state):
    new, errors = actions.load_preset(state, "saddle-escape")
    assert errors == [] and new["surface"]["key"] == "saddle"
    same, errors = actions.load_preset(state, "nope")
    assert same == state and errors
