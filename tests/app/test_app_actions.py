"""The race's actions (ui.race.runs, .surface, .start, .teach): what each control does to
the state (pure, never mutates its input). Runs are addressed by their id."""

import copy

import pytest

from descent_lab import optimizers
from descent_lab.ui.core.state import MAX_RUNS, default_state, validate_state
from descent_lab.ui.race import events, runs, start, surface, teach


@pytest.fixture
def state():
    return default_state()


def _unchanged(before, after_state, original):
    assert after_state == original
    assert before == original  # the input was not mutated


def test_set_hparam_changes_one_run_only(state):
    original = copy.deepcopy(state)
    new, errors = runs.set_hparam(state, 2, "lr", 0.05)
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
    new, errors = runs.set_hparam(state, run, name, value)
    assert any(message in e.lower() for e in errors), errors
    _unchanged(state, new, original)


def test_two_runs_of_the_same_optimizer_can_differ(state):
    new, _ = runs.add_run(state, "adam")
    new, _ = runs.set_hparam(new, 3, "lr", 0.01)
    assert [r["optimizer"] for r in new["runs"]].count("adam") == 2
    assert new["runs"][2]["hparams"]["lr"] != new["runs"][3]["hparams"]["lr"]


def test_add_run_uses_the_surface_hint_and_stops_at_the_limit(state):
    new = state
    while len(new["runs"]) < MAX_RUNS:
        new, errors = runs.add_run(new, "rmsprop")
        assert errors == []
    assert new["runs"][-1]["hparams"]["lr"] == 0.3  # the valley's "normalized" hint
    full, errors = runs.add_run(new, "adam")
    assert len(full["runs"]) == MAX_RUNS and "At most" in errors[0]


def test_add_run_refuses_unknown_optimizer(state):
    new, errors = runs.add_run(state, "<script>")
    assert new == state and "Unknown optimizer" in errors[0]


def test_remove_and_duplicate(state):
    new, _ = runs.remove_run(state, 0)
    assert [r["optimizer"] for r in new["runs"]] == ["momentum", "adam"]
    new, _ = runs.duplicate_run(new, 2)  # the Adam run (id 2, now second)
    assert [r["optimizer"] for r in new["runs"]] == ["momentum", "adam", "adam"]
    _, errors = runs.remove_run(new, 7)
    assert errors


def test_each_run_keeps_its_id_for_life_and_a_copy_gets_a_fresh_one(state):
    new, _ = runs.duplicate_run(state, 0)  # the copy goes right after its original
    assert [(r["id"], r["optimizer"]) for r in new["runs"]] == [(0, "gd"), (3, "gd"), (1, "momentum"), (2, "adam")]
    assert new["runs"][1]["hparams"] == state["runs"][0]["hparams"]
    new, _ = runs.remove_run(new, 1)
    assert [r["id"] for r in new["runs"]] == [0, 3, 2]  # nobody else is renumbered (or recoloured)
    new, _ = runs.add_run(new, "lion")
    assert new["runs"][-1]["id"] == 1  # the lowest id free again


def test_duplicate_and_add_stop_at_the_limit(state):
    new = state
    while len(new["runs"]) < MAX_RUNS:
        new, errors = runs.duplicate_run(new, 0)
        assert errors == []
    assert sorted(r["id"] for r in new["runs"]) == list(range(MAX_RUNS))
    same, errors = runs.duplicate_run(new, 0)
    assert same == new and "At most" in errors[0]


def test_set_optimizer_keeps_shared_settings(state):
    new, _ = runs.set_hparam(state, 2, "beta1", 0.5)
    new, errors = runs.set_optimizer(new, 2, "nadam")
    assert errors == []
    run = new["runs"][2]
    assert run["optimizer"] == "nadam"
    assert run["hparams"]["beta1"] == 0.5  # shared with Adam
    assert run["hparams"]["lr"] == state["runs"][2]["hparams"]["lr"]  # same lr kind
    assert set(run["hparams"]) == {h.name for h in optimizers.REGISTRY["nadam"].hyperparams}


