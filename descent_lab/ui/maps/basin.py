"""The basin map: for 1 to 3 runs, where a run started at each point of a grid ends (which
minimum, not converged, diverged); a click starts the race there.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from descent_lab.optimizers import sweeps

from ..core.labels import hparam_label as run_label
from ..core.state import Errors, get_surface, surface_label
from ..core.theme import fmt_value, run_color
from ..serving import budget
from .common import (
    BASIN_COLORS,
    BASIN_DIVERGED_COLOR,
    MAX_BASIN_RUNS,
    NOT_CONVERGED_COLOR,
    _axis,
    _base_layout,
    _freeze,
    _legend_swatch,
    _need_dict,
    _noise_kwargs,
    _noise_seed,
    _readonly,
    _runs_of,
    _sentence,
    _state,
    _surface_of,
    check_grid,
    check_runs,
    check_steps,
    check_work,
    click_point,
    nearest_index,
    sweep_work,
)

# basin map
# ------------------------------------------------------------------------------



@dataclass(frozen=True)
class BasinRequest:
    surface_key: str
    surface_params: tuple
    steps: int
    n: int
    noise: float
    seed: int
    runs: tuple  # of BasinRun

    @property
    def surface(self):
        return get_surface(self.surface_key, self.surface_params)

    def context(self) -> dict:
        return basin_context_of(self.surface_key, dict(self.surface_params),
                                [(r.index, r.optimizer, dict(r.hparams)) for r in self.runs], self.noise, self.seed)

    def to_json(self) -> dict:
        return {
            "kind": "basin", "surface": {"key": self.surface_key, "params": dict(self.surface_params)},
            "steps": self.steps, "n": self.n, "noise": self.noise, "seed": self.seed,
            "runs": [{"index": r.index, "optimizer": r.optimizer, "hparams": dict(r.hparams)} for r in self.runs],
            "context": self.context(),
        }


def basin_context_of(surface_key, surface_params, runs, noise, seed) -> dict:
    return {"surface": {"key": surface_key, "params": dict(surface_params)},
            "runs": [{"index": i, "optimizer": o, "hparams": dict(h)} for i, o, h in runs],
            "noise": float(noise), "seed": int(seed)}




def parse_basin_request(raw: Any) -> tuple[BasinRequest | None, Errors]:
    try:
        raw = _need_dict(raw, "basin")
        surface = _surface_of(raw.get("surface"))
        steps = check_steps(raw.get("steps"))
        n = check_grid(raw.get("n"))
        noise, seed = _noise_seed(raw)
        runs = _runs_of(raw.get("runs"), MAX_BASIN_RUNS, "basin map")
        check_work(n * n * len(runs), steps, "These basin maps")
    except ValueError as exc:
        return None, [_sentence(exc)]
    return BasinRequest(surface["key"], _freeze(surface["params"]), steps, n, noise, seed, runs), []


def basin_request(raw_state: Any, runs: Any, n: Any, steps: Any) -> tuple[BasinRequest | None, Errors]:
    state, errors = _state(raw_state)
    if state is None:
        return None, errors
    checks = {}
    for name, fn, args in (("runs", check_runs, (runs, state, MAX_BASIN_RUNS, "Basin map")),
                           ("n", check_grid, (n,)), ("steps", check_steps, (steps,))):
        try:
            checks[name] = fn(*args)
        except ValueError as exc:
            errors.append(_sentence(exc))
    if errors:
        return None, errors
    raw = {
        "kind": "basin", "surface": state["surface"], "steps": checks["steps"], "n": checks["n"],
        "noise": state.get("noise", 0.0), "seed": state.get("seed", 0),
        "runs": [{"index": i, **state["runs"][i]} for i in checks["runs"]],
    }
    return parse_basin_request(raw)


@lru_cache(maxsize=64)
def compute_basin(surface_key: str, surface_params: tuple, optimizer: str, hparams: tuple, steps: int, n: int,
                  noise: float, seed: int) -> sweeps.Map:
    """One run's basin map (cached: pure in its arguments)."""
    surface = get_surface(surface_key, surface_params)
    result = sweeps.basin_map(optimizer, surface, steps, n=n, deadline=budget.current_deadline(), **dict(hparams),
                              **_noise_kwargs(noise, seed, n * n))
    _readonly(result.x_values, result.y_values, result.values, result.diverged)
    return result


