"""Lessons on the page (ui.race.teach over descent_lab.lessons): each lesson loads
cleanly, says when the set-up is no longer its own, and shows what its text promises."""

import numpy as np
import pytest

from descent_lab.lessons import LESSONS
from descent_lab.surfaces.base import nearest_distance
from descent_lab.ui.core import engine, ids
from descent_lab.ui.core.state import default_state, validate_state
from descent_lab.ui.core.url import decode_url, encode_url
from descent_lab.ui.race import flow, runs, start, surface, teach

LESSON_LIST = list(LESSONS.values())


def _loaded(key):
    state, errors = teach.load_lesson(default_state(), key)
    assert errors == []
    return state


def _runs(state):
    return [engine.trajectory(state, i) for i in range(len(state["runs"]))]


def _texts(component) -> str:
    """Every string in a Dash component tree, joined."""
    if isinstance(component, str):
        return component
    if isinstance(component, (list, tuple)):
        return "\n".join(_texts(c) for c in component)
    children = getattr(component, "children", None)
    return "" if children is None else _texts(children)


def _ids(component) -> list:
    found = [getattr(component, "id", None)] if hasattr(component, "_prop_names") else []
    children = component if isinstance(component, (list, tuple)) else getattr(component, "children", None)
    if isinstance(children, (list, tuple)):
        for child in children:
            found += _ids(child)
    elif children is not None and not isinstance(children, str):
        found += _ids(children)
    return [i for i in found if i is not None]


@pytest.mark.parametrize("lesson", LESSON_LIST, ids=[p.key for p in LESSON_LIST])
def test_every_lesson_is_a_valid_state_with_title_and_one_sentence(lesson):
    state, errors = validate_state(lesson.state)
    assert errors == []
    assert lesson.title and lesson.answer.endswith(".")
    assert lesson.answer.count(". ") == 0  # one sentence
    loaded = _loaded(lesson.key)
    assert loaded["lesson"] == lesson.key and teach.applies(loaded)
    assert decode_url(encode_url(loaded)) == (loaded, [])
    banner = teach.banner(loaded)
    assert lesson.title in _texts(banner) and lesson.answer in _texts(banner)
    assert ids.lesson_act("close") in _ids(banner) and ids.lesson_act("restore") not in _ids(banner)


def test_the_lesson_list_has_one_button_per_lesson():
    items = teach.lesson_list().children
    assert [item.id for item in items] == [ids.lesson_pick(key) for key in LESSONS]
    assert [_texts(item).split("\n")[0] for item in items] == [lesson.title for lesson in LESSONS.values()]


def test_unknown_lesson_in_the_url_is_reported():
    state, errors = decode_url("?lesson=<b>hi</b>")
    assert state["lesson"] is None and any("Unknown lesson" in e for e in errors)


def test_changing_surface_drops_the_lesson_text():
    state = _loaded("momentum-ravine")
    moved, _ = surface.set_surface(state, "bowl")
    assert moved["lesson"] is None and teach.banner(moved) == []
    tweaked, _ = runs.set_hparam(state, 0, "lr", 1.5)
    assert tweaked["lesson"] == "momentum-ravine"  # exploring the lesson keeps its link back


def test_a_changed_set_up_says_the_lesson_no_longer_applies_and_offers_it_back():
    state = _loaded("momentum-ravine")
    for change in (lambda s: runs.set_hparam(s, 0, "lr", 1.5), lambda s: start.set_start(s, 1.0, 1.0),
                   lambda s: start.set_steps(s, 40), lambda s: runs.add_run(s, "adam"),
                   lambda s: start.set_noise(s, 0.5), lambda s: surface.set_surface_param(s, "angle", 30.0)):
        tweaked, errors = change(state)
        assert errors == [] and not teach.applies(tweaked)
        banner = teach.banner(tweaked)
        assert "no longer describes the plot" in _texts(banner) and LESSONS["momentum-ravine"].answer not in _texts(banner)
        assert ids.lesson_act("restore") in _ids(banner)
        assert teach.live_values(tweaked) is None  # no key number for a set-up the lesson does not describe
        restored, errors = teach.restore_lesson(tweaked)
        assert errors == [] and restored == teach.lesson_state("momentum-ravine")[0]
    # looking differently is not changing the set-up
    for look in (lambda s: start.set_view(s, "grid"), lambda s: start.set_frame(s, 40),
                 lambda s: surface.set_box(s, [[-9.0, 1.0], [-3.0, 3.0]])):
        assert teach.applies(look(state)[0])
    closed, _ = teach.close_lesson(state)
    assert closed["lesson"] is None and teach.banner(closed) == []
    assert teach.restore_lesson(closed)[1] == ["There is no lesson to restore."]


def test_the_banner_follows_the_set_up_through_the_race():
    state = flow.respond(None, {"kind": "load", "search": "?lesson=momentum-ravine"})["state"]
    tweaked = flow.respond(state, {"kind": "hparam_text", "run": 0, "name": "lr", "value": "1.5"})
    assert "no longer describes" in _texts(tweaked["lesson"])
    back = flow.respond(tweaked["state"], {"kind": "lesson_act", "what": "restore"})
    assert back["state"] == state and LESSONS["momentum-ravine"].answer in _texts(back["lesson"])
    assert back["view_store"]["autoplay"] is True and back["runs"] is not flow.NO
    hidden = flow.respond(state, {"kind": "lesson_act", "what": "close"})
    assert hidden["state"]["lesson"] is None and hidden["lesson"] == []


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
    start = np.array(LESSONS["rmsprop-bowl"].state["start"])
    direction = -start / np.linalg.norm(start)  # the straight line to the minimum

    def off_line(trajectory):
        rel = trajectory.xy[:40] - start
        return np.abs(rel[:, 0] * direction[1] - rel[:, 1] * direction[0]).max()

    assert off_line(gd) < 1e-9
    assert off_line(rmsprop) > 0.1
