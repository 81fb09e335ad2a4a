"""The race in real headless Chromium (dash_duo; flags in tests/conftest.py): loading,
sliders under a real mouse and keyboard, typed values, schedules, optimizer switches,
number fields, runs, the player, lessons, one-screen layout, exports, the typed surface,
surface switches, and the numbers the browser shows against the server's."""

import base64
import json
import math
import os

import numpy as np
import pandas as pd
import pytest
from browser_helpers import (
    alert_text,
    all_xy_heads,
    canvas_checksum,
    choose,
    click_data_point,
    css_id,
    current_state,
    drag,
    is_focused,
    js,
    lab,
    main_graph,
    open_formula,
    page_state,
    painted_pixels,
    pause,
    rect,
    reload,
    run_xy,
    same_element,
    search,
    set_viewport,
    start,
    thumb_of,
    type_into,
    wait_until,
)
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select

from descent_lab import optimizers, surfaces
from descent_lab.surfaces.base import nearest_distance
from descent_lab.ui.core import engine, ids, registry, theme, widgets
from descent_lab.ui.core.labels import run_label
from descent_lab.ui.core.state import (
    MAX_RUNS,
    MAX_SEED,
    MAX_STEPS,
    MIN_STEPS,
    default_hparams,
    make_surface,
    start_limits,
    surface_params,
    validate_state,
)
from descent_lab.ui.core.url import encode_url
from descent_lab.ui.race import flow, lessons, runs, surface, teach

VALLEY_GD_ADAM = "?surface=valley(condition=20,angle=0)&run=gd(lr=0.5)&run=adam(lr=0.3)&start=-8,2&steps=120"


def lr_spec(optimizer):
    return next(hp for hp in optimizers.REGISTRY[optimizer].hyperparams if hp.name == "lr")


def assert_path_is_the_servers(dash_duo, index, overrides=None, twin=False):
    """The browser's path for run ``index`` equals the engine's for the committed state (the
    compared panel's runs start where that panel starts them: ``surface.twin_start``)."""
    state = page_state(dash_duo)
    traj = engine.trajectory(state, index, overrides, surface.twin_start(state) if twin else None)
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
    # the formula of the surface is typeset when shown (MathJax loads with the first formula)
    assert not dash_duo.find_elements(css_id(ids.SURFACE_INFO) + " mjx-container")
    formula = open_formula(dash_duo, f"surface-{expected['surface']['key']}")
    assert formula.find_element("css selector", "mjx-container").is_displayed()
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
    # the thumb stands at the committed value (3 significant digits), within half a step
    assert abs(float(thumb.get_attribute("aria-valuenow")) - math.log10(expected)) <= widgets.LOG_STEP / 2
    wait_until(lambda: run_xy(dash_duo, 1)[0] != before_x, message="the path to follow the keyboard")
    assert_path_is_the_servers(dash_duo, 1)
    assert dash_duo.get_logs() == []


def test_race030_keys_step_a_slider_by_its_own_rules_and_its_value_settles_once(dash_duo, descent_app):
    """The page takes a previewed slider's keys itself (no render per key): each key moves
    the thumb as the slider would (the first step onto the slider's grid, Home and End the
    ends, PageDown and Shift with an arrow ten steps), the slider's Dash value and the state
    take the last value once the keys settle, and the thumb the page placed is where the
    slider draws it."""
    start(dash_duo, descent_app, VALLEY_GD_ADAM)
    pause(dash_duo)
    low, high, step = widgets.slider_range(lr_spec("adam"))
    slider = ids.hparam(1, "lr")
    thumb = dash_duo.find_element(thumb_of(slider))
    js(dash_duo, "arguments[0].scrollIntoView({block: 'center'}); arguments[0].focus();", thumb)

    def position():
        return float(thumb.get_attribute("aria-valuenow"))

    def dash_value():
        return js(dash_duo, "return window.dash_component_api.getLayout(arguments[0]).props.value;", slider)

    def settled(expected):
        wait_until(lambda: abs(position() - expected) < 1e-9, message=f"the thumb at {expected}",
                   context=position)
        wait_until(lambda: lab(dash_duo, "c.inHand") is False and committed(dash_duo)
                   and current_state(dash_duo)["runs"][1]["hparams"]["lr"] == widgets.from_slider(lr_spec("adam"), expected),
                   message=f"the state to take {expected}", context=lambda: current_state(dash_duo)["runs"][1])
        assert abs(dash_value() - expected) < 1e-9  # the slider's own value follows the thumb
        assert is_focused(dash_duo, thumb)

    first = position()
    assert abs((first - low) / step - round((first - low) / step)) > 1e-6  # lr = 0.3 is off the slider's grid
    # by less than the step's decimals: as the slider does, that counts as on the grid
    thumb.send_keys(Keys.ARROW_RIGHT)
    settled(round(round(first, 2) + step, 2))
    thumb.send_keys(Keys.HOME)
    settled(low)
    thumb.send_keys(Keys.END)
    settled(high)
    thumb.send_keys(Keys.PAGE_DOWN)
    settled(round(high - 10 * step, 2))
    thumb.send_keys(Keys.SHIFT, Keys.ARROW_LEFT)
    settled(round(high - 20 * step, 2))
    thumb.send_keys(Keys.ARROW_LEFT, Keys.ARROW_LEFT, Keys.ARROW_UP)  # a burst: one value committed
    settled(round(high - 21 * step, 2))
    assert_path_is_the_servers(dash_duo, 1)
    # the slider drew the committed value; a step and back, placed by the page, puts the thumb
    # at the same pixel, commits nothing (the value is the state's) and no Dash render moves it
    drawn, url = rect(dash_duo, thumb), search(dash_duo)
    previews = lab(dash_duo, "c.previews")
    thumb.send_keys(Keys.ARROW_RIGHT)
    wait_until(lambda: lab(dash_duo, "c.previews") > previews, message="the step previewed")
    thumb.send_keys(Keys.ARROW_LEFT)
    settled(round(high - 21 * step, 2))
    placed = rect(dash_duo, thumb)
    assert abs(placed["left"] - drawn["left"]) < 0.5 and abs(placed["top"] - drawn["top"]) < 0.5, (drawn, placed)
    assert search(dash_duo) == url
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


# ------------------------------------------------------------- surface sliders


def toward_middle(thumb, pixels):
    """``pixels`` signed so a drag moves the thumb toward the middle of its range."""
    now, low, high = (float(thumb.get_attribute(a)) for a in ("aria-valuenow", "aria-valuemin", "aria-valuemax"))
    return pixels if now < (low + high) / 2 else -pixels


@pytest.mark.parametrize("link, name", [
    ("?surface=valley(condition=20,angle=20)&run=gd(lr=0.5)&run=adam(lr=0.1)&start=-8,2&steps=80", "condition"),
    ("?surface=valley(condition=20,angle=20)&run=gd(lr=0.5)&run=adam(lr=0.1)&start=-8,2&steps=80", "angle"),
    ("?surface=rosenbrock(a=1,b=100)&run=gd(lr=0.001)&run=adam(lr=0.02)&start=-1.2,1&steps=80", "a"),
    ("?surface=rosenbrock(a=1,b=100)&run=gd(lr=0.001)&run=adam(lr=0.02)&start=-1.2,1&steps=80", "b"),
])
def test_race005_a_surface_slider_drags_with_live_paths_and_keeps_focus(dash_duo, descent_app, link, name):
    start(dash_duo, descent_app, link)
    pause(dash_duo)
    thumb = dash_duo.find_element(thumb_of(ids.sparam(name)))
    before_url, before_value = search(dash_duo), current_state(dash_duo)["surface"]["params"][name]
    before_paths = all_xy_heads(dash_duo, 30)
    js(dash_duo, "window.__contour = window.descentLab.surfaceRaw;")
    seen = {"previews": lab(dash_duo, "c.previews"), "paths": set()}

    def during(k):
        wait_until(lambda: lab(dash_duo, "c.previews") > seen["previews"], timeout=10,
                   message=f"a preview painted after move {k + 1}")
        seen["previews"] = lab(dash_duo, "c.previews")
        seen["paths"].add(all_xy_heads(dash_duo, 30))
        assert search(dash_duo) == before_url  # nothing committed while the hand moves

    drag(dash_duo, thumb, toward_middle(thumb, 30), moves=8, during=during)
    # every run's path followed the hand (the surface under them moved); the press itself
    # may preview the value in use first
    moved = [p for p in seen["paths"] if all(p[i] != before_paths[i] for i in range(2))]
    assert len(moved) >= 3, seen["paths"]
    wait_until(lambda: current_state(dash_duo)["surface"]["params"][name] != before_value,
               message="the commit on release")
    wait_until(lambda: committed(dash_duo), message="the state to settle")
    assert same_element(dash_duo, thumb, dash_duo.find_element(thumb_of(ids.sparam(name))))
    assert is_focused(dash_duo, thumb)
    # the contour follows on release: the full grid for the committed value
    value = current_state(dash_duo)["surface"]["params"][name]
    wait_until(lambda: lab(dash_duo, f"c.surface.params[{name!r}]") == pytest.approx(value)
               and lab(dash_duo, "c.surface.contour.x.length") == engine.GRID_N, message="the full contour")
    assert js(dash_duo, "return window.descentLab.surfaceRaw !== window.__contour;")
    wait_until(lambda: lab(dash_duo, "document.querySelector('#main-graph .js-plotly-plot')._fullData[0].z.length")
               == engine.GRID_N, message="the contour drawn")
    for i in range(2):
        assert_path_is_the_servers(dash_duo, i)
    # the keyboard keeps the same thumb focused through several steps
    for press in range(3):
        thumb.send_keys(Keys.ARROW_RIGHT)
        assert is_focused(dash_duo, thumb), f"focus lost after key {press + 1}"
    wait_until(lambda: current_state(dash_duo)["surface"]["params"][name] != value, message="the keyboard's value")
    wait_until(lambda: committed(dash_duo), message="the state to settle")
    assert same_element(dash_duo, thumb, dash_duo.find_element(thumb_of(ids.sparam(name))))
    assert is_focused(dash_duo, thumb)
    assert dash_duo.get_logs() == []


