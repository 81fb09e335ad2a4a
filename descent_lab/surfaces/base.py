"""The ``Surface`` record and how its math is built from one symbolic formula.

A surface is declarative (bounds, minimizers, minimum value, an instructive start,
LaTeX, display hints) plus pure math. The math is written once, as a SymPy
expression; :func:`kernels` differentiates it exactly and generates two sets of
plain functions of ``(x, y)``:

* ``scalar``: on Python floats (``math`` module) for the interactive runner;
* ``vector``: on NumPy arrays of any shape, for batches and contour grids.

``Surface.f(xy)``, ``.grad(xy)`` and ``.hess(xy)`` take arrays of shape ``(..., 2)``
and return ``(...)``, ``(..., 2)`` and ``(..., 2, 2)``: one function for a point, a
batch of runs or a whole grid.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Callable, Mapping

import numpy as np
import sympy as sp

from descent_lab.optimizers.hyperparams import HyperParam

__all__ = ["Surface", "SurfaceEntry", "Kernels", "X", "Y", "kernels", "derivative_sizes", "fmt",
           "nearest_distance", "GRAD_NODES_PER_UNIT", "HESS_NODES_PER_UNIT", "CALL_WEIGHT"]

X, Y = sp.symbols("x y", real=True)


@dataclass(frozen=True, kw_only=True)
class Kernels:
    """``f(x, y)``, ``grad(x, y) -> (gx, gy)``, ``hess(x, y) -> (hxx, hxy, hyy)``."""

    f: Callable
    grad: Callable
    hess: Callable


def _real_part(v):
    return v.real if isinstance(v, complex) else v


def _imag_part(v):
    return v.imag if isinstance(v, complex) else 0.0 * v


def _argument(v):
    if isinstance(v, complex):
        return math.atan2(v.imag, v.real)
    return 0.0 if v >= 0 else math.pi


def _conjugate(v):
    return v.conjugate() if isinstance(v, complex) else v


# SymPy writes re, im, arg and conjugate into derivatives of some real expressions (x**x):
# the math module has none of them, so the float kernels get them here (NumPy's printer
# maps them itself), with NumPy's meaning on real numbers.
_MATH = [{"re": _real_part, "im": _imag_part, "arg": _argument, "conjugate": _conjugate}, "math"]


@lru_cache(maxsize=512)
def derivatives(expr: sp.Expr) -> tuple[tuple[sp.Expr, sp.Expr], tuple[sp.Expr, sp.Expr, sp.Expr]]:
    """``((f_x, f_y), (f_xx, f_xy, f_yy))``: the exact gradient and Hessian of ``expr``,
    differentiated once for the kernels and the cost model alike."""
    gx, gy = sp.diff(expr, X), sp.diff(expr, Y)
    return (gx, gy), (sp.diff(gx, X), sp.diff(gx, Y), sp.diff(gy, Y))


@lru_cache(maxsize=512)
def kernels(expr: sp.Expr) -> tuple[Kernels, Kernels]:
    """Exact derivatives of ``expr`` in ``x, y`` as (scalar, vector) kernels."""
    (gx, gy), (hxx, hxy, hyy) = derivatives(expr)
    out = []
    for modules in (_MATH, "numpy"):
        def lam(e, modules=modules):
            return sp.lambdify((X, Y), e, modules=modules, cse=True)

        out.append(Kernels(f=lam(expr), grad=lam((gx, gy)), hess=lam((hxx, hxy, hyy))))
    return out[0], out[1]


GRAD_NODES_PER_UNIT = 400
"""Weighted nodes of the exact gradient's formula that cost about as much as one
interactive optimizer step (measured by ``benchmarks/bench_cost.py``)."""
HESS_NODES_PER_UNIT = 800
"""The same for the Hessian (whose shared subexpressions the generated code reuses)."""
CALL_WEIGHT = 10
"""Weight of a function call (sin, exp, atan2, abs...) or a non-integer power in a
formula's size: on arrays one of them costs about ten arithmetic operations."""


