"""Callbacks of the instruments (issue 4): thin wrappers over ``ui.instruments``.

The controls themselves (typed surface, loss scale, fan, instrument toggles) go
through the app's one server callback (``ui.callbacks.on_input``), so they land in
the validated state and the URL like every other setting. Here live only the
callbacks that draw: the value beside the loss-scale slider (clientside).
"""

from __future__ import annotations

import dash
from dash import Input, Output, State

from . import ids


def register(app: dash.Dash) -> None:
    app.clientside_callback(
        dash.ClientsideFunction("descent", "formatValue"),
        Output(ids.LOSS_SCALE_VALUE, "children"),
        Input(ids.LOSS_SCALE, "value"),
        State(ids.LOSS_SCALE, "className"),
    )