def test_race006_the_compared_panel_shows_the_same_runs_and_its_slider_moves_them_live(dash_duo, descent_app):
    start(dash_duo, descent_app, "?surface=valley(condition=20,angle=0)&run=gd(lr=0.5)&run=rmsprop(lr=0.1)"
                                 "&start=-8,2&steps=80&compare=angle=45")
    pause(dash_duo)
    assert current_state(dash_duo)["compare"] == {"angle": 45.0}
    wait_until(lambda: len(dash_duo.find_elements("#main-graph .cartesianlayer .subplot")) == 2, message="two panels")
    panels = lab(dash_duo, "c.paths.panels")
    assert [p["runs"] for p in panels] == [[0, 1], [0, 1]] and [p["twin"] for p in panels] == [False, True]
    drawn = lab(dash_duo, "c.panelRuns(document.querySelector('#main-graph .js-plotly-plot'))"
                          ".map(function (item) { return [item.panel, item.run.id]; })")
    assert sorted(map(tuple, drawn)) == [(0, 0), (0, 1), (1, 0), (1, 1)]  # every run in both panels
    for i in range(2):
        assert_path_is_the_servers(dash_duo, i)
        assert_path_is_the_servers(dash_duo, i, overrides={"angle": 45.0}, twin=True)
    main_paths = [run_xy(dash_duo, i) for i in range(2)]
    twin_before = all_xy_heads(dash_duo, 30, twin=True)
    before_url = search(dash_duo)
    thumb = dash_duo.find_element(thumb_of(ids.compare_param("value")))
    seen = {"previews": lab(dash_duo, "c.previews"), "twins": set()}

    def during(k):
        wait_until(lambda: lab(dash_duo, "c.previews") > seen["previews"], timeout=10,
                   message=f"a preview painted after move {k + 1}")
        seen["previews"] = lab(dash_duo, "c.previews")
        seen["twins"].add(all_xy_heads(dash_duo, 30, twin=True))
        assert [run_xy(dash_duo, i) for i in range(2)] == main_paths  # the first panel stays
        assert search(dash_duo) == before_url

    drag(dash_duo, thumb, toward_middle(thumb, 40), moves=8, during=during)
    # the press itself may preview the value in use first
    moved = [t for t in seen["twins"] if all(t[i] != twin_before[i] for i in range(2))]
    assert len(moved) >= 3, seen["twins"]
    wait_until(lambda: current_state(dash_duo)["compare"] != {"angle": 45.0}, message="the commit on release")
    wait_until(lambda: committed(dash_duo), message="the state to settle")
    compare = current_state(dash_duo)["compare"]
    for i in range(2):
        assert_path_is_the_servers(dash_duo, i, overrides=compare, twin=True)
    assert dash_duo.get_logs() == []


# ---------------------------------------------------------- schedules, optimizers


def test_race007_a_schedule_goes_into_the_link_changes_the_path_and_loads_from_a_link(dash_duo, descent_app):
    start(dash_duo, descent_app, "?surface=bowl&run=gd(lr=0.1)&run=adam(lr=0.1)&start=3,1.5&steps=100")
    pause(dash_duo)
    before = run_xy(dash_duo, 1)
    choose(dash_duo, ids.schedule(1), "cosine")
    wait_until(lambda: "~cosine(" in search(dash_duo), message="the schedule in the link")
    schedule = current_state(dash_duo)["runs"][1]["schedule"]
    assert schedule["kind"] == "cosine"
    assert current_state(dash_duo)["runs"][0]["schedule"] == {"kind": "constant"}
    wait_until(lambda: committed(dash_duo) and run_xy(dash_duo, 1) != before, message="the scheduled path")
    assert_path_is_the_servers(dash_duo, 1)
    label = optimizers.SCHEDULES["cosine"].label
    wait_until(lambda: label in lab(dash_duo, "c.runs[1].label"), message="the schedule in the legend")
    # its settings appear as controls
    for hp in optimizers.SCHEDULES["cosine"].params:
        wait_until(lambda: dash_duo.find_elements(thumb_of(ids.schedule_param(1, hp.name))), message=hp.name)

    # a link with a schedule opens with it
    link = ("?surface=bowl&run=gd(lr=0.1)&run=adam(lr=0.1)~step(step_size=20,gamma=0.5)&start=3,1.5&steps=100")
    reload(dash_duo, dash_duo.server_url + "/" + link)
    assert current_state(dash_duo)["runs"][1]["schedule"] == {"kind": "step", "step_size": 20.0, "gamma": 0.5}
    wait_until(lambda: dash_duo.find_element(css_id(ids.schedule_text(1, "step_size"))).get_attribute("value")
               == "20", message="the schedule's step size in its field")
    assert dash_duo.find_element(css_id(ids.schedule_text(1, "gamma"))).get_attribute("value") == "0.5"
    assert optimizers.SCHEDULES["step"].label in dash_duo.find_element(css_id(ids.schedule(1))).text
    assert_path_is_the_servers(dash_duo, 1)
    assert dash_duo.get_logs() == []


def test_race008_a_new_optimizer_starts_from_its_own_defaults(dash_duo, descent_app):
    surface = {"key": "valley", "params": {"condition": 20.0, "angle": 0.0}}
    gd_lr = default_hparams("gd", surface)["lr"]  # gradient descent's default on this surface
    start(dash_duo, descent_app, "?surface=valley(condition=20,angle=0)&run=adagrad(lr=0.5)"
                                 f"&run=gd(lr={gd_lr})&start=-8,2&steps=60")
    pause(dash_duo)
    assert current_state(dash_duo)["runs"][0]["hparams"]["eps"] == 1e-10  # Adagrad's own

    choose(dash_duo, ids.run_optimizer(0), "adam")
    wait_until(lambda: current_state(dash_duo)["runs"][0]["optimizer"] == "adam", message="Adam")
    assert current_state(dash_duo)["runs"][0]["hparams"]["eps"] == 1e-8  # Adam's, not Adagrad's 1e-10
    wait_until(lambda: dash_duo.find_element(css_id(ids.hparam_text(0, "eps"))).get_attribute("value") == "1e-8",
               message="Adam's eps in its field")
    assert dash_duo.find_elements(thumb_of(ids.hparam(0, "beta1")))  # Adam's own controls

    choose(dash_duo, ids.run_optimizer(1), "nesterov")
    wait_until(lambda: current_state(dash_duo)["runs"][1]["optimizer"] == "nesterov", message="Nesterov")
    nesterov_lr = default_hparams("nesterov", surface)["lr"]
    assert nesterov_lr != default_hparams("gd", surface)["lr"]
    assert current_state(dash_duo)["runs"][1]["hparams"]["lr"] == nesterov_lr  # its default, not gd's
    wait_until(lambda: committed(dash_duo), message="the state to settle")
    wait_until(lambda: lab(dash_duo, "c.runs[1].optimizer") == "nesterov", message="the new path")
    assert lab(dash_duo, "c.runs[1].status") != "diverged"
    assert_path_is_the_servers(dash_duo, 1)
    assert dash_duo.get_logs() == []


# --------------------------------------------------------------- number fields


def refusal(text, name, typed):
    """``text`` when it is the message refusing ``typed`` in the field ``name``, else ""."""
    return text if name in text and f"got {typed or 'nothing'}" in text else ""


