"""The numbers behind the instruments, packed per run for the browser.

Only the instruments that are on (``state["show"]``) get their arrays, so the default
page sends nothing more. Each data group of :mod:`ui.core.registry` has one packer:

* ``g``      the gradient the optimizer saw (``Trajectory.grad_used``);
* ``e``      each coordinate's effective learning rate (``Trajectory.lr_eff``);
* ``v``      the momentum's move ``-lr_eff * velocity``
             (:func:`optimizers.diagnostics.velocity_direction`);
* ``angle``  the angle between each step and ``-g`` (:func:`~optimizers.diagnostics.descent_angle`);
* ``sharp``  ``lr * lambda_max(H)`` (:func:`~optimizers.diagnostics.sharpness`);
* ``edge``   the effective sharpness, the run's own edge and why it diverged,
             oscillated or settled (:func:`optimizers.stability.report`);
* ``flows``  a gradient-descent run's gradient flow and central flow at each step, the
             central flow's predicted oscillation (sigma along the top eigenvector) and a
             sentence comparing them with the run (:func:`optimizers.flows.describe`);
* ``theory`` the formulas that apply beside what the run measures, as text rows
             (:mod:`ui.instruments.theory`);
* ``batch``  on a data surface, every few steps: the moves of fresh minibatches and of
             the full batch from the run's point, and the minimum of the minibatch it used
             (:func:`surfaces.data.minibatch_view`).
* ``points`` the points the optimizer keeps beside its own (ASGD's average, Schedule-Free's
             z and x: :func:`optimizers.diagnostics.companion_points`) and L-BFGS's inner
             iterates (``Trajectory.series["inner"]``, every few steps past
             :data:`INNER_POINTS_PER_RUN`), with a sentence on where each ends;
* ``estimate`` D-Adaptation's and Prodigy's distance estimate ``d`` after each update and
             the true distance from the start to the minimum the run ends nearest.

The readout sends no arrays: the server renders the paused step's numbers
(``ui.instruments.readout``).

The noise fan (K seeds per run) is packed by :func:`fan_payload`. Index ``k`` of a
per-update array is the update applied at ``xy[k]``, i.e. torch's step ``t = k + 1``.
"""

from __future__ import annotations

import math

import numpy as np

from descent_lab import optimizers
from descent_lab.optimizers import stability
from descent_lab.surfaces.data import GLM, minibatch_view
from descent_lab.optimizers.diagnostics import (
    companion_points,
    descent_angle,
    distance_estimate,
    sharpness,
    velocity_direction,
)
from descent_lab.surfaces.base import nearest_distance

from ..core import engine, registry
from ..core.codec import encode_f4
from . import theory

# Fan: at most this many cloud points per run (K paths x steps, strided to fit).
FAN_POINTS_PER_RUN = 8_000
# L-BFGS: at most this many inner iterates per run (every few steps' past it).
INNER_POINTS_PER_RUN = 20_000


def _pair(arr) -> tuple[dict, dict]:
    return encode_f4(arr[:, 0]), encode_f4(arr[:, 1])


def _grad(traj, surface) -> dict:
    gx, gy = _pair(traj.grad_used)
    return {"gx": gx, "gy": gy}


def _lr_eff(traj, surface) -> dict:
    ex, ey = _pair(traj.lr_eff)
    return {"ex": ex, "ey": ey}


def _velocity(traj, surface) -> dict:
    vel = velocity_direction(traj, optimizers.REGISTRY[traj.key].velocity)
    if vel is None:
        return {}
    vx, vy = _pair(vel)
    return {"vx": vx, "vy": vy}


def _angle(traj, surface) -> dict:
    return {"angle": encode_f4(descent_angle(traj.step, traj.grad_used))}


def _sharp(traj, surface) -> dict:
    with np.errstate(all="ignore"):
        return {"sharp": encode_f4(sharpness(traj, surface))}


def _edge(traj, surface) -> dict:
    """The effective sharpness of each update (absent when no edge is known), the run's
    own edge (None then) and the sentence of why."""
    report = stability.report(traj, surface)
    out = {"edge_limit": report.limit, "edge_note": report.verdict}
    if report.value is not None:
        out["edge"] = encode_f4(report.value)
    return out


def _flows(traj, surface) -> dict:
    """The flows of a gradient-descent run (NaN where a flow stopped) and the sentence."""
    result = engine.flows_of(traj, surface)
    out = {"flows_note": result.note}
    if result.gradient is not None:
        out["gf_x"], out["gf_y"] = _pair(result.gradient.xy)
    if result.central is not None:
        out["cf_x"], out["cf_y"] = _pair(result.central.xy)
        out["cf_s"] = encode_f4(result.central.sigma)
        out["cf_ux"], out["cf_uy"] = _pair(result.central.u)
    return out


def _batch(traj, surface) -> dict:
    """A data surface's minibatch view of the run (its frames every ``stride`` updates)."""
    model = surface.stochastic
    if not isinstance(model, GLM):
        return {"batch_note": "this surface has no data set: its only noise is the Gaussian noise slider's."}
    view = minibatch_view(model, traj.xy, traj.lr, traj.seed)
    m = len(view.frames)
    missing = int(np.isnan(view.minimizer).any(axis=1).sum())
    if model.minibatched:
        note = (f"minibatches of {model.batch} of {model.size}: their gradients scatter about the full one by "
                f"{view.spread:.2g} times its size (RMS over the run)"
                + (f"; {missing} of the {m} drawn have no minimum of their own" if missing else ""))
    else:
        note = f"the full batch of {model.size}: every gradient is exact (a smaller batch size gives minibatch noise)"
    if view.stride > 1:
        note += f"; shown every {view.stride} steps"
    return {"batch_note": note + ".", "batch_stride": view.stride, "batch_k": int(view.cloud.shape[1]),
            "cloud_x": encode_f4(view.cloud[..., 0].ravel()), "cloud_y": encode_f4(view.cloud[..., 1].ravel()),
            "full_x": encode_f4(view.full[:, 0]), "full_y": encode_f4(view.full[:, 1]),
            "bmin_x": encode_f4(view.minimizer[:, 0]), "bmin_y": encode_f4(view.minimizer[:, 1])}


