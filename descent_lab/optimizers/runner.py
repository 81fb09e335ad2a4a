"""Run optimizers on a surface: one interactive run, or a batch of many.

``run`` drives one optimizer on Python floats (the fast path for a handful of
interactive runs) and records everything the app shows. ``run_batch`` drives the
same update rule on NumPy arrays for sweeps: many starts and/or hyperparameter
values at once. There is one copy of each rule (:mod:`optimizers.rules`); the two
paths differ only in the ``ops`` backend.

Nothing changes the dynamics silently: gradient noise and learning-rate schedules
are explicit arguments; there is no clipping and no projection. A run whose
iterate becomes non-finite or leaves a large box around the surface's bounds ends
as ``diverged`` (``diverged_at`` is the step that produced the bad iterate; the
recorded path stops at the last good one). No NumPy warnings escape.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from time import monotonic

import numpy as np

from .backend import ARRAY_LEAN, FLOAT
from .highdim import run_lifted
from .evaluations import COUNTS, evaluation_axis
from .schedules import learning_rates, never_rises, validate_schedule
from .specs import get

__all__ = ["Trajectory", "run", "run_batch", "replay", "MAX_STEPS", "MAX_BATCH_RUNS", "MAX_BATCH_WORK",
           "BudgetExceeded", "CHECK_EVERY", "BATCH_CHECK_EVERY", "check_deadline"]

MAX_STEPS = 10_000
"""Longest run accepted by :func:`run` and :func:`run_batch`."""
MAX_BATCH_RUNS = 100_000
"""Most runs in one :func:`run_batch` call."""
MAX_BATCH_WORK = 20_000_000
"""Most runs x steps in one :func:`run_batch` call (320 MB of positions)."""
MAX_NOISE = 1e6
BOX_FACTOR = 100.0
"""A run diverges when it leaves the bounds grown this many times around their centre."""

CHECK_EVERY = 256
""":func:`run` looks at its deadline before every block of this many steps (a few
microseconds of a block's ~1 ms: free)."""
BATCH_CHECK_EVERY = 16
""":func:`run_batch` looks at its deadline every this many steps (each step is a
whole vector of runs)."""

_STATUSES = ("max_steps", "converged", "diverged")


class BudgetExceeded(ValueError):
    """A computation passed its deadline and was stopped.

    ``done`` of ``total`` units (steps, or runs for a sweep) were completed; the
    message says the request took too long and what to reduce."""

    def __init__(self, what: str, done: int, total: int, reduce: str):
        self.what, self.done, self.total = what, int(done), int(total)
        super().__init__(
            f"This request took too long and was stopped ({what}: {self.done:,} of "
            f"{self.total:,} done). Reduce {reduce}, then try again."
        )


RUN_REDUCE = "the number of steps or runs, or pick a simpler surface"


def check_deadline(deadline: float | None, what: str, done: int, total: int,
                   reduce: str = RUN_REDUCE) -> None:
    """Raise :class:`BudgetExceeded` if ``time.monotonic()`` is past ``deadline``
    (None: no deadline)."""
    if deadline is not None and monotonic() > deadline:
        raise BudgetExceeded(what, done, total, reduce)


@dataclass(frozen=True)
class Trajectory:
    """One run. Index ``k`` of the per-update arrays is the update applied at
    ``xy[k]`` (from ``xy[k]`` to ``xy[k + 1]``); ``n = len(xy) - 1`` updates ran.

    - ``xy`` (n+1, 2) positions; ``loss`` (n+1,) f there; ``grad`` (n+1, 2) the
      exact gradient there.
    - ``grad_used`` (n, 2) the gradient the optimizer saw (exact plus noise).
    - ``lr`` (n,) the scheduled learning rate; ``lr_eff`` (n, 2) each coordinate's
      effective learning rate (see :mod:`optimizers.rules`).
    - ``state`` name -> (n, 2): the optimizer's state after each update (``m``,
      ``v``, ``buf`` ...).
    - ``hess`` (n, 2, 2): the Hessian each update used, for a rule that takes one
      (Newton), else None.
    - ``series`` name -> (n, L, 2): points a rule produced within each update, NaN
      after the last (L-BFGS's ``inner`` iterates).
    - ``surface``: the surface the run was on (to replay it: ``optimizers.explain``
      of a rule whose whole state is not recorded).
    - ``status`` one of ``max_steps``, ``converged`` (gradient and last step both
      within ``tol``), ``diverged``; ``diverged_at`` / ``converged_at`` the step.
    """

    key: str
    hparams: dict
    xy: np.ndarray
    loss: np.ndarray
    grad: np.ndarray
    grad_used: np.ndarray
    lr: np.ndarray
    lr_eff: np.ndarray
    state: dict = field(default_factory=dict)
    hess: np.ndarray | None = None
    series: dict = field(default_factory=dict)
    status: str = "max_steps"
    diverged_at: int | None = None
    converged_at: int | None = None
    noise: float = 0.0
    seed: int = 0
    schedule: dict = field(default_factory=lambda: {"kind": "constant"})
    surface: object = field(default=None, repr=False, compare=False)

    @property
    def steps(self) -> int:
        return len(self.xy) - 1

    @property
    def step(self) -> np.ndarray:
        """(n, 2) the step actually taken by each update."""
        return np.diff(self.xy, axis=0)

    def to_frame(self):
        """A pandas DataFrame, one row per iterate ``k = 0..n``; update columns
        (gradient used, step, lr, effective lr, state) describe the update applied
        at that iterate and are empty on the last row."""
        import pandas as pd

        n = self.steps
        cols = {
            "step": np.arange(n + 1),
            "x": self.xy[:, 0],
            "y": self.xy[:, 1],
            "loss": self.loss,
            "grad_x": self.grad[:, 0],
            "grad_y": self.grad[:, 1],
        }

        def pad(a):
            return np.concatenate([a, np.full((1,) + a.shape[1:], np.nan)])

        per_update = {"grad_used": self.grad_used, "step": self.step, "lr_eff": self.lr_eff}
        per_update.update(self.state)
        for name, arr in per_update.items():
            cols[f"{name}_x" if name != "step" else "dx"] = pad(arr[:, 0])
            cols[f"{name}_y" if name != "step" else "dy"] = pad(arr[:, 1])
        if self.hess is not None:
            for name, (i, j) in {"hess_xx": (0, 0), "hess_xy": (0, 1), "hess_yy": (1, 1)}.items():
                cols[name] = pad(self.hess[:, i, j])
        cols["lr"] = pad(self.lr)
        frame = pd.DataFrame(cols)
        frame.insert(0, "optimizer", self.key)
        return frame


# ------------------------------------------------------------------ checks


def _check_steps(steps) -> int:
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)):
        raise ValueError(f"Invalid number of steps: {steps!r} (expected an integer)")
    if not 0 <= steps <= MAX_STEPS:
        raise ValueError(f"Invalid number of steps: {steps} (allowed 0 to {MAX_STEPS})")
    return int(steps)


