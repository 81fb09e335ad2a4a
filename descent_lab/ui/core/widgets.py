"""Controls built from ``HyperParam`` specs: no hand-written slider anywhere.

A float knob becomes a ``dcc.Slider`` (over log10 values when ``scale == "log"``, with
marks formatted back to real values) and, beside it, a text field holding the exact
value: the slider is for feel, the field for the value you mean (a learning rate of
2.0 vs 2.1 at the stability edge). The slider reports its ``value`` once, on release
(``updatemode="mouseup"``); while the hand moves, the page previews the paths from the
thumb's value (``ui.race.preview``) and commits the value when the hand lets go. ``high_open`` ranges such as betas stop one step
short of the bound. A bool knob becomes a checkbox. Knobs marked ``advanced`` go into a
collapsed "more settings" section. Adding an optimizer or a surface to its registry
therefore adds its controls to the app with no UI code.
"""

from __future__ import annotations

import math
from typing import Any

from dash import dcc, html

from . import ids
from .theme import fmt_value

LOG_STEP = 0.01  # slider resolution in decades: 2.3 % per step


WIDEST_SLIDER = 1e4  # a linear range wider than this is typed in a field, not dragged


def is_log(hp: Any) -> bool:
    return hp.scale == "log" and hp.kind in ("float", "int")


def is_number(hp: Any) -> bool:
    return hp.kind in ("float", "int")


def has_slider(hp: Any) -> bool:
    """Whether a knob gets a slider: numbers over a range a hand can cover (a log scale,
    or a linear span up to :data:`WIDEST_SLIDER`); text and plot bounds are typed."""
    return is_number(hp) and (is_log(hp) or float(hp.high) - float(hp.low) <= WIDEST_SLIDER)


def linear_step(hp: Any) -> float:
    """A round step giving at least ~200 positions over the range."""
    span = float(hp.high) - float(hp.low)
    if span <= 0:
        return 1.0
    step = 10.0 ** math.floor(math.log10(span / 200.0))
    return max(1.0, step) if hp.kind == "int" else step


def _round(value: float, step: float) -> float:
    digits = max(0, -math.floor(math.log10(step))) + 1
    return round(value, digits)


def slider_range(hp: Any) -> tuple[float, float, float]:
    """(min, max, step) of the slider for a float HyperParam (log10 units for log)."""
    if is_log(hp):
        low, high, step = math.log10(hp.low), math.log10(hp.high), LOG_STEP
    else:
        low, high, step = float(hp.low), float(hp.high), linear_step(hp)
    if hp.high_open:
        high -= step
    return _round(low, step), _round(high, step), step


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
    if not math.isfinite(position):
        return position
    if not is_log(hp):
        return round(position) if hp.kind == "int" else position  # a count: the nearest whole one
    if abs(position) > 300:  # 10 ** position would overflow (or vanish): refused by validation
        return math.inf if position > 0 else 0.0
    # Three significant digits: the slider cannot resolve more, and the legend,
    # URL and CSV stay readable (0.00501 rather than 0.005011872336272725).
    return float(f"{10.0 ** position:.3g}")


def from_control(hp: Any, raw: Any) -> Any:
    """The value a slider or checkbox reports, as the engine's type."""
    if hp.kind == "bool":
        if isinstance(raw, list):
            return "on" in raw
        return raw
    return from_slider(hp, raw)


def slider_marks(hp: Any) -> dict:
    """A few marks with real values: decades for log sliders, the ends for linear."""
    low, high, _ = slider_range(hp)
    if is_log(hp):
        decades = list(range(math.ceil(low), math.floor(high) + 1))
        stride = max(1, math.ceil(len(decades) / 4))
        return {float(d): fmt_value(10.0**d) for d in decades[::stride]}
    return {low: fmt_value(hp.low), high: fmt_value(high)}


def named(name: str, control, class_name: str = "", **attrs) -> html.Div:
    """A box giving the Dash control inside it an accessible name.

    Dash 4's Slider, RangeSlider, RadioItems, Checklist and Dropdown accept no ``aria-*``
    property. The browser (``assets/00_core.js``, ``nameControls``) names the control in the
    nearest box with a ``data-name``: slider thumbs get it as ``aria-label``, an option list
    becomes a radio group or group of that name, a dropdown's button reads "name: value"."""
    return html.Div(control, className=class_name or None, **{"data-name": name}, **attrs)


def dom_id(control_id: dict) -> str:
    """A plain DOM id for a label's ``htmlFor`` (the text field of the control)."""
    return "-".join(str(control_id[k]) for k in sorted(control_id))


