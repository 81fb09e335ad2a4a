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
from descent_lab.optimizers import diagnostics, flows, stability, sweeps, theory
from descent_lab.optimizers.edges import roots
from descent_lab.surfaces import online
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


# Each optimizer's own stability edge, on the ravine whose steep curvature is 1.
def live_edge_share(trajectories, surface) -> list[np.ndarray]:
    """Each update's effective sharpness over the run's own edge (NaN without one)."""
    out = []
    for t in trajectories:
        r = stability.report(t, surface)
        share = r.value / r.limit if r.known else np.full(t.steps, np.nan)
        out.append(_pad(share, len(t.xy)))
    return out


def _edge_of(index: int):
    def measure(runs: Runs) -> float:
        limit = stability.edge_limit(runs[index])
        return math.nan if limit is None else float(limit)

    return measure


def _sharpness_minus_lr(runs: Runs) -> float:
    """Largest distance of any run's effective sharpness from its lr (curvature 1)."""
    return float(max(np.abs(stability.effective_sharpness(t, runs.main.surface) - t.hparams["lr"]).max()
                     for t in runs.main.trajectories))


OWN_EDGE = Lesson(
    key="own-edge",
    title="Every optimizer has its own edge of stability",
    question="Is lr·λmax < 2 the limit for every optimizer?",
    answer=(
        "No: 2 is gradient descent's edge. "
        "Heavy-ball momentum is stable up to lr·λ = 2(1 + μ), 3.2 at μ = 0.6, and Nesterov's look-ahead only up "
        "to 2(1 + μ)/(1 + 2μ) = 1.45, below gradient descent's 2."
    ),
    look=(
        "The stability edge chart draws each run's effective sharpness (here its lr, as the steep curvature is 1) "
        "against its own dashed edge. "
        "Gradient descent at 1.9 zig-zags in, each swing 0.9 times the last; momentum at 3.0, far past 2, rings "
        "and reaches 1e-6 at step 33, before gradient descent's 74. "
        "Nesterov at 1.5, over its 1.45, swings 1.08 times wider each step and diverges at step 80."
    ),
    state={
        "surface": _ALIGNED,
        "runs": [_run("gd", lr=1.9), _run("momentum", lr=3.0, momentum=0.6), _run("nesterov", lr=1.5, momentum=0.6)],
        "start": [-8.0, 2.0],
        "steps": 120,
        "show": ["edge"],
        "view": "overlay",
    },
    live=LiveNumber(label="effective sharpness as a share of its own edge", compute=live_edge_share, fmt=fmt_pct),
    stop=14,
    zoom=((-8.5, 1.5), (-8.0, 8.0)),
    claims=(
        _claim("The ravine's steep curvature is λmax = 1 at every point of every path (largest distance from 1).",
               lambda r: float(max(abs(diagnostics.max_eigenvalue(r.main.surface.hess(t.xy)) - 1).max()
                                   for t in r.main.trajectories)), _between(0, 1e-12), lambda v: f"{v:.1e}"),
        _claim("So each run's effective sharpness is its lr at every step: 1.9, 3.0 and 1.5 (largest distance).",
               _sharpness_minus_lr, _between(0, 1e-12), lambda v: f"{v:.1e}"),
        _claim("Gradient descent's edge is 2.", _edge_of(0), _equals(2.0)),
        _claim("Heavy-ball momentum's edge is 2(1 + μ) = 3.2 at μ = 0.6.", _edge_of(1), _near(3.2, 1e-12)),
        _claim("Nesterov's is 2(1 + μ)/(1 + 2μ) = 1.45 at μ = 0.6 (16/11), below gradient descent's 2.",
               _edge_of(2), _near(16 / 11, 1e-12), lambda v: f"{v:.4f}"),
        _claim("Gradient descent at 1.9 zig-zags in: each swing is 0.9 times the last (|y| per step).",
               _floor_factor(0), _near(0.9, 1e-6)),
        _claim("Gradient descent reaches 1e-6 at step 74.", _steps(0), _equals(74), fmt_int),
        _claim("Momentum at 3.0, far past 2, reaches 1e-6 at step 33.", _steps(1), _equals(33), fmt_int),
        _claim("Momentum rings: at 3.0 the roots of its step are complex (their imaginary part).",
               lambda r: abs(roots(3.0, runs_model(r, 1))[0].imag), lambda v: v > 0.1),
        _claim("Nesterov's effective sharpness 1.5 is over its edge 1.45 at every step (smallest margin).",
               lambda r: float(np.min(stability.effective_sharpness(r[2], r.main.surface) - stability.edge_limit(r[2]))),
               lambda v: v > 0),
        _claim("Nesterov swings 1.08 times wider each step (|y| per step, median).", _floor_factor(2),
               _near(1.08, 0.005), lambda v: f"{v:.3f}"),
        _claim("Nesterov diverges at step 80.", lambda r: float(r[2].diverged_at or math.nan), _equals(80), fmt_int),
        _claim("Up to the pause the Nesterov run stays on the zoomed plot (largest |y|, the plot's edge at 8).",
               lambda r: float(np.abs(r[2].xy[:15, 1]).max()), lambda v: v < 8.0),
    ),
)