def test_race009_number_fields_say_in_place_what_they_accept_and_show_the_value_in_use(dash_duo, descent_app):
    start(dash_duo, descent_app, "?surface=valley(condition=20,angle=0)&run=gd(lr=0.5)&start=-8,2&steps=60&seed=3")
    pause(dash_duo)
    (x0, x1), (y0, y1) = start_limits(current_state(dash_duo)["surface"])
    fields = [  # (field, what the message names, its range, typed values the spec accepts, state value)
        (ids.START_X, "Start x", f"{x0:g} to {x1:g}", {"0", "-5", "2.5"}, lambda s: s["start"][0]),
        (ids.START_Y, "Start y", f"{y0:g} to {y1:g}", {"0", "-5", "2.5"}, lambda s: s["start"][1]),
        (ids.STEPS, "Steps", f"{MIN_STEPS} to {MAX_STEPS:,}", set(), lambda s: s["steps"]),
        (ids.SEED, "Seed", f"0 to {MAX_SEED:,}", {"0", "99999"}, lambda s: s["seed"]),
    ]
    message = css_id(ids.FIELD_MESSAGE)
    for field, name, allowed, accepted, value_of in fields:
        for typed in ("0", "-5", "2.5", "99999", ""):
            in_use = value_of(current_state(dash_duo))
            type_into(dash_duo, css_id(field), typed)
            if typed in accepted:
                wait_until(lambda: value_of(current_state(dash_duo)) == float(typed), message=f"{name} = {typed}")
                wait_until(lambda: dash_duo.find_element(message).text == "", message="no message")
                continue
            said = wait_until(lambda: refusal(dash_duo.find_element(message).text, name, typed),
                              message=f"the message for {name} = {typed!r}")
            assert allowed in said, said
            wait_until(lambda: dash_duo.find_element(css_id(field)).get_attribute("value") not in ("", typed)
                       and float(dash_duo.find_element(css_id(field)).get_attribute("value")) == in_use,
                       message=f"{name} back to the value in use ({in_use})")
            assert value_of(current_state(dash_duo)) == in_use
    # the app still works: a good value clears the message
    type_into(dash_duo, css_id(ids.STEPS), "80")
    wait_until(lambda: current_state(dash_duo)["steps"] == 80, message="steps = 80")
    wait_until(lambda: dash_duo.find_element(message).text == "", message="the message cleared")
    wait_until(lambda: lab(dash_duo, "c.maxFrame") == 80, message="80 steps drawn")
    assert dash_duo.get_logs() == []


# ------------------------------------------------------------------------ runs


def test_race010_each_run_keeps_its_colour_and_marker_when_another_is_copied(dash_duo, descent_app):
    start(dash_duo, descent_app, "?surface=valley(condition=20,angle=0)&run=gd(lr=0.5)&run=momentum(lr=0.1)"
                                 "&run=adam(lr=0.3)&start=-8,2&steps=60")
    pause(dash_duo)
    look = "c.runs.map(function (r) { return [r.id, r.color, r.symbol]; })"
    before = {rid: (color, symbol) for rid, color, symbol in lab(dash_duo, look)}
    assert len(set(before.values())) == 3
    cards = {card.get_attribute("data-run"): card.value_of_css_property("--run-color").strip()
             for card in dash_duo.find_elements(".run-card")}
    dash_duo.find_element(css_id(ids.run_duplicate(0))).click()
    wait_until(lambda: lab(dash_duo, "c.runs.length") == 4, message="a copy of run 1")
    after = {rid: (color, symbol) for rid, color, symbol in lab(dash_duo, look)}
    for rid, look_before in before.items():
        assert after[rid] == look_before  # every run keeps its colour and marker
    (new_id,) = set(after) - set(before)
    assert after[new_id][0] not in {c for c, _ in before.values()}  # the copy gets a colour of its own
    assert [r["id"] for r in current_state(dash_duo)["runs"]] == [0, new_id, 1, 2]  # placed after its original
    assert current_state(dash_duo)["runs"][1]["hparams"] == current_state(dash_duo)["runs"][0]["hparams"]
    wait_until(lambda: len(dash_duo.find_elements(".run-card")) == 4, message="four cards")
    for card in dash_duo.find_elements(".run-card"):
        rid = card.get_attribute("data-run")
        if rid in cards:
            assert card.value_of_css_property("--run-color").strip() == cards[rid]
    # a shared link keeps the colours
    reload(dash_duo)
    assert {rid: (color, symbol) for rid, color, symbol in lab(dash_duo, look)} == after
    assert dash_duo.get_logs() == []


def test_race011_add_run_is_disabled_at_the_maximum(dash_duo, descent_app):
    links = "&".join(f"run=gd(lr={0.1 * (i + 1):.1f})" for i in range(MAX_RUNS - 1))
    start(dash_duo, descent_app, f"?surface=bowl&{links}&start=3,1.5&steps=40")
    add = dash_duo.find_element(css_id(ids.ADD_RUN))
    assert add.is_enabled()
    add.click()
    wait_until(lambda: lab(dash_duo, "c.runs.length") == MAX_RUNS, message=f"{MAX_RUNS} runs")
    wait_until(lambda: not dash_duo.find_element(css_id(ids.ADD_RUN)).is_enabled(), message="Add run disabled")
    assert len(current_state(dash_duo)["runs"]) == MAX_RUNS
    assert len(set(lab(dash_duo, "c.runs.map(function (r) { return r.color; })"))) == MAX_RUNS
    dash_duo.find_element(css_id(ids.run_remove(0))).click()
    wait_until(lambda: dash_duo.find_element(css_id(ids.ADD_RUN)).is_enabled(), message="Add run enabled again")
    assert len(current_state(dash_duo)["runs"]) == MAX_RUNS - 1
    assert dash_duo.get_logs() == []


def test_race012_add_remove_runs_and_side_by_side(dash_duo, descent_app):
    start(dash_duo, descent_app, "?surface=valley(condition=20,angle=0)&run=gd(lr=1.8)&run=momentum(lr=0.18)"
                                 "&run=adam(lr=0.3)&start=-8,2&steps=100")
    choose(dash_duo, ids.ADD_OPTIMIZER, "rmsprop")
    dash_duo.find_element(css_id(ids.ADD_RUN)).click()
    wait_until(lambda: len(dash_duo.find_elements(".run-card")) == 4, message="a fourth card")
    wait_until(lambda: lab(dash_duo, "c.runs.length") == 4, message="a fourth path")
    assert [r["optimizer"] for r in current_state(dash_duo)["runs"]] == ["gd", "momentum", "adam", "rmsprop"]
    dash_duo.find_element(css_id(ids.run_remove(0))).click()
    wait_until(lambda: [r["optimizer"] for r in current_state(dash_duo)["runs"]] == ["momentum", "adam", "rmsprop"],
               message="the first run removed")
    wait_until(lambda: len(dash_duo.find_elements(".run-card")) == 3, message="three cards")

    dash_duo.find_element(css_id(ids.VIEW) + " input[value=grid]").click()
    wait_until(lambda: current_state(dash_duo)["view"] == "grid", message="side by side")
    wait_until(lambda: len(dash_duo.find_elements("#main-graph .cartesianlayer .subplot")) == 3,
               message="one panel per run")
    # the surface in every panel (past two panels, as one image of its bands each)
    surfaces_drawn = lab(dash_duo, "document.querySelector('#main-graph .js-plotly-plot')._fullData.filter("
                                   "function (t) { return t.type === 'contour' || t.type === 'heatmap'; })"
                                   ".map(function (t) { return t.xaxis + t.yaxis; })")
    assert sorted(surfaces_drawn) == ["x2y2", "x3y3", "xy"]
    assert len(dash_duo.find_elements("#main-graph g.hm image")) == 3
    drawn = lab(dash_duo, "c.panelRuns(document.querySelector('#main-graph .js-plotly-plot'))"
                          ".map(function (item) { return [item.panel, item.run.id]; })")
    assert sorted(map(tuple, drawn)) == [(0, 1), (1, 2), (2, 3)]  # one run in each
    dash_duo.find_element(css_id(ids.VIEW) + " input[value=overlay]").click()
    wait_until(lambda: len(dash_duo.find_elements("#main-graph .cartesianlayer .subplot")) == 1, message="overlay")
    assert dash_duo.get_logs() == []


# ---------------------------------------------------------- start and player


