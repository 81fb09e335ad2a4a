"""Descent Lab in real headless Chromium (dash_duo; flags in tests/conftest.py)."""

import os
import time

import pandas as pd
import pytest
from browser_helpers import css_id, current_state, js, lab, pause, start, wait_until
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.keys import Keys

from descent_lab.ui import ids
from descent_lab.ui.state import encode_url, validate_state


def test_app001_page_loads_animating_with_no_console_errors(dash_duo, descent_app):
    start(dash_duo, descent_app)
    # the default lesson: a surface with gradient descent, momentum and Adam, animating
    assert lab(dash_duo, "c.runs.length") == 3
    wait_until(lambda: lab(dash_duo, "c.frame") > 5, message="autoplay")
    assert len(dash_duo.find_elements(".run-card")) == 3
    assert len(dash_duo.find_elements(".katex, mjx-container, .MathJax")) > 0 or \
        wait_until(lambda: dash_duo.find_elements("mjx-container"), message="rendered math")
    assert dash_duo.find_element(css_id(ids.ALERTS)).text == ""
    assert dash_duo.get_logs() == []


def test_app002_dragging_and_keying_a_slider_redraws_the_path(dash_duo, descent_app):
    start(dash_duo, descent_app)
    pause(dash_duo)
    slider = css_id(ids.hparam(2, "lr")) + " [role=slider]"
    before_x = lab(dash_duo, "Array.from(c.runs[2].x.slice(0, 50))")
    before_label = lab(dash_duo, "c.runs[2].label")

    thumb = dash_duo.find_element(slider)
    ActionChains(dash_duo.driver).click_and_hold(thumb).move_by_offset(-25, 0).move_by_offset(-25, 0) \
        .release().perform()
    wait_until(lambda: lab(dash_duo, "c.runs[2].label") != before_label, message="a new path after dragging")
    dragged = lab(dash_duo, "Array.from(c.runs[2].x.slice(0, 50))")
    assert dragged != before_x
    lr_dragged = current_state(dash_duo)["runs"][2]["hparams"]["lr"]
    assert lr_dragged < 0.3

    thumb = dash_duo.find_element(slider)
    thumb.send_keys(Keys.ARROW_RIGHT * 10)
    wait_until(lambda: current_state(dash_duo)["runs"][2]["hparams"]["lr"] > lr_dragged,
               message="the keyboard to raise the learning rate")
    shown = dash_duo.find_element(css_id(ids.hparam_value(2, "lr"))).text
    assert float(shown) == pytest.approx(current_state(dash_duo)["runs"][2]["hparams"]["lr"], rel=0.01)
    # screen readers hear the learning rate, not the slider's log10 position
    wait_until(lambda: dash_duo.find_element(slider).get_attribute("aria-valuetext") == shown,
               message="aria-valuetext on the log slider")
    assert dash_duo.find_element(slider).get_attribute("aria-label") == "learning rate (run 3)"
    wait_until(lambda: lab(dash_duo, "Array.from(c.runs[2].x.slice(0, 50))") != dragged,
               message="the path to follow the keyboard")
    # only that run changed
    assert current_state(dash_duo)["runs"][0]["hparams"]["lr"] == 1.8
    assert dash_duo.get_logs() == []


