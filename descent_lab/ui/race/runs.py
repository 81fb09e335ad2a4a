"""The runs: their cards, what their controls do to the state, and their paths for the
browser.

Actions are pure ``(state, ...) -> (state, errors)`` functions: the input state is
never mutated and a refused value leaves it as it was, with a message. A run is named
by its ``id`` (its lifelong identity and colour), not its position.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from dash import dcc, html

from descent_lab import optimizers
from descent_lab.surfaces.base import nearest_distance

from ..core import engine, ids, theme, widgets
from ..core.codec import encode_f4
from ..core.labels import run_label
from ..core.state import (
    MAX_RUNS,
    Errors,
    copy_state,
    default_hparams,
    free_id,
    parse_number,
    round_sig,
    run_index,
    validate_param,
)
from ..instruments import data as instrument_data

Result = tuple[dict, Errors]
# The loss chart shows f - f_min on a log axis; a gap of exactly 0 (a run that lands
# on the minimum) is drawn at this floor instead of disappearing from the chart.
GAP_FLOOR = 1e-30


# ------------------------------------------------------------------------------
# cards
# ------------------------------------------------------------------------------

def optimizer_options() -> list[dict]:
    return [{"label": spec.label, "value": key} for key, spec in optimizers.REGISTRY.items()]


def schedule_options() -> list[dict]:
    return [{"label": spec.label, "value": key} for key, spec in optimizers.SCHEDULES.items()]


def schedule_controls(run: dict) -> html.Div:
    """The learning-rate schedule: its kind, and its settings when not constant."""
    rid, schedule = run["id"], run.get("schedule") or {"kind": "constant"}
    spec = optimizers.SCHEDULES[schedule["kind"]]
    head = html.Div(
        [html.Span("lr schedule", className="control-label", title="How the learning rate changes over the "
                   "steps (torch.optim.lr_scheduler's meaning)."),
         widgets.named(f"lr schedule (run {rid + 1})",
                       dcc.Dropdown(id=ids.schedule(rid), options=schedule_options(), value=schedule["kind"],
                                    clearable=False, searchable=False, className="schedule-kind"),
                       "dropdown-box schedule-kind-box")],
        className="control-head schedule-head",
    )
    knobs = widgets.controls(spec.params, schedule, lambda name: ids.schedule_param(rid, name),
                             lambda name: ids.schedule_text(rid, name),
                             owner=f"run {rid + 1} schedule")
    formula = widgets.formula(f"schedule-{rid}-{schedule['kind']}", f"$${spec.latex}$$", "schedule's formula",
                              "rule schedule-rule") if schedule["kind"] != "constant" else None
    return html.Div([head, *knobs, *([formula] if formula else [])], className="schedule")


def run_card(run: dict, position: int) -> html.Div:
    """A run's card: colour and marker, optimizer, update rule, controls, status."""
    spec = optimizers.REGISTRY[run["optimizer"]]
    rid, color = run["id"], theme.run_color(run["id"])
    owner = f"run {position + 1}"
    header = html.Div(
        [
            html.Span(theme.run_glyph(rid), className="swatch", style={"color": color}, **{"aria-hidden": "true"}),
            widgets.named(f"optimizer ({owner})",
                          dcc.Dropdown(id=ids.run_optimizer(rid), options=optimizer_options(), value=run["optimizer"],
                                       clearable=False, searchable=False, className="run-optimizer",
                                       optionHeight=30),
                          "dropdown-box run-optimizer-box"),
            html.Button("copy", id=ids.run_duplicate(rid), className="icon-button text", n_clicks=0,
                        title="Duplicate this run", **{"aria-label": f"copy: duplicate {owner}"}),
            html.Button("×", id=ids.run_remove(rid), className="icon-button remove", n_clicks=0,
                        title="Remove this run", **{"aria-label": f"Remove {owner}"}),
        ],
        className="run-head",
    )
    rule = html.Div(
        [
            html.P(spec.summary, className="rule-summary"),
            widgets.formula(f"rule-{rid}-{run['optimizer']}", f"$$\n{spec.rule}\n$$", "update rule"),
            html.Div(spec.reference, className="reference"),
        ],
        className="rule-box",
    )
    knobs = widgets.controls(spec.hyperparams, run["hparams"], lambda name: ids.hparam(rid, name),
                             lambda name: ids.hparam_text(rid, name), owner=owner)
    return html.Div(
        [
            header,
            html.Div("", id=ids.run_status(rid), className="run-status", **{"aria-live": "polite"}),
            rule,
            html.Div(knobs, className="controls"),
            schedule_controls(run),
        ],
        className="run-card",
        id=f"run-card-{rid}",
        style={"--run-color": color},
        **{"data-run": str(rid), "data-optimizer": run["optimizer"]},
    )


def run_cards(state: dict) -> list:
    cards = [run_card(run, i) for i, run in enumerate(state["runs"])]
    return cards or [html.P("No runs yet: add one below.", className="empty")]


# ------------------------------------------------------------------------------
# actions
# ------------------------------------------------------------------------------

