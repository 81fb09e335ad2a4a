"""What each control does to the state: pure functions ``(state, ...) -> (state, errors)``.

The Dash callbacks only translate "which control fired, with what value" into one
of these calls, so every behaviour here is tested without a browser. The input
state is never mutated; values from the client are validated before use and a
refused value leaves the state as it was, with a message.
"""

from __future__ import annotations

import math
from typing import Any

from descent_lab import optimizers, surfaces

from . import presets
from .state import (
    CUSTOM,
    MAX_NOISE,
    MAX_RUNS,
    MAX_SEED,
    MAX_STEPS,
    MIN_STEPS,
    SCALE,
    VIEWS,
    Errors,
    as_float,
    as_int,
    clamp_to_param,
    copy_state,
    default_hparams,
    default_start,
    lr_hint,
    param_spec,
    surface_defaults,
    surface_label,
    validate_param,
    validate_start,
    validate_state,
    validate_surface,
)

Result = tuple[dict, Errors]


def _run_index(state: dict, index: Any) -> int:
    if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < len(state["runs"]):
        raise ValueError(f"There is no run {index!r}")
    return index


def _refuse(state: dict, exc: Exception) -> Result:
    return state, [str(exc).rstrip(".") + "."]


def set_surface(state: dict, key: Any) -> Result:
    """Switch surface: its default parameters and start; learning rates keep their ratios.

    Each run's learning rate is multiplied by (new surface's hint / old surface's hint)
    for its optimizer's kind, so "Adam lr=0.01 vs 0.1" stays a 10x race on the new
    surface instead of both runs diverging or crawling.
    """
    if not isinstance(key, str) or (key not in surfaces.REGISTRY and key != CUSTOM):
        return state, [f"Unknown surface {key!r}; kept {surface_label(state['surface'])}."]
    new = copy_state(state)
    old_surface = state["surface"]
    new["surface"] = {"key": key, "params": surface_defaults(key)}
    if SCALE in old_surface["params"]:  # the loss scale is a knob of its own: it stays
        new["surface"]["params"][SCALE] = old_surface["params"][SCALE]
    new["start"] = default_start(new["surface"])
    new["frame"] = 0
    new["lesson"] = None  # a lesson's text is about its own surface
    rescale_learning_rates(new, old_surface)
    return new, []


def rescale_learning_rates(new: dict, old_surface: dict) -> None:
    """Multiply each run's lr by (new surface's hint / old one's), in place."""
    for run in new["runs"]:
        if "lr" not in run["hparams"]:
            continue
        old_hint = lr_hint(run["optimizer"], old_surface)
        new_hint = lr_hint(run["optimizer"], new["surface"])
        if old_hint and new_hint:
            lr = _round_sig(run["hparams"]["lr"] * new_hint / old_hint)
            run["hparams"]["lr"] = clamp_to_param(param_spec(run["optimizer"], "lr"), lr)


def _round_sig(value: float, digits: int = 3) -> float:
    if value == 0 or not math.isfinite(value):
        return value
    return float(f"{value:.{digits}g}")


def set_surface_param(state: dict, name: Any, value: Any) -> Result:
    """Change one parameter of the current surface (the start stays where it is)."""
    surface = state["surface"]
    params = dict(surface["params"])
    if name not in params or name == SCALE or surface["key"] == CUSTOM:
        return state, [f"{surface_label(surface)} has no parameter {name!r}."]
    params[name] = value
    checked, errors = validate_surface({"key": surface["key"], "params": params})
    if errors:
        return state, errors
    new = copy_state(state)
    new["surface"] = checked
    new["start"], more = validate_start(state["start"], checked)
    return new, more


def add_run(state: dict, optimizer: Any) -> Result:
    if not isinstance(optimizer, str) or optimizer not in optimizers.REGISTRY:
        return state, [f"Unknown optimizer {optimizer!r}; no run added."]
    if len(state["runs"]) >= MAX_RUNS:
        return state, [f"At most {MAX_RUNS} runs can race at once; remove one first."]
    new = copy_state(state)
    new["runs"].append({"optimizer": optimizer, "hparams": default_hparams(optimizer, state["surface"])})
    return new, []


