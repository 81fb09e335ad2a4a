r"""What theory predicts on a quadratic, and the same quantity measured on a run.

On a quadratic :math:`f(w) = \tfrac12 (w - w^*)^\top H (w - w^*)` every optimizer whose
edge is declared (:mod:`optimizers.edges`) with the learning rate (or Newton's
:math:`(H+\lambda I)^{-1}`) as its preconditioner is a linear recurrence in each
eigen-direction of :math:`H`, so its rate, its stability and its best settings are
closed forms:

* the **rate** at given settings: the largest spectral radius of the step's recurrence
  over the eigenvalues :math:`\lambda_i` (:func:`rate`); for gradient descent
  :math:`\max_i |1 - \eta\lambda_i|`, at the best step :math:`\eta = 2/(\lambda_1 +
  \lambda_n)` it is :math:`(\kappa - 1)/(\kappa + 1)` (:func:`gd_optimal`);
* **heavy-ball momentum's** best :math:`\eta = 4/(\sqrt{\lambda_1} + \sqrt{\lambda_n})^2`
  and :math:`\mu = \bigl((\sqrt\kappa - 1)/(\sqrt\kappa + 1)\bigr)^2`, rate
  :math:`(\sqrt\kappa - 1)/(\sqrt\kappa + 1)` (Polyak, 1964; :func:`heavy_ball_optimal`).
  There both extreme directions have a *repeated* root, so their distance falls like
  :math:`(a + bk)\rho^k`, not :math:`\rho^k`: over a window of steps the measured factor
  sits above :math:`\rho` by the polynomial's share (:func:`repeated_root_excess`);
* **Nesterov's** best on a quadratic, :math:`\eta = 4/(3\lambda_1 + \lambda_n)`,
  :math:`\mu = (\sqrt{3\kappa+1} - 2)/(\sqrt{3\kappa+1} + 2)`, rate
  :math:`1 - 2/\sqrt{3\kappa + 1}` (Lessard, Recht & Packard, 2016;
  :func:`nesterov_optimal`);
* the **stability region** of momentum, :math:`0 < \eta\lambda < 2 + 2\mu`, and every
  other declared edge (:func:`optimizers.edges.momentum_limit`);
* **diagonal preconditioning** after a rotation: the best condition number any positive
  diagonal scaling :math:`D^{1/2} H D^{1/2}` reaches on a 2x2 :math:`H` is Jacobi's,
  :math:`\kappa_J = (1 + |r|)/(1 - |r|)`, :math:`r = H_{12}/\sqrt{H_{11}H_{22}}`
  (:func:`jacobi_condition`): 1 on an axis-aligned ravine, :math:`\kappa` itself when it
  is turned 45°; and :math:`\|H\|_{1,1} = \sum_{ij}|H_{ij}|`, the curvature measure in
  which Adam's guarantees are stated (Xie et al., 2024, "Adam exploits
  :math:`\ell_\infty`-geometry of loss landscape via coordinate-wise adaptivity").

The measured side (:func:`measured_rate`, :func:`preconditioned_condition`) reads a
:class:`~optimizers.runner.Trajectory`. Pure functions; no Dash.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .edges import Model, momentum_limit, roots, spectral_radius

__all__ = ["Quadratic", "Comparison", "quadratic", "compare", "surface_facts", "rate", "gd_optimal", "heavy_ball_optimal", "nesterov_optimal",
           "jacobi_condition", "condition", "l11", "best_diagonal_condition", "measured_rate",
           "repeated_root_excess", "repeated", "preconditioned_condition", "stable"]

CONSTANT_TOL = 1e-9
"""A surface is a quadratic when its Hessian at a few spread points agrees to this
relative tolerance."""


@dataclass(frozen=True)
class Quadratic:
    """A surface found to be a quadratic: its constant Hessian, eigenvalues (ascending)
    and minimizer (None when the Hessian is not positive definite)."""

    hess: np.ndarray
    eigenvalues: np.ndarray
    minimizer: np.ndarray | None

    @property
    def kappa(self) -> float:
        lo, hi = float(self.eigenvalues[0]), float(self.eigenvalues[-1])
        return hi / lo if lo > 0 else math.inf


def quadratic(surface) -> Quadratic | None:
    """The surface's quadratic form if its Hessian is constant over its bounds, else None."""
    (x0, x1), (y0, y1) = surface.bounds
    points = np.array([[x0, y0], [x1, y0], [x0, y1], [x1, y1], [(x0 + x1) / 2, (y0 + y1) / 2],
                       [x0 + 0.3 * (x1 - x0), y0 + 0.7 * (y1 - y0)], surface.start])
    with np.errstate(all="ignore"):
        hess = surface.hess(points)
    if not np.isfinite(hess).all():
        return None
    scale = max(float(np.abs(hess).max()), 1e-300)
    if float(np.abs(hess - hess[0]).max()) > CONSTANT_TOL * scale:
        return None
    h = (hess[0] + hess[0].T) / 2
    eig = np.linalg.eigvalsh(h)
    minimizer = None
    if eig[0] > 0:
        w = np.asarray(surface.start, dtype=float)
        minimizer = w - np.linalg.solve(h, surface.grad(w))
    return Quadratic(hess=h, eigenvalues=eig, minimizer=minimizer)