def _refuse(state: dict, exc: Exception) -> Result:
    return state, [str(exc).rstrip(".") + "."]


def _lookup(state: dict, run_id: Any) -> int:
    return run_index(state, run_id)


def add_run(state: dict, optimizer: Any) -> Result:
    if not isinstance(optimizer, str) or optimizer not in optimizers.REGISTRY:
        return state, [f"Unknown optimizer {optimizer!r}; no run added."]
    if len(state["runs"]) >= MAX_RUNS:
        return state, [f"At most {MAX_RUNS} runs can race at once; remove one first."]
    new = copy_state(state)
    new["runs"].append({"id": free_id(state["runs"]), "optimizer": optimizer,
                        "hparams": default_hparams(optimizer, state["surface"]), "schedule": {"kind": "constant"}})
    return new, []


def duplicate_run(state: dict, run_id: Any) -> Result:
    try:
        index = _lookup(state, run_id)
    except ValueError as exc:
        return _refuse(state, exc)
    if len(state["runs"]) >= MAX_RUNS:
        return state, [f"At most {MAX_RUNS} runs can race at once; remove one first."]
    new = copy_state(state)
    twin = copy_state(state["runs"][index])
    twin["id"] = free_id(state["runs"])
    new["runs"].insert(index + 1, twin)
    return new, []


def remove_run(state: dict, run_id: Any) -> Result:
    try:
        index = _lookup(state, run_id)
    except ValueError as exc:
        return _refuse(state, exc)
    new = copy_state(state)
    del new["runs"][index]
    return new, []


def set_optimizer(state: dict, run_id: Any, optimizer: Any) -> Result:
    """Change a run's optimizer. The new optimizer starts from its own defaults (on this
    surface); a setting both share is kept only where the person had moved it from the
    old optimizer's default, and the learning rate keeps its ratio to the default when
    both measure it the same way (``lr_kind``): gradient descent at 1.8 (its default on
    the valley) becomes Nesterov at its own default, not a diverging 1.8."""
    try:
        index = _lookup(state, run_id)
    except ValueError as exc:
        return _refuse(state, exc)
    if not isinstance(optimizer, str) or optimizer not in optimizers.REGISTRY:
        return state, [f"Unknown optimizer {optimizer!r}; run {index + 1} unchanged."]
    old = state["runs"][index]
    if old["optimizer"] == optimizer:
        return state, []
    old_spec, new_spec = optimizers.REGISTRY[old["optimizer"]], optimizers.REGISTRY[optimizer]
    old_defaults = default_hparams(old["optimizer"], state["surface"])
    hparams = default_hparams(optimizer, state["surface"])
    for hp in new_spec.hyperparams:
        name = hp.name
        if name not in old["hparams"] or old["hparams"][name] == old_defaults.get(name):
            continue
        if name == "lr":
            if old_spec.lr_kind != new_spec.lr_kind or not old_defaults.get("lr"):
                continue
            value = round_sig(old["hparams"]["lr"] * hparams["lr"] / old_defaults["lr"])
        else:
            value = old["hparams"][name]
        try:
            hparams[name] = hp.validate(value)
        except ValueError:
            pass
    try:
        hparams = new_spec.validate(**hparams)
    except ValueError:
        hparams = default_hparams(optimizer, state["surface"])
    new = copy_state(state)
    new["runs"][index] = {**old, "optimizer": optimizer, "hparams": hparams}
    return new, []


def set_hparam(state: dict, run_id: Any, name: Any, value: Any) -> Result:
    """Set one hyperparameter (a real value) of one run; a refused value leaves the run."""
    try:
        index = _lookup(state, run_id)
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


def hparam_spec(state: dict, run_id: Any, name: Any):
    """The HyperParam of a run's setting, or None."""
    try:
        index = _lookup(state, run_id)
    except ValueError:
        return None
    spec = optimizers.REGISTRY[state["runs"][index]["optimizer"]]
    return next((h for h in spec.hyperparams if h.name == name), None)


def parse_typed(text: Any):
    """A typed value: numbers as floats (``1e-3``, ``2,5`` is refused), the rest as is."""
    if isinstance(text, str):
        return parse_number(text)
    return text


def set_schedule(state: dict, run_id: Any, kind: Any) -> Result:
    """Give a run another learning-rate schedule (with that schedule's defaults)."""
    try:
        index = _lookup(state, run_id)
    except ValueError as exc:
        return _refuse(state, exc)
    try:
        schedule = optimizers.validate_schedule({"kind": kind})
    except ValueError as exc:
        return _refuse(state, exc)
    if schedule["kind"] == state["runs"][index]["schedule"]["kind"]:
        return state, []
    new = copy_state(state)
    new["runs"][index]["schedule"] = schedule
    return new, []