def _weight(node: sp.Basic) -> int:
    call = isinstance(node, sp.Function) or (isinstance(node, sp.Pow) and not node.exp.is_Integer)
    return CALL_WEIGHT if call else 1


def _size(e: sp.Basic) -> int:
    return sum(_weight(node) for node in sp.preorder_traversal(e))


@lru_cache(maxsize=512)
def derivative_sizes(expr: sp.Expr) -> tuple[int, int]:
    """``(gradient size, Hessian size)``: the weighted sizes (nodes, a call counting
    :data:`CALL_WEIGHT`) of a formula's exact gradient and Hessian, which set what
    evaluating them costs."""
    (gx, gy), hess = derivatives(expr)
    return _size(gx) + _size(gy), sum(_size(h) for h in hess)


def nearest_distance(xy, minimizers) -> np.ndarray | None:
    """Euclidean distance from each point of ``xy`` (..., 2) to the nearest of
    ``minimizers`` (plain data, so the UI can use it on decoded paths); None if
    there are none."""
    if not len(minimizers):
        return None
    mins = np.asarray(minimizers, dtype=float).reshape(-1, 2)
    xy = np.asarray(xy, dtype=float)
    return np.linalg.norm(xy[..., None, :] - mins, axis=-1).min(axis=-1)


def fmt(v: float) -> str:
    """A short human form of a number: 1, -0.5, 3.1313."""
    return f"{v:.6g}" if abs(v) >= 1e-4 or v == 0 else f"{v:.3e}"


