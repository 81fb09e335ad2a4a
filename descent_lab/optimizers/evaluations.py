"""Runs counted in function evaluations instead of steps: fair comparisons with L-BFGS.

One L-BFGS step is several inner iterations and more function evaluations (torch's
``state["func_evals"]``); every other optimizer here evaluates the gradient once a step.
Racing them step for step flatters L-BFGS. :func:`evaluation_axis` puts a run on an axis
of evaluations: index ``k`` of the new trajectory is the point the optimizer stands on after
``k`` evaluations, so a step that costs ``c`` evaluations holds its point for ``c - 1``
indices and moves on the last; runs compared index for index then compare equal work.

For an optimizer with one evaluation a step the axis is its steps (the trajectory is only
cut to the budget).
"""

from __future__ import annotations

import dataclasses

import numpy as np

__all__ = ["cumulative_evaluations", "evaluation_axis"]


COUNTS = ("steps", "evaluations")
"""What a budget of ``steps`` counts: optimizer steps, or function evaluations."""


def cumulative_evaluations(traj) -> np.ndarray:
    """(n,) the function evaluations used after each of the run's ``n`` steps (``traj`` a
    :class:`~optimizers.Trajectory`; the runner imports this module, so it is not named here)."""
    if "func_evals" in traj.state and len(traj.state["func_evals"]) == traj.steps:
        return np.asarray(traj.state["func_evals"][:, 0], dtype=np.int64)
    return np.arange(1, traj.steps + 1, dtype=np.int64)


def _index(array, rows: np.ndarray):
    return None if array is None else np.asarray(array)[rows]


def evaluation_axis(traj, budget: int):
    """The run resampled on function evaluations, cut at ``budget`` of them.

    ``xy[k]`` (and ``loss``, ``grad``) is the iterate after the last step completed within
    ``k`` evaluations; ``state["steps_done"]`` counts the steps completed after each update. Update ``k`` (from index ``k`` to ``k + 1``) is the step under way:
    it takes that step's gradient, learning rate, state and Hessian; its effective learning
    rate is 0 (and its inner iterates NaN) where the step is still evaluating, and the
    step's own where it lands. ``converged_at`` / ``diverged_at`` become evaluation
    counts; a run that ran out of budget mid-step ends at its last complete step.
    """
    if budget < 0:
        raise ValueError(f"An evaluation budget must be 0 or more, got {budget}")
    cum = cumulative_evaluations(traj)
    total = int(min(budget, cum[-1])) if len(cum) else 0
    slots = np.arange(total + 1)
    iterate = np.searchsorted(cum, slots, side="right")  # steps completed within k evaluations
    if total == 0:
        update, moves = np.zeros(0, dtype=np.int64), np.zeros(0, dtype=bool)
    else:
        update = np.minimum(iterate[:-1], traj.steps - 1)  # the step under way at each slot
        moves = iterate[1:] > iterate[:-1]

    def per_update(array):
        return _index(array, update)

    lr_eff = per_update(traj.lr_eff)
    if lr_eff is not None and len(lr_eff):
        lr_eff = np.where(moves[:, None], lr_eff, 0.0)
    series = {}
    for name, points in traj.series.items():
        picked = np.array(np.asarray(points)[update], dtype=float)
        picked[~moves] = np.nan
        series[name] = picked

    def at_step(step):  # evaluations used after ``step`` steps (one each past the record)
        if step is None:
            return None
        if step <= len(cum):
            return int(cum[step - 1]) if step > 0 else 0
        return int(cum[-1] if len(cum) else 0) + step - len(cum)

    steps_kept = int(iterate[-1])
    ended_early = steps_kept < traj.steps
    return dataclasses.replace(
        traj,
        xy=traj.xy[iterate], loss=traj.loss[iterate], grad=traj.grad[iterate],
        grad_used=per_update(traj.grad_used), lr=per_update(traj.lr), lr_eff=lr_eff,
        state={**{name: per_update(values) for name, values in traj.state.items()},
               "steps_done": np.repeat(iterate[1:, None].astype(float), 2, axis=1)},
        hess=per_update(traj.hess), series=series,
        status="max_steps" if ended_early else traj.status,
        converged_at=None if ended_early else at_step(traj.converged_at),
        diverged_at=None if ended_early else at_step(traj.diverged_at),
    )
