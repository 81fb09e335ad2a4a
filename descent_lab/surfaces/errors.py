"""Typed refusals: which parameter of a surface was refused, as attributes.

Every refusal is a ``ValueError`` (callers that only show the message keep working)
whose class and ``fields`` say what to change, so no caller matches message text:

* :class:`ExpressionError`: the typed text (``fields == ("expression",)``);
* :class:`BoundsError`: the plot bounds (``fields`` names the bounds refused:
  ``("xmin", "xmax")`` for the x axis, all four when their shape is wrong);
* :class:`RegionError`: the function and the region together (f, or its gradient,
  is not finite anywhere in the bounds): a :class:`BoundsError` *and* an
  :class:`ExpressionError`, with all five fields, since changing either may help;
* :class:`SurfaceError` itself: any other parameter (``("condition",)``,
  ``("scale",)``) or an unknown surface (``("key",)``).
"""

from __future__ import annotations

__all__ = ["SurfaceError", "ExpressionError", "BoundsError", "RegionError", "BOUNDS", "AXIS_BOUNDS"]

BOUNDS = ("xmin", "xmax", "ymin", "ymax")
"""The typed surface's bound parameters, in order."""
AXIS_BOUNDS = {"x": ("xmin", "xmax"), "y": ("ymin", "ymax")}


class SurfaceError(ValueError):
    """A surface parameter refused; ``fields`` names the parameters to change."""

    fields: tuple[str, ...] = ()

    def __init__(self, message: str, fields: tuple[str, ...] | None = None):
        super().__init__(message)
        if fields is not None:
            self.fields = tuple(fields)


class ExpressionError(SurfaceError):
    """The typed expression is refused (syntax, a forbidden construct, a limit)."""

    fields = ("expression",)


class BoundsError(SurfaceError):
    """The bounds are refused; ``fields`` names which (one axis' pair, or all four)."""

    fields = BOUNDS


class RegionError(BoundsError, ExpressionError):
    """f (or its gradient) is not finite anywhere in the bounds: change either."""

    fields = ("expression",) + BOUNDS
