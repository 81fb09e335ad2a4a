"""The built-in surfaces: one formula each, written once as a SymPy expression.

Keys are stable: they appear in shareable URLs.
"""

from __future__ import annotations

import math

import numpy as np
import sympy as sp

from descent_lab.optimizers.hyperparams import HyperParam

from .base import Kernels, Surface, SurfaceEntry, X, Y, derivative_sizes, kernels

__all__ = ["SurfaceEntry", "REGISTRY"]

x, y = X, Y


def _surface(key, label, expr, formula, bounds, minimizers, min_value, start, description,
             lr_hints, log_color=False, params=None, scalar=None, vector=None,
             unbounded_below=False) -> Surface:
    expr = sp.sympify(expr)
    if scalar is None:
        scalar, vector = kernels(expr)
    grad_size, hess_size = derivative_sizes(expr)
    return Surface(
        key=key, label=label, formula=formula, bounds=bounds, minimizers=tuple(minimizers),
        min_value=min_value, start=start, scalar=scalar, vector=vector, description=description,
        log_color=log_color, params=dict(params or {}), expression=str(expr),
        lr_hints=lr_hints, unbounded_below=unbounded_below, grad_size=grad_size,
        hess_size=hess_size,
    )


def _hints(gradient: float, normalized: float) -> dict:
    return {"gradient": gradient, "normalized": normalized}


# ------------------------------------------------------------------ valley


def _cos_sin(deg: float) -> tuple[float, float]:
    # exact at multiples of 90 degrees, so angle 0 is truly axis-aligned
    q, r = divmod(deg, 90.0)
    if r == 0:
        return [(1.0, 0.0), (0.0, 1.0), (-1.0, 0.0), (0.0, -1.0)][int(q) % 4]
    t = math.radians(deg)
    return math.cos(t), math.sin(t)


def valley(condition: float = 20.0, angle: float = 0.0) -> Surface:
    c, s = _cos_sin(angle)
    u, v = c * x + s * y, -s * x + c * y
    expr = (u**2 / condition + v**2) / 2
    su, sv = -8.0, 2.0  # start in the valley's own frame, rotated with it
    return _surface(
        "valley", "Elongated valley", expr,
        r"f = \tfrac12\left(u^2/\kappa + v^2\right),\ "
        r"\begin{pmatrix}u\\v\end{pmatrix} = R(\varphi)^{\top}\begin{pmatrix}x\\y\end{pmatrix}",
        ((-10.0, 10.0), (-10.0, 10.0)), [(0.0, 0.0)], 0.0,
        (c * su - s * sv, s * su + c * sv),
        f"A quadratic ravine: curvature 1 across it, 1/κ = {1 / condition:.3g} along it, "
        f"turned {angle:g}° from the x axis. Gradient descent zig-zags across; "
        "per-coordinate rescaling helps when the ravine is axis-aligned.",
        _hints(1.8, 0.3), params={"condition": condition, "angle": angle},
    )


# ------------------------------------------------------------------- simple


def bowl() -> Surface:
    return _surface(
        "bowl", "Round bowl", (x**2 + y**2) / 2, r"f = \tfrac12\left(x^2 + y^2\right)",
        ((-4.0, 4.0), (-4.0, 4.0)), [(0.0, 0.0)], 0.0, (3.0, 1.5),
        "A perfectly conditioned quadratic: the negative gradient points straight at the "
        "minimum, so any rescaling can only bend the path.",
        _hints(0.1, 0.05),
    )


def saddle() -> Surface:
    return _surface(
        "saddle", "Saddle", x**2 - y**2, r"f = x^2 - y^2",
        ((-2.0, 2.0), (-2.0, 2.0)), [], None, (-1.8, 1e-3),
        "A saddle point at the origin: curving up along x, down along y. Starting near the "
        "ridge, gradient descent crawls toward the saddle before the tiny y-gradient "
        "grows; adaptive methods amplify it and escape early.",
        _hints(0.01, 0.01), unbounded_below=True,
    )


