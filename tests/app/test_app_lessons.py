"""Lessons on the page (ui.race.teach over ui.race.lessons): each lesson loads cleanly
from its link, says when the set-up is no longer its own, and offers it back. What each
lesson's text claims is tested on the engine in tests/unit/test_lessons.py."""

import pytest
from dash import html

from descent_lab.ui.core import engine, ids
from descent_lab.ui.core.codec import decode_f4
from descent_lab.ui.core.state import default_state, validate_state
from descent_lab.ui.core.url import decode_url, encode_url
from descent_lab.ui.race import flow, lessons, runs, start, surface, teach
from descent_lab.ui.race.lessons import LESSONS

LESSON_LIST = list(LESSONS)


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
def test_every_lesson_loads_from_its_link_with_its_banner(lesson):
    state, errors = validate_state(lesson.state)
    assert errors == []
    assert lesson.title and lesson.question.endswith("?") and lesson.answer.endswith(".")
    loaded = _loaded(lesson.key)
    assert loaded["lesson"] == lesson.key and teach.applies(loaded)
    assert decode_url(encode_url(loaded)) == (loaded, [])
    banner = teach.banner(loaded)
    assert lesson.title in _texts(banner) and lesson.answer in _texts(banner)
    assert ids.lesson_act("close") in _ids(banner) and ids.lesson_act("restore") not in _ids(banner)
    assert lesson.look in _texts(banner) and ids.LESSON_LIVE in _ids(banner)
    # ?lesson=KEY alone is the whole set-up, paused where the lesson makes its point
    out = flow.respond(None, {"kind": "load", "search": f"?lesson={lesson.key}"})
    assert out["state"] == loaded and out["view_store"]["stop"] == lesson.stop
    live = out["paths"]["runs"][0]["live"]
    assert len(engine.trajectory(loaded, 0).xy) == len(decode_f4(live["values"]))
    if lesson.zoom is not None:
        assert out["state"]["box"] == [list(lesson.zoom[0]), list(lesson.zoom[1])]


def test_old_lesson_keys_open_their_successors():
    for old, new in lessons.ALIASES.items():
        out = flow.respond(None, {"kind": "load", "search": f"?lesson={old}"})
        assert out["state"]["lesson"] == new and out["alerts"] == []


def test_an_empty_link_opens_the_default_lesson():
    out = flow.respond(None, {"kind": "load", "search": ""})
    assert out["state"]["lesson"] == lessons.DEFAULT_LESSON


def test_the_lesson_list_has_one_button_per_lesson():
    listing = teach.lesson_list()
    assert isinstance(listing, html.Ul)  # a list of lessons, said so to assistive technology
    assert all(isinstance(li, html.Li) for li in listing.children)
    items = [li.children for li in listing.children]
    assert [item.id for item in items] == [ids.lesson_pick(lesson.key) for lesson in LESSONS]
    assert [_texts(item).split("\n")[0] for item in items] == [lesson.title for lesson in LESSONS]


def test_unknown_lesson_in_the_url_is_reported():
    state, errors = decode_url("?lesson=<b>hi</b>")
    assert state["lesson"] is None and any("Unknown lesson" in e for e in errors)
    out = flow.respond(None, {"kind": "load", "search": "?lesson=no-such-lesson"})
    assert out["state"]["lesson"] is None and "Unknown lesson" in _texts(out["alerts"])


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
        assert "no longer describes the plot" in _texts(banner) and lessons.get("momentum-ravine").answer not in _texts(banner)
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
    assert back["state"] == state and lessons.get("momentum-ravine").answer in _texts(back["lesson"])
    assert back["view_store"]["autoplay"] is True and back["runs"] is not flow.NO
    hidden = flow.respond(state, {"kind": "lesson_act", "what": "close"})
    assert hidden["state"]["lesson"] is None and hidden["lesson"] == []
