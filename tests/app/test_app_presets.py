"""ui.presets: each lesson loads cleanly and shows what its description promises."""

import numpy as np
import pytest

from descent_lab.ui import actions, layout
from descent_lab.ui.presets import PRESET_LIST, PRESETS
from descent_lab.ui.simulate import nearest_distance, run_one
from descent_lab.ui.state import decode_url, default_state, encode_url, validate_state


def _loaded(key):
    state, errors = actions.load_preset(default_state(), key)
    assert errors == []
    return state


def _runs(state):
    return [run_one(state, i) for i in range(len(state["runs"]))]


@pytest.mark.parametrize("preset", PRESET_LIST, ids=[p.key for p in PRESET_LIST])
def test_every_preset_is_a_valid_state_with_title_and_one_sentence(preset):
    state, errors = validate_state(preset.state)
    assert errors == []
    assert preset.title and preset.description.endswith(".")
    assert preset.description.count(". ") == 0  # one sentence
    loaded = _loaded(preset.key)
    assert loaded["lesson"] == preset.key
    assert decode_url(encode_url(loaded)) == (loaded, [])
    banner = str(layout.lesson_banner(preset.key))
    assert preset.title in banner


def test_unknown_lesson_in_the_url_is_reported():
    state, errors = decode_url("?lesson=<b>hi</b>")
    assert state["lesson"] is None and any("Unknown lesson" in e for e in errors)


def test_changing_surface_drops_the_lesson_text():
    state = _loaded("momentum-ravine")
    moved, _ = actions.set_surface(state, "bowl")
    assert moved["lesson"] is None
    tweaked, _ = actions.set_hparam(state, 0, "lr", 1.5)
    assert tweaked["lesson"] == "momentum-ravine"  # exploring the lesson keeps its text


def _zigzags(trajectory, coordinate=1):
    return int((np.diff(np.sign(np.diff(trajectory.xy[:, coordinate]))) != 0).sum())


def test_momentum_damps_the_zigzag():
    gd, momentum = _runs(_loaded("momentum-ravine"))
    assert _zigzags(gd) > 3 * _zigzags(momentum)


def _path_length(trajectory):
    return np.linalg.norm(np.diff(trajectory.xy, axis=0), axis=1).sum()


def test_adaptive_methods_help_on_the_aligned_valley_not_the_rotated_one():
    aligned, rotated = _runs(_loaded("adaptive-aligned")), _runs(_loaded("adaptive-rotated"))
    gd, rmsprop, adam = aligned
    assert _path_length(rmsprop) < 0.6 * _path_length(gd) and _path_length(adam) < 0.6 * _path_length(gd)
    loss = lambda t: t.loss[min(60, len(t.loss) - 1)]  # noqa: E731
    assert loss(rotated[1]) > 1e3 * loss(rmsprop)  # the rotation takes the advantage away
    assert loss(rotated[2]) > 10 * loss(adam)


def test_too_large_learning_rate_diverges():
    statuses = [t.status for t in _runs(_loaded("lr-too-large"))]
    assert statuses[0] == "converged" and statuses[-1] == "diverged"


def test_adagrad_stalls_where_rmsprop_arrives():
    state = _loaded("adagrad-stall")
    adagrad, rmsprop = _runs(state)
    minimizers = [(0.0, 0.0)]
    assert nearest_distance(adagrad.xy[-1:], minimizers)[0] > 100 * nearest_distance(rmsprop.xy[-1:], minimizers)[0]
    steps = np.linalg.norm(np.diff(adagrad.xy, axis=0), axis=1)
    assert steps[-1] < steps[0] / 100  # its steps shrank


def test_adam_leaves_the_saddle_where_gradient_descent_lingers():
    gd, adam = _runs(_loaded("saddle-escape"))
    assert abs(adam.xy[-1, 1]) > 5 * abs(gd.xy[-1, 1])


def test_rmsprop_bends_off_the_straight_path_on_the_bowl():
    gd, rmsprop = _runs(_loaded("rmsprop-bowl"))
    start = np.array(PRESETS["rmsprop-bowl"].state["start"])
    direction = -start / np.linalg.norm(start)  # the straight line to the minimum

    def off_line(trajectory):
        rel = trajectory.xy[:40] - start
        return np.abs(rel[:, 0] * direction[1] - rel[:, 1] * direction[0]).max()

    assert off_line(gd) < 1e-9
    assert off_line(rmsprop) > 0.1
