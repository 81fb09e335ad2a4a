"""ui.core.state and ui.core.url: validation of everything a client can send, and the
URL round trip."""

import math

import pytest

from descent_lab import optimizers, surfaces
from descent_lab.ui.race import lessons
from descent_lab.ui.core.state import (
    MAX_RUNS,
    MAX_STEPS,
    default_state,
    validate_state,
)
from descent_lab.ui.core.url import decode_url, encode_url, read_url


def test_default_state_is_valid_and_races_gd_momentum_and_adam():
    state = default_state()
    checked, errors = validate_state(state)
    assert errors == []
    assert checked == state
    assert state["surface"]["key"] in ("valley", "rosenbrock")
    assert [r["optimizer"] for r in state["runs"]] == ["gd", "momentum", "adam"]


def test_default_learning_rates_come_from_the_surface_hint():
    state = default_state()
    hints = surfaces.get("valley").lr_hints
    by_key = {r["optimizer"]: r["hparams"]["lr"] for r in state["runs"]}
    assert by_key["gd"] == pytest.approx(hints["gradient"])
    assert by_key["adam"] == pytest.approx(hints["normalized"])
    # heavy ball's step is lr / (1 - mu) times the gradient: the hint is scaled down
    assert by_key["momentum"] == pytest.approx(hints["gradient"] * (1 - 0.9), rel=1e-2)


# ---------------------------------------------------------------- hostile states

def _with(**changes):
    state = default_state()
    state.update(changes)
    return state


HOSTILE = [
    # (description, raw state, substring expected in a message, check on the result)
    ("not a dict", "rm -rf /", "malformed", lambda s: s == default_state()),
    ("list", [1, 2], "malformed", lambda s: s == default_state()),
    ("unknown surface", _with(surface={"key": "__import__('os')", "params": {}}), "Unknown surface",
     lambda s: s["surface"]["key"] == "valley"),
    ("surface param out of range", _with(surface={"key": "valley", "params": {"condition": 1e9}}),
     "condition", lambda s: s["surface"]["params"]["condition"] == 20.0),
    ("surface param NaN", _with(surface={"key": "valley", "params": {"angle": float("nan")}}),
     "angle", lambda s: s["surface"]["params"]["angle"] == 0.0),
    ("surface param string", _with(surface={"key": "rosenbrock", "params": {"b": "100"}}),
     "must be a number", lambda s: s["surface"]["params"]["b"] == 100.0),
    ("unknown surface param", _with(surface={"key": "bowl", "params": {"evil": 1}}),
     "no parameter", lambda s: s["surface"]["params"] == {}),
    ("unknown optimizer", _with(runs=[{"optimizer": "sgd_turbo", "hparams": {}}]), "unknown optimizer",
     lambda s: s["runs"] == []),
    ("lr too large", _with(runs=[{"optimizer": "adam", "hparams": {"lr": 1e9}}]), "learning rate",
     lambda s: s["runs"][0]["hparams"]["lr"] == optimizers.REGISTRY["adam"].defaults["lr"]),
    ("beta1 = 1", _with(runs=[{"optimizer": "adam", "hparams": {"beta1": 1.0}}]), "beta",
     lambda s: s["runs"][0]["hparams"]["beta1"] == 0.9),
    ("lr NaN", _with(runs=[{"optimizer": "gd", "hparams": {"lr": float("nan")}}]), "finite",
     lambda s: math.isfinite(s["runs"][0]["hparams"]["lr"])),
    ("lr infinite", _with(runs=[{"optimizer": "gd", "hparams": {"lr": float("inf")}}]), "finite",
     lambda s: math.isfinite(s["runs"][0]["hparams"]["lr"])),
    ("lr as bool", _with(runs=[{"optimizer": "gd", "hparams": {"lr": True}}]), "must be a number",
     lambda s: isinstance(s["runs"][0]["hparams"]["lr"], float)),
    ("bool knob as string", _with(runs=[{"optimizer": "rmsprop", "hparams": {"centered": "yes"}}]),
     "true or false", lambda s: s["runs"][0]["hparams"]["centered"] is False),
    ("unknown hparam", _with(runs=[{"optimizer": "gd", "hparams": {"__class__": 1}}]), "no setting",
     lambda s: "__class__" not in s["runs"][0]["hparams"]),
    ("run not a dict", _with(runs=["adam"]), "malformed", lambda s: s["runs"] == []),
    ("runs not a list", _with(runs={"a": 1}), "malformed", lambda s: s["runs"] == []),
    ("too many runs", _with(runs=[{"optimizer": "gd", "hparams": {}}] * 50), f"At most {MAX_RUNS}",
     lambda s: len(s["runs"]) == MAX_RUNS),
    ("huge steps", _with(steps=10**9), "Steps", lambda s: s["steps"] == 200),
    ("steps beyond the engine's limit", _with(steps=MAX_STEPS + 1), "Steps", lambda s: s["steps"] == 200),
    ("zero steps", _with(steps=0), "Steps", lambda s: s["steps"] == 200),
    ("fractional steps", _with(steps=10.5), "whole number", lambda s: s["steps"] == 200),
    ("steps as string", _with(steps="100"), "must be a number", lambda s: s["steps"] == 200),
    ("negative seed", _with(seed=-1), "Seed", lambda s: s["seed"] == 0),
    ("noise NaN", _with(noise=float("nan")), "Noise", lambda s: s["noise"] == 0.0),
    ("negative noise", _with(noise=-1.0), "Noise", lambda s: s["noise"] == 0.0),
    ("start far away", _with(start=[1e300, 0.0]), "too far outside", lambda s: s["start"] == [-8.0, 2.0]),
    ("start NaN", _with(start=[float("nan"), 0.0]), "finite", lambda s: s["start"] == [-8.0, 2.0]),
    ("start wrong shape", _with(start=[1.0]), "two numbers", lambda s: s["start"] == [-8.0, 2.0]),
    ("start strings", _with(start=["a", "b"]), "must be a number", lambda s: s["start"] == [-8.0, 2.0]),
    ("unknown view", _with(view="3d<script>"), "View", lambda s: s["view"] == "overlay"),
    ("unknown top-level key", _with(admin=True), "Unknown setting", lambda s: "admin" not in s),
    ("frame beyond steps", _with(frame=5000, steps=100), None, lambda s: s["frame"] == 100),
]