def test_race013_a_click_on_the_contour_starts_every_run_there(dash_duo, descent_app):
    start(dash_duo, descent_app, "?surface=valley(condition=20,angle=0)&run=gd(lr=1.8)&run=adam(lr=0.3)"
                                 "&start=-8,2&steps=100")
    pause(dash_duo)
    target = (3.3, -4.7)  # between grid nodes of the contour
    click_data_point(dash_duo, main_graph(dash_duo), *target)
    wait_until(lambda: current_state(dash_duo)["start"] != [-8.0, 2.0], message="the start to move")
    x, y = current_state(dash_duo)["start"]
    span = lab(dash_duo, "document.querySelector('#main-graph .js-plotly-plot')._fullLayout.xaxis.range[1]"
                         " - document.querySelector('#main-graph .js-plotly-plot')._fullLayout.xaxis.range[0]")
    pixel = span / lab(dash_duo, "document.querySelector('#main-graph .js-plotly-plot')._fullLayout.xaxis._length")
    assert abs(x - target[0]) < 1.5 * pixel and abs(y - target[1]) < 1.5 * pixel  # where the pointer was
    grid = lab(dash_duo, "Array.from(c.surface.contour.x)")
    assert min(abs(x - g) for g in grid) > 1e-6  # not snapped to a grid node
    wait_until(lambda: float(dash_duo.find_element(css_id(ids.START_X)).get_attribute("value")) == pytest.approx(x),
               message="the start field")
    wait_until(lambda: all(abs(v - x) < 1e-5 for v in lab(dash_duo, "c.runs.map(function (r) { return r.x[0]; })")),
               message="every path from the click")
    assert lab(dash_duo, "c.runs.map(function (r) { return r.y[0]; })") == pytest.approx([y, y], abs=1e-5)
    assert dash_duo.get_logs() == []


def rafs(dash_duo, n):
    """The frame after ``n`` animation frames of the page (the player's own clock)."""
    return dash_duo.driver.execute_async_script("""
        var done = arguments[arguments.length - 1], left = arguments[0];
        function tick() { if (--left <= 0) { done(window.descentLab.frame); } else { requestAnimationFrame(tick); } }
        requestAnimationFrame(tick);""", n)


def test_race014_play_pause_step_and_scrub(dash_duo, descent_app):
    start(dash_duo, descent_app, "?surface=valley(condition=20,angle=0)&run=gd(lr=1.8)&run=adam(lr=0.3)"
                                 "&start=-8,2&steps=100")
    dash_duo.find_element(css_id(ids.RESET)).click()
    assert lab(dash_duo, "c.frame") == 0 and lab(dash_duo, "c.playing") is False
    dash_duo.find_element(css_id(ids.PLAY)).click()
    wait_until(lambda: lab(dash_duo, "c.frame") >= 20, message="frames to advance")
    dash_duo.find_element(css_id(ids.PLAY)).click()  # pause
    assert lab(dash_duo, "c.playing") is False
    frame = lab(dash_duo, "c.frame")
    assert rafs(dash_duo, 10) == frame  # paused means paused
    dash_duo.find_element(css_id(ids.STEP_BACK)).click()
    assert lab(dash_duo, "c.frame") == frame - 1
    dash_duo.find_element(css_id(ids.STEP_BACK)).click()
    assert lab(dash_duo, "c.frame") == frame - 2
    dash_duo.find_element(css_id(ids.STEP_FWD)).click()
    assert lab(dash_duo, "c.frame") == frame - 1
    assert dash_duo.find_element(css_id(ids.FRAME_LABEL)).text.startswith(f"step {frame - 1} /")
    assert painted_pixels(dash_duo, ids.MAIN_GRAPH) > 100  # the frame is drawn
    # the scrubber seeks, and the paused frame reaches the address
    js(dash_duo, """var s = document.querySelector('#scrub input'); s.value = '7';
        s.dispatchEvent(new Event('input', {bubbles: true})); s.dispatchEvent(new Event('change', {bubbles: true}));""")
    assert lab(dash_duo, "c.frame") == 7
    wait_until(lambda: current_state(dash_duo)["frame"] == 7, message="the frame in the address")
    assert dash_duo.get_logs() == []


def test_race015_keys_drive_the_player(dash_duo, descent_app):
    start(dash_duo, descent_app, "?surface=valley(condition=20,angle=0)&run=gd(lr=1.8)&run=adam(lr=0.3)"
                                 "&start=-8,2&steps=100")
    pause(dash_duo)
    js(dash_duo, "window.descentLab.seek(50); document.activeElement.blur();")
    body = dash_duo.find_element("body")
    body.send_keys(Keys.ARROW_LEFT)
    assert lab(dash_duo, "c.frame") == 49
    body.send_keys(Keys.SHIFT, Keys.ARROW_RIGHT)
    assert lab(dash_duo, "c.frame") == 59
    body.send_keys(Keys.HOME)
    assert lab(dash_duo, "c.frame") == 0
    body.send_keys(Keys.END)
    assert lab(dash_duo, "c.frame") == lab(dash_duo, "c.maxFrame") == 100
    body.send_keys(Keys.HOME, Keys.SPACE)
    wait_until(lambda: lab(dash_duo, "c.frame") > 3, message="Space to play")
    body.send_keys(Keys.SPACE)
    assert lab(dash_duo, "c.playing") is False
    assert dash_duo.get_logs() == []


# --------------------------------------------------------------------- lessons


def lesson_with_most_charts():
    """(key, state, charts) of the lesson that shows the most instrument charts."""

    best = None
    for key in lessons.LESSON_KEYS:
        state, errors = teach.lesson_state(key)
        assert errors == [], (key, errors)
        charts = [name for name in state["show"] if name in registry.CHARTS]
        if charts and (best is None or len(charts) > len(best[2])):
            best = (key, state, charts)
    assert best is not None, "no lesson shows an instrument chart"
    return best


def chart_shown(dash_duo, name):
    return js(dash_duo, "var b = document.getElementById(arguments[0]); return !!b && b.style.display === 'block'"
                        " && b.offsetHeight > 50;", ids.box(ids.chart(name)))


def test_race016_a_lesson_link_loads_its_set_up_pauses_at_its_stop_and_can_be_restored(dash_duo, descent_app):
    key, expected, charts = lesson_with_most_charts()
    lesson = lessons.get(key)
    start(dash_duo, descent_app, f"?lesson={key}")
    Select(dash_duo.find_element(css_id(ids.SPEED))).select_by_value("10")  # a shorter wait for the stop
    state = current_state(dash_duo)
    for part in ("surface", "runs", "start", "steps", "seed", "noise", "show", "compare", "box", "lesson"):
        assert state[part] == expected[part], part
    for name in charts:  # the instruments it talks about are on
        wait_until(lambda: chart_shown(dash_duo, name), message=f"the {name} chart")
    window = surface.window(expected)  # its window
    assert lab(dash_duo, "document.querySelector('#main-graph .js-plotly-plot')._fullLayout.xaxis.range") == \
        pytest.approx(window[0])
    assert lab(dash_duo, "document.querySelector('#main-graph .js-plotly-plot')._fullLayout.yaxis.range") == \
        pytest.approx(window[1])
    banner = dash_duo.find_element(css_id(ids.LESSON))
    assert lesson.title in banner.text and lesson.answer in banner.text
    # the animation plays and pauses where the lesson makes its point
    stop = teach.stop_frame(expected)
    stop = expected["steps"] if stop is None else stop
    wait_until(lambda: lab(dash_duo, "c.playing") is False and lab(dash_duo, "c.frame") == stop, timeout=30,
               message=f"the pause at step {stop}")
    wait_until(lambda: current_state(dash_duo)["frame"] == stop, message="the stop frame in the address")
    # a changed set-up: the banner says so and offers the way back
    thumb = dash_duo.find_element(thumb_of(ids.hparam(expected["runs"][0]["id"], "lr")))
    js(dash_duo, "arguments[0].focus();", thumb)
    thumb.send_keys(Keys.ARROW_RIGHT)
    wait_until(lambda: current_state(dash_duo)["runs"] != expected["runs"], message="a changed run")
    stale = wait_until(lambda: dash_duo.find_element(css_id(ids.LESSON) + " .lesson-card.stale"),
                       message="the banner to say the lesson no longer applies")
    assert "no longer" in stale.text and lesson.answer not in stale.text
    dash_duo.find_element(css_id(ids.lesson_act("restore"))).click()
    wait_until(lambda: current_state(dash_duo)["runs"] == expected["runs"], message="the lesson restored")
    state = current_state(dash_duo)
    for part in ("surface", "runs", "start", "steps", "show", "box", "lesson"):
        assert state[part] == expected[part], part
    wait_until(lambda: lesson.answer in dash_duo.find_element(css_id(ids.LESSON)).text, message="its text again")
    assert not dash_duo.find_elements(css_id(ids.LESSON) + " .lesson-card.stale")
    assert dash_duo.get_logs() == []


