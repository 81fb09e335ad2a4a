"""Callbacks of the "Maps" section: thin wrappers over pure functions.

Each wrapper reads which control fired (``dash.ctx``) and hands plain values to a
pure ``*_event`` function returning a dict of outputs (``no_update`` = unchanged),
which tests call directly. Everything the browser sends is re-validated
(``ui.maps``): the race's state, the controls, and the stored request a click or a
CSV download refers to. Refusals go to the app's alert area.

Changing the race goes through the race's own action queue, never around it: a click
on a hyperparameter-map cell and "Tune and race" hand the new set-up to the race as
data (``{"kind": "setup", "state": ...}``), a click on a basin map hands it a start
(``{"kind": "click", ...}``), in the maps' action store; the page queues it like one of
its own actions (``race.handOver``: one action in flight, so an action of the page sent
at the same moment cannot overwrite it), and the race validates and applies it like any
other action, and brings itself back into view.

Markers that follow the race (the current setting, the start) and the run lists
are clientside (``assets/30_maps.js``); so are the PNG downloads. The maps are mounted
the first time one is opened (``mount``); until then the page renders their summaries
only.
"""

from __future__ import annotations

import time
from typing import Any

import dash
from dash import Input, Output, State, dcc, no_update

from ..core import ids
from ..core.state import validate_state
from ..core.widgets import alerts
from . import basin, common, hyperparameter, tune
from .layout import maps_body

NO = no_update

HMAP_OUTPUTS = ("figure", "request", "note", "stale", "alerts", "action")
BASIN_OUTPUTS = ("figure", "request", "note", "stale", "alerts", "action")
TUNE_OUTPUTS = ("figure", "request", "note", "alerts", "action")
CSV_NAMES = {
    ids.HMAP_CSV: "descent-lab-hyperparameter-map.csv",
    ids.BASIN_CSV: "descent-lab-basin-map.csv",
    ids.TUNE_CSV: "descent-lab-fair-comparison.csv",
}


def _blank(names) -> dict:
    return {name: NO for name in names}


def _refuse(names, messages: list[str]) -> dict:
    out = _blank(names)
    out["alerts"] = alerts(messages)
    return out


def setup(new_state: dict) -> dict:
    """The race's action for a new set-up from a map (the race validates it again)."""
    return {"action": {"kind": "setup", "state": new_state, "reveal": True}}


MAP_KEYS = (ids.HMAP, ids.BASIN, ids.TUNE)


def mount(opened: Any, client_state: Any) -> dict:
    """The maps, the first time one is opened: those ``opened`` (a list of their ids)
    unfolded, the race's (re-validated) state mirrored for their run lists; a state the app
    would not send mirrors nothing and is answered in the alert area."""
    keys = tuple(key for key in MAP_KEYS if isinstance(opened, list) and key in opened)
    if client_state is None:  # opened before the page had its state: the mirror follows it
        return {"body": maps_body(keys, None), "alerts": NO}
    state, errors = validate_state(client_state)
    return {"body": maps_body(keys, None if errors else state), "alerts": alerts(errors) if errors else NO}


def _timing(seconds: float, cached: bool) -> str:
    return " Taken from the cache." if cached else f" Computed in {seconds:.2f} s."


# ------------------------------------------------------------------------------
# hyperparameter map
# ------------------------------------------------------------------------------

def hparam_compute(client_state: Any, run: Any, y_name: Any, n: Any, steps: Any, outcome: Any, tol: Any,
                   lr_range: Any, y_range: Any) -> dict:
    req, errors = hyperparameter.hparam_request(client_state, run, y_name, n, steps, outcome, tol, lr_range, y_range)
    if req is None:
        return _refuse(HMAP_OUTPUTS, errors)
    hits = hyperparameter.compute_hparam_map.cache_info().hits
    began = time.perf_counter()
    try:
        result = common.admitted(hyperparameter.hparam_budget(req), hyperparameter.compute_hparam_map, req)
    except ValueError as exc:  # over the budget, busy, or the engine refused a combination
        return _refuse(HMAP_OUTPUTS, [f"Could not compute this map: {exc}"])
    seconds = time.perf_counter() - began
    state, _ = common._state(client_state)
    out = _blank(HMAP_OUTPUTS)
    out["figure"] = hyperparameter.hparam_figure(req, result, current=state["runs"][req.run]["hparams"])
    out["request"] = req.to_json()
    out["note"] = hyperparameter.hparam_note(req, result) + _timing(seconds, hyperparameter.compute_hparam_map.cache_info().hits > hits)
    out["stale"] = ""
    return out


