"""Lessons as data: a set-up, what it teaches, and the claims its texts make.

A :class:`Lesson` answers one question a learner asks, on one plot. Its ``state`` is
a partial app state (the shape of ``descent_lab.ui.state``; anything missing takes
its default) plus an optional ``compare``: surface parameter overrides for a second
panel that runs the same runs on a variant of the surface, side by side. Every
sentence its ``answer`` and ``look`` texts say about the plot is one of its
:class:`Claim` s: a number measured on the engine's trajectories of that set-up and a
test of that number. :func:`check` measures them all; ``tests/unit/test_lessons.py``
fails when one does not hold, so a lesson whose text stops being true does not ship.
Where a claim compares optimizers, their settings are tuned under the lesson's step
budget with :func:`descent_lab.optimizers.sweeps.tune`, and a claim re-runs that
tuning and checks the lesson's values against the best it finds.

Conventions the page relies on:

* Panels. ``panel_states(lesson)`` gives the validated state of each panel: the main
  one, then the compare one. Without a ``start`` in the lesson's state each panel
  starts from its own surface's default start (the valley's start turns with the
  valley); with one, both panels start there. One ``zoom`` serves both panels.
* Frames. A lesson's ``stop`` and the values ``LiveNumber.compute`` returns are per
  frame ``k = 0..n`` (the run at ``xy[k]``). A number about an update (the angle of a
  step) is the update taken from frame ``k``, NaN at the last frame, as the
  instruments show it; ``fmt`` prints NaN as a dash.
* Tolerances. "Reaches 1e-6" means the loss gap ``f - f_min`` is at most 1e-6
  (``f`` itself where the surface has no minimum), the tuning objective's meaning.

The module imports no Dash or Plotly.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from descent_lab import optimizers
from descent_lab.optimizers import diagnostics, sweeps
from ..core.state import get_surface, validate_state

__all__ = [
    "Claim", "LiveNumber", "Lesson", "Panel", "Runs", "LESSONS", "LESSON_KEYS", "ALIASES",
    "DEFAULT_LESSON", "HOW_TO_READ", "TUNING_GRID", "get", "panel_states", "simulate",
    "check", "steps_to", "tuned_steps", "numbers_in", "fmt_sci", "fmt_deg", "fmt_num", "fmt_pct", "fmt_int",
]


# ------------------------------------------------------------------ records


@dataclass(frozen=True, kw_only=True)
class LiveNumber:
    """The number the banner shows at the current frame, one value per run.

    ``compute(trajectories, surface)`` returns one float array per run, of length
    ``len(trajectory.xy)`` (one value per frame); ``fmt`` prints one value."""

    label: str
    compute: Callable[[Sequence[optimizers.Trajectory], object], list[np.ndarray]]
    fmt: Callable[[float], str]


@dataclass(frozen=True, kw_only=True)
class Claim:
    """One sentence of a lesson (or a paraphrase its text implies) and the number
    behind it: ``holds(measure(runs))`` must be true for the lesson to ship."""

    text: str
    measure: Callable[[Runs], float]
    holds: Callable[[float], bool]
    fmt: Callable[[float], str]


@dataclass(frozen=True, kw_only=True)
class Lesson:
    """A question, its answer on one plot, and the claims that keep the answer true.

    ``key`` appears in links (``?lesson=KEY``) and never changes. ``answer`` is the
    1-3 sentence headline; ``look`` (2-3 sentences) says what to look at on the plot
    and in the instruments ``state["show"]`` switches on. ``stop`` is the frame where
    the animation pauses; ``zoom`` is ``((xmin, xmax), (ymin, ymax))`` holding every
    path up to ``stop`` in every panel, or None to fit the paths."""

    key: str
    title: str
    question: str
    answer: str
    look: str
    state: dict
    live: LiveNumber
    stop: int
    zoom: tuple[tuple[float, float], tuple[float, float]] | None
    claims: tuple[Claim, ...]


@dataclass(frozen=True, kw_only=True)
class Panel:
    """One contour panel of a lesson: its validated state, surface and trajectories."""

    state: dict
    surface: object
    trajectories: tuple[optimizers.Trajectory, ...]

    def __getitem__(self, index: int) -> optimizers.Trajectory:
        return self.trajectories[index]

    def __len__(self) -> int:
        return len(self.trajectories)


@dataclass(frozen=True, kw_only=True)
class Runs:
    """What a claim measures: the main panel's runs and the compare panel's (or None).

    ``runs[i]`` is the main panel's i-th trajectory."""

    main: Panel
    compare: Panel | None = None

    def __getitem__(self, index: int) -> optimizers.Trajectory:
        return self.main[index]


# ------------------------------------------------------------------ formatting


def _dash_if_nan(fmt: Callable[[float], str]) -> Callable[[float], str]:
    def out(value: float) -> str:
        return "—" if value is None or not math.isfinite(value) else fmt(value)

    return out


@_dash_if_nan
def fmt_sci(value: float) -> str:
    """A loss gap: ``3.2e-07``; exactly 0 prints as ``0``."""
    return "0" if value == 0 else f"{value:.1e}"


@_dash_if_nan
def fmt_deg(value: float) -> str:
    return f"{value:.1f}°"


@_dash_if_nan
def fmt_num(value: float) -> str:
    """Three significant digits: 0.0021, 5.19, 170."""
    return f"{value:.3g}"


@_dash_if_nan
def fmt_pct(value: float) -> str:
    return f"{100 * value:.1f}%"


def fmt_int(value: float) -> str:
    return "never" if value is None or not math.isfinite(value) else f"{value:.0f}"


# ------------------------------------------------------------------ measures


def steps_to(trajectory, tol: float = 1e-6, min_value: float | None = None) -> float:
    """The first frame whose loss gap ``f - min_value`` (``f`` when None) is at most
    ``tol``; ``inf`` if the run never gets there (what ``sweeps.outcomes`` counts)."""
    gap = trajectory.loss - (min_value or 0.0)
    within = np.flatnonzero(gap <= tol)
    return float(within[0]) if len(within) else math.inf


