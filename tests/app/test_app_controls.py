"""ui.core.widgets: every control comes from a HyperParam spec, for every registry entry."""

import math

import pytest
from dash import dcc, html

from descent_lab import optimizers, surfaces
from descent_lab.ui.core import engine, ids
from descent_lab.ui.core import widgets as controls
from descent_lab.ui.core.theme import fmt_value
from descent_lab.ui.core.url import decode_url, encode_url
from descent_lab.ui.race import events, runs

ALL_HPARAMS = [(key, hp) for key, spec in optimizers.REGISTRY.items() for hp in spec.hyperparams]
ALL_SURFACE_PARAMS = [(key, hp) for key, entry in surfaces.REGISTRY.items() for hp in entry.params]
PARAMS = ALL_HPARAMS + ALL_SURFACE_PARAMS
IDS = [f"{k}.{hp.name}" for k, hp in PARAMS]


def _find(component, kind):
    found = []
    if isinstance(component, kind):
        found.append(component)
    children = getattr(component, "children", None)
    if isinstance(children, (list, tuple)):
        for child in children:
            found += _find(child, kind)
    elif children is not None and not isinstance(children, str):
        found += _find(children, kind)
    return found


@pytest.mark.parametrize("owner,hp", PARAMS, ids=IDS)
def test_one_control_per_param_with_value_and_help(owner, hp):
    widget = controls.control(hp, hp.default, ids.hparam(0, hp.name), ids.hparam_text(0, hp.name), owner="run 1")
    assert widget.title  # help text as tooltip
    if hp.kind == "bool":
        assert len(_find(widget, dcc.Checklist)) == 1
        assert not _find(widget, dcc.Slider) and not _find(widget, dcc.Input)
        return
    shown = _find(widget, dcc.Input)
    assert len(shown) == 1  # the exact value beside the control, typed to set it
    assert shown[0].id == ids.hparam_text(0, hp.name) and shown[0].value == fmt_value(hp.default)
    assert shown[0].debounce is True  # it acts on Enter or when it loses focus
    sliders = _find(widget, dcc.Slider)
    if not controls.has_slider(hp):  # a whole-number or unbounded setting: the field alone
        assert sliders == []
        return
    assert len(sliders) == 1  # one slider, also for log scales
    slider = sliders[0]
    # the slider commits on release; while the hand moves, drag_value previews the paths
    assert slider.updatemode == "mouseup"
    assert slider.min <= slider.value <= slider.max
    assert getattr(widget, "data-name") == f"{hp.label} (run 1)"


def test_sliders_follow_the_hand_through_the_preview():
    previewed = {e.component for e in events.EVENTS if e.preview}
    assert {ids.HPARAM, ids.SPARAM, ids.LOSS_SCALE, ids.NOISE, ids.SCHEDULE_PARAM, ids.COMPARE_PARAM} <= previewed
    typed = {e.component for e in events.EVENTS if e.value_from == "value"}
    assert {ids.HPARAM_TEXT, ids.SPARAM_TEXT, ids.SCHEDULE_TEXT, ids.LOSS_SCALE_TEXT, ids.NOISE_TEXT} <= typed


@pytest.mark.parametrize("owner,hp", [p for p in PARAMS if p[1].kind != "bool"],
                         ids=[i for i, p in zip(IDS, PARAMS) if p[1].kind != "bool"])
def test_slider_positions_map_back_to_valid_values(owner, hp):
    low, high, step = controls.slider_range(hp)
    for position in (low, high, (low + high) / 2):
        value = controls.from_slider(hp, position)
        assert hp.validate(value) == value  # never outside the spec's range
    # the default survives the round trip (to three significant digits on log sliders)
    back = controls.from_slider(hp, controls.to_slider(hp, hp.default))
    assert back == pytest.approx(hp.default, rel=0.02, abs=step)


def test_log_slider_is_over_log10_values_with_real_marks():
    hp = optimizers.REGISTRY["adam"].param("lr")
    low, high, step = controls.slider_range(hp)
    assert (low, high) == (math.log10(hp.low), math.log10(hp.high))
    marks = controls.slider_marks(hp)
    assert "0.0001" in marks.values() or "1e-4" in marks.values()
    assert controls.from_slider(hp, -2.3) == 0.00501


