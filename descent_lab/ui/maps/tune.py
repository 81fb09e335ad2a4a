"""Fair comparison: each selected run's learning rate (and optionally its main second
setting) tuned by grid search under one step budget and one objective, then raced.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from descent_lab import optimizers
from descent_lab.optimizers import sweeps

from ..core.state import MAX_RUNS, Errors, check_count, get_surface, surface_label
from ..core.theme import fmt_value, run_color
from ..serving import budget
from .common import (
    DIVERGED_COLOR,
    LOG_FLOOR,
    OBJECTIVES,
    OUTCOME_SCALE,
    SECOND_MODES,
    _axis,
    _base_layout,
    _decade_ticks,
    _freeze,
    _log_colour,
    _need_dict,
    _noise_kwargs,
    _noise_seed,
    _param,
    _readonly,
    _runs_of,
    _sentence,
    _start_of,
    _state,
    _surface_of,
    check_choice,
    check_grid,
    check_runs,
    check_steps,
    check_tol,
    check_work,
    main_second,
    outcome_title,
    sweep_work,
    uses_log_colour,
    value_range,
    with_settings,
)

# fair comparison (tuning)
# ------------------------------------------------------------------------------

@dataclass(frozen=True)
class TuneRequest:
    surface_key: str
    surface_params: tuple
    start: tuple
    steps: int
    noise: float
    seed: int
    objective: str
    n_lr: int
    second: str           # "none" or "main"
    n_second: int
    tol: float
    runs: tuple           # of BasinRun (index, optimizer, the run's settings)
    count: str = "steps"  # what the budget counts: the race's steps or function evaluations

    @property
    def surface(self):
        return get_surface(self.surface_key, self.surface_params)

    def second_of(self, optimizer: str) -> str | None:
        if self.second == "none":
            return None
        hp = main_second(optimizer)
        return hp.name if hp is not None else None

    def to_json(self) -> dict:
        return {
            "kind": "tune", "surface": {"key": self.surface_key, "params": dict(self.surface_params)},
            "start": list(self.start), "steps": self.steps, "noise": self.noise, "seed": self.seed,
            "objective": self.objective, "n_lr": self.n_lr, "second": self.second, "n_second": self.n_second,
            "tol": self.tol, "count": self.count,
            "runs": [{"index": r.index, "optimizer": r.optimizer, "hparams": dict(r.hparams)} for r in self.runs],
        }


def tune_cells(req_runs, n_lr: int, second: str, n_second: int) -> int:
    """How many settings the searches try in all (each run's grid)."""
    cells = 0
    for r in req_runs:
        has_second = second == "main" and main_second(r.optimizer) is not None
        cells += n_lr * (n_second if has_second else 1)
    return cells


def parse_tune_request(raw: Any) -> tuple[TuneRequest | None, Errors]:
    try:
        raw = _need_dict(raw, "tune")
        surface = _surface_of(raw.get("surface"))
        start = _start_of(raw.get("start"), surface)
        steps = check_steps(raw.get("steps"), "Step budget")
        noise, seed = _noise_seed(raw)
        objective = check_choice(raw.get("objective"), OBJECTIVES, "Objective")
        n_lr = check_grid(raw.get("n_lr"), "Learning rates to try")
        second = check_choice(raw.get("second"), SECOND_MODES, "Second setting")
        n_second = check_grid(raw.get("n_second"), "Values of the second setting")
        tol = check_tol(raw.get("tol"))
        count = check_count(raw.get("count", "steps"))
        runs = _runs_of(raw.get("runs"), MAX_RUNS, "comparison")
        check_work(tune_cells(runs, n_lr, second, n_second), steps, "This comparison")
    except ValueError as exc:
        return None, [_sentence(exc)]
    return TuneRequest(surface["key"], _freeze(surface["params"]), start, steps, noise, seed, objective, n_lr,
                       second, n_second, tol, runs, count), []


def tune_request(raw_state: Any, runs: Any, objective: Any, steps: Any, n_lr: Any, second: Any, n_second: Any,
                 tol: Any) -> tuple[TuneRequest | None, Errors]:
    state, errors = _state(raw_state)
    if state is None:
        return None, errors
    checks = {}
    for name, fn, args in (("runs", check_runs, (runs, state, MAX_RUNS, "Fair comparison")),
                           ("objective", check_choice, (objective, OBJECTIVES, "Objective")),
                           ("steps", check_steps, (steps, "Step budget")),
                           ("n_lr", check_grid, (n_lr, "Learning rates to try")),
                           ("second", check_choice, (second, SECOND_MODES, "Second setting")),
                           ("n_second", check_grid, (n_second, "Values of the second setting")),
                           ("tol", check_tol, (tol,))):
        try:
            checks[name] = fn(*args)
        except ValueError as exc:
            errors.append(_sentence(exc))
    if errors:
        return None, errors
    raw = {
        "kind": "tune", "surface": state["surface"], "start": state["start"], "steps": checks["steps"],
        "noise": state.get("noise", 0.0), "seed": state.get("seed", 0), "objective": checks["objective"],
        "n_lr": checks["n_lr"], "second": checks["second"], "n_second": checks["n_second"], "tol": checks["tol"],
        "count": state.get("count", "steps"),
        "runs": [{"index": i, **state["runs"][i]} for i in checks["runs"]],
    }
    return parse_tune_request(raw)


@dataclass(frozen=True)
class TuneResult:
    """One run's search: its best setting and what the search saw."""

    index: int
    optimizer: str
    second: str | None
    best: dict            # only the tuned settings: {"lr": ...} or {"lr": ..., second: ...}
    best_value: float     # inf when every setting diverged (or never reached the tolerance)
    lr_values: np.ndarray
    lr_scores: np.ndarray  # the objective per lr (the best over the second setting, if tuned)
    map: sweeps.Map | None


@lru_cache(maxsize=64)
def compute_tune_one(surface_key: str, surface_params: tuple, start: tuple, steps: int, noise: float, seed: int,
                     objective: str, n_lr: int, second: str | None, n_second: int, tol: float, optimizer: str,
                     hparams: tuple, count: str = "steps") -> sweeps.Tuned:
    """One optimizer's grid search (cached): the whole lr range of its spec, and the
    second setting's whole range (kept valid with the other settings)."""
    surface = get_surface(surface_key, surface_params)
    settings = dict(hparams)
    fixed = {k: v for k, v in settings.items() if k not in ("lr", second)}
    kwargs = {}
    batch = n_lr
    if second is not None:
        kwargs["y_range"] = value_range(optimizer, second, (0.0, 1.0), {**fixed, "lr": _param(optimizer, "lr").low})
        batch = n_lr * n_second
    tuned = sweeps.tune(optimizer, surface, start, steps, objective=objective, n_lr=n_lr, second=second,
                        n_second=n_second, tol=tol, deadline=budget.current_deadline(), count=count, **kwargs, **fixed,
                        **_noise_kwargs(noise, seed, batch))
    _readonly(tuned.lr_values, tuned.lr_scores)
    if tuned.map is not None:
        _readonly(tuned.map.x_values, tuned.map.y_values, tuned.map.values, tuned.map.diverged)
    return tuned


def tune_budget(req: TuneRequest) -> budget.Estimate:
    """The searches' engine work: one batch per run, over its learning rates (and second
    setting)."""
    parts = []
    for r in req.runs:
        runs = req.n_lr * (req.n_second if req.second_of(r.optimizer) is not None else 1)
        parts.append((f"run {r.index + 1}'s search of {runs} settings x {req.steps:,} steps", r.optimizer,
                      req.surface, req.steps, runs, dict(r.hparams)))
    return sweep_work(parts)


def compute_tune(req: TuneRequest) -> list[TuneResult]:
    out = []
    for r in req.runs:
        second = req.second_of(r.optimizer)
        tuned = compute_tune_one(req.surface_key, req.surface_params, req.start, req.steps, req.noise, req.seed,
                                 req.objective, req.n_lr, second, req.n_second, req.tol, r.optimizer, r.hparams,
                                 req.count)
        best = {"lr": float(tuned.best["lr"])}
        if second is not None:
            best[second] = float(tuned.best[second])
        out.append(TuneResult(r.index, r.optimizer, second, best, float(tuned.best_value),
                              tuned.lr_values, tuned.lr_scores, tuned.map))
    return out






def tuned_state(state: dict, req: TuneRequest, results: list[TuneResult]) -> dict:
    """The race with each tuned run's best setting and the budget as its steps."""
    return with_settings(state, {result.index: result.best for result in results}, req.steps)


def objective_title(objective: str, surface, tol: float) -> str:
    return outcome_title(objective, surface, tol)


def _finite_or_none(values: np.ndarray) -> list:
    return [float(v) if np.isfinite(v) else None for v in np.asarray(values, dtype=float)]


def tune_figure(req: TuneRequest, results: list[TuneResult]) -> go.Figure:
    """One panel per tuned run: the objective against lr (a curve) or, with a second
    setting, over lr × that setting (a heatmap on one shared colour scale, so a colour
    means the same loss in every panel); the chosen setting starred."""
    surface = req.surface
    k = len(results)
    cols = min(k, 4 if k > 4 else k) if k not in (5, 6) else 3
    rows = math.ceil(k / cols)
    titles = []
    for result in results:
        spec = optimizers.REGISTRY[result.optimizer]
        chosen = ", ".join(f"{name}={fmt_value(v)}" for name, v in result.best.items())
        value = fmt_value(result.best_value) if math.isfinite(result.best_value) else "no setting counted"
        titles.append(f"Run {result.index + 1} · {spec.label}: {chosen} → {value}")
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=titles, horizontal_spacing=0.07,
                        vertical_spacing=0.22 if rows > 1 else 0.1)
    title = objective_title(req.objective, surface, req.tol)
    log_y = uses_log_colour(req.objective, surface)
    heat_values = [r.map.values for r in results if r.map is not None]
    coloraxis = None
    if heat_values:
        stacked = np.concatenate([np.asarray(v, dtype=float).ravel() for v in heat_values])
        finite = stacked[np.isfinite(stacked)]
        colour = _log_colour(finite) if log_y else finite
        coloraxis = {"colorscale": OUTCOME_SCALE,
                     "colorbar": {"title": {"text": title, "side": "right"}, "thickness": 12, "outlinewidth": 0,
                                  "tickfont": {"size": 10}, **(_decade_ticks(colour) if log_y else {})}}
        if colour.size:
            coloraxis.update(cmin=float(colour.min()), cmax=float(colour.max()))
    for p, result in enumerate(results):
        row, col = divmod(p, cols)
        row, col = row + 1, col + 1
        color = run_color(result.index)
        if result.map is not None:
            m = result.map
            values = np.asarray(m.values, dtype=float)
            finite = np.isfinite(values) & ~np.asarray(m.diverged)
            z = np.where(finite, _log_colour(values) if log_y else values, np.nan)
            fig.add_trace(go.Heatmap(
                x=np.asarray(m.x_values), y=np.asarray(m.y_values), z=z.astype(np.float32), coloraxis="coloraxis",
                customdata=np.where(finite, values, np.nan).astype(np.float32),
                hovertemplate=f"lr=%{{x:.3g}}<br>{m.y_name}=%{{y:.3g}}<br>{title}=%{{customdata:.3g}}<extra></extra>",
                name=f"run {result.index + 1}", meta={"role": "search", "run": result.index}), row=row, col=col)
            if np.asarray(m.diverged).any():
                fig.add_trace(go.Heatmap(
                    x=np.asarray(m.x_values), y=np.asarray(m.y_values),
                    z=np.where(m.diverged, 1.0, np.nan).astype(np.float32),
                    colorscale=[[0, DIVERGED_COLOR], [1, DIVERGED_COLOR]], showscale=False, name="diverged",
                    hovertemplate="lr=%{x:.3g}<br>diverged<extra></extra>", meta={"role": "diverged"}),
                    row=row, col=col)
            fig.add_trace(go.Scatter(
                x=[result.best["lr"]], y=[result.best[result.second]], mode="markers", showlegend=False,
                marker={"symbol": "star", "size": 16, "color": color, "line": {"color": "#ffffff", "width": 1.5}},
                name="chosen", hovertemplate="chosen: lr=%{x:.3g}, %{y:.3g}<extra></extra>",
                meta={"role": "chosen", "run": result.index}), row=row, col=col)
            y_hp = _param(result.optimizer, result.second)
            fig.update_yaxes(_axis(result.second, y_hp.scale == "log"), row=row, col=col)
        else:
            scores = np.asarray(result.lr_scores, dtype=float)
            shown = np.maximum(scores, LOG_FLOOR) if log_y else scores  # a gap of 0 stays on a log axis
            fig.add_trace(go.Scatter(
                x=np.asarray(result.lr_values), y=_finite_or_none(shown), mode="lines+markers",
                line={"color": color, "width": 2}, marker={"size": 4, "color": color}, showlegend=False,
                name=f"run {result.index + 1}", hovertemplate=f"lr=%{{x:.3g}}<br>{title}=%{{y:.3g}}<extra></extra>",
                meta={"role": "search", "run": result.index}), row=row, col=col)
            missed = ~np.isfinite(scores)
            if missed.any():
                finite = scores[~missed]
                top = (finite.max() * 10 if log_y else finite.max() * 1.1 + 1) if finite.size else 1.0
                fig.add_trace(go.Scatter(
                    x=np.asarray(result.lr_values)[missed], y=[top] * int(missed.sum()), mode="markers",
                    marker={"symbol": "x-thin-open", "size": 8, "color": "#9aa5b1", "line": {"width": 2}},
                    showlegend=False, name="not counted",
                    hovertemplate="lr=%{x:.3g}<br>diverged or never within the tolerance<extra></extra>",
                    meta={"role": "missed"}), row=row, col=col)
            if math.isfinite(result.best_value):
                fig.add_trace(go.Scatter(
                    x=[result.best["lr"]], y=[max(result.best_value, LOG_FLOOR) if log_y else result.best_value],
                    mode="markers", showlegend=False,
                    marker={"symbol": "star", "size": 16, "color": color, "line": {"color": "#1f2933", "width": 1}},
                    name="chosen", hovertemplate="chosen: lr=%{x:.3g}<br>%{y:.3g}<extra></extra>",
                    meta={"role": "chosen", "run": result.index}), row=row, col=col)
            fig.update_yaxes(_axis(title if col == 1 else "", log_y), row=row, col=col)
        fig.update_xaxes(_axis("learning rate", True), row=row, col=col)
    layout = _base_layout()
    layout["margin"] = {"l": 64, "r": 16, "t": 56, "b": 48}
    layout["showlegend"] = False
    layout["meta"] = {"kind": "tune", "runs": [r.index for r in results], "objective": req.objective}
    if coloraxis is not None:
        layout["coloraxis"] = coloraxis
    fig.update_layout(**layout)
    for annotation, result in zip(fig.layout.annotations, results):
        annotation.update(font={"size": 11.5, "color": run_color(result.index)})
    fig.update_layout(height=max(300, 290 * rows))
    return fig