TUNING_GRID = {"n_lr": 64, "lr_range": (1e-3, 10.0), "n_second": 40}
"""The grid every fairness claim tunes on: 64 learning rates from 0.001 to 10 (log
spaced), and 40 values of a second hyperparameter over its whole range."""


def _frozen(value):
    """A hashable copy of plain JSON-like data (for the tuning cache's key)."""
    if isinstance(value, dict):
        return tuple(sorted((k, _frozen(v)) for k, v in value.items()))
    if isinstance(value, (list, tuple)):
        return tuple(_frozen(v) for v in value)
    return value


@lru_cache(maxsize=64)
def _tuned(key, surface_key, surface_params, start, steps, tol, second, fixed):
    surface = get_surface(surface_key, dict(surface_params))
    return sweeps.tune(key, surface, start, steps, objective="steps_to_tol", tol=tol,
                       n_lr=TUNING_GRID["n_lr"], lr_range=TUNING_GRID["lr_range"],
                       second=second, n_second=TUNING_GRID["n_second"], **dict(fixed))


def tuned_steps(panel: Panel, index: int, tol: float = 1e-6, second: str | None = None) -> float:
    """The fewest steps to ``tol`` that run ``index``'s optimizer reaches in the panel
    (same surface, start and step budget) over :data:`TUNING_GRID`, with its other
    hyperparameters as in the lesson: the tuned best a lesson's value is held to."""
    run = panel.state["runs"][index]
    fixed = {k: v for k, v in run["hparams"].items() if k not in ("lr", second)}
    surface = panel.state["surface"]
    tuned = _tuned(run["optimizer"], surface["key"], _frozen(surface["params"]),
                   tuple(panel.state["start"]), panel.state["steps"], tol, second, _frozen(fixed))
    return tuned.best_value


def _pad(values: np.ndarray, length: int) -> np.ndarray:
    """Per-update values (n,) as per-frame values (n + 1,): NaN at the last frame."""
    out = np.full(length, np.nan)
    out[: len(values)] = values
    return out


def angles(trajectory) -> np.ndarray:
    """(n,) degrees between each step and -g."""
    return diagnostics.descent_angle(trajectory.step, trajectory.grad_used)


def live_angle(trajectories, surface) -> list[np.ndarray]:
    return [_pad(angles(t), len(t.xy)) for t in trajectories]


def live_gap(trajectories, surface) -> list[np.ndarray]:
    return [t.loss - (surface.min_value or 0.0) for t in trajectories]


def live_abs_y(trajectories, surface) -> list[np.ndarray]:
    return [np.abs(t.xy[:, 1]) for t in trajectories]


def _frame(values: np.ndarray, k: int) -> float:
    return float(values[min(k, len(values) - 1)])


def _sign_flips(values: np.ndarray) -> int:
    """How many times consecutive values change sign."""
    s = np.sign(values)
    return int((s[1:] * s[:-1] < 0).sum())


def _ratio_median(values: np.ndarray) -> float:
    """Median of |v[k+1] / v[k]|: the factor a quantity changes by per step."""
    v = np.abs(values)
    with np.errstate(all="ignore"):
        return float(np.median(v[1:] / v[:-1]))


# ------------------------------------------------------------------ helpers to build lessons


def _run(optimizer: str, **hparams) -> dict:
    return {"optimizer": optimizer, "hparams": hparams}


def _claim(text, measure, holds, fmt=fmt_num) -> Claim:
    return Claim(text=text, measure=measure, holds=holds, fmt=fmt)


def _near(target: float, tol: float) -> Callable[[float], bool]:
    return lambda v: abs(v - target) <= tol


def _equals(target: float) -> Callable[[float], bool]:
    return lambda v: v == target


def _between(low: float, high: float) -> Callable[[float], bool]:
    return lambda v: low <= v <= high


def _steps(index: int, tol: float = 1e-6, panel: str = "main"):
    def measure(runs: Runs) -> float:
        p = getattr(runs, panel)
        return steps_to(p[index], tol, p.surface.min_value)

    return measure


def _best_run(panel: Panel, index: int, tol: float = 1e-6, second: str | None = None):
    """Run ``index``'s optimizer again at its tuned best setting (see :func:`tuned_steps`)."""
    run = panel.state["runs"][index]
    fixed = {k: v for k, v in run["hparams"].items() if k not in ("lr", second)}
    surface = panel.state["surface"]
    best = _tuned(run["optimizer"], surface["key"], _frozen(surface["params"]), tuple(panel.state["start"]),
                  panel.state["steps"], tol, second, _frozen(fixed)).best
    return optimizers.run(run["optimizer"], panel.surface, panel.state["start"], panel.state["steps"], **best)


def _best_swing(index: int, second: str | None = None):
    """Largest |y| of run ``index`` at its tuned best setting, up to reaching 1e-6."""
    def measure(runs: Runs) -> float:
        best = _best_run(runs.main, index, second=second)
        return float(np.abs(best.xy[: int(steps_to(best)) + 1, 1]).max())

    return measure


def _fair(index: int, tol: float = 1e-6, second: str | None = None, panel: str = "main"):
    """Lesson steps / tuned best steps for run ``index`` (1 = at the best); NaN, which
    no claim accepts, when no setting on the grid gets there at all."""
    def measure(runs: Runs) -> float:
        p = getattr(runs, panel)
        best = tuned_steps(p, index, tol, second)
        return steps_to(p[index], tol, p.surface.min_value) / best if math.isfinite(best) else math.nan

    return measure


def _best(index: int, tol: float = 1e-6, second: str | None = None, panel: str = "main"):
    def measure(runs: Runs) -> float:
        return tuned_steps(getattr(runs, panel), index, tol, second)

    return measure


# ------------------------------------------------------------------ the lessons

