"""The race's callbacks: thin wrappers over ``ui.race.flow``.

* ``race.dispatch`` (browser): every control of the race, listed from the event table
  (``ui.race.events``), writes one action into the action store, skipping values already
  in use (sliders write theirs from the page, see :func:`dispatched`); one action is
  answered at a time (later ones wait in a queue, since each is applied to the state the
  page sends with it);
* ``on_action`` (server): the page's link on load, or an action, -> the named outputs of
  :func:`ui.race.flow.respond`;
* the live preview needs no callback: while the hand moves a slider, the page reads the
  thumb's value and asks the preview route itself (``assets/10_race.js``), so a move costs
  no trip through dash-renderer's callback pipeline;
* ``race.handOver`` (browser): an action a map hands the race (its own store) joins the
  page's queue like the page's own actions, so one action is in flight at a time and none
  overwrites another;
* ``race.render`` (browser): figures for the main graph and the step charts when the
  surface, the panels or the axes change; the runs are drawn on canvases;
* the link in the address bar, copying it, run statuses (the CSV is a route of its own,
  ``race.download``, fetched by the page).
"""

from __future__ import annotations

import dash
from dash import ALL, MATCH, Input, Output, State

from ..core import ids
from . import events, flow

NO = dash.no_update

OUTPUTS = {
    "state": Output(ids.STATE, "data"),
    "surface": Output(ids.SURFACE, "data"),
    "paths": Output(ids.PATHS, "data"),
    "view_store": Output(ids.VIEW_STORE, "data"),
    "url": Output(ids.URL_OUT, "data"),
    "alerts": Output(ids.ALERTS, "children"),
    "status": Output(ids.STATUS, "children"),
    "runs": Output(ids.RUNS, "children"),
    "add_disabled": Output(ids.ADD_RUN, "disabled"),
    "surface_params": Output(ids.SURFACE_PARAMS, "children"),
    "surface_info": Output(ids.SURFACE_INFO, "children"),
    "compare": Output(ids.COMPARE, "children"),
    "surface_key": Output(ids.SURFACE_KEY, "value"),
    "start_x": Output(ids.START_X, "value"),
    "start_y": Output(ids.START_Y, "value"),
    "steps": Output(ids.STEPS, "value"),
    "seed": Output(ids.SEED, "value"),
    "field_message": Output(ids.FIELD_MESSAGE, "children"),
    "surface_message": Output(ids.SURFACE_MESSAGE, "children"),
    "view": Output(ids.VIEW, "value"),
    "show": Output(ids.SHOW, "value"),
    "fan": Output(ids.FAN, "value"),
    "box": Output(ids.BOX, "value"),
    "lesson": Output(ids.LESSON, "children"),
    "count": Output(ids.COUNT, "value"),
}
assert tuple(OUTPUTS) == flow.OUTPUTS


def _target(event: events.Event, prop: str | None = None):
    """The Dash dependency of an event's component (a pattern over every match)."""
    if event.pattern:
        return {"type": event.component, **{key: ALL for key in event.keys}}, prop or event.prop
    return event.component, prop or event.prop


def dispatched(event: events.Event) -> bool:
    """Whether the dispatcher callback takes this event's control as an Input. A slider
    (``preview``) is not: the page previews it while the hand moves and writes its action
    into the action store itself once the hand lets go (``assets/10_race.js``), so a
    keyboard step paints its paths before the commit's callbacks run, and a release runs
    one callback fewer."""
    return not event.preview


def dispatch_dependencies() -> tuple[list[Input], list[State]]:
    """Inputs (one per dispatched event) and States (values read from elsewhere) of the
    dispatcher."""
    inputs = [Input(*_target(e)) for e in events.EVENTS if dispatched(e)]
    states, seen = [], set()
    for e in filter(dispatched, events.EVENTS):
        wanted = ([_target(e, e.value_from)] if e.value_from else []) + [(c, p) for _, c, p in e.extra]
        for component, prop in wanted:
            key = (str(component), prop)
            if key not in seen:
                seen.add(key)
                states.append(State(component, prop))
    return inputs, states + [State(ids.STATE, "data"), State(ids.PATHS, "data")]


def register(app: dash.Dash) -> None:
    inputs, states = dispatch_dependencies()
    app.clientside_callback(dash.ClientsideFunction("race", "dispatch"), Output(ids.ACTION, "data"),
                            *inputs, *states, prevent_initial_call=True)
    app.clientside_callback(dash.ClientsideFunction("race", "handOver"), Output(ids.ACTION, "data", allow_duplicate=True),
                            Input(ids.MAP_ACTION, "data"), prevent_initial_call=True)

    @app.callback(output=OUTPUTS, inputs={"search": Input(ids.URL, "search"), "action": Input(ids.ACTION, "data")},
                  state={"client": State(ids.STATE, "data")})
    def on_action(search, action, client):
        trigger = dash.ctx.triggered_id
        if trigger is None and client is not None:
            raise dash.exceptions.PreventUpdate  # components just rendered, nothing done
        if trigger in (None, ids.URL):
            action = {"kind": "load", "search": search}
        return flow.respond(client, action)

    app.clientside_callback(dash.ClientsideFunction("race", "configure"), Input(ids.CONFIG, "data"))
    app.clientside_callback(dash.ClientsideFunction("race", "syncState"), Input(ids.STATE, "data"),
                            State(ids.PATHS, "data"), prevent_initial_call=True)
    app.clientside_callback(
        dash.ClientsideFunction("race", "render"),  # and plots the main graph itself
        Output(ids.LOSS_GRAPH, "figure"), Output(ids.DIST_GRAPH, "figure"),
        Input(ids.SURFACE, "data"), Input(ids.PATHS, "data"), Input(ids.VIEW_STORE, "data"),
        State(ids.STATE, "data"),
        prevent_initial_call=True,
    )
    app.clientside_callback(
        dash.ClientsideFunction("race", "runStatus"),
        Output({"type": ids.RUN_STATUS, "run": ALL}, "children"),
        Input(ids.PATHS, "data"), Input(ids.RUNS, "children"),
        prevent_initial_call=True,
    )
    app.clientside_callback(dash.ClientsideFunction("race", "writeUrl"), Output(ids.SHARE_MSG, "children"),
                            Input(ids.URL_OUT, "data"), prevent_initial_call=True)
    app.clientside_callback(dash.ClientsideFunction("race", "copyLink"),
                            Output(ids.SHARE_MSG, "children", allow_duplicate=True),
                            Input(ids.SHARE, "n_clicks"), prevent_initial_call=True)
    app.clientside_callback(
        dash.ClientsideFunction("race", "formula"),
        Output({"type": ids.FORMULA_BODY, "key": MATCH}, "children"),
        Input({"type": ids.FORMULA_TOGGLE, "key": MATCH}, "n_clicks"),
        State({"type": ids.FORMULA_SRC, "key": MATCH}, "data"),
        prevent_initial_call=True,
    )
    app.clientside_callback(dash.ClientsideFunction("race", "fanText"), Output(ids.FAN_TEXT, "children"),
                            Input(ids.FAN, "value"))
    app.clientside_callback(
        "function(n) { return n ? [] : window.dash_clientside.no_update; }",
        Output(ids.ALERTS, "children", allow_duplicate=True), Input(ids.ALERT_CLOSE, "n_clicks"),
        prevent_initial_call=True,
    )