def tune_note(req: TuneRequest, results: list[TuneResult]) -> str:
    surface = req.surface
    objective = objective_title(req.objective, surface, req.tol)
    unit = "function evaluations" if req.count == "evaluations" else "steps"
    if req.count == "evaluations":
        objective = objective.replace("steps until", "evaluations until")
    parts = [f"Objective: the lowest {objective} after at most {req.steps} {unit} from "
             f"({fmt_value(req.start[0])}, {fmt_value(req.start[1])}) on "
             f"{surface_label({'key': req.surface_key})} — the same budget and start for every run."]
    parts.append(f"Each optimizer's learning rate is searched over its whole range, {req.n_lr} log-spaced values"
                 + (f", together with its main second setting over its range ({req.n_second} values)"
                    if req.second == "main" else "") + "; the other settings stay as in the run.")
    if req.objective == "steps_to_tol":
        parts.append("Runs that diverge or never get within the tolerance do not count.")
    else:
        parts.append("Diverged runs do not count.")
    for result in results:
        if not math.isfinite(result.best_value):
            parts.append(f"Run {result.index + 1}: no setting counted, so the smallest learning rate is shown.")
    if req.count == "evaluations":
        parts.append("The budget counts function evaluations (as the race does now): L-BFGS's steps take several, "
                     "and steps to the tolerance are counted in evaluations.")
    parts.append(f"The tuned settings are now in the race ({req.steps} {unit}): press play to watch them.")
    return " ".join(parts)


# ------------------------------------------------------------------------------


def tune_frame(req: TuneRequest, results: list[TuneResult]):
    import pandas as pd

    frames = []
    for result in results:
        if result.map is not None:
            frame = result.map.to_frame().rename(columns={req.objective: "objective"})
            frame["chosen"] = (frame["lr"] == result.best["lr"]) & (frame[result.second] == result.best[result.second])
        else:
            frame = pd.DataFrame({"lr": result.lr_values, "objective": result.lr_scores})
            frame["chosen"] = frame["lr"] == result.best["lr"]
        frame.insert(0, "objective_name", req.objective)
        frame.insert(0, "optimizer", result.optimizer)
        frame.insert(0, "run", result.index + 1)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)
