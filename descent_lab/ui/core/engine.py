"""The engine's results for a validated state, cached: pure in their arguments, so
one cache serves every user (no per-user state on the server).

* :func:`trajectory` one run of the race (``optimizers.run``);
* :func:`fan_paths` K seeds of one run (``optimizers.run_batch``);
* :func:`contour_grid` a surface sampled over a window, coloured for the contour;
* :func:`flows_of` the gradient and central flows of a run (``optimizers.flows``).
"""

from __future__ import annotations

import warnings
import weakref
from collections import OrderedDict
from functools import lru_cache

import numpy as np

from descent_lab import optimizers
from descent_lab.optimizers import flows

from ..serving.budget import Estimate, current_deadline, estimate_runs
from ..serving.cache import MB, memo
from .state import get_surface

GRID_N = 150


def freeze(mapping: dict) -> tuple:
    """A hashable, order-independent form of a flat dict (cache keys)."""
    return tuple(sorted(mapping.items()))


@lru_cache(maxsize=256)
def surface(key: str, params: tuple):
    """The engine surface for a validated ``(key, frozen params)``."""
    return get_surface(key, dict(params))


def surface_of(state_surface: dict, overrides: dict | None = None):
    params = {**state_surface["params"], **(overrides or {})}
    return surface(state_surface["key"], freeze(params))


# Bounded in bytes (serving/cache.py), whatever clients ask for: per worker at most this
# much of trajectories (a 10,000-step run with its state is about 1.6 MB), noise fans
# (20 seeds x 10,001 steps, 3.2 MB) and contour grids.
TRAJECTORY_BYTES = 64 * MB
FAN_BYTES = 48 * MB
CONTOUR_BYTES = 24 * MB


# Every engine call gets the admitted request's deadline (serving/budget.py), so a run
# that overstays its estimate stops instead of holding a thread.
@memo(max_bytes=TRAJECTORY_BYTES)
def _run_cached(optimizer: str, surface_key: str, surface_params: tuple, start: tuple,
                steps: int, seed: int, noise: float, hparams: tuple, schedule: tuple):
    return optimizers.run(optimizer, surface(surface_key, surface_params), start, steps, noise=noise, seed=seed,
                          schedule=dict(schedule), deadline=current_deadline(), **dict(hparams))