# ------------------------------------------------------------------ rates


def rate(model: Model, sharpness) -> float:
    """The largest spectral radius of the recurrence over effective sharpnesses
    ``sharpness`` (``lr * lambda_i`` for a learning rate, one per eigen-direction): the
    factor the slowest direction's distance changes by per step, asymptotically."""
    return max(spectral_radius(float(a), model) for a in np.atleast_1d(sharpness))


def stable(model: Model, sharpness) -> bool:
    """Whether every direction is inside the edge: 0 < a < the model's limit."""
    a = np.atleast_1d(sharpness)
    return bool(np.all(a > 0) and np.all(a < momentum_limit(model)))


def gd_optimal(eigenvalues) -> tuple[float, float]:
    """Gradient descent's best learning rate 2/(λ1 + λn) and its rate (κ-1)/(κ+1)."""
    lo, hi = float(np.min(eigenvalues)), float(np.max(eigenvalues))
    kappa = hi / lo
    return 2.0 / (lo + hi), (kappa - 1.0) / (kappa + 1.0)


def heavy_ball_optimal(eigenvalues) -> tuple[float, float, float]:
    """Polyak's best heavy ball: (lr, momentum, rate) = (4/(√L + √m)², ((√κ-1)/(√κ+1))², (√κ-1)/(√κ+1))."""
    lo, hi = float(np.min(eigenvalues)), float(np.max(eigenvalues))
    q = (math.sqrt(hi / lo) - 1.0) / (math.sqrt(hi / lo) + 1.0)
    return 4.0 / (math.sqrt(hi) + math.sqrt(lo)) ** 2, q * q, q


def nesterov_optimal(eigenvalues) -> tuple[float, float, float]:
    """Nesterov's best on a quadratic (Lessard et al., 2016): (4/(3L + m),
    (√(3κ+1) - 2)/(√(3κ+1) + 2), 1 - 2/√(3κ+1))."""
    lo, hi = float(np.min(eigenvalues)), float(np.max(eigenvalues))
    s = math.sqrt(3.0 * hi / lo + 1.0)
    return 4.0 / (3.0 * hi + lo), (s - 2.0) / (s + 2.0), 1.0 - 2.0 / s


def repeated(model: Model, a: float, tol: float = 1e-6) -> bool:
    """Whether the two roots at effective sharpness ``a`` coincide (a double root)."""
    z1, z2 = roots(a, model)
    return abs(z1 - z2) <= tol * max(1.0, abs(z1))


def repeated_root_excess(k0: int, k1: int) -> float:
    """How much a distance falling like (a + bk)ρ^k (b ≫ a) shrinks slower than ρ^k per
    step over the steps k0..k1: ((k1 + 1)/(k0 + 1))^(1/(k1 - k0)); it tends to 1 as the
    window moves on."""
    return ((k1 + 1.0) / (k0 + 1.0)) ** (1.0 / (k1 - k0))


# ------------------------------------------------------------------ preconditioning


def condition(hess) -> float:
    """λmax / λmin of a symmetric matrix (inf when not positive definite)."""
    eig = np.linalg.eigvalsh(np.asarray(hess, dtype=float))
    return float(eig[-1] / eig[0]) if eig[0] > 0 else math.inf


def jacobi_condition(hess) -> tuple[float, float]:
    """(κ_J, r): the condition number after Jacobi scaling, (1 + |r|)/(1 - |r|) with
    r = H12/√(H11 H22), the best any positive diagonal preconditioner reaches on a 2x2."""
    h = np.asarray(hess, dtype=float)
    r = float(h[0, 1] / math.sqrt(h[0, 0] * h[1, 1]))
    return (1.0 + abs(r)) / (1.0 - abs(r)) if abs(r) < 1 else math.inf, r