# Momentum against gradient descent in a ravine (the first screen).
_RAVINE = {"key": "valley", "params": {"condition": 50.0, "angle": 0.0}}


def _velocity_ratio_x(k: int):
    def measure(runs: Runs) -> float:
        m = runs[1]
        return float(m.state["buf"][k, 0] / m.grad_used[k, 0])

    return measure


def _from_floor(vectors: np.ndarray) -> np.ndarray:
    """Degrees between each vector (n, 2) and the x axis (the floor of a ravine along x)."""
    return np.degrees(np.arctan2(np.abs(vectors[:, 1]), np.abs(vectors[:, 0])))


def _kept(axis: int, stat: Callable, upto: int = 38):
    """How much of its gradients momentum's velocity keeps along ``axis``: |buf| over
    what the same gradients would add up to if they all had one sign,
    ``sum_j mu^(k-j) |g_j|``, for the updates 1..upto-1 (1 = nothing cancels)."""
    def measure(runs: Runs) -> float:
        m = runs[1]
        mu = m.hparams["momentum"]
        g, buf = np.abs(m.grad_used[:upto, axis]), np.abs(m.state["buf"][:upto, axis])
        same_sign = np.zeros(upto)
        for k in range(upto):
            same_sign[k] = g[k] + (mu * same_sign[k - 1] if k else 0.0)
        return float(stat(buf[1:] / same_sign[1:]))

    return measure


MOMENTUM_RAVINE = Lesson(
    key="momentum-ravine",
    title="Momentum damps the zig-zag and wins the ravine",
    question="Why does momentum stop the zig-zag?",
    answer=(
        "Momentum's velocity adds up past gradients: along the ravine floor they point the same way and build "
        "speed, across it they alternate and cancel, so the swing dies out. "
        "Tuned for steps to a loss of 1e-6, gradient descent needs 169 steps and momentum 30; the momentum shown "
        "takes 38 but swings less wide, at most 2 from the floor against 3.4."
    ),
    look=(
        "Gradient descent's path flips across the ravine at every step and is still 0.19 from the floor at "
        "step 38; momentum's crosses the floor every other step and stays under 0.01 from it after step 30. "
        "The velocity arrow lies closer to the floor than the −g arrow at every step after the first (32° from "
        "it against 78°, on median), and by step 20 its x-part is more than 5 times the gradient's."
    ),
    state={
        "surface": _RAVINE,
        "runs": [_run("gd", lr=1.94), _run("momentum", lr=1.7, momentum=0.68)],
        "start": [-8.0, 2.0],
        "steps": 250,
        "show": ["grad", "velocity"],
        "view": "overlay",
    },
    live=LiveNumber(label="loss above the minimum", compute=live_gap, fmt=fmt_sci),
    stop=38,
    zoom=((-8.5, 0.5), (-2.2, 2.2)),
    claims=(
        _claim("Momentum gets within 1e-6 of the minimum at step 38.", _steps(1), _equals(38), fmt_int),
        _claim("Gradient descent gets there at step 169.", _steps(0), _equals(169), fmt_int),
        _claim("Gradient descent is tuned: lr 1.94 needs no more steps than the best of 64 learning rates "
               "from 0.001 to 10 in the same 250-step budget (steps / best).", _fair(0), _between(0, 1.0)),
        _claim("Momentum is tuned too: the best of 64 learning rates x 40 momentum values needs 30 steps.",
               _best(1, second="momentum"), _equals(30), fmt_int),
        _claim("The momentum shown (lr 1.7, momentum 0.68) needs at most 1.5 times that (steps / best).",
               _fair(1, second="momentum"), _between(0, 1.5)),
        _claim("It swings at most 2 from the floor before it arrives (largest |y| up to step 38, the start's) ...",
               lambda r: float(np.abs(r[1].xy[:39, 1]).max()), _equals(2.0)),
        _claim("... while the fastest setting swings out to 3.4 (largest |y| before it arrives).",
               _best_swing(1, "momentum"), _near(3.4, 0.05)),
        _claim("Momentum's velocity adds up past gradients: buf = momentum·buf + g, so after step 1 it is "
               "g_0·0.68 + g_1 (largest error, x and y).",
               lambda r: float(np.abs(r[1].state["buf"][1] - (0.68 * r[1].grad_used[0] + r[1].grad_used[1])).max()),
               _between(0, 1e-12), lambda v: f"{v:.1e}"),
        _claim("Along the floor the gradients point the same way: the x-gradient of momentum's first 38 steps "
               "never changes sign.", lambda r: float(_sign_flips(r[1].grad_used[:38, 0])), _equals(0), fmt_int),
        _claim("Across the floor they alternate: its y-gradient changes sign 19 times in those 38 steps.",
               lambda r: float(_sign_flips(r[1].grad_used[:38, 1])), _equals(19), fmt_int),
        _claim("... so along the floor the velocity keeps all of them (|buf_x| over the sum of the same "
               "gradients taken with one sign, smallest over the 38 steps) ...", _kept(0, np.min), _near(1.0, 1e-12), fmt_pct),
        _claim("... while across it they cancel: the velocity's y-part keeps at most 45% of theirs (largest "
               "after the first step) ...", _kept(1, np.max), _between(0, 0.45), fmt_pct),
        _claim("... and 9% on median.", _kept(1, np.median), _between(0.085, 0.095), fmt_pct),
        _claim("Gradient descent's path flips across the ravine at every one of its first 169 steps "
               "(sign changes of y).", lambda r: float(_sign_flips(r[0].xy[:170, 1])), _equals(169), fmt_int),
        _claim("Momentum's path crosses the floor every other step: 19 sign changes of y in its first 38 steps.",
               lambda r: float(_sign_flips(r[1].xy[:39, 1])), _equals(19), fmt_int),
        _claim("At step 38 gradient descent is still 0.19 from the floor (|y|).",
               lambda r: abs(_frame(r[0].xy[:, 1], 38)), _near(0.19, 0.005)),
        _claim("Momentum stays under 0.01 from the floor after step 30 (largest |y| from step 31 on).",
               lambda r: float(np.abs(r[1].xy[31:, 1]).max()), _between(0, 0.01)),
        _claim("Momentum's velocity lies closer to the floor than its −g at every step after the first "
               "(fraction of steps 1 to 37).", lambda r: float(np.mean(
                   _from_floor(r[1].state["buf"][1:38]) < _from_floor(r[1].grad_used[1:38]))), _equals(1.0)),
        _claim("On median over the first 38 steps the velocity is 32° from the floor ...",
               lambda r: float(np.median(_from_floor(r[1].state["buf"][:38]))), _near(32.0, 0.5), fmt_deg),
        _claim("... and −g 78°.", lambda r: float(np.median(_from_floor(r[1].grad_used[:38]))), _near(78.0, 0.5),
               fmt_deg),
        _claim("At step 20 momentum's velocity along the floor is more than 5 times the gradient there "
               "(buf_x / g_x).", _velocity_ratio_x(20), lambda v: v > 5.0),
    ),
)


