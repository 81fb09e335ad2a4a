"""The instruments a person can switch on, as data: the one list every part reads.

Each :class:`Instrument` says what it is (label, help), which per-step data it needs
from the engine (``needs``: the groups ``ui.instruments.data`` packs) and where it
draws (``where``). From this list come the checklist's options, the validation of
``state["show"]``, which arrays are sent, and which boxes the browser shows; the
browser draws each kind from ``assets/20_instruments.js``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True, kw_only=True)
class Instrument:
    name: str                      # as in the URL's show=...
    label: str                     # the checklist's text
    help: str                      # its tooltip
    needs: frozenset[str]          # data groups: g (gradient used), e (effective lr), v (velocity),
                                   # angle, sharp (own stability edge), state (buffers)
    where: Literal["arrow", "chart", "panel", "view3d"]
    chart_title: str = ""          # charts: the value axis' title
    log: bool = False              # charts: log value axis
    line: tuple[float, str] | None = None  # charts: a reference line (value, its note)


INSTRUMENTS: tuple[Instrument, ...] = (
    Instrument(name="grad", label="−g arrow", where="arrow", needs=frozenset({"g"}),
               help="The negative gradient the optimizer saw at the current step (direction only)."),
    Instrument(name="rescaled", label="rescaled arrow", where="arrow", needs=frozenset({"g", "e"}),
               help="−η_eff ⊙ g: the gradient after the optimizer's per-coordinate rescaling, before momentum."),
    Instrument(name="velocity", label="momentum arrow", where="arrow", needs=frozenset({"v"}),
               help="−η_eff ⊙ velocity: where the momentum alone pushes (optimizers with one)."),
    Instrument(name="step", label="step arrow", where="arrow", needs=frozenset(),
               help="The step actually taken from the current point."),
    Instrument(name="angle", label="angle chart", where="chart", needs=frozenset({"angle"}),
               help="Angle between each step and −g: below 90° the step still goes downhill.",
               chart_title="angle to −g (°)", line=(90.0, "90°: above it the step goes uphill")),
    Instrument(name="lr", label="effective lr chart", where="chart", needs=frozenset({"e"}), log=True,
               help="Each coordinate's effective learning rate (solid x, dashed y), log scale.",
               chart_title="effective lr (— x, ┄ y)"),
    Instrument(name="sharpness", label="lr·λmax chart", where="chart", needs=frozenset({"sharp"}),
               help="Learning rate times the Hessian's largest eigenvalue along the path; gradient "
                    "descent is stable only below 2.",
               chart_title="lr · λmax(H)", line=(2.0, "2: gradient descent's stability limit")),
    Instrument(name="readout", label="readout", where="panel", needs=frozenset({"g", "e", "v", "angle", "sharp",
                                                                                "state"}),
               help="The current step's gradient, moments, effective rates and step, and each run's update "
                    "rule with those numbers."),
    Instrument(name="view3d", label="3D view", where="view3d", needs=frozenset(),
               help="The surface in 3D with the paths on it, following the frame."),
)

BY_NAME = {inst.name: inst for inst in INSTRUMENTS}
NAMES = tuple(BY_NAME)
CHARTS = tuple(inst.name for inst in INSTRUMENTS if inst.where == "chart")
ARROWS = tuple(inst.name for inst in INSTRUMENTS if inst.where == "arrow")


def data_groups(show) -> tuple[str, ...]:
    """The per-step data groups the instruments in ``show`` need (sorted; empty: none)."""
    groups: set[str] = set()
    for name in show or ():
        inst = BY_NAME.get(name)
        if inst is not None:
            groups |= inst.needs
    return tuple(sorted(groups))


def export() -> dict:
    """The registry for the browser: which instruments exist, where each draws, and the
    charts' axes (titles, log, reference lines)."""
    return {
        "names": list(NAMES), "charts": list(CHARTS), "arrows": list(ARROWS),
        "where": {inst.name: inst.where for inst in INSTRUMENTS},
    }
