"""Helpers shared by the browser tests: selectors for Dash ids, bounded waiting, the app's
own hooks (``window.descentLab``, see ``descent_lab/assets/00_core.js`` and ``10_race.js``)
and real pointer and keyboard input (selenium's ActionChains)."""

import json
import time

from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.keys import Keys

from descent_lab.ui.core import ids
from descent_lab.ui.core.url import decode_url


def css_id(component_id):
    """CSS selector for a (pattern-matching) Dash id."""
    if isinstance(component_id, dict):
        text = json.dumps(component_id, sort_keys=True, separators=(",", ":"))
        return '[id="' + text.replace('"', '\\"') + '"]'
    return "#" + component_id


def thumb_of(component_id):
    """The draggable thumb of a slider (Dash 4's slider gives it ``role=slider``)."""
    return css_id(component_id) + " [role=slider]"


def wait_until(predicate, timeout=15.0, interval=0.05, message="condition", context=None):
    """Poll ``predicate`` until it returns something truthy; the timeout only bounds a
    failure (nothing here asserts on speed). ``context()`` adds what the page showed to
    the failure's message."""
    end = time.time() + timeout
    last = None
    while time.time() < end:
        try:
            last = predicate()
            if last:
                return last
        except Exception as exc:  # the page may be mid-render
            last = exc
        time.sleep(interval)
    seen = ""
    if context is not None:
        try:
            seen = f"; the page showed {context()!r}"
        except Exception as exc:  # the page may be gone
            seen = f"; context unavailable ({exc!r})"
    raise AssertionError(f"timed out waiting for {message} (last: {last!r}){seen}")


def js(dash_duo, script, *args):
    return dash_duo.driver.execute_script(script, *args)


def lab(dash_duo, expr):
    """Evaluate ``expr`` with ``c`` bound to the page's controller (``window.descentLab``)."""
    return js(dash_duo, "var c = window.descentLab; return " + expr + ";")


def ready(dash_duo):
    return js(dash_duo, "var c = window.descentLab; return !!(c && c.paths && c.state && c.surface "
                        "&& document.querySelector('#main-graph .js-plotly-plot .contour'));")


def start(dash_duo, app, search=""):
    """Serve ``app``, open ``search`` and wait for the contour, the state and the paths."""
    dash_duo.start_server(app)
    if search:
        dash_duo.driver.get(dash_duo.server_url + "/" + search)
    wait_until(lambda: ready(dash_duo), timeout=25, message="the contour and paths")


def reload(dash_duo, url=None):
    dash_duo.driver.get(url or dash_duo.driver.current_url)
    wait_until(lambda: ready(dash_duo), timeout=25, message="the page after a reload")


def pause(dash_duo):
    js(dash_duo, "window.descentLab.pause();")


def search(dash_duo):
    return js(dash_duo, "return window.location.search;")


def current_state(dash_duo):
    """The app's state as the address bar carries it (no errors expected)."""
    state, errors = decode_url(search(dash_duo))
    assert errors == []
    return state


def page_state(dash_duo):
    """The state the page holds (``descentLab.state``: the last one the server validated)."""
    return lab(dash_duo, "c.state")


def run_xy(dash_duo, index, twin=False):
    """A decoded run's path as two lists (float32 on the wire)."""
    source = "c.twin" if twin else "c.runs"
    return lab(dash_duo, f"[Array.from({source}[{index}].x), Array.from({source}[{index}].y)]")


def all_xy_heads(dash_duo, count, twin=False):
    """The first ``count`` x values of every run's path, read in one script: a preview that
    lands between two reads cannot mix two settings in one snapshot."""
    source = "c.twin" if twin else "c.runs"
    return tuple(tuple(xs) for xs in lab(dash_duo, f"{source}.map(function (r) {{ return Array.from(r.x.slice(0, {count})); }})"))


def alert_text(dash_duo):
    return dash_duo.find_element(css_id(ids.ALERTS)).text