# Question 1: rescaling keeps the step downhill; momentum takes it past 90 degrees.
_ALIGNED = {"key": "valley", "params": {"condition": 20.0, "angle": 0.0}}


def _uphill_with_m_against_g(runs: Runs) -> float:
    """Of Adam's steps past 90 degrees, the fraction where m and g have opposite
    signs in at least one coordinate."""
    adam = runs[1]
    past = angles(adam) > 90
    against = (adam.state["m"] * adam.grad_used < 0).any(axis=1)
    return float(against[past].mean()) if past.any() else math.nan


RESCALING_DOWNHILL = Lesson(
    key="rescaling-downhill",
    title="Rescaled steps stay downhill; only momentum turns them uphill",
    question=(
        "Adam and RMSprop give each coordinate its own learning rate, so the step no longer points along −g: "
        "why compute the gradient at all?"
    ),
    answer=(
        "Dividing each coordinate by a positive number never flips a gradient component's sign, so the "
        "rescaled step stays within 90° of −g: still downhill, only tilted, here towards the flat x, which "
        "RMSprop gives 2.1 times the rate of the steep y. "
        "Steps past 90° come from momentum: Adam's m keeps pointing the old way after the gradient has turned."
    ),
    look=(
        "The angle chart keeps RMSprop (no momentum) under 90° at every step, at most 36.5°, and the "
        "effective-lr chart shows its x rate at 2.1 times its y rate; Adam goes past 90° on 31 of its 150 steps, "
        "each time with m against g in some coordinate. "
        "Paused at step 38, Adam has run past the minimum and its step arrow points 170.7° from the −g arrow, "
        "while its rescaled-gradient arrow (−lr_eff·g, before momentum) stays within 36.1° of −g at every step."
    ),
    state={
        "surface": _ALIGNED,
        "runs": [_run("rmsprop", lr=0.1, momentum=0.0), _run("adam", lr=0.3)],
        "start": [-8.0, 2.0],
        "steps": 150,
        "show": ["grad", "rescaled", "step", "angle", "lr"],
        "view": "overlay",
    },
    live=LiveNumber(label="angle between the step and −g", compute=live_angle, fmt=fmt_deg),
    stop=38,
    zoom=((-8.5, 1.0), (-1.0, 2.2)),
    claims=(
        _claim("RMSprop's effective learning rates are positive in both coordinates at every step "
               "(smallest lr_eff).", lambda r: float(r[0].lr_eff.min()), lambda v: v > 0),
        _claim("So its step never flips a gradient component's sign: every RMSprop step is within 90° of −g, "
               "at most 36.5°.", lambda r: float(np.nanmax(angles(r[0]))), _near(36.5, 0.05), fmt_deg),
        _claim("RMSprop gives the flat coordinate x 2.1 times the rate of the steep y (median lr_eff x / y).",
               lambda r: float(np.median(r[0].lr_eff[:, 0] / r[0].lr_eff[:, 1])), _near(2.1, 0.05)),
        _claim("RMSprop gives x the larger rate at every step (smallest lr_eff x / y).",
               lambda r: float(np.min(r[0].lr_eff[:, 0] / r[0].lr_eff[:, 1])), lambda v: v > 1.0),
        _claim("Adam's steps go past 90° on 31 of its 150 steps.",
               lambda r: float((angles(r[1]) > 90).sum()), _equals(31), fmt_int),
        _claim("Adam ran all 150 steps.", lambda r: float(r[1].steps), _equals(150), fmt_int),
        _claim("On each of those steps Adam's m points against g in at least one coordinate (fraction).",
               _uphill_with_m_against_g, _equals(1.0)),
        _claim("Adam's rescaled gradient −lr_eff·g (before momentum) stays within 36.1° of −g at every step.",
               lambda r: float(np.nanmax(diagnostics.descent_angle(
                   diagnostics.rescaled_direction(r[1]), r[1].grad_used))), _near(36.1, 0.05), fmt_deg),
        _claim("At step 38 Adam's step is 170.7° from −g.",
               lambda r: float(angles(r[1])[38]), _near(170.7, 0.05), fmt_deg),
        _claim("At step 38 Adam has run past the minimum (its x, the minimum at 0).",
               lambda r: float(r[1].xy[38, 0]), lambda v: v > 0.1),
        _claim("At step 38 RMSprop's step is within 1° of −g.",
               lambda r: float(angles(r[0])[38]), _between(0, 1.0), fmt_deg),
    ),
)


# Question 2: an axis-aligned ravine against the same ravine turned 45 degrees.
def _lr_ratio(panel: str, stat: Callable):
    def measure(runs: Runs) -> float:
        r = getattr(runs, panel)[1]
        return float(stat(r.lr_eff[:, 0] / r.lr_eff[:, 1]))

    return measure