def test_race017_the_lesson_list_loads_a_lesson_and_its_banner_closes(dash_duo, descent_app):
    start(dash_duo, descent_app, "?surface=bowl&run=gd(lr=0.1)&start=3,1.5&steps=50")
    assert dash_duo.find_element(css_id(ids.LESSON)).text == ""
    key = lessons.LESSON_KEYS[-1]
    expected, _ = teach.lesson_state(key)
    dash_duo.find_element(css_id(ids.lesson_pick(key))).click()
    wait_until(lambda: current_state(dash_duo)["lesson"] == key, message="the lesson")
    assert current_state(dash_duo)["runs"] == expected["runs"]
    assert current_state(dash_duo)["surface"] == expected["surface"]
    wait_until(lambda: len(dash_duo.find_elements(".run-card")) == len(expected["runs"]), message="its run cards")
    wait_until(lambda: lessons.get(key).title in dash_duo.find_element(css_id(ids.LESSON)).text,
               message="its banner")
    dash_duo.find_element(css_id(ids.lesson_act("close"))).click()
    wait_until(lambda: dash_duo.find_element(css_id(ids.LESSON)).text == "", message="the banner closed")
    assert current_state(dash_duo)["lesson"] is None
    assert current_state(dash_duo)["runs"] == expected["runs"]  # the set-up stays
    assert dash_duo.get_logs() == []


# ------------------------------------------------------------------ one screen


def inside(box, width, height, slack=1.0):
    return (box["left"] >= -slack and box["top"] >= -slack and box["right"] <= width + slack
            and box["bottom"] <= height + slack and box["width"] > 0 and box["height"] > 0)


def test_race018_a_lesson_fits_one_screen_and_a_phone_keeps_the_plot_beside_the_controls(dash_duo, descent_app):
    key, _, charts = lesson_with_most_charts()
    start(dash_duo, descent_app)
    for width, height in ((1440, 900), (1024, 768)):
        set_viewport(dash_duo, width, height)
        reload(dash_duo, f"{dash_duo.server_url}/?lesson={key}")
        for name in charts:
            wait_until(lambda: chart_shown(dash_duo, name), message=f"the {name} chart at {width}x{height}")
        assert js(dash_duo, "return window.scrollY;") == 0
        parts = {"contour": css_id(ids.MAIN_GRAPH), "player": ".player"}
        parts.update({name: css_id(ids.box(ids.chart(name))) for name in charts})
        parts.update({box.get_attribute("id"): css_id(box.get_attribute("id"))
                      for box in dash_duo.find_elements(".chart-col .chart-box") if box.is_displayed()})
        for what, selector in parts.items():
            box = rect(dash_duo, selector)
            assert inside(box, width, height), f"{what} at {width}x{height}: {box}"
        if width < 1200:  # the controls are a closed drawer that does not cover the plot
            assert rect(dash_duo, css_id(ids.SIDEBAR))["right"] <= 0
    # a phone: the controls open in a bottom sheet and the plot stays in view above it
    set_viewport(dash_duo, 390, 844)
    reload(dash_duo, f"{dash_duo.server_url}/?lesson={key}")
    dash_duo.find_element(css_id(ids.SIDEBAR_TOGGLE)).click()
    wait_until(lambda: "sidebar-open" in dash_duo.find_element(".app").get_attribute("class"), message="the drawer")
    wait_until(lambda: inside(rect(dash_duo, css_id(ids.SIDEBAR)), 390, 844), message="the sheet in view")
    top_bar = rect(dash_duo, ".topbar")["bottom"]

    def plot_above_sheet():
        graph, sheet = rect(dash_duo, css_id(ids.MAIN_GRAPH)), rect(dash_duo, css_id(ids.SIDEBAR))
        return graph["top"] >= top_bar - 1 and graph["bottom"] <= sheet["top"] + 1 and graph["height"] >= 180

    wait_until(plot_above_sheet, message="the plot between the top bar and the sheet")
    thumb = dash_duo.find_element(css_id(ids.SIDEBAR) + " " + thumb_of(ids.hparam(0, "lr")))
    js(dash_duo, "arguments[0].scrollIntoView({block: 'nearest'});", thumb)
    assert inside(rect(dash_duo, thumb), 390, 844)  # the run's controls are in the sheet
    assert plot_above_sheet()
    assert dash_duo.get_logs() == []


def test_race019_after_a_map_click_the_race_is_back_in_view(dash_duo, descent_app):
    start(dash_duo, descent_app, "?surface=bowl&run=gd(lr=0.05)&run=momentum(lr=0.05)&start=3,1.5&steps=100")
    pause(dash_duo)
    summary = dash_duo.find_element(css_id(ids.HMAP) + " > summary")
    js(dash_duo, "arguments[0].scrollIntoView({block: 'start'});", summary)
    summary.click()
    type_into(dash_duo, css_id(ids.HMAP_N), "8")
    dash_duo.find_element(css_id(ids.HMAP_COMPUTE)).click()
    wait_until(lambda: "8 × 8" in dash_duo.find_element(css_id(ids.HMAP_NOTE)).text, message="the map")
    gd = dash_duo.find_element(css_id(ids.HMAP_GRAPH) + " .js-plotly-plot")
    js(dash_duo, "arguments[0].scrollIntoView({block: 'center'});", gd)
    height = js(dash_duo, "return window.innerHeight;")
    assert rect(dash_duo, css_id(ids.MAIN_GRAPH))["bottom"] < 0  # the race is out of view
    lr, momentum = js(dash_duo, "var t = arguments[0]._fullData[2]; return [t.x[3], t.y[5]];", gd)
    click_data_point(dash_duo, gd, lr, momentum)
    wait_until(lambda: current_state(dash_duo)["runs"][1]["hparams"]["lr"] == pytest.approx(lr, rel=1e-12),
               message="the cell's setting")
    wait_until(lambda: inside(rect(dash_duo, css_id(ids.MAIN_GRAPH)), 10_000, height), message="the race in view")
    assert dash_duo.get_logs() == []


# --------------------------------------------------------------------- exports


PNG_ANALYSIS = """
    var done = arguments[arguments.length - 1], b64 = arguments[0], colors = arguments[1], mainW = arguments[2];
    var img = new Image();
    img.onload = function () {
      var W = img.width, H = img.height, cv = document.createElement('canvas');
      cv.width = W; cv.height = H;
      var ctx = cv.getContext('2d'); ctx.drawImage(img, 0, 0);
      var d = ctx.getImageData(0, 0, W, H).data;
      var rgb = colors.map(function (c) { return [1, 3, 5].map(function (i) { return parseInt(c.slice(i, i + 2), 16); }); });
      var isRun = function (p) { for (var k = 0; k < rgb.length; k++) {
          if (Math.abs(d[p] - rgb[k][0]) < 30 && Math.abs(d[p + 1] - rgb[k][1]) < 30 && Math.abs(d[p + 2] - rgb[k][2]) < 30) { return k; } }
        return -1; };
      // the legend: the first row with a run-coloured marker at the left edge
      var legendTop = -1;
      for (var y = 0; y < H && legendTop < 0; y++) {
        for (var x = 0; x < 80; x++) { if (isRun(4 * (y * W + x)) >= 0) { legendTop = y; break; } }
      }
      var inkAbove = 0;
      for (var y2 = 0; y2 < legendTop; y2++) {
        for (var x2 = 0; x2 < W; x2++) { var p = 4 * (y2 * W + x2); if (d[p] < 110 && d[p + 1] < 110 && d[p + 2] < 110) { inkAbove++; } }
      }
      // the chart column: rows with something drawn, and each run's colour in its curves
      var chartRows = 0, perRun = colors.map(function () { return 0; }), x0 = 2 * mainW + 8;
      for (var y3 = 0; y3 < H; y3++) {
        var any = false;
        for (var x3 = x0; x3 < W; x3++) {
          var q = 4 * (y3 * W + x3);
          if (d[q] + d[q + 1] + d[q + 2] < 735) { any = true; }
          var k = isRun(q); if (k >= 0) { perRun[k]++; }
        }
        if (any) { chartRows++; }
      }
      done({W: W, H: H, legendTop: legendTop, inkAbove: inkAbove, chartRows: chartRows, perRun: perRun});
    };
    img.onerror = function () { done(null); };
    img.src = 'data:image/png;base64,' + b64;
"""