@memo(max_bytes=TRAJECTORY_BYTES // 4)
def _evaluations_cached(*key):
    """:func:`_run_cached`'s run on the axis of its function evaluations (key[4]: the budget)."""
    return optimizers.evaluation_axis(_run_cached(*key), key[4])


def _run_key(state: dict, index: int, overrides: dict | None = None, start=None) -> tuple:
    run = state["runs"][index]
    params = {**state["surface"]["params"], **(overrides or {})}
    start = state["start"] if start is None else start
    return (run["optimizer"], state["surface"]["key"], freeze(params),
            (float(start[0]), float(start[1])), int(state["steps"]), int(state["seed"]),
            float(state.get("noise", 0.0)), freeze(run["hparams"]),
            freeze(run.get("schedule") or {"kind": "constant"}))


def trajectory(state: dict, index: int, overrides: dict | None = None, start=None):
    """The engine ``Trajectory`` of ``state["runs"][index]`` (on the surface with its
    parameters ``overrides``d and from ``start``, for the compared panel)."""
    key = _run_key(state, index, overrides, start)
    if state.get("count") == "evaluations":  # the same run, one index per function evaluation
        return _evaluations_cached(*key)
    return _run_cached(*key)


def runs_work(state: dict, fan: int = 0, overrides: dict | None = None, start=None,
              cost=optimizers.cost) -> Estimate:
    """The engine work of ``state``'s runs before any of it starts: each run not cached yet
    (on the surface with ``overrides``, from ``start``), with a noise fan of ``fan`` seeds."""
    return estimate_runs(state["runs"], cost, surface_of(state["surface"], overrides), int(state["steps"]),
                         fan=fan, fresh=lambda i: not is_cached(state, i, overrides, start))


def is_cached(state: dict, index: int, overrides: dict | None = None, start=None) -> bool:
    """Whether :func:`trajectory` with these arguments is answered without engine work."""
    return _run_cached.cached(*_run_key(state, index, overrides, start))


@memo(max_bytes=FAN_BYTES)
def _fan_cached(optimizer, surface_key, surface_params, start, steps, seed, noise, hparams, schedule, k):
    paths = optimizers.run_batch(optimizer, surface(surface_key, surface_params), [start] * k, steps, noise=noise,
                                 seed=seed, schedule=dict(schedule), deadline=current_deadline(),
                                 **dict(hparams))
    paths.setflags(write=False)
    return paths


def fan_paths(state: dict, index: int) -> np.ndarray:
    """(K, steps + 1, 2): run ``index`` with seeds ``seed .. seed + K - 1`` (NaN after a
    divergence); path ``b`` equals ``optimizers.run(..., seed=seed + b)``."""
    run = state["runs"][index]
    return _fan_cached(run["optimizer"], state["surface"]["key"], freeze(state["surface"]["params"]),
                       (float(state["start"][0]), float(state["start"][1])), int(state["steps"]),
                       int(state["seed"]), float(state["noise"]), freeze(run["hparams"]),
                       freeze(run.get("schedule") or {"kind": "constant"}), int(state["fan"]))


def fan_mean(paths: np.ndarray) -> np.ndarray:
    """(steps + 1, 2): the mean over the runs still going at each step (``nanmean``;
    NaN where every run has diverged), without NumPy's empty-slice warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmean(paths, axis=0)


# The flows of a trajectory, keyed by the trajectory object (the run cache above hands the
# same object out for the same settings): at most this many, each a few 10 kB.
_FLOWS: OrderedDict = OrderedDict()
FLOWS_CACHE = 32


def flows_of(traj, surface) -> flows.Flows:
    """The gradient and central flows of a run and how it compares (cached per run)."""
    key = (id(traj), id(surface))
    hit = _FLOWS.get(key)
    if hit is not None and hit[0]() is traj and hit[1]() is surface:
        _FLOWS.move_to_end(key)
        return hit[2]
    result = flows.describe(traj, surface, optimizers.get(traj.key))
    _FLOWS[key] = (weakref.ref(traj), weakref.ref(surface), result)
    while len(_FLOWS) > FLOWS_CACHE:
        _FLOWS.popitem(last=False)
    return result


LOW_BAND_SHARE = 0.1  # a typed surface with more of its plot in the lowest band is coloured on a log scale


def crowded_low(f: np.ndarray, bands: int = 24) -> bool:
    """Whether a linear colour scale would put more than :data:`LOW_BAND_SHARE` of the plot
    in its lowest band (a banana valley's flat floor): then a log scale shows its rings."""
    finite = f[np.isfinite(f)]
    if finite.size == 0:
        return False
    lo, hi = np.percentile(finite, [1, 99])
    return hi > lo and float(np.mean(finite < lo + (hi - lo) / bands)) > LOW_BAND_SHARE


@memo(max_bytes=CONTOUR_BYTES)
def contour_grid(key: str, params: tuple, box: tuple | None = None, n: int = GRID_N):
    """(xs, ys, z, colour_title) of a surface over ``box`` (its bounds when None).

    With ``log_color`` the colour is log10(f - f_min + delta), which turns the flat
    floor of a ravine into visible rings; otherwise f clipped to its 1st-99th
    percentiles so a surface unbounded below does not wash out.
    """
    s = surface(key, params)
    (x0, x1), (y0, y1) = box if box is not None else s.bounds
    xs = np.linspace(x0, x1, n)
    ys = np.linspace(y0, y1, n)
    grid = np.stack(np.meshgrid(xs, ys), axis=-1)  # (n, n, 2), rows are y
    with np.errstate(all="ignore"):
        f = np.asarray(s.f(grid), dtype=float)
    f = np.where(np.isfinite(f), f, np.nan)
    floor = None
    if s.log_color and s.min_value is not None:
        floor, title = float(s.min_value), "log₁₀(f − f*)"
    elif s.min_value is None and not s.unbounded_below and crowded_low(f):
        floor, title = float(np.nanmin(f)), "log₁₀(f − min on the plot)"
    if floor is not None:
        gap = np.maximum(f - floor, 0.0)
        spread = np.nanpercentile(gap, 99) if np.isfinite(gap).any() else 1.0
        delta = max(spread * 1e-6, 1e-12)
        z = np.log10(gap + delta)
    elif np.isfinite(f).any():
        lo, hi = np.nanpercentile(f, [1, 99])
        z = np.clip(f, lo, hi)
        title = "f"
    else:
        z, title = np.zeros_like(f), "f"
    z = np.nan_to_num(z, nan=float(np.nanmax(z)) if np.isfinite(z).any() else 0.0)
    return xs.astype(np.float32), ys.astype(np.float32), z.astype(np.float32), title
