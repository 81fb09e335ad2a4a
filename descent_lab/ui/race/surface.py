"""The surface: its panel, what its controls do to the state, and its contour for the
browser.

The panel's parameter controls are rendered once per surface: dragging or typing a
parameter never re-renders them, so the slider under the pointer (and the keyboard
focus) stays. Actions are pure ``(state, ...) -> (state, errors)`` functions.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from dash import dcc, html

from descent_lab import surfaces

from ..core import engine, ids, plot, theme, widgets
from ..instruments import theory as theory_text
from ..core.state import (
    SCALE,
    SCALE_PARAM,
    Errors,
    check_box,
    clamp_to_param,
    copy_state,
    default_start,
    lr_hint,
    make_surface,
    param_spec,
    round_sig,
    surface_defaults,
    surface_label,
    surface_params,
    unscaled,
    validate_compare,
    validate_param,
    validate_start,
)

Result = tuple[dict, Errors]
PREVIEW_GRID = 80  # contour nodes per side while a surface slider is dragged


# ------------------------------------------------------------------------------
# panel
# ------------------------------------------------------------------------------

def _first_clause(text: str) -> str:
    for stop in (":", ". ", ";"):
        if stop in text:
            text = text.split(stop)[0]
    return text.rstrip(".")


def surface_options() -> list[dict]:
    """Each surface with a one-line description under its name in the list."""
    def option(value, title, desc):
        return {"label": html.Span([html.Span(title, className="option-title"),
                                    html.Span(desc, className="option-desc")], className="surface-option"),
                "value": value, "search": title}

    return [option(key, entry.label, _first_clause(entry.description)) for key, entry in surfaces.ENTRIES.items()]


def param_controls(state: dict) -> list:
    """The current surface's own controls (rendered once per surface): generated from its
    parameters like every other control (a typed function's text field and plot bounds
    included)."""
    surface = state["surface"]
    return widgets.controls(surface_params(surface["key"]), surface["params"], ids.sparam, ids.sparam_text,
                            owner="surface")


def comparable(state: dict) -> tuple:
    """The parameters a second panel can vary: those with a slider."""
    return tuple(hp for hp in surface_params(state["surface"]["key"]) if widgets.has_slider(hp))


def compare_controls(state: dict) -> list:
    """The second panel: which parameter differs there, and its value."""
    params = comparable(state)
    if not params:
        return []
    compare = state.get("compare") or {}
    picked = next(iter(compare), None)
    pick = dcc.Dropdown(
        id=ids.compare_param("name"), clearable=False, searchable=False, className="compare-pick",
        options=[{"label": "one panel", "value": ""}] + [{"label": f"second panel: other {hp.label}",
                                                         "value": hp.name} for hp in params],
        value=picked or "",
    )
    parts = [widgets.named("Second panel", pick, "dropdown-box")]
    if picked:
        hp = next(h for h in params if h.name == picked)
        parts += widgets.controls([hp], compare, lambda name: ids.compare_param("value"),
                                  lambda name: ids.compare_text(), owner="second panel")
    return [html.Div(parts, className="compare")]


def scale_control(value: float) -> html.Div:
    """The loss-scale slider (one log slider, as every log knob) with its exact value."""
    widget = widgets.control(SCALE_PARAM, value, ids.LOSS_SCALE, ids.LOSS_SCALE_TEXT)
    note = html.P("f becomes c·f: the paths change, the contour's shape does not (its colours show f before "
                  "scaling).", className="hint")
    return html.Div([widget, note], className="loss-scale")


def info(state: dict) -> list:
    """The surface's formula and description, generated from its record."""
    s = make_surface(state["surface"])
    key = f"surface-{state['surface']['key']}"
    parts = [widgets.formula(key, f"$$\n{s.formula}\n$$", "formula", "formula")]
    if "$$" in s.description:  # a description with formulas (a typed function's gradient)
        parts.append(widgets.formula(key + "-gradient", s.description, "its gradient", "description"))
    else:
        parts.append(html.P(s.description, className="description"))
    facts = [html.Li(s.domain_text), html.Li(s.minimum_text)]
    quadratic = theory_text.surface_fact(s)
    if quadratic:
        facts.append(html.Li(quadratic, className="quadratic-fact"))
    parts.append(html.Ul(facts, className="facts"))
    return parts


def panel_children(state: dict) -> dict:
    """Everything of the surface panel that depends on which surface is shown."""
    return {"params": param_controls(state), "info": info(state), "compare": compare_controls(state)}


# ------------------------------------------------------------------------------
# actions
# ------------------------------------------------------------------------------