def hparam_click(client_state: Any, click: Any, request: Any) -> dict:
    """A click on a cell: that cell's setting goes into the run, the race restarts."""
    if request is None:
        return _refuse(HMAP_OUTPUTS, ["Compute the hyperparameter map before picking a cell."])
    req, errors = hyperparameter.parse_hparam_request(request)
    if req is None:
        return _refuse(HMAP_OUTPUTS, errors)
    state, errors = common._state(client_state)
    if state is None:
        return _refuse(HMAP_OUTPUTS, errors)
    if hyperparameter.hparam_context(state, req.run, req.y_name) != req.context():
        return _refuse(HMAP_OUTPUTS, [f"The race changed since this map was computed (run {req.run + 1}'s "
                                      "optimizer or other settings, the surface, start, noise or seed): "
                                      "compute the map again, then pick a cell."])
    try:
        result = common.admitted(hyperparameter.hparam_budget(req), hyperparameter.compute_hparam_map, req)
        setting = hyperparameter.hparam_cell(req, result, click)
    except ValueError as exc:
        return _refuse(HMAP_OUTPUTS, [common._sentence(exc)])
    new = common.copy_state_with(state, req.run, setting, req.steps)
    out = _blank(HMAP_OUTPUTS)
    out.update(setup(new))
    return out


# ------------------------------------------------------------------------------
# basin map
# ------------------------------------------------------------------------------

def basin_compute(client_state: Any, runs: Any, n: Any, steps: Any) -> dict:
    req, errors = basin.basin_request(client_state, runs, n, steps)
    if req is None:
        return _refuse(BASIN_OUTPUTS, errors)
    hits = basin.compute_basin.cache_info().hits
    began = time.perf_counter()
    try:
        results = common.admitted(basin.basin_budget(req), basin.compute_basins, req)
    except ValueError as exc:
        return _refuse(BASIN_OUTPUTS, [f"Could not compute the basin map: {exc}"])
    seconds = time.perf_counter() - began
    state, _ = common._state(client_state)
    out = _blank(BASIN_OUTPUTS)
    out["figure"] = basin.basin_figure(req, results, start=state["start"])
    out["request"] = req.to_json()
    cached = basin.compute_basin.cache_info().hits - hits == len(req.runs)
    out["note"] = basin.basin_note(req, results, race_steps=state["steps"]) + _timing(seconds, cached)
    out["stale"] = ""
    return out


def basin_click(client_state: Any, click: Any, request: Any, now: float | None = None) -> dict:
    """A click on a basin map: the app's click store gets that start point (the
    app's click handler validates it again and restarts every run there)."""
    if request is None:
        return _refuse(BASIN_OUTPUTS, ["Compute the basin map before picking a start."])
    req, errors = basin.parse_basin_request(request)
    if req is None:
        return _refuse(BASIN_OUTPUTS, errors)
    state, errors = common._state(client_state)
    if state is None:
        return _refuse(BASIN_OUTPUTS, errors)
    if state["surface"] != {"key": req.surface_key, "params": dict(req.surface_params)}:
        return _refuse(BASIN_OUTPUTS, ["This basin map was computed for another surface: compute it again."])
    try:
        x, y = basin.basin_start(req, common.admitted(basin.basin_budget(req), basin.compute_basins, req), click)
    except ValueError as exc:
        return _refuse(BASIN_OUTPUTS, [common._sentence(exc)])
    out = _blank(BASIN_OUTPUTS)
    out["action"] = {"kind": "start", "value": {"x": x, "y": y}, "reveal": True,
                     "t": int((time.time() if now is None else now) * 1000)}
    return out


# ------------------------------------------------------------------------------
# fair comparison
# ------------------------------------------------------------------------------

def tune_compute(client_state: Any, runs: Any, objective: Any, steps: Any, n_lr: Any, second: Any,
                 n_second: Any, tol: Any) -> dict:
    req, errors = tune.tune_request(client_state, runs, objective, steps, n_lr, second, n_second, tol)
    if req is None:
        return _refuse(TUNE_OUTPUTS, errors)
    hits = tune.compute_tune_one.cache_info().hits
    began = time.perf_counter()
    try:
        results = common.admitted(tune.tune_budget(req), tune.compute_tune, req)
    except ValueError as exc:
        return _refuse(TUNE_OUTPUTS, [f"Could not tune these runs: {exc}"])
    seconds = time.perf_counter() - began
    state, _ = common._state(client_state)
    out = _blank(TUNE_OUTPUTS)
    out["figure"] = tune.tune_figure(req, results)
    out["request"] = req.to_json()
    cached = tune.compute_tune_one.cache_info().hits - hits == len(req.runs)
    out["note"] = tune.tune_note(req, results) + _timing(seconds, cached)
    out.update(setup(tune.tuned_state(state, req, results)))
    return out


# ------------------------------------------------------------------------------
# CSV
# ------------------------------------------------------------------------------

