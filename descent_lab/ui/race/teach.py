"""Lessons on the page: the list, the banner, loading one, and noticing when the set-up
no longer is the lesson's.

A lesson (``descent_lab.lessons``) is data: a set-up, its texts, its key number (computed
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

from descent_lab import lessons

from ..core import engine, ids
from ..core.codec import encode_f4
from ..core.state import Errors, copy_state, make_surface, validate_state

Result = tuple[dict, Errors]
# What a lesson's text is about: changing any of these makes it stale.
SUBJECT = ("surface", "runs", "start", "steps", "noise", "seed", "compare")


def lesson_state(key: str) -> tuple[dict, Errors]:
    """The lesson's whole set-up as a validated state (its window fitted when it has none)."""
    lesson = lessons.LESSONS[key]
    state, errors = validate_state({**lesson.state, "lesson": key})
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
    key = state.get("lesson")
    if not key or key not in lessons.LESSONS:
        return False
    return _subject(state) == _subject(lesson_state(key)[0])


def load_lesson(state: dict, key: Any) -> Result:
    """Replace the state with a lesson's (validated like anything else)."""
    if not isinstance(key, str) or key not in lessons.LESSONS:
        return state, [f"Unknown lesson {key!r}."]
    return lesson_state(key)


def close_lesson(state: dict) -> Result:
    new = copy_state(state)
    new["lesson"] = None
    return new, []


def restore_lesson(state: dict) -> Result:
    key = state.get("lesson")
    if not key or key not in lessons.LESSONS:
        return state, ["There is no lesson to restore."]
    return lesson_state(key)


def stop_frame(state: dict) -> int | None:
    key = state.get("lesson")
    lesson = lessons.LESSONS.get(key) if key else None
    return None if lesson is None or lesson.stop is None else min(int(lesson.stop), state["steps"])


# ------------------------------------------------------------------------------
# the key number, per step and per run
# ------------------------------------------------------------------------------

def live_values(state: dict) -> list[np.ndarray] | None:
    """The lesson's key number for each run, one value per step (None: no lesson, or a
    set-up the lesson does not describe)."""
    key = state.get("lesson")
    lesson = lessons.LESSONS.get(key) if key else None
    if lesson is None or lesson.live is None or not applies(state):
        return None
    trajs = [engine.trajectory(state, i) for i in range(len(state["runs"]))]
    with np.errstate(all="ignore"):
        return [np.asarray(v, dtype=float) for v in lesson.live.compute(trajs, make_surface(state["surface"]))]


def live_payload(values: np.ndarray) -> dict:
    return {"values": encode_f4(values)}


def live_format(state: dict) -> dict | None:
    key = state.get("lesson")
    lesson = lessons.LESSONS.get(key) if key else None
    if lesson is None or lesson.live is None:
        return None
    return {"label": lesson.live.label, "unit": lesson.live.unit, "decimals": lesson.live.decimals}


# ------------------------------------------------------------------------------
# page parts
# ------------------------------------------------------------------------------

def lesson_list() -> html.Div:
    items = [
        html.Button([html.Span(lesson.title, className="lesson-item-title"),
                     *([html.Span(lesson.question, className="lesson-item-question")] if lesson.question else [])],
                    id=ids.lesson_pick(lesson.key), n_clicks=0, className="lesson-item",
                    title=lesson.answer)
        for lesson in lessons.LESSONS.values()
    ]
    return html.Div(items, id=ids.LESSONS, className="lesson-list", role="list")


def banner(state: dict) -> list:
    """The loaded lesson's question, answer and what to look at, with its live number;
    or, when the set-up changed, a note and a way back."""
    key = state.get("lesson")
    lesson = lessons.LESSONS.get(key) if key else None
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
    parts.append(html.P(lesson.answer, className="lesson-answer"))
    if lesson.look:
        parts.append(html.P(lesson.look, className="lesson-look"))
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
