"""The race's callback logic (ui.race.flow) called as plain functions, its event table
(ui.race.events) against the page, the CSV (ui.race.export), the live preview
(ui.race.preview), and crafted requests sent to the real Dash endpoint through
Flask's test client."""

import io
import json
import math

import dash
import pandas as pd
import pytest
from dash import no_update

from descent_lab.ui import page
from descent_lab.ui.core import engine, ids, widgets
from descent_lab.ui.core.state import MAX_RUNS, default_state, validate_state
from descent_lab.ui.core.url import decode_url, encode_url
from descent_lab.ui.race import (
    callbacks,
    events,
    export,
    flow,
    lessons,
    preview,
    runs,
    surface,
    teach,
)
from descent_lab.ui.race.flow import OUTPUTS, respond


def _load(search=None):
    """The page opened at ``search`` (by default the plain default set-up; an empty link
    opens the first lesson instead)."""
    if search is None:
        search = encode_url(default_state())
    return respond(None, {"kind": "load", "search": search})


def _changed(out):
    return {name for name in OUTPUTS if out[name] is not no_update}


def _ops(patch):
    return patch.to_plotly_json()["operations"]


def _alert_text(out) -> str:
    return json.dumps(out["alerts"], default=lambda c: c.to_plotly_json())


def test_the_outputs_are_named_once_for_the_callback_and_the_logic():
    assert tuple(callbacks.OUTPUTS) == OUTPUTS
    assert set(respond(None, None)) == set(OUTPUTS)


def test_load_fills_everything_from_the_url():
    state = default_state()
    state["steps"] = 77
    out = _load(encode_url(state))
    assert out["state"] == state
    assert _changed(out) == set(OUTPUTS)
    assert out["field_message"] == "" and out["alerts"] == []  # nothing stale from before
    assert out["url"] == encode_url(state)
    assert out["view_store"]["autoplay"] is True  # a link at step 0 plays on load
    assert len(out["runs"]) == 3 and out["steps"] == 77


def test_load_of_a_shared_url_at_a_step_does_not_autoplay():
    state = default_state()
    state["frame"] = 42
    out = _load(encode_url(state))
    assert out["view_store"]["frame"] == 42 and out["view_store"]["autoplay"] is False


def test_a_link_with_only_a_lesson_loads_its_whole_set_up_and_the_rest_overrides_it():
    key = "saddle-escape"
    out = _load(f"?lesson={key}")
    expected, _ = teach.lesson_state(key)
    assert out["state"] == expected and out["alerts"] == []
    assert out["state"]["surface"]["key"] == "custom" and out["state"]["show"] == lessons.get(key).state["show"]
    assert out["lesson"] and lessons.get(key).title in str(out["lesson"])
    changed = _load(f"?lesson={key}&steps=40")
    assert changed["state"]["steps"] == 40 and changed["state"]["surface"]["key"] == "custom"
    unknown = _load("?lesson=<b>hi</b>")
    assert unknown["state"]["lesson"] is None and "Unknown lesson" in _alert_text(unknown)


def test_an_empty_link_opens_the_default_set_up_quietly():
    out = _load("")
    if lessons.DEFAULT_LESSON is None:
        assert out["state"] == default_state()
    else:
        assert out["state"] == teach.lesson_state(lessons.DEFAULT_LESSON)[0]
    assert out["alerts"] == []
    assert respond(None, {"kind": "seed", "value": 3})["state"] == out["state"]  # no state yet: the page loads


def test_a_slider_sends_only_that_runs_path_as_a_patch():
    state = _load()["state"]
    out = respond(state, {"kind": "hparam", "run": 1, "name": "lr", "value": -1.0})  # log10 slider
    assert out["state"]["runs"][1]["hparams"]["lr"] == 0.1
    assert _changed(out) == {"state", "paths", "url", "status"}  # no contour, no cards
    assert isinstance(out["paths"], dash.Patch)
    locations = [op["location"] for op in _ops(out["paths"])]
    assert locations == [["runs", 1], ["controls"]]  # that run, and the values its controls show
    assert all(op["operation"] == "Assign" for op in _ops(out["paths"]))
    size = len(json.dumps(out["paths"].to_plotly_json()))
    assert size < 10_000  # one run of 200 steps
    value = _ops(out["paths"])[0]["params"]["value"]
    assert "lr=0.1" in value["label"] and value["values"]["lr"] == "0.1" and value["positions"]["lr"] == -1.0


