"""Lessons: every sentence true on its plot, at its settings, with fair comparisons.

The claims themselves (``lessons.check``) are the core: each one measures a number
on the engine's trajectories of the lesson's set-up (re-running the tuning where a
claim says a setting is tuned) and tests it. The other tests hold the lessons to
what a learner needs to see: a state the app loads without a message, a zoom that
shows the action, paths that can be told apart, a divergence seen before it leaves
the plot, the instruments the text talks about switched on, and texts whose numbers
are all measured by a claim.
"""

import dataclasses
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from descent_lab.optimizers import sweeps
from descent_lab.ui.race import lessons
from descent_lab.ui.core import registry
from descent_lab.ui.core.state import validate_state

INSTRUMENTS = [instrument.name for instrument in registry.INSTRUMENTS]

ROOT = Path(__file__).resolve().parents[2]
IDS = [lesson.key for lesson in lessons.LESSONS]


def _panels(lesson):
    runs = lessons.simulate(lesson)
    return [p for p in (runs.main, runs.compare) if p is not None]


def _sentences(text):
    """Sentences end with . ? or ! followed by a capital letter or the end."""
    return len(re.findall(r"[.?!](?=\s+[A-Z]|\s*$)", text))


# ------------------------------------------------------------------ the claims


@pytest.mark.parametrize("lesson", lessons.LESSONS, ids=IDS)
def test_every_claim_of_the_lesson_holds(lesson):
    results = lessons.check(lesson)
    assert len(results) == len(lesson.claims) >= 5
    failing = [f"{text} -> measured {value!r}" for text, holds, value in results if not holds]
    assert not failing, "\n".join(failing)


@pytest.mark.parametrize("lesson", lessons.LESSONS, ids=IDS)
def test_no_claim_holds_whatever_the_number(lesson):
    # A claim must be able to fail: NaN (nothing measured) never passes, nor do both
    # extremes; and its number prints as text.
    runs = lessons.simulate(lesson)
    for claim in lesson.claims:
        assert not claim.holds(math.nan), claim.text
        assert not (claim.holds(1e6) and claim.holds(-1e6)), claim.text
        assert isinstance(claim.fmt(float(claim.measure(runs))), str)


def test_check_reports_a_claim_that_does_not_hold():
    lesson = lessons.get("lr-too-large")
    wrong = lessons.Claim(text="lr 2.1 converges.", measure=lambda r: float(r[2].status == "converged"),
                          holds=lambda v: v == 1.0, fmt=lessons.fmt_int)
    broken = dataclasses.replace(lesson, claims=lesson.claims[:1] + (wrong,))
    assert lessons.check(broken) == [(lesson.claims[0].text, True, 0.0), ("lr 2.1 converges.", False, 0.0)]


@pytest.mark.parametrize("lesson", lessons.LESSONS, ids=IDS)
def test_every_number_the_texts_state_is_measured_by_a_claim(lesson):
    stated = lessons.numbers_in(f"{lesson.answer} {lesson.look}")
    measured = set().union(*(lessons.numbers_in(claim.text) for claim in lesson.claims))
    assert stated, "a lesson should give numbers the learner can read off the plot"
    assert stated <= measured, f"numbers without a claim: {sorted(stated - measured)}"


def test_numbers_in_reads_the_forms_the_texts_use():
    assert lessons.numbers_in("at step 38, 1e-6, −0.04, 0.97 (lr·λmax = 1.94), 1.9% and 10·lr") == \
        {"38", "1e-6", "-0.04", "0.97", "1.94", "1.9", "10"}


def test_the_tuning_behind_a_fairness_claim_is_the_sweeps_tuning():
    # Re-run the tuning by hand for the first screen: gradient descent's lr in the
    # lesson needs no more steps than the best on the grid, momentum at most 1.5x.
    lesson = lessons.get(lessons.DEFAULT_LESSON)
    panel = lessons.simulate(lesson).main
    start, steps = panel.state["start"], panel.state["steps"]
    grid = {"n_lr": 64, "lr_range": (1e-3, 10.0)}
    gd = sweeps.tune("gd", panel.surface, start, steps, objective="steps_to_tol", tol=1e-6, **grid)
    mom = sweeps.tune("momentum", panel.surface, start, steps, objective="steps_to_tol", tol=1e-6,
                      second="momentum", n_second=40, **grid)
    assert lessons.tuned_steps(panel, 0) == gd.best_value
    assert lessons.tuned_steps(panel, 1, second="momentum") == mom.best_value
    assert lessons.steps_to(panel[0]) <= gd.best_value
    assert lessons.steps_to(panel[1]) <= 1.5 * mom.best_value
    assert lessons.steps_to(panel[1]) < mom.best_value * 2 < gd.best_value  # not a close race


