"""Thin Dash callbacks over pure functions.

One server callback, :func:`on_input`, receives every control. Its wrapper only
reads which control fired (``dash.ctx``) and hands a plain *event* dict to
:func:`respond`, a pure function ``(client state, event) -> outputs`` that
re-validates the client's state, applies the event (``ui.actions``) and decides
which outputs actually change:

* the contour payload only when the surface changed (once per surface);
* the paths only when something that moves them changed (a view switch or a
  frame change sends no trajectories);
* the run cards only when runs are added, removed or change optimizer, so a slider
  being dragged is never re-rendered under the pointer.

Everything else is clientside (``assets/descent.js``): drawing the paths at the
current frame, the animation, the exact click position, the URL update.
"""

from __future__ import annotations

import uuid
from typing import Any

import dash
from dash import ALL, Input, Output, State, dcc, no_update

from descent_lab import optimizers, surfaces

from . import (
    actions,
    controls,
    figures,
    ids,
    instrument_actions,
    instruments,
    layout,
    simulate,
)
from .state import (
    SCALE,
    SCALE_PARAM,
    decode_url,
    encode_url,
    surface_label,
    unscaled,
    validate_state,
)

NO = no_update

# Names of the outputs of on_input, in order (respond returns a dict with these keys).
OUTPUT_NAMES = (
    "state", "surface", "paths", "view_store", "url", "alerts", "status",
    "runs", "surface_params", "surface_info",
    "surface_key", "start_x", "start_y", "steps", "seed", "view", "lesson", "noise",
    "scale", "show", "fan",
)


def _nonce() -> str:
    """Makes each VIEW_STORE value distinct, so the browser re-applies it."""
    return uuid.uuid4().hex[:8]


def _outputs() -> list[Output]:
    return [
        Output(ids.STATE, "data"),
        Output(ids.SURFACE, "data"),
        Output(ids.PATHS, "data"),
        Output(ids.VIEW_STORE, "data"),
        Output(ids.URL_OUT, "data"),
        Output(ids.ALERTS, "children"),
        Output(ids.STATUS, "children"),
        Output(ids.RUNS, "children"),
        Output(ids.SURFACE_PARAMS, "children"),
        Output(ids.SURFACE_INFO, "children"),
        Output(ids.SURFACE_KEY, "value"),
        Output(ids.START_X, "value"),
        Output(ids.START_Y, "value"),
        Output(ids.STEPS, "value"),
        Output(ids.SEED, "value"),
        Output(ids.VIEW, "value"),
        Output(ids.LESSON, "children"),
        Output(ids.NOISE, "value"),
        Output(ids.LOSS_SCALE, "value"),
        Output(ids.SHOW, "value"),
        Output(ids.FAN, "value"),
    ]


def _inputs() -> list[Input]:
    return [
        Input(ids.URL, "search"),
        Input(ids.SURFACE_KEY, "value"),
        Input({"type": ids.SPARAM, "name": ALL}, "value"),
        Input(ids.ADD_RUN, "n_clicks"),
        Input({"type": ids.RUN_OPTIMIZER, "run": ALL}, "value"),
        Input({"type": ids.RUN_REMOVE, "run": ALL}, "n_clicks"),
        Input({"type": ids.RUN_DUPLICATE, "run": ALL}, "n_clicks"),
        Input({"type": ids.HPARAM, "run": ALL, "name": ALL}, "value"),
        Input(ids.START_X, "value"),
        Input(ids.START_Y, "value"),
        Input(ids.STEPS, "value"),
        Input(ids.SEED, "value"),
        Input(ids.VIEW, "value"),
        Input({"type": ids.PRESET, "key": ALL}, "n_clicks"),
        Input(ids.CLICK, "data"),
        Input(ids.FRAME_SYNC, "data"),
        Input({"type": ids.LESSON_CLOSE, "key": ALL}, "n_clicks"),  # ALL: absent when no lesson
        Input(ids.NOISE, "value"),
        Input({"type": ids.CUSTOM, "name": ALL}, "value"),  # ALL: absent unless a typed surface
        Input(ids.LOSS_SCALE, "value"),
        Input(ids.SHOW, "value"),
        Input(ids.FAN, "value"),
    ]


