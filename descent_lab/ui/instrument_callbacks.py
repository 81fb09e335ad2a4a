"""Callbacks of the instruments (issue 4): thin wrappers over ``ui.instruments``.

The controls themselves (typed surface, loss scale, fan, instrument toggles) go
through the app's one server callback (``ui.callbacks.on_input``), so they land in
the validated state and the URL like every other setting. Here live the callbacks
that draw:

* ``instruments.render`` (clientside, ``assets/instruments.js``): the angle,
  effective-lr and sharpness charts' axes and the 3D figure when the paths, the
  surface or the toggles change, and which instrument boxes are shown;
* the readout (server): each run's update rule with the paused step's numbers,
  rendered by MathJax. A clientside gate passes the state on only while the
  readout is on, so it costs nothing otherwise;
* the values shown beside the loss-scale and fan sliders (clientside).
"""

from __future__ import annotations

from typing import Any

import dash
from dash import Input, Output, State, html, no_update

from . import ids, instrument_layout
from .state import validate_state


def readout(client_state: Any) -> Any:
    """The readout's children for a (re-validated) client state: unchanged while the
    readout is off; a message instead of numbers for a state the app would not send."""
    state, errors = validate_state(client_state)
    if errors:
        return [html.P("The page sent settings that were not valid, so the readout shows nothing: "
                       + "; ".join(errors[:3]), className="alert")]
    if "readout" not in state["show"]:
        return no_update
    return instrument_layout.readout_children(state)


def register(app: dash.Dash) -> None:
    app.clientside_callback(
        dash.ClientsideFunction("instruments", "render"),
        Output(ids.ANGLE_GRAPH, "figure"),
        Output(ids.LR_GRAPH, "figure"),
        Output(ids.SHARP_GRAPH, "figure"),
        Output(ids.VIEW3D, "figure"),
        Output(f"{ids.ANGLE_GRAPH}-box", "style"),
        Output(f"{ids.LR_GRAPH}-box", "style"),
        Output(f"{ids.SHARP_GRAPH}-box", "style"),
        Output(f"{ids.READOUT}-box", "style"),
        Output(f"{ids.VIEW3D}-box", "style"),
        Output(ids.ARROW_LEGEND, "style"),
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

    @app.callback(Output(ids.READOUT, "children"), Input(ids.READOUT_REQUEST, "data"),
                  prevent_initial_call=True)
    def on_readout(client_state):
        return readout(client_state)

    app.clientside_callback(
        dash.ClientsideFunction("descent", "formatValue"),
        Output(ids.LOSS_SCALE_VALUE, "children"),
        Input(ids.LOSS_SCALE, "value"),
        State(ids.LOSS_SCALE, "className"),
    )
    app.clientside_callback(
        dash.ClientsideFunction("instruments", "fanValue"),
        Output(ids.FAN_VALUE, "children"),
        Input(ids.FAN, "value"),
    )