def _gap_at(index: int, k: int, panel: str = "main"):
    def measure(runs: Runs) -> float:
        p = getattr(runs, panel)
        return _frame(p[index].loss - (p.surface.min_value or 0.0), k)

    return measure


def _hessian_diagonal_ratio(panel: str):
    """h_xx / h_yy at the minimum: how differently the two coordinates curve."""
    def measure(runs: Runs) -> float:
        h = getattr(runs, panel).surface.hess(np.zeros(2))
        return float(h[0, 0] / h[1, 1])

    return measure


ALIGNED_VS_ROTATED = Lesson(
    key="aligned-vs-rotated",
    title="RMSprop's edge needs a ravine along an axis",
    question=(
        "Does RMSprop's rescaling always help, or can it slow convergence? "
        "Maybe the bad cases come from high dimensions?"
    ),
    answer=(
        "Per-coordinate rescaling evens out curvatures only along the coordinate axes: in the aligned ravine "
        "RMSprop reaches 1e-6 at step 13, gradient descent at step 76. "
        "Turn the same ravine 45°, still in two dimensions, and RMSprop needs 89 steps, more than gradient "
        "descent, which does not see the rotation and still needs 76. "
        "Tuned on each ravine, RMSprop's best is 5 steps aligned and 88 turned."
    ),
    look=(
        "In the effective-lr chart RMSprop gives the flat x 5 to 6.4 times the rate of the steep y in the aligned "
        "ravine; turned 45°, both coordinates curve alike and the x/y ratio stays between 0.6 and 1.1. "
        "Paused at step 13, RMSprop has arrived in the aligned ravine (loss 3e-7), while in the turned one it is "
        "behind gradient descent (0.33 against 0.14)."
    ),
    state={
        "surface": _ALIGNED,
        "compare": {"angle": 45.0},
        "runs": [_run("gd", lr=1.8), _run("rmsprop", lr=0.4)],
        "steps": 150,
        "show": ["lr"],
        "view": "overlay",
    },
    live=LiveNumber(label="loss above the minimum", compute=live_gap, fmt=fmt_sci),
    stop=13,
    zoom=((-8.5, 2.0), (-9.0, 2.5)),
    claims=(
        _claim("Aligned: RMSprop reaches 1e-6 at step 13.", _steps(1), _equals(13), fmt_int),
        _claim("Aligned: gradient descent reaches 1e-6 at step 76.", _steps(0), _equals(76), fmt_int),
        _claim("Turned 45°: RMSprop needs 89 steps.", _steps(1, panel="compare"), _equals(89), fmt_int),
        _claim("Turned 45°: gradient descent still needs 76.", _steps(0, panel="compare"), _equals(76), fmt_int),
        _claim("Gradient descent's lr 1.8 is tuned: no more steps than the best of 64 learning rates in the "
               "150-step budget, aligned (steps / best).", _fair(0), _between(0, 1.0)),
        _claim("... and turned 45° (steps / best).", _fair(0, panel="compare"), _between(0, 1.0)),
        _claim("RMSprop's lr 0.4 is within 3 times the best steps aligned (steps / best).",
               _fair(1), _between(0, 3.0)),
        _claim("... and within 1.05 times the best turned 45° (steps / best).",
               _fair(1, panel="compare"), _between(0, 1.05)),
        _claim("Tuned on the aligned ravine, RMSprop's best needs 5 steps.", _best(1), _equals(5), fmt_int),
        _claim("Tuned on the turned one, 88.", _best(1, panel="compare"), _equals(88), fmt_int),
        _claim("Tuned on each panel, RMSprop's best at 45° still needs more steps than gradient descent's "
               "(best RMSprop / best GD, turned).",
               lambda r: tuned_steps(r.compare, 1) / tuned_steps(r.compare, 0), lambda v: v > 1.0),
        _claim("Tuned on each panel, RMSprop's best needs at least 10 times more steps at 45° than aligned.",
               lambda r: tuned_steps(r.compare, 1) / tuned_steps(r.main, 1), lambda v: v >= 10.0),
        _claim("Aligned, the coordinates curve 20 times differently (h_yy / h_xx at the minimum).",
               lambda r: 1.0 / _hessian_diagonal_ratio("main")(r), _near(20.0, 1e-9)),
        _claim("Turned 45°, both coordinates curve alike (h_xx / h_yy).",
               _hessian_diagonal_ratio("compare"), _near(1.0, 1e-9)),
        _claim("Aligned, RMSprop gives x 5 times y's rate at the least (smallest lr_eff x / y) ...",
               _lr_ratio("main", np.min), _near(5.0, 0.01)),
        _claim("... and 6.4 times at the most (largest).", _lr_ratio("main", np.max), _near(6.4, 0.05)),
        _claim("Turned 45°, the ratio stays at or above 0.6 (smallest lr_eff x / y) ...",
               _lr_ratio("compare", np.min), lambda v: v >= 0.6),
        _claim("... and at or below 1.1 (largest).", _lr_ratio("compare", np.max), lambda v: v <= 1.1),
        _claim("At step 13 aligned RMSprop's loss is 3e-7.", _gap_at(1, 13),
               lambda v: 2.5e-7 <= v <= 3.5e-7, fmt_sci),
        _claim("At step 13 RMSprop's loss at 45° is 0.33.", _gap_at(1, 13, "compare"), _near(0.33, 0.005)),
        _claim("At step 13 gradient descent's loss at 45° is 0.14.", _gap_at(0, 13, "compare"),
               _near(0.14, 0.005)),
    ),
)


# Question 2, the good-gradient case: a round bowl.
def _angle_to_minimum(runs: Runs) -> float:
    """Degrees between -g at the start and the direction to the minimum."""
    p = runs.main
    x0 = p[0].xy[0]
    to_min = np.asarray(p.surface.minimizers[0]) - x0
    return float(diagnostics.descent_angle(to_min[None], p[0].grad[:1])[0])