def test_app003_a_click_on_the_contour_starts_there(dash_duo, descent_app):
    start(dash_duo, descent_app)
    pause(dash_duo)
    target = (3.3, -4.7)  # between grid nodes of the 150 x 150 contour over [-10, 10]
    gd = dash_duo.find_element("#main-graph .js-plotly-plot")
    offset = js(dash_duo, """
        var gd = arguments[0], xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
        return [xa._offset + xa.c2p(arguments[1]) - gd.clientWidth / 2,
                ya._offset + ya.c2p(arguments[2]) - gd.clientHeight / 2];""", gd, *target)
    ActionChains(dash_duo.driver).move_to_element(gd).move_by_offset(round(offset[0]), round(offset[1])) \
        .click().perform()
    wait_until(lambda: current_state(dash_duo)["start"] != [-8.0, 2.0], message="the start to move")
    x, y = current_state(dash_duo)["start"]
    pixel = 20.0 / lab(dash_duo, "document.querySelector('#main-graph .js-plotly-plot')._fullLayout.xaxis._length")
    assert abs(x - target[0]) < 1.5 * pixel and abs(y - target[1]) < 1.5 * pixel
    grid = [-10 + 20 * i / 149 for i in range(150)]
    assert min(abs(x - g) for g in grid) > 1e-9  # not snapped to a grid node
    assert float(dash_duo.find_element(css_id(ids.START_X)).get_attribute("value")) == pytest.approx(x)
    wait_until(lambda: abs(lab(dash_duo, "c.runs[0].x[0]") - x) < 1e-5, message="paths from the click")
    assert dash_duo.get_logs() == []


def test_app004_play_advances_frames_and_step_back_goes_back(dash_duo, descent_app):
    start(dash_duo, descent_app)
    dash_duo.find_element(css_id(ids.RESET)).click()
    assert lab(dash_duo, "c.frame") == 0 and lab(dash_duo, "c.playing") is False
    dash_duo.find_element(css_id(ids.PLAY)).click()
    wait_until(lambda: lab(dash_duo, "c.frame") >= 20, message="frames to advance")
    dash_duo.find_element(css_id(ids.PLAY)).click()  # pause
    assert lab(dash_duo, "c.playing") is False
    frame = lab(dash_duo, "c.frame")
    time.sleep(0.3)
    assert lab(dash_duo, "c.frame") == frame  # paused means paused
    dash_duo.find_element(css_id(ids.STEP_BACK)).click()
    assert lab(dash_duo, "c.frame") == frame - 1
    dash_duo.find_element(css_id(ids.STEP_BACK)).click()
    assert lab(dash_duo, "c.frame") == frame - 2
    dash_duo.find_element(css_id(ids.STEP_FWD)).click()
    assert lab(dash_duo, "c.frame") == frame - 1
    assert dash_duo.find_element(css_id(ids.FRAME_LABEL)).text.startswith(f"step {frame - 1} /")
    # the frame is drawn: the canvas over the graph is not blank
    painted = js(dash_duo, """var cv = document.querySelector('#main-graph canvas.frame-overlay');
        var d = cv.getContext('2d').getImageData(0, 0, cv.width, cv.height).data, n = 0;
        for (var i = 3; i < d.length; i += 4) { if (d[i]) { n++; } } return n;""")
    assert painted > 100
    # the scrubber seeks, and the paused frame reaches the URL
    js(dash_duo, """var s = document.querySelector('#scrub input'); s.value = '7';
        s.dispatchEvent(new Event('input', {bubbles: true})); s.dispatchEvent(new Event('change', {bubbles: true}));""")
    assert lab(dash_duo, "c.frame") == 7
    wait_until(lambda: current_state(dash_duo)["frame"] == 7, message="the frame in the URL")
    assert dash_duo.get_logs() == []


def test_app005_a_preset_loads_its_lesson(dash_duo, descent_app):
    start(dash_duo, descent_app)
    dash_duo.find_element(css_id(ids.preset("lr-too-large"))).click()
    wait_until(lambda: current_state(dash_duo)["surface"]["key"] == "bowl", message="the preset")
    state = current_state(dash_duo)
    assert [r["hparams"]["lr"] for r in state["runs"]] == [0.5, 1.9, 2.2]
    wait_until(lambda: len(dash_duo.find_elements(".run-card")) == 3, message="three cards")
    wait_until(lambda: lab(dash_duo, "c.runs.map(function (r) { return r.status; }).join()") ==
               "converged,max_steps,diverged", message="the diverging run")
    status = dash_duo.find_element(css_id(ids.run_status(2))).text
    assert status.startswith("diverged at step")
    assert "Round bowl" in dash_duo.find_element(css_id(ids.SURFACE_KEY)).text
    lesson = dash_duo.find_element(css_id(ids.LESSON))
    assert "A learning rate too large" in lesson.text and "diverges" in lesson.text
    assert current_state(dash_duo)["lesson"] == "lr-too-large"
    dash_duo.find_element(".lesson-close").click()
    wait_until(lambda: dash_duo.find_element(css_id(ids.LESSON)).text == "", message="the lesson closed")
    assert dash_duo.get_logs() == []