# ------------------------------------------------------------------ records and registry


@pytest.mark.parametrize("record", [lessons.Lesson, lessons.Claim, lessons.LiveNumber])
def test_records_are_frozen_and_keyword_only(record):
    params = record.__dataclass_params__
    assert params.frozen
    assert all(f.kw_only for f in dataclasses.fields(record))
    with pytest.raises(TypeError):
        record(*["x"] * len(dataclasses.fields(record)))
    with pytest.raises(dataclasses.FrozenInstanceError):
        lessons.LESSONS[0].title = "changed"


def test_keys_are_unique_readable_slugs_and_links_find_them():
    assert len(set(lessons.LESSON_KEYS)) == len(lessons.LESSONS) >= 6
    for key in lessons.LESSON_KEYS:
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", key) and len(key) <= 30
        assert lessons.get(key).key == key
    assert lessons.DEFAULT_LESSON in lessons.LESSON_KEYS
    for old, new in lessons.ALIASES.items():
        assert old not in lessons.LESSON_KEYS and lessons.get(old).key == new
    with pytest.raises(ValueError, match="Unknown lesson '<b>x</b>'; expected one of: momentum-ravine"):
        lessons.get("<b>x</b>")
    with pytest.raises(ValueError, match="Unknown lesson"):
        lessons.get(None)


@pytest.mark.parametrize("lesson", lessons.LESSONS, ids=IDS)
def test_texts_have_their_shape(lesson):
    assert 10 <= len(lesson.title) <= 70 and not lesson.title.endswith(".")
    assert lesson.question.endswith("?")
    assert 1 <= _sentences(lesson.answer) <= 3, lesson.answer
    assert 2 <= _sentences(lesson.look) <= 3, lesson.look
    assert lesson.live.label and lesson.live.label[0].islower()
    for text in (lesson.title, lesson.question, lesson.answer, lesson.look, *(c.text for c in lesson.claims)):
        assert "  " not in text and "issue" not in text.lower()


def test_the_lessons_answer_the_three_questions():
    optimizers = {key: {run["optimizer"] for run in lessons.get(key).state["runs"]} for key in lessons.LESSON_KEYS}
    # 1: RMSprop without momentum next to Adam
    q1 = lessons.get("rescaling-downhill").state["runs"]
    assert [r["optimizer"] for r in q1] == ["rmsprop", "adam"] and q1[0]["hparams"]["momentum"] == 0.0
    # 2: the aligned ravine with its 45-degree turn side by side, and the round bowl
    assert lessons.get("aligned-vs-rotated").state["compare"] == {"angle": 45.0}
    assert lessons.get("rmsprop-bowl").state["surface"]["key"] == "bowl"
    # 3: momentum in a ravine, three learning rates, a saddle
    assert optimizers["momentum-ravine"] == {"gd", "momentum"}
    assert [r["hparams"]["lr"] for r in lessons.get("lr-too-large").state["runs"]] == [0.5, 1.9, 2.1]
    assert optimizers["saddle-escape"] == {"gd", "adam"}


def test_how_to_read_names_what_is_on_the_plot():
    assert 3 <= len(lessons.HOW_TO_READ) <= 4
    text = " ".join(lessons.HOW_TO_READ).lower()
    for word in ("circle", "start", "star", "minimum", "faint", "travelled", "player"):
        assert word in text
    assert all(len(line) <= 140 for line in lessons.HOW_TO_READ)


def test_the_first_screen_is_a_race_won_by_its_point():
    lesson = lessons.get(lessons.DEFAULT_LESSON)
    runs = lessons.simulate(lesson).main
    steps = [lessons.steps_to(t) for t in runs.trajectories]
    winner = runs.state["runs"][int(np.argmin(steps))]["optimizer"]
    assert winner == "momentum" and lesson.title.startswith("Momentum")
    assert max(steps) < runs.state["steps"]  # both finish: the race has an end
    assert lesson.stop == min(steps)  # it pauses as the winner arrives


