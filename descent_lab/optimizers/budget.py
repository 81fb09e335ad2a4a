"""What a computation will cost, before it starts: :func:`cost`.

A server refuses requests over its budget with this estimate, and stops any that
overstay with the runners' ``deadline`` (:class:`~optimizers.runner.BudgetExceeded`).

The unit is one optimizer step of :func:`optimizers.run` on the cheapest surface
(about 1.5-2.5 us on the development machine; ``benchmarks/bench_cost.py`` prints
the figure and how well the estimate tracks measured time, per case). A step costs
the surface's ``grad_cost`` per gradient evaluation (which grows with the size of
its gradient's formula) times the optimizer's evaluations per step, plus the
Hessian's ``hess_cost`` for a rule that takes one (Newton), plus the update's own
cost where it is heavy (``OptimizerSpec.update_cost``: Muon, Adafactor, L-BFGS).

In :func:`optimizers.run_batch` the Python overhead is paid once per step for all
runs, so the weights differ: each step pays a fixed cost (NumPy calls, more of them
for a bigger formula) and each run-step a small one that grows faster with the
formula's size (vectorised transcendental functions are what costs there).
"""

from __future__ import annotations

import numbers

from .specs import get

__all__ = ["cost", "step_cost", "BATCH_STEP_COST", "BATCH_STEP_NODES", "BATCH_RUN_COST",
           "BATCH_RUN_NODES"]

BATCH_STEP_COST = 8.0
"""The fixed cost of one :func:`run_batch` step on the cheapest surface, in units."""
BATCH_STEP_NODES = 200
"""Formula nodes (gradient, plus Hessian for Newton) that add one more
:data:`BATCH_STEP_COST` to a batch step."""
BATCH_RUN_COST = 0.01
"""One run-step inside :func:`run_batch` on the cheapest surface, in units."""
BATCH_RUN_NODES = 30
"""Formula nodes that add one more :data:`BATCH_RUN_COST` to a run-step."""


def _count(value, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
        raise ValueError(f"Invalid number of {what}: {value!r} (expected a non-negative integer)")
    return int(value)


def step_cost(key: str, surface, hparams: dict | None = None) -> float:
    """One step of optimizer ``key`` on ``surface`` in :func:`run`, in units."""
    spec = get(key)
    per_eval = surface.grad_cost + (surface.hess_cost if spec.hessian else 0.0)
    return spec.evaluations_per_step(hparams) * per_eval + spec.update_cost_per_step(hparams)


def cost(key: str, surface, steps: int, runs: int = 1, *, batch: bool = False,
         **hparams) -> float:
    """The estimated cost of ``runs`` runs of ``steps`` steps of optimizer ``key`` on
    ``surface``: as separate :func:`run` calls (default) or as one
    :func:`run_batch` of ``runs`` runs (``batch=True``: sweeps, maps, the noise
    fan). Linear in steps and in runs; grows with the surface's formula size and,
    for L-BFGS, with the evaluations its hyperparameters allow per step. A rule
    that runs on floats only (L-BFGS, Prodigy) costs in a batch what separate runs
    cost."""
    steps, runs = _count(steps, "steps"), _count(runs, "runs")
    spec = get(key)
    if not batch or spec.floats_only:
        return float(runs * steps * step_cost(key, surface, hparams))
    nodes = surface.grad_size + (surface.hess_size if spec.hessian else 0)
    per_step = BATCH_STEP_COST * (1.0 + nodes / BATCH_STEP_NODES)
    per_run = BATCH_RUN_COST * (1.0 + nodes / BATCH_RUN_NODES)
    update = spec.update_cost_per_step(hparams) * BATCH_RUN_COST * 10  # vectorised, per run
    return float(steps * (spec.evaluations_per_step(hparams) * (per_step + runs * per_run)
                          + runs * update))