def control(hp: Any, value: Any, slider_id: dict | str, text_id: dict | str, owner: str = "") -> html.Div:
    """One labelled control for a HyperParam: label, exact-value field, slider.

    ``owner`` names what the knob belongs to in accessible names ("run 2")."""
    help_text = hp.help or hp.label
    name = f"{hp.label} ({owner})" if owner else hp.label
    if hp.kind == "text":
        field = dcc.Input(id=text_id, type="text", value=value, debounce=True, spellCheck=False, autoComplete="off",
                          className="text-input")
        return html.Div([html.Label([html.Span(hp.label, className="control-label", title=help_text), field],
                                    className="control-text"),
                         html.P(help_text + " Press Enter to apply.", className="hint")],
                        className="control control-wide", **{"data-name": name})
    if hp.kind == "steps" or is_number(hp) and not has_slider(hp):
        field = dcc.Input(id=text_id, type="text", value=fmt_value(value), debounce=True, inputMode="decimal",
                          spellCheck=False, autoComplete="off", className="number")
        return html.Label([html.Span(hp.label), field], className="field control-field", title=help_text,
                          **{"data-name": name})
    if hp.kind == "bool":
        box = dcc.Checklist(
            id=slider_id,
            options=[{"label": " " + hp.label, "value": "on", "title": help_text}],
            value=["on"] if value else [],
            className="control-check",
            inputClassName="check-input",
        )
        return html.Div([box], className="control control-bool", title=help_text, **{"data-name": name})
    low, high, step = slider_range(hp)
    field_id = dom_id(text_id) if isinstance(text_id, dict) else text_id
    text = dcc.Input(id=text_id, type="text", value=fmt_value(value), debounce=True, inputMode="decimal",
                     spellCheck=False, autoComplete="off", className="control-value")
    slider = dcc.Slider(
        id=slider_id,
        min=low, max=high, step=step,
        value=to_slider(hp, value),
        marks=slider_marks(hp),
        updatemode="mouseup",
        allow_direct_input=False,
        className="log-slider" if is_log(hp) else "linear-slider",
    )
    return html.Div(
        [html.Label([html.Span(hp.label, title=help_text, className="control-label"),
                    html.Span(f" ({owner})" if owner else "", className="sr-only"), text],
                   className="control-head", **{"data-field": field_id}),
         html.Div(slider, className="control-slider")],
        className="control" + (" control-log" if is_log(hp) else ""),
        title=help_text,
        **{"data-name": name},
    )


def controls(params, values: dict, slider_id, text_id, owner: str = "") -> list:
    """Every control of a set of HyperParams: main knobs first, advanced ones folded away.
    ``slider_id(name)`` and ``text_id(name)`` give each knob's ids."""
    main, advanced, fields = [], [], []
    for hp in params:
        widget = control(hp, values.get(hp.name, hp.default), slider_id(hp.name), text_id(hp.name), owner)
        (fields if is_number(hp) and not has_slider(hp) else advanced if hp.advanced else main).append(widget)
    if fields:  # typed numbers side by side (a plot's bounds)
        main.append(html.Div(fields, className="fields"))
    if advanced:
        main.append(html.Details([html.Summary("More settings"), *advanced], className="advanced"))
    return main


def field(id_, label: str, input_mode: str = "decimal") -> html.Label:
    """A labelled number field whose refusals are said in place (``ui.race.start``).

    A text field, not ``type="number"``: the browser's number field sends nothing (or
    an empty value) for text it finds invalid, such as 0 below its minimum or 2.5 in a
    whole-number field, so the server could not say what was wrong with what was typed.
    """
    return html.Label(
        [html.Span(label), dcc.Input(id=id_, type="text", inputMode=input_mode, debounce=True, className="number",
                                     autoComplete="off", spellCheck=False)],
        className="field",
    )


def alerts(messages: list[str]) -> list:
    """The alert area's content: one line per refused value, and a way to dismiss."""
    if not messages:
        return []
    unique = list(dict.fromkeys(messages))[:12]
    return [html.Div([html.Strong("Some values were refused. "), html.Ul([html.Li(m) for m in unique]),
                      html.Button("Dismiss", id=ids.ALERT_CLOSE, className="alert-close", n_clicks=0)],
                     className="alert", role="alert")]


def notice(text: str) -> list:
    """The alert area's content for what the app changed on its own (not a refusal)."""
    return [html.Div([html.Span(text), html.Button("OK", id=ids.ALERT_CLOSE, className="alert-close", n_clicks=0)],
                     className="alert notice", role="status")]


def formula(key: str, markdown: str, label: str = "formula", class_name: str = "rule") -> html.Div:
    """A formula typeset on demand: a button shows it (MathJax, about 2 MB, is fetched with
    the first formula a person opens, not with the page)."""
    return html.Div(
        [html.Button(label, id={"type": ids.FORMULA_TOGGLE, "key": key}, n_clicks=0, className="formula-toggle",
                     **{"aria-expanded": "false"}),
         html.Div(id={"type": ids.FORMULA_BODY, "key": key}, className=class_name),
         dcc.Store(id={"type": ids.FORMULA_SRC, "key": key}, data=markdown)],
        className="formula-box",
    )
