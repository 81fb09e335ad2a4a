"""The race in real headless Chromium (dash_duo; flags in tests/conftest.py): loading,
sliders under a real mouse and keyboard, typed values, schedules, optimizer switches,
number fields, runs, the player, lessons, one-screen layout, exports, the typed surface,
surface switches, and the numbers the browser shows against the server's."""

import math

import numpy as np
import pytest
from browser_helpers import (
    canvas_checksum,
    css_id,
    current_state,
    drag,
    is_focused,
    js,
    lab,
    page_state,
    pause,
    reload,
    run_xy,
    same_element,
    search,
    severe_logs,
    start,
    thumb_of,
    type_into,
    wait_until,
)
from selenium.webdriver.common.keys import Keys

from descent_lab import lessons, optimizers
from descent_lab.ui.core import engine, ids, theme, widgets
from descent_lab.ui.race import flow

VALLEY_GD_ADAM = "?surface=valley(condition=20,angle=0)&run=gd(lr=0.5)&run=adam(lr=0.3)&start=-8,2&steps=120"


def lr_spec(optimizer):
    return next(hp for hp in optimizers.REGISTRY[optimizer].hyperparams if hp.name == "lr")


def assert_path_is_the_servers(dash_duo, index, overrides=None, twin=False):
    """The browser's path for run ``index`` equals the engine's for the committed state."""
    state = page_state(dash_duo)
    traj = engine.trajectory(state, index, overrides)
    x, y = run_xy(dash_duo, index, twin=twin)
    assert len(x) == len(traj.xy)
    assert np.allclose(x, traj.xy[:, 0], rtol=1e-6, atol=1e-6)  # float32 on the wire
    assert np.allclose(y, traj.xy[:, 1], rtol=1e-6, atol=1e-6)


def committed(dash_duo):
    """The page's state agrees with its address bar (the race settled)."""
    return page_state(dash_duo) == current_state(dash_duo)


# ---------------------------------------------------------------------- loading


def test_race001_first_visit_animates_shows_how_to_read_and_no_console_errors(dash_duo, descent_app):
    start(dash_duo, descent_app)
    expected, errors = flow.load("")
    assert errors == []
    assert current_state(dash_duo) == {**expected, "frame": current_state(dash_duo)["frame"]}
    assert lab(dash_duo, "c.runs.length") == len(expected["runs"])
    wait_until(lambda: lab(dash_duo, "c.frame") > 5, message="autoplay")
    assert len(dash_duo.find_elements(".run-card")) == len(expected["runs"])
    assert dash_duo.find_element(css_id(ids.ALERTS)).text == ""
    # the formula of the surface is typeset
    wait_until(lambda: dash_duo.find_elements(css_id(ids.SURFACE_INFO) + " mjx-container"), message="rendered math")
    # a first visit says how to read the picture, until dismissed
    how = dash_duo.find_element(css_id(ids.HOW_TO_READ))
    wait_until(lambda: how.is_displayed(), message="'How to read this'")
    assert "How to read this" in how.text
    for line in lessons.HOW_TO_READ:
        assert line in how.text
    dash_duo.find_element(css_id(f"{ids.HOW_TO_READ}-close")).click()
    wait_until(lambda: not how.is_displayed(), message="the note dismissed")
    reload(dash_duo)
    assert not dash_duo.find_element(css_id(ids.HOW_TO_READ)).is_displayed()  # a second visit
    assert dash_duo.get_logs() == []


# ----------------------------------------------------------------- run sliders


def test_race002_mouse_drag_of_a_learning_rate_previews_live_and_commits_on_release(dash_duo, descent_app):
    start(dash_duo, descent_app, VALLEY_GD_ADAM)
    pause(dash_duo)
    thumb = dash_duo.find_element(thumb_of(ids.hparam(1, "lr")))
    before_url, before_state = search(dash_duo), page_state(dash_duo)
    before_x = run_xy(dash_duo, 1)[0]
    before_pixels = canvas_checksum(dash_duo)
    seen = {"previews": lab(dash_duo, "c.previews"), "paths": set(), "pixels": set()}

    def during(k):
        # each small move paints a preview while the button is still down
        wait_until(lambda: lab(dash_duo, "c.previews") > seen["previews"], timeout=10,
                   message=f"a preview painted after move {k + 1}")
        seen["previews"] = lab(dash_duo, "c.previews")
        seen["paths"].add(tuple(run_xy(dash_duo, 1)[0][:20]))
        seen["pixels"].add(canvas_checksum(dash_duo))
        # nothing is committed while the hand moves
        assert search(dash_duo) == before_url
        assert page_state(dash_duo) == before_state

    drag(dash_duo, thumb, -40, moves=10, during=during)
    assert len(seen["paths"]) >= 3 and tuple(before_x[:20]) not in seen["paths"]  # the path followed the hand
    assert len(seen["pixels"] - {before_pixels}) >= 3  # and reached the screen
    wait_until(lambda: current_state(dash_duo)["runs"][1]["hparams"]["lr"] != 0.3, message="the commit on release")
    wait_until(lambda: committed(dash_duo), message="the state to settle")
    # the same thumb, still focused
    assert same_element(dash_duo, thumb, dash_duo.find_element(thumb_of(ids.hparam(1, "lr"))))
    assert is_focused(dash_duo, thumb)
    # the committed value is the thumb's position, and the path is the engine's for it
    lr = current_state(dash_duo)["runs"][1]["hparams"]["lr"]
    position = float(thumb.get_attribute("aria-valuenow"))
    assert lr == widgets.from_slider(lr_spec("adam"), position) and lr < 0.3
    assert current_state(dash_duo)["runs"][0] == before_state["runs"][0]  # only that run changed
    wait_until(lambda: f"lr={theme.fmt_value(lr)}" in lab(dash_duo, "c.runs[1].label"), message="the new label")
    assert_path_is_the_servers(dash_duo, 1)
    assert dash_duo.find_element(css_id(ids.hparam_text(1, "lr"))).get_attribute("value") == theme.fmt_value(lr)
    assert dash_duo.get_logs() == []


