r"""Run an optimizer in n dimensions on a lifted surface (:mod:`surfaces.highdim`) with
the same elementwise rules, on the array backend: the rule's ``init``/``update`` see the
whole (n,) vector at once, exactly as they see a batch of runs' coordinates.

:func:`run_lifted` returns the fields of a :class:`~optimizers.runner.Trajectory` of the
plane: ``xy`` the path's coordinates along the top and bottom eigenvectors
:math:`u_1, u_n`, ``grad`` and ``grad_used`` the gradient's (the plane quadratic's
gradient there, as the :math:`u_i` are eigenvectors), ``lr_eff`` the effective rate along
each of the two directions (:math:`u^\top \mathrm{diag}(\eta_{\text{eff}})\, u`), each
state buffer projected the same way, and ``loss`` the full n-dimensional loss. Rules that
couple the coordinates through a 2x2 Hessian (Newton) are refused.
"""

from __future__ import annotations

import math

import numpy as np

from .backend import ARRAY
from .specs import get

__all__ = ["run_lifted", "BOX", "MAX_WORK"]

BOX = 1e6
"""A run whose distance to the minimum passes this diverges."""
MAX_WORK = 2_000_000
"""Most dimensions x steps in one run."""


def _along(value, plane) -> np.ndarray:
    """A per-coordinate quantity read along the plane's two directions: u . v for a
    vector (a position, a buffer), the same number twice for a scalar."""
    value = np.asarray(value, dtype=float)
    return np.full(2, float(value)) if value.ndim == 0 else value @ plane


def run_lifted(key, surface, start, steps, hp, lrs, nz=None, check=None) -> dict:
    """The n-dimensional run behind :func:`optimizers.run` on a lifted surface, as the
    fields of its trajectory. ``check(k)`` is called every 64 steps (the deadline)."""
    spec = get(key)
    problem = surface.lifted
    if spec.coupled:
        raise ValueError(f"{spec.label}'s rule is written for two coordinates; the n-dimensional quadratic runs "
                         "the elementwise rules")
    if problem.n * steps > MAX_WORK:
        raise ValueError(f"Too much work: {problem.n} dimensions x {steps} steps exceeds {MAX_WORK:,}; "
                         "take fewer steps or dimensions")
    plane = problem.plane
    weights = plane * plane  # u_j^2: lr_eff along u is sum_j lr_eff_j u_j^2
    rule = spec.make(ARRAY, **hp)
    p = problem.lift(start)
    state = rule.init(p, float(lrs[0]) if steps else 0.0)
    fields = state._fields[1:]
    xy, loss, used, eff = [p @ plane], [float(problem.loss(p))], [], []
    buffers = {f: [] for f in fields}
    status, at = "max_steps", None
    with np.errstate(all="ignore"):
        for k in range(steps):
            if check is not None and k % 64 == 0:
                check(k)
            g = problem.grad(p)
            if nz is not None:
                g = g + nz[k][0] * plane[:, 0] + nz[k][1] * plane[:, 1]
            p_new, state, lr_eff = rule.update(p, g, state, float(lrs[k]))
            value = float(problem.loss(p_new))
            if not (np.isfinite(p_new).all() and math.isfinite(value) and np.linalg.norm(p_new) <= BOX):
                status, at = "diverged", k + 1
                break
            used.append(g @ plane)
            eff.append(np.full(2, np.nan) if lr_eff is None else
                       (np.full(2, float(lr_eff)) if np.ndim(lr_eff) == 0 else np.asarray(lr_eff) @ weights))
            for f, buffer in zip(fields, state[1:]):
                buffers[f].append(_along(buffer, plane))
            p = p_new
            xy.append(p @ plane)
            loss.append(value)
    n = len(xy) - 1
    xy = np.array(xy)
    return {"xy": xy, "loss": np.array(loss), "grad": surface.grad(xy), "grad_used": np.array(used).reshape(n, 2),
            "lr": np.asarray(lrs[:n], dtype=float), "lr_eff": np.array(eff).reshape(n, 2),
            "state": {f: np.array(v).reshape(n, 2) for f, v in buffers.items()},
            "status": status, "diverged_at": at}
