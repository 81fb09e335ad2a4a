"""Descent Lab's optimizers: torch.optim's algorithms as pure update rules.

Public API: :data:`OPTIMIZERS` (ordered specs; :data:`REGISTRY` those whose knobs are
all sliders and options), :func:`get`, :func:`run`,
:func:`run_batch`, :class:`Trajectory`, :class:`HyperParam`, :class:`OptimizerSpec`,
:data:`SCHEDULES`, :func:`explain` (one update explained by its rule:
:class:`Explanation`, :class:`ExplainedLine`; declared with :class:`Line`),
:func:`cost` (an estimate before a run) and :class:`BudgetExceeded` (a ``deadline``
passed during one). NumPy only; pandas is imported by ``Trajectory.to_frame``.

torch's ``maximize`` option is left out on purpose: maximizing f is minimizing -f,
which a typed surface shows directly, and it changes nothing else in any rule.
"""

from .budget import cost
from .explain import ExplainedLine, Explanation, explain
from .hyperparams import HyperParam
from .lines import Line
from .runner import (
    MAX_BATCH_RUNS,
    BudgetExceeded,
    MAX_BATCH_WORK,
    MAX_STEPS,
    Trajectory,
    run,
    run_batch,
)
from .schedules import SCHEDULES, learning_rates, validate_schedule
from .specs import OPTIMIZERS, REGISTRY, OptimizerSpec, get

__all__ = [
    "BudgetExceeded",
    "ExplainedLine",
    "Explanation",
    "HyperParam",
    "Line",
    "OptimizerSpec",
    "OPTIMIZERS",
    "REGISTRY",
    "SCHEDULES",
    "MAX_STEPS",
    "MAX_BATCH_RUNS",
    "MAX_BATCH_WORK",
    "Trajectory",
    "cost",
    "explain",
    "get",
    "learning_rates",
    "run",
    "run_batch",
    "validate_schedule",
]