def csv_download(which: Any, request: Any) -> tuple[Any, Any]:
    """(download data, alerts) for a CSV button: the grid of the map on screen."""
    if which not in CSV_NAMES:
        raise dash.exceptions.PreventUpdate
    what = {ids.HMAP_CSV: "hyperparameter map", ids.BASIN_CSV: "basin map", ids.TUNE_CSV: "comparison"}[which]
    if request is None:
        return NO, alerts([f"Compute the {what} before downloading its CSV."])
    try:
        if which == ids.HMAP_CSV:
            req, errors = hyperparameter.parse_hparam_request(request)
            frame = req and hyperparameter.hparam_frame(
                req, common.admitted(hyperparameter.hparam_budget(req), hyperparameter.compute_hparam_map, req))
        elif which == ids.BASIN_CSV:
            req, errors = basin.parse_basin_request(request)
            frame = req and basin.basin_frame(req, common.admitted(basin.basin_budget(req), basin.compute_basins, req))
        else:
            req, errors = tune.parse_tune_request(request)
            frame = req and tune.tune_frame(req, common.admitted(tune.tune_budget(req), tune.compute_tune, req))
    except ValueError as exc:
        return NO, alerts([f"Could not export the {what}: {exc}"])
    if req is None:
        return NO, alerts(errors)
    return dcc.send_string(frame.to_csv(index=False), CSV_NAMES[which], type="text/csv"), NO


# ------------------------------------------------------------------------------
# registration
# ------------------------------------------------------------------------------

def _outputs(graph: str, request: str, note: str, stale: str | None) -> dict:
    """A map's named outputs: its figure, stored request, caption, staleness line, the
    alert area and the maps' action store (a new set-up or start the page queues for the race)."""
    out = {"figure": Output(graph, "figure"), "request": Output(request, "data"), "note": Output(note, "children"),
           "alerts": Output(ids.ALERTS, "children", allow_duplicate=True),
           "action": Output(ids.MAP_ACTION, "data", allow_duplicate=True)}
    if stale is not None:
        out["stale"] = Output(stale, "children", allow_duplicate=True)
    return out


def _clicked(n_clicks: Any) -> bool:
    return bool(n_clicks)