def best_diagonal_condition(hess, n: int = 4001, span: float = 8.0) -> float:
    """The smallest κ(D^(1/2) H D^(1/2)) over diagonal D = diag(1, t), t on a log grid of
    ``n`` values over 10^±span: a brute-force check of :func:`jacobi_condition`."""
    h = np.asarray(hess, dtype=float)
    t = np.logspace(-span, span, n)
    a, b, d = h[0, 0], h[0, 1] * np.sqrt(t), h[1, 1] * t
    mid, rad = (a + d) / 2, np.sqrt(((a - d) / 2) ** 2 + b * b)
    return float(np.min((mid + rad) / (mid - rad)))


def l11(hess) -> float:
    """‖H‖₁,₁: the sum of the absolute entries."""
    return float(np.abs(np.asarray(hess, dtype=float)).sum())


def preconditioned_condition(lr_eff, hess) -> np.ndarray:
    """κ of diag(p) H for each row ``p`` of ``lr_eff`` (n, 2): the condition number the
    optimizer's per-coordinate rates leave (inf where not positive definite)."""
    p = np.asarray(lr_eff, dtype=float)
    h = np.asarray(hess, dtype=float)
    a, d = p[:, 0] * h[0, 0], p[:, 1] * h[1, 1]
    b2 = p[:, 0] * p[:, 1] * h[0, 1] ** 2
    mid, rad = (a + d) / 2, np.sqrt(((a - d) / 2) ** 2 + b2)
    with np.errstate(all="ignore"):
        return np.where(mid - rad > 0, (mid + rad) / (mid - rad), np.inf)


# ------------------------------------------------------------------ measured


