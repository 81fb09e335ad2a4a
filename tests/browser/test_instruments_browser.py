"""The instruments (issue 4) in real headless Chromium (dash_duo; flags in tests/conftest.py):
a typed surface, the charts and arrows following the frame, the readout, the fan, the 3D view."""

import time

from selenium.webdriver.common.keys import Keys

from browser_helpers import css_id, current_state, js, lab, pause, start, wait_until
from ui import ids


def alert_text(dash_duo):
    return dash_duo.find_element(css_id(ids.ALERTS)).text


def type_into(dash_duo, selector, text):
    field = dash_duo.find_element(selector)
    field.send_keys(Keys.CONTROL, "a")
    field.send_keys(Keys.DELETE)
    field.send_keys(text, Keys.ENTER)


def test_ins001_typed_surface_shows_its_contour_and_a_bad_one_its_message(dash_duo, descent_app):
    start(dash_duo, descent_app, "?surface=custom(xmin=-4,xmax=4,ymin=-3,ymax=3)&f=x**2%20%2B%203*y**2"
                                 "&run=gd(lr=0.05)&run=adam(lr=0.1)&steps=60")
    pause(dash_duo)
    state = current_state(dash_duo)
    assert state["surface"] == {"key": "custom", "params": {"expression": "x**2 + 3*y**2", "xmin": -4.0,
                                                            "xmax": 4.0, "ymin": -3.0, "ymax": 3.0}}
    assert lab(dash_duo, "c.surface.key") == "custom"
    assert lab(dash_duo, "c.surface.bounds") == [[-4, 4], [-3, 3]]
    # f and its gradient are shown back as rendered math
    wait_until(lambda: len(dash_duo.find_elements("#surface-info mjx-container")) >= 2, message="LaTeX of f and grad")
    assert "∇" in dash_duo.find_element(css_id(ids.SURFACE_INFO)).text or \
        "nabla" in dash_duo.find_element(css_id(ids.SURFACE_INFO)).get_attribute("innerHTML")
    field = css_id(ids.custom("expression"))
    assert dash_duo.find_element(field).get_attribute("value") == "x**2 + 3*y**2"

    # a hostile text: a message within a second, nothing else changes
    contour = js(dash_duo, "window.__c = window.descentLab.surfaceRaw; return 1;")
    t0 = time.time()
    type_into(dash_duo, field, "__import__('os')")
    wait_until(lambda: "not allowed" in alert_text(dash_duo), timeout=5, message="the refusal")
    assert time.time() - t0 < 2.0  # typing included; the server answers in milliseconds
    assert "__import__" in alert_text(dash_duo)
    assert current_state(dash_duo)["surface"]["params"]["expression"] == "x**2 + 3*y**2"
    type_into(dash_duo, field, "x +")
    wait_until(lambda: "Syntax error" in alert_text(dash_duo), message="the syntax message")

    # a good one: a new contour, the URL carries the text
    type_into(dash_duo, field, "sin(x)*cos(y) + 0.1*(x**2 + y**2)")
    wait_until(lambda: current_state(dash_duo)["surface"]["params"]["expression"] ==
               "sin(x)*cos(y) + 0.1*(x**2 + y**2)", message="the new function in the URL")
    wait_until(lambda: js(dash_duo, "return window.descentLab.surfaceRaw !== window.__c;"), message="a new contour")
    assert "f=sin(x)*cos(y)" in js(dash_duo, "return window.location.search;")
    assert contour == 1
    # the bounds can be typed too
    type_into(dash_duo, css_id(ids.custom("xmax")), "6")
    wait_until(lambda: current_state(dash_duo)["surface"]["params"]["xmax"] == 6.0, message="the new bound")
    wait_until(lambda: lab(dash_duo, "c.surface.bounds[0][1]") == 6, message="the contour over the new box")
    logs = [entry for entry in dash_duo.get_logs() if entry.get("level") == "SEVERE"]
    assert logs == []
