"""The readout: each run's numbers and update rule at the paused step.

:func:`table_rows` gives, for the state's frame, a table of every run's
gradient, buffers, effective learning rates, step, angle and lr·λmax
(:func:`frame_numbers`); :func:`readout_children` every run's rule as MathJax (each line ``lhs = symbols =
numbers = result``, from :func:`optimizers.explain`). Only that frame's numbers travel:
the page asks again when the player settles on another frame.
"""

from __future__ import annotations

import math

import numpy as np
from dash import dcc, html

from descent_lab import optimizers
from descent_lab.optimizers.diagnostics import (
    descent_angle,
    rescaled_direction,
    sharpness,
    velocity_direction,
)

from ..core import engine, theme
from ..core.labels import run_label


def frame_numbers(traj, k: int, surface=None) -> dict | None:
    """Everything about update ``k`` (applied at ``xy[k]``), or None past the last one.

    Vectors are ``(x, y)`` tuples of floats. ``velocity`` is None for an optimizer
    without momentum; ``sharpness`` needs ``surface``.
    """
    n = traj.steps
    if not 0 <= k < n:
        return None
    spec = optimizers.REGISTRY[traj.key]
    vel = velocity_direction(traj, spec.velocity)
    step = traj.xy[k + 1] - traj.xy[k]
    numbers = {
        "k": k,
        "t": k + 1,
        "theta": tuple(map(float, traj.xy[k])),
        "theta_next": tuple(map(float, traj.xy[k + 1])),
        "grad": tuple(map(float, traj.grad_used[k])),
        "grad_exact": tuple(map(float, traj.grad[k])),
        "lr": float(traj.lr[k]),
        "lr_eff": tuple(map(float, traj.lr_eff[k])),
        "rescaled": tuple(map(float, rescaled_direction(traj)[k])),
        "velocity": None if vel is None else tuple(map(float, vel[k])),
        "step": tuple(map(float, step)),
        "angle": float(descent_angle(step[None], traj.grad_used[k][None])[0]),
        "state": {name: tuple(map(float, arr[k])) for name, arr in traj.state.items()},
        "state_prev": {name: (tuple(map(float, arr[k - 1])) if k else None) for name, arr in traj.state.items()},
    }
    if surface is not None:
        with np.errstate(all="ignore"):
            numbers["sharpness"] = float(sharpness(traj, surface)[k])
    return numbers


def num(value: float) -> str:
    """A number for LaTeX: 4 significant digits, powers of ten as ``\\times 10^{n}``."""
    value = float(value)
    if math.isnan(value):
        return r"\text{NaN}"
    if math.isinf(value):
        return r"\infty" if value > 0 else r"-\infty"
    if value == 0:
        return "0"
    if 1e-3 <= abs(value) < 1e5:
        text = f"{value:.4g}"
        return text
    mantissa, exponent = f"{value:.3e}".split("e")
    mantissa = mantissa.rstrip("0").rstrip(".")
    return rf"{mantissa}\times 10^{{{int(exponent)}}}"


def vec(pair) -> str:
    return rf"\left({num(pair[0])},\ {num(pair[1])}\right)"


def _times(a, b):
    return (a[0] * b[0], a[1] * b[1])


def latex_value(value) -> str:
    """A number or an ``(x, y)`` pair as LaTeX (how the explanation's values are shown)."""
    if isinstance(value, tuple):
        return vec(value)
    if isinstance(value, bool):
        return r"\text{true}" if value else r"\text{false}"
    return num(value)


def rule_lines(traj, k: int) -> list[dict] | None:
    """The run's update rule at update ``k``, line by line, from the rule itself
    (:func:`optimizers.explain`): ``{"lhs", "symbolic", "numeric", "value"}`` with the
    step's numbers formatted into each line's template. None past the last update."""
    explanation = optimizers.explain(traj, k)
    if explanation is None:
        return None
    return [{"lhs": line.lhs, "symbolic": line.formula, "numeric": line.substitute(latex_value),
             "value": line.value} for line in explanation.lines]