def runs_model(runs: Runs, index: int):
    """The recurrence of run ``index``'s step (its spec's edge model)."""
    traj = runs[index]
    return optimizers.REGISTRY[traj.key].edge.model(traj.hparams)


# The edge of stability in two dimensions, and the central flow that predicts it.
_EOS = {"key": "edge_of_stability", "params": {"c": 0.01}}


def live_sharpness(trajectories, surface) -> list[np.ndarray]:
    """λmax of the Hessian at each frame."""
    return [diagnostics.max_eigenvalue(surface.hess(t.xy)) for t in trajectories]


def _sharp(runs: Runs) -> np.ndarray:
    return diagnostics.max_eigenvalue(runs.main.surface.hess(runs[0].xy))


def _at_edge(runs: Runs) -> int:
    """The first frame whose sharpness reaches 2/lr."""
    return int(np.argmax(_sharp(runs) >= 2.0 / runs[0].hparams["lr"]))


LESSONS_WITH_FLOWS = ("edge-of-stability",)


@lru_cache(maxsize=4)
def _lesson_flows(key: str) -> flows.Flows:
    runs = _simulate(key)
    return flows.describe(runs[0], runs.main.surface, optimizers.REGISTRY[runs[0].key])


def _eos_flows(runs: Runs) -> flows.Flows:
    """The first run's flows: computed once for a registered lesson's own runs (about
    0.2 s each), afresh for any other set-up."""
    for key in LESSONS_WITH_FLOWS:
        if runs is _simulate(key):
            return _lesson_flows(key)
    return flows.describe(runs[0], runs.main.surface, optimizers.REGISTRY[runs[0].key])