def duplicate_run(state: dict, index: Any) -> Result:
    try:
        index = _run_index(state, index)
    except ValueError as exc:
        return _refuse(state, exc)
    if len(state["runs"]) >= MAX_RUNS:
        return state, [f"At most {MAX_RUNS} runs can race at once; remove one first."]
    new = copy_state(state)
    new["runs"].insert(index + 1, copy_state(state["runs"][index]))
    return new, []


def remove_run(state: dict, index: Any) -> Result:
    try:
        index = _run_index(state, index)
    except ValueError as exc:
        return _refuse(state, exc)
    new = copy_state(state)
    del new["runs"][index]
    return new, []


def set_optimizer(state: dict, index: Any, optimizer: Any) -> Result:
    """Change a run's optimizer, keeping the settings both optimizers share.

    The learning rate is kept when both optimizers measure it the same way
    (``lr_kind``); otherwise the new optimizer starts from the surface's hint.
    """
    try:
        index = _run_index(state, index)
    except ValueError as exc:
        return _refuse(state, exc)
    if not isinstance(optimizer, str) or optimizer not in optimizers.REGISTRY:
        return state, [f"Unknown optimizer {optimizer!r}; run {index + 1} unchanged."]
    old = state["runs"][index]
    if old["optimizer"] == optimizer:
        return state, []
    old_kind = optimizers.REGISTRY[old["optimizer"]].lr_kind
    new_spec = optimizers.REGISTRY[optimizer]
    hparams = default_hparams(optimizer, state["surface"])
    for hp in new_spec.hyperparams:
        if hp.name not in old["hparams"] or (hp.name == "lr" and old_kind != new_spec.lr_kind):
            continue
        try:
            hparams[hp.name] = hp.validate(old["hparams"][hp.name])
        except ValueError:
            pass
    try:
        hparams = new_spec.validate(**hparams)
    except ValueError:
        hparams = default_hparams(optimizer, state["surface"])
    new = copy_state(state)
    new["runs"][index] = {"optimizer": optimizer, "hparams": hparams}
    return new, []


def set_hparam(state: dict, index: Any, name: Any, value: Any) -> Result:
    """Set one hyperparameter of one run; a refused value leaves the run as it was."""
    try:
        index = _run_index(state, index)
    except ValueError as exc:
        return _refuse(state, exc)
    run = state["runs"][index]
    spec = optimizers.REGISTRY[run["optimizer"]]
    hp = next((h for h in spec.hyperparams if h.name == name), None)
    if hp is None:
        return state, [f"Run {index + 1} ({spec.label}) has no setting {name!r}."]
    try:
        checked = validate_param(hp, value, f"Run {index + 1} ({spec.label})")
        hparams = spec.validate(**{**run["hparams"], name: checked})
    except ValueError as exc:
        return _refuse(state, exc)
    if hparams == run["hparams"]:
        return state, []
    new = copy_state(state)
    new["runs"][index]["hparams"] = hparams
    return new, []


def set_start(state: dict, x: Any, y: Any) -> Result:
    try:
        start = [as_float(x, "Start x"), as_float(y, "Start y")]
    except ValueError as exc:
        return _refuse(state, exc)
    checked, errors = validate_start(start, state["surface"])
    if errors:
        return state, errors
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
    new = copy_state(state)
    new["noise"] = noise
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


def load_preset(state: dict, key: Any) -> Result:
    """Replace the state with a lesson's (validated like anything else)."""
    preset = presets.PRESETS.get(key) if isinstance(key, str) else None
    if preset is None:
        return state, [f"Unknown lesson {key!r}."]
    new, errors = validate_state({**preset.state, "lesson": preset.key})
    new["view"] = preset.state.get("view", state.get("view", "overlay"))
    return new, errors


def close_lesson(state: dict) -> Result:
    new = copy_state(state)
    new["lesson"] = None
    return new, []