@pytest.mark.parametrize("what,raw,message,check", HOSTILE, ids=[h[0] for h in HOSTILE])
def test_validate_state_refuses_hostile_values_with_a_message(what, raw, message, check):
    state, errors = validate_state(raw)
    if message is None:
        assert errors == []
    else:
        assert any(message.lower() in e.lower() for e in errors), errors
    assert check(state), state
    # whatever came in, the result is itself valid
    again, more = validate_state(state)
    assert more == [] and again == state


# --------------------------------------------------------------------- the URL

def test_url_round_trips_the_default_state():
    state = default_state()
    decoded, errors = decode_url(encode_url(state))
    assert errors == []
    assert decoded == state


@pytest.mark.parametrize("key", lessons.LESSON_KEYS)
def test_url_round_trips_every_lesson(key):
    state, errors = validate_state(lessons.get(key).state)
    assert errors == []
    state["frame"] = 17
    state["seed"] = 123
    state["view"] = "grid"
    decoded, errors = decode_url(encode_url(state))
    assert errors == []
    assert decoded == state


@pytest.mark.parametrize("key", list(optimizers.REGISTRY))
def test_url_round_trips_every_optimizer_with_non_default_values(key):
    spec = optimizers.REGISTRY[key]
    hparams = {}
    for hp in spec.hyperparams:
        if hp.kind == "bool":
            hparams[hp.name] = not hp.default
        elif hp.scale == "log":
            hparams[hp.name] = float(f"{math.sqrt(hp.low * hp.high):.3g}")
        else:
            hparams[hp.name] = hp.low + 0.37 * (hp.high - hp.low)
        if hp.kind == "int":  # a count: a whole number away from the default
            hparams[hp.name] = round(hparams[hp.name]) if round(hparams[hp.name]) != hp.default else hp.default + 1
    state, errors = validate_state(_with(runs=[{"optimizer": key, "hparams": hparams}]))
    assert all(state["runs"][0]["hparams"][name] == value for name, value in hparams.items())
    assert errors == []
    decoded, errors = decode_url(encode_url(state))
    assert errors == []
    assert decoded == state


