"""The "Maps" section in real headless Chromium (dash_duo; flags in tests/conftest.py):
compute small maps, click a cell and a basin point, tune and race. A map hands its
set-up to the race through the race's action store."""

import os

import numpy as np
import pandas as pd
import pytest
from browser_helpers import (
    alert_text,
    click_data_point,
    css_id,
    current_state,
    js,
    pause,
    start,
    wait_until,
)
from selenium.webdriver.common.keys import Keys

from descent_lab.ui.core import ids
from descent_lab.ui.maps import tune


def open_section(dash_duo, section):
    summary = dash_duo.find_element(css_id(section) + " > summary")
    js(dash_duo, "arguments[0].scrollIntoView({block: 'start'});", summary)
    summary.click()
    wait_until(lambda: js(dash_duo, f"return document.getElementById('{section}').open;"), message="the section")


def set_number(dash_duo, component_id, value):
    field = dash_duo.find_element(css_id(component_id))
    field.send_keys(Keys.CONTROL, "a")
    field.send_keys(str(value), Keys.ENTER)
    wait_until(lambda: dash_duo.find_element(css_id(component_id)).get_attribute("value") == str(value),
               message=f"{component_id} = {value}")


def graph(dash_duo, component_id):
    return dash_duo.find_element(f"#{component_id} .js-plotly-plot")


def click_at(dash_duo, gd, x, y, axes=("xaxis", "yaxis")):
    """Click the graph where data point (x, y) is drawn on the given axes."""
    js(dash_duo, "arguments[0].scrollIntoView({block: 'center'});", gd)
    click_data_point(dash_duo, gd, x, y, axes=axes)


def test_maps001_click_a_cell_of_the_hyperparameter_map_and_the_run_takes_it(dash_duo, descent_app):
    start(dash_duo, descent_app, "?surface=bowl&run=gd(lr=0.05)&run=momentum(lr=0.05)&start=3,1.5&steps=100")
    open_section(dash_duo, ids.HMAP)
    set_number(dash_duo, ids.HMAP_N, 16)
    # the run list follows the race; run 2 (momentum) is mapped against its momentum
    assert "Run 2 · Momentum" in dash_duo.find_element(css_id(ids.HMAP_RUN)).text
    dash_duo.find_element(css_id(ids.HMAP_COMPUTE)).click()
    wait_until(lambda: "16 × 16" in dash_duo.find_element(css_id(ids.HMAP_NOTE)).text, message="the map")
    gd = graph(dash_duo, ids.HMAP_GRAPH)
    assert js(dash_duo, "return arguments[0]._fullData[2].type;", gd) == "heatmap"
    assert js(dash_duo, "return Array.from(arguments[0]._fullData[0].x);", gd) == [0.05]  # run 2's setting

    lr, momentum = js(dash_duo, "var t = arguments[0]._fullData[2]; return [t.x[5], t.y[12]];", gd)
    before = js(dash_duo, "return window.descentLab.runs[1].label;")
    click_at(dash_duo, gd, lr, momentum)
    wait_until(lambda: current_state(dash_duo)["runs"][1]["hparams"]["lr"] == pytest.approx(lr, rel=1e-12),
               message="the cell's setting in the URL")
    state = current_state(dash_duo)
    assert state["runs"][1]["hparams"]["momentum"] == pytest.approx(momentum, rel=1e-12)
    assert state["runs"][0]["hparams"]["lr"] == 0.05 and state["steps"] == 200  # the map's steps
    # the run's card, legend and path follow; the map's marker moves to the cell
    wait_until(lambda: float(dash_duo.find_element(css_id(ids.hparam_text(1, "lr"))).get_attribute("value")) ==
               pytest.approx(lr, rel=0.01), message="the run's learning rate in its field")
    assert float(dash_duo.find_element(css_id(ids.hparam_text(1, "momentum"))).get_attribute("value")) == \
        pytest.approx(momentum, abs=0.01)
    wait_until(lambda: js(dash_duo, "return window.descentLab.runs[1].label;") != before, message="a new path")
    assert "lr=" in dash_duo.find_element(css_id(ids.LEGEND)).text
    wait_until(lambda: js(dash_duo, "return Array.from(arguments[0]._fullData[0].x);", gd) == [lr],
               message="the marker on the clicked cell")
    assert alert_text(dash_duo) == ""

    # export: PNG and CSV of the map
    dash_duo.find_element(css_id(ids.HMAP_PNG)).click()
    png = os.path.join(dash_duo.download_path, "descent-lab-hyperparameter-map.png")
    wait_until(lambda: os.path.exists(png) and os.path.getsize(png) > 10_000, message="the PNG")
    with open(png, "rb") as handle:
        assert handle.read(8) == b"\x89PNG\r\n\x1a\n"
    dash_duo.find_element(css_id(ids.HMAP_CSV)).click()
    csv = os.path.join(dash_duo.download_path, "descent-lab-hyperparameter-map.csv")
    wait_until(lambda: os.path.exists(csv) and os.path.getsize(csv) > 0, message="the CSV")
    frame = pd.read_csv(csv)
    assert len(frame) == 256 and list(frame.columns)[:3] == ["optimizer", "lr", "momentum"]

    # beyond the bounds: a visible message, and the map stays
    set_number(dash_duo, ids.HMAP_N, 500)
    dash_duo.find_element(css_id(ids.HMAP_COMPUTE)).click()
    # (the field's max makes the browser send nothing; the server says what is allowed)
    wait_until(lambda: "from 2 to 128" in alert_text(dash_duo), message="the refusal")
    assert "16 × 16" in dash_duo.find_element(css_id(ids.HMAP_NOTE)).text
    assert dash_duo.get_logs() == []