EDGE_OF_STABILITY = Lesson(
    key="edge-of-stability",
    title="At the edge of stability gradient descent follows the central flow",
    question="What does gradient descent do when the surface grows too sharp for its learning rate?",
    answer=(
        "It does not diverge. "
        "Here the curvature across, 1 + x², grows as the pull moves x on; once it reaches 2/lr = 20 gradient "
        "descent leaves the gradient flow and hovers at that edge, oscillating across. "
        "The central flow (Cohen et al.) predicts where: it stops at x = √19 = 4.36, where the oscillation, "
        "of RMS σ = 0.0479, pushes back as hard as the pull."
    ),
    look=(
        "With the flows on the contour, the gradient flow (dotted) sharpens on to x = 5.2 by step 1200, while the "
        "run reaches the edge at step 367, six steps after its central flow (dashed), and hovers with it: from "
        "then on its mean x is 4.354 and the stability edge chart holds its ηλmax at 2 (mean sharpness 19.98). "
        "The bar on the central flow is the oscillation it predicts, ±0.0479; the run's, measured, is 0.0448, "
        "with a gradient noise of 1e-5 that keeps y from decaying to exactly 0."
    ),
    state={
        "surface": _EOS,
        "runs": [_run("gd", lr=0.1)],
        "start": [4.0, 0.1],
        "steps": 1200,
        "noise": 1e-5,
        "seed": 0,
        "show": ["flows", "edge"],
        "view": "overlay",
    },
    live=LiveNumber(label="sharpness λmax(H), against the edge 2/lr", compute=live_sharpness, fmt=fmt_num),
    stop=600,
    zoom=((3.95, 4.7), (-0.3, 0.3)),
    claims=(
        _claim("The curvature across is 1 + x² on y = 0: λmax at (4.36, 0) is 1 + 4.36² (√19 = 4.36 gives 20).",
               lambda r: float(diagnostics.max_eigenvalue(r.main.surface.hess(np.array([math.sqrt(19), 0.0])))),
               _near(20.0, 1e-9)),
        _claim("The learning rate is 0.1, so the edge 2/lr is 20.", lambda r: 2.0 / r[0].hparams["lr"], _near(20.0, 1e-12)),
        _claim("Gradient descent reaches the edge at step 367 (first frame with λmax ≥ 20).", _at_edge, _equals(367),
               fmt_int),
        _claim("Its central flow reaches it six steps earlier, at step 361.",
               lambda r: float(np.argmax(_eos_flows(r).central.sigma > 0)), _equals(361), fmt_int),
        _claim("It does not diverge: all 1200 steps run.", lambda r: float(r[0].steps), _equals(1200), fmt_int),
        _claim("From the edge on its mean sharpness is 19.98 ...",
               lambda r: float(_sharp(r)[_at_edge(r):].mean()), _near(19.98, 0.005), lambda v: f"{v:.2f}"),
        _claim("... its ηλmax (lr times it) is at 2 on median ...",
               lambda r: float(np.median(stability.effective_sharpness(r[0], r.main.surface)[_at_edge(r):])),
               _near(2.0, 0.01)),
        _claim("... and its mean x is 4.354.", lambda r: float(r[0].xy[_at_edge(r):, 0].mean()), _near(4.354, 5e-4),
               lambda v: f"{v:.4f}"),
        _claim("The central flow stops at x = √19 = 4.36 (its x at step 1200).",
               lambda r: float(_eos_flows(r).central.xy[-1, 0]), _near(math.sqrt(19), 1e-4), lambda v: f"{v:.5f}"),
        _claim("It predicts an oscillation of RMS σ = 0.0479 across: σ² = c/x = 0.01/√19 at the edge.",
               lambda r: flows.oscillation(r[0], _eos_flows(r).central)[0], _near(0.0479, 5e-5),
               lambda v: f"{v:.5f}"),
        _claim("The run's oscillation about the central flow along the top eigenvector is 0.0448 (RMS).",
               lambda r: flows.oscillation(r[0], _eos_flows(r).central)[1], _near(0.0448, 5e-4),
               lambda v: f"{v:.4f}"),
        _claim("The gradient flow sharpens on to x = 5.2 by step 1200.",
               lambda r: float(_eos_flows(r).gradient.xy[-1, 0]), _near(5.2, 0.005)),
        _claim("The gradient noise is 1e-5 (the run's σ).", lambda r: float(r[0].noise), _equals(1e-5), fmt_sci),
    ),
)


# Theory beside measurement: rates on a quadratic, to the fifth digit.
_VALLEY50 = {"key": "valley", "params": {"condition": 50.0, "angle": 0.0}}
_GD_BEST_LR, _GD_BEST_RATE = theory.gd_optimal([0.02, 1.0])
_HB_BEST_LR, _HB_BEST_MU, _HB_BEST_RATE = theory.heavy_ball_optimal([0.02, 1.0])


def live_distance(trajectories, surface) -> list[np.ndarray]:
    return [surface.distance_to_minimum(t.xy) for t in trajectories]


def _row(index: int, what: str):
    """The theory panel's row ``what`` for run ``index`` (its start, as the panel words it)."""
    def find(runs: Runs):
        traj = runs[index]
        rows = theory.compare(traj, runs.main.surface, optimizers.REGISTRY[traj.key])
        return next(r for r in rows if r.what.startswith(what))

    return find


def _predicted(index: int, what: str):
    return lambda r: float(_row(index, what)(r).predicted)


def _measured(index: int, what: str):
    return lambda r: float(_row(index, what)(r).measured)