def test_a_typed_value_is_taken_exactly():
    state = _load()["state"]
    out = respond(state, {"kind": "hparam_text", "run": 0, "name": "lr", "value": " 2.05 "})
    assert out["state"]["runs"][0]["hparams"]["lr"] == 2.05  # a slider would give 2.04 or 2.07
    assert _ops(out["paths"])[0]["params"]["value"]["values"]["lr"] == "2.05"
    refused = respond(state, {"kind": "hparam_text", "run": 0, "name": "lr", "value": "2,05"})
    assert refused["state"] == state and "must be a number" in _alert_text(refused)


def test_every_typed_field_takes_its_exact_value():
    state = _load()["state"]
    assert respond(state, {"kind": "scale_text", "value": "0.5"})["state"]["surface"]["params"]["scale"] == 0.5
    assert respond(state, {"kind": "noise_text", "value": "0.25"})["state"]["noise"] == 0.25
    assert respond(state, {"kind": "sparam_text", "name": "angle", "value": "33.3"})["state"]["surface"]["params"][
        "angle"] == 33.3
    stepped = respond(state, {"kind": "schedule", "run": 1, "value": "step"})
    assert stepped["runs"] is not no_update  # the card shows the schedule's own controls
    typed = respond(stepped["state"], {"kind": "schedule_text", "run": 1, "name": "gamma", "value": "0.25"})
    assert typed["state"]["runs"][1]["schedule"]["gamma"] == 0.25 and typed["runs"] is no_update
    assert _ops(typed["paths"])[0]["location"] == ["runs", 1]
    compared = respond(state, {"kind": "compare", "name": "name", "value": "angle"})
    assert compared["state"]["compare"] == {"angle": 90.0} and compared["compare"] is not no_update
    assert compared["surface"]["twin"] and len(compared["paths"]["panels"]) == 2
    moved = respond(compared["state"], {"kind": "compare", "name": "text", "value": "30"})
    assert moved["state"]["compare"] == {"angle": 30.0} and moved["compare"] is no_update  # the field stays
    assert len(moved["paths"]["twin"]["runs"]) == 3


def test_a_slider_on_eight_long_runs_sends_under_100_kb():
    runs_ = "&".join(f"run=adam(lr={0.002 * (i + 1)})" for i in range(8))
    state = _load(f"?surface=rosenbrock&{runs_}&steps=1000")["state"]
    out = respond(state, {"kind": "hparam", "run": 4, "name": "beta1", "value": 0.8})
    size = len(json.dumps(out["paths"].to_plotly_json()))
    assert size < 100_000, size


def test_surface_change_sends_the_contour_once_and_new_cards_only_when_needed():
    state = _load()["state"]
    out = respond(state, {"kind": "surface", "value": "himmelblau"})
    assert out["surface"]["key"] == "himmelblau"
    assert out["runs"] is no_update  # same optimizers: the cards keep their sliders
    assert out["surface_params"] == []  # Himmelblau has no parameters
    assert out["view_store"]["autoplay"] is True
    again = respond(out["state"], {"kind": "hparam", "run": 0, "name": "lr", "value": -3.0})
    assert again["surface"] is no_update


def test_dragging_a_surface_parameter_keeps_its_controls_and_sends_the_contour():
    state = _load()["state"]
    out = respond(state, {"kind": "sparam", "name": "condition", "value": 1.5})  # log10 slider: 31.6
    assert out["state"]["surface"]["params"]["condition"] == pytest.approx(31.6)
    assert out["surface"] is not no_update and out["paths"] is not no_update
    assert out["surface_params"] is no_update and out["runs"] is no_update  # the slider under the hand stays
    hp = surface.sparam_spec(out["state"], "condition")
    assert out["paths"]["controls"]["sparam"]["condition"] == ["31.6", widgets.to_slider(hp, 31.6)]
    typed = respond(out["state"], {"kind": "sparam_text", "name": "condition", "value": "24.5"})
    assert typed["state"]["surface"]["params"]["condition"] == 24.5 and typed["surface_params"] is no_update


