"""The hyperparameter map: the outcome of one run's optimizer over its learning rate (log
axis) and one more of its settings, from the race's surface and start; a click on a
cell loads that setting into the race.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import plotly.graph_objects as go

from descent_lab import optimizers
from descent_lab.optimizers import sweeps

from ..core.state import MAX_RUNS, Errors, get_surface, surface_label
from ..core.state import short as _short
from ..core.theme import fmt_value
from ..serving import budget
from .common import (
    DIVERGED_COLOR,
    LR_LOG_RANGE,
    NOT_REACHED_COLOR,
    OUTCOME_SCALE,
    OUTCOMES,
    SAFE_COLOR,
    _axis,
    _base_layout,
    _decade_ticks,
    _freeze,
    _hparams_of,
    _legend_swatch,
    _log_colour,
    _need_dict,
    _noise_kwargs,
    _noise_seed,
    _optimizer_of,
    _param,
    _readonly,
    _round,
    _sentence,
    _start_of,
    _state,
    _surface_of,
    best_cell,
    check_choice,
    check_grid,
    check_pair,
    check_run,
    check_second,
    check_steps,
    check_tol,
    check_value_range,
    check_work,
    click_point,
    nearest_index,
    outcome_title,
    sweep_work,
    uses_log_colour,
    value_range,
)

# ------------------------------------------------------------------------------
# hyperparameter map
# ------------------------------------------------------------------------------

@dataclass(frozen=True)
class HparamRequest:
    """Everything a hyperparameter map depends on (hashable: the cache key)."""

    run: int
    optimizer: str
    surface_key: str
    surface_params: tuple
    start: tuple
    steps: int
    noise: float
    seed: int
    fixed: tuple          # the run's other settings, held fixed
    y_name: str
    n: int
    outcome: str
    tol: float
    lr_range: tuple
    y_range: tuple

    @property
    def surface(self):
        return get_surface(self.surface_key, self.surface_params)

    def context(self) -> dict:
        """What the race must still have for this map to describe run ``run``."""
        return hparam_context_of(self.surface_key, dict(self.surface_params), self.start, self.optimizer,
                                 dict(self.fixed), self.noise, self.seed)

    def to_json(self) -> dict:
        return {
            "kind": "hparam", "run": self.run, "optimizer": self.optimizer,
            "surface": {"key": self.surface_key, "params": dict(self.surface_params)},
            "start": list(self.start), "steps": self.steps, "noise": self.noise, "seed": self.seed,
            "fixed": dict(self.fixed), "y_name": self.y_name, "n": self.n, "outcome": self.outcome,
            "tol": self.tol, "lr_range": list(self.lr_range), "y_range": list(self.y_range),
            "context": self.context(),
        }


def hparam_context_of(surface_key, surface_params, start, optimizer, fixed, noise, seed) -> dict:
    return {"surface": {"key": surface_key, "params": dict(surface_params)}, "start": [float(c) for c in start],
            "optimizer": optimizer, "fixed": dict(fixed), "noise": float(noise), "seed": int(seed)}


def hparam_context(state: dict, run: int, y_name: str) -> dict | None:
    """The same context read from a (validated) race state; None if the run is gone."""
    if not 0 <= run < len(state["runs"]):
        return None
    entry = state["runs"][run]
    fixed = {k: v for k, v in entry["hparams"].items() if k not in ("lr", y_name)}
    return hparam_context_of(state["surface"]["key"], state["surface"]["params"], state["start"],
                             entry["optimizer"], fixed, state.get("noise", 0.0), state.get("seed", 0))


def parse_hparam_request(raw: Any) -> tuple[HparamRequest | None, Errors]:
    """A request from its JSON (as stored in the page), every field re-checked."""
    try:
        raw = _need_dict(raw, "hparam")
        optimizer = _optimizer_of(raw.get("optimizer"))
        run = raw.get("run")
        if isinstance(run, bool) or not isinstance(run, int) or not 0 <= run < MAX_RUNS:
            raise ValueError(f"The map's run was not valid ({_short(run)}).")
        surface = _surface_of(raw.get("surface"))
        start = _start_of(raw.get("start"), surface)
        steps = check_steps(raw.get("steps"))
        noise, seed = _noise_seed(raw)
        y_name = check_second(raw.get("y_name"), optimizer)
        fixed = _hparams_of(raw.get("fixed"), optimizer, exclude=("lr", y_name))
        n = check_grid(raw.get("n"))
        outcome = check_choice(raw.get("outcome"), OUTCOMES, "Outcome")
        tol = check_tol(raw.get("tol"))
        lr_range = check_value_range(optimizer, "lr", raw.get("lr_range"), fixed)
        y_range = check_value_range(optimizer, y_name, raw.get("y_range"), fixed)
        check_work(n * n, steps)
        optimizers.REGISTRY[optimizer].validate(**fixed, lr=lr_range[0], **{y_name: y_range[0]})
    except ValueError as exc:
        return None, [_sentence(exc)]
    return HparamRequest(run, optimizer, surface["key"], _freeze(surface["params"]), start, steps, noise, seed,
                         _freeze(fixed), y_name, n, outcome, tol, lr_range, y_range), []


def hparam_request(raw_state: Any, run: Any, y_name: Any, n: Any, steps: Any, outcome: Any, tol: Any,
                   lr_log_range: Any, y_fraction: Any) -> tuple[HparamRequest | None, Errors]:
    """A request from the race's state and the map's controls (every value checked;
    every refusal reported, not only the first)."""
    state, errors = _state(raw_state)
    if state is None:
        return None, errors
    checks = {}

    def check(name, fn, *args):
        try:
            checks[name] = fn(*args)
        except ValueError as exc:
            errors.append(_sentence(exc))

    check("run", check_run, run, state)
    check("n", check_grid, n)
    check("steps", check_steps, steps)
    check("outcome", check_choice, outcome, OUTCOMES, "Outcome")
    check("tol", check_tol, tol)
    check("lr_log", check_pair, lr_log_range, "Learning-rate range (decades)", *LR_LOG_RANGE)
    check("y_frac", check_pair, y_fraction, "Second setting's range (fraction)", 0.0, 1.0)
    if "run" in checks:
        optimizer = state["runs"][checks["run"]]["optimizer"]
        check("y_name", check_second, y_name, optimizer)
    if errors:
        return None, errors
    entry = state["runs"][checks["run"]]
    optimizer, y = entry["optimizer"], checks["y_name"]
    fixed = {k: v for k, v in entry["hparams"].items() if k not in ("lr", y)}
    lr_hp = _param(optimizer, "lr")
    lo, hi = (10.0 ** v for v in checks["lr_log"])
    lo, hi = _round(max(lo, lr_hp.low)), _round(min(hi, lr_hp.high))
    if not lo < hi:
        label = optimizers.REGISTRY[optimizer].label
        return None, [f"The learning-rate range misses {label}'s range ({fmt_value(lr_hp.low)} to "
                      f"{fmt_value(lr_hp.high)}); widen it."]
    y_range = value_range(optimizer, y, checks["y_frac"], {**fixed, "lr": lo})
    if not y_range[0] < y_range[1]:
        return None, [f"The range of {y} is empty after keeping it valid for {optimizers.REGISTRY[optimizer].label}."]
    raw = {
        "kind": "hparam", "run": checks["run"], "optimizer": optimizer, "surface": state["surface"],
        "start": state["start"], "steps": checks["steps"], "noise": state.get("noise", 0.0),
        "seed": state.get("seed", 0), "fixed": fixed, "y_name": y, "n": checks["n"],
        "outcome": checks["outcome"], "tol": checks["tol"], "lr_range": [lo, hi], "y_range": list(y_range),
    }
    return parse_hparam_request(raw)






@lru_cache(maxsize=32)
def compute_hparam_map(req: HparamRequest) -> sweeps.Map:
    """The engine's map for a request (cached: pure in the request)."""
    result = sweeps.hyperparameter_map(
        req.optimizer, req.surface, req.start, req.steps, y_name=req.y_name, nx=req.n, ny=req.n,
        outcome=req.outcome, tol=req.tol, lr_range=req.lr_range, y_range=req.y_range,
        deadline=budget.current_deadline(), **dict(req.fixed), **_noise_kwargs(req.noise, req.seed, req.n * req.n))
    _readonly(result.x_values, result.y_values, result.values, result.diverged)
    return result


