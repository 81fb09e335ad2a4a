"""The theory panel's text: the engine's formulas (``optimizers.theory``) beside the
measured numbers, formatted. Nothing is computed here but the gap between the two.

Each run gets ``{"rows": [[what, theory, measured, gap, note], ...], "reason": text or
None, "surface": [...]}`` (the surface's own rows ride with every run, so the browser
needs nothing else); the browser lays them out as a table.
"""

from __future__ import annotations

import math

from descent_lab import optimizers
from descent_lab.optimizers import theory

DIGITS = 5  # significant digits: rates are compared to the fifth


def number(value: float | None) -> str:
    if value is None:
        return ""
    if not math.isfinite(value):
        return "∞" if value > 0 else "—"
    return f"{value:.{DIGITS}g}"


def gap(predicted: float, measured: float | None) -> str:
    """measured − theory, relative to theory (empty when nothing is measured)."""
    if measured is None or not math.isfinite(measured) or not math.isfinite(predicted):
        return ""
    if predicted == 0:
        return f"{measured - predicted:+.3g}"
    return f"{100 * (measured - predicted) / abs(predicted):+.2f}%"


def _row(c: theory.Comparison) -> list[str]:
    return [c.what, number(c.predicted), number(c.measured), gap(c.predicted, c.measured), c.note]


def surface_rows(surface) -> list[list[str]]:
    q = theory.quadratic(surface)
    return [] if q is None else [_row(c) for c in theory.surface_facts(q)]


def run_payload(traj, surface) -> dict:
    """One run's rows (or the reason none apply) and the surface's."""
    result = theory.compare(traj, surface, optimizers.get(traj.key))
    rows, reason = ([], result) if isinstance(result, str) else ([_row(c) for c in result], None)
    return {"rows": rows, "reason": reason, "surface": surface_rows(surface)}


def surface_fact(surface) -> str | None:
    """One line for the surface's facts, beside its sliders: κ, the best a diagonal
    rescaling reaches (what a turn of the ravine costs per-coordinate methods) and
    ‖H‖₁,₁; None when the surface is not a quadratic with a minimum."""
    q = theory.quadratic(surface)
    if q is None or q.minimizer is None:
        return None
    kappa_j, r = theory.jacobi_condition(q.hess)
    return (f"Quadratic: κ = {q.kappa:.4g}; the best any per-coordinate rescaling reaches is "
            f"κ_J = (1 + |r|)/(1 − |r|) = {kappa_j:.4g} (r = {r:.3g}); ‖H‖₁,₁ = {theory.l11(q.hess):.4g}.")
