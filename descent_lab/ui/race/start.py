"""Start and budget: where every run starts, how many steps, the gradient noise and its
seed, the noise fan. Number fields say in place what they accept when a value is
refused, and go back to the value in use.
"""

from __future__ import annotations

from typing import Any

from dash import dcc, html

from descent_lab.optimizers.hyperparams import HyperParam

from ..core import ids, widgets
from ..core.state import (
    MAX_FAN,
    MAX_NOISE,
    MAX_SEED,
    MAX_STEPS,
    MIN_STEPS,
    VIEWS,
    Errors,
    as_float,
    as_int,
    check_count,
    copy_state,
    round_sig,
    short,
    start_limits,
    typed as shown_typed,
    validate_start,
)

Result = tuple[dict, Errors]

NOISE_PARAM = HyperParam(
    name="noise", label="gradient noise σ", default=0.0, low=0.0, high=MAX_NOISE, scale="linear",
    help="Standard deviation of Gaussian noise added to each gradient coordinate, drawn from the seed: "
         "stochastic gradients.", error="Invalid noise value: {}")
FAN_PARAM = HyperParam(
    name="fan", label="noise fan: seeds per run", default=0.0, low=0.0, high=float(MAX_FAN), scale="linear",
    help="Runs each optimizer with K seeds (seed, seed+1, ...) of the gradient noise and draws their cloud "
         "faintly with its mean path (dashed). Needs σ > 0.", error="Invalid fan value: {}")

# What a number field accepts, said when it refuses a value (a start's range depends on
# the surface: start_limits).
FIELDS = {
    "start_x": "Start x needs a number from {low:g} to {high:g}",
    "start_y": "Start y needs a number from {low:g} to {high:g}",
    "steps": f"Steps needs a whole number from {MIN_STEPS} to {MAX_STEPS:,}",
    "seed": f"Seed needs a whole number from 0 to {MAX_SEED:,}",
}


COUNT_HELP = ("Steps: every run takes the same number of optimizer steps. Function evaluations: every run "
              "gets the same number of gradient evaluations, which is fair to L-BFGS, whose one step is several "
              "inner iterations; the player and the charts then count evaluations.")


def panel() -> list:
    return [
        html.Div(
            [widgets.field(ids.START_X, "start x"),
             widgets.field(ids.START_Y, "start y"),
             widgets.field(ids.STEPS, "steps", input_mode="numeric"),
             widgets.field(ids.SEED, "seed", input_mode="numeric")],
            className="fields",
        ),
        html.P("", id=ids.FIELD_MESSAGE, className="field-message", role="status", **{"aria-live": "polite"}),
        html.Div([html.Span("the budget counts", className="count-label", **{"aria-hidden": "true"}),
                  widgets.named("Budget counted in", dcc.RadioItems(
                      id=ids.COUNT, options=[{"label": "steps", "value": "steps"},
                                             {"label": "function evaluations", "value": "evaluations"}],
                      value="steps", inline=True, className="toggle count-toggle"))],
                 className="count-control", title=COUNT_HELP),
        widgets.control(NOISE_PARAM, 0.0, ids.NOISE, ids.NOISE_TEXT),
        _fan_control(),
        html.P("Tip: click anywhere on the contour to start every run there.", className="hint"),
    ]


def _fan_control() -> html.Div:
    head = html.Div([html.Span(FAN_PARAM.label, className="control-label", title=FAN_PARAM.help),
                     html.Output("off", id=ids.FAN_TEXT, className="control-value")], className="control-head")
    slider = dcc.Slider(id=ids.FAN, min=0, max=MAX_FAN, step=1, value=0, updatemode="mouseup",
                        marks={0: "off", 5: "5", 10: "10", MAX_FAN: str(MAX_FAN)}, allow_direct_input=False,
                        className="linear-slider fan-slider")
    return html.Div([head, html.Div(slider, className="control-slider")], className="control",
                    title=FAN_PARAM.help, **{"data-name": FAN_PARAM.label})