def monkey_saddle() -> Surface:
    return _surface(
        "monkey_saddle", "Monkey saddle", x**3 - 3 * x * y**2, r"f = x^3 - 3xy^2",
        ((-2.0, 2.0), (-2.0, 2.0)), [], None, (1.5, 0.05),
        "A degenerate saddle with three valleys (and three ridges): the Hessian vanishes at "
        "the origin, and which valley a run falls into depends on how symmetry is broken.",
        _hints(0.01, 0.01), unbounded_below=True,
    )


def rosenbrock(a: float = 1.0, b: float = 100.0) -> Surface:
    expr = (a - x) ** 2 + b * (y - x**2) ** 2
    return _surface(
        "rosenbrock", "Rosenbrock", expr, r"f = (a - x)^2 + b\,(y - x^2)^2",
        ((-abs(a) - 1.0, abs(a) + 1.0), (-1.0, a * a + 2.0)), [(a, a * a)], 0.0, (-1.2, 1.0),
        "A curved, flat-bottomed banana valley: easy to find, slow to follow to the minimum.",
        _hints(1e-3, 1e-2), log_color=True, params={"a": a, "b": b},
    )


def beale() -> Surface:
    expr = (1.5 - x + x * y) ** 2 + (2.25 - x + x * y**2) ** 2 + (2.625 - x + x * y**3) ** 2
    return _surface(
        "beale", "Beale", expr,
        r"f = (1.5 - x + xy)^2 + (2.25 - x + xy^2)^2 + (2.625 - x + xy^3)^2",
        ((-4.5, 4.5), (-4.5, 4.5)), [(3.0, 0.5)], 0.0, (1.0, 1.4),
        "Flat plateaus and sharp ridges near the corners; the minimum sits in a narrow "
        "curved valley.",
        _hints(1e-3, 1e-2), log_color=True,
    )


HIMMELBLAU_MINIMA = [
    (3.0, 2.0),
    (-2.805118086952745, 3.131312518250573),
    (-3.779310253377747, -3.283185991286170),
    (3.584428340330492, -1.848126526964404),
]


def himmelblau() -> Surface:
    return _surface(
        "himmelblau", "Himmelblau", (x**2 + y - 11) ** 2 + (x + y**2 - 7) ** 2,
        r"f = (x^2 + y - 11)^2 + (x + y^2 - 7)^2",
        ((-5.0, 5.0), (-5.0, 5.0)), HIMMELBLAU_MINIMA, 0.0, (-0.3, -0.9),
        "Four equal minima around a local maximum: where a run ends depends on where it "
        "starts and how it moves.",
        _hints(1e-2, 5e-2), log_color=True,
    )


def rastrigin() -> Surface:
    expr = 20 + x**2 - 10 * sp.cos(2 * sp.pi * x) + y**2 - 10 * sp.cos(2 * sp.pi * y)
    return _surface(
        "rastrigin", "Rastrigin", expr,
        r"f = 20 + \sum_{u \in \{x, y\}} \left(u^2 - 10\cos 2\pi u\right)",
        ((-5.12, 5.12), (-5.12, 5.12)), [(0.0, 0.0)], 0.0, (2.2, 2.7),
        "A bowl covered in a regular grid of local minima: local methods stop in the "
        "nearest dimple.",
        _hints(2e-3, 2e-2),
    )


# Ackley's cone at the origin has no gradient; the kernels below use the
# subgradient 0 there (and a zero cone Hessian), so the minimizer is stationary.
_A, _B, _C = 20.0, 0.2, 2 * math.pi