def test_race003_keyboard_steps_keep_focus_and_name_the_knob_and_its_value(dash_duo, descent_app):
    start(dash_duo, descent_app, VALLEY_GD_ADAM)
    pause(dash_duo)
    thumb = dash_duo.find_element(thumb_of(ids.hparam(1, "lr")))
    # screen readers hear the knob, its run and the learning rate, not the log10 position
    wait_until(lambda: thumb.get_attribute("aria-valuetext") == "0.3", message="aria-valuetext")
    assert thumb.get_attribute("aria-label") == f"{lr_spec('adam').label} (run 2)"
    start_position = float(thumb.get_attribute("aria-valuenow"))
    before_x = run_xy(dash_duo, 1)[0]
    js(dash_duo, "arguments[0].focus();", thumb)
    for press in range(1, 6):
        thumb.send_keys(Keys.ARROW_RIGHT)
        assert is_focused(dash_duo, thumb), f"focus lost after key {press}"
        wait_until(lambda: float(thumb.get_attribute("aria-valuenow")) > start_position + (press - 0.5) * widgets.LOG_STEP,
                   message=f"the thumb to move on key {press}")
    # five steps of the slider (the first may also snap the position onto the slider's grid)
    position = float(thumb.get_attribute("aria-valuenow"))
    assert 4 * widgets.LOG_STEP < position - start_position < 6 * widgets.LOG_STEP
    expected = widgets.from_slider(lr_spec("adam"), position)
    wait_until(lambda: current_state(dash_duo)["runs"][1]["hparams"]["lr"] == expected,
               message=f"lr = {expected} in the address")
    wait_until(lambda: committed(dash_duo), message="the state to settle")
    assert same_element(dash_duo, thumb, dash_duo.find_element(thumb_of(ids.hparam(1, "lr"))))
    assert is_focused(dash_duo, thumb)
    wait_until(lambda: thumb.get_attribute("aria-valuetext") == theme.fmt_value(expected),
               message="aria-valuetext to follow")
    assert float(thumb.get_attribute("aria-valuenow")) == pytest.approx(position)
    wait_until(lambda: run_xy(dash_duo, 1)[0] != before_x, message="the path to follow the keyboard")
    assert_path_is_the_servers(dash_duo, 1)
    assert dash_duo.get_logs() == []


def test_race004_a_typed_learning_rate_commits_exactly_and_moves_the_slider(dash_duo, descent_app):
    start(dash_duo, descent_app, VALLEY_GD_ADAM)
    pause(dash_duo)
    type_into(dash_duo, css_id(ids.hparam_text(0, "lr")), "2.05")
    wait_until(lambda: current_state(dash_duo)["runs"][0]["hparams"]["lr"] == 2.05, message="lr = 2.05 exactly")
    wait_until(lambda: committed(dash_duo), message="the state to settle")
    thumb = dash_duo.find_element(thumb_of(ids.hparam(0, "lr")))
    wait_until(lambda: float(thumb.get_attribute("aria-valuenow")) == pytest.approx(math.log10(2.05), abs=1e-4),
               message="the slider at log10(2.05)")
    wait_until(lambda: "lr=2.05" in lab(dash_duo, "c.runs[0].label"), message="the label")
    assert_path_is_the_servers(dash_duo, 0)
    # a value the slider cannot resolve is kept as typed, not rounded to the slider's grid
    type_into(dash_duo, css_id(ids.hparam_text(0, "lr")), "0.123456")
    wait_until(lambda: current_state(dash_duo)["runs"][0]["hparams"]["lr"] == 0.123456, message="lr = 0.123456")
    assert dash_duo.get_logs() == []