def set_schedule_param(state: dict, run_id: Any, name: Any, value: Any) -> Result:
    try:
        index = _lookup(state, run_id)
    except ValueError as exc:
        return _refuse(state, exc)
    schedule = state["runs"][index]["schedule"]
    spec = optimizers.SCHEDULES[schedule["kind"]]
    hp = next((p for p in spec.params if p.name == name), None)
    if hp is None:
        return state, [f"The {spec.label} schedule of run {index + 1} has no setting {name!r}."]
    try:
        checked = validate_param(hp, value, f"Run {index + 1} ({spec.label})")
        new_schedule = optimizers.validate_schedule({**schedule, name: checked})
    except ValueError as exc:
        return _refuse(state, exc)
    if new_schedule == schedule:
        return state, []
    new = copy_state(state)
    new["runs"][index]["schedule"] = new_schedule
    return new, []


def schedule_param_spec(state: dict, run_id: Any, name: Any):
    try:
        index = _lookup(state, run_id)
    except ValueError:
        return None
    spec = optimizers.SCHEDULES[state["runs"][index]["schedule"]["kind"]]
    return next((p for p in spec.params if p.name == name), None)


# ------------------------------------------------------------------------------
# paths for the browser
# ------------------------------------------------------------------------------

def loss_series(loss: np.ndarray, min_value) -> np.ndarray:
    """What the loss chart plots: f - f_min (floored, for a log axis) or f itself."""
    loss = np.asarray(loss, dtype=float)
    if min_value is None:
        return loss
    return np.maximum(loss - float(min_value), GAP_FLOOR)


def _point(xy) -> str:
    return f"({theme.fmt_value(xy[0])}, {theme.fmt_value(xy[1])})"


def status_text(traj, surface, steps: int) -> str:
    """The run's outcome as a sentence. "converged" only where the run reached a global
    minimum; a run that stopped elsewhere says where, and how far above the minimum."""
    if traj.status == "diverged":
        return f"diverged at step {traj.diverged_at}"
    if traj.status != "converged":
        return f"still moving after {steps} step{'' if steps == 1 else 's'}"
    at, end = traj.converged_at, traj.xy[-1]
    (x0, x1), (y0, y1) = surface.bounds
    near = 1e-3 * max(x1 - x0, y1 - y0)
    distance = nearest_distance(end[None], surface.minimizers)
    if distance is not None and float(distance[0]) <= near:
        return f"converged at step {at}"
    if surface.min_value is not None and distance is not None:
        gap = float(traj.loss[-1]) - float(surface.min_value)
        return f"stopped at step {at} at {_point(end)}, a local minimum (f − f* = {theme.fmt_value(gap)})"
    return f"stopped at step {at} at {_point(end)}, where the gradient vanishes"


def control_values(run: dict) -> tuple[dict, dict]:
    """Each setting formatted for its exact-value field, and its slider position."""
    spec = optimizers.REGISTRY[run["optimizer"]]
    texts, positions = {}, {}
    for hp in spec.hyperparams:
        value = run["hparams"][hp.name]
        texts[hp.name] = theme.fmt_value(value)
        if hp.kind != "bool":
            positions[hp.name] = widgets.to_slider(hp, value)
    return texts, positions


def run_payload(state: dict, index: int, surface, overrides: dict | None = None, with_arrays: bool = True,
                start=None) -> dict:
    """One run for the browser: path, loss, distance, status, label, colour, and (when
    ``with_arrays``) the arrays of the instruments that are on and the noise fan."""
    run = state["runs"][index]
    traj = engine.trajectory(state, index, overrides, start)
    at = {"converged": traj.converged_at, "diverged": traj.diverged_at}.get(traj.status)
    texts, positions = control_values(run)
    out = {
        "id": run["id"], "index": index, "optimizer": run["optimizer"], "label": run_label(run),
        "name": optimizers.REGISTRY[run["optimizer"]].label,
        "color": theme.run_color(run["id"]), "symbol": theme.run_symbol(run["id"]),
        "status": traj.status, "at": None if at is None else int(at),
        "status_text": status_text(traj, surface, state["steps"]), "n": int(len(traj.xy)),
        "x": encode_f4(traj.xy[:, 0]), "y": encode_f4(traj.xy[:, 1]),
        "loss": encode_f4(loss_series(traj.loss, surface.min_value)),
        "values": texts, "positions": positions,
    }
    note = optimizers.get(run["optimizer"]).note(run["hparams"], state["steps"])
    if note:  # what this configuration does that its settings do not say (ASGD's t0, Muon on a vector)
        out["note"] = note
    distance = nearest_distance(traj.xy, surface.minimizers)
    if distance is not None:
        out["dist"] = encode_f4(np.maximum(distance, GAP_FLOOR))
    if with_arrays:
        arrays = instrument_data.run_arrays(state["show"], traj, surface)
        if arrays:
            out["inst"] = arrays
        if instrument_data.fan_active(state):
            out["fan"] = instrument_data.fan_payload(state, index)
    return out


def loss_title(surface) -> tuple[str, str]:
    """(kind, axis title) of the loss chart: the gap to the minimum on a log axis, or f."""
    if surface.min_value is not None:
        return "gap", "f − f*"
    return "value", "f (unbounded below)" if surface.unbounded_below else "f (minimum unknown)"
