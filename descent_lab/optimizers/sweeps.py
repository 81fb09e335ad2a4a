"""Outcome maps and fair tuning: many runs at once through :func:`run_batch`.

* :func:`outcomes` - per-run summaries of a batch: final loss, steps to reach a
  tolerance, area under the loss curve, diverged.
* :func:`hyperparameter_map` - the outcome over a grid of two hyperparameters
  (learning rate on a log axis and one more) for one optimizer, surface and start.
* :func:`basin_map` - which minimum each start point on a grid ends in.
* :func:`tune` - grid search of the learning rate (and optionally one more
  hyperparameter) under a fixed step budget and an explicit objective.

All of them are pure and bounded: grids beyond :data:`MAX_GRID` per side and the
runner's work limit are refused with ``ValueError``, and each takes a ``deadline``
(absolute ``time.monotonic()``) past which it stops with
:class:`~optimizers.runner.BudgetExceeded`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .runner import MAX_BATCH_WORK, BudgetExceeded, run_batch
from .specs import get

__all__ = ["OBJECTIVES", "MAX_GRID", "MAX_SWEEP_STEPS", "outcomes", "hyperparameter_map",
           "basin_map", "tune", "log_grid", "param_grid", "Map"]

MAX_GRID = 128
"""Most cells per side of a map."""
MAX_SWEEP_STEPS = 2000
"""Most steps per run in a map or a tuning search."""

OBJECTIVES = {
    "final_loss": "final loss (minus the minimum when known)",
    "auc": "area under the loss curve (mean loss gap over all steps)",
    "steps_to_tol": "steps until the loss gap is within the tolerance",
}
OUTCOMES = {**OBJECTIVES, "diverged": "diverged (1) or not (0)"}


@dataclass(frozen=True, kw_only=True)
class Map:
    """A grid of outcomes. ``values[i, j]`` belongs to ``y_values[i]``, ``x_values[j]``."""

    x_name: str
    x_values: np.ndarray
    y_name: str
    y_values: np.ndarray
    outcome: str
    values: np.ndarray
    diverged: np.ndarray

    def to_frame(self):
        import pandas as pd

        yy, xx = np.meshgrid(self.y_values, self.x_values, indexing="ij")
        return pd.DataFrame({self.x_name: xx.ravel(), self.y_name: yy.ravel(),
                             self.outcome: self.values.ravel(),
                             "diverged": self.diverged.ravel()})


def _check_grid(n, what="grid") -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or not 2 <= n <= MAX_GRID:
        raise ValueError(f"Invalid {what} size: {n!r} (allowed 2 to {MAX_GRID} per side)")
    return int(n)


def _check_sweep_steps(steps) -> int:
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) \
            or not 1 <= steps <= MAX_SWEEP_STEPS:
        raise ValueError(f"Invalid number of steps: {steps!r} (allowed 1 to {MAX_SWEEP_STEPS} in a map)")
    return int(steps)


def _batch(key, surface, starts, steps, deadline, count="steps", **hparams) -> np.ndarray:
    """:func:`run_batch`, whose budget refusal names what a sweep can reduce."""
    try:
        return run_batch(key, surface, starts, steps, deadline=deadline, count=count, **hparams)
    except BudgetExceeded as exc:
        raise BudgetExceeded("sweep steps", exc.done, exc.total,
                             "the grid size or the number of steps") from None


def log_grid(low: float, high: float, n: int) -> np.ndarray:
    return np.geomspace(low, high, _check_grid(n))


def param_grid(key: str, name: str, n: int, low=None, high=None) -> np.ndarray:
    """``n`` values of hyperparameter ``name`` over its range (or ``[low, high]``),
    log-spaced for log-scale parameters; an open upper bound is kept out."""
    p = get(key).param(name)
    if p.kind != "float":
        raise ValueError(f"Hyperparameter {name!r} is an option, not a range")
    lo = p.validate(p.low if low is None else low)
    hi = p.high if high is None else high
    if p.high_open and hi >= p.high:
        hi = p.low + (p.high - p.low) * 0.999
    hi = p.validate(hi)
    if not lo < hi:
        raise ValueError(f"Invalid range for {name}: [{lo:g}, {hi:g}]")
    n = _check_grid(n)
    return np.geomspace(lo, hi, n) if p.scale == "log" else np.linspace(lo, hi, n)


def outcomes(surface, xy: np.ndarray, tol: float = 1e-6) -> dict:
    """Per-run summaries of ``xy`` (B, steps+1, 2) from :func:`run_batch`.

    The loss gap is ``f - min_value`` (``f`` itself where the minimum is unknown).
    ``steps_to_tol`` is NaN for runs that never get within ``tol``; diverged runs
    get ``inf`` for ``final_loss`` and ``auc`` so that they rank last.
    """
    diverged = np.isnan(xy).any(axis=(1, 2))
    with np.errstate(all="ignore"):
        gap = surface.f(xy) - (surface.min_value or 0.0)  # (B, steps+1)
    final = np.where(diverged, np.inf, gap[:, -1])
    auc = np.where(diverged, np.inf, np.nanmean(np.where(np.isnan(gap), 0.0, gap), axis=1))
    within = (gap <= tol) & ~np.isnan(gap)
    reached = within.any(axis=1)
    steps_to_tol = np.where(reached, np.argmax(within, axis=1).astype(float), np.nan)
    return {"final_loss": final, "auc": auc, "steps_to_tol": steps_to_tol,
            "diverged": diverged.astype(float)}


def hyperparameter_map(key, surface, start, steps, *, y_name, nx=32, ny=32, outcome="final_loss",
                       tol=1e-6, lr_range=None, y_range=None, deadline=None, count="steps", **fixed) -> Map:
    """Outcome over learning rate (x, log axis) and ``y_name`` (y) from ``start``.
    ``deadline`` and ``count`` (the budget in steps or function evaluations): see
    :func:`run_batch` (:class:`BudgetExceeded` past the deadline)."""
    if outcome not in OUTCOMES:
        raise ValueError(f"Unknown outcome {outcome!r}; expected one of: {', '.join(OUTCOMES)}")
    if y_name == "lr":
        raise ValueError("Pick a second hyperparameter other than the learning rate")
    steps = _check_sweep_steps(steps)
    lo, hi = lr_range if lr_range is not None else (None, None)
    xs = param_grid(key, "lr", nx, lo, hi)
    lo, hi = y_range if y_range is not None else (None, None)
    ys = param_grid(key, y_name, ny, lo, hi)
    yy, xx = np.meshgrid(ys, xs, indexing="ij")
    starts = np.tile(np.asarray(start, dtype=float), (xx.size, 1))
    xy = _batch(key, surface, starts, steps, deadline, count,
                **{**fixed, "lr": xx.ravel(), y_name: yy.ravel()})
    out = outcomes(surface, xy, tol)
    shape = (len(ys), len(xs))
    return Map(x_name="lr", x_values=xs, y_name=y_name, y_values=ys, outcome=outcome,
               values=out[outcome].reshape(shape),
               diverged=out["diverged"].reshape(shape).astype(bool))


def basin_labels(surface, xy: np.ndarray, radius: float | None = None) -> np.ndarray:
    """Where each run ends: the index of the global minimizer it reached (within
    ``radius``, default 2% of the bounds' diagonal), -1 not converged to one,
    -2 diverged."""
    final = xy[:, -1]
    diverged = np.isnan(final).any(axis=1)
    labels = np.full(len(final), -1)
    if surface.minimizers:
        (x0, x1), (y0, y1) = surface.bounds
        r = radius if radius is not None else 0.02 * np.hypot(x1 - x0, y1 - y0)
        mins = np.asarray(surface.minimizers)
        d = np.linalg.norm(final[:, None, :] - mins[None], axis=-1)
        nearest = np.argmin(np.where(np.isnan(d), np.inf, d), axis=1)
        close = d[np.arange(len(final)), nearest] <= r
        labels[close] = nearest[close]
    labels[diverged] = -2
    return labels


def basin_map(key, surface, steps, *, n=48, radius=None, deadline=None, **hparams) -> Map:
    """Label every start on an ``n x n`` grid over the bounds by where it ends.
    ``deadline``: see :func:`run_batch`."""
    steps = _check_sweep_steps(steps)
    n = _check_grid(n)
    (x0, x1), (y0, y1) = surface.bounds
    xs, ys = np.linspace(x0, x1, n), np.linspace(y0, y1, n)
    yy, xx = np.meshgrid(ys, xs, indexing="ij")
    xy = _batch(key, surface, np.column_stack([xx.ravel(), yy.ravel()]), steps, deadline,
                **hparams)
    labels = basin_labels(surface, xy, radius).reshape(n, n)
    return Map(x_name="x", x_values=xs, y_name="y", y_values=ys, outcome="basin", values=labels,
               diverged=labels == -2)


@dataclass(frozen=True, kw_only=True)
class Tuned:
    key: str
    objective: str
    best: dict
    best_value: float
    map: Map | None
    lr_values: np.ndarray
    lr_scores: np.ndarray


def tune(key, surface, start, steps, *, objective="final_loss", n_lr=24, second=None, n_second=8,
         tol=1e-6, lr_range=None, deadline=None, count="steps", **fixed) -> Tuned:
    """Grid-search the learning rate (and ``second``, if given) under ``steps``, counted in
    optimizer steps or, with ``count="evaluations"``, in function evaluations (a fair
    budget for L-BFGS, whose steps take several; ``steps_to_tol`` then counts evaluations).

    The best setting minimises ``objective`` (ties go to the first, i.e. smallest,
    learning rate); diverged runs never win unless every run diverges.
    """
    if objective not in OBJECTIVES:
        raise ValueError(f"Unknown objective {objective!r}; expected one of: {', '.join(OBJECTIVES)}")
    steps = _check_sweep_steps(steps)
    if second is not None:
        m = hyperparameter_map(key, surface, start, steps, y_name=second, nx=n_lr, ny=n_second,
                               outcome=objective, tol=tol, lr_range=lr_range, deadline=deadline,
                               count=count, **fixed)
        scores = np.where(np.isnan(m.values), np.inf, m.values)
        i, j = np.unravel_index(np.argmin(scores), scores.shape)
        best = {**fixed, "lr": float(m.x_values[j]), second: float(m.y_values[i])}
        return Tuned(key=key, objective=objective, best=best, best_value=float(scores[i, j]), map=m,
                     lr_values=m.x_values, lr_scores=scores.min(axis=0))
    lo, hi = lr_range if lr_range is not None else (None, None)
    lrs = param_grid(key, "lr", n_lr, lo, hi)
    if len(lrs) * steps > MAX_BATCH_WORK:
        raise ValueError("Tuning grid too large")
    starts = np.tile(np.asarray(start, dtype=float), (len(lrs), 1))
    xy = _batch(key, surface, starts, steps, deadline, count, **{**fixed, "lr": lrs})
    scores = outcomes(surface, xy, tol)[objective]
    scores = np.where(np.isnan(scores), np.inf, scores)
    j = int(np.argmin(scores))
    return Tuned(key=key, objective=objective, best={**fixed, "lr": float(lrs[j])},
                 best_value=float(scores[j]), map=None, lr_values=lrs, lr_scores=scores)