def basin_budget(req: BasinRequest) -> budget.Estimate:
    """The maps' engine work: one batch of n x n starts per run."""
    return sweep_work([(f"run {r.index + 1}'s {req.n} x {req.n} map of {req.steps:,} steps", r.optimizer,
                        req.surface, req.steps, req.n * req.n, dict(r.hparams)) for r in req.runs])


def compute_basins(req: BasinRequest) -> list[sweeps.Map]:
    return [compute_basin(req.surface_key, req.surface_params, r.optimizer, r.hparams, req.steps, req.n,
                          req.noise, req.seed) for r in req.runs]


def basin_names(surface) -> list[str]:
    """Legend names of the basin categories, indexed by ``label + 2``."""
    names = ["diverged", "not at a minimum"]
    names += [f"minimum {i + 1} ({fmt_value(x)}, {fmt_value(y)})" for i, (x, y) in enumerate(surface.minimizers)]
    return names


def basin_short_names(surface) -> list[str]:
    """Hover text per cell (short: one string per cell goes to the browser)."""
    return ["diverged", "no minimum"] + [f"minimum {i + 1}" for i in range(len(surface.minimizers))]


def basin_colors(surface) -> list[str]:
    colors = [BASIN_DIVERGED_COLOR, NOT_CONVERGED_COLOR]
    colors += [BASIN_COLORS[i % len(BASIN_COLORS)] for i in range(len(surface.minimizers))]
    return colors


def _discrete_scale(colors: list[str]) -> list:
    """A colour scale with one flat band per category ``0 .. len(colors) - 1``."""
    k = len(colors)
    scale = []
    for i, color in enumerate(colors):
        scale += [[i / k, color], [(i + 1) / k, color]]
    return scale


def basin_figure(req: BasinRequest, results: list[sweeps.Map], start: list | tuple | None = None) -> go.Figure:
    """1-3 basin maps side by side on shared axes: each start cell coloured by where
    that run ends. Traces 0..k-1 are the start markers (one per panel)."""
    surface = req.surface
    k = len(req.runs)
    titles = [f"Run {r.index + 1} · {run_label(r.optimizer, dict(r.hparams))}" for r in req.runs]
    fig = make_subplots(rows=1, cols=k, shared_xaxes=True, shared_yaxes=True, horizontal_spacing=0.03,
                        subplot_titles=titles)
    names, colors = basin_names(surface), basin_colors(surface)
    scale = _discrete_scale(colors)
    sx, sy = ([float(start[0])], [float(start[1])]) if start is not None else ([], [])
    for p in range(k):  # start markers first: assets/30_maps.js moves traces 0..k-1
        fig.add_trace(go.Scatter(
            x=sx, y=sy, mode="markers", name="start", showlegend=p == 0, legendgroup="start",
            marker={"symbol": "circle-open", "size": 14, "color": "#1f2933", "line": {"width": 2.5}},
            hovertemplate="start (%{x:.4g}, %{y:.4g})<extra></extra>", meta={"role": "start", "panel": p}),
            row=1, col=p + 1)
    for p, (r, result) in enumerate(zip(req.runs, results)):
        category = np.asarray(result.values, dtype=np.int64) + 2
        text = np.asarray(basin_short_names(surface), dtype=object)[category]
        fig.add_trace(go.Heatmap(
            x=np.asarray(result.x_values), y=np.asarray(result.y_values), z=category.astype(np.int8),
            zmin=-0.5, zmax=len(colors) - 0.5, colorscale=scale, showscale=False, text=text,
            hovertemplate="start (%{x:.3g}, %{y:.3g}) → %{text}<extra>run " + str(r.index + 1) + "</extra>",
            name=f"run {r.index + 1}", meta={"role": "basin", "run": r.index}), row=1, col=p + 1)
        if surface.minimizers:
            mins = np.asarray(surface.minimizers, dtype=float).reshape(-1, 2)
            fig.add_trace(go.Scatter(
                x=mins[:, 0], y=mins[:, 1], mode="markers", showlegend=False, name="minima",
                marker={"symbol": "star", "size": 13, "color": colors[2:], "line": {"color": "#1f2933", "width": 1.5}},
                hovertemplate="minimum (%{x:.4g}, %{y:.4g})<extra></extra>", meta={"role": "minimum"}),
                row=1, col=p + 1)
    for i, (name, color) in enumerate(zip(names, colors)):
        if i >= 2:
            fig.add_trace(_legend_swatch(name, color, symbol="star", line="#1f2933"))
        else:
            fig.add_trace(_legend_swatch(name, color, line="#9aa5b1"))
    layout = _base_layout()
    layout["margin"] = {"l": 48, "r": 12, "t": 28, "b": 40}
    layout["legend"] = {"orientation": "h", "x": 0, "y": -0.14, "yanchor": "top", "font": {"size": 11}}
    layout["meta"] = {"kind": "basin", "runs": [r.index for r in req.runs]}
    fig.update_layout(**layout)
    (x0, x1), (y0, y1) = surface.bounds
    for p in range(k):
        name = "" if p == 0 else str(p + 1)
        fig.layout[f"xaxis{name}"].update(_axis("x", False, range=[x0, x1], constrain="domain"))
        fig.layout[f"yaxis{name}"].update(_axis("y" if p == 0 else "", False, range=[y0, y1],
                                                scaleanchor=f"x{name}", scaleratio=1, constrain="domain"))
    for annotation, r in zip(fig.layout.annotations, req.runs):
        annotation.update(font={"size": 12, "color": run_color(r.index)})
    return fig


