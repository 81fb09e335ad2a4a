r"""Each run against its own stability edge, step by step, and why it diverged or oscillated.

For every update of a :class:`~optimizers.runner.Trajectory` this module computes the
*effective sharpness*: the largest eigenvalue of the preconditioned Hessian the
optimizer steps with (``PH``, with ``P`` declared by the spec's
:class:`~optimizers.edges.Edge`), and compares it with that optimizer's own edge
(:meth:`Edge.limit`): 2 for gradient descent, :math:`2(1+\mu)` for heavy-ball momentum,
:math:`2(1+\mu)/(1+2\mu)` for Nesterov, 2 for RMSprop without momentum,
:math:`(2+2\beta_1)/(1-\beta_1)` for Adam. :func:`report` adds a sentence that says,
for any optimizer, why the run diverged, hovered at its edge or converged, from the
same linear model (:func:`optimizers.edges.roots`).

Pure functions of a trajectory and its surface; no Dash.
"""

from __future__ import annotations

import cmath
import math
from dataclasses import dataclass

import numpy as np

from .edges import Edge, Model, roots
from .specs import get

__all__ = ["EdgeReport", "effective_hessian", "effective_sharpness", "edge_limit", "report", "behaviour",
           "WHAT"]

WHAT = {"lr": "ηλmax(H)", "lr_eff": "λmax(PH)", "newton": "ηλmax((H + λI)⁻¹H)"}
"""How the page names each kind of effective sharpness."""

HOVER_BAND = 0.1
"""A run *hovers at its edge* when, over its second half, its median effective
sharpness is within this fraction of the edge."""


def _spec_edge(traj) -> Edge:
    return get(traj.key).edge


def effective_hessian(traj, surface) -> np.ndarray:
    """(n, 2, 2) the Hessian each update feels: the surface's at the update's point,
    plus :math:`\\lambda I` for L2 weight decay (which torch adds to the gradient)."""
    hess = surface.hess(traj.xy[:-1]) if traj.steps else np.zeros((0, 2, 2))
    spec = get(traj.key)
    if spec.decay_mode(traj.hparams) == "l2":
        hess = hess + float(traj.hparams["weight_decay"]) * np.eye(2)
    return hess


def _lambda_max_diag(p: np.ndarray, h: np.ndarray) -> np.ndarray:
    """Largest eigenvalue of diag(p) @ h for positive p (n, 2) and symmetric h (n, 2, 2):
    real, as diag(p)^(1/2) h diag(p)^(1/2) is similar to it."""
    a, d = p[:, 0] * h[:, 0, 0], p[:, 1] * h[:, 1, 1]
    det = p[:, 0] * p[:, 1] * (h[:, 0, 0] * h[:, 1, 1] - h[:, 0, 1] * h[:, 1, 0])
    tr = a + d
    return tr / 2 + np.sqrt(np.maximum(tr * tr / 4 - det, 0.0))


def effective_sharpness(traj, surface) -> np.ndarray | None:
    """(n,) the effective sharpness of each update (None when no edge is known)."""
    edge = _spec_edge(traj)
    if not edge.known:
        return None
    h = effective_hessian(traj, surface)
    with np.errstate(all="ignore"):
        if edge.preconditioner == "lr":
            p = np.repeat(np.asarray(traj.lr, dtype=float)[:, None], 2, axis=1)
            return _lambda_max_diag(p, h)
        if edge.preconditioner == "lr_eff":
            return _lambda_max_diag(np.asarray(traj.lr_eff, dtype=float), h)
        # Newton: eta (H + damping I)^-1 H shares H's eigenvectors: eta h / (h + damping)
        if not len(h):
            return np.zeros(0)
        eig = np.linalg.eigvalsh(h)
        damping = float(traj.hparams.get("damping", 0.0))
        return np.asarray(traj.lr, dtype=float) * np.max(eig / (eig + damping), axis=1)


def edge_limit(traj) -> float | None:
    """The run's own edge (None when its optimizer has none known)."""
    return _spec_edge(traj).limit(traj.hparams)


def _fmt(v: float) -> str:
    return f"{v:.3g}"


