r"""The flows gradient descent's steps approximate: the gradient flow and the central flow.

* The **gradient flow** :math:`\dot w = -\nabla L(w)` is the limit of gradient descent
  as the learning rate goes to 0; after :math:`k` steps of sizes :math:`\eta_j`, GD is
  compared with the flow at time :math:`t_k = \sum_{j<k} \eta_j`. It is what the
  steps follow while they are stable.
* The **central flow** (Cohen et al., ICLR 2025, "Understanding optimization in deep
  learning with central flows") is what gradient descent follows *on average* once its
  sharpness :math:`S(w) = \lambda_{\max}(\nabla^2 L(w))` has reached :math:`2/\eta`
  and it oscillates at the edge of stability:

  .. math::

      \frac{dw}{dk} = -\eta\Bigl[\nabla L(w) + \tfrac{\sigma^2}{2}\,\nabla S(w)\Bigr],
      \qquad \sigma^2 = \max\Bigl(0,\ \frac{2\,\langle -\nabla L, \nabla S\rangle}{\|\nabla S\|^2}\Bigr)
      \ \text{ while } S(w) \ge 2/\eta,\ \text{else } 0.

  :math:`\sigma^2` is the predicted variance of the oscillation along the top
  eigenvector of the Hessian: it is just large enough to keep :math:`S` at
  :math:`2/\eta` (:math:`dS/dk = 0`). Its root, :math:`\sigma`, predicts the size of
  the oscillation (the RMS of the iterates' distance from the flow along that
  direction).

Both are integrated with the classical Runge-Kutta method, in substeps small enough for
the local curvature (at most :data:`MAX_SUBSTEPS` per step, within a budget of
:data:`MAX_EVALUATIONS` gradient and Hessian evaluations; a flow that would need more
stops early and says so). :math:`\nabla S` is a central difference of the exact
Hessian's top eigenvalue. Pure NumPy and floats; no Dash.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .edges import momentum_limit

__all__ = ["Flow", "Flows", "describe", "gradient_flow", "central_flow", "sharpness_at", "sharpness_gradient", "applies",
           "oscillation", "MAX_SUBSTEPS", "MAX_EVALUATIONS", "SUBSTEP_SHARPNESS"]

MAX_SUBSTEPS = 64
"""Most Runge-Kutta substeps per optimizer step."""
SUBSTEP_SHARPNESS = 0.5
"""Substeps are chosen so that (substep length) x (local |curvature|) stays below this."""
MAX_EVALUATIONS = 400_000
"""Most gradient plus Hessian evaluations one flow may spend."""
RESTORE = 1.0
"""The central flow's way back to the edge: a drift of the integrated S above 2/lr
decays at this rate per unit of time (0 at the edge itself)."""
BOX_FACTOR = 100.0


@dataclass(frozen=True)
class Flow:
    """A flow sampled at the optimizer's steps: ``xy`` (n+1, 2), NaN after it stopped;
    ``sigma`` (n+1,) the predicted oscillation size (0 for the gradient flow);
    ``u`` (n+1, 2) the Hessian's top eigenvector there; ``steps_done`` how many steps
    it covered; ``note`` why it stopped early ("" when it did not); ``evaluations``."""

    xy: np.ndarray
    sigma: np.ndarray
    u: np.ndarray
    steps_done: int
    note: str
    evaluations: int


def _top(h) -> tuple[float, tuple[float, float]]:
    """Largest eigenvalue of a symmetric 2x2 (hxx, hxy, hyy) and its unit eigenvector."""
    a, b, d = h
    lam = (a + d) / 2 + math.sqrt(((a - d) / 2) ** 2 + b * b)
    if abs(b) > 1e-300:
        vx, vy = b, lam - a
    else:
        vx, vy = (1.0, 0.0) if a >= d else (0.0, 1.0)
    n = math.hypot(vx, vy)
    return lam, (vx / n, vy / n)


def _spread(h) -> float:
    """The largest |eigenvalue| of a symmetric 2x2: how stiff the flow is there."""
    a, b, d = h
    r = math.sqrt(((a - d) / 2) ** 2 + b * b)
    return max(abs((a + d) / 2 + r), abs((a + d) / 2 - r))


def sharpness_at(surface, w) -> float:
    """S(w): the largest eigenvalue of the Hessian at ``w``."""
    return _top(surface.scalar.hess(float(w[0]), float(w[1])))[0]


def sharpness_gradient(surface, w) -> tuple[float, float]:
    """The gradient of S at ``w``, by central differences of the exact Hessian."""
    x, y = float(w[0]), float(w[1])
    hx, hy = 1e-5 * (1.0 + abs(x)), 1e-5 * (1.0 + abs(y))
    hess = surface.scalar.hess
    sx = (_top(hess(x + hx, y))[0] - _top(hess(x - hx, y))[0]) / (2 * hx)
    sy = (_top(hess(x, y + hy))[0] - _top(hess(x, y - hy))[0]) / (2 * hy)
    return sx, sy


def _box(surface):
    (x0, x1), (y0, y1) = surface.bounds
    return (x0 + x1) / 2, (y0 + y1) / 2, BOX_FACTOR * (x1 - x0) / 2, BOX_FACTOR * (y1 - y0) / 2


class _Budget(Exception):
    pass


def _integrate(surface, start, lrs, field, stiffness) -> Flow:
    """Sample ``dw/dt = field(w)`` (t in units of the learning rate) at each step's
    time; ``field(w) -> ((vx, vy), evaluations)``."""
    lrs = [float(v) for v in lrs]
    n = len(lrs)
    xy = np.full((n + 1, 2), np.nan)
    sigma = np.zeros(n + 1)
    u = np.full((n + 1, 2), np.nan)
    x, y = float(start[0]), float(start[1])
    cx, cy, rx, ry = _box(surface)
    evals = 0
    note, done = "", n

    def sample(k, w, s2):
        nonlocal evals
        h = surface.scalar.hess(*w)
        evals += 1
        xy[k] = w
        sigma[k] = math.sqrt(s2) if s2 > 0 else 0.0
        u[k] = _top(h)[1]
        return h

    def f(w):
        nonlocal evals
        (vx, vy), cost, s2 = field(w)
        evals += cost
        if evals > MAX_EVALUATIONS:
            raise _Budget
        return vx, vy, s2

    k = 0
    try:
        _, _, s2 = f((x, y))
        h = sample(0, (x, y), s2)
        for k in range(n):
            dt = lrs[k]
            m = min(MAX_SUBSTEPS, max(1, math.ceil(dt * stiffness(h) / SUBSTEP_SHARPNESS)))
            d = dt / m
            for _ in range(m):
                k1 = f((x, y))
                k2 = f((x + d / 2 * k1[0], y + d / 2 * k1[1]))
                k3 = f((x + d / 2 * k2[0], y + d / 2 * k2[1]))
                k4 = f((x + d * k3[0], y + d * k3[1]))
                x += d / 6 * (k1[0] + 2 * k2[0] + 2 * k3[0] + k4[0])
                y += d / 6 * (k1[1] + 2 * k2[1] + 2 * k3[1] + k4[1])
            if not (math.isfinite(x) and math.isfinite(y) and abs(x - cx) <= rx and abs(y - cy) <= ry):
                note, done = f"the flow left the region at step {k + 1}", k
                break
            s2 = f((x, y))[2]
            h = sample(k + 1, (x, y), s2)
    except _Budget:
        note, done = f"stopped at step {k} (its budget of {MAX_EVALUATIONS:,} evaluations)", k
    except (ArithmeticError, ValueError):
        note, done = f"the flow broke down at step {k + 1} (the surface is not finite there)", k
    return Flow(xy=xy, sigma=sigma, u=u, steps_done=done, note=note, evaluations=evals)


def gradient_flow(surface, start, lrs) -> Flow:
    """The gradient flow from ``start``, sampled at the times of steps of sizes ``lrs``."""
    grad = surface.scalar.grad

    def field(w):
        gx, gy = grad(*w)
        return (-gx, -gy), 1, 0.0

    return _integrate(surface, start, lrs, field, _spread)


def central_flow(surface, start, lr: float, steps: int) -> Flow:
    """The central flow of gradient descent at constant learning rate ``lr``."""
    grad, edge = surface.scalar.grad, 2.0 / lr

    def field(w):
        gx, gy = grad(*w)
        if sharpness_at(surface, w) < edge:
            return (-gx, -gy), 2, 0.0
        sx, sy = sharpness_gradient(surface, w)
        norm2 = sx * sx + sy * sy
        # dS/dt = 0 on the edge; the integrator's drift off it decays at rate RESTORE
        drift = RESTORE * (sharpness_at(surface, w) - edge)
        s2 = max(0.0, 2.0 * (-(gx * sx + gy * sy) + drift) / norm2) if norm2 > 0 else 0.0
        return (-(gx + s2 / 2 * sx), -(gy + s2 / 2 * sy)), 7, s2

    return _integrate(surface, start, [lr] * steps, field, _spread)


def applies(traj, spec) -> str:
    """"" when the flows describe this run (gradient descent: the spec's edge is a plain
    step with the learning rate, and without momentum in this configuration), else why
    not. The central flow also needs a constant learning rate (see :func:`central_note`)."""
    edge = spec.edge
    model = edge.model(traj.hparams)
    if edge.preconditioner != "lr" or model is None or model.beta != 0.0 or momentum_limit(model) != 2.0:
        return f"the flows describe gradient descent; {spec.label} steps otherwise"
    return ""


def oscillation(traj, flow: Flow, upto: int | None = None) -> tuple[float, float, int]:
    """(predicted, measured, count): over the steps where the central flow is at the
    edge (sigma > 0), the RMS of sigma and the RMS of the run's distance from the flow
    along the top eigenvector; NaN and 0 when it never reaches the edge."""
    n = min(len(traj.xy), flow.steps_done + 1, upto if upto is not None else len(traj.xy))
    at = np.flatnonzero(flow.sigma[:n] > 0)
    if not at.size:
        return math.nan, math.nan, 0
    along = np.sum((traj.xy[at] - flow.xy[at]) * flow.u[at], axis=1)
    return float(np.sqrt(np.mean(flow.sigma[at] ** 2))), float(np.sqrt(np.mean(along ** 2))), int(at.size)


@dataclass(frozen=True)
class Flows:
    """A run's flows: ``gradient`` (None when the flows do not describe the run),
    ``central`` (None also when the learning rate is scheduled), and ``note``: one
    sentence comparing them with the run."""

    gradient: Flow | None
    central: Flow | None
    note: str


def _point(w) -> str:
    """(x, y) to three digits, a coordinate below 5e-5 in size printed as 0."""
    return "(" + ", ".join(f"{0.0 if abs(v) < 5e-5 else float(v):.3g}" for v in w) + ")"


def describe(traj, surface, spec) -> Flows:
    """Both flows of a gradient-descent run and a sentence of how the run compares: where
    the gradient flow ends, where the central flow reaches the edge 2/lr and holds, and
    the oscillation it predicts against the one measured."""
    why = applies(traj, spec)
    if why:
        return Flows(None, None, why + ".")
    gradient = gradient_flow(surface, traj.xy[0], traj.lr)
    end = gradient.xy[gradient.steps_done]
    parts = [f"the gradient flow (dotted) is at {_point(end)} by step {gradient.steps_done}"
             + (f", then {gradient.note}" if gradient.note else "")]
    lrs = np.asarray(traj.lr)
    if lrs.size and np.any(lrs != lrs[0]):
        parts.append("the central flow needs a constant learning rate, and this one is scheduled")
        return Flows(gradient, None, "; ".join(parts) + ".")
    lr = float(lrs[0]) if lrs.size else 0.0
    if not lrs.size or lr <= 0:
        return Flows(gradient, None, "; ".join(parts) + ".")
    central = central_flow(surface, traj.xy[0], lr, traj.steps)
    edge = 2.0 / lr
    at = np.flatnonzero(central.sigma > 0)
    if not at.size:
        gap = float(np.linalg.norm(traj.xy[-1] - central.xy[min(traj.steps, central.steps_done)]))
        parts.append(f"the central flow never reaches the edge 2/η = {edge:.3g}, so it is the gradient flow here "
                     f"(the run ends {gap:.2g} from it)")
    else:
        predicted, measured, count = oscillation(traj, central)
        parts.append(f"the central flow (dashed) reaches the edge 2/η = {edge:.3g} at step {int(at[0])} and is at "
                     f"{_point(central.xy[central.steps_done])} by step {central.steps_done}; over its {count} steps "
                     f"at the edge it predicts an oscillation of RMS {predicted:.3g} across, the run's is "
                     f"{measured:.3g}")
    if central.note:
        parts.append(f"the central flow {central.note}")
    return Flows(gradient, central, "; ".join(parts) + ".")
