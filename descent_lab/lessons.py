"""Classic lessons as data: one click sets up the surface, the runs and the start.

Each preset is a partial state (anything missing takes its default) that goes
through ``ui.state.validate_state`` like any other state, so a preset cannot put
the app in a state a user could not reach. The tests check each one loads without
a message and shows what its description promises (e.g. the too-large learning
rate really diverges).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from descent_lab.optimizers.diagnostics import descent_angle, sharpness


@dataclass(frozen=True)
class Preset:
    """A lesson. ``instruments`` says what to look at in the instruments it switches on
    (``state["show"]``); ``metric`` names the key number shown live under it
    (assets/instruments.js: angle, lr_ratio, lr_eff, sharpness or step)."""

    key: str
    title: str
    description: str
    state: dict = field(default_factory=dict)
    instruments: str = ""
    metric: str = ""


def _run(optimizer: str, **hparams) -> dict:
    return {"optimizer": optimizer, "hparams": hparams}


PRESET_LIST = (
    Preset(
        "momentum-ravine",
        "Momentum in a ravine",
        "Gradient descent zig-zags across the valley while momentum averages the zig-zag away and runs along the floor.",
        {
            "surface": {"key": "valley", "params": {"condition": 20.0, "angle": 0.0}},
            "runs": [_run("gd", lr=1.8), _run("momentum", lr=0.5, momentum=0.8)],
            "start": [-8.0, 2.0],
            "steps": 150,
            "show": ["step", "velocity", "sharpness"],
        },
        instruments=(
            "The arrows show gradient descent's step flipping across the ravine every update, while "
            "momentum's velocity keeps pointing down the floor. The lr·λmax chart says why: 1.8 times the "
            "steep curvature 1 is just under 2, so each step overshoots the floor by 80% and the zig-zag dies "
            "out slowly; momentum runs at 0.5."
        ),
        metric="sharpness",
    ),
    Preset(
        "adaptive-aligned",
        "RMSprop and Adam: axis-aligned valley",
        "When the ravine lies along an axis, per-coordinate rescaling evens out the two curvatures: RMSprop and Adam take a short, nearly straight path while gradient descent zig-zags.",
        {
            "surface": {"key": "valley", "params": {"condition": 20.0, "angle": 0.0}},
            "runs": [_run("gd", lr=1.8), _run("rmsprop", lr=0.3), _run("adam", lr=0.3)],
            "start": [-8.0, 2.0],
            "steps": 150,
            "show": ["lr", "angle"],
        },
        instruments=(
            "The effective-lr chart splits each adaptive run into two curves: dividing by √v gives the flat "
            "coordinate x about √κ ≈ 4.5 times the rate of the steep y (the ratio below), which evens out the "
            "curvatures and straightens the path; gradient descent's two curves are one line at 1.8. The "
            "angle chart shows the price: the first steps point about 35° away from −g, still well under "
            "90°; later Adam's momentum carries some steps past 90° (uphill), RMSprop's never."
        ),
        metric="lr_ratio",
    ),
    Preset(
        "adaptive-rotated",
        "RMSprop and Adam: rotated valley",
        "Turn the same valley 45°: the curvatures no longer line up with the coordinates, so the rescaling stops helping and RMSprop and Adam slow down by orders of magnitude.",
        {
            "surface": {"key": "valley", "params": {"condition": 20.0, "angle": 45.0}},
            "runs": [_run("gd", lr=1.8), _run("rmsprop", lr=0.3), _run("adam", lr=0.3)],
            "start": [-8.0, 2.0],
            "steps": 150,
            "show": ["lr", "angle"],
        },
        instruments=(
            "Now the ratio of the x and y effective rates stays near 1 (below): at 45° both coordinates see "
            "the same mix of steep and flat curvature, so a per-coordinate rescaling cannot tell them apart "
            "and acts like a smaller learning rate. In the angle chart Adam's momentum even swings its steps "
            "past 90°, uphill, as it oscillates across the ravine."
        ),
        metric="lr_ratio",
    ),
    Preset(
        "lr-too-large",
        "A learning rate too large",
        "On the bowl gradient descent is stable below lr = 2: at 0.5 it glides in, at 1.9 it overshoots back and forth, at 2.2 each overshoot grows and it diverges.",
        {
            "surface": {"key": "bowl", "params": {}},
            "runs": [_run("gd", lr=0.5), _run("gd", lr=1.9), _run("gd", lr=2.2)],
            "start": [3.0, 1.5],
            "steps": 100,
            "show": ["sharpness"],
        },
        instruments=(
            "The lr·λmax chart is the whole story: on this bowl λmax = 1 everywhere, so the three runs sit at "
            "0.5, 1.9 and 2.2 against the line at 2. Below 2 each overshoot is smaller than the last; above "
            "it the distance to the minimum grows by |1 − 2.2| = 1.2 every step and the run diverges."
        ),
        metric="sharpness",
    ),
    Preset(
        "adagrad-stall",
        "Adagrad stalls",
        "Adagrad divides by the sum of all past squared gradients, so its steps keep shrinking and it stalls short of the minimum; RMSprop forgets old gradients and arrives.",
        {
            "surface": {"key": "valley", "params": {"condition": 20.0, "angle": 0.0}},
            "runs": [_run("adagrad", lr=0.5), _run("rmsprop", lr=0.1)],
            "start": [-8.0, 2.0],
            "steps": 300,
            "show": ["lr"],
        },
        instruments=(
            "In the effective-lr chart Adagrad's rates only fall: it divides by the sum of every squared "
            "gradient so far, from 1.25 at the start to under 0.3 by step 100 along x. RMSprop's rates "
            "recover once the gradients shrink, because it averages only the recent ones."
        ),
        metric="lr_eff",
    ),
    Preset(
        "saddle-escape",
        "Escaping a saddle",
        "Started almost on the ridge, gradient descent creeps because the gradient there is tiny; Adam's normalised steps leave the saddle quickly.",
        {
            "surface": {"key": "saddle", "params": {}},
            "runs": [_run("gd", lr=0.01), _run("adam", lr=0.01)],
            "start": [-1.8, 0.001],
            "steps": 300,
            "show": ["grad", "step", "angle"],
        },
        instruments=(
            "Gradient descent's step is lr times the gradient, and near the ridge the gradient is tiny: the "
            "step length |Δθ| below shrinks as it slides towards the saddle point. Adam divides by the "
            "gradient's own size, so its steps stay near lr·√2 ≈ 0.014 in every direction and it leaves along "
            "y; the angle chart shows it paying about 40° off −g for that."
        ),
        metric="step",
    ),
    Preset(
        "rmsprop-bowl",
        "RMSprop on a round bowl",
        "Where the gradient already points at the minimum, RMSprop's per-coordinate rescaling bends the path off the straight line gradient descent takes.",
        {
            "surface": {"key": "bowl", "params": {}},
            "runs": [_run("gd", lr=0.1), _run("rmsprop", lr=0.05)],
            "start": [3.0, 1.5],
            "steps": 200,
            "show": ["angle", "grad", "step"],
        },
        instruments=(
            "On a round bowl −g already points at the minimum, and gradient descent's angle stays at 0°. "
            "RMSprop's per-coordinate rescaling turns its first steps about 18° off −g (the step arrow leaves "
            "the black −g arrow): still downhill, but a detour. Rescaling pays only when the curvatures "
            "differ along the axes."
        ),
        metric="angle",
    ),
)

PRESETS = {preset.key: preset for preset in PRESET_LIST}


# ---------------------------------------------------------------- the lesson schema


@dataclass(frozen=True, kw_only=True)
class LiveNumber:
    """The key number a lesson shows live: one value per step per run."""

    label: str
    compute: Callable  # (trajectories, surface) -> list of (n,) arrays, one per run
    unit: str = ""
    decimals: int | None = None  # fixed decimals; None: 3 significant digits


@dataclass(frozen=True, kw_only=True)
class Claim:
    text: str
    measure: Callable
    holds: Callable
    fmt: Callable = str


@dataclass(frozen=True, kw_only=True)
class Lesson:
    key: str
    title: str
    question: str
    answer: str
    look: str
    state: dict
    live: LiveNumber | None
    stop: int | None
    zoom: tuple | None
    claims: tuple = ()


def _angle(trajs, surface):
    return [descent_angle(t.step, t.grad_used) for t in trajs]


def _ratio(trajs, surface):
    return [t.lr_eff[:, 0] / t.lr_eff[:, 1] for t in trajs]


def _lr_x(trajs, surface):
    return [t.lr_eff[:, 0] for t in trajs]


def _sharp(trajs, surface):
    return [sharpness(t, surface) for t in trajs]


def _step(trajs, surface):
    return [np.linalg.norm(t.step, axis=1) for t in trajs]


_LIVE = {
    "angle": LiveNumber(label="∠(Δθ, −g)", compute=_angle, unit="°", decimals=1),
    "lr_ratio": LiveNumber(label="η_eff,x / η_eff,y", compute=_ratio),
    "lr_eff": LiveNumber(label="η_eff,x", compute=_lr_x),
    "sharpness": LiveNumber(label="lr·λmax", compute=_sharp),
    "step": LiveNumber(label="|Δθ|", compute=_step),
}

LESSONS = {
    p.key: Lesson(key=p.key, title=p.title, question="", answer=p.description, look=p.instruments, state=p.state,
                  live=_LIVE.get(p.metric), stop=None, zoom=None)
    for p in PRESET_LIST
}
DEFAULT_LESSON = None
HOW_TO_READ = (
    "○ start, ☆ minimum.",
    "Faint line: a run's whole path; solid: how far it has got.",
    "▶ plays; the step bar moves every run and chart together.",
)