def test_url_with_no_runs_round_trips_as_no_runs():
    state = _with(runs=[])
    decoded, errors = decode_url(encode_url(state))
    assert errors == [] and decoded["runs"] == []


def test_url_is_readable():
    url = encode_url(default_state())
    assert url.startswith("?surface=valley(condition=20,angle=0)&run=gd(lr=1.8")
    assert "&steps=200&" in url


def test_hand_written_url_fills_defaults():
    state, errors = decode_url("?surface=bowl&run=adam(lr=0.1)")
    assert errors == []
    assert state["surface"] == {"key": "bowl", "params": {}}
    assert state["runs"][0]["hparams"]["lr"] == 0.1
    assert state["runs"][0]["hparams"]["beta1"] == 0.9
    assert state["start"] == list(surfaces.get("bowl").start)


MALFORMED_URLS = [
    ("?surface=valley(condition=abc)", "condition"),
    ("?surface=valley(condition=1e999)", "condition"),
    ("?surface=valley(condition=nan)", "condition"),
    ("?surface=nope", "Unknown surface"),
    ("?surface=valley(((", "Could not read"),
    ("?run=adam(lr)", "Could not read"),
    ("?run=adam(lr=-1)", "learning rate"),
    ("?run=os.system(x=1)", "Could not read"),
    ("?run=" + "&run=".join(["gd"] * 12), "At most"),
    ("?steps=99999999", "Steps"),
    ("?steps=ten", "must be a number"),
    ("?start=1", "two numbers"),
    ("?start=inf,0", "finite"),
    ("?view=3d", "View"),
    ("?frame=-3", "Frame"),
    ("?debug=1", "Unknown address parameter"),
    ("?" + "x" * 20000, "too long"),
    ("?%ZZ%00&&&===", "Unknown address parameter"),
]


@pytest.mark.parametrize("url,message", MALFORMED_URLS, ids=[u[:40] for u, _ in MALFORMED_URLS])
def test_malformed_url_parts_are_reported_and_defaulted(url, message):
    state, errors = decode_url(url)
    assert any(message.lower() in e.lower() for e in errors), errors
    again, more = validate_state(state)
    assert more == [] and again == state


@pytest.mark.parametrize("search", [None, "", "?"])
def test_empty_url_gives_the_default_quietly(search):
    state, errors = decode_url(search)
    assert state == default_state() and errors == []


@pytest.mark.parametrize("search", [42, ["?surface=bowl"], {"$ne": 1}])
def test_non_string_url_gives_the_default_with_a_message(search):
    state, errors = decode_url(search)
    assert state == default_state()
    assert len(errors) == 1 and "could not be read" in errors[0]


# ------------------------------------------------------- run ids, schedules, panels, window

def test_run_ids_are_kept_and_repaired_when_missing_duplicated_or_crafted():
    runs = [{"id": 5, "optimizer": "gd"}, {"id": 5, "optimizer": "adam"}, {"id": True, "optimizer": "adam"},
            {"id": 99, "optimizer": "gd"}, {"optimizer": "lion"}, {"id": 0, "optimizer": "rmsprop"}]
    state, errors = validate_state(_with(runs=runs))
    assert errors == []  # an id is the page's bookkeeping: repaired quietly
    assert [r["id"] for r in state["runs"]] == [5, 1, 2, 3, 4, 0]  # the first 5 and the 0 keep theirs
    assert len({r["id"] for r in state["runs"]}) == len(runs)