def test_view_and_frame_changes_send_no_paths():
    state = _load()["state"]
    view = respond(state, {"kind": "view", "value": "grid"})
    assert view["surface"] is no_update and view["view_store"]["view"] == "grid"
    # the panels are re-laid out; no run's path is sent again
    assert isinstance(view["paths"], dash.Patch)
    assert sorted(op["location"][0] for op in _ops(view["paths"])) == ["box", "controls", "layout", "panels"]
    assert len(json.dumps(view["paths"].to_plotly_json())) < 10_000
    frame = respond(state, {"kind": "frame", "value": 120})
    assert _changed(frame) == {"state", "url"}
    assert "frame=120" in frame["url"]


def test_fitting_the_window_sends_the_contour_and_no_paths():
    state = _load()["state"]
    out = respond(state, {"kind": "box", "value": "fit"})
    box = out["state"]["box"]
    assert box is not None and out["surface"]["box"] == box
    assert isinstance(out["paths"], dash.Patch) and all(op["location"][0] != "runs" for op in _ops(out["paths"]))
    xy = [engine.trajectory(state, i).xy for i in range(3)]
    for path in xy:  # every path is inside the window
        assert (path[:, 0] >= box[0][0]).all() and (path[:, 0] <= box[0][1]).all()
        assert (path[:, 1] >= box[1][0]).all() and (path[:, 1] <= box[1][1]).all()
    whole = respond(out["state"], {"kind": "box", "value": "whole"})
    assert whole["state"]["box"] is None and whole["surface"]["box"] == surface.window(whole["state"])


def test_structure_changes_rerender_the_cards():
    state = _load()["state"]
    out = respond(state, {"kind": "add", "optimizer": "lion"})
    assert len(out["runs"]) == 4 and not isinstance(out["paths"], dash.Patch)
    out = respond(out["state"], {"kind": "optimizer", "run": 3, "value": "adamw"})
    assert out["runs"] is not no_update
    out = respond(out["state"], {"kind": "remove", "run": 0})
    assert len(out["state"]["runs"]) == 3


def test_add_run_is_disabled_at_the_limit():
    state = _load()["state"]
    out = None
    while len(state["runs"]) < MAX_RUNS:
        out = respond(state, {"kind": "add", "optimizer": "adam"})
        state = out["state"]
    assert out["add_disabled"] is True
    out = respond(state, {"kind": "remove", "run": 0})
    assert out["add_disabled"] is False


def test_click_moves_the_start_to_the_exact_point():
    state = _load()["state"]
    out = respond(state, {"kind": "click", "value": {"x": 1.2345678, "y": -3.14159}})
    # the pointer's position, to 4 significant digits (far finer than a pixel, and readable)
    assert out["state"]["start"] == [1.235, -3.142]
    assert (out["start_x"], out["start_y"]) == (1.235, -3.142)
    assert out["view_store"]["frame"] == 0 and out["view_store"]["autoplay"] is True


def test_lesson_loads_its_set_up():
    state = _load()["state"]
    out = respond(state, {"kind": "lesson", "key": "saddle-escape"})
    assert out["state"]["surface"]["key"] == "custom"
    assert out["surface_key"] == "custom"
    assert [r["optimizer"] for r in out["state"]["runs"]] == ["gd", "adam"]
    assert out["alerts"] is no_update