def _check_noise(noise, seed) -> tuple[float, int]:
    if isinstance(noise, bool) or not isinstance(noise, (int, float, np.floating, np.integer)):
        raise ValueError(f"Invalid noise value: {noise!r} (expected a number)")
    if not (math.isfinite(noise) and 0.0 <= noise <= MAX_NOISE):
        raise ValueError(f"Invalid noise value: {noise} (allowed range [0, {MAX_NOISE:g}])")
    seeds = np.asarray(seed)
    if seeds.dtype.kind not in "iu" or (seeds < 0).any():
        raise ValueError(f"Invalid seed: {seed!r} (expected a non-negative integer)")
    return float(noise), seed


def _check_start(start) -> tuple[float, float]:
    try:
        x, y = (float(v) for v in start)
    except (TypeError, ValueError):
        raise ValueError(f"Invalid start point: {start!r} (expected two numbers)") from None
    if not (math.isfinite(x) and math.isfinite(y)):
        raise ValueError(f"Invalid start point: {start!r} (must be finite)")
    return x, y


def _box(surface):
    (x0, x1), (y0, y1) = surface.bounds
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    return cx, cy, BOX_FACTOR * (x1 - x0) / 2, BOX_FACTOR * (y1 - y0) / 2


def _noise(noise: float, seed, steps: int) -> np.ndarray | None:
    """(steps, 2) standard normals times ``noise`` from ``default_rng(seed)``."""
    if noise == 0.0:
        return None
    return noise * np.random.default_rng(int(seed)).standard_normal((steps, 2))


# ------------------------------------------------------------ single run