def measured_rate(distance, floor: float = 1e-10, envelope: int = 12) -> tuple[float, int, int]:
    """(factor per step, k0, k1): how the distance to the minimizer shrinks (or grows)
    per step over the second half of the steps before it reaches ``floor`` times its
    start (rounding) or ends. A ringing run is read on its envelope (the largest
    distance over ``envelope`` steps). NaN when fewer than 8 steps are usable."""
    d = np.asarray(distance, dtype=float)
    usable = np.isfinite(d) & (d > floor * max(float(d[0]), 1e-300))
    end = int(np.argmin(usable)) if not usable.all() else len(d)
    k1 = end - 1
    w = max(1, min(envelope, k1 // 4))
    k0 = (k1 + w) // 2
    if k1 - k0 < 4 or k0 - w + 1 < 0:
        return math.nan, 0, 0
    env1, env0 = d[k1 - w + 1:k1 + 1].max(), d[k0 - w + 1:k0 + 1].max()
    if env0 <= 0:
        return math.nan, 0, 0
    return float((env1 / env0) ** (1.0 / (k1 - k0))), k0, k1


# ------------------------------------------------------------------ beside a run


@dataclass(frozen=True)
class Comparison:
    """One line of theory beside measurement: ``what`` (the formula in words),
    ``predicted``, ``measured`` (None when nothing is measured against it) and ``note``
    (how it is measured, or what it means)."""

    what: str
    predicted: float
    measured: float | None = None
    note: str = ""


def surface_facts(q: Quadratic) -> list[Comparison]:
    """The quadratic's own numbers: its curvatures, κ, what diagonal preconditioning can
    reach (κ_J) and ‖H‖₁,₁."""
    kappa_j, r = jacobi_condition(q.hess)
    lo, hi = float(q.eigenvalues[0]), float(q.eigenvalues[-1])
    return [
        Comparison("largest curvature λ1", hi),
        Comparison("smallest curvature λn", lo),
        Comparison("condition number κ = λ1/λn", q.kappa),
        Comparison("best κ after any diagonal rescaling: (1 + |r|)/(1 − |r|)", kappa_j, None,
                   f"r = H12/√(H11 H22) = {r:.4g}: 1 when the ravine lies along an axis, κ when it is turned 45°"),
        Comparison("‖H‖₁,₁ = Σ|Hij|", l11(q.hess), None,
                   f"against 2λ1 = {2 * hi:.4g}: per-coordinate methods' curvature (Xie et al., 2024)"),
    ]


def _target(q: Quadratic, traj, spec) -> tuple[np.ndarray, np.ndarray] | None:
    """(Hessian felt, minimizer): with L2 decay the quadratic is H + λI, its minimum moved."""
    if q.minimizer is None:
        return None
    h = q.hess
    if spec.decay_mode(traj.hparams) == "l2":
        wd = float(traj.hparams["weight_decay"])
        moved = np.linalg.solve(h + wd * np.eye(2), h @ q.minimizer)
        return h + wd * np.eye(2), moved
    return h, q.minimizer


def compare(traj, surface, spec) -> list[Comparison] | str:
    """The formulas that apply to this run on this surface, each beside its measurement;
    a sentence instead when none applies (not a quadratic, no known edge...)."""
    q = quadratic(surface)
    if q is None:
        return "these formulas hold on a quadratic (a constant Hessian); this surface is not one"
    edge = spec.edge
    if not edge.known:
        return f"no formula is known for {spec.label}: {edge.why}"
    target = _target(q, traj, spec)
    if target is None:
        return "the quadratic has no minimum (its Hessian is not positive definite): there is no rate to it"
    h, w_star = target
    eig = np.linalg.eigvalsh(h)
    distance = np.linalg.norm(traj.xy - w_star, axis=1)
    model = edge.model(traj.hparams)
    out: list[Comparison] = []
    if edge.preconditioner == "lr_eff":
        kappa_j, _ = jacobi_condition(h)
        left = preconditioned_condition(traj.lr_eff[len(traj.lr_eff) // 2:], h) if traj.steps else np.array([])
        measured = float(np.median(left)) if left.size else None
        out.append(Comparison("condition number its rates leave, κ(diag(η_eff) H)", kappa_j, measured,
                              f"theory: the best any diagonal rescaling reaches; measured: median over the "
                              f"second half of the run; without rescaling κ = {condition(h):.4g}"))
        return out
    lrs = np.asarray(traj.lr, dtype=float)
    if not lrs.size or np.any(lrs != lrs[0]):
        return "these rates hold at a constant learning rate, and this one is scheduled or absent"
    lr = float(lrs[0])
    damping = float(traj.hparams.get("damping", 0.0)) if edge.preconditioner == "newton" else 0.0
    sharp = lr * eig / (eig + damping) if edge.preconditioner == "newton" else lr * eig
    rho = rate(model, sharp)
    measured, k0, k1 = measured_rate(distance)
    slowest = [float(a) for a in sharp if spectral_radius(float(a), model) >= rho * (1 - 1e-9)]
    out.append(Comparison("rate per step: the slowest direction's root", rho,
                          None if math.isnan(measured) else measured,
                          f"measured: the distance to the minimum, steps {k0}–{k1}" if k1 else "too few steps to measure"))
    if k1 and any(repeated(model, a, tol=1e-3) for a in slowest):
        excess = repeated_root_excess(k0, k1)
        out.append(Comparison("the same, with the repeated root's factor k taken out", rho, measured / excess,
                              "the two roots coincide, so the distance falls like (a + bk)ρ^k: over these steps k "
                              f"alone slows it by {excess:.4g} a step"))
    limit = momentum_limit(model)
    top = float(np.max(sharp))
    status = (f"diverged at step {traj.diverged_at}" if traj.status == "diverged" else "did not diverge")
    out.append(Comparison("its edge, against ηλmax here", limit, top,
                          ("stable: inside the edge" if top < limit else "past the edge: it must diverge")
                          + f"; the run {status}"))
    if model.beta == 0.0 and edge.preconditioner == "lr":
        best_lr, best_rate = gd_optimal(eig)
        out.append(Comparison("best learning rate 2/(λ1 + λn)", best_lr, lr, "measured: this run's"))
        out.append(Comparison("its rate (κ − 1)/(κ + 1)", best_rate, None if math.isnan(measured) else measured,
                              "measured: this run's rate"))
    elif edge.form == "heavy_ball" and model.c_m * (1 - model.beta) == 1.0:
        best_lr, best_mu, best_rate = heavy_ball_optimal(eig)
        out.append(Comparison("best learning rate 4/(√λ1 + √λn)²", best_lr, lr, "measured: this run's"))
        out.append(Comparison("best momentum ((√κ − 1)/(√κ + 1))²", best_mu, model.beta, "measured: this run's"))
        out.append(Comparison("their rate (√κ − 1)/(√κ + 1)", best_rate, None if math.isnan(measured) else measured,
                              "measured: this run's rate (at the best settings, a repeated root)"))
    elif edge.form == "nesterov":
        best_lr, best_mu, best_rate = nesterov_optimal(eig)
        out.append(Comparison("best learning rate 4/(3λ1 + λn)", best_lr, lr, "measured: this run's"))
        out.append(Comparison("best momentum (√(3κ+1) − 2)/(√(3κ+1) + 2)", best_mu, model.beta, "measured: this run's"))
        out.append(Comparison("their rate 1 − 2/√(3κ + 1)", best_rate, None if math.isnan(measured) else measured,
                              "measured: this run's rate"))
    return out