def test_maps002_click_a_basin_point_and_every_run_starts_there(dash_duo, descent_app):
    start(dash_duo, descent_app, "?surface=himmelblau&run=gd(lr=0.01)&run=momentum(lr=0.005)&run=adam(lr=0.05)"
                                 "&start=0.2,-0.5&steps=100")
    open_section(dash_duo, ids.BASIN)
    set_number(dash_duo, ids.BASIN_N, 16)
    set_number(dash_duo, ids.BASIN_STEPS, 100)
    dash_duo.find_element(css_id(ids.BASIN_COMPUTE)).click()
    wait_until(lambda: "16 × 16 starts" in dash_duo.find_element(css_id(ids.BASIN_NOTE)).text, message="basins")
    gd = graph(dash_duo, ids.BASIN_GRAPH)
    assert js(dash_duo, "return arguments[0]._fullData.filter(function (t) { return t.type === 'heatmap'; })"
                        ".length;", gd) == 3  # gradient descent, momentum, Adam side by side
    grid = np.linspace(-5, 5, 16)
    target = (3.1, 2.2)
    expected = [float(grid[np.argmin(abs(grid - c))]) for c in target]
    click_at(dash_duo, gd, *target, axes=("xaxis2", "yaxis2"))  # the middle panel
    wait_until(lambda: current_state(dash_duo)["start"] == pytest.approx(expected, abs=1e-12),
               message="the start on the clicked grid node",
               context=lambda: (current_state(dash_duo)["start"], alert_text(dash_duo)))
    assert float(dash_duo.find_element(css_id(ids.START_X)).get_attribute("value")) == pytest.approx(expected[0])
    wait_until(lambda: abs(js(dash_duo, "return window.descentLab.runs[2].x[0];") - expected[0]) < 1e-5,
               message="paths from the new start")
    wait_until(lambda: js(dash_duo, "return Array.from(arguments[0]._fullData[1].x);", gd) ==
               pytest.approx([expected[0]]), message="the start marker on every panel")
    assert alert_text(dash_duo) == ""
    assert dash_duo.find_element(css_id(ids.BASIN_STALE)).text == ""  # the start is not part of a basin map
    assert dash_duo.get_logs() == []


def test_maps003_tune_and_race(dash_duo, descent_app):
    start(dash_duo, descent_app)
    open_section(dash_duo, ids.TUNE)
    set_number(dash_duo, ids.TUNE_STEPS, 120)
    set_number(dash_duo, ids.TUNE_N, 12)
    before = current_state(dash_duo)
    dash_duo.find_element(css_id(ids.TUNE_COMPUTE)).click()
    wait_until(lambda: current_state(dash_duo)["steps"] == 120, message="the tuned race")
    state = current_state(dash_duo)
    tuned = list(range(len(before["runs"])))[:3]  # the checklist's default: the first three runs there are
    req, errors = tune.tune_request(before, tuned, "final_loss", 120, 12, "none", 8, 1e-6)
    assert errors == []
    for result in tune.compute_tune(req):
        assert state["runs"][result.index]["hparams"]["lr"] == pytest.approx(result.best["lr"], rel=1e-12)
    note = wait_until(lambda: dash_duo.find_element(css_id(ids.TUNE_NOTE)).text, message="the note")
    assert "Objective: the lowest final loss" in note
    gd = graph(dash_duo, ids.TUNE_GRAPH)
    assert js(dash_duo, "return arguments[0]._fullData.filter(function (t) { return t.meta && "
                        "t.meta.role === 'chosen'; }).length;", gd) == len(tuned)
    wait_until(lambda: js(dash_duo, "return window.descentLab.maxFrame;") == 120 or
               js(dash_duo, "return window.descentLab.paths.steps;") == 120, message="the race at the budget")
    assert alert_text(dash_duo) == ""
    assert dash_duo.get_logs() == []


def test_maps004_a_maps_action_and_the_pages_own_at_the_same_moment_both_land(dash_duo, descent_app):
    # "Tune and race" answered in the very task the page sends an action of its own (here a
    # step of the player, which syncs the frame): the map's set-up must not be overwritten
    start(dash_duo, descent_app, "?surface=bowl&run=gd(lr=0.05)&run=momentum(lr=0.05)&start=3,1.5&steps=100")
    pause(dash_duo)
    wanted = current_state(dash_duo)
    wanted["steps"] = 77
    wanted["runs"][0]["hparams"]["lr"] = 0.07
    js(dash_duo, "window.dash_clientside.set_props(arguments[0], {data: {kind: 'setup', state: arguments[1]}});"
                 "window.descentLab.stepBy(1);", ids.MAP_ACTION, wanted)
    wait_until(lambda: current_state(dash_duo)["steps"] == 77, message="the map's set-up in the race")
    assert current_state(dash_duo)["runs"][0]["hparams"]["lr"] == pytest.approx(0.07)
    assert alert_text(dash_duo) == ""
    assert dash_duo.get_logs() == []