ROUND_BOWL = Lesson(
    key="rmsprop-bowl",
    title="On a round bowl the rescaling has nothing to fix",
    question="Does RMSprop slow convergence when the gradient is already good?",
    answer=(
        "On a round bowl −g already points at the minimum, so per-coordinate rescaling can only tilt the step "
        "off that line. "
        "Tuned for steps to 1e-6, gradient descent lands in 1 step (lr 1, one over the curvature); RMSprop "
        "needs 8 here and 5 at its best."
    ),
    look=(
        "Gradient descent's step arrow lies on the −g arrow (0°): a straight line to the star. "
        "RMSprop's first step is 10·lr = 2 long in each coordinate, as its average of squared gradients starts "
        "at 0, and 18.4° off −g; the angle chart shows the tilt fading as it arrives."
    ),
    state={
        "surface": {"key": "bowl", "params": {}},
        "runs": [_run("gd", lr=1.0), _run("rmsprop", lr=0.2)],
        "start": [3.0, 1.5],
        "steps": 60,
        "show": ["grad", "step", "angle"],
        "view": "overlay",
    },
    live=LiveNumber(label="loss above the minimum", compute=live_gap, fmt=fmt_sci),
    stop=8,
    zoom=((-0.5, 3.5), (-0.8, 1.8)),
    claims=(
        _claim("At the start −g points straight at the minimum (0° between them).", _angle_to_minimum,
               _between(0, 1e-6), fmt_deg),
        _claim("The bowl's curvature is 1 in every direction, so lr 1 is one over the curvature "
               "(λmax along gradient descent's path).",
               lambda r: float(diagnostics.max_eigenvalue(r.main.surface.hess(r[0].xy)).max()), _equals(1.0)),
        _claim("Gradient descent lands within 1e-6 in 1 step.", _steps(0), _equals(1), fmt_int),
        _claim("RMSprop needs 8.", _steps(1), _equals(8), fmt_int),
        _claim("Gradient descent's lr 1 is tuned: no more steps than the best of 64 learning rates in the "
               "60-step budget (steps / best).", _fair(0), _between(0, 1.0)),
        _claim("RMSprop's best of 64 learning rates needs 5 steps.", _best(1), _equals(5), fmt_int),
        _claim("RMSprop's lr 0.2 is within 2 times its tuned best (steps / best).", _fair(1), _between(0, 2.0)),
        _claim("Even tuned, RMSprop needs more steps than gradient descent (best RMSprop / best GD).",
               lambda r: tuned_steps(r.main, 1) / tuned_steps(r.main, 0), lambda v: v > 1.0),
        _claim("Gradient descent's steps are 0° from −g (largest angle, rounding only).",
               lambda r: float(np.nanmax(angles(r[0]))), _between(0, 1e-5), fmt_deg),
        _claim("RMSprop's average of squared gradients starts at 0: after one step it is (1 − α)·g², "
               "α = 0.99 (v / g², x).", lambda r: float(r[1].state["v"][0, 0] / r[1].grad_used[0, 0] ** 2),
               _near(0.01, 1e-12)),
        _claim("So its first step is 10·lr = 2 long in x (|Δx| / lr) ...",
               lambda r: abs(float(r[1].step[0, 0])) / r[1].hparams["lr"], _near(10.0, 1e-6)),
        _claim("... and 2 long in y (|Δy|).", lambda r: abs(float(r[1].step[0, 1])), _near(2.0, 1e-6)),
        _claim("RMSprop's first step is 18.4° off −g.", lambda r: float(angles(r[1])[0]), _near(18.4, 0.05),
               fmt_deg),
        _claim("The tilt fades as it arrives: RMSprop's step at step 7 is under 7° off −g.",
               lambda r: float(angles(r[1])[7]), _between(0, 7.0), fmt_deg),
    ),
)


# Question 3: a learning rate too large.
def _sharpness_off(index: int, value: float):
    """Largest distance of run ``index``'s lr·λmax from ``value`` over its steps."""
    def measure(runs: Runs) -> float:
        return float(np.abs(diagnostics.sharpness(runs[index], runs.main.surface) - value).max())

    return measure


def _floor_factor(index: int, upto: int = 60):
    """The factor run ``index``'s distance to the floor (|y|) changes by per step."""
    def measure(runs: Runs) -> float:
        return _ratio_median(runs[index].xy[:upto, 1])

    return measure