THEORY_RATES = Lesson(
    key="theory-rates",
    title="Theory predicts the rate, to the fifth digit",
    question="How fast should gradient descent and momentum converge in a ravine, and do they?",
    answer=(
        "On a quadratic every direction's distance follows a linear recurrence, so the rate is a closed form. "
        "On this κ = 50 ravine gradient descent at its best step 2/(λ1 + λn) = 1.96 shrinks its distance by "
        "(κ − 1)/(κ + 1) = 0.96078 a step, and Polyak's heavy ball at its best lr 3.07 and momentum 0.566 by "
        "(√κ − 1)/(√κ + 1) = 0.7522."
    ),
    look=(
        "The theory panel lays each formula beside the run: gradient descent measures 0.96078. "
        "Heavy ball measures 0.7654, 1.8% slower, because its best settings give a repeated root, so its distance "
        "falls like (a + bk)ρ^k; with the factor k taken out it measures 0.7543. "
        "Heavy ball reaches 1e-6 at step 41, gradient descent at step 185."
    ),
    state={
        "surface": _VALLEY50,
        "runs": [_run("gd", lr=_GD_BEST_LR), _run("momentum", lr=_HB_BEST_LR, momentum=_HB_BEST_MU)],
        "start": [-8.0, 2.0],
        "steps": 400,
        "show": ["theory"],
        "view": "overlay",
    },
    live=LiveNumber(label="distance to the minimum", compute=live_distance, fmt=fmt_num),
    stop=41,
    zoom=((-8.5, 1.0), (-5.5, 5.5)),
    claims=(
        _claim("The ravine's curvatures are λ1 = 1 and λn = 0.02: κ = 50 (the theory panel's κ).",
               lambda r: float(theory.quadratic(r.main.surface).kappa), _near(50.0, 1e-9)),
        _claim("Gradient descent's best step is 2/(λ1 + λn) = 1.96, its lr here.",
               lambda r: r[0].hparams["lr"], _near(2 / 1.02, 1e-15), lambda v: f"{v:.6f}"),
        _claim("Theory: gradient descent's rate is (κ − 1)/(κ + 1) = 0.96078.",
               _predicted(0, "rate per step"), _near(49 / 51, 1e-12), lambda v: f"{v:.6f}"),
        _claim("Measured on the run: 0.96078 (factor per step of the distance to the minimum).",
               _measured(0, "rate per step"), _near(49 / 51, 5e-6), lambda v: f"{v:.6f}"),
        _claim("Polyak's best heavy ball: lr 4/(√λ1 + √λn)² = 3.07 ...", lambda r: r[1].hparams["lr"],
               _near(3.0702, 1e-4)),
        _claim("... and momentum ((√κ − 1)/(√κ + 1))² = 0.566.", lambda r: r[1].hparams["momentum"],
               _near(0.5658, 1e-4)),
        _claim("Theory: its rate is (√κ − 1)/(√κ + 1) = 0.7522.", _predicted(1, "rate per step"),
               _near(0.7522, 5e-5), lambda v: f"{v:.5f}"),
        _claim("Measured: 0.7654 ...", _measured(1, "rate per step"), _near(0.7654, 5e-5), lambda v: f"{v:.5f}"),
        _claim("... 1.8% slower than theory (measured / theory − 1).",
               lambda r: _measured(1, "rate per step")(r) / _predicted(1, "rate per step")(r) - 1,
               _near(0.018, 0.0005), fmt_pct),
        _claim("Its best settings give a repeated root at both ends of the spectrum (largest gap between roots).",
               lambda r: float(max(abs(np.subtract(*roots(a, runs_model(r, 1))))
                                   for a in r[1].hparams["lr"] * np.array([0.02, 1.0]))),
               _between(0, 1e-6), lambda v: f"{v:.1e}"),
        _claim("With the factor k of (a + bk)ρ^k taken out, heavy ball measures 0.7543.",
               _measured(1, "the same, with the repeated root"), _near(0.7543, 5e-5), lambda v: f"{v:.5f}"),
        _claim("Heavy ball reaches 1e-6 at step 41.", _steps(1), _equals(41), fmt_int),
        _claim("Gradient descent reaches 1e-6 at step 185.", _steps(0), _equals(185), fmt_int),
    ),
)


# Real data: minibatch noise shaped like the ravine.
_TIPS8 = {"key": "tips_linear", "params": {"batch": 8}}