def hparam_budget(req: HparamRequest) -> budget.Estimate:
    """The map's engine work: one batch of n x n runs."""
    return sweep_work([(f"the {req.n} x {req.n} map of {req.steps:,} steps", req.optimizer, req.surface,
                        req.steps, req.n * req.n, dict(req.fixed))])






def hparam_cell(req: HparamRequest, result: sweeps.Map, click: Any) -> dict:
    """The setting ``{"lr": ..., y_name: ...}`` of the clicked cell (grid values exactly)."""
    x, y = click_point(click)
    y_log = _param(req.optimizer, req.y_name).scale == "log"
    j = nearest_index(result.x_values, x, log=True)
    i = nearest_index(result.y_values, y, log=y_log)
    if i is None or j is None:
        raise ValueError(f"The clicked point (lr {x:g}, {req.y_name} {y:g}) is outside the map.")
    return {"lr": float(result.x_values[j]), req.y_name: float(result.y_values[i])}


















def cell_texts(values: np.ndarray, diverged: np.ndarray, title: str, outcome: str, tol: float) -> list:
    """What each cell's hover says: its own outcome (diverged, never within the tolerance,
    or the value)."""
    def text(value, bad):
        if bad:
            return "diverged"
        if outcome == "diverged":
            return "did not diverge"
        if not np.isfinite(value):
            return f"never within {tol:g}"
        return f"{title} = {fmt_value(float(value))}"

    return [[text(v, d) for v, d in zip(row, bad_row)] for row, bad_row in zip(values, diverged)]