def basin_note(req: BasinRequest, results: list[sweeps.Map], race_steps: int | None = None) -> str:
    surface = req.surface
    (x0, x1), (y0, y1) = surface.bounds
    radius = 0.02 * math.hypot(x1 - x0, y1 - y0)
    parts = [f"{req.n} × {req.n} starts over {surface_label({'key': req.surface_key})}'s box, "
             f"{req.steps} steps each. A start is coloured by the minimum its run ends within "
             f"{fmt_value(radius)} of (2% of the box's diagonal)."]
    if not surface.minimizers:
        parts.append("This surface has no known minimum: the map tells only diverged from not.")
    for r, result in zip(req.runs, results):
        values = np.asarray(result.values)
        counts = [int((values == c).sum()) for c in range(len(surface.minimizers))]
        share = ", ".join(f"{100 * c / values.size:.0f}%" for c in counts) if counts else "none"
        parts.append(f"Run {r.index + 1}: to each minimum {share}; not at a minimum "
                     f"{100 * (values == -1).mean():.0f}%, diverged {100 * (values == -2).mean():.0f}%.")
    if req.noise:
        parts.append(f"Every start sees the race's gradient noise (σ={fmt_value(req.noise)}, seed {req.seed}).")
    if race_steps is not None and race_steps != req.steps:
        parts.append(f"The race runs {race_steps} steps.")
    parts.append("Click a point to start every run there.")
    return " ".join(parts)


def basin_start(req: BasinRequest, results: list[sweeps.Map], click: Any) -> tuple[float, float]:
    """The start (a grid node of the map) for a click on a basin map."""
    x, y = click_point(click)
    result = results[0]
    j = nearest_index(result.x_values, x, log=False)
    i = nearest_index(result.y_values, y, log=False)
    if i is None or j is None:
        raise ValueError(f"The clicked point ({x:g}, {y:g}) is outside the map.")
    return float(result.x_values[j]), float(result.y_values[i])


# ------------------------------------------------------------------------------


def basin_frame(req: BasinRequest, results: list[sweeps.Map]):
    import pandas as pd

    names = basin_names(req.surface)
    frames = []
    for r, result in zip(req.runs, results):
        frame = result.to_frame().rename(columns={"basin": "label"})
        frame.insert(0, "optimizer", r.optimizer)
        frame.insert(0, "run", r.index + 1)
        frame["ends"] = [names[int(v) + 2] for v in frame["label"]]
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)