def rescale_learning_rates(new: dict, old_surface: dict) -> None:
    """Multiply each run's lr by (new surface's hint / old one's), in place, so "Adam lr=0.01
    vs 0.1" stays a 10x race on the new surface instead of both diverging or crawling."""
    for run in new["runs"]:
        if "lr" not in run["hparams"]:
            continue
        old_hint = lr_hint(run["optimizer"], old_surface)
        new_hint = lr_hint(run["optimizer"], new["surface"])
        if old_hint and new_hint:
            lr = round_sig(run["hparams"]["lr"] * new_hint / old_hint)
            run["hparams"]["lr"] = clamp_to_param(param_spec(run["optimizer"], "lr"), lr)


def _switched(state: dict, surface: dict, keep_start: bool = False) -> dict:
    """The state showing another surface: its start, the whole surface in view, learning
    rates rescaled, no lesson (a lesson's text is about its own surface)."""
    new = copy_state(state)
    new["surface"] = surface
    if keep_start:
        start, errors = validate_start(state["start"], surface)
        new["start"] = default_start(surface) if errors else start
    else:
        new["start"] = default_start(surface)
    new["frame"] = 0
    new["lesson"] = None
    new["box"] = None
    new["compare"] = {}
    rescale_learning_rates(new, state["surface"])
    return new


def set_surface(state: dict, key: Any) -> Result:
    """Switch surface: its default parameters and start; learning rates keep their ratios."""
    if not isinstance(key, str) or key not in surfaces.ENTRIES:
        return state, [f"Unknown surface {key!r}; kept {surface_label(state['surface'])}."]
    if key == state["surface"]["key"]:
        return state, []
    surface = {"key": key, "params": surface_defaults(key)}
    if SCALE in state["surface"]["params"]:  # the loss scale is a knob of its own: it stays
        surface["params"][SCALE] = state["surface"]["params"][SCALE]
    return _switched(state, surface), []


def set_surface_param(state: dict, name: Any, value: Any) -> Result:
    """Change one parameter of the current surface: a slider's value, a typed number, a
    typed function. The start stays where it is when it still fits the plot; learning
    rates follow the surface's hints when those change (a new typed function); a value the
    engine refuses leaves the state, with its reason."""
    surface = state["surface"]
    hp = sparam_spec(state, name)
    if hp is None:
        return state, [f"{surface_label(surface)} has no parameter {str(name)[:40]!r}."]
    label = surface_label(surface)
    try:
        checked = validate_param(hp, value, label)
        params = {**surface["params"], hp.name: checked}
        new_surface = make_surface({"key": surface["key"], "params": params})
    except ValueError as exc:
        return state, [f"{label}: {str(exc).removeprefix(label + ': ').rstrip('. ')}."]
    if params == surface["params"]:
        return state, []
    new = copy_state(state)
    new["surface"] = {"key": surface["key"], "params": params}
    start, errors = validate_start(state["start"], new["surface"])
    new["start"] = default_start(new["surface"]) if errors else start
    new["compare"], _ = validate_compare(state.get("compare"), new["surface"])
    new["box"] = None
    if new_surface.lr_hints != make_surface(surface).lr_hints:
        rescale_learning_rates(new, surface)
        new["frame"] = 0
    return new, []


def sparam_spec(state: dict, name: Any):
    return next((hp for hp in surface_params(state["surface"]["key"]) if hp.name == name), None)


def set_scale(state: dict, value: Any) -> Result:
    """The loss scale c (a real value, not a slider position)."""
    try:
        scale = float(validate_param(SCALE_PARAM, value, surface_label(state["surface"])))
    except ValueError as exc:
        return state, [str(exc).rstrip(".") + "."]
    params = dict(state["surface"]["params"])
    if params.get(SCALE, 1.0) == scale:
        return state, []
    params.pop(SCALE, None)
    if scale != 1.0:
        params[SCALE] = scale
    new = copy_state(state)
    new["surface"] = {"key": state["surface"]["key"], "params": params}
    return new, []


def set_compare(state: dict, name: Any, value: Any = None) -> Result:
    """A second panel where parameter ``name`` differs (``value``; None: the other end of its
    range, or the middle), or one panel again (``name`` empty)."""
    if name in (None, ""):
        if not state.get("compare"):
            return state, []
        new = copy_state(state)
        new["compare"] = {}
        return new, []
    hp = next((h for h in comparable(state) if h.name == name), None)
    if hp is None:
        return state, [f"{surface_label(state['surface'])} has no parameter {str(name)[:40]!r} to compare."]
    if value is None:
        current = state["surface"]["params"][hp.name]
        value = hp.high if current <= (hp.low + hp.high) / 2 else hp.low
        if hp.scale == "log":
            value = float(np.sqrt(hp.low * hp.high)) if current < np.sqrt(hp.low * hp.high) else hp.low
    compare, errors = validate_compare({hp.name: value}, state["surface"])
    if errors:
        return state, errors
    if compare == state.get("compare"):
        return state, []
    new = copy_state(state)
    new["compare"] = compare
    return new, []