def _projection(feasible):
    """The projection onto a surface's feasible box, on floats (None: no box)."""
    if feasible is None:
        return None
    (x0, x1), (y0, y1) = feasible

    def project(x, y):
        return min(max(x, x0), x1), min(max(y, y0), y1)

    return project


def _calm(lrs: np.ndarray) -> int:
    """The first step at which a run may stop as converged: after the last step whose
    scheduled learning rate rose (a schedule that raises the rate later, a warmup or
    a cosine towards an eta_min above lr, could move a run that looks converged)."""
    rises = np.flatnonzero(np.diff(lrs) > 0)
    return int(rises[-1]) + 2 if rises.size else 1


def _loop(rule, grad, x, y, lrs, nz, steps, tol, box, deadline, calm=1, project=None):
    """The interactive inner loop of an elementwise rule, on Python floats.

    Records one flat list, per update: ``x, y`` after it, the gradient used, the
    effective learning rates, then the x- and y-coordinate states (whole named
    tuples; one array conversion at the end is far cheaper than many). Runs in
    blocks of :data:`CHECK_EVERY` steps and checks ``deadline`` before each block."""
    init, update = rule
    lr0 = lrs[0] if steps else 0.0
    sx, sy = init(x, lr0), init(y, lr0)
    fields = sx._fields  # init's named tuple names update's plain tuples
    cx, cy, rx, ry = box
    rec = []
    px, py = x, y  # the previous iterate
    end, at, k = "max_steps", None, 0
    for k0 in range(0, steps, CHECK_EVERY):
        check_deadline(deadline, "optimizer steps", k0, steps)
        try:
            for k in range(k0, min(k0 + CHECK_EVERY, steps)):
                gx, gy = grad(x, y)
                if nz is not None:
                    gx, gy = gx + nz[k][0], gy + nz[k][1]
                elif k >= calm and -tol <= gx <= tol and -tol <= gy <= tol \
                        and -tol <= x - px <= tol and -tol <= y - py <= tol:
                    end, at = "converged", k
                    break
                lr = lrs[k]
                xn, sx, ex = update(x, gx, sx, lr)
                yn, sy, ey = update(y, gy, sy, lr)
                if project is not None:  # the surface's feasible box (a named projection)
                    xn, yn = project(xn, yn)
                if not (-rx <= xn - cx <= rx and -ry <= yn - cy <= ry):  # also catches NaN
                    end, at = "diverged", k + 1
                    break
                rec += (xn, yn, gx, gy, ex, ey)
                rec += sx
                rec += sy
                px, py, x, y = x, y, xn, yn
        except (ArithmeticError, ValueError):
            end, at = "diverged", k + 1
        if end != "max_steps":
            break
    return rec, fields, end, at


def _loop_coupled(rule, grad, extra, x, y, lrs, nz, steps, tol, box, deadline, calm=1, project=None):
    """The inner loop of a coupled rule (both coordinates at once), on floats.

    ``extra(x, y)`` is what the rule takes besides the gradient (Newton's Hessian),
    or None. Records per update the row ``x, y, gx, gy, ex, ey`` after it, the state
    tuple and the extra; returns them with the state the rule would continue from
    (so a replay of the first ``k`` steps gives the state before step ``k``)."""
    init, update = rule
    lr0 = lrs[0] if steps else 0.0
    s = start = init((x, y), lr0)
    cx, cy, rx, ry = box
    rows, states, extras = [], [], []
    px, py = x, y
    end, at, k = "max_steps", None, 0
    for k0 in range(0, steps, CHECK_EVERY):
        check_deadline(deadline, "optimizer steps", k0, steps)
        try:
            for k in range(k0, min(k0 + CHECK_EVERY, steps)):
                gx, gy = grad(x, y)
                if nz is not None:
                    gx, gy = gx + nz[k][0], gy + nz[k][1]
                elif k >= calm and -tol <= gx <= tol and -tol <= gy <= tol \
                        and -tol <= x - px <= tol and -tol <= y - py <= tol:
                    end, at = "converged", k
                    break
                h = None if extra is None else extra(x, y)
                (xn, yn), s_new, (ex, ey) = update((x, y), (gx, gy), h, s, lrs[k])
                if project is not None:
                    xn, yn = project(xn, yn)
                if not (-rx <= xn - cx <= rx and -ry <= yn - cy <= ry):  # also catches NaN
                    end, at = "diverged", k + 1
                    break
                s = s_new
                rows.append((xn, yn, gx, gy, ex, ey))
                states.append(s)
                extras.append(h)
                px, py, x, y = x, y, xn, yn
        except (ArithmeticError, ValueError):
            end, at = "diverged", k + 1
        if end != "max_steps":
            break
    return rows, states, extras, start, s, end, at


