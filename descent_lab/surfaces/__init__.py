"""Descent Lab's loss surfaces: declarative records with exact f, gradient, Hessian.

Public API: :data:`ENTRIES` (every surface, ordered: the order is the app's; the
typed surface ``"custom"`` last; the data surfaces of :mod:`surfaces.data` before it), :func:`get` (``get(key, scale=1.0, **params)``),
:class:`Surface`, :class:`SurfaceEntry`, :data:`SCALE` (the loss scale every surface
accepts), ``from_expression`` for a function the user types, and the typed refusals
of :mod:`surfaces.errors`. :data:`REGISTRY` holds the formula surfaces only (the
entries before ``"custom"``). NumPy and SymPy only.
"""

from __future__ import annotations

from functools import lru_cache

from descent_lab.optimizers.hyperparams import HyperParam

from .base import Kernels, Surface, SurfaceEntry
from .builtin import REGISTRY
from .data import ENTRIES as DATA
from .highdim import ENTRIES as HIGHDIM
from .online import ENTRIES as ONLINE
from .errors import BoundsError, ExpressionError, RegionError, SurfaceError
from .expression import CUSTOM, from_expression

SCALE = HyperParam(
    name="scale", label="loss scale c", default=1.0, low=1e-3, high=1e3, scale="log",
    help="Multiplies the loss: f becomes c·f. Gradient descent feels it (its steps scale with c); "
    "Adam and RMSprop barely do (they divide the gradient by its own size).",
    error="Invalid loss scale: {}",
)
"""The loss scale ``c`` every surface accepts (``get(key, scale=c)``)."""

ENTRIES: dict[str, SurfaceEntry] = {**REGISTRY, **DATA, **ONLINE, **HIGHDIM, CUSTOM.key: CUSTOM}
"""Every surface :func:`get` builds, in the app's order: the formula surfaces, the data
surfaces (:mod:`surfaces.data`), the online one (:mod:`surfaces.online`), the n-dimensional
quadratic (:mod:`surfaces.highdim`), then the typed one."""

__all__ = ["ENTRIES", "REGISTRY", "SCALE", "Surface", "SurfaceEntry", "Kernels", "get",
           "from_expression", "SurfaceError", "ExpressionError", "BoundsError", "RegionError"]


@lru_cache(maxsize=256)
def _build(key: str, items: tuple) -> Surface:
    return ENTRIES[key].build(**dict(items))


def _checked(param: HyperParam, value) -> object:
    try:
        return param.validate(value)
    except ValueError as exc:
        raise SurfaceError(str(exc), (param.name,)) from None


def get(key: str, scale: float = 1.0, **params) -> Surface:
    """The surface ``key`` with its parameters validated (defaults filled).

    ``scale`` multiplies ``f`` (a loss scale ``c``: gradient descent feels it,
    Adam barely does); every surface takes it, the typed one too. Refusals are
    :class:`SurfaceError` (a ``ValueError``) naming the refused parameters in
    ``fields``: an unknown key (``("key",)``), an unknown parameter, a value out of
    range; for the typed surface, :class:`ExpressionError`, :class:`BoundsError` or
    :class:`RegionError`. Results are cached (the typed surface by
    ``from_expression``'s own cache).
    """
    entry = ENTRIES.get(key) if isinstance(key, str) else None
    if entry is None:
        raise SurfaceError(f"Unknown surface {key!r}; expected one of: {', '.join(ENTRIES)}",
                           ("key",))
    names = [p.name for p in entry.params]
    unknown = sorted(set(params) - set(names))
    if unknown:
        expected = ", ".join(names) if names else "none"
        raise SurfaceError(f"Unknown parameter {unknown[0]!r} for surface {key}; "
                           f"expected: {expected}", (unknown[0],))
    c = _checked(SCALE, scale)
    if entry.validate is not None:
        surface = entry.build(**entry.validate(params))
    else:
        values = tuple((p.name, _checked(p, params.get(p.name, p.default))) for p in entry.params)
        surface = _build(key, values)
    return surface.scaled(c) if c != 1.0 else surface