def substituted_rule(traj, k: int) -> str | None:
    """The rule of update ``k`` as LaTeX (``aligned``), each line
    ``lhs = symbols = numbers = result``. None past the last update."""
    lines = rule_lines(traj, k)
    if lines is None:
        return None
    rows = []
    for item in lines:
        result = latex_value(item["value"]) if item["value"] is not None else None
        terms = [t for t in (item["symbolic"], item["numeric"], result) if t]
        terms = [t for i, t in enumerate(terms) if t not in terms[:i]]  # no "= a = a"
        rows.append(item["lhs"] + " &= " + " = ".join(terms))
    return "\\begin{aligned}\n" + "\\\\\n".join(rows) + "\n\\end{aligned}"


STATE_NAMES = {"m": "m", "v": "v", "buf": "b", "sum": "s", "u": "u", "v_max": "v_max", "g_avg": "ḡ",
               "prev": "g_prev", "step_size": "η_t", "mu_product": "Πμ"}


def _pair(v) -> str:
    return f"({theme.fmt_value(v[0])}, {theme.fmt_value(v[1])})"


COLUMNS = ("g", "buffers", "η_eff (x, y)", "Δθ", "∠(Δθ, −g)", "lr·λmax")


def table_rows(state: dict, frame: int) -> dict:
    """Every run's numbers at update ``frame`` as the page's table shows them (strings):
    gradient, buffers, effective rates, step, angle to −g and lr·λmax. ``cells`` is None
    for a run with no update after that step."""
    surface = engine.surface_of(state["surface"])
    rows = []
    for i, run in enumerate(state["runs"]):
        nb = frame_numbers(engine.trajectory(state, i), frame, surface)
        row = {"label": run_label(run), "color": theme.run_color(run["id"]), "t": frame + 1, "cells": None}
        if nb is not None:
            buffers = [f"{STATE_NAMES.get(n, n)} {_pair(v)}" for n, v in nb["state"].items()
                       if n != "mu_product" and len(v) == 2]
            row["cells"] = [_pair(nb["grad"]), buffers or ["—"], _pair(nb["lr_eff"]), _pair(nb["step"]),
                            f"{nb['angle']:.1f}°" if math.isfinite(nb["angle"]) else "—",
                            theme.fmt_value(nb["sharpness"]) if math.isfinite(nb["sharpness"]) else "—"]
        rows.append(row)
    return {"frame": frame, "columns": list(COLUMNS), "rows": rows}


def readout_children(state: dict) -> list:
    """Each run's update rule with the numbers of the state's frame (the table of the numbers
    themselves, :func:`table_rows`, comes from a lean route and is drawn by the page: the
    rules are MathJax, whose component loads on first use, and the page applies a callback's
    reply only once every component in it has loaded)."""
    frame = int(state.get("frame", 0))
    blocks = [html.P(["Each run's update rule with the numbers of ", html.Strong(f"step {frame}"),
                      " (pause, step or scrub to change it). g is the gradient the optimizer saw; "
                      "⊙ multiplies coordinate by coordinate."], className="hint readout-intro")]
    for i, run in enumerate(state["runs"]):
        traj = engine.trajectory(state, i)
        color, label = theme.run_color(run["id"]), run_label(run)
        head = [html.Span(theme.run_glyph(run["id"]), className="swatch", style={"color": color}),
                html.Strong(label)]
        latex = substituted_rule(traj, frame) if frame < traj.steps else None
        if latex is None:
            body = html.P(f"No update from step {frame}: the run ended at step {traj.steps} "
                          f"({traj.status.replace('_', ' ')}).", className="hint")
        else:
            head.append(html.Span(f" · update t = {frame + 1}, from step {frame} to {frame + 1}",
                                  className="readout-when"))
            body = dcc.Markdown(f"$$\n{latex}\n$$", mathjax=True, className="rule readout-rule")
        blocks.append(html.Div([html.Div(head, className="readout-head"), body], className="readout-block",
                               style={"--run-color": color}, **{"data-run": str(run["id"])}))
    return blocks