def test_race020_the_png_holds_the_lesson_text_the_plot_and_the_charts(dash_duo, descent_app):
    key, expected, charts = lesson_with_most_charts()
    start(dash_duo, descent_app, f"?lesson={key}")
    for name in charts:
        wait_until(lambda: chart_shown(dash_duo, name), message=f"the {name} chart")
    pause(dash_duo)
    wait_until(lambda: lab(dash_duo, "c.frames") > 0, message="a drawn frame")
    dash_duo.find_element(css_id(ids.PNG)).click()
    name = f"descent-lab-{expected['surface']['key']}-{'-'.join(r['optimizer'] for r in expected['runs'][:4])}.png"
    path = os.path.join(dash_duo.download_path, name)
    wait_until(lambda: os.path.exists(path) and os.path.getsize(path) > 20_000, message=f"the download {name}")
    with open(path, "rb") as handle:
        data = handle.read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    main_w = lab(dash_duo, "document.querySelector('#main-graph .js-plotly-plot').clientWidth")
    main_h = lab(dash_duo, "document.querySelector('#main-graph .js-plotly-plot').clientHeight")
    boxes = js(dash_duo, "return Array.from(document.querySelectorAll('.chart-col .chart-box')).filter("
                         "function (b) { return b.offsetParent !== null; }).map(function (b) {"
                         "return [b.clientWidth, b.clientHeight]; });")
    colors = lab(dash_duo, "c.runs.map(function (r) { return r.color; })")
    found = dash_duo.driver.execute_async_script(PNG_ANALYSIS, base64.b64encode(data).decode(), colors, main_w)
    assert found is not None
    assert found["W"] > 2 * main_w  # at 2x, with the charts beside the plot
    assert found["H"] >= 2 * main_h
    # above the legend: the lesson's text
    assert found["legendTop"] > 0 and found["inkAbove"] > 500, found
    # the charts' column is drawn over the height of every visible chart (scaled to its width)
    column = found["W"] / 2 - main_w
    charts_h = sum(h * column / w for w, h in boxes)
    assert found["chartRows"] >= 0.6 * 2 * charts_h, (found, charts_h)
    assert found["H"] >= 2 * charts_h
    assert all(n > 50 for n in found["perRun"]), found  # every run's curves are in the charts
    assert dash_duo.get_logs() == []


def test_race021_csv_names_the_set_up_and_has_one_row_per_step_per_run(dash_duo, descent_app):
    start(dash_duo, descent_app, "?surface=bowl&run=gd(lr=0.5)&run=adam(lr=0.3)&start=3,1.5&steps=60&seed=4")
    dash_duo.find_element(css_id(ids.CSV)).click()
    path = os.path.join(dash_duo.download_path, "descent-lab-bowl-gd-adam.csv")
    wait_until(lambda: os.path.exists(path) and os.path.getsize(path) > 0, message="the CSV named after the set-up")
    with open(path) as handle:
        comments = [line for line in handle.read().splitlines() if line.startswith("#")]
    head = comments[0]
    assert surfaces.REGISTRY["bowl"].label in head and "start (3, 1.5)" in head and "60 steps" in head \
        and "seed 4" in head
    assert any(line.startswith("# run 1:") and "'lr': 0.5" in line for line in comments)
    assert any(line.startswith("# run 2:") and "'lr': 0.3" in line for line in comments)
    assert any(line.startswith("# link: ?surface=bowl") for line in comments)
    frame = pd.read_csv(path, comment="#")
    lengths = lab(dash_duo, "c.runs.map(function (r) { return r.n; })")
    assert frame.groupby("run").size().tolist() == lengths
    assert frame["optimizer"].unique().tolist() == ["gd", "adam"]
    assert {"x", "y", "loss", "m_x", "v_y"} <= set(frame.columns)
    first = frame[frame["run"] == 2]
    x, _ = run_xy(dash_duo, 1)
    assert np.allclose(first["x"].to_numpy(), x, rtol=1e-6, atol=1e-6)  # the rows are the paths shown
    assert dash_duo.get_logs() == []


# --------------------------------------------------------------------- surfaces


def test_race022_a_refused_typed_function_is_marked_at_its_text_box_with_the_reason(dash_duo, descent_app):
    start(dash_duo, descent_app, "?surface=custom(xmin=-4,xmax=4,ymin=-3,ymax=3)&f=x**2%20%2B%203*y**2"
                                 "&run=gd(lr=0.05)&steps=40")
    pause(dash_duo)
    field = css_id(ids.sparam_text("expression"))
    box = dash_duo.find_element(field).find_element("xpath", "./ancestor-or-self::*[contains(@class,"
                                                             " 'text-input')]")
    danger = "rgba(180, 35, 24, 1)"  # the page's colour for what was refused
    assert box.value_of_css_property("border-top-color") != danger
    js(dash_duo, "window.__c = window.descentLab.surfaceRaw;")
    type_into(dash_duo, field, "__import__('os')")
    message = css_id(ids.SURFACE_MESSAGE)
    said = wait_until(lambda: dash_duo.find_element(message).text, message="the reason")
    assert "__import__" in said and "not allowed" in said
    wait_until(lambda: box.value_of_css_property("border-top-color") == danger, message="the text box marked")
    text_box, reason = rect(dash_duo, field), rect(dash_duo, message)
    assert 0 <= reason["top"] - text_box["bottom"] < 200  # right under it, in the surface panel
    assert reason["left"] < text_box["right"] and text_box["left"] < reason["right"]
    assert current_state(dash_duo)["surface"]["params"]["expression"] == "x**2 + 3*y**2"  # nothing changed
    assert js(dash_duo, "return window.descentLab.surfaceRaw === window.__c;")
    # a good function clears the mark and draws its contour
    type_into(dash_duo, field, "sin(x)*cos(y) + 0.1*(x**2 + y**2)")
    wait_until(lambda: current_state(dash_duo)["surface"]["params"]["expression"] ==
               "sin(x)*cos(y) + 0.1*(x**2 + y**2)", message="the new function",
               context=lambda: {"field": dash_duo.find_element(field).get_attribute("value"),
                                "state": current_state(dash_duo)["surface"]["params"]["expression"],
                                "said": dash_duo.find_element(message).text})
    wait_until(lambda: dash_duo.find_element(message).text == "", message="the reason cleared")
    wait_until(lambda: box.value_of_css_property("border-top-color") != danger, message="the mark cleared")
    wait_until(lambda: js(dash_duo, "return window.descentLab.surfaceRaw !== window.__c;"), message="a new contour")
    assert dash_duo.get_logs() == []


def test_race023_a_surface_switch_brings_its_sliders_fits_its_axes_and_says_what_changed(dash_duo, descent_app):
    start(dash_duo, descent_app, "?surface=valley(condition=20,angle=0)&run=gd(lr=1.8)&run=adam(lr=0.3)"
                                 "&start=-8,2&steps=60")
    pause(dash_duo)
    old = current_state(dash_duo)
    choose(dash_duo, ids.SURFACE_KEY, "rosenbrock")
    wait_until(lambda: current_state(dash_duo)["surface"]["key"] == "rosenbrock", message="Rosenbrock")
    new = current_state(dash_duo)
    rosenbrock = surfaces.get("rosenbrock")
    assert new["start"] == [float(c) for c in rosenbrock.start]
    # its own sliders, named after its parameters
    names = [f"{hp.label} (surface)" for hp in surface_params("rosenbrock")]
    assert len(names) == 2
    wait_until(lambda: [t.get_attribute("aria-label") for t in dash_duo.find_elements(
        css_id(ids.SURFACE_PARAMS) + " [role=slider]")] == names, message="the a and b sliders")
    for hp in surface_params("rosenbrock"):
        assert dash_duo.find_elements(thumb_of(ids.sparam(hp.name)))
    # the axes fit the new surface and the contour fills them
    wait_until(lambda: lab(dash_duo, "c.surface.key") == "rosenbrock", message="the new contour")
    (x0, x1), (y0, y1) = rosenbrock.bounds
    layout = "document.querySelector('#main-graph .js-plotly-plot')._fullLayout"
    wait_until(lambda: lab(dash_duo, f"{layout}.xaxis.range") == pytest.approx([x0, x1]), message="x axis")
    assert lab(dash_duo, f"{layout}.yaxis.range") == pytest.approx([y0, y1])
    xs = lab(dash_duo, "[c.surface.contour.x[0], c.surface.contour.x[c.surface.contour.x.length - 1],"
                       " c.surface.contour.y[0], c.surface.contour.y[c.surface.contour.y.length - 1]]")
    assert xs == pytest.approx([x0, x1, y0, y1])
    # a notice says what changed besides the surface
    notice = flow.surface_notice(old, new)
    assert rosenbrock.label in notice and f"({theme.fmt_value(new['start'][0])}, " in notice
    wait_until(lambda: notice in alert_text(dash_duo), message="the notice")
    for before, after in zip(old["runs"], new["runs"]):
        if before["hparams"]["lr"] != after["hparams"]["lr"]:
            assert f"{theme.fmt_value(before['hparams']['lr'])} → {theme.fmt_value(after['hparams']['lr'])}" in notice
    # a run's slider then redraws the paths without resending the contour
    js(dash_duo, "window.__contour = window.descentLab.surfaceRaw; window.__renders = window.descentLab.renders;")
    thumb = dash_duo.find_element(thumb_of(ids.hparam(0, "lr")))
    js(dash_duo, "arguments[0].focus();", thumb)
    thumb.send_keys(Keys.ARROW_LEFT)
    wait_until(lambda: js(dash_duo, "return window.descentLab.renders > window.__renders;"), message="new paths")
    assert js(dash_duo, "return window.descentLab.surfaceRaw === window.__contour;")
    assert dash_duo.get_logs() == []