# ------------------------------------------------------------------------------
# pure part
# ------------------------------------------------------------------------------

def event_from_trigger(trigger_id: Any, value: Any, *, search: Any = None, add_optimizer: Any = None) -> dict | None:
    """Translate "which control fired, with which value" into an event (None: ignore).

    ``trigger_id`` is what ``dash.ctx.triggered_id`` gives: a string id, a
    pattern-matching dict id, or None for an initial call.
    """
    if trigger_id is None or trigger_id == ids.URL:
        return {"kind": "load", "search": search}
    if isinstance(trigger_id, dict):
        kind = trigger_id.get("type")
        if kind == ids.SPARAM:
            return {"kind": "sparam", "name": trigger_id.get("name"), "value": value}
        if kind == ids.HPARAM:
            return {"kind": "hparam", "run": trigger_id.get("run"), "name": trigger_id.get("name"), "value": value}
        if kind == ids.RUN_OPTIMIZER:
            return {"kind": "optimizer", "run": trigger_id.get("run"), "value": value}
        if kind == ids.LESSON_CLOSE:
            return {"kind": "close_lesson"} if value else None
        if kind == ids.CUSTOM:
            if trigger_id.get("name") == "expression":
                return {"kind": "expression", "value": value}
            return {"kind": "bound", "name": trigger_id.get("name"), "value": value}
        if kind in (ids.RUN_REMOVE, ids.RUN_DUPLICATE, ids.PRESET):
            if not value:  # a button that was just rendered, not clicked
                return None
            if kind == ids.PRESET:
                return {"kind": "preset", "key": trigger_id.get("key")}
            return {"kind": "remove" if kind == ids.RUN_REMOVE else "duplicate", "run": trigger_id.get("run")}
        return {"kind": "unknown", "what": kind}
    simple = {
        ids.SURFACE_KEY: "surface", ids.START_X: "start_x", ids.START_Y: "start_y", ids.STEPS: "steps",
        ids.SEED: "seed", ids.VIEW: "view", ids.CLICK: "click", ids.FRAME_SYNC: "frame", ids.NOISE: "noise",
        ids.LOSS_SCALE: "scale", ids.SHOW: "show", ids.FAN: "fan",
    }
    if trigger_id == ids.ADD_RUN:
        return {"kind": "add", "value": add_optimizer} if value else None
    if trigger_id in simple:
        return {"kind": simple[trigger_id], "value": value}
    return {"kind": "unknown", "what": trigger_id}


def _hparam_spec(state: dict, run: Any, name: Any):
    if isinstance(run, bool) or not isinstance(run, int) or not 0 <= run < len(state["runs"]):
        return None
    spec = optimizers.REGISTRY[state["runs"][run]["optimizer"]]
    return next((hp for hp in spec.hyperparams if hp.name == name), None)