def _ackley_kernels(m) -> Kernels:
    exp, sqrt, cos, sin = m.exp, m.sqrt, m.cos, m.sin

    def f(x, y):
        r = sqrt(0.5 * (x * x + y * y))
        return -_A * exp(-_B * r) - exp(0.5 * (cos(_C * x) + cos(_C * y))) + math.e + _A

    def parts(x, y):
        r = sqrt(0.5 * (x * x + y * y))
        nz = r != 0
        rs = r + (1.0 - nz)  # r, or 1 at the origin
        q = nz * exp(-_B * r) / rs  # e^{-0.2 r} / r, 0 at the origin
        dq = nz * exp(-_B * r) * (-_B / rs - 1.0 / (rs * rs))  # dq/dr
        e = exp(0.5 * (cos(_C * x) + cos(_C * y)))
        return r, rs, q, dq, e

    def grad(x, y):
        r, rs, q, dq, e = parts(x, y)
        k = _A * _B * 0.5  # d(-A e^{-B r})/dx = A B e^{-B r} x / (2 r) = k x q
        return k * x * q + 0.5 * _C * sin(_C * x) * e, k * y * q + 0.5 * _C * sin(_C * y) * e

    def hess(x, y):
        r, rs, q, dq, e = parts(x, y)
        k = _A * _B * 0.5
        c2 = 0.5 * _C * _C
        sx, sy = sin(_C * x), sin(_C * y)
        hxx = k * (q + x * x / (2 * rs) * dq) + c2 * e * (cos(_C * x) - 0.5 * sx * sx)
        hyy = k * (q + y * y / (2 * rs) * dq) + c2 * e * (cos(_C * y) - 0.5 * sy * sy)
        hxy = k * (x * y / (2 * rs) * dq) - 0.5 * c2 * e * sx * sy
        return hxx, hxy, hyy

    return Kernels(f=f, grad=grad, hess=hess)


def ackley() -> Surface:
    expr = (-20 * sp.exp(-sp.Rational(1, 5) * sp.sqrt((x**2 + y**2) / 2))
            - sp.exp((sp.cos(2 * sp.pi * x) + sp.cos(2 * sp.pi * y)) / 2) + sp.E + 20)
    return _surface(
        "ackley", "Ackley", expr,
        r"f = -20\,e^{-0.2\sqrt{(x^2+y^2)/2}} - e^{(\cos 2\pi x + \cos 2\pi y)/2} + e + 20",
        ((-5.0, 5.0), (-5.0, 5.0)), [(0.0, 0.0)], 0.0, (3.3, -2.4),
        "A nearly flat, bumpy plateau with a deep funnel at the centre.",
        _hints(1e-2, 2e-2), scalar=_ackley_kernels(math), vector=_ackley_kernels(np),
    )


def booth() -> Surface:
    return _surface(
        "booth", "Booth", (x + 2 * y - 7) ** 2 + (2 * x + y - 5) ** 2,
        r"f = (x + 2y - 7)^2 + (2x + y - 5)^2",
        ((-10.0, 10.0), (-10.0, 10.0)), [(1.0, 3.0)], 0.0, (-8.0, -7.0),
        "A tilted quadratic (condition number 9): the ravine is not axis-aligned.",
        _hints(5e-2, 0.1),
    )


CAMEL_MINIMA = [(0.08984201368301331, -0.7126564032704135),
                (-0.08984201368301331, 0.7126564032704135)]


def six_hump_camel() -> Surface:
    expr = (4 - 2.1 * x**2 + x**4 / 3) * x**2 + x * y + (-4 + 4 * y**2) * y**2
    return _surface(
        "six_hump_camel", "Six-hump camel", expr,
        r"f = \left(4 - 2.1x^2 + \tfrac{x^4}{3}\right)x^2 + xy + (4y^2 - 4)\,y^2",
        ((-2.0, 2.0), (-1.2, 1.2)), CAMEL_MINIMA, -1.0316284534898774, (-1.6, 0.6),
        "Six local minima, two of them global, separated by low saddles.",
        _hints(1e-2, 1e-2),
    )


def goldstein_price() -> Surface:
    a = 1 + (x + y + 1) ** 2 * (19 - 14 * x + 3 * x**2 - 14 * y + 6 * x * y + 3 * y**2)
    b = 30 + (2 * x - 3 * y) ** 2 * (18 - 32 * x + 12 * x**2 + 48 * y - 36 * x * y + 27 * y**2)
    return _surface(
        "goldstein_price", "Goldstein-Price", a * b,
        r"f = \bigl[1 + (x+y+1)^2(19 - 14x + 3x^2 - 14y + 6xy + 3y^2)\bigr]"
        r"\bigl[30 + (2x-3y)^2(18 - 32x + 12x^2 + 48y - 36xy + 27y^2)\bigr]",
        ((-2.0, 2.0), (-2.0, 2.0)), [(0.0, -1.0)], 3.0, (0.5, 1.3),
        "Values from 3 to a million: steep walls, flat floors and several local minima.",
        _hints(1e-5, 5e-3), log_color=True,
    )