def test_app006_the_url_round_trips_the_whole_state(dash_duo, descent_app):
    wanted = {
        "surface": {"key": "rosenbrock", "params": {"a": 1.5, "b": 50.0}},
        "runs": [{"optimizer": "adam", "hparams": {"lr": 0.05, "beta1": 0.8}},
                 {"optimizer": "rmsprop", "hparams": {"lr": 0.01, "centered": True}}],
        "start": [-1.5, 2.25], "steps": 123, "seed": 7, "frame": 40, "view": "grid",
    }
    state = validate_state(wanted)[0]
    start(dash_duo, descent_app, encode_url(state))
    assert current_state(dash_duo) == state
    assert lab(dash_duo, "c.frame") == 40 and lab(dash_duo, "c.playing") is False
    assert dash_duo.find_element(css_id(ids.STEPS)).get_attribute("value") == "123"
    assert dash_duo.find_element(css_id(ids.hparam_value(0, "beta1"))).text == "0.8"
    assert len(dash_duo.find_elements("#main-graph .xy, #main-graph .x2y2")) >= 2  # side by side

    seed = dash_duo.find_element(css_id(ids.SEED))
    seed.send_keys(Keys.BACKSPACE, "9", Keys.ENTER)
    wait_until(lambda: current_state(dash_duo)["seed"] == 9, message="the seed in the URL")
    url = dash_duo.driver.current_url
    dash_duo.driver.get(url)  # whoever opens the link sees the same set-up
    wait_until(lambda: js(dash_duo, "return !!(window.descentLab && window.descentLab.paths)"), message="reload")
    state["seed"] = 9
    wait_until(lambda: current_state(dash_duo) == state, message="the same state after reload")
    assert dash_duo.driver.current_url == url
    assert dash_duo.get_logs() == []


def test_app007_csv_has_one_row_per_step_per_run(dash_duo, descent_app):
    start(dash_duo, descent_app, "?run=gd(lr=0.5)&run=adam(lr=0.3)&steps=60")
    dash_duo.find_element(css_id(ids.CSV)).click()
    path = os.path.join(dash_duo.download_path, "descent-lab.csv")
    wait_until(lambda: os.path.exists(path) and os.path.getsize(path) > 0, message="the CSV download")
    frame = pd.read_csv(path)
    lengths = lab(dash_duo, "c.runs.map(function (r) { return r.n; })")
    assert frame.groupby("run").size().tolist() == lengths
    assert frame["optimizer"].unique().tolist() == ["gd", "adam"]
    assert {"x", "y", "loss", "m_x", "v_y"} <= set(frame.columns)
    assert dash_duo.get_logs() == []


def test_app008_bad_values_get_a_visible_message_and_the_app_keeps_working(dash_duo, descent_app):
    start(dash_duo, descent_app, "?run=evil(x=1)&run=adam(lr=1e9)&steps=99999999")
    alert = wait_until(lambda: dash_duo.find_element(css_id(ids.ALERTS)).text, message="an alert")
    assert "unknown optimizer" in alert and "Steps" in alert and "learning rate" in alert
    steps = dash_duo.find_element(css_id(ids.STEPS))
    steps.send_keys(Keys.CONTROL, "a")
    steps.send_keys("50000", Keys.ENTER)
    wait_until(lambda: "10,000" in dash_duo.find_element(css_id(ids.ALERTS)).text, message="the steps message")
    dash_duo.find_element(css_id(ids.preset("adagrad-stall"))).click()  # still working
    wait_until(lambda: current_state(dash_duo)["runs"][0]["optimizer"] == "adagrad", message="a preset")
    dash_duo.find_element(css_id(ids.ALERT_CLOSE)).click()
    wait_until(lambda: dash_duo.find_element(css_id(ids.ALERTS)).text == "", message="dismissed")
    assert dash_duo.get_logs() == []