# ------------------------------------------------------------------ the numbers


def test_race024_browser_and_server_agree_on_paths_distances_labels_and_statuses(dash_duo, descent_app):
    start(dash_duo, descent_app, "?surface=himmelblau&run=gd(lr=0.01)&run=adam(lr=0.05)&run=gd(lr=0.2)"
                                 "&start=0.2,-0.5&steps=80")
    pause(dash_duo)
    state = page_state(dash_duo)
    surface = make_surface(state["surface"])
    legend = dash_duo.find_element(css_id(ids.LEGEND)).text
    for i, run in enumerate(state["runs"]):
        traj = engine.trajectory(state, i)
        assert_path_is_the_servers(dash_duo, i)
        dist = np.array(lab(dash_duo, f"Array.from(c.runs[{i}].dist)"))
        assert np.allclose(dist, np.maximum(nearest_distance(traj.xy, surface.minimizers), runs.GAP_FLOOR),
                           rtol=1e-4, atol=1e-6)
        loss = np.array(lab(dash_duo, f"Array.from(c.runs[{i}].loss)"))
        assert np.allclose(loss, runs.loss_series(traj.loss, surface.min_value), rtol=1e-4, atol=1e-30)
        label = lab(dash_duo, f"c.runs[{i}].label")
        assert label == run_label(run) and label in legend
        status = runs.status_text(traj, surface, state["steps"])
        wait_until(lambda: dash_duo.find_element(css_id(ids.run_status(run["id"]))).text == status,
                   message=f"run {i + 1}'s status")
    assert lab(dash_duo, "c.runs[1].label") == "Adam lr=0.05 β1=0.9"
    # a run that blows up ends cleanly, says where, and its path stops there
    assert lab(dash_duo, "c.runs[2].status") == "diverged"
    assert dash_duo.find_element(css_id(ids.run_status(2))).text.startswith("diverged at step")
    assert lab(dash_duo, "c.runs[2].n") < state["steps"] + 1
    # a lesson's live number is written as the lesson's own text writes its numbers
    values = [0.0, 3.2e-7, -4.56e-5, 1.234e-4, 0.0021, 0.4, 1.0, 5.19, 170.0, 999.6, 1234.0, 8.5e6, float("nan")]
    finite = json.dumps([v if math.isfinite(v) else None for v in values])
    for fmt, spec in teach.FORMATS.items():
        shown = lab(dash_duo, f"{finite}.map(function (v) {{ return c.liveText(v === null ? NaN : v, "
                              f"{json.dumps(spec)}); }})")
        assert shown == [fmt(v) for v in values], (spec, shown)
    assert dash_duo.get_logs() == []


def test_race025_the_link_round_trips_the_whole_state(dash_duo, descent_app):
    wanted = {
        "surface": {"key": "rosenbrock", "params": {"a": 1.5, "b": 50.0}},
        "runs": [{"id": 0, "optimizer": "adam", "hparams": {"lr": 0.05, "beta1": 0.8}},
                 {"id": 3, "optimizer": "rmsprop", "hparams": {"lr": 0.01, "centered": True},
                  "schedule": {"kind": "exponential", "gamma": 0.99}}],
        "start": [-1.5, 2.25], "steps": 123, "seed": 7, "frame": 40, "view": "grid", "show": ["angle"],
    }
    state, errors = validate_state(wanted)
    assert errors == []
    start(dash_duo, descent_app, encode_url(state))
    assert current_state(dash_duo) == state
    assert lab(dash_duo, "c.frame") == 40 and lab(dash_duo, "c.playing") is False
    assert dash_duo.find_element(css_id(ids.STEPS)).get_attribute("value") == "123"
    wait_until(lambda: dash_duo.find_element(css_id(ids.hparam_text(0, "beta1"))).get_attribute("value") == "0.8",
               message="beta1 in its field")
    assert len(dash_duo.find_elements("#main-graph .cartesianlayer .subplot")) == 2  # side by side
    type_into(dash_duo, css_id(ids.SEED), "9")
    wait_until(lambda: current_state(dash_duo)["seed"] == 9, message="the seed in the address")
    url = dash_duo.driver.current_url
    reload(dash_duo, url)  # whoever opens the link sees the same set-up
    state["seed"] = 9
    wait_until(lambda: current_state(dash_duo) == state, message="the same state after reload")
    assert dash_duo.driver.current_url == url
    assert dash_duo.get_logs() == []


def test_race026_bad_values_in_a_link_get_a_message_and_the_app_keeps_working(dash_duo, descent_app):
    start(dash_duo, descent_app, "?run=evil(x=1)&run=adam(lr=1e9)&steps=99999999")
    alert = wait_until(lambda: alert_text(dash_duo), message="an alert")
    assert "unknown optimizer" in alert and "Steps" in alert and "learning rate" in alert
    type_into(dash_duo, css_id(ids.STEPS), "50000")
    wait_until(lambda: "10,000" in dash_duo.find_element(css_id(ids.FIELD_MESSAGE)).text, message="the steps message")
    key = lessons.LESSON_KEYS[0]
    dash_duo.find_element(css_id(ids.lesson_pick(key))).click()  # still working
    wait_until(lambda: current_state(dash_duo)["lesson"] == key, message="a lesson")
    wait_until(lambda: dash_duo.find_elements(css_id(ids.ALERT_CLOSE)), message="the alert's button")
    dash_duo.find_element(css_id(ids.ALERT_CLOSE)).click()
    wait_until(lambda: alert_text(dash_duo) == "", message="dismissed")
    assert dash_duo.get_logs() == []


def test_race027_the_pointer_reads_a_path_point(dash_duo, descent_app):
    start(dash_duo, descent_app, "?surface=valley(condition=20,angle=0)&run=gd(lr=1.8)&start=-8,2&steps=40&frame=40")
    gd = main_graph(dash_duo)
    wait_until(lambda: committed(dash_duo), message="the state to settle")

    def hover_step_5():
        # measured again on each try: the page may still be settling its layout (banner,
        # window), which moves the point under a pointer placed from an older measure
        offset = js(dash_duo, """
            var gd = arguments[0], xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis, r = window.descentLab.runs[0];
            return [xa._offset + xa.c2p(r.x[5]) - gd.clientWidth / 2,
                    ya._offset + ya.c2p(r.y[5]) - gd.clientHeight / 2];""", gd)
        ActionChains(dash_duo.driver).move_to_element(gd).move_by_offset(round(offset[0]), round(offset[1])).perform()
        tips = dash_duo.find_elements("#main-graph .hover-tip")
        text = tips[0].text if tips else ""
        return text if "Gradient descent" in text else None

    tip = wait_until(hover_step_5, message="the readout of the path point")
    x, y = run_xy(dash_duo, 0)
    assert "Gradient descent lr=1.8" in tip and "step 5" in tip
    assert f"({theme.fmt_value(x[5])}, {theme.fmt_value(y[5])})" in tip
    assert dash_duo.get_logs() == []