def test_set_optimizer_resets_lr_across_lr_kinds(state):
    new, _ = runs.set_optimizer(state, 0, "adam")  # gd (gradient) -> adam (normalized)
    assert new["runs"][0]["hparams"]["lr"] == 0.3  # the valley's hint for adam, not gd's 1.8


def test_set_optimizer_gives_the_new_optimizers_own_defaults(state):
    # gradient descent at its valley default (1.8) becomes Nesterov at Nesterov's, not a diverging 1.8
    nesterov, _ = runs.set_optimizer(state, 0, "nesterov")
    assert nesterov["runs"][0]["hparams"]["lr"] == pytest.approx(1.8 * (1 - 0.9))
    assert optimizers.run("nesterov", surface.make_surface(state["surface"]), state["start"], 200,
                          **nesterov["runs"][0]["hparams"]).status != "diverged"
    # Adagrad's eps (1e-10) does not carry into Adam unless the person had moved it
    adagrad, _ = runs.set_optimizer(state, 2, "adagrad")
    assert adagrad["runs"][2]["hparams"]["eps"] == 1e-10
    adam, _ = runs.set_optimizer(adagrad, 2, "adam")
    assert adam["runs"][2]["hparams"]["eps"] == optimizers.REGISTRY["adam"].defaults["eps"]
    moved, _ = runs.set_hparam(adagrad, 2, "eps", 1e-6)
    adam, _ = runs.set_optimizer(moved, 2, "adam")
    assert adam["runs"][2]["hparams"]["eps"] == 1e-6
    # a learning rate the person moved keeps its ratio to the default (same kind of lr)
    half, _ = runs.set_hparam(state, 0, "lr", 0.9)
    momentum, _ = runs.set_optimizer(half, 0, "momentum")
    assert momentum["runs"][0]["hparams"]["lr"] == pytest.approx(0.5 * state["runs"][1]["hparams"]["lr"])
    same, errors = runs.set_optimizer(state, 0, "gd")
    assert same is state and errors == []
    for bad in ("eval", None, ["adam"]):
        same, errors = runs.set_optimizer(state, 0, bad)
        assert same == state and "Unknown optimizer" in errors[0]


def test_set_surface_keeps_learning_rate_ratios(state):
    new, _ = runs.add_run(state, "adam")
    new, _ = runs.set_hparam(new, 3, "lr", 0.03)  # adam at 0.3 and 0.03: 10x apart
    moved, errors = surface.set_surface(new, "rosenbrock")
    assert errors == []
    lrs = [r["hparams"]["lr"] for r in moved["runs"] if r["optimizer"] == "adam"]
    assert lrs[0] / lrs[1] == pytest.approx(10.0)
    assert moved["start"] == [-1.2, 1.0]
    assert moved["surface"] == {"key": "rosenbrock", "params": {"a": 1.0, "b": 100.0}}
    assert validate_state(moved)[1] == []


def test_set_surface_shows_the_whole_new_surface_without_the_lesson(state):
    lesson, _ = teach.load_lesson(state, "momentum-ravine")
    lesson["box"], lesson["compare"] = [[-9.0, 1.0], [-3.0, 3.0]], {"angle": 45.0}
    moved, errors = surface.set_surface(lesson, "himmelblau")
    assert errors == []
    assert moved["lesson"] is None and moved["box"] is None and moved["compare"] == {} and moved["frame"] == 0
    assert moved["start"] == [float(c) for c in surface.make_surface(moved["surface"]).start]
    same, errors = surface.set_surface(state, "valley")
    assert same is state and errors == []


def test_set_surface_refuses_unknown(state):
    new, errors = surface.set_surface(state, "../../etc/passwd")
    assert new == state and errors


def test_set_surface_param(state):
    new, errors = surface.set_surface_param(state, "angle", 45.0)
    assert errors == [] and new["surface"]["params"]["angle"] == 45.0
    same, errors = surface.set_surface_param(state, "angle", 500.0)
    assert same == state and errors
    for name in ("scale", "nope", None):  # the loss scale has its own control
        same, errors = surface.set_surface_param(state, name, 2.0)
        assert same == state and "no parameter" in errors[0]