def register(app: dash.Dash) -> None:
    @app.callback(output={"body": Output(ids.MAPS_BODY, "children"),
                          "alerts": Output(ids.ALERTS, "children", allow_duplicate=True)},
                  inputs=[Input(ids.MAPS_OPEN, "data"), State(ids.STATE, "data")], prevent_initial_call=True)
    def on_first_open(opened, client_state):
        return mount(opened, client_state)

    @app.callback(
        output=_outputs(ids.HMAP_GRAPH, ids.HMAP_REQUEST, ids.HMAP_NOTE, ids.HMAP_STALE),
        inputs=[Input(ids.HMAP_COMPUTE, "n_clicks"),
        Input(ids.HMAP_GRAPH, "clickData"),
        State(ids.STATE, "data"),
        State(ids.HMAP_RUN, "value"),
        State(ids.HMAP_Y, "value"),
        State(ids.HMAP_N, "value"),
        State(ids.HMAP_STEPS, "value"),
        State(ids.HMAP_OUTCOME, "value"),
        State(ids.HMAP_TOL, "value"),
        State(ids.HMAP_LR_RANGE, "value"),
        State(ids.HMAP_Y_RANGE, "value"),
        State(ids.HMAP_REQUEST, "data")],
        prevent_initial_call=True,
    )
    def on_hparam_map(n_clicks, click, client_state, run, y_name, n, steps, outcome, tol, lr_range, y_range,
                      request):
        if dash.ctx.triggered_id == ids.HMAP_GRAPH:
            if click is None:
                raise dash.exceptions.PreventUpdate
            out = hparam_click(client_state, click, request)
        elif _clicked(n_clicks):
            out = hparam_compute(client_state, run, y_name, n, steps, outcome, tol, lr_range, y_range)
        else:
            raise dash.exceptions.PreventUpdate
        return out

    @app.callback(
        output=_outputs(ids.BASIN_GRAPH, ids.BASIN_REQUEST, ids.BASIN_NOTE, ids.BASIN_STALE),
        inputs=[Input(ids.BASIN_COMPUTE, "n_clicks"),
        Input(ids.BASIN_GRAPH, "clickData"),
        State(ids.STATE, "data"),
        State(ids.BASIN_RUNS, "value"),
        State(ids.BASIN_N, "value"),
        State(ids.BASIN_STEPS, "value"),
        State(ids.BASIN_REQUEST, "data")],
        prevent_initial_call=True,
    )
    def on_basin_map(n_clicks, click, client_state, runs, n, steps, request):
        if dash.ctx.triggered_id == ids.BASIN_GRAPH:
            if click is None:
                raise dash.exceptions.PreventUpdate
            out = basin_click(client_state, click, request)
        elif _clicked(n_clicks):
            out = basin_compute(client_state, runs, n, steps)
        else:
            raise dash.exceptions.PreventUpdate
        return out

    @app.callback(
        output=_outputs(ids.TUNE_GRAPH, ids.TUNE_REQUEST, ids.TUNE_NOTE, None),
        inputs=[Input(ids.TUNE_COMPUTE, "n_clicks"),
        State(ids.STATE, "data"),
        State(ids.TUNE_RUNS, "value"),
        State(ids.TUNE_OBJECTIVE, "value"),
        State(ids.TUNE_STEPS, "value"),
        State(ids.TUNE_N, "value"),
        State(ids.TUNE_SECOND, "value"),
        State(ids.TUNE_N_SECOND, "value"),
        State(ids.TUNE_TOL, "value")],
        prevent_initial_call=True,
    )
    def on_tune(n_clicks, client_state, runs, objective, steps, n_lr, second, n_second, tol):
        if not _clicked(n_clicks):
            raise dash.exceptions.PreventUpdate
        return tune_compute(client_state, runs, objective, steps, n_lr, second, n_second, tol)

    @app.callback(
        Output(ids.MAP_DOWNLOAD, "data"),
        Output(ids.ALERTS, "children", allow_duplicate=True),
        Input(ids.HMAP_CSV, "n_clicks"),
        Input(ids.BASIN_CSV, "n_clicks"),
        Input(ids.TUNE_CSV, "n_clicks"),
        State(ids.HMAP_REQUEST, "data"),
        State(ids.BASIN_REQUEST, "data"),
        State(ids.TUNE_REQUEST, "data"),
        prevent_initial_call=True,
    )
    def on_map_csv(hmap_clicks, basin_clicks, tune_clicks, hmap_request, basin_request, tune_request):
        which = dash.ctx.triggered_id
        clicks = {ids.HMAP_CSV: hmap_clicks, ids.BASIN_CSV: basin_clicks, ids.TUNE_CSV: tune_clicks}
        if which not in clicks or not _clicked(clicks[which]):
            raise dash.exceptions.PreventUpdate
        request = {ids.HMAP_CSV: hmap_request, ids.BASIN_CSV: basin_request, ids.TUNE_CSV: tune_request}[which]
        return csv_download(which, request)

    # --- clientside (assets/30_maps.js): the state's mirror, option lists, markers, PNG --
    # (the maps' callbacks read the mirror: before the maps are mounted they have nothing
    # to update, and a callback whose outputs are missing from the page is an error)
    app.clientside_callback(dash.ClientsideFunction("maps", "follow"), Input(ids.STATE, "data"))
    app.clientside_callback(
        dash.ClientsideFunction("maps", "options"),
        Output(ids.HMAP_RUN, "options"),
        Output(ids.HMAP_RUN, "value"),
        Output(ids.HMAP_Y, "options"),
        Output(ids.HMAP_Y, "value"),
        Output(ids.BASIN_RUNS, "options"),
        Output(ids.BASIN_RUNS, "value"),
        Output(ids.TUNE_RUNS, "options"),
        Output(ids.TUNE_RUNS, "value"),
        Input(ids.MAPS_STATE, "data"),
        Input(ids.HMAP_RUN, "value"),
        State(ids.HMAP_Y, "value"),
        State(ids.BASIN_RUNS, "value"),
        State(ids.TUNE_RUNS, "value"),
        State(ids.MAP_SPECS, "data"),
    )
    app.clientside_callback(
        dash.ClientsideFunction("maps", "markers"),
        Output(ids.HMAP_GRAPH, "figure", allow_duplicate=True),
        Output(ids.BASIN_GRAPH, "figure", allow_duplicate=True),
        Output(ids.HMAP_STALE, "children"),
        Output(ids.BASIN_STALE, "children"),
        Input(ids.MAPS_STATE, "data"),
        Input(ids.HMAP_REQUEST, "data"),
        Input(ids.BASIN_REQUEST, "data"),
        State(ids.HMAP_GRAPH, "figure"),
        State(ids.BASIN_GRAPH, "figure"),
        prevent_initial_call=True,
    )
    for button in (ids.HMAP_PNG, ids.BASIN_PNG, ids.TUNE_PNG):  # common.js knows each one's graph
        app.clientside_callback(
            dash.ClientsideFunction("maps", "png"),
            Output(ids.MAP_PNG_MSG, "children", allow_duplicate=True),
            Input(button, "n_clicks"),
            State(button, "id"),
            prevent_initial_call=True,
        )