def edge_of_stability(c: float = 0.01) -> Surface:
    expr = -c * x + (1 + x**2) * y**2 / 2
    return _surface(
        "edge_of_stability", "Edge of stability", expr, r"f = -c\,x + \tfrac12\,(1 + x^2)\,y^2",
        ((2.5, 6.5), (-1.0, 1.0)), [], None, (4.0, 0.1),
        f"A pull c = {c:g} along x towards ever sharper places: the curvature across, 1 + x², grows as x does. "
        "Gradient descent at learning rate η follows the gradient flow until 1 + x² reaches 2/η, then hovers "
        "there, oscillating across, where the central flow predicts (Cohen et al., 2025). The oscillation grows "
        "from whatever perturbs y: give the gradients a tiny noise (σ = 1e-5) or y decays to exactly 0 and "
        "nothing is left to grow.",
        _hints(0.1, 0.01), params={"c": c}, unbounded_below=True,
    )

_ENTRIES = [
    SurfaceEntry(
        key="valley", label="Elongated valley",
        description="Ravine with adjustable conditioning and angle.",
        params=(
            HyperParam(name="condition", label="condition number κ", default=20.0, low=1.0,
                       high=1000.0, scale="log", help="Ratio of the largest to smallest curvature."),
            HyperParam(name="angle", label="rotation (degrees)", default=0.0, low=0.0, high=90.0,
                       help="0 = ravine along the x axis; 45 = diagonal."),
        ),
        build=valley,
    ),
    SurfaceEntry(key="bowl", label="Round bowl", description="The 'good gradient' case.",
                 params=(), build=bowl),
    SurfaceEntry(key="saddle", label="Saddle", description="x² − y²: no minimum; escape or stall.",
                 params=(), build=saddle),
    SurfaceEntry(key="monkey_saddle", label="Monkey saddle",
                 description="x³ − 3xy²: symmetry breaking.", params=(), build=monkey_saddle),
    SurfaceEntry(
        key="rosenbrock", label="Rosenbrock", description="The banana valley.",
        params=(
            HyperParam(name="a", label="a", default=1.0, low=0.5, high=2.0,
                       help="Minimum at (a, a²)."),
            HyperParam(name="b", label="b", default=100.0, low=1.0, high=1000.0, scale="log",
                       help="Steepness of the valley walls."),
        ),
        build=rosenbrock,
    ),
    SurfaceEntry(key="beale", label="Beale", description="Plateaus and sharp corners.",
                 params=(), build=beale),
    SurfaceEntry(key="himmelblau", label="Himmelblau", description="Four equal minima.",
                 params=(), build=himmelblau),
    SurfaceEntry(key="rastrigin", label="Rastrigin", description="A grid of local minima.",
                 params=(), build=rastrigin),
    SurfaceEntry(key="ackley", label="Ackley", description="A funnel in a bumpy plateau.",
                 params=(), build=ackley),
    SurfaceEntry(key="booth", label="Booth", description="A tilted quadratic.",
                 params=(), build=booth),
    SurfaceEntry(key="six_hump_camel", label="Six-hump camel",
                 description="Two global minima among six.", params=(), build=six_hump_camel),
    SurfaceEntry(
        key="edge_of_stability", label="Edge of stability",
        description="Sharpness rises until gradient descent hovers at 2/lr.",
        params=(
            HyperParam(name="c", label="pull c", default=0.01, low=1e-3, high=0.1, scale="log",
                       help="How hard the surface pulls x towards its sharper end."),
        ),
        build=edge_of_stability,
    ),
    SurfaceEntry(key="goldstein_price", label="Goldstein-Price", description="Huge dynamic range.",
                 params=(), build=goldstein_price),
]

REGISTRY: dict[str, SurfaceEntry] = {e.key: e for e in _ENTRIES}
