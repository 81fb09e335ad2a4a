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
                                   # angle, sharp (lr times the Hessian's top eigenvalue), edge (the
                                   # effective sharpness against the optimizer's own edge), flows,
                                   # theory (formulas beside measurements), batch (minibatch views),
                                   # points (an optimizer's own points), estimate (its distance estimate)
    where: Literal["arrow", "path", "chart", "panel", "view3d"]  # path: drawn on the contour
    chart_title: str = ""          # charts: the value axis' title
    log: bool = False              # charts: log value axis
    line: tuple[float, str] | None = None  # charts: a reference line (value, its note)
    notes: bool = False            # a sentence per run under the chart or legend (run.inst[name + "_note"])
    legend: str = ""               # paths: what the lines drawn on the contour are


INSTRUMENTS: tuple[Instrument, ...] = (
    Instrument(name="grad", label="−g arrow", where="arrow", needs=frozenset({"g"}),
               help="The negative gradient the optimizer saw at the current step (direction only)."),
    Instrument(name="rescaled", label="rescaled arrow", where="arrow", needs=frozenset({"g", "e"}),
               help="−η_eff ⊙ g: the gradient after the optimizer's per-coordinate rescaling, before momentum."),
    Instrument(name="velocity", label="momentum arrow", where="arrow", needs=frozenset({"v"}),
               help="−η_eff ⊙ velocity: where the momentum alone pushes (optimizers with one)."),
    Instrument(name="step", label="step arrow", where="arrow", needs=frozenset(),
               help="The step actually taken from the current point."),
    Instrument(name="flows", label="flows", where="path", needs=frozenset({"flows"}), notes=True,
               help="For gradient descent: the gradient flow its steps approximate, and the central flow it "
                    "follows on average once it oscillates at the edge of stability, with the oscillation "
                    "the central flow predicts.",
               legend="Dotted: the gradient flow, where vanishingly small steps would go. Dashed: the central flow "
                      "(Cohen et al., 2025), where the steps go on average at the edge of stability; its bar spans "
                      "±σ, the oscillation it predicts across."),
    Instrument(name="batch", label="minibatches", where="path", needs=frozenset({"batch"}), notes=True,
               help="On a data surface: where a step with other minibatches would go from the current point, and "
                    "the current minibatch's own minimum. The data's own noise, unlike the Gaussian noise slider's.",
               legend="Dots: where a gradient-descent step (−lr·g) with each of 16 fresh minibatches would land from "
                      "the current point; ring: with the full batch; ×: the minimum of the minibatch this step used "
                      "(none when its two classes separate)."),
    Instrument(name="points", label="optimizer's own points", where="path", needs=frozenset({"points"}), notes=True,
               help="What some optimizers keep beside the point they are at: ASGD's averaged iterate, "
                    "Schedule-Free's z and x (its path is y, where the gradient is taken), and L-BFGS's inner "
                    "iterates within each step, with its count of function evaluations.",
               legend="Dotted and dashed: the points an optimizer keeps beside its path (ASGD's averaged iterate ā; "
                      "Schedule-Free's z, dotted, and x, dashed, where the model is evaluated). Dots: L-BFGS's inner "
                      "iterates within each step, the current step's joined by a line."),
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
    Instrument(name="edge", label="stability edge chart", where="chart", needs=frozenset({"edge"}), log=True,
               notes=True,
               help="Each run's effective sharpness (the largest eigenvalue of the preconditioned Hessian it steps "
                    "with) against its own edge, dashed: 2 for gradient descent, 2(1 + μ) for heavy-ball momentum, "
                    "38 for Adam at β1 = 0.9. Under the chart, why each run diverged, oscillated or settled.",
               chart_title="effective sharpness (— run, ┄ its own edge)"),
    Instrument(name="estimate", label="distance estimate chart", where="chart", needs=frozenset({"estimate"}),
               log=True, notes=True,
               help="D-Adaptation's and Prodigy's estimate d of the distance from the start to the solution, which "
                    "sets their step size, beside the true distance |x₀ − x*| (dashed), which only a 2-D lab knows.",
               chart_title="distance estimate (— d, ┄ |x₀ − x*|)"),
    Instrument(name="theory", label="theory panel", where="panel", needs=frozenset({"theory"}),
               help="On a quadratic: what theory predicts for each run (its rate, its edge, the best settings, "
                    "the best a per-coordinate rescaling can do) beside what the run measures, with the gap."),
    Instrument(name="readout", label="readout", where="panel", needs=frozenset(),
               help="The paused step's gradient, moments, effective rates and step, and each run's update "
                    "rule with those numbers (only that step's numbers are sent)."),
    Instrument(name="view3d", label="3D view", where="view3d", needs=frozenset(),
               help="The surface in 3D with the paths on it, following the frame."),
)

BY_NAME = {inst.name: inst for inst in INSTRUMENTS}
NAMES = tuple(BY_NAME)
CHARTS = tuple(inst.name for inst in INSTRUMENTS if inst.where == "chart")
PATHS = tuple(inst.name for inst in INSTRUMENTS if inst.where == "path")
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
        "notes": [inst.name for inst in INSTRUMENTS if inst.notes], "paths": list(PATHS),
    }
