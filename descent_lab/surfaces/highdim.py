r"""An n-dimensional quadratic seen through a plane: is high dimension what makes the bad
cases bad?

:math:`f(w) = \tfrac12 \sum_i \lambda_i\, (u_i \cdot w)^2` in :math:`n` dimensions (2 to
500), with a geometric spectrum :math:`\lambda_i = \kappa^{-(i-1)/(n-1)}` from 1 down to
:math:`1/\kappa`, and eigenvectors :math:`u_i` the columns of
:math:`Q = \exp(\theta A)`: :math:`\theta = 0` leaves them on the coordinate axes (the
aligned case), larger :math:`\theta` turns them by a random rotation (:math:`A` a seeded
random skew-symmetric matrix, the same for every :math:`\theta`).

The optimizers run in all :math:`n` dimensions with their own rules on the array
backend (:mod:`optimizers.highdim`); the page shows the plane of the top and bottom
eigenvectors :math:`u_1, u_n`: the contour is :math:`f` there,
:math:`\tfrac12(a^2 + b^2/\kappa)`, each path is :math:`(u_1 \cdot w, u_n \cdot w)`, and
the loss chart shows the full :math:`n`-dimensional loss. The start is the page's
:math:`(a, b)` in the plane, plus seeded random distances of the same typical size along
the other :math:`n - 2` eigenvectors.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from descent_lab.optimizers.hyperparams import HyperParam

from .base import Kernels, Surface, SurfaceEntry

__all__ = ["Problem", "problem", "quadratic_nd", "ENTRIES", "ROTATION_SEED", "START_SEED"]

ROTATION_SEED = 0
START_SEED = 1


@lru_cache(maxsize=8)
def _skew_eigen(n: int) -> tuple[np.ndarray, np.ndarray]:
    """The eigen-decomposition of i A for the seeded skew-symmetric A (entries of size
    about 1/√n, so θ = 1 is a substantial turn)."""
    g = np.random.default_rng([ROTATION_SEED, n]).standard_normal((n, n)) / math.sqrt(n)
    a = (g - g.T) / 2
    omega, v = np.linalg.eigh(1j * a)
    return omega, v


def rotation(n: int, theta: float) -> np.ndarray:
    """Q = exp(θ A), an n x n rotation (the identity at θ = 0)."""
    if theta == 0:
        return np.eye(n)
    omega, v = _skew_eigen(n)
    q = (v * np.exp(-1j * omega * theta)) @ v.conj().T
    return np.ascontiguousarray(q.real)


@dataclass(frozen=True, eq=False)
class Problem:
    """The quadratic: ``eigenvalues`` (n,) from 1 down to 1/κ, ``basis`` (n, n) whose
    columns are their eigenvectors; the plane is (first column, last column)."""

    n: int
    kappa: float
    theta: float
    eigenvalues: np.ndarray
    basis: np.ndarray

    @property
    def plane(self) -> np.ndarray:
        """(n, 2) the top and bottom eigenvectors."""
        return self.basis[:, [0, -1]]

    def loss(self, w) -> np.ndarray:
        c = np.asarray(w) @ self.basis
        return 0.5 * np.sum(self.eigenvalues * c * c, axis=-1)

    def grad(self, w) -> np.ndarray:
        return ((np.asarray(w) @ self.basis) * self.eigenvalues) @ self.basis.T

    def lift(self, start) -> np.ndarray:
        """The n-dimensional start for a point (a, b) of the plane: plus seeded random
        coordinates of the same typical size along the other eigenvectors."""
        a, b = float(start[0]), float(start[1])
        size = math.hypot(a, b) / math.sqrt(2)
        middle = np.random.default_rng([START_SEED, self.n]).standard_normal(self.n - 2) * size
        return self.basis @ np.concatenate([[a], middle, [b]])


@lru_cache(maxsize=16)
def problem(n: int, kappa: float, theta: float) -> Problem:
    eig = kappa ** (-np.arange(n) / (n - 1))
    return Problem(n=n, kappa=kappa, theta=theta, eigenvalues=eig, basis=rotation(n, theta))


def _plane_kernels(kappa: float) -> tuple[Kernels, Kernels]:
    lo = 1.0 / kappa

    def f(x, y):
        return 0.5 * (x * x + lo * y * y)

    def grad(x, y):
        return x + 0.0 * y, lo * y + 0.0 * x

    def hess(x, y):
        zero = 0.0 * x + 0.0 * y
        return 1.0 + zero, zero, lo + zero

    return Kernels(f=f, grad=grad, hess=hess), Kernels(f=f, grad=grad, hess=hess)


def quadratic_nd(n: int = 200, kappa: float = 100.0, turn: float = 0.0) -> Surface:
    p = problem(int(n), float(kappa), float(turn))
    scalar, vector = _plane_kernels(float(kappa))
    return Surface(
        key="quadratic_nd", label="n-dimensional quadratic",
        formula=r"f(w) = \tfrac12 \textstyle\sum_{i=1}^{n} \lambda_i (u_i\cdot w)^2,\ "
                r"\lambda_i = \kappa^{-(i-1)/(n-1)},\ (u_i) = e^{\theta A}",
        bounds=((-10.0, 10.0), (-10.0, 10.0)), minimizers=((0.0, 0.0),), min_value=0.0, start=(-2.0, 8.0),
        scalar=scalar, vector=vector,
        description=(f"A quadratic in {p.n} dimensions, curvatures from 1 down to 1/κ = {1 / kappa:.3g}, its "
                     f"eigenvectors {'on the coordinate axes' if turn == 0 else f'turned by a random rotation (θ = {turn:g})'}. "
                     "Every run moves in all of them; the plot is the plane of the steepest and the flattest "
                     "(x along u₁, y along uₙ), the loss chart the whole loss, the distance chart the plane's part."),
        params={"n": p.n, "kappa": p.kappa, "turn": p.theta}, lr_hints={"gradient": 1.0, "normalized": 0.05},
        expression="", grad_size=lifted_nodes(p.n), hess_size=lifted_nodes(p.n), lifted=p,
    )


def lifted_nodes(n: int) -> int:
    """A step's size for budgets, in formula nodes (``optimizers.cost``): a fixed cost of
    NumPy calls, then an n x n product. Measured per gradient-descent step (minimum of three
    runs): about 20 us up to n = 100, 92 us at 200, 187 us at 300, 353 us at 500; this counts
    about twice that, as the formula surfaces' sizes do."""
    return 6_000 + (42 * n * n) // 100


ENTRIES: dict[str, SurfaceEntry] = {
    "quadratic_nd": SurfaceEntry(
        key="quadratic_nd", label="n-dimensional quadratic",
        description="Up to 500 dimensions, seen through a plane.",
        params=(
            HyperParam(name="n", label="dimensions n", default=200, low=2, high=500, kind="int",
                       help="How many coordinates the optimizers move in."),
            HyperParam(name="kappa", label="condition number κ", default=100.0, low=1.0, high=10_000.0, scale="log",
                       help="Largest over smallest curvature; the others are spread geometrically between."),
            HyperParam(name="turn", label="rotation θ", default=0.0, low=0.0, high=3.0,
                       help="0: the eigenvectors lie on the coordinate axes; more: a random rotation turns them."),
        ),
        build=quadratic_nd,
    ),
}
