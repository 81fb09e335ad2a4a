"""The numbers behind the instruments, packed per run for the browser.

Only the instruments that are on (``state["show"]``) get their arrays, so the default
page sends nothing more. Each data group of :mod:`ui.core.registry` has one packer:

* ``g``      the gradient the optimizer saw (``Trajectory.grad_used``);
* ``e``      each coordinate's effective learning rate (``Trajectory.lr_eff``);
* ``v``      the momentum's move ``-lr_eff * velocity``
             (:func:`optimizers.diagnostics.velocity_direction`);
* ``angle``  the angle between each step and ``-g`` (:func:`~optimizers.diagnostics.descent_angle`);
* ``sharp``  ``lr * lambda_max(H)`` (:func:`~optimizers.diagnostics.sharpness`);
* ``state``  the optimizer's buffers after each update.

The noise fan (K seeds per run) is packed by :func:`fan_payload`. Index ``k`` of a
per-update array is the update applied at ``xy[k]``, i.e. torch's step ``t = k + 1``.
"""

from __future__ import annotations

import math

import numpy as np

from descent_lab import optimizers
from descent_lab.optimizers.diagnostics import (
    descent_angle,
    sharpness,
    velocity_direction,
)

from ..core import engine, registry
from ..core.codec import encode_f4

# Fan: at most this many cloud points per run (K paths x steps, strided to fit).
FAN_POINTS_PER_RUN = 8_000


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


def _state(traj, surface) -> dict:
    return {"state": {name: {"x": encode_f4(arr[:, 0]), "y": encode_f4(arr[:, 1])}
                      for name, arr in traj.state.items()}}


PACKERS = {"g": _grad, "e": _lr_eff, "v": _velocity, "angle": _angle, "sharp": _sharp, "state": _state}
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