def _cloud_at(point: str, count: int = 4000):
    """Gradients of ``count`` fresh minibatches at the minimum or at the start (main panel)."""
    def sample(runs: Runs) -> np.ndarray:
        s = runs.main.surface
        w = np.asarray(s.minimizers[0] if point == "minimum" else runs[0].xy[0], dtype=float)
        return s.stochastic.cloud(w[None], seed=0, count=count)[0]

    return sample


def _noise_axes(runs: Runs) -> tuple[np.ndarray, np.ndarray]:
    """(eigenvalues, eigenvectors) of the minibatch gradients' covariance at the minimum."""
    return np.linalg.eigh(np.cov(_cloud_at("minimum")(runs).T))


def _steep_direction(runs: Runs) -> np.ndarray:
    s = runs.main.surface
    return np.linalg.eigh(s.hess(np.asarray(s.minimizers[0])))[1][:, 1]


def _batch_minimizer_distance(runs: Runs) -> float:
    s, traj = runs.main.surface, runs[0]
    rows = s.stochastic.batches(traj.seed, traj.steps)
    w = s.stochastic.batch_minimizer(rows)
    return float(np.nanmedian(np.linalg.norm(w - np.asarray(s.minimizers[0]), axis=1)))


MINIBATCH_NOISE = Lesson(
    key="minibatch-noise",
    title="Minibatch noise is the data's own, shaped like the ravine",
    question="Is a minibatch gradient just the full gradient plus some random noise?",
    answer=(
        "No: it is the gradient of the minibatch's own loss, whose minimum sits elsewhere; on these 244 meals "
        "batches of 8 put theirs 0.92 from the full minimum on median. "
        "So the noise is shaped like the ravine, 64 times stronger along its steep direction (6° from it) than "
        "across, and it does not vanish at the minimum, where the full gradient does."
    ),
    look=(
        "With the minibatches drawn on the contour, the dots show where steps with other minibatches would land: "
        "at the minimum their gradients still have an RMS size of 1.1, and at the start they spread 3.0 times as "
        "wide. "
        "Gradient descent at lr 0.15 reaches 1e-6 at step 287 with the full batch (right), while with batches of 8 "
        "it never does: over its last 200 steps its loss stays 0.09 above the minimum on average."
    ),
    state={
        "surface": _TIPS8,
        "compare": {"batch": 244},
        "runs": [_run("gd", lr=0.15)],
        "start": [3.5, 2.5],
        "steps": 400,
        "seed": 0,
        "show": ["batch"],
        "view": "overlay",
    },
    live=LiveNumber(label="loss above the minimum", compute=live_gap, fmt=fmt_sci),
    stop=150,
    zoom=((0.4, 3.8), (0.0, 2.8)),
    claims=(
        _claim("The data set has 244 meals ...", lambda r: float(r.main.surface.stochastic.size), _equals(244), fmt_int),
        _claim("... sampled in batches of 8 (the compared panel: all 244).",
               lambda r: float(r.main.surface.stochastic.batch), _equals(8), fmt_int),
        _claim("The minibatches' own minima lie 0.92 from the full minimum on median (over the run's batches).",
               _batch_minimizer_distance, _near(0.92, 0.005)),
        _claim("At the minimum the full gradient is 0 (its size) ...",
               lambda r: float(np.linalg.norm(r.main.surface.grad(np.asarray(r.main.surface.minimizers[0])))),
               _between(0, 1e-9), lambda v: f"{v:.1e}"),
        _claim("... but minibatch gradients average 0 with an RMS size of 1.1 there (4000 batches).",
               lambda r: float(np.sqrt(np.mean(np.sum(_cloud_at("minimum")(r) ** 2, axis=1)))), _near(1.1, 0.02)),
        _claim("Their spread is 64 times larger along one axis than across it (covariance eigenvalues' ratio).",
               lambda r: float(_noise_axes(r)[0][1] / _noise_axes(r)[0][0]), _near(64.0, 2.0)),
        _claim("That axis is the ravine's steep direction, 6° from it (the Hessian's top eigenvector).",
               lambda r: float(np.degrees(np.arccos(abs(_noise_axes(r)[1][:, 1] @ _steep_direction(r))))),
               _near(6.0, 0.5), fmt_deg),
        _claim("At the start they spread 3.0 times as wide as at the minimum (RMS distance from the mean).",
               lambda r: float(np.sqrt(np.trace(np.cov(_cloud_at("start")(r).T)) /
                                       np.trace(np.cov(_cloud_at("minimum")(r).T)))), _near(3.0, 0.05)),
        _claim("With the full batch, gradient descent at lr 0.15 reaches 1e-6 at step 287.",
               _steps(0, panel="compare"), _equals(287), fmt_int),
        _claim("With batches of 8 it never does in 400 steps.", _steps(0), lambda v: v == math.inf, fmt_int),
        _claim("Over its last 200 steps its loss stays 0.09 above the minimum on average.",
               lambda r: float(np.mean(r[0].loss[-200:] - r.main.surface.min_value)), _near(0.09, 0.005)),
    ),
)