def hparam_figure(req: HparamRequest, result: sweeps.Map, current: dict | None = None) -> go.Figure:
    """The map: outcome over lr (x, log) and the second setting (y).

    Traces: 0 the current setting (``current``: the run's hparams, or None), 1 the best
    cell, 2 the outcome heatmap (colour ``z``; the raw outcome in ``customdata``), then
    overlays for diverged cells and, for steps to tolerance, cells that never got there.
    """
    surface = req.surface
    spec = optimizers.REGISTRY[req.optimizer]
    y_hp = _param(req.optimizer, req.y_name)
    y_log = y_hp.scale == "log"
    xs, ys = np.asarray(result.x_values), np.asarray(result.y_values)
    values = np.asarray(result.values, dtype=float)
    diverged = np.asarray(result.diverged, dtype=bool)
    title = outcome_title(req.outcome, surface, req.tol)
    y_label = f"{y_hp.label} ({req.y_name})" if y_hp.label != req.y_name else req.y_name
    hover_xy = f"lr=%{{x:.3g}}<br>{req.y_name}=%{{y:.3g}}"

    traces = []
    cx, cy = [], []
    if current and "lr" in current and req.y_name in current:
        cx, cy = [float(current["lr"])], [float(current[req.y_name])]
    traces.append(go.Scatter(
        x=cx, y=cy, mode="markers", name=f"run {req.run + 1}'s setting",
        marker={"symbol": "circle", "size": 14, "color": "rgba(255,255,255,0.35)",
                "line": {"width": 2.5, "color": "#000000"}},
        hovertemplate=f"run {req.run + 1}'s current setting<br>{hover_xy}<extra></extra>",
        meta={"role": "current"}, showlegend=True))
    best = best_cell(result)
    bx, by = ([float(xs[best[1]])], [float(ys[best[0]])]) if best else ([], [])
    traces.append(go.Scatter(
        x=bx, y=by, mode="markers", name="best cell",
        marker={"symbol": "star", "size": 15, "color": "#ffffff", "line": {"width": 1.5, "color": "#1f2933"}},
        hovertemplate=f"best cell<br>{hover_xy}<extra></extra>", meta={"role": "best"}, showlegend=True))

    colorbar = {"title": {"text": title, "side": "right"}, "thickness": 12, "outlinewidth": 0,
                "tickfont": {"size": 10}}
    finite = np.isfinite(values) & ~diverged
    if req.outcome == "diverged":
        z = np.where(diverged, np.nan, 0.0)
        heat = dict(z=z.astype(np.float32), colorscale=[[0, SAFE_COLOR], [1, SAFE_COLOR]], showscale=False,
                    customdata=values.astype(np.float32),
                    hovertemplate=f"{hover_xy}<br>did not diverge<extra></extra>")
    elif uses_log_colour(req.outcome, surface):
        z = np.where(finite, _log_colour(values), np.nan)
        heat = dict(z=z.astype(np.float32), colorscale=OUTCOME_SCALE,
                    colorbar={**colorbar, **_decade_ticks(z)},
                    customdata=np.where(finite, values, np.nan).astype(np.float32),
                    hovertemplate=f"{hover_xy}<br>{title}=%{{customdata:.3g}}<extra></extra>")
    else:
        z = np.where(finite, values, np.nan)
        heat = dict(z=z.astype(np.float32), colorscale=OUTCOME_SCALE, colorbar=colorbar,
                    customdata=z.astype(np.float32),
                    hovertemplate=f"{hover_xy}<br>{title}=%{{customdata:.4g}}<extra></extra>")
    # every cell says its own outcome (the overlays below do not take the hover)
    heat.pop("hovertemplate")
    heat["text"] = cell_texts(values, diverged, title, req.outcome, req.tol)
    traces.append(go.Heatmap(x=xs, y=ys, name=title, meta={"role": "outcome"},
                             hovertemplate=f"{hover_xy}<br>%{{text}}<extra></extra>", **heat))
    if diverged.any():
        traces.append(go.Heatmap(
            x=xs, y=ys, z=np.where(diverged, 1.0, np.nan).astype(np.float32),
            colorscale=[[0, DIVERGED_COLOR], [1, DIVERGED_COLOR]], showscale=False, name="diverged",
            hoverinfo="skip", meta={"role": "diverged"}))
        traces.append(_legend_swatch("diverged", DIVERGED_COLOR))
    if req.outcome == "steps_to_tol":
        missed = np.isnan(values) & ~diverged
        if missed.any():
            traces.append(go.Heatmap(
                x=xs, y=ys, z=np.where(missed, 1.0, np.nan).astype(np.float32),
                colorscale=[[0, NOT_REACHED_COLOR], [1, NOT_REACHED_COLOR]], showscale=False,
                name="not reached", hoverinfo="skip", meta={"role": "not_reached"}))
            traces.append(_legend_swatch(f"never within {req.tol:g}", NOT_REACHED_COLOR, line="#9aa5b1"))
    if req.outcome == "diverged":
        traces.append(_legend_swatch("did not diverge", SAFE_COLOR))

    layout = _base_layout()
    layout.update(
        # autorange: whole edge cells (and markers on them) stay in view
        xaxis=_axis("learning rate (lr)", True),
        yaxis=_axis(y_label, y_log),
        meta={"kind": "hparam", "optimizer": req.optimizer, "run": req.run},
        plot_bgcolor="#ffffff",
    )
    layout["title"] = {"text": f"{spec.label} (run {req.run + 1}): {title}", "x": 0.01, "xanchor": "left",
                       "font": {"size": 13}}
    layout["margin"] = {"l": 64, "r": 16, "t": 64, "b": 48}
    layout["legend"] = {**layout["legend"], "y": 1.0, "x": 1.0, "xanchor": "right"}
    return go.Figure(data=traces, layout=layout)


