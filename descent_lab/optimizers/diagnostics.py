"""The numbers behind the app's instruments, computed from a trajectory.

Pure functions of a :class:`~optimizers.runner.Trajectory` (and its surface), so
the app only draws them and the tests check them here:

* :func:`descent_angle` - the angle between each step and the negative gradient:
  below 90 degrees the step still goes downhill to first order, however the
  optimizer rescaled it.
* :func:`rescaled_direction` - the gradient after the optimizer's per-coordinate
  rescaling, before momentum: ``-lr_eff * g``.
* :func:`sharpness` - ``lr * lambda_max(H)`` along the path: gradient descent on a
  quadratic is stable only while it stays below 2.
* :func:`companion_points` - the points an optimizer keeps beside the one it is at
  (ASGD's averaged iterate, Schedule-Free's z and x), as paths from the start.
* :func:`distance_estimate` - D-Adaptation's and Prodigy's estimate ``d`` of the
  distance from the start to the solution, after each update.
"""

from __future__ import annotations

import numpy as np

__all__ = ["descent_angle", "rescaled_direction", "max_eigenvalue", "sharpness",
           "velocity_direction", "companion_points", "distance_estimate"]


def descent_angle(step: np.ndarray, grad: np.ndarray) -> np.ndarray:
    """Angle in degrees between each ``step`` (n, 2) and ``-grad`` (n, 2).

    NaN where either vector is zero (no direction). ``< 90`` means a descent
    direction; ``> 90`` means the step goes uphill to first order.
    """
    step, grad = np.asarray(step, dtype=float), np.asarray(grad, dtype=float)
    ns, ng = np.linalg.norm(step, axis=-1), np.linalg.norm(grad, axis=-1)
    with np.errstate(all="ignore"):
        cos = -(step * grad).sum(-1) / (ns * ng)
    out = np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))
    out[(ns == 0) | (ng == 0) | ~np.isfinite(cos)] = np.nan
    return out


def rescaled_direction(traj) -> np.ndarray:
    """(n, 2) ``-lr_eff * g``: the negative gradient after per-coordinate rescaling."""
    return -traj.lr_eff * traj.grad_used


def velocity_direction(traj, field: str | None) -> np.ndarray | None:
    """(n, 2) the move the momentum alone asks for, ``-lr_eff * velocity``, or None."""
    if field is None or field not in traj.state:
        return None
    return -traj.lr_eff * traj.state[field]


def max_eigenvalue(hess: np.ndarray) -> np.ndarray:
    """Largest eigenvalue of symmetric 2x2 matrices ``(..., 2, 2)``, closed form."""
    a, b, d = hess[..., 0, 0], hess[..., 0, 1], hess[..., 1, 1]
    return (a + d) / 2 + np.sqrt(((a - d) / 2) ** 2 + b * b)


def sharpness(traj, surface) -> np.ndarray:
    """(n,) ``lr_k * lambda_max(H(x_k))`` for each update: compare with 2, the
    stability limit of gradient descent on a quadratic."""
    if traj.steps == 0:
        return np.zeros(0)
    return traj.lr * max_eigenvalue(surface.hess(traj.xy[:-1]))


def companion_points(traj, points) -> list[tuple[str, np.ndarray]]:
    """The point sequences an optimizer keeps beside its position, as ``(what, path)``
    pairs, each path ``(n + 1, 2)`` from the start like ``traj.xy``.

    ``points`` is the spec's ``(state field, what it is)`` pairs; the state recorded
    after update ``k`` is point ``k + 1``, and every sequence starts at the start
    (Schedule-Free's z and x, ASGD's average: all begin at the initial point)."""
    out = []
    for name, what in points:
        if name in traj.state:
            out.append((what, np.vstack([traj.xy[:1], np.asarray(traj.state[name], dtype=float)])))
    return out


def distance_estimate(traj, field: str | None) -> np.ndarray | None:
    """(n,) the optimizer's estimate of the distance to the solution after each update
    (the scalar ``d`` recorded in state ``field``), or None when it keeps none."""
    if field is None or field not in traj.state:
        return None
    return np.asarray(traj.state[field], dtype=float)[:, 0]