# Adam's known failure: the rare large gradient its v forgets.
_REDDI = {"key": "reddi", "params": {"c": 10.0}}
_REDDI_BETA2 = 1 / (1 + 10.0**2)


def live_divisor(trajectories, surface) -> list[np.ndarray]:
    """What each run divides its x-gradient by (lr / lr_eff: √v̂ + ε for Adam), per frame."""
    return [_pad(t.lr / t.lr_eff[:, 0], len(t.xy)) for t in trajectories]


def _cycle_drift(index: int):
    """Mean x-move per three-step cycle in units of lr, away from the box's ends."""
    def measure(runs: Runs) -> float:
        x, lr = runs[index].xy[:, 0], runs[index].hparams["lr"]
        d = x[3::3] - x[:-3:3]
        inside = (np.abs(x[:-3:3]) < 0.9) & (np.abs(x[3::3]) < 0.9)
        return float(np.mean(d[inside][10:]) / lr)

    return measure


def _divisor(index: int, k: int):
    return lambda r: float(r[index].lr[k] / r[index].lr_eff[k, 0])


def _first_at(index: int, test: Callable[[np.ndarray], np.ndarray]):
    def measure(runs: Runs) -> float:
        hit = np.flatnonzero(test(runs[index].xy[:, 0]))
        return float(hit[0]) if hit.size else math.inf

    return measure