def test_race028_changes_to_two_controls_within_one_round_trip_both_take_effect(dash_duo, descent_app):
    start(dash_duo, descent_app, VALLEY_GD_ADAM)
    pause(dash_duo)
    thumbs = [dash_duo.find_element(thumb_of(ids.hparam(i, "lr"))) for i in range(2)]
    positions = [float(t.get_attribute("aria-valuenow")) for t in thumbs]
    # one key on each run's slider in the same task: the second change is made before the
    # server has answered the first (each action is applied to the state the page holds)
    js(dash_duo, """Array.prototype.forEach.call(arguments, function (thumb) {
          thumb.focus();
          thumb.dispatchEvent(new KeyboardEvent('keydown', {key: 'ArrowLeft', bubbles: true}));
        });""", *thumbs)
    wait_until(lambda: all(float(t.get_attribute("aria-valuenow")) < p for t, p in zip(thumbs, positions)),
               message="both thumbs moved")
    wanted = [widgets.from_slider(lr_spec(opt), float(t.get_attribute("aria-valuenow")))
              for t, opt in zip(thumbs, ("gd", "adam"))]
    wait_until(lambda: [r["hparams"]["lr"] for r in current_state(dash_duo)["runs"]] == wanted,
               message=f"both learning rates {wanted} in the address",
               context=lambda: [r["hparams"]["lr"] for r in current_state(dash_duo)["runs"]])
    wait_until(lambda: committed(dash_duo), message="the state to settle")
    for i in range(2):
        assert_path_is_the_servers(dash_duo, i)
    # real keys: one on the first slider, then one on the second before the first settled
    # (a keyboard step commits once no key came on its slider for a moment)
    positions = [float(t.get_attribute("aria-valuenow")) for t in thumbs]
    for thumb in thumbs:
        thumb.send_keys(Keys.ARROW_RIGHT)
    wait_until(lambda: all(float(t.get_attribute("aria-valuenow")) > p for t, p in zip(thumbs, positions)),
               message="both thumbs moved again")
    wanted = [widgets.from_slider(lr_spec(opt), float(t.get_attribute("aria-valuenow")))
              for t, opt in zip(thumbs, ("gd", "adam"))]
    wait_until(lambda: [r["hparams"]["lr"] for r in current_state(dash_duo)["runs"]] == wanted,
               message=f"both learning rates {wanted} in the address",
               context=lambda: [r["hparams"]["lr"] for r in current_state(dash_duo)["runs"]])
    wait_until(lambda: committed(dash_duo), message="the state to settle")
    for i in range(2):
        assert_path_is_the_servers(dash_duo, i)
    assert dash_duo.get_logs() == []


def test_race029_a_lesson_picked_while_a_keyed_slider_settles_loads_whole(dash_duo, descent_app):
    start(dash_duo, descent_app, VALLEY_GD_ADAM)
    pause(dash_duo)
    key = lessons.LESSON_KEYS[-1]
    expected, _ = teach.lesson_state(key)
    # the noise slider stays on the page when a lesson loads (the runs' and the surface's
    # sliders are built again)
    thumb = dash_duo.find_element(thumb_of(ids.NOISE))
    # a key on it, then a lesson picked before the key's value settled (within the moment
    # the page waits for more keys): the keyed value must go first, then the lesson; sent
    # later, it would land on the lesson's set-up and spoil it
    thumb.send_keys(Keys.ARROW_RIGHT)
    js(dash_duo, "arguments[0].click();", dash_duo.find_element(css_id(ids.lesson_pick(key))))
    wait_until(lambda: current_state(dash_duo)["lesson"] == key, message="the lesson")
    dash_duo.driver.execute_async_script(  # past the key's settling
        "var done = arguments[arguments.length - 1]; setTimeout(done, 1000);")
    wait_until(lambda: committed(dash_duo), message="the state to settle")
    state = current_state(dash_duo)
    assert state["lesson"] == key and state["noise"] == expected["noise"], state["noise"]
    assert state["runs"] == expected["runs"] and state["surface"] == expected["surface"]
    banner = dash_duo.find_element(css_id(ids.LESSON)).text
    assert lessons.get(key).title in banner and "no longer describes" not in banner, banner
    assert dash_duo.get_logs() == []


def test_race031_a_path_leaves_out_points_within_half_a_pixel_but_never_its_last(dash_duo, descent_app):
    start(dash_duo, descent_app, VALLEY_GD_ADAM)
    # U.polyline on a recording context: the drawn vertices, and where the path breaks
    calls = js(dash_duo, """
        var U = window.descentLab.util, out = [];
        var ctx = {beginPath: function () { out.push(['begin']); },
                   moveTo: function (x, y) { out.push(['move', x, y]); },
                   lineTo: function (x, y) { out.push(['line', x, y]); }};
        var X = [0, 0.3, 0.45, 0.6, 5, 5.2, NaN, 9, 9.1, 9.2, 20, 20.1];
        var Y = [0, 0.3, 0,    0,   5, 5.2, 1,   9, 9,   9,   20, 20];
        U.polyline(ctx, {X: Float32Array.from(X), Y: Float32Array.from(Y)}, X.length);
        var whole = out; out = [];
        U.polyline(ctx, {X: Float32Array.from(X), Y: Float32Array.from(Y)}, 9);
        return {whole: whole, part: out};
    """)
    rounded = [[c[0], *[round(v, 4) for v in c[1:]]] for c in calls["whole"]]
    # (0.3, 0.3) is 0.42 px from (0, 0): left out; (0.45, 0) is 0.45 px: left out; (0.6, 0)
    # is drawn; (5.2, 5.2), 0.28 px from (5, 5), is left out (a gap is not the path's end);
    # 9.1 and 9.2 crawl within half a pixel of 9; (20.1, 20), 0.1 px from (20, 20), is the
    # last point: drawn
    assert rounded == [["begin"], ["move", 0, 0], ["line", 0.6, 0], ["line", 5, 5],
                       ["move", 9, 9], ["line", 20, 20], ["line", 20.1, 20]], rounded
    # the travelled part up to a frame ends exactly at its last point
    part = [[c[0], *[round(v, 4) for v in c[1:]]] for c in calls["part"]]
    assert part[-1] == ["line", 9.1, 9], part


def test_race032_an_open_menu_in_a_run_card_stays_over_the_next_card(dash_duo, descent_app):
    # the cards paint as units of their own (isolation) except while focus is inside one:
    # the schedule menu at the bottom of the first card overhangs the second card
    start(dash_duo, descent_app, VALLEY_GD_ADAM)
    pause(dash_duo)
    dropdown = dash_duo.find_element(css_id(ids.schedule(0)))
    js(dash_duo, "arguments[0].scrollIntoView({block: 'center'});", dropdown)
    dropdown.click()
    option = wait_until(lambda: dash_duo.find_element(".dash-dropdown-options input[value='cosine']"),
                        message="the cosine option")
    label = option.find_element("xpath", "./ancestor::label")
    second = dash_duo.find_elements(".run-card")[1]
    box, card = rect(dash_duo, label), rect(dash_duo, second)
    assert box["top"] > card["top"], (box, card)  # the option lies over the second card
    on_top = js(dash_duo, "var r = arguments[0].getBoundingClientRect();"
                          "var hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);"
                          "return !!hit && arguments[0].contains(hit);", label)
    assert on_top, "the second run card covers the open menu"
    label.click()
    wait_until(lambda: "~cosine(" in search(dash_duo), message="the schedule picked from the overhanging menu")
    assert dash_duo.get_logs() == []


def test_race033_the_html_draws_the_first_frame_before_dash_starts_and_the_page_adopts_it(dash_duo, descent_app):
    start(dash_duo, descent_app)
    links = ("", "?surface=bowl&run=gd(lr=0.1)&run=adam(lr=0.3)&view=grid")
    for width, height in ((1440, 900), (1024, 768)):
        set_viewport(dash_duo, width, height)
        for link in links:
            reload(dash_duo, dash_duo.server_url + "/" + link)
            first = lab(dash_duo, "c.firstFrame && {at: c.firstFrame.at, box: c.firstFrame.box, adopted: c.firstFrame.adopted}")
            assert first and first["adopted"], (width, link, first)
            # drawn from the HTML, before Dash had asked the server for anything
            sent = js(dash_duo, "return performance.getEntriesByType('resource').filter(function (e) {"
                                " return e.name.indexOf('_dash-update-component') >= 0; }).map(function (e) { return e.startTime; });")
            assert sent and first["at"] < min(sent), (first["at"], sent)
            # the live graph is that very plot, in the box it was drawn in: nothing moved
            assert js(dash_duo, "return document.querySelectorAll('#main-graph .js-plotly-plot').length;") == 1
            box = rect(dash_duo, css_id(ids.MAIN_GRAPH))
            assert [round(v) for v in first["box"]] == [round(box[k]) for k in ("left", "top", "width", "height")], \
                (width, link, first["box"], box)
            panels = 2 if "view=grid" in link else 1
            wait_until(lambda: len(dash_duo.find_elements("#main-graph .cartesianlayer .subplot")) == panels,
                       message=f"{panels} panel(s)")
            assert painted_pixels(dash_duo, ids.MAIN_GRAPH) > 100  # the paths over it
            assert not dash_duo.find_elements(".page-shell")  # the first paint is gone
            # the graph follows its box as Dash's responsive graphs do
            if link == "" and width == 1440:
                js(dash_duo, "window.descentLab.pause();")
                assert lab(dash_duo, "document.querySelector('#main-graph .js-plotly-plot')._fullLayout.height") > 300
                js(dash_duo, "document.getElementById('main-graph').style.flex = '0 0 260px';")
                wait_until(lambda: abs(lab(dash_duo, "document.querySelector('#main-graph .js-plotly-plot')._fullLayout.height")
                                       - 258) < 3, message="the plot resized with its box")
    assert dash_duo.get_logs() == []
