r"""Adam's known failure, as an online problem the runners can run (Reddi, Kale & Kumar,
2018, "On the convergence of Adam and beyond", section 3).

The losses arrive one per step: :math:`f_t(x, y) = C x` when :math:`t \equiv 1 \pmod 3`
and :math:`-x` otherwise (:math:`C > 2`), plus :math:`y^2/2` so the plane has a second
direction that every optimizer simply settles in. Every iterate is projected back into
:math:`x \in [-1, 1]` (the paper's :math:`\Pi_F`), a named part of the problem: the
surface's ``feasible`` box. The average loss :math:`\bar f = \frac{C-2}{3} x + y^2/2`,
the contour, is smallest at :math:`x = -1`; the rare large gradient :math:`C` points
there, the frequent small ones away.

With :math:`\beta_1 = 0` and :math:`\beta_2 = 1/(1 + C^2)` Adam's :math:`v` forgets the
large gradient within a step or two: it divides :math:`C` by about :math:`C` and each
:math:`-1` by about 1, so every three steps it moves about :math:`(-1 + 0.7 + 1)\,\eta`
towards :math:`x = +1`, the worst point. AMSGrad keeps the largest :math:`v` and
divides everything by about :math:`C`: it moves :math:`-(C-2)/C\,\eta` per cycle, to
:math:`x = -1`. :func:`cycle_steps` gives both in closed form at the steady state.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import sympy as sp

from descent_lab.optimizers.hyperparams import HyperParam

from .base import Surface, SurfaceEntry, X, Y, derivative_sizes, kernels

__all__ = ["Online", "ENTRIES", "reddi", "cycle_steps", "is_large"]


def is_large(k) -> bool:
    """Whether update ``k`` (0-based; the paper's t = k + 1) sees the large gradient C."""
    return k % 3 == 0


@dataclass(frozen=True, eq=False)
class Online:
    """The sequence of gradients: update k sees (C or -1, y), times ``scale``."""

    c: float
    scale: float = 1.0

    @property
    def sampled(self) -> bool:
        return True

    def scaled(self, c: float) -> "Online":
        return replace(self, scale=self.scale * c)

    def gradient(self, k: int) -> float:
        """The x-gradient of update ``k``."""
        return self.scale * (self.c if is_large(k) else -1.0)

    def sampler(self, seed, steps: int):
        """The runner's gradient: its k-th call is update k's (the seed plays no part)."""
        state = {"k": 0}

        def grad(x, y):
            k = state["k"]
            state["k"] = k + 1
            return self.gradient(k), self.scale * y

        return grad

    def array_sampler(self, seeds, steps: int):
        state = {"k": 0}

        def grad(x, y):
            k = state["k"]
            state["k"] = k + 1
            return self.gradient(k) + 0.0 * x, self.scale * y

        return grad


def cycle_steps(c: float, beta2: float, amsgrad: bool) -> tuple[float, float, float]:
    """The three x-steps of one cycle (large gradient, then two small ones), in units of
    the learning rate, for Adam with β1 = 0 at its steady state (the bias correction 1,
    ε 0): v is the fixed point of the cycle's three updates; AMSGrad divides by its
    maximum."""
    b, k = beta2, 1.0 - beta2
    # v1 = b v3 + k C^2, v2 = b v1 + k, v3 = b v2 + k: solve the cycle
    v1 = (k * c * c + b * k + b * b * k) / (1.0 - b ** 3)
    v2 = b * v1 + k
    v3 = b * v2 + k
    if amsgrad:
        top = max(v1, v2, v3)
        v1 = v2 = v3 = top
    return -c / math.sqrt(v1), 1.0 / math.sqrt(v2), 1.0 / math.sqrt(v3)


def reddi(c: float = 10.0) -> Surface:
    expr = (c - 2) / 3 * X + Y**2 / 2
    scalar, vector = kernels(sp.sympify(expr))
    grad_size, hess_size = derivative_sizes(sp.sympify(expr))
    return Surface(
        key="reddi", label="Adam's counterexample (online)",
        formula=r"f_t = \begin{cases} C\,x & t \equiv 1 \ (\mathrm{mod}\ 3)\\ -x & \text{otherwise}\end{cases}"
                r" + \tfrac12 y^2,\quad x \in [-1, 1]",
        bounds=((-1.0, 1.0), (-1.0, 1.0)), minimizers=((-1.0, 0.0),), min_value=-(c - 2) / 3, start=(0.0, 0.6),
        scalar=scalar, vector=vector,
        description=(f"Reddi et al. (2018): the losses arrive one per step, C·x = {c:g}·x every third step and −x "
                     "in between; every iterate is projected back into x ∈ [−1, 1] (the plot is that box). "
                     f"The contour is their average ({(c - 2) / 3:.3g})·x + y²/2, smallest at x = −1. Adam with "
                     f"β1 = 0 and β2 = 1/(1 + C²) = {1 / (1 + c * c):.4g} ends at x = +1; AMSGrad at −1."),
        params={"c": c}, lr_hints={"gradient": 0.01, "normalized": 0.01}, expression=str(expr),
        grad_size=grad_size, hess_size=hess_size, stochastic=Online(c=c),
        feasible=((-1.0, 1.0), (-math.inf, math.inf)),
    )


ENTRIES: dict[str, SurfaceEntry] = {
    "reddi": SurfaceEntry(
        key="reddi", label="Adam's counterexample (online)",
        description="Reddi et al.: a rare large gradient Adam forgets.",
        params=(HyperParam(name="c", label="large gradient C", default=10.0, low=2.5, high=100.0, scale="log",
                           help="The gradient every third step; the others are −1. C > 2."),),
        build=reddi,
    ),
}