def _series(states: list, index: int) -> np.ndarray:
    """(n, L, 2): the point sequence each state holds at ``index``, NaN-padded."""
    seqs = [st[index] for st in states]
    width = max((len(q) for q in seqs), default=0)
    out = np.full((len(seqs), width, 2), np.nan)
    for i, q in enumerate(seqs):
        if q:
            out[i, : len(q)] = q
    return out


def _is_pair(v) -> bool:
    return isinstance(v, tuple) and len(v) == 2 and all(isinstance(c, (int, float)) for c in v)


def _coupled_state(start, states: list) -> dict:
    """Name -> (n, 2) for each state buffer of a coupled rule that is a number (both
    columns) or an ``(x, y)`` pair; other buffers (a history) are not recorded."""
    out = {}
    for i, name in enumerate(start._fields[1:], start=1):
        first = start[i]
        if isinstance(first, (int, float)) and not isinstance(first, bool):
            col = np.array([st[i] for st in states], dtype=float).reshape(-1, 1)
            out[name] = np.repeat(col, 2, axis=1)
        elif _is_pair(first):
            out[name] = np.array([st[i] for st in states], dtype=float).reshape(-1, 2)
    return out


def run(key, surface, start, steps, *, noise=0.0, seed=0, schedule=None, tol=1e-8, deadline=None,
        **hparams):
    """Run optimizer ``key`` on ``surface`` from ``start`` for up to ``steps`` updates.

    Hyperparameters are the spec's (torch's names, ``betas`` split into ``beta1``,
    ``beta2``); missing ones take the spec's defaults. ``noise`` is the standard
    deviation of Gaussian noise added to each gradient component, drawn from
    ``numpy.random.default_rng(seed)``. ``schedule`` is ``None`` or
    ``{"kind": "step" | "exponential" | "cosine" | "warmup", ...}``. The run stops
    early as ``converged`` when, without noise, both the gradient and the last step
    are within ``tol`` in every coordinate, and the schedule will not raise the
    learning rate again. On a surface whose gradients are drawn (``surface.stochastic``:
    a data set's minibatches, :mod:`surfaces.data`; a sequence of losses,
    :mod:`surfaces.online`) each step's gradient is drawn with the ``seed`` (and the
    run never stops as converged). Returns a :class:`Trajectory`.

    ``deadline`` is an absolute ``time.monotonic()`` time (None: none), checked
    every :data:`CHECK_EVERY` steps; past it the run stops with
    :class:`BudgetExceeded`.
    """
    spec = get(key)
    hp = spec.validate(**hparams)
    steps = _check_steps(steps)
    x, y = _check_start(start)
    noise, seed = _check_noise(noise, seed)
    schedule = validate_schedule(schedule)
    lr_array = learning_rates(schedule, hp["lr"], steps)
    lrs = lr_array.tolist()
    nz = _noise(noise, seed, steps)
    nz_list = None if nz is None else nz.tolist()
    if getattr(surface, "lifted", None) is not None:  # an n-dimensional problem seen through a plane
        fields = run_lifted(key, surface, (x, y), steps, hp, lrs, nz_list,
                            lambda k: check_deadline(deadline, "optimizer steps", k, steps))
        return Trajectory(key=key, **fields, hparams=hp, noise=noise, seed=int(seed), schedule=schedule)
    box = _box(surface)
    if spec.evaluates and noise:
        raise ValueError(f"{spec.label} evaluates the function itself several times per step: "
                         "it takes no gradient noise")
    rule = spec.make(FLOAT, **hp)
    calm = 1 if never_rises(schedule) else _calm(lr_array)
    grad, project = _gradient(surface, seed, steps), _projection(getattr(surface, "feasible", None))
    if grad is not surface.scalar.grad:  # drawn gradients: never "converged"
        calm = steps + 1
    if spec.coupled:
        extra = _extra(spec, surface.scalar)
        rows, states, extras, start, _, status, at = _loop_coupled(
            rule, grad, extra, x, y, lrs, nz_list, steps, tol, box, deadline, calm, project)
        table = np.array(rows, dtype=float).reshape(-1, 6)
    else:
        rec, fields, status, at = _loop(rule, grad, x, y, lrs, nz_list, steps, tol,
                                        box, deadline, calm, project)
        ns = len(fields)
        table = np.array(rec, dtype=float).reshape(-1, 6 + 2 * ns)  # one row per update
    xy = np.vstack([(x, y), table[:, :2]])
    with np.errstate(all="ignore"):
        loss, grad = surface.f(xy), surface.grad(xy)
    finite = np.isfinite(loss) & np.isfinite(grad).all(axis=1)
    if not finite.all():  # a finite point whose loss overflows: treat it as divergence
        n_ok = int(np.argmin(finite))
        status, at = "diverged", n_ok
        xy, loss, grad, table = xy[:n_ok], loss[:n_ok], grad[:n_ok], table[: n_ok - 1]
    n = len(xy) - 1
    hess = None
    series = {}
    if spec.coupled:
        state = {name: arr[:n] for name, arr in _coupled_state(start, states[:n]).items()}
        series = {name: _series(states[:n], start._fields.index(name)) for name in spec.series}
        if spec.hessian:
            h = np.array(extras[:n], dtype=float).reshape(-1, 3)
            hess = np.stack([np.stack([h[:, 0], h[:, 1]], -1), np.stack([h[:, 1], h[:, 2]], -1)], -2)
    else:
        state = {f: table[:, [6 + i, 6 + ns + i]] for i, f in enumerate(fields) if f != "count"}
    return Trajectory(
        key=key,
        hparams=hp,
        xy=xy,
        loss=loss,
        grad=grad,
        grad_used=table[:, 2:4],
        lr=np.array(lrs[:n], dtype=float),
        lr_eff=table[:, 4:6],
        state=state,
        hess=hess,
        series=series,
        status=status,
        diverged_at=at if status == "diverged" else None,
        converged_at=at if status == "converged" else None,
        noise=noise,
        seed=int(seed),
        schedule=schedule,
        surface=surface,
    )


