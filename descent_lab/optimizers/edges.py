r"""Each optimizer's stability edge, declared on its spec: the linear model of its step.

Near a point where the Hessian is :math:`H`, an optimizer whose step is a gradient
times a (frozen) preconditioner :math:`P`, possibly through a momentum buffer, acts on
each eigen-direction of :math:`PH` as a linear recurrence in that direction's
eigenvalue :math:`a` (its *effective sharpness*). Every optimizer declared here is one
case of the two-term recurrence

.. math::

    m_t = \beta\, m_{t-1} + (1-\beta)\, a\, x_t, \qquad
    x_{t+1} = x_t - \bigl(c_g\, a\, x_t + c_m\, m_t\bigr)

(:math:`x` the distance along the direction, :math:`m` an exponential average of
its gradients), whose characteristic polynomial is :math:`z^2 - Tz + D` with
:math:`T = 1 + \beta - a(c_g + c_m(1-\beta))` and :math:`D = \beta(1 - a c_g)`. By
Jury's test it is stable for :math:`a > 0` exactly while

.. math::

    a < \frac{2(1+\beta)}{c_g(1+\beta) + c_m(1-\beta)}
    \quad\text{and}\quad \beta\,|1 - a c_g| < 1,

which gives the known edges (:func:`momentum_limit`):

* gradient descent (:math:`\beta = 0, c_g = 1`): :math:`\eta\lambda < 2`;
* heavy ball, torch's buffer :math:`b_t = \mu b_{t-1} + (1-\tau) g_t`,
  :math:`\theta \mathrel{-}= \eta b_t` (:math:`c_m = (1-\tau)/(1-\mu)`):
  :math:`\eta\lambda < 2(1+\mu)/(1-\tau)`, i.e. :math:`2(1+\mu)` without dampening;
* Nesterov, torch's :math:`\theta \mathrel{-}= \eta(g_t + \mu b_t)`
  (:math:`c_g = 1, c_m = \mu/(1-\mu)`): :math:`\eta\lambda < 2(1+\mu)/(1+2\mu)`, which
  is *below* gradient descent's 2 (1.36 at :math:`\mu = 0.9`);
* an exponential average :math:`m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t`,
  :math:`\theta \mathrel{-}= P m_t` (Adam, :math:`c_m = 1`):
  :math:`\lambda_{\max}(PH) < (2+2\beta_1)/(1-\beta_1)`, 38 at :math:`\beta_1 = 0.9`
  (Cohen et al., 2022, "Adaptive gradient methods at the edge of stability").

The preconditioner :math:`P` is ``"lr"`` (the learning rate times the identity),
``"lr_eff"`` (the diagonal of the run's effective learning rates, ``Trajectory.lr_eff``:
:math:`\eta/(\sqrt{v}+\epsilon)` for RMSprop, :math:`\eta/(\sqrt{\hat v}+\epsilon)` for
Adam, treated as frozen for the step), or ``"newton"``
(:math:`\eta\,(H + \lambda I)^{-1}`). The per-step numbers are computed by
:mod:`optimizers.stability`; this module holds the records and the closed forms.
"""

from __future__ import annotations

import cmath
import math
from dataclasses import dataclass
from typing import Literal, Mapping

__all__ = ["Edge", "Model", "momentum_limit", "roots", "spectral_radius", "NO_EDGE"]


@dataclass(frozen=True)
class Model:
    """The two-term recurrence of one eigen-direction: momentum ``beta``, the weight
    ``c_g`` of the fresh gradient and ``c_m`` of the averaged one."""

    beta: float
    c_g: float
    c_m: float


def momentum_limit(model: Model) -> float:
    """The largest effective sharpness ``a`` at which the recurrence is stable (Jury's
    test; ``inf`` if none bounds it)."""
    beta, c_g, c_m = model.beta, model.c_g, model.c_m
    weight = c_g * (1.0 + beta) + c_m * (1.0 - beta)
    limit = 2.0 * (1.0 + beta) / weight if weight > 0 else math.inf
    if beta > 0 and c_g > 0:  # |D| < 1: beta |1 - a c_g| < 1
        limit = min(limit, (1.0 + 1.0 / beta) / c_g)
    return limit


def roots(a: float, model: Model) -> tuple[complex, complex]:
    """The two roots of :math:`z^2 - Tz + D` at effective sharpness ``a``: how a
    direction's distance evolves per step (``|z| < 1`` shrinks, a negative real root
    flips sign each step, complex roots ring)."""
    beta, c_g, c_m = model.beta, model.c_g, model.c_m
    t = 1.0 + beta - a * (c_g + c_m * (1.0 - beta))
    d = beta * (1.0 - a * c_g)
    disc = cmath.sqrt(t * t - 4.0 * d)
    return (t + disc) / 2.0, (t - disc) / 2.0


def spectral_radius(a: float, model: Model) -> float:
    """max |z| over the two roots: the factor the slowest part shrinks (or grows) by."""
    return max(abs(z) for z in roots(a, model))


@dataclass(frozen=True, kw_only=True)
class Edge:
    """How an optimizer's step reads as the recurrence above (see the module's text).

    * ``preconditioner``: ``"lr"``, ``"lr_eff"`` or ``"newton"``; None when no edge is
      known for this optimizer, and ``why`` says why.
    * ``form``: ``"plain"`` (no momentum), ``"heavy_ball"`` (torch SGD's buffer),
      ``"nesterov"`` (torch's look-ahead) or ``"ema"`` (Adam's averaged gradient).
    * ``momentum``: the hyperparameter holding :math:`\\mu` or :math:`\\beta_1` (0 or
      absent: plain); ``dampening``: the heavy ball's dampening hyperparameter.
    * ``why``: where the edge comes from, or why there is none.

    L2 weight decay (``spec.decay_mode == "l2"``) adds :math:`\\lambda I` to the Hessian
    the step feels; decoupled decay only shrinks the weights and is left out (it moves
    the edge by about :math:`\\eta\\lambda`). Adam's bias correction of :math:`m` (a
    factor :math:`1/(1-\\beta_1^t)` that tends to 1) is left out, as in Cohen et al.
    """

    preconditioner: Literal["lr", "lr_eff", "newton"] | None
    form: Literal["plain", "heavy_ball", "nesterov", "ema"] = "plain"
    momentum: str | None = None
    dampening: str | None = None
    why: str = ""

    @property
    def known(self) -> bool:
        return self.preconditioner is not None

    def model(self, hparams: Mapping[str, object]) -> Model | None:
        """The recurrence of a configuration (None when no edge is known)."""
        if not self.known:
            return None
        mu = float(hparams.get(self.momentum, 0.0)) if self.momentum else 0.0
        if self.form == "plain" or mu == 0.0:  # torch keeps no buffer without momentum
            return Model(0.0, 1.0, 0.0)
        if self.form == "heavy_ball":
            tau = float(hparams.get(self.dampening, 0.0)) if self.dampening else 0.0
            return Model(mu, 0.0, (1.0 - tau) / (1.0 - mu))
        if self.form == "nesterov":
            return Model(mu, 1.0, mu / (1.0 - mu))
        return Model(mu, 0.0, 1.0)  # ema

    def limit(self, hparams: Mapping[str, object]) -> float | None:
        """The edge of a configuration: the largest stable effective sharpness."""
        model = self.model(hparams)
        return None if model is None else momentum_limit(model)


NO_EDGE = Edge(preconditioner=None, why="no stability edge is declared for it")
"""What an optimizer without a declared edge has: the page says so instead of drawing
a line that would be wrong."""