@pytest.mark.parametrize("value", [0, -5, 2.5, 99999, None, ""])
def test_a_refused_number_field_says_why_in_place_and_goes_back(value):
    state = _load()["state"]
    out = respond(state, {"kind": "steps", "value": value})
    assert out["state"] == state and out["steps"] == state["steps"]
    message = out["field_message"]
    assert message.startswith("Steps needs a whole number from 1 to 10,000; got ") and "Kept the value" in message
    assert ("nothing" in message) == (value in (None, ""))
    fixed = respond(state, {"kind": "steps", "value": 50})
    assert fixed["field_message"] == "" and fixed["state"]["steps"] == 50 and fixed["steps"] is no_update
    seed = respond(state, {"kind": "seed", "value": -1})
    assert seed["field_message"].startswith("Seed needs a whole number from 0 to 4,294,967,295")
    start_x = respond(state, {"kind": "start_x", "value": None})
    assert start_x["field_message"].startswith("Start x needs a number") and start_x["start_x"] == state["start"][0]


@pytest.mark.parametrize("text", ["2.5x", "\ud800", "é" * 60])
def test_typed_text_shown_back_in_a_field_message_is_text_a_reply_can_carry(text):
    out = respond(_load()["state"], {"kind": "steps", "value": text})
    message = out["field_message"]
    message.encode("utf-8")  # a lone surrogate, echoed as typed, made the whole reply a 500
    shown = message.split("; got ", 1)[1].split(". Kept", 1)[0]
    assert shown == text[:40].encode("utf-8", "backslashreplace").decode("utf-8")


HOSTILE_EVENTS = [
    {"kind": "hparam", "run": 0, "name": "lr", "value": 99.0},
    {"kind": "hparam", "run": 0, "name": "lr", "value": "1e-2"},
    {"kind": "hparam", "run": 0, "name": "lr", "value": None},
    {"kind": "hparam", "run": 0, "name": "lr", "value": 1e308},  # log10 slider: 10 ** 1e308
    {"kind": "hparam", "run": 0, "name": "lr", "value": 10**400},  # beyond float
    {"kind": "hparam", "run": 0, "name": "lr", "value": -1e308},
    {"kind": "hparam_text", "run": 0, "name": "lr", "value": "1e999"},
    {"kind": "hparam_text", "run": 0, "name": "lr", "value": "__import__('os')"},
    {"kind": "steps", "value": 10**400},
    {"kind": "start_x", "value": -(10**400)},
    {"kind": "hparam", "run": 0, "name": "__dict__", "value": 1},
    {"kind": "hparam", "run": 99, "name": "lr", "value": -2},
    {"kind": "hparam", "run": "0", "name": "lr", "value": -2},
    {"kind": "sparam", "name": "condition", "value": 50.0},  # log10 slider: 1e50
    {"kind": "sparam", "name": "nope", "value": 1},
    {"kind": "sparam_text", "name": "angle", "value": "ninety"},
    {"kind": "scale_text", "value": "1e9"},
    {"kind": "surface", "value": None},
    {"kind": "optimizer", "run": 0, "value": "eval"},
    {"kind": "add", "optimizer": ["adam"]},
    {"kind": "remove", "run": -1},
    {"kind": "duplicate", "run": 42},
    {"kind": "schedule", "run": 0, "value": "sqrt"},
    {"kind": "schedule_param", "run": 0, "name": "T_max", "value": 10},  # constant: no T_max
    {"kind": "compare", "name": "name", "value": "evil"},
    {"kind": "compare", "name": "name", "value": None},  # the picker is never cleared: "" is one panel
    {"kind": "compare", "name": "name", "value": ["angle"]},
    {"kind": "compare", "name": "value", "value": 1},  # no second panel yet
    {"kind": "sparam_text", "name": "__class__", "value": 1},
    {"kind": "steps", "value": 10**7},
    {"kind": "steps", "value": "NaN"},
    {"kind": "seed", "value": 2**40},
    {"kind": "noise", "value": 1e6},
    {"kind": "noise", "value": -0.1},
    {"kind": "noise", "value": "loud"},
    {"kind": "noise_text", "value": "-1"},
    {"kind": "fan", "value": 99},
    {"kind": "start_x", "value": None},
    {"kind": "click", "value": "x=1"},
    {"kind": "click", "value": {"x": float("nan"), "y": 0}},
    {"kind": "view", "value": "<img src=x onerror=alert(1)>"},
    {"kind": "frame", "value": -1},
    {"kind": "lesson", "key": {"$gt": ""}},
    {"kind": "lesson_act", "what": "restore"},  # no lesson to restore
    {"kind": "unknown", "what": "mystery-button"},
    {"kind": ["hparam"]},
]