ADAM_FORGETS = Lesson(
    key="adam-forgets",
    title="Adam forgets a rare large gradient and walks to the worst point",
    question="Can Adam converge to the wrong point even on a simple convex problem?",
    answer=(
        "Yes: in Reddi et al.'s example the gradient is 10 every third step and −1 otherwise, so on average the loss "
        "falls towards x = −1. "
        "With β1 = 0 and β2 = 1/(1 + C²) ≈ 0.0099, Adam's v forgets the 10 within two steps: it divides the 10 by "
        "9.95 but each −1 by about 1.00, and so moves 0.70·lr a cycle towards x = +1. "
        "AMSGrad keeps the largest v, divides everything by 9.95 and moves 0.80·lr a cycle towards −1."
    ),
    look=(
        "The effective-lr chart shows Adam's rate in x jumping 9.9-fold each cycle while AMSGrad's stays flat. "
        "Adam reaches x = +1 at step 429, the worst point of the box, and stays within 0.011 of it; AMSGrad is within "
        "0.01 of −1 from step 370 on."
    ),
    state={
        "surface": _REDDI,
        "runs": [_run("adam", lr=0.01, beta1=0.0, beta2=_REDDI_BETA2),
                 _run("amsgrad", lr=0.01, beta1=0.0, beta2=_REDDI_BETA2)],
        "start": [0.0, 0.6],
        "steps": 600,
        "show": ["lr"],
        "view": "overlay",
    },
    live=LiveNumber(label="what each divides its x-gradient by (√v̂ + ε)", compute=live_divisor, fmt=fmt_num),
    stop=430,
    zoom=((-1.05, 1.05), (-0.1, 0.7)),
    claims=(
        _claim("The gradient in x is 10 every third step and −1 otherwise (Adam's first six).",
               lambda r: float(np.all(r[0].grad_used[:6, 0] == [10, -1, -1, 10, -1, -1])), _equals(1.0), fmt_int),
        _claim("On average the loss falls towards x = −1: the average slope (C − 2)/3 is positive and the minimum "
               "is at −1.", lambda r: float(r.main.surface.minimizers[0][0]), _equals(-1.0)),
        _claim("Both runs have β1 = 0 ...", lambda r: float(max(t.hparams["beta1"] for t in r.main.trajectories)),
               _equals(0.0)),
        _claim("... and β2 = 1/(1 + C²) ≈ 0.0099.", lambda r: float(r[0].hparams["beta2"]), _near(1 / 101, 1e-15),
               lambda v: f"{v:.5f}"),
        _claim("Right after a 10 Adam divides it by 9.95 (its √v̂ + ε at step 300) ...", _divisor(0, 300),
               _near(9.95, 0.005)),
        _claim("... and two steps later the −1 by about 1.00.", _divisor(0, 302), _near(1.0, 0.005)),
        _claim("So Adam's rate in x jumps 9.9-fold each cycle (largest over smallest, steps 300 to 302).",
               lambda r: float(r[0].lr_eff[300:303, 0].max() / r[0].lr_eff[300:303, 0].min()), _near(9.9, 0.01)),
        _claim("AMSGrad's stays flat over the cycle (largest over smallest).",
               lambda r: float(r[1].lr_eff[300:303, 0].max() / r[1].lr_eff[300:303, 0].min()), _near(1.0, 1e-9)),
        _claim("AMSGrad divides everything by 9.95 (its √v̂ + ε at step 302).", _divisor(1, 302), _near(9.95, 0.005)),
        _claim("Adam moves 0.70·lr a cycle towards x = +1 (measured, away from the box's ends) ...", _cycle_drift(0),
               _near(0.70, 0.005)),
        _claim("... as the steady state of its v predicts (closed form, per lr).",
               lambda r: sum(online.cycle_steps(10.0, _REDDI_BETA2, False)), _near(0.70, 0.005)),
        _claim("AMSGrad moves 0.80·lr a cycle towards −1 (measured).", _cycle_drift(1), _near(-0.80, 0.005),
               lambda v: f"{v:.3f}"),
        _claim("Adam reaches x = +1 at step 429 ...", _first_at(0, lambda x: x >= 1.0), _equals(429), fmt_int),
        _claim("... and stays within 0.011 of it to the end (smallest x from then on).",
               lambda r: float(r[0].xy[429:, 0].min()), lambda v: 0.989 <= v < 1.0, lambda v: f"{v:.4f}"),
        _claim("x = +1 is the worst point of the box: the average loss is highest there (f at +1 minus f at −1).",
               lambda r: float(r.main.surface.f(np.array([1.0, 0.0])) - r.main.surface.f(np.array([-1.0, 0.0]))),
               lambda v: v > 0),
        _claim("AMSGrad is within 0.01 of −1 from step 370 on.",
               lambda r: float(np.flatnonzero(r[1].xy[:, 0] > -0.99)[-1] + 1), _equals(370), fmt_int),
    ),
)


# High dimensions, seen through a plane: the 2-D story again.
_ND = {"key": "quadratic_nd", "params": {"n": 200, "kappa": 100.0, "turn": 0.0}}
_ND_GRID = tuple(float(v) for v in np.logspace(-3, 0.5, 22))


@lru_cache(maxsize=8)
def _nd_best(optimizer: str, turn: float) -> float:
    """The learning rate of the grid whose run has the lowest loss at step 300 (n = 200)."""
    s = get_surface("quadratic_nd", {**_ND["params"], "turn": turn})
    losses = []
    for lr in _ND_GRID:
        t = optimizers.run(optimizer, s, (-2.0, 8.0), 300, lr=lr)
        losses.append(t.loss[-1] if t.status != "diverged" else math.inf)
    return _ND_GRID[int(np.argmin(losses))]


def _loss_at(index: int, k: int, panel: str = "main"):
    return lambda r: float(getattr(r, panel)[index].loss[k])