def _gradient(surface, seed: int, steps: int):
    """The gradient a run steps with: the surface's own, or on a surface whose gradients
    are drawn (minibatches, a sequence of losses) its sampler seeded with ``seed``."""
    stochastic = getattr(surface, "stochastic", None)
    if stochastic is not None and stochastic.sampled:
        return stochastic.sampler(seed, steps)
    return surface.scalar.grad


def _extra(spec, kernels):
    """What a coupled rule takes besides the gradient, as a function of the point:
    the Hessian (Newton), the surface's kernels (a rule that evaluates it), or None."""
    if spec.hessian:
        return kernels.hess
    if spec.evaluates:
        return lambda x, y: kernels
    return None


def replay(traj, k: int):
    """The state a coupled rule held before update ``k`` of ``traj``, by running the
    first ``k`` updates again (deterministic: the same start, rates, noise and
    surface). For rules whose whole state the trajectory does not record (L-BFGS's
    history)."""
    spec = get(traj.key)
    if traj.surface is None:
        raise ValueError("this trajectory does not know its surface: it cannot be replayed")
    rule = spec.make(FLOAT, **traj.hparams)
    x, y = map(float, traj.xy[0])
    lrs = learning_rates(traj.schedule, traj.hparams["lr"], traj.steps).tolist()
    nz = _noise(traj.noise, traj.seed, traj.steps)
    nz_list = None if nz is None else nz.tolist()
    _, _, _, start, s, _, _ = _loop_coupled(
        rule, _gradient(traj.surface, traj.seed, traj.steps), _extra(spec, traj.surface.scalar), x, y, lrs,
        nz_list, k, 0.0, _box(traj.surface), None, 1, _projection(getattr(traj.surface, "feasible", None)))
    return s if k else start


# ------------------------------------------------------------------ batch