@pytest.mark.parametrize("event", HOSTILE_EVENTS, ids=[str(e)[:50] for e in HOSTILE_EVENTS])
def test_hostile_events_give_a_message_and_keep_the_state(event):
    state = _load()["state"]
    out = respond(state, event)
    if out["state"] is not no_update:
        assert out["state"] == state
    assert out["alerts"] is not no_update and out["alerts"], "no visible message"
    text = _alert_text(out)
    assert "refused" in text.lower()


def test_a_set_up_from_a_map_is_applied_whole_and_a_bad_one_keeps_the_race():
    state = _load("?surface=bowl&run=gd(lr=0.1)&steps=50")["state"]
    tuned = {**state, "runs": [{**state["runs"][0], "hparams": {"lr": 0.5, "weight_decay": 0.0}}], "steps": 80}
    out = respond(state, {"kind": "setup", "state": tuned, "reveal": True})
    assert out["state"] == validate_state(tuned)[0] and out["alerts"] == []
    assert out["view_store"]["autoplay"] is True and out["runs"] is not no_update and out["steps"] == 80
    for raw, message in [(None, "not a set of settings"), ("rm -rf /", "not a set of settings"),
                         ({**tuned, "steps": 10**9}, "kept its own"), ({"runs": "x"}, "kept its own")]:
        refused = respond(state, {"kind": "setup", "state": raw})
        assert refused["state"] == state and message in _alert_text(refused), raw


def test_an_action_handed_over_by_a_map_brings_the_race_back_into_view():
    state = _load()["state"]
    moved = respond(state, {"kind": "click", "value": {"x": 1.0, "y": 1.0}, "reveal": True})
    assert moved["view_store"]["reveal"] is True and moved["view_store"]["autoplay"] is True
    same = respond(state, {"kind": "click", "value": {"x": state["start"][0], "y": state["start"][1]}, "reveal": True})
    assert same["view_store"]["reveal"] is True and same["view_store"]["frame"] is None  # nothing moved, still shown
    for reveal in (None, "yes", 1):
        out = respond(state, {"kind": "click", "value": {"x": 1.0, "y": 1.0}, "reveal": reveal})
        assert "reveal" not in out["view_store"]
    assert "reveal" not in respond(state, {"kind": "view", "value": "grid"})["view_store"]


@pytest.mark.parametrize("action", ["junk", 3, ["kind"], {"no": "kind"}])
def test_a_malformed_action_changes_nothing_and_says_so(action):
    out = respond(_load()["state"], action)
    assert _changed(out) == {"alerts"} and "malformed" in _alert_text(out)


def test_a_tampered_client_state_is_revalidated():
    state = _load()["state"]
    state["runs"][0]["hparams"]["lr"] = 1e9
    state["steps"] = 10**9
    out = respond(state, {"kind": "seed", "value": 3})
    assert out["state"]["steps"] == 200
    assert out["state"]["runs"][0]["hparams"]["lr"] <= 10
    assert out["state"]["seed"] == 3
    assert out["alerts"]
    # the page's picture may not match the repaired state: everything is resent
    assert isinstance(out["paths"], dict) and out["surface"] is not no_update and out["runs"] is not no_update


# ------------------------------------------------------------------ the event table

def _walk(node):
    """Every Dash component in a tree (lists, children)."""
    if isinstance(node, (list, tuple)):
        for item in node:
            yield from _walk(item)
        return
    if not hasattr(node, "_prop_names"):
        return
    yield node
    for prop in ("children", "label"):
        child = getattr(node, prop, None)
        if child is not None and not isinstance(child, (str, int, float)):
            yield from _walk(child)
    for option in getattr(node, "options", None) or []:
        if isinstance(option, dict):
            yield from _walk(option.get("label"))