def test_betas_stop_short_of_one():
    hp = optimizers.REGISTRY["adam"].param("beta2")
    low, high, step = controls.slider_range(hp)
    assert high < 1.0 and high >= 0.999
    assert hp.validate(controls.from_slider(hp, high)) < 1.0


def test_from_control_passes_junk_on_for_validation():
    hp = optimizers.REGISTRY["adam"].param("lr")
    assert controls.from_control(hp, "x") == "x"
    assert controls.from_control(hp, None) is None
    flag = optimizers.REGISTRY["rmsprop"].param("centered")
    assert controls.from_control(flag, ["on"]) is True
    assert controls.from_control(flag, []) is False


@pytest.mark.parametrize("key", list(optimizers.REGISTRY))
def test_every_optimizer_gets_its_controls_with_no_ui_code(key):
    spec = optimizers.REGISTRY[key]
    card = runs.run_card({"id": 3, "optimizer": key, "hparams": spec.defaults, "schedule": {"kind": "constant"}}, 0)
    knobs = _find(card, html.Div)
    built = next(d for d in knobs if d.className == "controls").children
    slider_ids = [s.id for c in built for s in _find(c, dcc.Slider)]
    check_ids = [s.id for c in built for s in _find(c, dcc.Checklist)]
    text_ids = [s.id for c in built for s in _find(c, dcc.Input)]
    expected = [ids.hparam(3, hp.name) for hp in spec.hyperparams if hp.kind == "bool" or controls.has_slider(hp)]
    assert sorted(map(str, slider_ids + check_ids)) == sorted(map(str, expected))
    assert sorted(map(str, text_ids)) == sorted(str(ids.hparam_text(3, hp.name)) for hp in spec.hyperparams
                                                if hp.kind != "bool")
    advanced = [hp for hp in spec.hyperparams if hp.advanced]
    assert bool(_find(html.Div(built), html.Details)) == bool(advanced)
    assert _find(card, dcc.Dropdown)[0].id == ids.run_optimizer(3)  # the card carries the run's id


@pytest.mark.parametrize("kind", list(optimizers.SCHEDULES))
def test_every_schedule_gets_its_controls_with_no_ui_code(kind):
    spec = optimizers.SCHEDULES[kind]
    schedule = {"kind": kind, **{hp.name: hp.default for hp in spec.params}}
    built = runs.schedule_controls({"id": 2, "schedule": schedule})
    assert _find(built, dcc.Dropdown)[0].id == ids.schedule(2)
    assert [s.id for s in _find(built, dcc.Slider)] == [ids.schedule_param(2, hp.name) for hp in spec.params
                                                        if controls.has_slider(hp)]
    assert [s.id for s in _find(built, dcc.Checklist)] == [ids.schedule_param(2, hp.name) for hp in spec.params
                                                           if hp.kind == "bool"]
    assert [s.id for s in _find(built, dcc.Input)] == [ids.schedule_text(2, hp.name) for hp in spec.params
                                                       if hp.kind != "bool"]


def test_a_list_of_steps_is_typed_and_linked_as_text():
    state, errors = decode_url("?surface=bowl&run=gd(lr=0.1)~multistep(milestones=60;30,gamma=0.5)&steps=100")
    assert errors == [] and state["runs"][0]["schedule"]["milestones"] == (30, 60)
    assert "milestones=30;60" in encode_url(state)
    assert decode_url(encode_url(state))[0]["runs"][0]["schedule"] == state["runs"][0]["schedule"]
    new, errors = runs.set_schedule_param(state, state["runs"][0]["id"], "milestones", "10, 20 40")
    assert errors == [] and new["runs"][0]["schedule"]["milestones"] == (10, 20, 40)
    _, errors = runs.set_schedule_param(state, state["runs"][0]["id"], "milestones", "10, 2.5")
    assert errors and "whole number" in errors[0]
    assert fmt_value((10, 20, 40)) == "10, 20, 40"


def test_a_run_whose_configuration_has_a_caveat_says_it_beside_its_status():
    state, errors = decode_url("?surface=bowl&run=asgd(lr=0.05)&run=gd(lr=0.1)&steps=200")
    assert errors == []
    surface = engine.surface_of(state["surface"])
    asgd, gd = runs.run_payload(state, 0, surface), runs.run_payload(state, 1, surface)
    assert asgd["note"] == optimizers.get("asgd").note(state["runs"][0]["hparams"], 200) and "t₀" in asgd["note"]
    assert "note" not in gd