def field_message(kind: str, value: Any, state: dict) -> str:
    """The sentence a refused number field of ``state``'s page shows in place."""
    typed = value.strip() if isinstance(value, str) else value
    shown = "nothing" if typed in (None, "") else shown_typed(typed) if isinstance(typed, str) else short(typed)
    text = FIELDS[kind]
    if kind in ("start_x", "start_y"):
        low, high = start_limits(state["surface"])[0 if kind == "start_x" else 1]
        text = text.format(low=low, high=high)
    return f"{text}; got {shown}. Kept the value in use."


# ------------------------------------------------------------------------------
# actions
# ------------------------------------------------------------------------------

def _refuse(state: dict, exc: Exception) -> Result:
    return state, [str(exc).rstrip(".") + "."]


def set_start(state: dict, x: Any, y: Any, digits: int | None = None) -> Result:
    """Every run starts at (x, y); a click's position is kept to ``digits`` significant
    digits (a pixel is far coarser than that, and the fields and link stay readable)."""
    try:
        start = [as_float(x, "Start x"), as_float(y, "Start y")]
        if digits:
            start = [round_sig(c, digits) for c in start]
    except ValueError as exc:
        return _refuse(state, exc)
    checked, errors = validate_start(start, state["surface"])
    if errors:
        return state, errors
    if checked == state["start"]:
        return state, []
    new = copy_state(state)
    new["start"] = checked
    new["frame"] = 0
    return new, []


def set_steps(state: dict, steps: Any) -> Result:
    try:
        steps = as_int(steps, "Steps", MIN_STEPS, MAX_STEPS)
    except ValueError as exc:
        return _refuse(state, exc)
    new = copy_state(state)
    new["steps"] = steps
    new["frame"] = min(state["frame"], steps)
    return new, []


def set_seed(state: dict, seed: Any) -> Result:
    try:
        seed = as_int(seed, "Seed", 0, MAX_SEED)
    except ValueError as exc:
        return _refuse(state, exc)
    new = copy_state(state)
    new["seed"] = seed
    return new, []


def set_noise(state: dict, noise: Any) -> Result:
    """Gaussian noise (standard deviation per coordinate) added to every gradient."""
    try:
        noise = as_float(noise, "Noise")
        if not 0.0 <= noise <= MAX_NOISE:
            raise ValueError(f"Noise must be between 0 and {MAX_NOISE:g}, got {noise:g}")
    except ValueError as exc:
        return _refuse(state, exc)
    if noise == state["noise"]:
        return state, []
    new = copy_state(state)
    new["noise"] = noise
    return new, []


def set_fan(state: dict, k: Any) -> Result:
    """Seeds per run in the noise fan (0 or 1: off)."""
    try:
        k = as_int(k, "Fan (seeds per run)", 0, MAX_FAN)
    except ValueError as exc:
        return _refuse(state, exc)
    if k == state["fan"]:
        return state, []
    new = copy_state(state)
    new["fan"] = k
    return new, []


def set_count(state: dict, count: Any) -> Result:
    """Count the budget (and the frames) in optimizer steps or in function evaluations."""
    try:
        count = check_count(count)
    except ValueError as exc:
        return _refuse(state, exc)
    new = copy_state(state)
    new["count"] = count
    new["frame"] = 0
    return new, []


def set_view(state: dict, view: Any) -> Result:
    if view not in VIEWS:
        return state, [f"Unknown view {view!r}."]
    new = copy_state(state)
    new["view"] = view
    return new, []


def set_frame(state: dict, frame: Any) -> Result:
    try:
        frame = as_int(frame, "Frame", 0, MAX_STEPS)
    except ValueError as exc:
        return _refuse(state, exc)
    new = copy_state(state)
    new["frame"] = min(frame, state["steps"])
    return new, []
