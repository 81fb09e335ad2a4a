"""Descent Lab's optimizers: torch.optim's algorithms as pure update rules.

Public API: :data:`REGISTRY` (ordered specs), :func:`get`, :func:`run`,
:func:`run_batch`, :class:`Trajectory`, :class:`HyperParam`, :class:`OptimizerSpec`,
:data:`SCHEDULES`, :func:`explain` (one update explained by its rule:
:class:`Explanation`, :class:`ExplainedLine`; declared with :class:`Line`). NumPy
only; pandas is imported by ``Trajectory.to_frame``.
"""

from .explain import ExplainedLine, Explanation, explain
from .hyperparams import HyperParam
from .lines import Line
from .runner import (
    MAX_BATCH_RUNS,
    MAX_BATCH_WORK,
    MAX_STEPS,
    Trajectory,
    run,
    run_batch,
)
from .schedules import SCHEDULES, learning_rates, validate_schedule
from .specs import REGISTRY, OptimizerSpec, get

__all__ = [
    "ExplainedLine",
    "Explanation",
    "HyperParam",
    "Line",
    "OptimizerSpec",
    "REGISTRY",
    "SCHEDULES",
    "MAX_STEPS",
    "MAX_BATCH_RUNS",
    "MAX_BATCH_WORK",
    "Trajectory",
    "explain",
    "get",
    "learning_rates",
    "run",
    "run_batch",
    "validate_schedule",
]
