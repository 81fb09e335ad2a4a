"""Learning-rate schedules, in closed form, with torch.optim.lr_scheduler's meaning.

The learning rate used by step ``t`` (0-based: the first update uses ``t = 0``) is
what torch's scheduler gives after ``t`` calls to ``scheduler.step()``. A schedule
is an explicit, visible option of a run; nothing changes the learning rate
otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from .hyperparams import HyperParam

__all__ = ["SCHEDULES", "ScheduleSpec", "learning_rates", "validate_schedule"]


@dataclass(frozen=True)
class ScheduleSpec:
    key: str
    label: str
    params: tuple[HyperParam, ...]
    # (t, base_lr, **params) -> lr_t; works on arrays of t and of base_lr
    formula: Callable
    latex: str
    torch: str


SCHEDULES: dict[str, ScheduleSpec] = {
    s.key: s
    for s in [
        ScheduleSpec("constant", "constant", (), lambda t, lr: lr + 0.0 * t,
                     r"\eta_t = \eta", "no scheduler"),
        ScheduleSpec(
            "step", "step decay",
            (HyperParam("step_size", "every (steps)", 100, 1, 10_000, "linear", "Decay period in steps."),
             HyperParam("gamma", "γ", 0.5, 0.0, 1.0, "linear", "Factor applied each period.")),
            lambda t, lr, step_size, gamma: lr * gamma ** np.floor_divide(t, int(step_size)),
            r"\eta_t = \eta\,\gamma^{\lfloor t / s \rfloor}", "torch.optim.lr_scheduler.StepLR",
        ),
        ScheduleSpec(
            "exponential", "exponential decay",
            (HyperParam("gamma", "γ", 0.995, 0.0, 1.0, "linear", "Factor applied every step."),),
            lambda t, lr, gamma: lr * gamma**t,
            r"\eta_t = \eta\,\gamma^{t}", "torch.optim.lr_scheduler.ExponentialLR",
        ),
        ScheduleSpec(
            "cosine", "cosine annealing",
            (HyperParam("T_max", "period T", 1000, 1, 10_000, "linear", "Steps from η down to η_min."),
             HyperParam("eta_min", "η_min", 0.0, 0.0, 10.0, "linear", "Learning rate at the bottom.")),
            lambda t, lr, T_max, eta_min: eta_min
            + (lr - eta_min) * (1.0 + np.cos(np.pi * t / T_max)) / 2.0,
            r"\eta_t = \eta_{\min} + \tfrac12(\eta - \eta_{\min})(1 + \cos(\pi t / T))",
            "torch.optim.lr_scheduler.CosineAnnealingLR",
        ),
        ScheduleSpec(
            "warmup", "linear warmup",
            (HyperParam("start_factor", "start factor", 1 / 3, 1e-4, 1.0, "log",
                "Fraction of η used at the first step."),
             HyperParam("total_iters", "warmup steps", 100, 1, 10_000, "linear",
                "Steps until the full learning rate.")),
            lambda t, lr, start_factor, total_iters: lr
            * (start_factor + (1.0 - start_factor) * np.minimum(t, int(total_iters)) / int(total_iters)),
            r"\eta_t = \eta\,\bigl(f_0 + (1 - f_0)\min(t, T)/T\bigr)",
            "torch.optim.lr_scheduler.LinearLR(end_factor=1)",
        ),
    ]
}


def validate_schedule(schedule: dict | None) -> dict:
    """``{"kind": ..., **params}`` with defaults filled; ``ValueError`` otherwise."""
    if schedule is None:
        return {"kind": "constant"}
    if not isinstance(schedule, dict):
        raise ValueError(f"Invalid schedule: {schedule!r} (expected a dict with a 'kind')")
    kind = schedule.get("kind", "constant")
    spec = SCHEDULES.get(kind) if isinstance(kind, str) else None
    if spec is None:
        raise ValueError(f"Unknown schedule {kind!r}; expected one of: {', '.join(SCHEDULES)}")
    names = {p.name for p in spec.params}
    unknown = sorted(set(schedule) - names - {"kind"})
    if unknown:
        raise ValueError(f"Unknown parameter {unknown[0]!r} for the {kind} schedule")
    out = {"kind": kind}
    out.update({p.name: p.validate(schedule.get(p.name, p.default)) for p in spec.params})
    return out


def learning_rates(schedule: dict | None, lr, steps: int) -> np.ndarray:
    """The learning rate of each of ``steps`` updates: ``(steps,)`` for a scalar
    ``lr``, ``(steps, B)`` for an array of ``B`` base rates."""
    sched = validate_schedule(schedule)
    spec = SCHEDULES[sched.pop("kind")]
    t = np.arange(steps, dtype=float)
    lr = np.asarray(lr, dtype=float)
    if lr.ndim:
        t = t[:, None]
    return np.asarray(spec.formula(t, lr, **sched), dtype=float)