def behaviour(a: float, model: Model) -> str:
    """What the steepest direction does per step at effective sharpness ``a``, from the
    roots of the step's recurrence: shrinks smoothly, zig-zags, rings, or grows."""
    z1, z2 = roots(a, model)
    rho = max(abs(z1), abs(z2))
    verb = f"shrinks by {_fmt(rho)} a step" if rho < 1 else f"grows by {_fmt(rho)} a step"
    if abs(z1.imag) > 1e-12:
        period = 2 * math.pi / abs(cmath.phase(z1))
        return f"the steepest direction rings (period {period:.1f} steps) and {verb}"
    top = z1 if abs(z1) >= abs(z2) else z2
    if top.real < 0:
        return f"the steepest direction zig-zags across and {verb}"
    return f"the steepest direction {verb} without crossing"


@dataclass(frozen=True)
class EdgeReport:
    """One run against its edge: ``value`` (n,) the effective sharpness of each update
    (None if no edge is known), ``limit`` its edge, ``what`` how the value is named,
    ``above`` the updates past the edge, and ``verdict``: one sentence of why."""

    known: bool
    value: np.ndarray | None
    limit: float | None
    what: str
    above: int
    verdict: str


def _streak_start(above: np.ndarray) -> int:
    """The first update of the last run of consecutive updates past the edge."""
    last = int(np.flatnonzero(above)[-1])
    start = last
    while start > 0 and above[start - 1]:
        start -= 1
    return start


def report(traj, surface) -> EdgeReport:
    """The run against its own edge, with a sentence of why it diverged, oscillated,
    hovered at its edge or settled."""
    spec = get(traj.key)
    edge = spec.edge
    if not edge.known:
        head = f"diverged at step {traj.diverged_at}; " if traj.status == "diverged" else ""
        return EdgeReport(False, None, None, "", 0, f"{head}no stability edge is known for {spec.label}: {edge.why}.")
    value = effective_sharpness(traj, surface)
    limit = float(edge.limit(traj.hparams))
    model = edge.model(traj.hparams)
    with np.errstate(invalid="ignore"):
        above = np.asarray(value > limit)
    n, count = len(value), int(above.sum())
    finite = value[np.isfinite(value)]
    top = float(finite.max()) if finite.size else math.nan
    why = edge.why if model.beta or edge.form == "plain" else f"{edge.why}; without momentum 2"
    named = f"its edge {_fmt(limit)} ({why})"
    what = WHAT[edge.preconditioner]
    if traj.status == "diverged":
        if count:
            j = _streak_start(above) if above[-1] else int(np.flatnonzero(above)[0])
            when = "from its first step" if j == 0 else f"at step {j}"
            text = (f"diverged at step {traj.diverged_at}: its effective sharpness {what} passed {named} {when} "
                    f"and reached {_fmt(top)}; past the edge {behaviour(top, model)}")
        else:
            cause = "the surface falls away without bound" if surface.unbounded_below else \
                "not a curvature instability: the loss runs away"
            text = (f"diverged at step {traj.diverged_at} below {named} (at most {_fmt(top)}): {cause}")
    elif n == 0:
        text = f"no step taken yet; {named}"
    else:
        second = value[n // 2:]
        second = second[np.isfinite(second)]
        hover = second.size and abs(float(np.median(second)) / limit - 1.0) <= HOVER_BAND
        if count and hover:
            text = (f"hovers at {named}: past it on {count} of {n} steps (at most {_fmt(top)}), its median "
                    f"{_fmt(float(np.median(second)))} over the second half; each time it passes, the growing "
                    "oscillation pushes it back below: the edge of stability")
        elif count:
            j = int(np.flatnonzero(above)[-1])
            text = (f"past {named} on {count} of {n} steps (at most {_fmt(top)}, last at step {j}): there "
                    f"{behaviour(top, model)}; it came back below")
        else:
            typical = float(np.median(finite)) if finite.size else math.nan
            text = (f"below {named} at every step (at most {_fmt(top)}); at its median {_fmt(typical)} "
                    f"{behaviour(typical, model)}" if math.isfinite(typical) else f"below {named} at every step")
    return EdgeReport(True, value, limit, what, count, text + ".")
