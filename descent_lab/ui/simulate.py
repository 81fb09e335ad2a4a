"""From a validated state to the data the browser draws: pure and cached.

:func:`simulate` runs every run of the state and returns a JSON-safe dict: per run
its colour, legend label, status and the trajectory as float32 typed arrays
(``{"dtype": "f4", "bdata": <base64>}``, the format Plotly.js reads natively), so
8 runs x 1000 steps is ~130 kB instead of ~400 kB of decimal text. Nothing
non-finite is ever sent: the engine ends diverged paths at their last finite point
and losses are clipped to float32's range.

:func:`trajectories_frame` gives the same runs as one pandas DataFrame for the CSV.
"""

from __future__ import annotations

import base64
from functools import lru_cache

import numpy as np

from descent_lab import optimizers
from descent_lab.surfaces.base import nearest_distance

from . import figures
from .state import get_surface, make_surface

F32_MAX = float(np.finfo(np.float32).max)
# The loss chart shows f - f_min on a log axis; a gap of exactly 0 (a run that lands
# on the minimum) is drawn at this floor instead of disappearing from the chart.
GAP_FLOOR = 1e-30


def encode_f4(values) -> dict:
    """A float32 typed-array spec (little endian) that Plotly.js and assets/ decode."""
    array = np.ascontiguousarray(np.asarray(values, dtype=np.float64).clip(-F32_MAX, F32_MAX), dtype="<f4")
    return {"dtype": "f4", "bdata": base64.b64encode(array.tobytes()).decode("ascii")}


def decode_f4(spec: dict) -> np.ndarray:
    """Inverse of :func:`encode_f4` (used by tests and server-side exports)."""
    return np.frombuffer(base64.b64decode(spec["bdata"]), dtype="<f4")


def _freeze(mapping: dict) -> tuple:
    return tuple(sorted(mapping.items()))


# A 10,000-step trajectory with its internal state takes about 1.6 MB, so 64
# entries bound this cache near 100 MB per worker whatever clients send.
@lru_cache(maxsize=64)
def _run_cached(optimizer: str, surface_key: str, surface_params: tuple, start: tuple,
                steps: int, seed: int, noise: float, hparams: tuple):
    """One engine run; pure in its arguments, so caching is safe across users."""
    surface = get_surface(surface_key, dict(surface_params))
    return optimizers.run(optimizer, surface, start, steps, noise=noise, seed=seed, **dict(hparams))


def run_one(state: dict, index: int):
    """The engine ``Trajectory`` of ``state["runs"][index]``."""
    run = state["runs"][index]
    return _run_cached(
        run["optimizer"],
        state["surface"]["key"],
        _freeze(state["surface"]["params"]),
        (float(state["start"][0]), float(state["start"][1])),
        int(state["steps"]),
        int(state["seed"]),
        float(state.get("noise", 0.0)),
        _freeze(run["hparams"]),
    )


def loss_series(loss: np.ndarray, min_value) -> np.ndarray:
    """What the loss chart plots: f - f_min (floored, for a log axis) or f itself."""
    loss = np.asarray(loss, dtype=float)
    if min_value is None:
        return loss
    return np.maximum(loss - float(min_value), GAP_FLOOR)


def status_text(status: str, at: int | None, steps: int) -> str:
    if status == "converged":
        return f"converged at step {at}"
    if status == "diverged":
        return f"diverged at step {at}"
    return f"still moving after {steps} step{'' if steps == 1 else 's'}"


def run_summary(state: dict, index: int, trajectory) -> dict:
    """Metadata of one run for the browser (no arrays)."""
    run = state["runs"][index]
    status = trajectory.status
    at = {"converged": trajectory.converged_at, "diverged": trajectory.diverged_at}.get(status)
    return {
        "index": index,
        "symbol": figures.run_symbol(index),
        "optimizer": run["optimizer"],
        "label": figures.run_label(run["optimizer"], run["hparams"]),
        "color": figures.run_color(index),
        "status": status,
        "at": None if at is None else int(at),
        "status_text": status_text(status, at, state["steps"]),
        "n": int(len(trajectory.xy)),
    }


def simulate(state: dict) -> dict:
    """Every run of a validated state, ready for the browser (JSON-safe)."""
    from .instruments import (
        run_arrays as instrument_arrays,  # issue 4; imports this module
    )

    surface = make_surface(state["surface"])
    runs = []
    for index in range(len(state["runs"])):
        trajectory = run_one(state, index)
        summary = run_summary(state, index, trajectory)
        summary["x"] = encode_f4(trajectory.xy[:, 0])
        summary["y"] = encode_f4(trajectory.xy[:, 1])
        summary["loss"] = encode_f4(loss_series(trajectory.loss, surface.min_value))
        summary.update(instrument_arrays(state, index, trajectory, surface))  # only what is shown
        runs.append(summary)
    return {
        "runs": runs,
        "steps": int(state["steps"]),
        "start": [float(c) for c in state["start"]],
        "minimizers": [[float(a), float(b)] for a, b in surface.minimizers],
        "loss_kind": "value" if surface.min_value is None else "gap",
        "bounds": [[float(a), float(b)] for a, b in surface.bounds],
    }


def trajectories_frame(state: dict):
    """All runs as one DataFrame: one row per iterate per run, with internal state."""
    import pandas as pd

    surface = make_surface(state["surface"])
    frames = []
    for index, run in enumerate(state["runs"]):
        trajectory = run_one(state, index)
        frame = trajectory.to_frame()
        frame = frame.drop(columns=[c for c in ("optimizer",) if c in frame.columns])
        distance = nearest_distance(trajectory.xy, surface.minimizers)
        if distance is not None:
            frame["distance_to_min"] = distance[: len(frame)]
        frame.insert(0, "status", trajectory.status)
        frame.insert(0, "label", figures.run_label(run["optimizer"], run["hparams"]))
        frame.insert(0, "optimizer", run["optimizer"])
        frame.insert(0, "run", index + 1)
        frames.append(frame)
    if not frames:
        return pd.DataFrame(columns=["run", "optimizer", "label", "status", "step", "x", "y", "loss"])
    return pd.concat(frames, ignore_index=True)
