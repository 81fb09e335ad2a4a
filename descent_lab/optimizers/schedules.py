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


@dataclass(frozen=True, kw_only=True)
class ScheduleSpec:
    key: str
    label: str
    params: tuple[HyperParam, ...]
    # (t, base_lr, **params) -> lr_t; works on arrays of t and of base_lr
    formula: Callable
    latex: str
    torch: str


def _param(name: str, label: str, default: float, low: float, high: float, help: str,
           scale: str = "linear") -> HyperParam:
    return HyperParam(name=name, label=label, default=default, low=low, high=high, scale=scale,
                      help=help)


SCHEDULES: dict[str, ScheduleSpec] = {
    s.key: s
    for s in [
        ScheduleSpec(key="constant", label="constant", params=(),
                     formula=lambda t, lr: lr + 0.0 * t,
                     latex=r"\eta_t = \eta", torch="no scheduler"),
        ScheduleSpec(
            key="step", label="step decay",
            params=(_param("step_size", "every (steps)", 100, 1, 10_000, "Decay period in steps."),
                    _param("gamma", "γ", 0.5, 0.0, 1.0, "Factor applied each period.")),
            formula=lambda t, lr, step_size, gamma: lr * gamma ** np.floor_divide(t, int(step_size)),
            latex=r"\eta_t = \eta\,\gamma^{\lfloor t / s \rfloor}",
            torch="torch.optim.lr_scheduler.StepLR",
        ),
        ScheduleSpec(
            key="exponential", label="exponential decay",
            params=(_param("gamma", "γ", 0.995, 0.0, 1.0, "Factor applied every step."),),
            formula=lambda t, lr, gamma: lr * gamma**t,
            latex=r"\eta_t = \eta\,\gamma^{t}", torch="torch.optim.lr_scheduler.ExponentialLR",
        ),
        ScheduleSpec(
            key="cosine", label="cosine annealing",
            params=(_param("T_max", "period T", 1000, 1, 10_000, "Steps from η down to η_min."),
                    _param("eta_min", "η_min", 0.0, 0.0, 10.0, "Learning rate at the bottom.")),
            formula=lambda t, lr, T_max, eta_min: eta_min
            + (lr - eta_min) * (1.0 + np.cos(np.pi * t / T_max)) / 2.0,
            latex=r"\eta_t = \eta_{\min} + \tfrac12(\eta - \eta_{\min})(1 + \cos(\pi t / T))",
            torch="torch.optim.lr_scheduler.CosineAnnealingLR",
        ),
        ScheduleSpec(
            key="warmup", label="linear warmup",
            params=(_param("start_factor", "start factor", 1 / 3, 1e-4, 1.0,
                           "Fraction of η used at the first step.", scale="log"),
                    _param("total_iters", "warmup steps", 100, 1, 10_000,
                           "Steps until the full learning rate.")),
            formula=lambda t, lr, start_factor, total_iters: lr
            * (start_factor + (1.0 - start_factor) * np.minimum(t, int(total_iters)) / int(total_iters)),
            latex=r"\eta_t = \eta\,\bigl(f_0 + (1 - f_0)\min(t, T)/T\bigr)",
            torch="torch.optim.lr_scheduler.LinearLR(end_factor=1)",
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