def _rendered_page() -> list:
    """The page and every part the race renders into it: run cards (with a schedule), the
    controls of every surface and of the typed one, the compared panel, lesson banners."""
    state = default_state()
    state["runs"][0]["schedule"] = {"kind": "cosine", "T_max": 100.0, "eta_min": 0.0}
    parts = [page.build(), runs.run_cards(state)]
    for key in ("valley", "rosenbrock", "custom"):
        moved, _ = surface.set_surface(state, key)
        parts.append(surface.panel_children(moved)["params"])
    compared, _ = surface.set_compare(state, "angle", 45.0)
    parts.append(surface.compare_controls(compared))
    lesson, _ = teach.load_lesson(state, "momentum-ravine")
    stale, _ = runs.set_hparam(lesson, 0, "lr", 0.1)
    parts += [teach.banner(lesson), teach.banner(stale)]
    return list(_walk(parts))


RENDERED = _rendered_page()


def _matching(event: dict) -> list:
    if event["pattern"]:
        return [c for c in RENDERED if isinstance(getattr(c, "id", None), dict) and c.id["type"] == event["component"]]
    return [c for c in RENDERED if getattr(c, "id", None) == event["component"]]


@pytest.mark.parametrize("event", events.export(), ids=lambda e: f"{e['kind']}.{e['prop']}")
def test_every_event_names_a_component_and_a_property_that_exist_in_the_page(event):
    found = _matching(event)
    assert found, f"no component {event['component']!r} in the page"
    for component in found:
        assert event["prop"] in component._prop_names, (type(component).__name__, event["prop"])
        if event["valueFrom"]:
            assert event["valueFrom"] in component._prop_names
        if event["pattern"]:  # the id's fields are exactly what the action copies
            assert set(component.id) - {"type"} == set(event["keys"]), component.id
        else:
            assert event["keys"] == []
    assert event["click"] == (event["prop"] == "n_clicks")
    for _field, component_id, prop in event["extra"]:
        (other,) = [c for c in RENDERED if getattr(c, "id", None) == component_id]
        assert prop in other._prop_names
    assert event["kind"] in events.APPLY
    assert event["mirror"] == "" or event["mirror"] == "box" or event["mirror"].split(":")[0] in (
        "state", "run", "position", "text")
    if event["preview"]:  # a slider being dragged reports drag_value
        assert any("drag_value" in c._prop_names for c in found)


def test_the_event_table_is_whole_and_reaches_the_browser():
    table = events.export()
    assert page.config()["events"] == table
    json.dumps(table, allow_nan=False)
    pairs = [(str(e["component"]), e["prop"]) for e in table]
    assert len(pairs) == len(set(pairs))  # one action per control and property
    handled = {e["component"] for e in table if e["pattern"]}
    rendered = {c.id["type"] for c in RENDERED if isinstance(getattr(c, "id", None), dict)}
    # every pattern-id control the race renders acts through the table (the run status is an output)
    # run statuses are outputs; formulas open and close in the browser (typeset on demand)
    race_types = rendered - {ids.RUN_STATUS, ids.FORMULA_TOGGLE, ids.FORMULA_BODY, ids.FORMULA_SRC}
    assert race_types <= handled, race_types - handled
    inputs, states = callbacks.dispatch_dependencies()
    # every control but the sliders is an Input of the dispatcher; a slider's action is
    # written by the page itself once the hand lets go
    assert len(inputs) == len([e for e in table if not e["preview"]])
    assert not any(callbacks.dispatched(e) for e in events.EVENTS if e.preview)
    assert [s.component_id for s in states[-2:]] == [ids.STATE, ids.PATHS]


def test_every_action_kind_applies_and_unknown_kinds_are_refused():
    state = default_state()
    new, errors = events.apply(state, {"kind": "nope"})
    assert new is state and "does not know" in errors[0]
    new, errors = events.apply(state, {"kind": None})
    assert new is state and errors
    assert {"setup", "fit"} <= set(events.APPLY)


# ------------------------------------------------------------------ the CSV

