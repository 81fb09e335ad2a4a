"""Helpers shared by the browser tests: selectors for Dash ids, waiting, and the
app's own hooks (``window.descentLab``, see assets/descent.js)."""

import json
import time

from descent_lab.ui.state import decode_url


def css_id(component_id):
    """CSS selector for a (pattern-matching) Dash id."""
    if isinstance(component_id, dict):
        text = json.dumps(component_id, sort_keys=True, separators=(",", ":"))
        return '[id="' + text.replace('"', '\\"') + '"]'
    return "#" + component_id


def wait_until(predicate, timeout=15.0, interval=0.05, message="condition"):
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
    raise AssertionError(f"timed out waiting for {message} (last: {last!r})")


def js(dash_duo, script, *args):
    return dash_duo.driver.execute_script(script, *args)


def start(dash_duo, app, search=""):
    """Serve ``app``, open ``search`` and wait for the contour and the paths."""
    dash_duo.start_server(app)
    if search:
        dash_duo.driver.get(dash_duo.server_url + "/" + search)
    wait_until(lambda: js(dash_duo, "return !!(window.descentLab && window.descentLab.paths "
                                    "&& document.querySelector('#main-graph .js-plotly-plot .contour'))"),
               timeout=25, message="the contour and paths")


def lab(dash_duo, expr):
    return js(dash_duo, "var c = window.descentLab; return " + expr + ";")


def pause(dash_duo):
    js(dash_duo, "window.descentLab.pause();")


def current_state(dash_duo):
    """The app's state as the URL carries it (no errors expected)."""
    state, errors = decode_url(js(dash_duo, "return window.location.search;"))
    assert errors == []
    return state