def test_a_link_keeps_every_runs_id_and_writes_it_only_when_it_is_not_the_position():
    state, _ = validate_state(_with(runs=[{"id": 3, "optimizer": "adam", "hparams": {"lr": 0.1}},
                                          {"id": 1, "optimizer": "gd"}]))
    url = encode_url(state)
    assert "run=3:adam(lr=0.1," in url and "&run=gd(" in url  # run 1 sits at position 1
    decoded, errors = decode_url(url)
    assert errors == [] and [r["id"] for r in decoded["runs"]] == [3, 1] and decoded == state


def test_schedules_round_trip_and_bad_ones_fall_back_to_a_constant_rate_with_a_message():
    state, errors = decode_url("?run=adam(lr=0.3)~cosine(T_max=200)&run=gd~step(step_size=10,gamma=0.5)")
    assert errors == []
    assert state["runs"][0]["schedule"] == {"kind": "cosine", "T_max": 200.0, "eta_min": 0.0}
    assert state["runs"][1]["schedule"]["kind"] == "step" and state["runs"][1]["schedule"]["step_size"] == 10
    assert state["runs"][1]["hparams"]["lr"] == optimizers.REGISTRY["gd"].defaults["lr"]
    assert "~cosine(T_max=200,eta_min=0)" in encode_url(state)
    assert decode_url(encode_url(state)) == (state, [])
    for bad in ("~sqrt", "~cosine(T_max=0)", "~cosine(T_max=1e9)", "~exponential(gamma=nan)"):
        state, errors = decode_url(f"?run=adam{bad}")
        assert state["runs"][0]["schedule"] == {"kind": "constant"}
        assert any("constant learning rate" in e for e in errors), (bad, errors)


def test_the_compared_panel_takes_only_the_surfaces_own_parameters():
    state, errors = validate_state(_with(compare={"angle": 45.0}))
    assert errors == [] and state["compare"] == {"angle": 45.0}
    assert "compare=angle=45" in encode_url(state) and decode_url(encode_url(state)) == (state, [])
    for raw, message in [({"evil": 1}, "no parameter"), ({"angle": 1e9}, "angle"), ("angle", "malformed"),
                         ({"condition": "x"}, "must be a number")]:
        state, errors = validate_state(_with(compare=raw))
        assert state["compare"] == {} and any(message in e for e in errors), (raw, errors)
    bowl, errors = validate_state(_with(surface={"key": "bowl", "params": {}}, compare={"angle": 45.0}))
    assert bowl["compare"] == {} and any("no parameter" in e for e in errors)


def test_the_plotted_window_is_checked_against_the_surface():
    state, errors = validate_state(_with(box=[[-9.0, 1.0], [-3.0, 3.0]]))
    assert errors == [] and state["box"] == [[-9.0, 1.0], [-3.0, 3.0]]
    assert "box=-9,1,-3,3" in encode_url(state) and decode_url(encode_url(state)) == (state, [])
    for raw, message in [([[1, -1], [0, 1]], "xmin < xmax"), ([[-1e6, 1], [0, 1]], "too far"),
                         ([[0, 1]], "must be [[xmin, xmax]"), ("all", "must be [[xmin, xmax]"),
                         ([[0, float("nan")], [0, 1]], "finite")]:
        state, errors = validate_state(_with(box=raw))
        assert state["box"] is None and any(message in e for e in errors), (raw, errors)


def test_instruments_noise_fan_and_lesson_ride_in_the_url():
    key = lessons.LESSON_KEYS[0]
    state, errors = validate_state(_with(show=["angle", "grad"], noise=0.5, fan=5, lesson=key))
    assert errors == [] and state["show"] == ["grad", "angle"]  # the registry's order
    url = encode_url(state)
    assert "show=grad,angle" in url and "noise=0.5" in url and "fan=5" in url and f"lesson={key}" in url
    assert decode_url(url) == (state, [])


def test_read_url_says_only_what_the_link_says():
    raw, errors = read_url("?steps=50&run=")
    assert errors == [] and raw == {"steps": 50.0, "runs": []}
    assert read_url("") == (None, []) and read_url("?&") == (None, [])
    raw, _ = read_url("?surface=bowl")
    assert raw == {"surface": {"key": "bowl", "params": {}}, "start": None}  # a new surface: its own start