def test_app009_surface_from_the_list_gets_its_sliders_and_the_contour_comes_once(dash_duo, descent_app):
    start(dash_duo, descent_app)
    pause(dash_duo)
    dash_duo.find_element(css_id(ids.SURFACE_KEY)).click()
    option = wait_until(lambda: dash_duo.find_element("[role=option] input[value=rosenbrock]"), message="the list")
    option.find_element("xpath", "./ancestor::*[@role='option']").click()
    wait_until(lambda: current_state(dash_duo)["surface"]["key"] == "rosenbrock", message="Rosenbrock")
    wait_until(lambda: len(dash_duo.find_elements(css_id(ids.SURFACE_PARAMS) + " [role=slider]")) == 2,
               message="a and b sliders")
    assert current_state(dash_duo)["start"] == [-1.2, 1.0]
    wait_until(lambda: lab(dash_duo, "c.surface && c.surface.key") == "rosenbrock", message="the new contour")
    js(dash_duo, "window.__contour = window.descentLab.surfaceRaw; window.__renders = window.descentLab.renders;")
    # a surface parameter and a run's slider redraw the paths; only the first resends the contour
    b = dash_duo.find_element(css_id(ids.sparam("b")) + " [role=slider]")
    b.send_keys(Keys.ARROW_LEFT * 5)
    wait_until(lambda: current_state(dash_duo)["surface"]["params"]["b"] < 100, message="b to change")
    wait_until(lambda: js(dash_duo, "return window.descentLab.surfaceRaw !== window.__contour;"),
               message="the contour for the new b")
    js(dash_duo, "window.__contour = window.descentLab.surfaceRaw; window.__renders = window.descentLab.renders;")
    lr = dash_duo.find_element(css_id(ids.hparam(0, "lr")) + " [role=slider]")
    lr.send_keys(Keys.ARROW_LEFT * 3)
    wait_until(lambda: js(dash_duo, "return window.descentLab.renders > window.__renders;"), message="new paths")
    assert js(dash_duo, "return window.descentLab.surfaceRaw === window.__contour;")  # contour not resent
    assert dash_duo.get_logs() == []


def test_app010_add_remove_runs_and_side_by_side(dash_duo, descent_app):
    start(dash_duo, descent_app)
    dash_duo.find_element(css_id(ids.ADD_RUN)).click()
    wait_until(lambda: len(dash_duo.find_elements(".run-card")) == 4, message="a fourth card")
    wait_until(lambda: lab(dash_duo, "c.runs.length") == 4, message="a fourth path")
    assert [r["optimizer"] for r in current_state(dash_duo)["runs"]] == ["gd", "momentum", "adam", "adam"]
    dash_duo.find_element(css_id(ids.run_remove(0))).click()
    wait_until(lambda: [r["optimizer"] for r in current_state(dash_duo)["runs"]] == ["momentum", "adam", "adam"],
               message="the first run removed")
    wait_until(lambda: len(dash_duo.find_elements(".run-card")) == 3, message="three cards")

    dash_duo.find_element(css_id(ids.VIEW) + " input[value=grid]").click()
    wait_until(lambda: current_state(dash_duo)["view"] == "grid", message="side by side")
    wait_until(lambda: len(dash_duo.find_elements("#main-graph .cartesianlayer .subplot")) == 3,
               message="one contour per run")
    assert len(dash_duo.find_elements("#main-graph .contourlayer .contour, #main-graph g.contour")) >= 3
    dash_duo.find_element(css_id(ids.VIEW) + " input[value=overlay]").click()
    wait_until(lambda: len(dash_duo.find_elements("#main-graph .cartesianlayer .subplot")) == 1, message="overlay")
    assert dash_duo.get_logs() == []