def hparam_note(req: HparamRequest, result: sweeps.Map) -> str:
    """One paragraph saying what the map shows and how it was computed."""
    spec = optimizers.REGISTRY[req.optimizer]
    surface = req.surface
    y_hp = _param(req.optimizer, req.y_name)
    n_div = int(np.asarray(result.diverged).sum())
    parts = [
        f"{spec.label} (run {req.run + 1}) on {surface_label({'key': req.surface_key})} from "
        f"({fmt_value(req.start[0])}, {fmt_value(req.start[1])}), {req.steps} steps each, "
        f"{req.n} × {req.n} settings: lr from {fmt_value(req.lr_range[0])} to {fmt_value(req.lr_range[1])} "
        f"(log) × {req.y_name} from {fmt_value(req.y_range[0])} to {fmt_value(req.y_range[1])}"
        f"{' (log)' if y_hp.scale == 'log' else ''}; other settings as in the run.",
        f"Colour: {outcome_title(req.outcome, surface, req.tol)}"
        + (" (log scale; darker is lower)." if uses_log_colour(req.outcome, surface) else
           ("." if req.outcome == "diverged" else " (darker is lower).")),
        f"{n_div} of {req.n * req.n} settings diverged.",
    ]
    if req.noise:
        parts.append(f"Every cell sees the race's gradient noise (σ={fmt_value(req.noise)}, seed {req.seed}).")
    best = best_cell(result)
    if best is not None:
        i, j = best
        parts.append(f"Best cell (★): lr={fmt_value(result.x_values[j])}, {req.y_name}="
                     f"{fmt_value(result.y_values[i])} → {fmt_value(result.values[i, j])}.")
    parts.append(f"○ marks run {req.run + 1}'s setting. Click a cell to load it into run {req.run + 1} "
                 f"(and run the race for {req.steps} steps).")
    return " ".join(parts)


# ------------------------------------------------------------------------------


def hparam_frame(req: HparamRequest, result: sweeps.Map):
    frame = result.to_frame()
    frame.insert(0, "optimizer", req.optimizer)
    return frame
