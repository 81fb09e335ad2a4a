"""Lessons on the page: the list, the banner, loading one, and noticing when the set-up
no longer is the lesson's.

A lesson (``ui.race.lessons``) is data: a set-up, its texts, its key number (computed
here per step and sent with each run, so the browser only slices it), where to pause and
what window to show. Loading it goes through the state's validation like any other
state. When the person changes what the lesson's text describes (the surface, the runs,
the start, the budget), the banner says so and offers to restore the set-up instead of
asserting claims that no longer hold; the view, the frame, the instruments and the
window do not count.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from dash import html

from ..core import engine, ids
from ..core.codec import encode_f4
from ..core.state import Errors, copy_state, make_surface, validate_state
from . import lessons

Result = tuple[dict, Errors]
# What a lesson's text is about: changing any of these makes it stale.
SUBJECT = ("surface", "runs", "start", "steps", "noise", "seed", "compare")


def find(key: Any):
    """The lesson with this key (or a retired key's successor), or None."""
    try:
        return lessons.get(key)
    except ValueError:
        return None


def lesson_state(key: str) -> tuple[dict, Errors]:
    """The lesson's whole set-up as a validated state (its window fitted when it has none)."""
    lesson = lessons.get(key)
    state, errors = validate_state({**lesson.state, "lesson": lesson.key})
    state["view"] = lesson.state.get("view", "overlay")
    if lesson.zoom is not None:
        state["box"] = [list(lesson.zoom[0]), list(lesson.zoom[1])]
    return state, errors


def _subject(state: dict) -> dict:
    out = {k: state.get(k) for k in SUBJECT}
    out["runs"] = [{k: v for k, v in run.items() if k != "id"} for run in state["runs"]]
    return out


def applies(state: dict) -> bool:
    """Whether the state still is its lesson's set-up (what the text talks about)."""
    lesson = find(state.get("lesson"))
    return lesson is not None and _subject(state) == _subject(lesson_state(lesson.key)[0])


def load_lesson(state: dict, key: Any) -> Result:
    """Replace the state with a lesson's (validated like anything else)."""
    if find(key) is None:
        return state, [f"Unknown lesson {str(key)[:40]!r}."]
    return lesson_state(key)


def close_lesson(state: dict) -> Result:
    new = copy_state(state)
    new["lesson"] = None
    return new, []


def restore_lesson(state: dict) -> Result:
    if find(state.get("lesson")) is None:
        return state, ["There is no lesson to restore."]
    return lesson_state(state["lesson"])


def check_known(state: dict) -> tuple[dict, Errors]:
    """The state with its lesson key checked against the lessons that exist."""
    key = state.get("lesson")
    if key is None:
        return state, []
    lesson = find(key)
    if lesson is None:
        new = copy_state(state)
        new["lesson"] = None
        return new, [f"Unknown lesson {str(key)[:40]!r}; showing the set-up without it."]
    if lesson.key != key:  # an old link's key: the lesson that replaced it
        new = copy_state(state)
        new["lesson"] = lesson.key
        return new, []
    return state, []


def stop_frame(state: dict) -> int | None:
    lesson = find(state.get("lesson"))
    return None if lesson is None or lesson.stop is None else min(int(lesson.stop), state["steps"])


# ------------------------------------------------------------------------------
# the key number, per step and per run
# ------------------------------------------------------------------------------

def live_values(state: dict) -> list[np.ndarray] | None:
    """The lesson's key number for each run, one value per frame (None: no lesson, or a
    set-up the lesson does not describe)."""
    lesson = find(state.get("lesson"))
    if lesson is None or lesson.live is None or not applies(state):
        return None
    trajs = [engine.trajectory(state, i) for i in range(len(state["runs"]))]
    with np.errstate(all="ignore"):
        return [np.asarray(v, dtype=float) for v in lesson.live.compute(trajs, make_surface(state["surface"]))]


def live_payload(values: np.ndarray) -> dict:
    return {"values": encode_f4(values)}


# How the browser prints each of the lessons' number formats (it slices the values).
FORMATS = {lessons.fmt_sci: {"kind": "sci"}, lessons.fmt_deg: {"kind": "fixed", "decimals": 1, "unit": "°"},
           lessons.fmt_num: {"kind": "sig"}, lessons.fmt_pct: {"kind": "pct"}, lessons.fmt_int: {"kind": "int"}}


def live_format(state: dict) -> dict | None:
    lesson = find(state.get("lesson"))
    if lesson is None or lesson.live is None:
        return None
    return {"label": lesson.live.label, **FORMATS.get(lesson.live.fmt, {"kind": "sig"})}


# ------------------------------------------------------------------------------
# page parts
# ------------------------------------------------------------------------------

def lesson_list() -> html.Ul:
    items = [
        html.Li(html.Button([html.Span(lesson.title, className="lesson-item-title"),
                             *([html.Span(lesson.question, className="lesson-item-question")] if lesson.question
                               else [])],
                            id=ids.lesson_pick(lesson.key), n_clicks=0, className="lesson-item",
                            title=lesson.answer))
        for lesson in lessons.LESSONS
    ]
    return html.Ul(items, id=ids.LESSONS, className="lesson-list")


def banner(state: dict) -> list:
    """The loaded lesson's question, answer and what to look at, with its live number;
    or, when the set-up changed, a note and a way back."""
    lesson = find(state.get("lesson"))
    if lesson is None:
        return []
    close = html.Button("×", id=ids.lesson_act("close"), className="icon-button lesson-close", n_clicks=0,
                        title="Hide this lesson", **{"aria-label": "Hide the lesson"})
    title = html.Div([html.Span("Lesson", className="lesson-tag"), html.Strong(lesson.title)],
                     className="lesson-title")
    if not applies(state):
        return [html.Div([
            title,
            html.P(["You changed the set-up, so this lesson's text no longer describes the plot. ",
                    html.Button("Restore the lesson", id=ids.lesson_act("restore"), n_clicks=0,
                                className="button small")], className="lesson-stale"),
            close,
        ], className="lesson-card stale")]
    parts = [title]
    if lesson.question:
        parts.append(html.P(lesson.question, className="lesson-question"))
    body = [html.P(lesson.answer, className="lesson-answer")]
    if lesson.look:
        body.append(html.P(lesson.look, className="lesson-look"))
    parts.append(html.Div(body, id=ids.LESSON_BODY, className="lesson-body"))
    # shown on phones only, where the body opens folded (10_race.js unfolds it)
    parts.append(html.Button("Read the lesson", className="button small lesson-more", n_clicks=0,
                             **{"aria-expanded": "false", "aria-controls": ids.LESSON_BODY}))
    parts.append(html.P(id=ids.LESSON_LIVE, className="lesson-live", **{"aria-live": "off"}))
    parts.append(close)
    return [html.Div(parts, className="lesson-card")]


def how_to_read() -> html.Div:
    """A first visit's four lines on reading the picture (dismissed in the browser)."""
    return html.Div(
        [html.Strong("How to read this"), html.Ul([html.Li(line) for line in lessons.HOW_TO_READ]),
         html.Button("Got it", className="button small", id=f"{ids.HOW_TO_READ}-close")],
        id=ids.HOW_TO_READ, className="how-to-read", hidden=True,
    )