def apply_event(state: dict, event: dict) -> tuple[dict, list[str]]:
    """The new state for an event (a refused value keeps the state, with a message)."""
    kind = event["kind"]
    value = event.get("value")
    if kind == "load":
        return decode_url(event.get("search"))
    if kind == "surface":
        return actions.set_surface(state, value)
    if kind == "sparam":
        entry = surfaces.REGISTRY.get(state["surface"]["key"])
        if entry is None:
            return state, [f"{surface_label(state['surface'])} has no parameter {event.get('name')!r}."]
        hp = next((h for h in entry.params if h.name == event.get("name")), None)
        if hp is None:
            return state, [f"{entry.label} has no parameter {event.get('name')!r}."]
        return actions.set_surface_param(state, hp.name, controls.from_control(hp, value))
    if kind == "hparam":
        hp = _hparam_spec(state, event.get("run"), event.get("name"))
        if hp is None:
            return state, [f"There is no setting {event.get('name')!r} for run {event.get('run')!r}."]
        return actions.set_hparam(state, event["run"], hp.name, controls.from_control(hp, value))
    if kind == "add":
        return actions.add_run(state, value)
    if kind == "optimizer":
        return actions.set_optimizer(state, event.get("run"), value)
    if kind == "remove":
        return actions.remove_run(state, event.get("run"))
    if kind == "duplicate":
        return actions.duplicate_run(state, event.get("run"))
    if kind == "preset":
        return actions.load_preset(state, event.get("key"))
    if kind == "close_lesson":
        return actions.close_lesson(state)
    if kind == "start_x":
        return actions.set_start(state, value, state["start"][1])
    if kind == "start_y":
        return actions.set_start(state, state["start"][0], value)
    if kind == "click":
        if not isinstance(value, dict):
            return state, [f"A click position was malformed ({str(value)[:40]!r})."]
        return actions.set_start(state, value.get("x"), value.get("y"))
    if kind == "steps":
        return actions.set_steps(state, value)
    if kind == "seed":
        return actions.set_seed(state, value)
    if kind == "noise":
        return actions.set_noise(state, value)
    if kind == "view":
        return actions.set_view(state, value)
    if kind == "frame":
        return actions.set_frame(state, value)
    if kind == "expression":
        return instrument_actions.set_expression(state, value)
    if kind == "bound":
        return instrument_actions.set_custom_bound(state, event.get("name"), value)
    if kind == "scale":
        return instrument_actions.set_scale(state, controls.from_control(SCALE_PARAM, value))
    if kind == "show":
        return instrument_actions.set_show(state, value)
    if kind == "fan":
        return instrument_actions.set_fan(state, value)
    return state, [f"Ignored an input the app does not know ({str(event.get('what'))[:40]!r})."]


SIM_KEYS = ("surface", "runs", "start", "steps", "seed", "noise", "fan")


def paths_payload(state: dict) -> dict:
    """Trajectories plus the trace templates and layouts that go with them."""
    paths = simulate.simulate(state)
    shape = unscaled(state["surface"])  # the contour is drawn before the loss scale
    paths["colour_title"] = figures.contour_grid(shape["key"], tuple(sorted(shape["params"].items())))[3]
    paths["templates"] = figures.browser_layouts(paths)
    return paths


def status_line(state: dict, paths: dict | None) -> str:
    n = len(state["runs"])
    label = surface_label(state["surface"])
    text = f"{label} · {n} run{'s' if n != 1 else ''} · {state['steps']} steps"
    if paths:
        diverged = sum(run["status"] == "diverged" for run in paths["runs"])
        if diverged:
            text += f" · {diverged} diverged"
    return text