def type_into(dash_duo, selector, text, submit=Keys.ENTER):
    """Replace a field's text and commit it (Enter by default)."""
    field = dash_duo.find_element(selector)
    field.send_keys(Keys.CONTROL, "a")
    field.send_keys(Keys.DELETE)
    if submit is None:
        field.send_keys(text)
    else:
        field.send_keys(text, submit)
    return field


def is_focused(dash_duo, element):
    return js(dash_duo, "return document.activeElement === arguments[0];", element)


def same_element(dash_duo, a, b):
    return js(dash_duo, "return arguments[0] === arguments[1] && arguments[0].isConnected;", a, b)


def mouse(dash_duo, kind, x, y, buttons=0):
    """One trusted mouse event through the DevTools protocol (what chromedriver's actions
    use underneath), at viewport coordinates (CSS pixels)."""
    dash_duo.driver.execute_cdp_cmd("Input.dispatchMouseEvent", {
        "type": kind, "x": x, "y": y, "pointerType": "mouse", "buttons": buttons,
        "button": "none" if kind == "mouseMoved" and not buttons else "left",
        "clickCount": 0 if kind == "mouseMoved" else 1,
    })


def center(dash_duo, element):
    """Scroll ``element`` to the middle of its scrolling boxes; its centre in the viewport."""
    js(dash_duo, "arguments[0].scrollIntoView({block: 'center', inline: 'nearest'});", element)
    box = rect(dash_duo, element)
    return box["left"] + box["width"] / 2, box["top"] + box["height"] / 2


def drag(dash_duo, element, dx, moves=10, during=None, dy=0.0):
    """A real mouse drag: press on ``element``, ``moves`` small moves (``dx`` pixels in all),
    release. ``during(k)`` runs after move ``k`` with the button still down, so a test can
    wait (bounded polling) for what the page shows mid-drag before the next move.

    The events go through the DevTools protocol rather than selenium's ActionChains:
    chromedriver loses the element's pointer capture between two ``perform()`` calls, so
    a drag made of several chains stops moving the slider, and one chain cannot wait for
    the page between its moves."""
    x, y = center(dash_duo, element)
    mouse(dash_duo, "mouseMoved", x, y)
    mouse(dash_duo, "mousePressed", x, y, buttons=1)
    for k in range(moves):
        mouse(dash_duo, "mouseMoved", x + dx * (k + 1) / moves, y + dy * (k + 1) / moves, buttons=1)
        if during is not None:
            during(k)
    mouse(dash_duo, "mouseReleased", x + dx, y + dy)


def canvas_checksum(dash_duo, graph_id=ids.MAIN_GRAPH):
    """A cheap checksum of the canvas the runs are drawn on (what reached the screen)."""
    return js(dash_duo, """
        var cv = document.querySelector('#' + arguments[0] + ' canvas.frame-overlay');
        if (!cv || !cv.width) { return null; }
        var d = cv.getContext('2d').getImageData(0, 0, cv.width, cv.height).data, s = 0;
        for (var i = 0; i < d.length; i += 7) { s = (s * 31 + d[i]) % 1000000007; }
        return s;""", graph_id)


def painted_pixels(dash_duo, graph_id):
    """Non-transparent pixels on the canvas laid over a graph."""
    return js(dash_duo, """var cv = document.querySelector('#' + arguments[0] + ' canvas.frame-overlay');
        if (!cv || !cv.width) { return 0; }
        var d = cv.getContext('2d').getImageData(0, 0, cv.width, cv.height).data, n = 0;
        for (var i = 3; i < d.length; i += 4) { if (d[i]) { n++; } } return n;""", graph_id)