HIGH_DIMENSIONS = Lesson(
    key="high-dimensions",
    title="In 200 dimensions RMSprop still needs the ravine along an axis",
    question="Maybe the bad cases come from high-dimensional spaces?",
    answer=(
        "Dimension is not the culprit: in 200 dimensions the story is the 2-D one. "
        "Gradient descent does not see a rotation, and its loss after 300 steps is 2.4e-4 whether the eigenvectors "
        "lie on the axes or are turned; RMSprop's per-coordinate rescaling gets to 1.9e-5 when they lie on the "
        "axes and only to 0.24 when they are turned."
    ),
    look=(
        "The plot is the plane of the steepest and the flattest of the 200 directions; the loss chart is the whole "
        "loss. "
        "Aligned (left), RMSprop's path is near the plane's floor by step 40 (y = 0.087), while turned (right) it "
        "is at 8.95, above its start at 8; gradient descent's paths are the same in both."
    ),
    state={
        "surface": _ND,
        "compare": {"turn": 3.0},
        "runs": [_run("gd", lr=_ND_GRID[19]), _run("rmsprop", lr=_ND_GRID[13])],
        "start": [-2.0, 8.0],
        "steps": 300,
        "show": [],
        "view": "overlay",
    },
    live=LiveNumber(label="loss (all 200 dimensions)", compute=live_gap, fmt=fmt_sci),
    stop=40,
    zoom=((-2.5, 1.2), (-0.5, 9.5)),
    claims=(
        _claim("The quadratic has 200 dimensions (its own n), seen in a 2-D plane.",
               lambda r: float(r.main.surface.lifted.n), _equals(200), fmt_int),
        _claim("Gradient descent's lr is the best of 22 learning rates from 0.001 to 3.16 for the loss at step 300, "
               "aligned ...", lambda r: float(_nd_best("gd", 0.0) == r[0].hparams["lr"]), _equals(1.0), fmt_int),
        _claim("... and turned (the same: it does not see the rotation).",
               lambda r: float(_nd_best("gd", 3.0) == r[0].hparams["lr"]), _equals(1.0), fmt_int),
        _claim("RMSprop's lr is the best of the same grid aligned ...",
               lambda r: float(_nd_best("rmsprop", 0.0) == r[1].hparams["lr"]), _equals(1.0), fmt_int),
        _claim("... and turned.", lambda r: float(_nd_best("rmsprop", 3.0) == r[1].hparams["lr"]), _equals(1.0),
               fmt_int),
        _claim("Gradient descent's loss after 300 steps is 2.4e-4 aligned ...", _loss_at(0, 300),
               lambda v: 2.35e-4 <= v <= 2.45e-4, fmt_sci),
        _claim("... and the same turned (largest relative difference along the whole loss curve).",
               lambda r: float(np.max(np.abs(r.main[0].loss / r.compare[0].loss - 1))), _between(0, 1e-9),
               lambda v: f"{v:.1e}"),
        _claim("RMSprop's is 1.9e-5 aligned ...", _loss_at(1, 300), lambda v: 1.85e-5 <= v <= 1.95e-5, fmt_sci),
        _claim("... and 0.24 turned.", _loss_at(1, 300, "compare"), _near(0.24, 0.005)),
        _claim("Aligned, RMSprop's path is near the plane's floor by step 40 (y = 0.087).",
               lambda r: float(abs(r[1].xy[40, 1])), _near(0.087, 5e-4)),
        _claim("Turned, it is at 8.95 then (its y at step 40), above its start.",
               lambda r: float(r.compare[1].xy[40, 1]), _near(8.95, 0.005)),
        _claim("Both start at y = 8.", lambda r: float(min(r[1].xy[0, 1], r.compare[1].xy[0, 1])), _near(8.0, 1e-12)),
        _claim("Gradient descent's paths are the same in both panels (largest distance in the plane).",
               lambda r: float(np.abs(r.main[0].xy - r.compare[0].xy).max()), _between(0, 1e-6),
               lambda v: f"{v:.1e}"),
    ),
)


LESSONS: tuple[Lesson, ...] = (
    MOMENTUM_RAVINE,
    RESCALING_DOWNHILL,
    ALIGNED_VS_ROTATED,
    ROUND_BOWL,
    LR_TOO_LARGE,
    SADDLE_ESCAPE,
    OWN_EDGE,
    EDGE_OF_STABILITY,
    THEORY_RATES,
    MINIBATCH_NOISE,
    ADAM_FORGETS,
    HIGH_DIMENSIONS,
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