def test_csv_has_one_row_per_step_per_run_and_says_what_it_holds():
    state = _load()["state"]
    text, name, errors = export.csv_text(state)
    assert errors == []
    assert name == "descent-lab-valley-gd-momentum-adam.csv"
    comments = [line for line in text.splitlines() if line.startswith("#")]
    assert comments[0].startswith("# Descent Lab: Elongated valley") or "start (-8, 2)" in comments[0]
    link = next(line for line in comments if line.startswith("# link: "))[len("# link: "):]
    assert decode_url(link) == (state, [])
    frame = pd.read_csv(io.StringIO(text), comment="#")
    assert list(frame.columns[:4]) == ["run", "optimizer", "label", "status"]
    assert len(frame) == sum(len(engine.trajectory(state, i).xy) for i in range(3))
    crafted, _, errors = export.csv_text({"steps": "many"})
    assert errors and "Steps" in errors[0] and "# Descent Lab" in crafted


def test_csv_file_names_are_safe_and_short():
    state, _ = validate_state({**default_state(), "runs": [{"optimizer": "adam"}] * 6})
    assert export.filename(state, "csv") == "descent-lab-valley-adam-adam-adam-adam-and-2-more.csv"


# ------------------------------------------------------------------ the live preview

def test_preview_answers_the_moving_paths_without_committing():
    state = _load()["state"]
    answer = flow.preview(state, {"kind": "hparam", "run": 2, "name": "lr", "value": -2.0})
    assert set(answer["runs"]) == {"2"} and answer["all"] is False and "surface" not in answer
    assert "lr=0.01" in answer["runs"]["2"]["label"]
    shape = flow.preview(state, {"kind": "sparam", "name": "angle", "value": 30.0})
    assert shape["all"] is True and set(shape["runs"]) == {"0", "1", "2"}
    assert shape["surface"]["contour"]["z"]["shape"] == f"{surface.PREVIEW_GRID}, {surface.PREVIEW_GRID}"
    # the hand back at the value in use (or at a position that rounds to it): the page is told
    # to show what its stores hold, whatever earlier preview it still shows
    lr = next(r for r in state["runs"] if r["id"] == 2)["hparams"]["lr"]
    for position in (math.log10(lr), math.log10(lr) + 1e-4):
        back = flow.preview(state, {"kind": "hparam", "run": 2, "name": "lr", "value": position})
        assert back["unchanged"] is True and back["runs"] == {} and "surface" not in back
    angle = state["surface"]["params"]["angle"]
    assert flow.preview(state, {"kind": "sparam", "name": "angle", "value": angle})["unchanged"] is True
    assert "unchanged" not in answer and "unchanged" not in shape
    refused = flow.preview(state, {"kind": "hparam", "run": 2, "name": "lr", "value": 9.0})
    assert "learning rate" in refused["error"]
    for action in ({"kind": "steps", "value": 10}, "junk", None):
        with pytest.raises(ValueError, match="Only a slider"):
            flow.preview(state, action)
    with pytest.raises(ValueError, match="not valid"):
        flow.preview({**state, "steps": 10**9}, {"kind": "hparam", "run": 2, "name": "lr", "value": -2.0})


@pytest.mark.parametrize("body,status,message", [
    (b"not json", 400, "not JSON"),
    (b"[1, 2]", 400, "must be"),
    (json.dumps({"state": None}).encode(), 400, "must be"),
    (json.dumps({"state": {"steps": 10**9}, "action": {"kind": "noise", "value": 1.0}}).encode(), 400, "not valid"),
    (json.dumps({"state": None, "action": {"kind": "view", "value": "grid"}}).encode(), 400, "Only a slider"),
    (b"\xff\xfe", 400, "not JSON"),
])
def test_preview_requests_are_validated(body, status, message):
    reply, code = preview.answer(body)
    assert code == status and message in reply["error"]


# ------------------------------------------------- the real endpoint (Flask client)

@pytest.fixture(scope="module")
def client():
    from descent_lab.app import app

    return app, app.server.test_client()