# ------------------------------------------------------------------ set-up the app loads


@pytest.mark.parametrize("lesson", lessons.LESSONS, ids=IDS)
def test_the_app_loads_each_panel_without_a_message(lesson):
    base = {k: v for k, v in lesson.state.items() if k != "compare"}
    state, errors = validate_state(base)
    assert errors == []
    assert [r["optimizer"] for r in state["runs"]] == [r["optimizer"] for r in base["runs"]]
    for given, loaded in zip(base["runs"], state["runs"]):
        assert {k: loaded["hparams"][k] for k in given["hparams"]} == given["hparams"]
    assert state["show"] == [name for name in INSTRUMENTS if name in base["show"]]
    states = lessons.panel_states(lesson)
    assert states[0] == state
    if "compare" in lesson.state:
        assert len(states) == 2
        params = states[1]["surface"]["params"]
        assert {k: params[k] for k in lesson.state["compare"]} == lesson.state["compare"]
        assert states[1]["runs"] == state["runs"] and states[1]["steps"] == state["steps"]
    else:
        assert len(states) == 1


def test_a_state_the_app_refuses_is_an_error_not_a_silent_default():
    lesson = dataclasses.replace(lessons.get("rmsprop-bowl"),
                                 state={**lessons.get("rmsprop-bowl").state, "steps": 0})
    with pytest.raises(ValueError, match="Lesson rmsprop-bowl: Steps must be between"):
        lessons.panel_states(lesson)


def test_the_compare_panel_starts_where_its_surface_starts():
    main, turned = lessons.panel_states(lessons.get("aligned-vs-rotated"))
    c, s = math.cos(math.radians(45)), math.sin(math.radians(45))
    assert main["start"] == [-8.0, 2.0]
    np.testing.assert_allclose(turned["start"], [c * -8.0 - s * 2.0, s * -8.0 + c * 2.0])


# What the look text calls each instrument.
INSTRUMENT_WORDS = {
    "grad": "−g arrow", "rescaled": "rescaled-gradient arrow", "velocity": "velocity arrow",
    "step": "step arrow", "angle": "angle chart", "lr": "effective-lr chart", "sharpness": "lr·λmax chart",
    "edge": "stability edge chart", "flows": "flows on the contour", "theory": "theory panel",
    "batch": "minibatches drawn on the contour",
}


@pytest.mark.parametrize("lesson", lessons.LESSONS, ids=IDS)
def test_the_instruments_on_are_the_ones_the_look_text_talks_about(lesson):
    mentioned = {name for name, words in INSTRUMENT_WORDS.items() if words in lesson.look}
    assert set(lesson.state["show"]) == mentioned


# ------------------------------------------------------------------ visible on the plot


@pytest.mark.parametrize("lesson", lessons.LESSONS, ids=IDS)
def test_live_number_has_one_value_per_frame_and_reads_at_the_pause(lesson):
    for panel in _panels(lesson):
        values = lesson.live.compute(panel.trajectories, panel.surface)
        assert len(values) == len(panel.trajectories)
        for traj, series in zip(panel.trajectories, values):
            assert len(series) == len(traj.xy)
            at_stop = float(series[min(lesson.stop, len(series) - 1)])
            assert math.isfinite(at_stop), f"{traj.key}: nothing to show at the pause"
            assert lesson.live.fmt(at_stop) not in ("", "—", "nan")
    assert lesson.live.fmt(math.nan) == "—"


def test_live_numbers_agree_with_the_texts_from_the_first_frame():
    # the saddle: both runs start 0.01 from y = 0, and Adam is ahead from step 1 on
    saddle = lessons.get("saddle-escape")
    panel = lessons.simulate(saddle).main
    gd, adam = saddle.live.compute(panel.trajectories, panel.surface)
    assert gd[0] == adam[0] == 0.01
    assert np.all(adam[1:saddle.stop + 1] > gd[1:saddle.stop + 1])
    # the angle lesson: the number at frame k is the step taken from frame k
    angle = lessons.get("rescaling-downhill")
    panel = lessons.simulate(angle).main
    _, adam = angle.live.compute(panel.trajectories, panel.surface)
    assert round(adam[angle.stop], 1) == 170.7 and math.isnan(adam[-1])