def _batch_hparams(spec, hparams: dict, batch: int) -> dict:
    """Validate scalar or (B,) hyperparameters: every swept value obeys the spec."""
    arrays = {}
    for name, value in hparams.items():
        if isinstance(value, (list, tuple, np.ndarray)):
            arr = np.asarray(value)
            if arr.shape != (batch,) or arr.dtype.kind not in "fiu":
                raise ValueError(
                    f"Hyperparameter {name!r} must be a number or {batch} numbers, one per run"
                )
            arrays[name] = arr.astype(float)
    first = {n: (float(arrays[n][0]) if n in arrays else v) for n, v in hparams.items()}
    hp = spec.validate(**first)  # defaults, unknown names, types
    for name, arr in arrays.items():
        p = spec.param(name)
        if p.kind == "bool":
            raise ValueError(f"Hyperparameter {name!r} is an option and cannot be swept")
        if not np.isfinite(arr).all():
            p.validate(float(arr[~np.isfinite(arr)][0]))  # raises with the usual message
        p.validate(float(arr.min()))
        p.validate(float(arr.max()))
    if arrays and spec.check is not None:
        for i in range(batch):
            spec.check({**hp, **{n: float(a[i]) for n, a in arrays.items()}})
    hp.update(arrays)
    return hp


def run_batch(key, surface, starts, steps, *, noise=0.0, seed=0, schedule=None, deadline=None, count="steps",
              **hparams):
    """Run optimizer ``key`` from ``B`` starts at once; returns ``(B, steps+1, 2)``.

    ``starts`` is ``(B, 2)``; each hyperparameter is a scalar or a ``(B,)`` array
    (one value per run, for sweeps). Positions after a run diverges (leaves the box
    or becomes non-finite) are NaN. With ``noise`` > 0, run ``b`` sees noise from
    ``default_rng(seed + b)`` (or ``default_rng(seed[b])`` for a ``(B,)`` seed
    array), so it equals ``run(..., seed=seed + b)`` exactly. At most
    :data:`MAX_BATCH_RUNS` runs and :data:`MAX_BATCH_WORK` runs x steps.
    ``deadline`` (absolute ``time.monotonic()``, None: none) is checked every
    :data:`BATCH_CHECK_EVERY` steps; past it, :class:`BudgetExceeded`.
    ``count="evaluations"`` counts ``steps`` in function evaluations: index ``k`` is
    where each run stands after ``k`` of them (only L-BFGS takes more than one a step;
    see :func:`~optimizers.evaluation_axis`).
    """
    spec = get(key)
    steps = _check_steps(steps)
    starts = np.asarray(starts, dtype=float)
    if starts.ndim != 2 or starts.shape[1] != 2:
        raise ValueError(f"Invalid starts: shape {starts.shape} (expected (B, 2))")
    batch = starts.shape[0]
    if not 1 <= batch <= MAX_BATCH_RUNS:
        raise ValueError(f"Invalid batch size: {batch} (allowed 1 to {MAX_BATCH_RUNS})")
    if batch * max(steps, 1) > MAX_BATCH_WORK:
        raise ValueError(
            f"Batch too large: {batch} runs x {steps} steps exceeds {MAX_BATCH_WORK:,} run-steps"
        )
    if not np.isfinite(starts).all():
        raise ValueError("Invalid starts: every start point must be finite")
    if getattr(surface, "lifted", None) is not None:
        raise ValueError("The n-dimensional quadratic runs one run at a time: maps, tuning and noise fans "
                         "are not available on it")
    hp = _batch_hparams(spec, hparams, batch)
    noise, seed = _check_noise(noise, seed)
    if count not in COUNTS:
        raise ValueError(f"A budget counts {' or '.join(COUNTS)}, got {count!r}")
    lrs = learning_rates(schedule, hp["lr"], steps)  # (steps,) or (steps, B)
    seeds = np.asarray(seed)
    if seeds.ndim == 0:
        seeds = int(seed) + np.arange(batch)
    elif seeds.shape != (batch,):
        raise ValueError(f"Invalid seed: {seeds.shape[0]} seeds for {batch} runs")

    if spec.floats_only:  # a rule that branches per run: the float loop, one run at a time
        return _batch_one_by_one(key, surface, starts, steps, hp, schedule, noise, seeds,
                                 deadline, count)
    out = np.empty((steps + 1, 2, batch))
    out[0] = starts.T
    x, y = starts[:, 0].copy(), starts[:, 1].copy()
    rule = spec.make(ARRAY_LEAN, **hp)  # positions only: no lr_eff
    grad = surface.vector.grad
    feasible = getattr(surface, "feasible", None)
    stochastic = getattr(surface, "stochastic", None)
    if stochastic is not None and stochastic.sampled:  # run b draws its gradients with seeds[b]
        grad = stochastic.array_sampler(seeds, steps)
    nz = None
    if noise:
        nz = noise * np.stack(
            [np.random.default_rng(int(s)).standard_normal((steps, 2)) for s in seeds], axis=2
        )  # (steps, 2, B)
    with np.errstate(all="ignore"):
        if spec.coupled:
            s = rule.init((x, y), lrs[0] if steps else 0.0)
            hess = surface.vector.hess if spec.hessian else None
            for k in range(steps):
                if k % BATCH_CHECK_EVERY == 0:
                    check_deadline(deadline, "optimizer steps", k, steps)
                gx, gy = grad(x, y)
                if nz is not None:
                    gx, gy = gx + nz[k, 0], gy + nz[k, 1]
                h = None if hess is None else hess(x, y)
                (x, y), s, _ = rule.update((x, y), (gx, gy), h, s, lrs[k])
                if feasible is not None:
                    x, y = np.clip(x, *feasible[0]), np.clip(y, *feasible[1])
                out[k + 1, 0] = x
                out[k + 1, 1] = y
        else:
            init, update = rule
            sx, sy = init(x, lrs[0] if steps else 0.0), init(y, lrs[0] if steps else 0.0)
            for k in range(steps):
                if k % BATCH_CHECK_EVERY == 0:
                    check_deadline(deadline, "optimizer steps", k, steps)
                gx, gy = grad(x, y)
                if nz is not None:
                    gx, gy = gx + nz[k, 0], gy + nz[k, 1]
                lr = lrs[k]
                x, sx, _ = update(x, gx, sx, lr)
                y, sy, _ = update(y, gy, sy, lr)
                if feasible is not None:
                    x, y = np.clip(x, *feasible[0]), np.clip(y, *feasible[1])
                out[k + 1, 0] = x
                out[k + 1, 1] = y
        _mark_diverged(out, _box(surface))
    return out.transpose(2, 0, 1)


