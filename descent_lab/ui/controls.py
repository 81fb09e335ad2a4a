"""Controls built from ``HyperParam`` specs: no hand-written slider anywhere.

A float knob becomes one ``dcc.Slider`` (over log10 values when ``scale == "log"``,
with marks formatted back to real values), its value shown beside it, its help
text as the tooltip of its label. ``high_open`` ranges such as betas stop one step
short of the bound. A bool knob becomes a checkbox. Knobs marked ``advanced`` go
into a collapsed "more settings" section. Adding an optimizer or a surface to its
registry therefore adds its controls to the app with no UI code.
"""

from __future__ import annotations

import math
from typing import Any

from dash import dcc, html

from . import ids
from .figures import fmt_value

LOG_STEP = 0.01  # slider resolution in decades: 2.3 % per step


def is_log(hp: Any) -> bool:
    return getattr(hp, "scale", "linear") == "log" and getattr(hp, "kind", "float") != "bool"


def linear_step(hp: Any) -> float:
    """A round step giving at least ~200 positions over the range."""
    span = float(hp.high) - float(hp.low)
    if span <= 0:
        return 1.0
    return 10.0 ** math.floor(math.log10(span / 200.0))


def slider_range(hp: Any) -> tuple[float, float, float]:
    """(min, max, step) of the slider for a float HyperParam (log10 units for log)."""
    if is_log(hp):
        low, high, step = math.log10(hp.low), math.log10(hp.high), LOG_STEP
    else:
        low, high, step = float(hp.low), float(hp.high), linear_step(hp)
    if getattr(hp, "high_open", False):
        high -= step
    return _round(low, step), _round(high, step), step


def _round(value: float, step: float) -> float:
    digits = max(0, -math.floor(math.log10(step))) + 1
    return round(value, digits)


def to_slider(hp: Any, value: Any) -> float:
    """Slider position for a real value (clamped into the slider's range)."""
    low, high, step = slider_range(hp)
    position = math.log10(value) if is_log(hp) else float(value)
    return min(max(_round(position, step / 100), low), high)


def from_slider(hp: Any, position: Any) -> Any:
    """Real value for a slider position; a non-number is passed on for validation."""
    if isinstance(position, bool) or not isinstance(position, (int, float)):
        return position
    try:
        position = float(position)
    except OverflowError:  # an integer beyond float range
        return math.inf
    if not math.isfinite(position) or not is_log(hp):
        return position
    if abs(position) > 300:  # 10 ** position would overflow (or vanish): refused by validation
        return math.inf if position > 0 else 0.0
    # Three significant digits: the slider cannot resolve more, and the legend,
    # URL and CSV stay readable (0.00501 rather than 0.005011872336272725).
    return float(f"{10.0 ** position:.3g}")


def from_control(hp: Any, raw: Any) -> Any:
    """The value a control reports, as the engine's type (bool knobs are checklists)."""
    if getattr(hp, "kind", "float") == "bool":
        if isinstance(raw, list):
            return "on" in raw
        return raw
    return from_slider(hp, raw)


def slider_marks(hp: Any) -> dict:
    """A few marks with real values: decades for log sliders, the ends for linear."""
    low, high, _ = slider_range(hp)
    if is_log(hp):
        first, last = math.ceil(low), math.floor(high)
        decades = list(range(first, last + 1))
        stride = max(1, math.ceil(len(decades) / 4))
        return {float(d): fmt_value(10.0**d) for d in decades[::stride]}
    return {low: fmt_value(hp.low), high: fmt_value(high)}


def value_text(hp: Any, value: Any) -> str:
    return fmt_value(value)


def control(hp: Any, value: Any, control_id: dict, value_id: dict) -> html.Div:
    """One labelled control for a HyperParam, with its value beside it."""
    help_text = getattr(hp, "help", "") or hp.label
    dom_id = f"{control_id['type']}-{control_id.get('run', 's')}-{hp.name}"
    label = html.Label(hp.label, title=help_text, className="control-label", htmlFor=dom_id)
    if getattr(hp, "kind", "float") == "bool":
        box = dcc.Checklist(
            id=control_id,
            options=[{"label": " " + hp.label, "value": "on", "title": help_text}],
            value=["on"] if value else [],
            className="control-check",
            inputClassName="check-input",
        )
        shown = html.Output("on" if value else "off", id=value_id, className="control-value sr-only")
        return html.Div([box, shown], className="control control-bool", title=help_text)
    low, high, step = slider_range(hp)
    slider = dcc.Slider(
        id=control_id,
        min=low, max=high, step=step,
        value=to_slider(hp, value),
        marks=slider_marks(hp),
        updatemode="drag",
        allow_direct_input=False,
        className="log-slider" if is_log(hp) else "linear-slider",
    )
    shown = html.Output(value_text(hp, value), id=value_id, className="control-value",
                        title=help_text, htmlFor=dom_id)
    return html.Div(
        [html.Div([label, shown], className="control-head"), html.Div(slider, className="control-slider")],
        className="control" + (" control-log" if is_log(hp) else ""),
        title=help_text,
    )


def hparam_controls(run_index: int, spec: Any, hparams: dict) -> list:
    """Every control of a run: main knobs first, advanced ones folded away."""
    main, advanced = [], []
    for hp in spec.hyperparams:
        widget = control(hp, hparams.get(hp.name, hp.default),
                         ids.hparam(run_index, hp.name), ids.hparam_value(run_index, hp.name))
        (advanced if getattr(hp, "advanced", False) else main).append(widget)
    if advanced:
        main.append(html.Details([html.Summary("More settings"), *advanced], className="advanced"))
    return main


def surface_controls(entry: Any, params: dict) -> list:
    return [control(hp, params.get(hp.name, hp.default), ids.sparam(hp.name), ids.sparam_value(hp.name))
            for hp in entry.params]
