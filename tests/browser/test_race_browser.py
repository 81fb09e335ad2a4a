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
    before_paths = [tuple(run_xy(dash_duo, i)[0][:30]) for i in range(2)]
    js(dash_duo, "window.__contour = window.descentLab.surfaceRaw;")
    seen = {"previews": lab(dash_duo, "c.previews"), "paths": set()}

    def during(k):
        wait_until(lambda: lab(dash_duo, "c.previews") > seen["previews"], timeout=10,
                   message=f"a preview painted after move {k + 1}")
        seen["previews"] = lab(dash_duo, "c.previews")
        seen["paths"].add(tuple(tuple(run_xy(dash_duo, i)[0][:30]) for i in range(2)))
        assert search(dash_duo) == before_url  # nothing committed while the hand moves

    drag(dash_duo, thumb, toward_middle(thumb, 30), moves=8, during=during)
    # every run's path followed the hand (the surface under them moved)
    assert len(seen["paths"]) >= 3 and all(p[i] != before_paths[i] for p in seen["paths"] for i in range(2))
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
    twin_before = [tuple(run_xy(dash_duo, i, twin=True)[0][:30]) for i in range(2)]
    before_url = search(dash_duo)
    thumb = dash_duo.find_element(thumb_of(ids.compare_param("value")))
    seen = {"previews": lab(dash_duo, "c.previews"), "twins": set()}

    def during(k):
        wait_until(lambda: lab(dash_duo, "c.previews") > seen["previews"], timeout=10,
                   message=f"a preview painted after move {k + 1}")
        seen["previews"] = lab(dash_duo, "c.previews")
        seen["twins"].add(tuple(tuple(run_xy(dash_duo, i, twin=True)[0][:30]) for i in range(2)))
        assert [run_xy(dash_duo, i) for i in range(2)] == main_paths  # the first panel stays
        assert search(dash_duo) == before_url

    drag(dash_duo, thumb, toward_middle(thumb, 40), moves=8, during=during)
    assert len(seen["twins"]) >= 3 and all(t[i] != twin_before[i] for t in seen["twins"] for i in range(2))
    wait_until(lambda: current_state(dash_duo)["compare"] != {"angle": 45.0}, message="the commit on release")
    wait_until(lambda: committed(dash_duo), message="the state to settle")
    compare = current_state(dash_duo)["compare"]
    for i in range(2):
        assert_path_is_the_servers(dash_duo, i, overrides=compare, twin=True)
    assert dash_duo.get_logs() == []


# ---------------------------------------------------------- schedules, optimizers


def test_race007_a_schedule_goes_into_the_link_changes_the_path_and_loads_from_a_link(dash_duo, descent_app):
    from browser_helpers import choose

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
    from browser_helpers import choose

    from descent_lab.ui.core.state import default_hparams

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


def test_race009_number_fields_say_in_place_what_they_accept_and_show_the_value_in_use(dash_duo, descent_app):
    from descent_lab.ui.core.state import MAX_SEED, MAX_STEPS, MIN_STEPS, start_limits

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
            said = wait_until(lambda: (lambda t: t if name in t and f"got {typed or 'nothing'}" in t else "")(
                dash_duo.find_element(message).text), message=f"the message for {name} = {typed!r}")
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
