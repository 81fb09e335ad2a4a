"""Descent Lab's loss surfaces: declarative records with exact f, gradient, Hessian.

Public API: :data:`REGISTRY` (ordered entries; the order is the app's),
:func:`get` (``get(key, scale=1.0, **params)``), :class:`Surface`, and
``from_expression`` for a function the user types. NumPy and SymPy only.
"""

from __future__ import annotations

from functools import lru_cache

from descent_lab.optimizers.hyperparams import HyperParam

from .base import Kernels, Surface
from .builtin import REGISTRY, SurfaceEntry

SCALE = HyperParam(
    name="scale", label="loss scale c", default=1.0, low=1e-3, high=1e3, scale="log",
    help="Multiplies the loss: f becomes c·f. Gradient descent feels it (its steps scale with c); "
    "Adam and RMSprop barely do (they divide the gradient by its own size).",
    error="Invalid loss scale: {}",
)
"""The loss scale ``c`` every surface accepts (``get(key, scale=c)``)."""

__all__ = ["REGISTRY", "SCALE", "Surface", "SurfaceEntry", "Kernels", "get"]


@lru_cache(maxsize=256)
def _build(key: str, items: tuple) -> Surface:
    return REGISTRY[key].build(**dict(items))


def get(key: str, scale: float = 1.0, **params) -> Surface:
    """The surface ``key`` with its parameters validated (defaults filled).

    ``scale`` multiplies ``f`` (a loss scale ``c``: gradient descent feels it,
    Adam barely does). ``ValueError`` for an unknown key, an unknown parameter or
    a value out of range.
    """
    entry = REGISTRY.get(key) if isinstance(key, str) else None
    if entry is None:
        raise ValueError(f"Unknown surface {key!r}; expected one of: {', '.join(REGISTRY)}")
    names = [p.name for p in entry.params]
    unknown = sorted(set(params) - set(names))
    if unknown:
        expected = ", ".join(names) if names else "none"
        raise ValueError(f"Unknown parameter {unknown[0]!r} for surface {key}; expected: {expected}")
    values = tuple((p.name, p.validate(params.get(p.name, p.default))) for p in entry.params)
    c = SCALE.validate(scale)
    surface = _build(key, values)
    return surface.scaled(c) if c != 1.0 else surface


from .expression import from_expression  # noqa: E402 - a surface the user types

__all__ += ["from_expression"]