def respond(client_state: Any, event: dict | None) -> dict:
    """All outputs of :func:`on_input` for an event, as a dict (``no_update`` = unchanged)."""
    out = {name: NO for name in OUTPUT_NAMES}
    if event is None:
        return out
    if event["kind"] != "load" and client_state is None:
        event = {"kind": "load", "search": ""}
    tampered = False
    if event["kind"] == "load":
        old, errors = None, []
    else:
        old, errors = validate_state(client_state)
        if errors:  # the client sent a state we would never have produced
            errors = ["The page sent settings that were not valid: " + "; ".join(errors)]
            tampered = True  # what the page shows may not match `old`: resend it all
    new, more = apply_event(old, event) if old is not None else apply_event({}, event)
    errors += more
    first = old is None or tampered
    changed = lambda *keys: first or any(old[k] != new[k] for k in keys)  # noqa: E731

    out["state"] = new
    out["url"] = encode_url(new)
    if errors:
        out["alerts"] = layout.alerts(errors)
    elif first:
        out["alerts"] = []
    if first or unscaled(old["surface"]) != unscaled(new["surface"]):
        # the loss scale alone changes the paths, not the contour's shape or the panel
        out["surface"] = figures.surface_payload(unscaled(new["surface"]))
        out["surface_params"] = layout.surface_params(new)
        out["surface_info"] = layout.surface_info(new)
        out["surface_key"] = new["surface"]["key"]
    if changed("surface"):
        out["scale"] = controls.to_slider(SCALE_PARAM, new["surface"]["params"].get(SCALE, 1.0))
    paths = None
    # an instrument that needs other per-step arrays (ui.instruments) gets every run again
    regroup = not first and instruments.data_groups(old) != instruments.data_groups(new)
    if changed(*SIM_KEYS) or regroup:
        try:
            paths = paths_payload(new)
        except ValueError as exc:  # the engine refused a combination we let through
            out["alerts"] = layout.alerts(errors + [f"Could not run these settings: {exc}"])
        else:
            only = None if first or regroup else changed_runs(old, new)
            out["paths"] = paths if only is None else paths_patch(paths, only)
    if first or event["kind"] in ("load", "preset") or changed("runs") and _structure(old) != _structure(new):
        out["runs"] = layout.run_cards(new)
    if changed("start"):
        out["start_x"], out["start_y"] = new["start"]
    if changed("steps"):
        out["steps"] = new["steps"]
    if changed("seed"):
        out["seed"] = new["seed"]
    if changed("noise"):
        out["noise"] = new["noise"]
    if changed("show"):
        out["show"] = new["show"]
    if changed("fan"):
        out["fan"] = new["fan"]
    if changed("view"):
        out["view"] = new["view"]
    if changed("lesson"):
        out["lesson"] = layout.lesson_banner(new["lesson"])
    if event["kind"] in ("load", "preset"):
        out["view_store"] = {"view": new["view"], "frame": new["frame"], "autoplay": new["frame"] == 0,
                             "nonce": _nonce()}
    elif changed("view"):
        out["view_store"] = {"view": new["view"], "frame": None, "autoplay": False, "nonce": _nonce()}
    elif event["kind"] in ("surface", "click", "start_x", "start_y", "expression", "bound") \
            and changed("start", "surface"):
        out["view_store"] = {"view": new["view"], "frame": 0, "autoplay": True, "nonce": _nonce()}
    if paths is not None or first:
        out["status"] = status_line(new, paths)
    return out


def changed_runs(old: dict, new: dict) -> list[int] | None:
    """Indices of the runs whose settings changed, when nothing else that moves the
    paths did (None: everything must be resent)."""
    if any(old[k] != new[k] for k in SIM_KEYS if k != "runs") or len(old["runs"]) != len(new["runs"]):
        return None
    return [i for i, (a, b) in enumerate(zip(old["runs"], new["runs"])) if a != b]


def paths_patch(paths: dict, indices: list[int]) -> dash.Patch:
    """A Patch of the paths store replacing only the given runs.

    Dragging one run's slider then sends one trajectory (~16 kB for 1000 steps)
    instead of all of them (the layouts do not depend on a run's settings).
    """
    patch = dash.Patch()
    for i in indices:
        patch["runs"][i] = paths["runs"][i]
    return patch


def _structure(state: dict) -> list:
    """What the run cards depend on: the optimizer of each run (values live in sliders)."""
    return [run["optimizer"] for run in state["runs"]]


def csv_text(client_state: Any) -> tuple[str | None, list[str]]:
    """The CSV of every run's trajectory for a (re-validated) client state."""
    state, errors = validate_state(client_state)
    frame = simulate.trajectories_frame(state)
    return frame.to_csv(index=False), errors


# ------------------------------------------------------------------------------
# registration
# ------------------------------------------------------------------------------