def test_app011_keyboard_drives_the_animation(dash_duo, descent_app):
    start(dash_duo, descent_app)
    pause(dash_duo)
    js(dash_duo, "window.descentLab.seek(50); document.activeElement.blur();")
    body = dash_duo.find_element("body")
    body.send_keys(Keys.ARROW_LEFT)
    assert lab(dash_duo, "c.frame") == 49
    body.send_keys(Keys.SHIFT, Keys.ARROW_RIGHT)
    assert lab(dash_duo, "c.frame") == 59
    body.send_keys(Keys.HOME)
    assert lab(dash_duo, "c.frame") == 0
    body.send_keys(Keys.SPACE)
    wait_until(lambda: lab(dash_duo, "c.frame") > 3, message="Space to play")
    body.send_keys(Keys.SPACE)
    assert lab(dash_duo, "c.playing") is False
    assert dash_duo.get_logs() == []


def test_app012_browser_and_server_agree_on_the_numbers(dash_duo, descent_app):
    import numpy as np

    from descent_lab.ui.simulate import nearest_distance, run_one

    start(dash_duo, descent_app, "?surface=himmelblau&run=gd(lr=0.01)&run=adam(lr=0.05)&start=0.2,-0.5&steps=80")
    state = current_state(dash_duo)
    for i in range(2):
        trajectory = run_one(state, i)
        x = np.array(lab(dash_duo, f"Array.from(c.runs[{i}].x)"))
        dist = np.array(lab(dash_duo, f"Array.from(c.runs[{i}].dist)"))
        assert np.allclose(x, trajectory.xy[:, 0], rtol=1e-6, atol=1e-6)  # float32 on the wire
        expected = nearest_distance(trajectory.xy, [(3.0, 2.0), (-2.805118, 3.131312),
                                                    (-3.779310, -3.283186), (3.584428, -1.848127)])
        assert np.allclose(dist, np.maximum(expected, 1e-30), rtol=1e-4, atol=1e-5)
    label = lab(dash_duo, "c.runs[1].label")
    assert label == "Adam lr=0.05 β1=0.9"
    assert label in dash_duo.find_element(css_id(ids.LEGEND)).text
    assert dash_duo.get_logs() == []


def test_app013_png_has_graph_paths_and_charts(dash_duo, descent_app):
    start(dash_duo, descent_app, "?run=gd(lr=1.8)&run=adam(lr=0.3)&steps=60&frame=60")
    wait_until(lambda: lab(dash_duo, "c.frames") > 0, message="a drawn frame")
    dash_duo.find_element(css_id(ids.PNG)).click()
    path = os.path.join(dash_duo.download_path, "descent-lab.png")
    wait_until(lambda: os.path.exists(path) and os.path.getsize(path) > 20_000, message="the PNG download")
    with open(path, "rb") as handle:
        head = handle.read(24)
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")
    main_w = lab(dash_duo, "document.querySelector('#main-graph .js-plotly-plot').clientWidth")
    assert width == 2 * main_w and height > width * 0.6  # graph and charts, at 2x
    assert dash_duo.get_logs() == []


def test_app014_pointer_readout_on_a_path(dash_duo, descent_app):
    start(dash_duo, descent_app, "?run=gd(lr=1.8)&steps=40&frame=40")
    gd = dash_duo.find_element("#main-graph .js-plotly-plot")
    offset = js(dash_duo, """
        var gd = arguments[0], xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis, r = window.descentLab.runs[0];
        return [xa._offset + xa.c2p(r.x[5]) - gd.clientWidth / 2, ya._offset + ya.c2p(r.y[5]) - gd.clientHeight / 2];""", gd)
    ActionChains(dash_duo.driver).move_to_element(gd).move_by_offset(round(offset[0]), round(offset[1])).perform()
    tip = wait_until(lambda: dash_duo.find_element("#main-graph .hover-tip").text, message="the readout")
    assert "Gradient descent lr=1.8" in tip and "step 5" in tip
    assert dash_duo.get_logs() == []