def _distance_text(xy, surface) -> str:
    d = nearest_distance(xy, surface.minimizers)
    return "" if d is None or not np.isfinite(d) else f" ({d:.3g} from the nearest minimum)"


def _points(traj, surface) -> dict:
    """Where the optimizer's own points are (paths from the start, like the run's) and
    L-BFGS's inner iterates (``inner_l`` per step, every ``inner_stride``-th step)."""
    spec = optimizers.REGISTRY[traj.key]
    paths = companion_points(traj, spec.points)
    inner = traj.series.get("inner")
    out: dict = {}
    parts = []
    if paths:
        out["points"] = [{"what": what, "x": encode_f4(p[:, 0]), "y": encode_f4(p[:, 1])} for what, p in paths]
        parts = [f"{what} ends at ({p[-1, 0]:.4g}, {p[-1, 1]:.4g}){_distance_text(p[-1], surface)}"
                 for what, p in paths]
        parts.append(f"the run's path ends at ({traj.xy[-1, 0]:.4g}, {traj.xy[-1, 1]:.4g})"
                     f"{_distance_text(traj.xy[-1], surface)}")
    if inner is not None and len(inner):
        used = int(np.isfinite(inner[..., 0]).sum(axis=1).max())
        inner = inner[:, :max(used, 1)]
        stride = max(1, math.ceil(inner.shape[0] * inner.shape[1] / INNER_POINTS_PER_RUN))
        kept = inner[::stride]
        out.update({"inner_l": int(kept.shape[1]), "inner_stride": stride,
                    "inner_x": encode_f4(kept[..., 0].ravel()), "inner_y": encode_f4(kept[..., 1].ravel())})
        evals = traj.state.get("func_evals")
        total = int(evals[-1, 0]) if evals is not None and len(evals) else 0
        parts.append(f"{total} function evaluations in {traj.steps} steps ({total / max(traj.steps, 1):.1f} a step): "
                     "the dots are the inner iterates" + (f", shown every {stride} steps" if stride > 1 else ""))
    if parts:
        out["points_note"] = "; ".join(parts) + "."
    return out


def _estimate(traj, surface) -> dict:
    """The distance estimate after each update and the distance it estimates: from the
    start to the minimum nearest where the run ends (None on a surface without one)."""
    spec = optimizers.REGISTRY[traj.key]
    d = distance_estimate(traj, spec.estimate[0] if spec.estimate else None)
    if d is None or not len(d):
        return {}
    mins = np.asarray(surface.minimizers, dtype=float).reshape(-1, 2)
    true = None
    if len(mins) and np.isfinite(traj.xy[-1]).all():
        target = mins[np.argmin(np.linalg.norm(mins - traj.xy[-1], axis=1))]
        true = float(np.linalg.norm(traj.xy[0] - target))
    note = f"d is {spec.estimate[1]}; it ends at {d[-1]:.3g}"
    if true:
        note += f", {d[-1] / true:.0%} of the distance from the start to the minimum, {true:.3g}"
    return {"estimate": encode_f4(d), "estimate_true": true, "estimate_note": note + "."}


def _theory(traj, surface) -> dict:
    return {"theory": theory.run_payload(traj, surface)}


PACKERS = {"g": _grad, "e": _lr_eff, "v": _velocity, "angle": _angle, "sharp": _sharp, "edge": _edge,
           "flows": _flows, "theory": _theory, "batch": _batch, "points": _points, "estimate": _estimate}
assert set(PACKERS) == set().union(*(inst.needs for inst in registry.INSTRUMENTS))


def run_arrays(show, traj, surface) -> dict:
    """The per-step arrays of one run for the instruments in ``show`` (JSON-safe)."""
    out: dict = {}
    for group in registry.data_groups(show):
        out.update(PACKERS[group](traj, surface))
    return out


def fan_active(state: dict) -> bool:
    """A fan is drawn when K >= 2 and the gradients are noisy (else every seed agrees)."""
    return int(state.get("fan") or 0) >= 2 and float(state.get("noise") or 0.0) > 0.0


def fan_stride(k: int, steps: int) -> int:
    return max(1, math.ceil(k * (steps + 1) / FAN_POINTS_PER_RUN))


def fan_payload(state: dict, index: int) -> dict:
    """The cloud (every ``stride``-th step of each seed) and the full mean path."""
    paths = engine.fan_paths(state, index)
    k, n = paths.shape[0], paths.shape[1]
    stride = fan_stride(k, n - 1)
    cloud = paths[:, ::stride, :]
    mean = engine.fan_mean(paths)
    return {
        "k": int(k), "stride": int(stride), "m": int(cloud.shape[1]),
        "x": encode_f4(cloud[..., 0].ravel()), "y": encode_f4(cloud[..., 1].ravel()),
        "mx": encode_f4(mean[:, 0]), "my": encode_f4(mean[:, 1]),
        "diverged": int(np.isnan(paths[:, -1, 0]).sum()),
    }