LR_TOO_LARGE = Lesson(
    key="lr-too-large",
    title="Past lr·λmax = 2 every zig-zag is bigger than the last",
    question="What does a too-large learning rate look like?",
    answer=(
        "Across the ravine the curvature is λmax = 1 and gradient descent multiplies the distance to the floor "
        "by 1 − lr each step. "
        "At lr 0.5 it slides to the floor without crossing it; at 1.9 it overshoots and each zig-zag is 0.9 "
        "times the last; at 2.1, past lr·λmax = 2, each is 1.1 times the last and the run diverges at step 66."
    ),
    look=(
        "The lr·λmax chart holds the three runs at 0.5, 1.9 and 2.1 against the line at 2. "
        "Paused at step 10, the three runs are 0.002, 0.70 and 5.19 from the floor, the last one still on the "
        "plot and growing."
    ),
    state={
        "surface": _ALIGNED,
        "runs": [_run("gd", lr=0.5), _run("gd", lr=1.9), _run("gd", lr=2.1)],
        "start": [-8.0, 2.0],
        "steps": 80,
        "show": ["sharpness"],
        "view": "overlay",
    },
    live=LiveNumber(label="distance from the ravine floor |y|", compute=live_abs_y, fmt=fmt_num),
    stop=10,
    zoom=((-8.5, 0.5), (-6.0, 6.0)),
    claims=(
        _claim("Across the ravine the curvature is λmax = 1 at every point of every path (largest distance "
               "from 1).",
               lambda r: float(max(abs(diagnostics.max_eigenvalue(r.main.surface.hess(t.xy)) - 1).max()
                                   for t in r.main.trajectories)), _between(0, 1e-12)),
    ) + tuple(
        _claim(f"Run {i + 1}: lr·λmax is {lr} at every step (largest distance from {lr}).",
               _sharpness_off(i, lr), _between(0, 1e-12), lambda v: f"{v:.1e}")
        for i, lr in enumerate((0.5, 1.9, 2.1))
    ) + tuple(
        _claim(f"Run {i + 1} (lr {lr}): the distance to the floor is |1 − lr| = {factor} times the last each "
               "step.", _floor_factor(i), _near(factor, 1e-6))
        for i, (lr, factor) in enumerate(((0.5, 0.5), (1.9, 0.9), (2.1, 1.1)))
    ) + (
        _claim("lr 0.5 never crosses the floor (sign changes of y).",
               lambda r: float(_sign_flips(r[0].xy[:, 1])), _equals(0), fmt_int),
        _claim("lr 1.9 crosses it at every step (sign changes of y in 80 steps).",
               lambda r: float(_sign_flips(r[1].xy[:, 1])), _equals(80), fmt_int),
        _claim("lr 2.1 diverges at step 66.", lambda r: float(r[2].diverged_at or math.nan), _equals(66),
               fmt_int),
        _claim("At step 10 the runs are 0.002 from the floor ...",
               lambda r: abs(_frame(r[0].xy[:, 1], 10)), _near(0.002, 0.0001)),
        _claim("... 0.70 ...", lambda r: abs(_frame(r[1].xy[:, 1], 10)), _near(0.70, 0.005)),
        _claim("... and 5.19.", lambda r: abs(_frame(r[2].xy[:, 1], 10)), _near(5.19, 0.005)),
        _claim("Up to step 10 the lr 2.1 run stays on the zoomed plot (largest |y|, the plot's edge at 6).",
               lambda r: float(np.abs(r[2].xy[:11, 1]).max()), lambda v: v < 6.0),
    ),
)


# Question 3: a saddle whose way out is flat.
_FLAT_SADDLE = {"key": "custom", "params": {"expression": "x^2 - 0.01*y^2",
                                             "xmin": -2.0, "xmax": 2.0, "ymin": -3.0, "ymax": 3.0}}
_ESCAPED = -0.04  # f below -0.04: |y| at least 2 on the line x = 0


def _step_lengths(index: int, stat: Callable, upto: int = 42):
    def measure(runs: Runs) -> float:
        return float(stat(np.linalg.norm(runs[index].step[:upto], axis=1)))

    return measure


SADDLE_ESCAPE = Lesson(
    key="saddle-escape",
    title="Adam walks off a flat saddle where gradient descent crawls",
    question="Why can Adam leave a saddle where gradient descent crawls?",
    answer=(
        "Gradient descent's step is lr times the gradient, and the way out of this saddle is flat: along y the "
        "gradient is only −0.02·y, so |y| grows only 1.9% a step, and lr must stay below 1 because the steep x "
        "(curvature 2) would diverge. "
        "Adam divides each coordinate by its own gradient size, so it moves 0.04 to 0.07 along y every step "
        "from the first, about lr = 0.05."
    ),
    look=(
        "Both start 0.01 from the line y = 0 (the banner's number). "
        "Gradient descent's step arrow is always 0.97 times its −g arrow, while Adam's stays 0.065 to 0.072 long "
        "as its −g arrow shrinks from 3.6 to 0.32. "
        "Paused at step 42, Adam is 2.43 away and below loss −0.04; gradient descent, tuned to lr 0.97 "
        "(lr·λmax = 1.94), is 0.022 away and gets there at step 276."
    ),
    state={
        "surface": _FLAT_SADDLE,
        "runs": [_run("gd", lr=0.97), _run("adam", lr=0.05)],
        "start": [-1.8, 0.01],
        "steps": 400,
        "show": ["grad", "step"],
        "view": "overlay",
    },
    live=LiveNumber(label="distance from the line y = 0", compute=live_abs_y, fmt=fmt_num),
    stop=42,
    zoom=((-2.0, 2.0), (-0.5, 2.7)),
    claims=(
        _claim("Adam gets below loss −0.04 at step 42.", _steps(1, _ESCAPED), _equals(42), fmt_int),
        _claim("Gradient descent gets there at step 276.", _steps(0, _ESCAPED), _equals(276), fmt_int),
        _claim("Gradient descent's lr 0.97 is tuned: within 1.05 times the best of 64 learning rates in the "
               "400-step budget (steps / best).", _fair(0, _ESCAPED), _between(0, 1.05)),
        _claim("Adam is not tuned in its favour: its best learning rate needs fewer steps than lr 0.05 "
               "(best steps).", _best(1, _ESCAPED), lambda v: v < 42, fmt_int),
        _claim("Along y the gradient is −0.02·y: the way out is flat (g_y / y at the start).",
               lambda r: float(r[0].grad[0, 1] / r[0].xy[0, 1]), _near(-0.02, 1e-12)),
        _claim("The steep x has curvature λmax = 2, so lr·λmax < 2 needs lr below 1 (λmax).",
               lambda r: float(diagnostics.max_eigenvalue(r.main.surface.hess(r[0].xy)).max()), _equals(2.0)),
        _claim("Gradient descent's lr·λmax is 1.94.",
               lambda r: float(np.median(diagnostics.sharpness(r[0], r.main.surface))), _near(1.94, 1e-9)),
        _claim("Gradient descent's |y| grows 1.9% a step (factor per step).",
               lambda r: _ratio_median(r[0].xy[:, 1]), _near(1.019, 0.0005), lambda v: f"{v:.4f}"),
        _claim("Gradient descent's step is always 0.97 times −g (largest minus smallest |step| / |g| is 0) ...",
               lambda r: float(np.ptp(np.linalg.norm(r[0].step, axis=1) / np.linalg.norm(r[0].grad_used, axis=1))),
               _between(0, 1e-9), lambda v: f"{v:.1e}"),
        _claim("... (|step| / |g|).",
               lambda r: float(np.median(np.linalg.norm(r[0].step, axis=1) / np.linalg.norm(r[0].grad_used, axis=1))),
               _near(0.97, 1e-9)),
        _claim("Adam's step is at least 0.065 long over its first 42 steps ...", _step_lengths(1, np.min),
               lambda v: v >= 0.065),
        _claim("... and at most 0.072.", _step_lengths(1, np.max), lambda v: v < 0.0725),
        _claim("Meanwhile its −g arrow shrinks from 3.6 ...", lambda r: float(np.linalg.norm(r[1].grad_used[0])),
               _near(3.6, 1e-6)),
        _claim("... to 0.32 (|g| at step 41).", lambda r: float(np.linalg.norm(r[1].grad_used[41])),
               _near(0.32, 0.005)),
        _claim("Adam moves 0.04 to 0.07 along y every step over its first 42 steps (smallest |Δy|) ...",
               lambda r: float(np.abs(r[1].step[:42, 1]).min()), lambda v: v >= 0.04),
        _claim("... (largest |Δy|) ...", lambda r: float(np.abs(r[1].step[:42, 1]).max()), lambda v: v <= 0.07),
        _claim("... about lr = 0.05 (its first y-step).", lambda r: float(r[1].step[0, 1]), _near(0.05, 1e-4)),
        _claim("Both start 0.01 from y = 0.", lambda r: float(max(abs(r[0].xy[0, 1]), abs(r[1].xy[0, 1]))),
               _equals(0.01)),
        _claim("At step 42 Adam is 2.43 from y = 0.", lambda r: abs(_frame(r[1].xy[:, 1], 42)),
               _near(2.43, 0.005)),
        _claim("At step 42 gradient descent is 0.022 from y = 0.", lambda r: abs(_frame(r[0].xy[:, 1], 42)),
               _near(0.022, 0.0005)),
    ),
)