@pytest.mark.parametrize("lesson", lessons.LESSONS, ids=IDS)
def test_the_pause_is_a_frame_every_panel_reaches(lesson):
    assert 0 < lesson.stop <= lesson.state["steps"]
    for panel in _panels(lesson):
        assert max(t.steps for t in panel.trajectories) >= lesson.stop


def _paths_to_stop(lesson):
    return [t.xy[: lesson.stop + 1] for panel in _panels(lesson) for t in panel.trajectories]


@pytest.mark.parametrize("lesson", lessons.LESSONS, ids=IDS)
def test_the_zoom_fits_the_action(lesson):
    (x0, x1), (y0, y1) = lesson.zoom
    points = np.vstack(_paths_to_stop(lesson))
    assert np.all((points[:, 0] >= x0) & (points[:, 0] <= x1) & (points[:, 1] >= y0) & (points[:, 1] <= y1))
    # the paths (and the minimum's star) fill it: at least 60% of its width and of its height
    stars = [m for panel in _panels(lesson) for m in panel.surface.minimizers]
    seen = np.vstack([points, *([np.array(stars)] if stars else [])])
    span = seen.max(axis=0) - seen.min(axis=0)
    assert span[0] >= 0.6 * (x1 - x0) and span[1] >= 0.6 * (y1 - y0)
    # and it is not the whole surface
    (bx0, bx1), (by0, by1) = _panels(lesson)[0].surface.bounds
    assert (x1 - x0) * (y1 - y0) < 0.75 * (bx1 - bx0) * (by1 - by0)


@pytest.mark.parametrize("lesson", lessons.LESSONS, ids=IDS)
def test_paths_can_be_told_apart(lesson):
    (x0, x1), (y0, y1) = lesson.zoom
    diagonal = math.hypot(x1 - x0, y1 - y0)
    for panel in _panels(lesson):
        paths = [t.xy[: lesson.stop + 1] for t in panel.trajectories]
        for i in range(len(paths)):
            for j in range(i + 1, len(paths)):
                n = min(len(paths[i]), len(paths[j]))
                gap = np.linalg.norm(paths[i][:n] - paths[j][:n], axis=1)
                # apart by 5% of the view somewhere, and not on top of each other most of the way
                assert gap.max() >= 0.05 * diagonal
                assert np.mean(gap[1:] < 0.01 * diagonal) <= 0.5
        # never all on one line (three paths on one line was the old too-large-lr picture)
        points = np.vstack(paths)
        sv = np.linalg.svd(points - points.mean(axis=0), compute_uv=False)
        assert sv[1] >= 0.1 * sv[0]


@pytest.mark.parametrize("lesson", lessons.LESSONS, ids=IDS)
def test_a_divergence_is_seen_before_it_leaves_the_plot(lesson):
    (x0, x1), (y0, y1) = lesson.zoom
    for panel in _panels(lesson):
        for traj in panel.trajectories:
            if traj.status != "diverged":
                continue
            assert lesson.stop < traj.diverged_at
            x, y = traj.xy[lesson.stop]
            assert x0 <= x <= x1 and y0 <= y <= y1
            # and it is visibly growing by then: farther out than where it started
            assert abs(y) > 2 * abs(traj.xy[0, 1])


# ------------------------------------------------------------------ module boundaries and the script


def _env():
    return {**os.environ, "PYTHONPATH": str(ROOT)}


def test_the_module_imports_neither_dash_nor_plotly():
    code = ("import sys, descent_lab.ui.race.lessons\n"
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'dash', 'plotly', 'flask'}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=_env(), cwd=ROOT,
                         check=True)
    assert out.stdout.strip() == "[]"


def test_the_claims_script_prints_every_claim_with_its_number():
    out = subprocess.run([sys.executable, "scripts/lesson_claims.py"], capture_output=True, text=True,
                         env=_env(), cwd=ROOT, check=False)
    assert out.returncode == 0, out.stdout + out.stderr
    lines = out.stdout.splitlines()
    assert sum(line.startswith("  ok ") for line in lines) == sum(len(l.claims) for l in lessons.LESSONS)
    assert "FAILS" not in out.stdout and "0 failing claim(s)" in lines[-1]
    for lesson in lessons.LESSONS:
        assert f"{lesson.key}: {lesson.title}" in lines
    assert "  ok            38  Momentum gets within 1e-6 of the minimum at step 38." in lines