def _batch_one_by_one(key, surface, starts, steps, hp, schedule, noise, seeds, deadline, count="steps"):
    """Run by run on floats; with ``count="evaluations"`` each run is put on the axis of
    its function evaluations (:func:`~optimizers.evaluation_axis`), cut at ``steps``."""
    out = np.full((len(starts), steps + 1, 2), np.nan)
    for b, start in enumerate(starts):
        check_deadline(deadline, "runs", b, len(starts))
        one = {n: (float(v[b]) if isinstance(v, np.ndarray) else v) for n, v in hp.items()}
        tr = run(key, surface, start, steps, noise=noise, seed=int(seeds[b]), schedule=schedule,
                 tol=0.0, deadline=deadline, **one)
        if count == "evaluations":
            tr = evaluation_axis(tr, steps)
        out[b, : len(tr.xy)] = tr.xy
        if tr.status != "diverged":  # it stopped early without leaving the box: it stays there
            out[b, len(tr.xy):] = tr.xy[-1]
    return out


def _inside(v, c, r):
    return np.abs(v - c) <= r


def _mark_diverged(out: np.ndarray, box) -> None:
    """Set every position from a run's first bad one onward to NaN, in place."""
    cx, cy, rx, ry = box
    # Fast path: a path stays in the box iff its extremes do (v - c is monotone in v,
    # so this is the same test with the same rounding), and min/max propagate NaN.
    # Two reductions instead of ~9 full-size temporaries (40 ms -> 11 ms at 10,000 x 500).
    lo, hi = out.min(axis=0), out.max(axis=0)  # (2, B)
    fine = _inside(lo[0], cx, rx) & _inside(hi[0], cx, rx) & _inside(lo[1], cy, ry) & _inside(hi[1], cy, ry)
    if fine.all():
        return
    idx = np.flatnonzero(~fine)  # only the runs that left the box (or went non-finite)
    sub = out[:, :, idx]
    ok = _inside(sub[:, 0], cx, rx) & _inside(sub[:, 1], cy, ry)  # (steps+1, n_bad)
    bad = ~np.logical_and.accumulate(ok, axis=0)
    sub[:, 0][bad] = np.nan
    sub[:, 1][bad] = np.nan
    out[:, :, idx] = sub
