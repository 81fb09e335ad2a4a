r"""Learning-rate schedules, in closed form, with torch.optim.lr_scheduler's meaning.

The learning rate used by step ``t`` (0-based: the first update uses ``t = 0``) is
what torch's scheduler gives after ``t`` calls to ``scheduler.step()``. A schedule
is an explicit, visible option of a run; nothing changes the learning rate
otherwise.

torch computes most schedules recursively (each rate from the previous one); these
closed forms give the same rates up to rounding (``tests/golden`` compares them with
torch's to 1e-12). Periods and milestones are counts of steps: whole numbers, as in
torch (2.5 is refused, not truncated). OneCycleLR and CyclicLR are the lr parts of
torch's schedulers: torch also cycles the momentum (``cycle_momentum=True`` by
default), which these leave alone, as ``cycle_momentum=False`` does. For both, the
run's learning rate plays one of the scheduler's roles: OneCycleLR's ``max_lr``
(its peak) and CyclicLR's ``base_lr`` (its floor).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from .hyperparams import HyperParam

__all__ = ["SCHEDULES", "ScheduleSpec", "learning_rates", "validate_schedule"]


@dataclass(frozen=True, kw_only=True)
class ScheduleSpec:
    """A schedule: ``formula(t, lr, **params) -> lr_t`` on arrays of ``t`` (and of
    base rates ``lr``), its parameters, its LaTeX and the torch class it follows.
    ``check(params, steps)`` refuses what a parameter's range cannot (a OneCycleLR
    shorter than the run). ``never_rises``: the rate never goes up, whatever the
    parameters (a run may then stop as converged at any step)."""

    key: str
    label: str
    params: tuple[HyperParam, ...]
    formula: Callable
    latex: str
    torch: str
    check: Callable[[dict, int], None] | None = None
    never_rises: bool = False


def _param(name: str, label: str, default: float, low: float, high: float, help: str,
           scale: str = "linear") -> HyperParam:
    return HyperParam(name=name, label=label, default=default, low=low, high=high, scale=scale,
                      help=help)


def _steps(name: str, label: str, default: int, help: str, low: int = 1,
           high: int = 10_000) -> HyperParam:
    """A period or a count of steps: a whole number (torch's are ints; 2.5 is refused,
    not truncated)."""
    return HyperParam(name=name, label=label, default=default, low=low, high=high, help=help,
                      kind="int")


def _flag(name: str, label: str, help: str) -> HyperParam:
    return HyperParam(name=name, label=label, default=False, kind="bool", help=help)


# ------------------------------------------------------------------ formulas


def _multistep(t, lr, milestones, gamma):
    # torch: gamma to the number of milestones reached (a repeated milestone counts twice)
    return lr * gamma ** np.searchsorted(np.asarray(milestones, dtype=float), t, side="right")


def _warm_restarts(t, lr, T_0, T_mult, eta_min):
    # torch's T_cur, T_i: the step within the current cycle and that cycle's length
    t = np.asarray(t, dtype=float)
    if T_mult == 1:
        t_cur, t_i = np.mod(t, T_0), float(T_0)
    else:
        # cycle n spans [T_0 (m^n - 1)/(m - 1), T_0 (m^(n+1) - 1)/(m - 1)): integers
        starts = [0]
        while starts[-1] <= (t.max() if t.size else 0):
            starts.append(starts[-1] + T_0 * T_mult ** (len(starts) - 1))
        n = np.searchsorted(np.asarray(starts, dtype=float), t, side="right") - 1
        t_cur = t - np.asarray(starts, dtype=float)[n]
        t_i = T_0 * float(T_mult) ** n
    return eta_min + (lr - eta_min) * (1 + np.cos(np.pi * t_cur / t_i)) / 2


def _anneal(start, end, pct, linear):
    if linear:
        return (end - start) * pct + start
    return end + (start - end) / 2.0 * (np.cos(np.pi * pct) + 1)


def _one_cycle(t, lr, total_steps, pct_start, div_factor, final_div_factor, three_phase,
               anneal_linear):
    initial = lr / div_factor
    low = initial / final_div_factor
    if three_phase:
        phases = [(float(pct_start * total_steps) - 1, initial, lr),
                  (float(2 * pct_start * total_steps) - 2, lr, initial),
                  (total_steps - 1, initial, low)]
    else:
        phases = [(float(pct_start * total_steps) - 1, initial, lr), (total_steps - 1, lr, low)]
    out = np.zeros(np.broadcast_shapes(np.shape(t), np.shape(lr)))
    done = np.zeros(np.shape(t), dtype=bool)
    start = 0.0
    for i, (end, a, b) in enumerate(phases):
        here = ~done & ((t <= end) if i < len(phases) - 1 else True)
        pct = (t - start) / (end - start)
        out = np.where(here, _anneal(a, b, pct, anneal_linear), out)
        done = done | here
        start = end
    return out


def _check_one_cycle(p: dict, steps: int) -> None:
    last = steps - 1  # the scheduler steps taken before the last update
    if last > p["total_steps"]:
        raise ValueError(f"Tried to step {last} times. The specified number of total steps is "
                         f"{p['total_steps']} (raise total_steps to at least {last} or run fewer steps)")
    first = float(p["pct_start"] * p["total_steps"]) - 1
    ends = [first, float(2 * p["pct_start"] * p["total_steps"]) - 2] if p["three_phase"] else [first]
    ends.append(p["total_steps"] - 1)
    if any(b - a == 0 for a, b in zip([0.0] + ends, ends)):
        raise ValueError(f"OneCycleLR with total_steps={p['total_steps']} and "
                         f"pct_start={p['pct_start']:g} has a phase of zero steps")


def _cyclic(scale):
    def formula(t, lr, max_lr, step_size_up, step_size_down, **extra):
        total = float(step_size_up) + float(step_size_down)
        ratio = float(step_size_up) / total
        cycle = np.floor(1 + t / total)
        x = 1.0 + t / total - cycle
        factor = np.where(x <= ratio, x / ratio, (x - 1) / (ratio - 1))
        return lr + (max_lr - lr) * factor * scale(cycle, t, **extra)

    return formula


def _polynomial(t, lr, total_iters, power):
    return lr * (1.0 - np.minimum(total_iters, t) / total_iters) ** power


def _linear(t, lr, start_factor, end_factor, total_iters):
    return lr * (start_factor + (end_factor - start_factor) * np.minimum(t, total_iters) / total_iters)


def _cosine(t, lr, T_max, eta_min):
    return eta_min + (lr - eta_min) * (1.0 + np.cos(np.pi * t / T_max)) / 2.0


def _warmup_cosine(t, lr, warmup_steps, start_factor, T_max, eta_min):
    # SequentialLR([LinearLR(start_factor, 1, warmup_steps), CosineAnnealingLR(T_max, eta_min)],
    # milestones=[warmup_steps]): the cosine restarts its clock at the milestone
    warm = _linear(t, lr, start_factor, 1.0, warmup_steps)
    return np.where(t < warmup_steps, warm, _cosine(t - warmup_steps, lr, T_max, eta_min))


CYCLIC_PARAMS = (
    _param("max_lr", "max lr", 0.1, 1e-6, 10.0, "The rate at the top of each cycle (the run's "
           "learning rate is the bottom).", scale="log"),
    _steps("step_size_up", "steps up", 100, "Steps from the bottom to the top of a cycle."),
    _steps("step_size_down", "steps down", 100, "Steps from the top back to the bottom."),
)

SCHEDULES: dict[str, ScheduleSpec] = {
    s.key: s
    for s in [
        ScheduleSpec(key="constant", label="constant", params=(),
                     formula=lambda t, lr: lr + 0.0 * t,
                     latex=r"\eta_t = \eta", never_rises=True, torch="no scheduler"),
        ScheduleSpec(
            key="step", label="step decay",
            params=(_steps("step_size", "every (steps)", 100, "Decay period in steps."),
                    _param("gamma", "γ", 0.5, 0.0, 1.0, "Factor applied each period.")),
            formula=lambda t, lr, step_size, gamma: lr * gamma ** np.floor_divide(t, step_size),
            latex=r"\eta_t = \eta\,\gamma^{\lfloor t / s \rfloor}",
            never_rises=True, torch="torch.optim.lr_scheduler.StepLR",
        ),
        ScheduleSpec(
            key="multistep", label="multi-step decay",
            params=(HyperParam(name="milestones", label="milestones", default=(300, 600), low=1,
                               high=10_000, kind="steps",
                               help="Steps at which the rate is multiplied by γ."),
                    _param("gamma", "γ", 0.1, 0.0, 1.0, "Factor applied at each milestone.")),
            formula=_multistep,
            latex=r"\eta_t = \eta\,\gamma^{\#\{m_i \le t\}}",
            never_rises=True, torch="torch.optim.lr_scheduler.MultiStepLR",
        ),
        ScheduleSpec(
            key="exponential", label="exponential decay",
            params=(_param("gamma", "γ", 0.995, 0.0, 1.0, "Factor applied every step."),),
            formula=lambda t, lr, gamma: lr * gamma**t,
            latex=r"\eta_t = \eta\,\gamma^{t}", never_rises=True, torch="torch.optim.lr_scheduler.ExponentialLR",
        ),
        ScheduleSpec(
            key="cosine", label="cosine annealing",
            params=(_steps("T_max", "period T", 1000, "Steps from η down to η_min."),
                    _param("eta_min", "η_min", 0.0, 0.0, 10.0, "Learning rate at the bottom.")),
            formula=_cosine,
            latex=r"\eta_t = \eta_{\min} + \tfrac12(\eta - \eta_{\min})(1 + \cos(\pi t / T))",
            torch="torch.optim.lr_scheduler.CosineAnnealingLR",
        ),
        ScheduleSpec(
            key="warm_restarts", label="cosine with warm restarts",
            params=(_steps("T_0", "first period T₀", 200, "Steps of the first cycle."),
                    _steps("T_mult", "period factor", 1, "Each cycle is this many times longer "
                           "than the one before.", high=10),
                    _param("eta_min", "η_min", 0.0, 0.0, 10.0, "Learning rate at the bottom.")),
            formula=_warm_restarts,
            latex=r"\eta_t = \eta_{\min} + \tfrac12(\eta - \eta_{\min})"
                  r"(1 + \cos(\pi T_{\mathrm{cur}} / T_i))",
            torch="torch.optim.lr_scheduler.CosineAnnealingWarmRestarts",
        ),
        ScheduleSpec(
            key="warmup", label="linear warmup",
            params=(_param("start_factor", "start factor", 1 / 3, 1e-4, 1.0,
                           "Fraction of η used at the first step.", scale="log"),
                    _steps("total_iters", "warmup steps", 100, "Steps until the full learning rate.")),
            formula=lambda t, lr, start_factor, total_iters: _linear(t, lr, start_factor, 1.0,
                                                                     total_iters),
            latex=r"\eta_t = \eta\,\bigl(f_0 + (1 - f_0)\min(t, T)/T\bigr)",
            torch="torch.optim.lr_scheduler.LinearLR(end_factor=1)",
        ),
        ScheduleSpec(
            key="linear", label="linear",
            params=(_param("start_factor", "start factor", 1 / 3, 1e-4, 1.0,
                           "Fraction of η used at the first step.", scale="log"),
                    _param("end_factor", "end factor", 1.0, 0.0, 1.0,
                           "Fraction of η from step T on."),
                    _steps("total_iters", "steps T", 100, "Steps from the start to the end factor.")),
            formula=_linear,
            latex=r"\eta_t = \eta\,\bigl(f_0 + (f_1 - f_0)\min(t, T)/T\bigr)",
            torch="torch.optim.lr_scheduler.LinearLR",
        ),
        ScheduleSpec(
            key="polynomial", label="polynomial decay",
            params=(_steps("total_iters", "steps T", 1000, "Steps until the rate reaches 0."),
                    _param("power", "power", 1.0, 0.0, 10.0, "Power of the decay (1: linear).")),
            formula=_polynomial,
            latex=r"\eta_t = \eta\,\bigl(1 - \min(t, T)/T\bigr)^{p}",
            never_rises=True, torch="torch.optim.lr_scheduler.PolynomialLR",
        ),
        ScheduleSpec(
            key="one_cycle", label="one cycle",
            params=(_steps("total_steps", "total steps", 1000,
                           "Length of the cycle (torch refuses to step past it)."),
                    _param("pct_start", "warm-up share", 0.3, 0.0, 1.0,
                           "Share of the cycle spent raising the rate."),
                    _param("div_factor", "start divisor", 25.0, 1.0, 1e4,
                           "The cycle starts at η / this.", scale="log"),
                    _param("final_div_factor", "end divisor", 1e4, 1.0, 1e8,
                           "The cycle ends at the start rate / this.", scale="log"),
                    _flag("three_phase", "three phases",
                          "Come back down to the start rate before the final annealing."),
                    _flag("anneal_linear", "linear annealing", "Anneal linearly instead of along a cosine.")),
            formula=_one_cycle,
            latex=r"\eta/d \nearrow \eta \searrow \eta/(d\,d_f)",
            torch="torch.optim.lr_scheduler.OneCycleLR(max_lr=lr, cycle_momentum=False)",
            check=_check_one_cycle,
        ),
        ScheduleSpec(
            key="cyclic", label="cyclic (triangular)", params=CYCLIC_PARAMS,
            formula=_cyclic(lambda cycle, t: 1.0),
            latex=r"\eta_t = \eta + (\eta_{\max} - \eta)\,\mathrm{tri}(t)",
            torch="torch.optim.lr_scheduler.CyclicLR(base_lr=lr, mode='triangular', "
                  "cycle_momentum=False)",
        ),
        ScheduleSpec(
            key="cyclic2", label="cyclic (halving)", params=CYCLIC_PARAMS,
            formula=_cyclic(lambda cycle, t: 1 / (2.0 ** (cycle - 1))),
            latex=r"\eta_t = \eta + (\eta_{\max} - \eta)\,\mathrm{tri}(t)/2^{c-1}",
            torch="torch.optim.lr_scheduler.CyclicLR(base_lr=lr, mode='triangular2', "
                  "cycle_momentum=False)",
        ),
        ScheduleSpec(
            key="cyclic_exp", label="cyclic (exponential range)",
            params=CYCLIC_PARAMS + (_param("gamma", "γ", 0.999, 0.0, 1.0,
                                           "The height of the cycles shrinks by γ every step."),),
            formula=_cyclic(lambda cycle, t, gamma: gamma**t),
            latex=r"\eta_t = \eta + (\eta_{\max} - \eta)\,\mathrm{tri}(t)\,\gamma^{t}",
            torch="torch.optim.lr_scheduler.CyclicLR(base_lr=lr, mode='exp_range', "
                  "cycle_momentum=False)",
        ),
        ScheduleSpec(
            key="warmup_cosine", label="warmup, then cosine",
            params=(_steps("warmup_steps", "warmup steps", 100,
                           "Steps of linear warmup before the cosine starts."),
                    _param("start_factor", "start factor", 0.01, 1e-4, 1.0,
                           "Fraction of η used at the first step.", scale="log"),
                    _steps("T_max", "cosine period T", 900, "Steps from η down to η_min."),
                    _param("eta_min", "η_min", 0.0, 0.0, 10.0, "Learning rate at the bottom.")),
            formula=_warmup_cosine,
            latex=r"\eta_t = \begin{cases}\eta\,(f_0 + (1-f_0)\,t/W) & t < W\\"
                  r"\eta_{\min} + \tfrac12(\eta - \eta_{\min})(1 + \cos(\pi (t - W)/T)) & t \ge W\end{cases}",
            torch="torch.optim.lr_scheduler.SequentialLR([LinearLR(start_factor, 1, W), "
                  "CosineAnnealingLR(T, eta_min)], milestones=[W])",
        ),
    ]
}


def validate_schedule(schedule: dict | None, steps: int | None = None) -> dict:
    """``{"kind": ..., **params}`` with defaults filled; ``ValueError`` otherwise.
    With ``steps``, also what the schedule's ``check`` refuses for a run that long."""
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
    if steps is not None and spec.check is not None:
        spec.check({k: v for k, v in out.items() if k != "kind"}, steps)
    return out


def learning_rates(schedule: dict | None, lr, steps: int) -> np.ndarray:
    """The learning rate of each of ``steps`` updates: ``(steps,)`` for a scalar
    ``lr``, ``(steps, B)`` for an array of ``B`` base rates."""
    sched = validate_schedule(schedule, steps)
    spec = SCHEDULES[sched.pop("kind")]
    t = np.arange(steps, dtype=float)
    lr = np.asarray(lr, dtype=float)
    if lr.ndim:
        t = t[:, None]
    out = np.asarray(spec.formula(t, lr, **sched), dtype=float)
    shape = (steps, lr.shape[0]) if lr.ndim else (steps,)
    return out if out.shape == shape else np.broadcast_to(out, shape).copy()


def never_rises(schedule: dict) -> bool:
    """Whether a (validated) schedule's rate can never go up."""
    return SCHEDULES[schedule["kind"]].never_rises