def settled_geometry(dash_duo, gd, axes=("xaxis", "yaxis")):
    """Wait until the graph's place on the page and its axes (ranges, offsets, lengths) are
    the same in two looks a few frames apart: a pointer aimed from an older measure misses."""
    look = f"""
        var gd = arguments[0], r = gd.getBoundingClientRect(), full = gd._fullLayout;
        if (!full || !full.{axes[0]} || !full.{axes[1]}) {{ return null; }}
        var a = full.{axes[0]}, b = full.{axes[1]};
        return JSON.stringify([r.left, r.top, r.width, r.height, a.range, b.range, a._offset, b._offset, a._length,
                               b._length]);"""
    previous = [None]

    def same_as_before():
        now = js(dash_duo, look, gd)
        stable = now is not None and now == previous[0]
        previous[0] = now
        if not stable:
            time.sleep(0.15)
        return stable

    wait_until(same_as_before, message="the graph's layout to settle")


def click_data_point(dash_duo, gd, x, y, axes=("xaxis", "yaxis"), click=True):
    """Move the mouse to where data point (x, y) is drawn on the given axes (and click),
    once the graph's layout has settled."""
    settled_geometry(dash_duo, gd, axes)
    offset = js(dash_duo, f"""
        var gd = arguments[0], xa = gd._fullLayout.{axes[0]}, ya = gd._fullLayout.{axes[1]};
        return [xa._offset + xa.c2p(arguments[1]) - gd.clientWidth / 2,
                ya._offset + ya.c2p(arguments[2]) - gd.clientHeight / 2];""", gd, x, y)
    chain = ActionChains(dash_duo.driver).move_to_element(gd).move_by_offset(round(offset[0]), round(offset[1]))
    if click:
        chain = chain.click()
    chain.perform()


def main_graph(dash_duo):
    return dash_duo.find_element(css_id(ids.MAIN_GRAPH) + " .js-plotly-plot")


def severe_logs(dash_duo, ignore=()):
    """Console errors, less any whose message contains one of ``ignore``."""
    return [entry for entry in dash_duo.get_logs()
            if not any(text in entry.get("message", "") for text in ignore)]


def set_viewport(dash_duo, width, height):
    """Emulate a viewport of exactly ``width`` x ``height`` CSS pixels."""
    dash_duo.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                                    {"width": width, "height": height, "deviceScaleFactor": 1,
                                     "mobile": False})
    wait_until(lambda: js(dash_duo, "return [window.innerWidth, window.innerHeight];") == [width, height],
               message=f"a {width}x{height} viewport")


def rect(dash_duo, element_or_selector):
    element = element_or_selector
    if isinstance(element_or_selector, str):
        element = dash_duo.find_element(element_or_selector)
    return js(dash_duo, "var r = arguments[0].getBoundingClientRect();"
                        "return {left: r.left, top: r.top, right: r.right, bottom: r.bottom, "
                        "width: r.width, height: r.height};", element)


def choose(dash_duo, dropdown_id, value):
    """Pick ``value`` in a Dash 4 dropdown with the mouse (open it, click the option)."""
    dropdown = dash_duo.find_element(css_id(dropdown_id))
    js(dash_duo, "arguments[0].scrollIntoView({block: 'center'});", dropdown)
    dropdown.click()
    # the open list is a group of labels around native radios (assets/00_core.js, nameControls)
    option = wait_until(lambda: dash_duo.find_element(f".dash-dropdown-options input[value='{value}']"),
                        message=f"the option {value!r}")
    option.find_element("xpath", "./ancestor::label").click()


def open_formula(dash_duo, key):
    """Show the formula ``key`` (a button typesets it on demand) and wait for the typeset math."""
    button = dash_duo.find_element(css_id({"type": ids.FORMULA_TOGGLE, "key": key}))
    js(dash_duo, "arguments[0].scrollIntoView({block: 'center'});", button)
    button.click()
    body = css_id({"type": ids.FORMULA_BODY, "key": key})
    wait_until(lambda: dash_duo.find_elements(body + " mjx-container"), message=f"the formula {key!r} typeset")
    return dash_duo.find_element(body)