@dataclass(frozen=True, kw_only=True)
class Surface:
    """A 2-D loss surface.

    ``minimizers`` lists every known global minimizer, ``min_value`` is the global
    minimum (``None`` when ``f`` is unbounded below, as on the saddle). ``start`` is
    an instructive default start point. ``lr_hints`` suggests a learning rate per
    optimizer ``lr_kind`` ("gradient" for GD-like steps, "normalized" for Adam-like
    steps) so the first picture is a good one. ``log_color`` asks the UI to colour
    contours on a log scale. ``grad_size`` and ``hess_size`` are the sizes of the
    exact gradient's and Hessian's formulas (:func:`derivative_sizes`), from which
    ``grad_cost`` and ``hess_cost`` estimate what one evaluation costs, for budgets
    (``optimizers.cost``). ``stochastic`` is what the runners draw each step's
    gradient from instead of the exact one (its ``sampled`` is true): a data set's
    minibatches (:class:`surfaces.data.GLM`) or a sequence of losses
    (:class:`surfaces.online.Online`); None for the exact gradient. ``feasible`` is a
    box ``((x0, x1), (y0, y1))`` the runners project every iterate back into (a
    constrained problem's projection, named by the surface); None: no projection.
    ``lifted`` is an n-dimensional problem the surface is a plane of
    (:class:`surfaces.highdim.Problem`): the runners run in its n dimensions.
    """

    key: str
    label: str
    formula: str
    bounds: tuple[tuple[float, float], tuple[float, float]]
    minimizers: tuple[tuple[float, float], ...]
    min_value: float | None
    start: tuple[float, float]
    scalar: Kernels
    vector: Kernels
    description: str = ""
    log_color: bool = False
    params: Mapping[str, float] = field(default_factory=dict)
    lr_hints: Mapping[str, float] = field(default_factory=lambda: {"gradient": 0.01, "normalized": 0.01})
    expression: str = ""
    unbounded_below: bool = False
    grad_size: int = 0
    hess_size: int = 0
    stochastic: object | None = None
    feasible: tuple[tuple[float, float], tuple[float, float]] | None = None
    lifted: object | None = None

    # ----------------------------------------------------------- (..., 2) API

    def f(self, xy) -> np.ndarray:
        xy = np.asarray(xy, dtype=float)
        with np.errstate(all="ignore"):
            v = self.vector.f(xy[..., 0], xy[..., 1])
        return np.broadcast_to(np.asarray(v, dtype=float), xy.shape[:-1]).copy()

    def grad(self, xy) -> np.ndarray:
        xy = np.asarray(xy, dtype=float)
        with np.errstate(all="ignore"):
            gx, gy = self.vector.grad(xy[..., 0], xy[..., 1])
        shape = xy.shape[:-1]
        return np.stack([np.broadcast_to(np.asarray(g, dtype=float), shape) for g in (gx, gy)], -1)

    def hess(self, xy) -> np.ndarray:
        xy = np.asarray(xy, dtype=float)
        with np.errstate(all="ignore"):
            hxx, hxy, hyy = (
                np.broadcast_to(np.asarray(h, dtype=float), xy.shape[:-1])
                for h in self.vector.hess(xy[..., 0], xy[..., 1])
            )
        return np.stack([np.stack([hxx, hxy], -1), np.stack([hxy, hyy], -1)], -2)

    # ----------------------------------------------------------- derived facts

    @property
    def grad_cost(self) -> float:
        """One gradient evaluation in :func:`optimizers.run`, in units of one step on
        the cheapest surface."""
        return 1.0 + self.grad_size / GRAD_NODES_PER_UNIT

    @property
    def hess_cost(self) -> float:
        """One Hessian evaluation, in the same units."""
        return 1.0 + self.hess_size / HESS_NODES_PER_UNIT

    @property
    def bounded_below(self) -> bool:
        return not self.unbounded_below

    def distance_to_minimum(self, xy) -> np.ndarray:
        """Euclidean distance from each point to the nearest global minimizer
        (NaN everywhere when the surface has none)."""
        d = nearest_distance(xy, self.minimizers)
        return np.full(np.shape(xy)[:-1], np.nan) if d is None else d

    @property
    def domain_text(self) -> str:
        (x0, x1), (y0, y1) = self.bounds
        return f"x ∈ [{fmt(x0)}, {fmt(x1)}], y ∈ [{fmt(y0)}, {fmt(y1)}]"

    @property
    def minimum_text(self) -> str:
        if self.unbounded_below:
            return "No minimum: f is unbounded below, so runs can escape."
        if self.min_value is None:
            return "Global minimum unknown."
        pts = ", ".join(f"({fmt(x)}, {fmt(y)})" for x, y in self.minimizers)
        many = len(self.minimizers) > 1
        head = f"{len(self.minimizers)} global minima" if many else "Global minimum"
        return f"{head} f = {fmt(self.min_value)} at {pts}."

    def scaled(self, c: float) -> "Surface":
        """The same surface with ``f`` multiplied by ``c > 0`` (a loss scale).
        Minimizers do not move; gradients and Hessians scale by ``c``."""
        if not (isinstance(c, (int, float)) and np.isfinite(c) and c > 0):
            raise ValueError(f"Invalid scale value: {c!r} (must be positive)")
        if c == 1:
            return self
        s, v = self.scalar, self.vector
        return replace(
            self,
            scalar=_scale_kernels(s, float(c)),
            vector=_scale_kernels(v, float(c)),
            min_value=None if self.min_value is None else c * self.min_value,
            params={**self.params, "scale": float(c)},
            stochastic=None if self.stochastic is None else self.stochastic.scaled(float(c)),
        )


@dataclass(frozen=True, kw_only=True)
class SurfaceEntry:
    """A registry entry: ``build(**params) -> Surface`` plus its parameters.

    ``params`` describe every parameter (default, range, help) for the page.
    ``validate``, when given, checks a whole parameter dict itself (with typed
    errors from :mod:`surfaces.errors`) instead of one :class:`HyperParam` at a
    time, and ``build`` then caches its own results (the typed surface:
    ``from_expression`` checks the text and the bounds together).
    """

    key: str
    label: str
    description: str
    params: tuple[HyperParam, ...]
    build: Callable[..., Surface]
    validate: Callable[[dict], dict] | None = None


def _scale_kernels(k: Kernels, c: float) -> Kernels:
    def f(x, y):
        return c * k.f(x, y)

    def grad(x, y):
        gx, gy = k.grad(x, y)
        return c * gx, c * gy

    def hess(x, y):
        a, b, d = k.hess(x, y)
        return c * a, c * b, c * d

    return Kernels(f=f, grad=grad, hess=hess)
