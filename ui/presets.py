"""Classic lessons as data: one click sets up the surface, the runs and the start.

Each preset is a partial state (anything missing takes its default) that goes
through ``ui.state.validate_state`` like any other state, so a preset cannot put
the app in a state a user could not reach. The tests check each one loads without
a message and shows what its description promises (e.g. the too-large learning
rate really diverges).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Preset:
    key: str
    title: str
    description: str
    state: dict = field(default_factory=dict)


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
        },
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
        },
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
        },
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
        },
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
        },
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
        },
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
        },
    ),
)

PRESETS = {preset.key: preset for preset in PRESET_LIST}
