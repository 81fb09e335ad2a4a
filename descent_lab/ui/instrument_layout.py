"""Page parts of the instruments (issue 4): pure builders of Dash components.

* :func:`custom_controls`: the typed surface's text field and plot bounds (shown in
  the surface panel when "Custom f(x, y)" is picked);
* :func:`scale_control`: the loss-scale slider (every surface);
* :func:`fan_control`: K seeds per run for the noise fan (setup panel);
* :func:`instrument_panel`: the toggles, the arrow legend, the angle / effective-lr /
  sharpness charts, the readout and the 3D view (under the player). Everything in it
  but the readout's rules is drawn by ``assets/instruments.js``.
"""

from __future__ import annotations

from dash import dcc, html

from descent_lab.surfaces.expression import EXAMPLE, FUNCTIONS

from . import controls, ids
from .state import CUSTOM_BOUNDS, MAX_FAN, SCALE, SCALE_PARAM

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


# ------------------------------------------------------------------ the fan

def fan_control() -> html.Div:
    """K seeds per run (0: off), drawn as a faint cloud with its mean path."""
    help_text = ("Runs each optimizer with K seeds (seed, seed+1, ...) of the gradient noise and draws "
                 "their cloud faintly with its mean path (dashed). Needs σ > 0.")
    return html.Div(
        [
            html.Div([html.Label("noise fan: seeds per run", className="control-label", title=help_text,
                                 htmlFor=ids.FAN),
                      html.Output("off", id=ids.FAN_VALUE, className="control-value")],
                     className="control-head"),
            dcc.Slider(id=ids.FAN, min=0, max=MAX_FAN, step=1, value=0, updatemode="mouseup",
                       marks={0: "off", 5: "5", 10: "10", MAX_FAN: str(MAX_FAN)}, allow_direct_input=False,
                       className="linear-slider fan-slider"),
        ],
        className="control", title=help_text,
    )


# ------------------------------------------------------------ the instruments

INSTRUMENT_OPTIONS = (
    ("grad", "−g arrow", "The negative gradient the optimizer saw at the current step (direction only)."),
    ("rescaled", "rescaled arrow", "−η_eff ⊙ g: the gradient after the optimizer's per-coordinate rescaling, "
                                   "before momentum."),
    ("velocity", "momentum arrow", "−η_eff ⊙ velocity: where the momentum alone pushes (optimizers with one)."),
    ("step", "step arrow", "The step actually taken from the current point."),
    ("angle", "angle chart", "Angle between each step and −g: below 90° the step still goes downhill."),
    ("lr", "effective lr chart", "Each coordinate's effective learning rate (solid x, dashed y), log scale."),
    ("sharpness", "lr·λmax chart", "Learning rate times the Hessian's largest eigenvalue along the path; "
                                   "gradient descent is stable only below 2."),
    ("readout", "readout", "The current step's gradient, moments, effective rates and step, and each run's "
                           "update rule with those numbers."),
    ("view3d", "3D view", "The surface in 3D with the paths on it, following the frame."),
)

ARROW_LEGEND_TEXT = [
    html.Span([html.I(className="arrow-key grad"), "−g (black): direction only, fixed length"]),
    html.Span([html.I(className="arrow-key rescaled"), "rescaled −η_eff⊙g (dashed)"]),
    html.Span([html.I(className="arrow-key velocity"), "momentum (dotted)"]),
    html.Span([html.I(className="arrow-key step"), "step (solid)"]),
    html.Span("Rescaled, momentum and step share one scale per run: the longest is drawn 12% of the plot, "
              "so their lengths compare.", className="arrow-scale"),
]


def _graph(graph_id: str, height: str) -> html.Div:
    from .layout import CHART_CONFIG

    return html.Div(
        dcc.Graph(id=graph_id, config=CHART_CONFIG, className="chart", responsive=True,
                  style={"height": height}, figure={"data": [], "layout": {"template": None}}),
        id=f"{graph_id}-box", className="instrument-box", style={"display": "none"},
    )


def instrument_panel() -> html.Section:
    """Toggles, the arrow legend, the three charts, the readout and the 3D view."""
    from .instruments import chart_layouts
    from .layout import GRAPH_CONFIG

    toggles = dcc.Checklist(
        id=ids.SHOW,
        options=[{"label": html.Span(label, title=help_text), "value": value}
                 for value, label, help_text in INSTRUMENT_OPTIONS],
        value=[], inline=True, className="instrument-toggles", inputClassName="check-input",
    )
    legend = html.Div(ARROW_LEGEND_TEXT, id=ids.ARROW_LEGEND, className="arrow-legend", style={"display": "none"})
    charts = html.Div([_graph(ids.ANGLE_GRAPH, "220px"), _graph(ids.LR_GRAPH, "220px"),
                       _graph(ids.SHARP_GRAPH, "220px")], className="charts instrument-charts")
    readout = html.Div(
        [html.Div(id=ids.READOUT_LIVE, className="readout-live", **{"aria-live": "off"}),
         dcc.Loading(html.Div(id=ids.READOUT, className="readout-rules"), type="dot", delay_show=400)],
        id=f"{ids.READOUT}-box", className="instrument-box readout", style={"display": "none"},
    )
    view3d = html.Div(
        dcc.Graph(id=ids.VIEW3D, config={**GRAPH_CONFIG, "scrollZoom": True}, className="view3d",
                  responsive=True, style={"height": "min(60vh, 560px)", "minHeight": "300px"},
                  figure={"data": [], "layout": {"template": None}}),
        id=f"{ids.VIEW3D}-box", className="instrument-box", style={"display": "none"},
    )
    return html.Section(
        [html.H2("Instruments"), toggles, legend, charts, readout, view3d,
         dcc.Store(id=ids.INSTRUMENT_LAYOUTS, data=chart_layouts()), dcc.Store(id=ids.READOUT_REQUEST)],
        id=ids.INSTRUMENTS, className="panel instruments",
    )


# ---------------------------------------------------------------- the readout

def readout_children(state: dict) -> list:
    """Each run's update rule with the numbers of the state's frame, as MathJax."""
    from . import figures, instruments, simulate

    frame = int(state.get("frame", 0))
    blocks = [html.P(["Each run's update rule with the numbers of ", html.Strong(f"step {frame}"),
                      " (pause, step or scrub to change it). g is the gradient the optimizer saw; "
                      "⊙ multiplies coordinate by coordinate."], className="hint readout-intro")]
    for i, run in enumerate(state["runs"]):
        traj = simulate.run_one(state, i)
        color, label = figures.run_color(i), figures.run_label(run["optimizer"], run["hparams"])
        head = [html.Span("●", className="swatch", style={"color": color}), html.Strong(label)]
        latex = instruments.substituted_rule(traj, frame, run["hparams"]) if frame < traj.steps else None
        if latex is None:
            body = html.P(f"No update from step {frame}: the run ended at step {traj.steps} "
                          f"({traj.status.replace('_', ' ')}).", className="hint")
        else:
            head.append(html.Span(f" · update t = {frame + 1}, from step {frame} to {frame + 1}",
                                  className="readout-when"))
            body = dcc.Markdown(f"$$\n{latex}\n$$", mathjax=True, className="rule readout-rule")
        blocks.append(html.Div([html.Div(head, className="readout-head"), body], className="readout-block",
                               style={"--run-color": color}, **{"data-run": str(i)}))
    return blocks