def register(app: dash.Dash) -> None:
    @app.callback(*_outputs(), *_inputs(), State(ids.STATE, "data"), State(ids.ADD_OPTIMIZER, "value"))
    def on_input(search, *args):
        client_state, add_optimizer = args[-2], args[-1]
        trigger = dash.ctx.triggered_id
        if trigger is None and client_state is not None:
            raise dash.exceptions.PreventUpdate  # components just rendered, nothing clicked
        value = dash.ctx.triggered[0]["value"] if dash.ctx.triggered else None
        event = event_from_trigger(trigger, value, search=search, add_optimizer=add_optimizer)
        if event is None:
            raise dash.exceptions.PreventUpdate
        out = respond(client_state, event)
        return tuple(out[name] for name in OUTPUT_NAMES)

    @app.callback(
        Output(ids.DOWNLOAD, "data"),
        Output(ids.ALERTS, "children", allow_duplicate=True),
        Input(ids.CSV, "n_clicks"),
        State(ids.STATE, "data"),
        prevent_initial_call=True,
    )
    def on_csv(n_clicks, client_state):
        if not n_clicks:
            raise dash.exceptions.PreventUpdate
        text, errors = csv_text(client_state)
        return dcc.send_string(text, "descent-lab.csv", type="text/csv"), (layout.alerts(errors) if errors else NO)

    # --- clientside: everything per frame, nothing per frame on the server ------
    app.clientside_callback(
        dash.ClientsideFunction("descent", "render"),
        Output(ids.MAIN_GRAPH, "figure"),
        Output(ids.LOSS_GRAPH, "figure"),
        Output(ids.DIST_GRAPH, "figure"),
        Input(ids.SURFACE, "data"),
        Input(ids.PATHS, "data"),
        Input(ids.VIEW_STORE, "data"),
        prevent_initial_call=True,
    )
    app.clientside_callback(
        dash.ClientsideFunction("descent", "runStatus"),
        Output({"type": ids.RUN_STATUS, "run": ALL}, "children"),
        Input(ids.PATHS, "data"),
        Input(ids.RUNS, "children"),
        prevent_initial_call=True,
    )
    app.clientside_callback(
        dash.ClientsideFunction("descent", "writeUrl"),
        Output(ids.SHARE_MSG, "children"),
        Input(ids.URL_OUT, "data"),
        prevent_initial_call=True,
    )
    app.clientside_callback(
        dash.ClientsideFunction("descent", "copyLink"),
        Output(ids.SHARE_MSG, "children", allow_duplicate=True),
        Input(ids.SHARE, "n_clicks"),
        prevent_initial_call=True,
    )
    app.clientside_callback(
        dash.ClientsideFunction("descent", "formatValue"),
        Output({"type": ids.HPARAM_VALUE, "run": dash.MATCH, "name": dash.MATCH}, "children"),
        Input({"type": ids.HPARAM, "run": dash.MATCH, "name": dash.MATCH}, "value"),
        State({"type": ids.HPARAM, "run": dash.MATCH, "name": dash.MATCH}, "className"),
        prevent_initial_call=False,  # also labels the thumbs (aria-valuetext) when cards appear
    )
    app.clientside_callback(
        dash.ClientsideFunction("descent", "formatValue"),
        Output({"type": ids.SPARAM_VALUE, "name": dash.MATCH}, "children"),
        Input({"type": ids.SPARAM, "name": dash.MATCH}, "value"),
        State({"type": ids.SPARAM, "name": dash.MATCH}, "className"),
        prevent_initial_call=False,
    )
    app.clientside_callback(
        dash.ClientsideFunction("descent", "formatValue"),
        Output(ids.NOISE_VALUE, "children"),
        Input(ids.NOISE, "value"),
        State(ids.NOISE, "className"),
    )
    app.clientside_callback(
        "function(n) { return n ? [] : window.dash_clientside.no_update; }",
        Output(ids.ALERTS, "children", allow_duplicate=True),
        Input(ids.ALERT_CLOSE, "n_clicks"),
        prevent_initial_call=True,
    )