LESSONS: tuple[Lesson, ...] = (
    MOMENTUM_RAVINE,
    RESCALING_DOWNHILL,
    ALIGNED_VS_ROTATED,
    ROUND_BOWL,
    LR_TOO_LARGE,
    SADDLE_ESCAPE,
)
LESSON_KEYS = tuple(lesson.key for lesson in LESSONS)
_BY_KEY = {lesson.key: lesson for lesson in LESSONS}

ALIASES = {"adaptive-aligned": "aligned-vs-rotated", "adaptive-rotated": "aligned-vs-rotated"}
"""Keys of retired lessons that old links still carry, and the lesson they open now."""

DEFAULT_LESSON = MOMENTUM_RAVINE.key
"""The first screen: gradient descent against momentum in a ravine, both tuned; momentum wins."""

HOW_TO_READ = (
    "The circle is where every run starts; the star is the minimum.",
    "Each run's faint line is its whole path; the bold line is the part travelled so far.",
    "The player under the plot plays, pauses and steps; a lesson pauses where its number makes the point.",
)


def get(key: str) -> Lesson:
    """The lesson ``key`` (or a retired key's successor); ``ValueError`` if unknown."""
    lesson = _BY_KEY.get(ALIASES.get(key, key)) if isinstance(key, str) else None
    if lesson is None:
        raise ValueError(f"Unknown lesson {key!r}; expected one of: {', '.join(LESSON_KEYS)}")
    return lesson


# ------------------------------------------------------------------ running a lesson


def panel_states(lesson: Lesson) -> list[dict]:
    """The validated app state of each panel: the main one, then the compare one.

    ``ValueError`` if the app would refuse any part of the lesson's state (a lesson
    must load without a message)."""
    base = {k: v for k, v in lesson.state.items() if k != "compare"}
    raws = [base]
    if lesson.state.get("compare"):
        surface = base["surface"]
        raws.append({**base, "surface": {"key": surface["key"],
                                         "params": {**surface.get("params", {}), **lesson.state["compare"]}}})
    states = []
    for raw in raws:
        state, errors = validate_state(raw)
        if errors:
            raise ValueError(f"Lesson {lesson.key}: " + " ".join(errors))
        states.append(state)
    return states


def _panel(state: dict) -> Panel:
    surface = get_surface(state["surface"]["key"], state["surface"]["params"])
    trajectories = tuple(
        optimizers.run(run["optimizer"], surface, state["start"], state["steps"],
                       noise=state["noise"], seed=state["seed"], **run["hparams"])
        for run in state["runs"]
    )
    return Panel(state=state, surface=surface, trajectories=trajectories)


@lru_cache(maxsize=len(LESSONS) + 4)
def _simulate(key: str) -> Runs:
    panels = [_panel(state) for state in panel_states(get(key))]
    return Runs(main=panels[0], compare=panels[1] if len(panels) > 1 else None)


def simulate(lesson: Lesson) -> Runs:
    """The engine's trajectories of the lesson's set-up, as the app runs them (cached
    for the registered lessons)."""
    if _BY_KEY.get(lesson.key) is lesson:
        return _simulate(lesson.key)
    panels = [_panel(state) for state in panel_states(lesson)]
    return Runs(main=panels[0], compare=panels[1] if len(panels) > 1 else None)


def check(lesson: Lesson) -> list[tuple[str, bool, float]]:
    """Every claim of ``lesson`` measured: ``(text, holds, value)`` in order."""
    runs = simulate(lesson)
    out = []
    for claim in lesson.claims:
        value = float(claim.measure(runs))
        out.append((claim.text, bool(claim.holds(value)), value))
    return out


_NUMBER = re.compile(r"(?<![\w.])[−-]?\d+(?:\.\d+)?(?:e[−-]?\d+)?")


def numbers_in(text: str) -> set[str]:
    """The numbers a text states ("1e-6", "0.13", "−0.04"), minus signs normalised."""
    return {m.replace("−", "-") for m in _NUMBER.findall(text)}
