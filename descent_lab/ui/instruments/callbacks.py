"""The instruments' callbacks, generated from the registry.

* ``instruments.render`` (browser): every shown chart's graph and axes, the 3D figure
  and which boxes are shown, when the paths, the surface or the checklist change. Its outputs are
  listed from the registry; the browser fills each by its id.
* the readout: the paused step's numbers as a table from a lean route (``route``, drawn by
  the page) and each run's update rule with those numbers (server callback); a
  browser-side gate passes the state on only while the readout is on and its step or
  set-up changed.

The checklist itself goes through the race's one action store, so it lands in the
validated state and the URL like every other setting.
"""

from __future__ import annotations

from typing import Any

import dash
from dash import Input, Output, State, html, no_update

from ..core import ids, registry
from ..core.state import validate_state
from . import route
from .readout import readout_children


def readout(client_state: Any) -> Any:
    """The readout's rules for a (re-validated) client state: unchanged while the readout
    is off; a message instead of numbers for a state the app would not send."""
    state, errors = validate_state(client_state)
    if errors:
        return [html.P("The page sent settings that were not valid, so the readout shows nothing: "
                       + "; ".join(errors[:3]), className="alert")]
    if "readout" not in state["show"]:
        return no_update
    return readout_children(state)


def render_outputs() -> list[Output]:
    """What ``instruments.render`` sets, from the registry: each chart's host (its graph,
    mounted when the chart is first shown, with the figure's axes) and the boxes' styles
    (the 3D view is drawn by the browser itself, with Plotly's 3D bundle)."""
    outputs = [Output(ids.chart_host(name), "children") for name in registry.CHARTS]
    outputs += [Output(ids.box(ids.chart(name)), "style") for name in registry.CHARTS]
    outputs += [Output(ids.box(ids.READOUT), "style"), Output(ids.box(ids.chart("view3d")), "style"),
                Output(ids.ARROW_LEGEND, "style")]
    return outputs


def register(app: dash.Dash) -> None:
    app.clientside_callback(
        dash.ClientsideFunction("instruments", "render"),
        *render_outputs(),
        Input(ids.PATHS, "data"),
        Input(ids.SURFACE, "data"),
        Input(ids.SHOW, "value"),
        State(ids.INSTRUMENT_LAYOUTS, "data"),
    )
    app.clientside_callback(
        dash.ClientsideFunction("instruments", "readoutGate"),
        Output(ids.READOUT_REQUEST, "data"),
        Input(ids.STATE, "data"),
    )

    @app.callback(Output(ids.READOUT, "children"), Input(ids.READOUT_REQUEST, "data"), prevent_initial_call=True)
    def on_readout(client_state):
        return readout(client_state)

    route.register(app.server)
