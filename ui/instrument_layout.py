"""Page parts of the instruments (issue 4): pure builders of Dash components.

* :func:`custom_controls`: the typed surface's text field and plot bounds (shown in
  the surface panel when "Custom f(x, y)" is picked);
* :func:`scale_control`: the loss-scale slider (every surface);
"""

from __future__ import annotations

from dash import dcc, html

from surfaces.expression import EXAMPLE, FUNCTIONS

from . import controls, ids
from .state import CUSTOM_BOUNDS, SCALE, SCALE_PARAM

BOUND_LABELS = {"xmin": "x min", "xmax": "x max", "ymin": "y min", "ymax": "y max"}


def custom_controls(params: dict) -> list:
    """The text field for f(x, y) and the four bounds of its plot."""
    functions = " ".join(sorted(FUNCTIONS))
    field = html.Label(
        [
            html.Span("f(x, y) =", className="control-label"),
            dcc.Input(id=ids.custom("expression"), type="text", value=params.get("expression", ""),
                      debounce=True, placeholder=EXAMPLE, spellCheck=False, autoComplete="off",
                      className="expression-input"),
        ],
        className="custom-expression",
    )
    help_text = html.P(
        ["Press Enter to plot. Numbers, x, y, pi, e; + − * / and ** (or ^); ", html.Code(functions), "."],
        id="custom-help", className="hint",
    )
    bounds = html.Div(
        [
            html.Label(
                [html.Span(BOUND_LABELS[name]),
                 dcc.Input(id=ids.custom(name), type="number", value=params.get(name), debounce=True,
                           step="any", className="number")],
                className="field",
            )
            for name in CUSTOM_BOUNDS
        ],
        className="fields custom-bounds",
    )
    return [field, help_text, bounds]


def scale_control(params: dict) -> html.Div:
    """The loss-scale slider (one log slider, as every log knob), its value beside it."""
    hp, value = SCALE_PARAM, params.get(SCALE, 1.0)
    low, high, step = controls.slider_range(hp)
    head = html.Div(
        [html.Label(hp.label, title=hp.help, className="control-label", htmlFor=ids.LOSS_SCALE),
         html.Output(controls.value_text(hp, value), id=ids.LOSS_SCALE_VALUE, className="control-value",
                     title=hp.help)],
        className="control-head",
    )
    slider = dcc.Slider(id=ids.LOSS_SCALE, min=low, max=high, step=step, value=controls.to_slider(hp, value),
                        marks=controls.slider_marks(hp), updatemode="drag", allow_direct_input=False,
                        className="log-slider")
    note = html.P("f becomes c·f: the paths change, the contour's shape does not (its colours show f "
                  "before scaling).", className="hint")
    return html.Div([head, html.Div(slider, className="control-slider"), note],
                    className="control control-log", title=hp.help)