def set_box(state: dict, box: Any) -> Result:
    """The plotted window (None: the whole surface)."""
    try:
        checked = check_box(box, state["surface"])
    except ValueError as exc:
        return state, [str(exc).rstrip(".") + "."]
    if checked == state.get("box"):
        return state, []
    new = copy_state(state)
    new["box"] = checked
    return new, []


def fit_box(state: dict, paths_xy: list[np.ndarray], margin: float = 0.12) -> list[list[float]] | None:
    """A window around every point of the paths (and the start and the minima inside
    the surface's bounds), with a margin, kept inside the start limits; None when it
    would be nearly the whole surface anyway."""
    s = make_surface(state["surface"])
    points = [np.asarray(state["start"], dtype=float)[None]]
    points += [xy[np.isfinite(xy).all(axis=1)] for xy in paths_xy]
    (bx0, bx1), (by0, by1) = s.bounds
    mins = np.asarray(s.minimizers, dtype=float).reshape(-1, 2)
    inside = (mins[:, 0] >= bx0) & (mins[:, 0] <= bx1) & (mins[:, 1] >= by0) & (mins[:, 1] <= by1)
    points.append(mins[inside])
    pts = np.concatenate([p for p in points if len(p)])
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    span = np.maximum(hi - lo, 1e-3 * max(bx1 - bx0, by1 - by0))
    lo, hi = lo - margin * span, hi + margin * span
    try:
        box = check_box([[float(lo[0]), float(hi[0])], [float(lo[1]), float(hi[1])]], state["surface"])
    except ValueError:
        return None
    whole = (bx1 - bx0) * (by1 - by0)
    if (hi[0] - lo[0]) * (hi[1] - lo[1]) > 0.8 * whole and lo[0] >= bx0 and hi[0] <= bx1:
        return None
    return box


# ------------------------------------------------------------------------------
# the contour for the browser
# ------------------------------------------------------------------------------

def twin_start(state: dict) -> list[float]:
    """Where the compared panel's runs start: the same place relative to the surface. At
    the surface's own default start, the compared surface's default start (a turned
    valley's start turns with it); anywhere else, the same point."""
    if state["start"] != default_start(state["surface"]):
        return list(state["start"])
    twin = {"key": state["surface"]["key"], "params": {**state["surface"]["params"], **state["compare"]}}
    return default_start(twin)


def window(state: dict) -> list[list[float]]:
    """The plotted window: the state's box, or the surface's bounds."""
    if state.get("box"):
        return state["box"]
    s = make_surface(state["surface"])
    return [[float(a), float(b)] for a, b in s.bounds]


def _contour(state_surface: dict, box, overrides: dict | None = None, n: int = engine.GRID_N):
    shape = unscaled(state_surface)  # the contour is drawn before the loss scale
    params = engine.freeze({**shape["params"], **(overrides or {})})
    grid = engine.contour_grid(shape["key"], params, (tuple(box[0]), tuple(box[1])), n)
    s = engine.surface(shape["key"], params)
    return plot.contour_trace(grid), plot.minimizer_trace(s.minimizers), grid[3]


def surface_payload(state: dict, n: int = engine.GRID_N) -> dict:
    """What the browser keeps per surface and window: contour, minima, their titles (and
    the compared panel's). A coarser grid (``n``) while a surface slider is dragged."""
    box = window(state)
    contour, minima, title = _contour(state["surface"], box, n=n)
    out = {"key": state["surface"]["key"], "params": unscaled(state["surface"])["params"], "box": box,
           "contour": contour, "minima": minima, "colour_title": title}
    if state.get("compare"):
        twin_contour, twin_minima, _ = _contour(state["surface"], box, state["compare"], n=n)
        out["twin"] = {"contour": twin_contour, "minima": twin_minima}
    return out


def surface_key(state: dict) -> tuple:
    """What the contour depends on: the surface's shape, the window, the compared panel."""
    return (unscaled(state["surface"]), state.get("box"), state.get("compare") or {})


def panel_title(state: dict, overrides: dict | None = None) -> str:
    """"rotation (degrees) = 45" for a panel (empty for the main surface without overrides)."""
    params = {hp.name: hp for hp in surface_params(state["surface"]["key"])}
    values = overrides if overrides is not None else {k: state["surface"]["params"][k]
                                                       for k in (state.get("compare") or {})}
    return ", ".join(f"{params[k].label} = {theme.fmt_value(v)}" for k, v in values.items() if k in params)