def test_healthz(client):
    _, http = client
    response = http.get("/healthz")
    assert response.status_code == 200 and response.data == b"ok"


def _request_for(app, action, client_state):
    """A /_dash-update-component body for the race callback, its action store changed."""
    key, callback = next((k, c) for k, c in app.callback_map.items()
                         if "callback" in c and c["callback"].__name__ == "on_action")
    values = {ids.URL: "", ids.ACTION: action, ids.STATE: client_state}
    group = lambda specs: [{**spec, "value": values[spec["id"]]} for spec in specs]
    outputs = [{"id": o.split(".")[0], "property": o.split(".")[1]} for o in key.strip(".").split("...")]
    return {"output": key, "outputs": outputs, "inputs": group(callback["inputs"]),
            "state": group(callback["state"]), "changedPropIds": [f"{ids.ACTION}.data"]}


@pytest.mark.parametrize("action", [
    {"kind": "steps", "value": 10**9},
    {"kind": "steps", "value": "1; DROP TABLE"},
    {"kind": "surface", "value": "__import__('os').system('x')"},
    {"kind": "view", "value": {"$ne": 1}},
    {"kind": "click", "value": [1, 2, 3]},
    {"kind": "sparam_text", "name": "expression", "value": "__import__('os').system('x')"},
    {"kind": "setup", "state": "rm -rf /"},
    {"kind": "setup", "state": None},
    {"kind": "nope"},
])
def test_crafted_requests_get_a_message_not_a_crash(client, action):
    app, http = client
    state = decode_url("?surface=bowl&steps=50")[0]
    response = http.post("/_dash-update-component", json=_request_for(app, action, state))
    assert response.status_code == 200, response.data[:300]
    reply = response.get_json()["response"]
    assert reply[ids.STATE]["data"] == state
    alerts = json.dumps(reply[ids.ALERTS]["children"])
    assert "refused" in alerts.lower()


def test_the_real_endpoint_answers_a_slider_with_a_patch_of_one_run(client):
    app, http = client
    state = decode_url("")[0]
    action = {"kind": "hparam", "run": 2, "name": "lr", "value": -2.0}
    response = http.post("/_dash-update-component", json=_request_for(app, action, state))
    reply = response.get_json()["response"]
    assert reply[ids.STATE]["data"]["runs"][2]["hparams"]["lr"] == 0.01
    assert set(reply) == {ids.STATE, ids.PATHS, ids.URL_OUT, ids.STATUS}
    operations = reply[ids.PATHS]["data"]["operations"]
    assert [op["location"] for op in operations] == [["runs", 2], ["controls"]]


def test_the_preview_route_answers_json(client):
    _, http = client
    state = decode_url("")[0]
    reply = http.post(preview.ROUTE, json={"state": state, "action": {"kind": "noise", "value": 0.5}})
    assert reply.status_code == 200 and reply.headers["Cache-Control"] == "no-store"
    assert reply.get_json()["all"] is True
    bad = http.post(preview.ROUTE, data=b"{", content_type="application/json")
    assert bad.status_code == 400 and "not JSON" in bad.get_json()["error"]


def test_oversized_requests_are_refused_before_parsing(client):
    _, http = client
    response = http.post("/_dash-update-component", data=b"{" + b" " * 2_000_000 + b"}",
                         content_type="application/json")
    assert response.status_code == 413


def test_noise_and_seed_make_stochastic_gradients_reproducible():
    state = _load()["state"]
    noisy = respond(state, {"kind": "noise", "value": 0.5})
    assert noisy["state"]["noise"] == 0.5 and "noise=0.5" in noisy["url"]
    first = noisy["paths"]
    again = respond(noisy["state"], {"kind": "seed", "value": 0})  # same seed: same paths, nothing sent
    assert again["paths"] is no_update
    other = respond(noisy["state"], {"kind": "seed", "value": 1})
    assert other["paths"]["runs"][0]["x"] != first["runs"][0]["x"]
    reloaded = _load(noisy["url"])
    assert reloaded["paths"]["runs"][0]["x"] == first["runs"][0]["x"]