def test_set_start_and_its_limits(state):
    new, errors = start.set_start(state, 1.5, -2.25)
    assert errors == [] and new["start"] == [1.5, -2.25] and new["frame"] == 0
    for bad in [(None, 1.0), (float("nan"), 0.0), (1e6, 0.0), ("1", 0.0)]:
        same, errors = start.set_start(state, *bad)
        assert same == state and errors, bad


@pytest.mark.parametrize("value", [0, -5, 10_001, 1e12, None, "100", 2.5, float("inf")])
def test_set_steps_refuses(state, value):
    same, errors = start.set_steps(state, value)
    assert same == state and errors


def test_set_steps_clamps_the_frame(state):
    new, _ = start.set_frame(state, 150)
    new, _ = start.set_steps(new, 100)
    assert new["steps"] == 100 and new["frame"] == 100


def test_load_lesson_and_unknown_lesson(state):
    new, errors = teach.load_lesson(state, "saddle-escape")
    assert errors == [] and new["surface"]["key"] == "custom"
    same, errors = teach.load_lesson(state, "nope")
    assert same == state and errors


def test_schedules_are_chosen_and_set_per_run(state):
    new, errors = runs.set_schedule(state, 2, "cosine")
    assert errors == [] and new["runs"][2]["schedule"] == {"kind": "cosine", "T_max": 1000.0, "eta_min": 0.0}
    assert new["runs"][:2] == state["runs"][:2] and state["runs"][2]["schedule"] == {"kind": "constant"}
    new, errors = runs.set_schedule_param(new, 2, "T_max", 150)
    assert errors == [] and new["runs"][2]["schedule"]["T_max"] == 150
    for run, name, value, message in [(2, "T_max", 0, "T_max"), (2, "gamma", 0.5, "no setting"),
                                      (2, "T_max", "x", "must be a number"), (9, "T_max", 10, "no run")]:
        same, errors = runs.set_schedule_param(new, run, name, value)
        assert same == new and message in errors[0], errors
    same, errors = runs.set_schedule(new, 2, "sqrt")
    assert same == new and errors
    flat, _ = runs.set_schedule(new, 2, "constant")
    assert flat["runs"][2]["schedule"] == {"kind": "constant"}


def test_the_compared_panel_and_the_window(state):
    new, errors = surface.set_compare(state, "angle", 45.0)
    assert errors == [] and new["compare"] == {"angle": 45.0}
    other, _ = surface.set_compare(state, "angle")  # no value: the other end of the range
    assert other["compare"] == {"angle": 90.0}
    one, _ = surface.set_compare(new, "")
    assert one["compare"] == {}
    for name, value in [("angle", 1e9), ("evil", 1.0), ("scale", 2.0)]:
        same, errors = surface.set_compare(state, name, value)
        assert same == state and errors
    boxed, errors = surface.set_box(state, [[-9.0, 1.0], [-3.0, 3.0]])
    assert errors == [] and boxed["box"] == [[-9.0, 1.0], [-3.0, 3.0]]
    same, errors = surface.set_box(state, [[1.0, -1.0], [0.0, 1.0]])
    assert same == state and "xmin < xmax" in errors[0]
    whole, _ = surface.set_box(boxed, None)
    assert whole["box"] is None


@pytest.mark.parametrize("setter,value", [(start.set_noise, -0.1), (start.set_noise, 1e6), (start.set_noise, "loud"),
                                          (start.set_fan, 21), (start.set_fan, 2.5), (start.set_seed, -1),
                                          (start.set_seed, 2**40), (start.set_view, "3d"), (start.set_frame, -1)])
def test_start_and_budget_refuse_values_out_of_range(state, setter, value):
    same, errors = setter(state, value)
    assert same == state and errors


@pytest.mark.parametrize("kind", ["compare", "compare_text"])
def test_the_compared_panels_slider_or_field_without_a_value_is_refused_with_a_message(state, kind):
    panel, _ = surface.set_compare(state, "angle", 45.0)
    same, errors = events.apply(panel, {"kind": kind, "name": "value", "value": None})
    assert same == panel and "needs a number; got nothing" in errors[0]
