"""The race as a table: every run's trajectory, one row per step, with the set-up it ran
under (surface, start, settings) so a CSV file says what it holds; and the file name."""

from __future__ import annotations

import re
from typing import Any

from descent_lab.surfaces.base import nearest_distance

from ..core import engine
from ..core.labels import run_label
from ..core.state import make_surface, surface_label, validate_state
from ..core.url import encode_url


def trajectories_frame(state: dict):
    """All runs as one DataFrame: one row per iterate per run, with internal state."""
    import pandas as pd  # the table is the only user of pandas in the app

    surface = make_surface(state["surface"])
    frames = []
    for index, run in enumerate(state["runs"]):
        traj = engine.trajectory(state, index)
        frame = traj.to_frame().drop(columns=["optimizer"], errors="ignore")
        distance = nearest_distance(traj.xy, surface.minimizers)
        if distance is not None:
            frame["distance_to_min"] = distance[: len(frame)]
        frame.insert(0, "status", traj.status)
        frame.insert(0, "label", run_label(run))
        frame.insert(0, "optimizer", run["optimizer"])
        frame.insert(0, "run", index + 1)
        frames.append(frame)
    if not frames:
        return pd.DataFrame(columns=["run", "optimizer", "label", "status", "step", "x", "y", "loss"])
    return pd.concat(frames, ignore_index=True)


def header(state: dict) -> str:
    """Comment lines naming the set-up (pandas reads them back with ``comment="#"``)."""
    lines = [f"# Descent Lab: {surface_label(state['surface'])}, start ({state['start'][0]:g}, "
             f"{state['start'][1]:g}), {state['steps']} steps, seed {state['seed']}, noise {state['noise']:g}",
             f"# surface parameters: {state['surface']['params']}"]
    lines += [f"# run {i + 1}: {run_label(run)} {run['hparams']} schedule {run['schedule']}"
              for i, run in enumerate(state["runs"])]
    lines.append(f"# link: {encode_url(state)}")
    return "\n".join(lines) + "\n"


def filename(state: dict, ext: str) -> str:
    """``descent-lab-valley-gd-momentum-adam.csv``: the surface and the optimizers."""
    parts = ["descent-lab", state["surface"]["key"], *[run["optimizer"] for run in state["runs"][:4]]]
    if len(state["runs"]) > 4:
        parts.append(f"and-{len(state['runs']) - 4}-more")
    return re.sub(r"[^a-z0-9_.-]+", "-", "-".join(parts).lower()) + "." + ext


def csv_text(client_state: Any) -> tuple[str, str, list[str]]:
    """(CSV text, file name, messages) for a (re-validated) client state."""
    state, errors = validate_state(client_state)
    return header(state) + trajectories_frame(state).to_csv(index=False), filename(state, "csv"), errors
