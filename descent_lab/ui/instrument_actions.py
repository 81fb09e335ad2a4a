"""What the instruments' controls (issue 4) do to the state: pure ``(state, value) ->
(state, errors)`` functions, like ``ui.actions``.

* :func:`set_expression` and :func:`set_custom_bound`: a surface the user types,
  parsed by ``surfaces.from_expression`` (never evaluated); anything it refuses
  leaves the state as it was, with the engine's message.
* :func:`set_scale`: the loss scale ``c`` (``f -> c f``), kept in the surface's
  params as ``scale`` (absent when 1) so every ``surfaces.get(key, **params)`` sees it.
* :func:`set_fan` and :func:`set_show`: the noise fan's K and which instruments are on.

The input state is never mutated.
"""

from __future__ import annotations

from typing import Any

from descent_lab import surfaces

from .actions import rescale_learning_rates
from .state import (
    CUSTOM,
    CUSTOM_BOUNDS,
    CUSTOM_LABEL,
    MAX_FAN,
    SCALE,
    SCALE_PARAM,
    Errors,
    as_float,
    as_int,
    check_show,
    copy_state,
    default_start,
    surface_defaults,
    surface_label,
    validate_param,
    validate_start,
)

Result = tuple[dict, Errors]


def _custom_params(state: dict) -> dict:
    """The current typed surface's params, or the defaults when another surface is shown."""
    if state["surface"]["key"] == CUSTOM:
        return dict(state["surface"]["params"])
    params = surface_defaults(CUSTOM)
    if SCALE in state["surface"]["params"]:
        params[SCALE] = state["surface"]["params"][SCALE]
    return params


def _with_custom(state: dict, params: dict) -> Result:
    """The state showing the typed surface ``params`` (already parsed successfully).

    The start stays where it was if it is still near the plot (a new formula over the
    same box), else it moves to the surface's default start. Learning rates keep
    their ratios to the surface's hints, as on any surface change.
    """
    new = copy_state(state)
    old_surface = state["surface"]
    new["surface"] = {"key": CUSTOM, "params": params}
    start, errors = validate_start(state["start"], new["surface"])
    new["start"] = start if not errors else default_start(new["surface"])
    new["frame"] = 0
    new["lesson"] = None
    rescale_learning_rates(new, old_surface)
    return new, []


def _bounds(params: dict):
    return (params["xmin"], params["xmax"]), (params["ymin"], params["ymax"])


def set_expression(state: dict, text: Any) -> Result:
    """Show ``f(x, y) = text``; a refused text keeps the state, with the reason."""
    if text is None or (isinstance(text, str) and not text.strip()):
        return state, [f"{CUSTOM_LABEL}: type a function of x and y, e.g. "
                       "sin(x)*cos(y) + 0.1*(x**2 + y**2)."]
    params = _custom_params(state)
    try:
        surfaces.from_expression(text, _bounds(params))
    except ValueError as exc:
        return state, [f"Could not use f(x, y): {str(exc).rstrip('. ')}."]
    if state["surface"]["key"] == CUSTOM and params["expression"] == text:
        return state, []
    params["expression"] = text
    return _with_custom(state, params)


def set_custom_bound(state: dict, name: Any, value: Any) -> Result:
    """Change one bound of the typed surface's plot (xmin, xmax, ymin or ymax)."""
    if name not in CUSTOM_BOUNDS:
        return state, [f"{CUSTOM_LABEL} has no setting {str(name)[:40]!r}."]
    if value is None:
        return state, [f"{CUSTOM_LABEL}: {name} needs a number."]
    try:
        number = as_float(value, f"{CUSTOM_LABEL}: {name}")
    except ValueError as exc:
        return state, [str(exc)]
    params = _custom_params(state)
    if params[name] == number and state["surface"]["key"] == CUSTOM:
        return state, []
    params[name] = number
    try:
        surfaces.from_expression(params["expression"], _bounds(params))
    except ValueError as exc:
        return state, [f"Could not use these bounds: {str(exc).rstrip('. ')}."]
    return _with_custom(state, params)


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


def set_show(state: dict, names: Any) -> Result:
    """Which instruments are on (a checklist's value: a list of names)."""
    try:
        show = check_show(names)
    except ValueError as exc:
        return state, [str(exc).rstrip(".") + "."]
    if show == state["show"]:
        return state, []
    new = copy_state(state)
    new["show"] = show
    return new, []


def set_fan(state: dict, k: Any) -> Result:
    """Seeds per run in the noise fan (0 or 1: off)."""
    try:
        k = as_int(k, "Fan (seeds per run)", 0, MAX_FAN)
    except ValueError as exc:
        return state, [str(exc).rstrip(".") + "."]
    if k == state["fan"]:
        return state, []
    new = copy_state(state)
    new["fan"] = k
    return new, []
