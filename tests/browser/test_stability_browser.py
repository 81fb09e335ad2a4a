"""The stability instruments in real headless Chromium (dash_duo; flags in tests/conftest.py):
each appears when switched on, follows the frame and goes away when switched off.

Helpers are local (ids from ``ui.core``) so this file does not depend on the shared
helpers' version."""

import json
import time

from descent_lab.optimizers import stability
from descent_lab.ui.core import ids
from descent_lab.ui.core.engine import trajectory
from descent_lab.ui.core.state import make_surface
from descent_lab.ui.core.url import decode_url


def css_id(component_id):
    if isinstance(component_id, dict):
        text = json.dumps(component_id, sort_keys=True, separators=(",", ":"))
        return '[id="' + text.replace('"', '\\"') + '"]'
    return "#" + component_id


def wait_until(predicate, timeout=20.0, interval=0.05, message="condition"):
    """Poll until ``predicate`` is truthy; the timeout only bounds a failure."""
    end, last = time.time() + timeout, None
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


def lab(dash_duo, expr):
    return js(dash_duo, "var c = window.descentLab; return " + expr + ";")


def start(dash_duo, app, search):
    dash_duo.start_server(app)
    dash_duo.driver.get(dash_duo.server_url + "/" + search)
    wait_until(lambda: js(dash_duo, "var c = window.descentLab; return !!(c && c.paths && c.state && c.surface && "
                                    "document.querySelector('#main-graph .js-plotly-plot .contour'));"),
               timeout=30, message="the contour and paths")
    js(dash_duo, "window.descentLab.pause();")


def state_of(dash_duo):
    state, errors = decode_url(js(dash_duo, "return window.location.search;"))
    assert errors == []
    return state


def shown(dash_duo, box_id):
    return js(dash_duo, "var b = document.getElementById(arguments[0]); return !!b && b.style.display === 'block'"
                        " && b.offsetHeight > 50;", box_id)


def overlay(dash_duo, graph_id):
    return js(dash_duo, "var cv = document.querySelector('#' + arguments[0] + ' canvas.frame-overlay');"
                        "return cv ? cv.toDataURL() : '';", graph_id)


def painted(dash_duo, graph_id):
    return js(dash_duo, """var cv = document.querySelector('#' + arguments[0] + ' canvas.frame-overlay');
        if (!cv) { return 0; }
        var d = cv.getContext('2d').getImageData(0, 0, cv.width, cv.height).data, n = 0;
        for (var i = 3; i < d.length; i += 4) { if (d[i]) { n++; } } return n;""", graph_id)


def toggle(dash_duo, name):
    dash_duo.find_element(css_id(ids.SHOW) + f" input[value={name}]").click()


EDGE_BOX = ids.box(ids.chart("edge"))
EDGE_GRAPH = ids.chart("edge")


def test_stb001_edge_chart_appears_follows_the_frame_says_why_and_switches_off(dash_duo, descent_app):
    start(dash_duo, descent_app, "?surface=valley(condition=20,angle=0)&run=gd(lr=2.1)&run=momentum(lr=3.5,momentum=0.9)"
                                 "&run=adam(lr=0.3)&run=lion(lr=0.1)&steps=80&frame=10")
    assert not shown(dash_duo, EDGE_BOX)
    toggle(dash_duo, "edge")
    wait_until(lambda: shown(dash_duo, EDGE_BOX), message="the edge chart's box")
    wait_until(lambda: painted(dash_duo, EDGE_GRAPH) > 300, message="curves on the edge chart")
    wait_until(lambda: "edge" in state_of(dash_duo)["show"], message="the toggle in the URL")
    # the numbers the browser slices are the engine's
    state = state_of(dash_duo)
    surface = make_surface(state["surface"])
    for index in (0, 1, 2):
        report = stability.report(trajectory(state, index), surface)
        nb = lab(dash_duo, f"c.instruments.numbers({index})")
        assert abs(nb["edge"] - report.value[10]) <= 1e-6 * abs(report.value[10])
        assert abs(nb["edgeLimit"] - report.limit) < 1e-9
    # each run's own edge: gradient descent 2, heavy ball 3.8, Adam 38; Lion has none and says so
    limits = lab(dash_duo, "c.runs.map(function (r) { return r.inst.edge_limit; })")
    assert [round(v, 6) if v is not None else None for v in limits] == [2.0, 3.8, 38.0, None]
    notes = wait_until(lambda: dash_duo.find_element(f"#{EDGE_BOX} .chart-notes").text, message="the verdicts")
    assert "diverged at step 66" in notes and "passed its edge 2" in notes
    assert "below its edge 3.8" in notes and "no stability edge is known for Lion" in notes
    assert len(dash_duo.find_elements(f"#{EDGE_BOX} .chart-note")) == 4
    # the chart follows the frame: its overlay (the frame line and markers) changes with a step
    before = overlay(dash_duo, EDGE_GRAPH)
    dash_duo.find_element(css_id(ids.STEP_FWD)).click()
    wait_until(lambda: lab(dash_duo, "c.frame") == 11, message="the next frame")
    wait_until(lambda: overlay(dash_duo, EDGE_GRAPH) != before, message="the edge chart's marker to move")
    assert lab(dash_duo, "c.instruments.numbers(0)")["t"] == 12
    # switched off: the box goes, the URL says so
    toggle(dash_duo, "edge")
    wait_until(lambda: not shown(dash_duo, EDGE_BOX), message="the edge chart hidden")
    wait_until(lambda: "edge" not in state_of(dash_duo)["show"], message="the URL without it")
    assert [e for e in dash_duo.get_logs() if e.get("level") == "SEVERE"] == []


def legend_shown(dash_duo, name):
    return js(dash_duo, "var l = document.querySelector('[data-legend=\"' + arguments[0] + '\"]');"
                        "return !!l && !l.hidden && l.offsetHeight > 20;", name)


def test_stb002_flows_are_drawn_on_the_contour_follow_the_frame_and_switch_off(dash_duo, descent_app):
    from descent_lab import optimizers
    from descent_lab.optimizers import flows

    start(dash_duo, descent_app, "?surface=edge_of_stability(c=0.01)&run=gd(lr=0.1)&run=adam(lr=0.01)&start=4,0.1"
                                 "&steps=600&noise=0.00001&frame=450")
    assert not legend_shown(dash_duo, "flows") and lab(dash_duo, "c.instruments.flowsAt(0)") is None
    toggle(dash_duo, "flows")
    wait_until(lambda: legend_shown(dash_duo, "flows"), message="the flows' legend")
    wait_until(lambda: lab(dash_duo, "c.instruments.flowsAt(0)"), message="the flows' arrays")
    state = state_of(dash_duo)
    assert "flows" in state["show"]
    described = flows.describe(trajectory(state, 0), make_surface(state["surface"]), optimizers.REGISTRY["gd"])
    at = lab(dash_duo, "c.instruments.flowsAt(0)")
    assert at["step"] == 450
    assert max(abs(a - b) for a, b in zip(at["gradient"], described.gradient.xy[450])) < 1e-5
    assert max(abs(a - b) for a, b in zip(at["central"], described.central.xy[450])) < 1e-5
    assert abs(at["sigma"] - described.central.sigma[450]) < 1e-6 and at["sigma"] > 0.04
    assert lab(dash_duo, "c.instruments.flowsAt(1)") is None  # Adam has no flows, and says why
    notes = dash_duo.find_element("[data-notes=flows]").text
    assert "reaches the edge 2/η = 20" in notes and "Adam steps otherwise" in notes
    # the drawing follows the frame
    drawn = lab(dash_duo, "c.instruments.flowsDrawn")
    dash_duo.find_element(css_id(ids.STEP_FWD)).click()
    wait_until(lambda: lab(dash_duo, "c.instruments.flowsAt(0).step") == 451, message="the flows at the next frame")
    assert lab(dash_duo, "c.instruments.flowsDrawn") > drawn
    # switched off: the legend hides and nothing more is drawn
    toggle(dash_duo, "flows")
    wait_until(lambda: not legend_shown(dash_duo, "flows"), message="the legend hidden")
    wait_until(lambda: "flows" not in state_of(dash_duo)["show"], message="the URL without flows")
    drawn = lab(dash_duo, "c.instruments.flowsDrawn")
    dash_duo.find_element(css_id(ids.STEP_FWD)).click()
    wait_until(lambda: lab(dash_duo, "c.frame") == 452, message="another frame")
    assert lab(dash_duo, "c.instruments.flowsDrawn") == drawn
    assert [e for e in dash_duo.get_logs() if e.get("level") == "SEVERE"] == []


def panel_shown(dash_duo, name):
    return js(dash_duo, "var p = document.querySelector('[data-panel=\"' + arguments[0] + '\"]');"
                        "return !!p && !p.hidden && p.offsetHeight > 40;", name)


def theory_cells(dash_duo):
    return js(dash_duo, "return Array.from(document.querySelectorAll('[data-panel=theory] tbody tr')).map("
                        "function (tr) { return Array.from(tr.children).map(function (td) { return td.textContent; }); });")


def test_stb003_theory_panel_appears_follows_the_settings_and_switches_off(dash_duo, descent_app):
    from selenium.webdriver.common.keys import Keys

    start(dash_duo, descent_app, "?surface=valley(condition=50,angle=0)&run=gd(lr=1.9607843137254901)"
                                 "&run=lion(lr=0.1)&steps=300")
    assert not panel_shown(dash_duo, "theory")
    toggle(dash_duo, "theory")
    wait_until(lambda: panel_shown(dash_duo, "theory"), message="the theory panel")
    rows = wait_until(lambda: theory_cells(dash_duo), message="its table")
    rate = next(r for r in rows if r[0].startswith("rate per step"))
    assert rate[1:4] == ["0.96078", "0.96078", "+0.00%"]
    assert any(r[0] == "condition number κ = λ1/λn" and r[1] == "50" for r in rows)
    assert any("no formula is known for Lion" in r[0] for r in rows)
    # a new learning rate: the table follows (max |1 - lr lambda| = 0.98 at lr 1)
    field = dash_duo.find_element(css_id(ids.hparam_text(0, "lr")))
    field.send_keys(Keys.CONTROL, "a")
    field.send_keys(Keys.DELETE)
    field.send_keys("1", Keys.ENTER)
    wait_until(lambda: any(r[0].startswith("rate per step") and r[1] == "0.98" for r in theory_cells(dash_duo)),
               message="the rate at lr 1")
    wait_until(lambda: state_of(dash_duo)["runs"][0]["hparams"]["lr"] == 1.0, message="lr 1 in the URL")
    # straight from the field to the checklist (the field's blur lands with the click): the
    # checklist's change is kept
    toggle(dash_duo, "theory")
    wait_until(lambda: not panel_shown(dash_duo, "theory"), message="the panel hidden")
    wait_until(lambda: "theory" not in state_of(dash_duo)["show"], message="the URL without it")
    assert [e for e in dash_duo.get_logs() if e.get("level") == "SEVERE"] == []


def test_stb004_minibatches_appear_on_a_data_surface_follow_the_frame_and_switch_off(dash_duo, descent_app):
    from descent_lab.surfaces.data import minibatch_view

    start(dash_duo, descent_app, "?surface=tips_linear(batch=8)&run=gd(lr=0.15)&start=3.5,2.5&steps=150&seed=2"
                                 "&frame=30")
    assert not legend_shown(dash_duo, "batch")
    toggle(dash_duo, "batch")
    wait_until(lambda: legend_shown(dash_duo, "batch"), message="the minibatches' legend")
    view = wait_until(lambda: lab(dash_duo, "c.instruments.batchAt(0)"), message="the minibatch view")
    state = state_of(dash_duo)
    traj = trajectory(state, 0)
    engine_view = minibatch_view(make_surface(state["surface"]).stochastic, traj.xy, traj.lr, 2)
    assert view["update"] == 30 and len(view["cloud"]) == 16
    assert max(abs(a - b) for a, b in zip(view["cloud"][3], engine_view.cloud[30, 3])) < 1e-5
    assert max(abs(a - b) for a, b in zip(view["minimizer"], engine_view.minimizer[30])) < 1e-5
    assert "minibatches of 8 of 244" in dash_duo.find_element("[data-notes=batch]").text
    drawn = lab(dash_duo, "c.instruments.batchDrawn")
    dash_duo.find_element(css_id(ids.STEP_FWD)).click()
    wait_until(lambda: lab(dash_duo, "c.instruments.batchAt(0).update") == 31, message="the next step's minibatches")
    assert lab(dash_duo, "c.instruments.batchDrawn") > drawn
    toggle(dash_duo, "batch")
    wait_until(lambda: not legend_shown(dash_duo, "batch"), message="the legend hidden")
    wait_until(lambda: "batch" not in state_of(dash_duo)["show"], message="the URL without it")
    drawn = lab(dash_duo, "c.instruments.batchDrawn")
    dash_duo.find_element(css_id(ids.STEP_FWD)).click()
    wait_until(lambda: lab(dash_duo, "c.frame") == 32, message="another frame")
    assert lab(dash_duo, "c.instruments.batchDrawn") == drawn
    assert [e for e in dash_duo.get_logs() if e.get("level") == "SEVERE"] == []


def test_stb005_the_online_counterexample_and_the_n_dimensional_plane_load_from_their_lessons(dash_duo, descent_app):
    start(dash_duo, descent_app, "?lesson=adam-forgets")
    ends = lab(dash_duo, "c.runs.map(function (r) { return r.x[r.n - 1]; })")
    assert ends[0] == 1.0 and ends[1] < -0.99  # Adam at the worst end of the box, AMSGrad at the best
    assert lab(dash_duo, "c.runs.every(function (r) { return Array.from(r.x).every(function (v) { return Math.abs(v) <= 1; }); })")
    wait_until(lambda: shown(dash_duo, ids.box(ids.chart("lr"))), message="the effective-lr chart")
    dash_duo.driver.get(dash_duo.server_url + "/?lesson=high-dimensions")
    wait_until(lambda: lab(dash_duo, "c.paths && c.paths.panels.length === 2 && !!c.twin"), timeout=30,
               message="the aligned and the turned panels")
    gd, twin = lab(dash_duo, "[Array.from(c.runs[0].loss), Array.from(c.twin[0].loss)]")
    assert len(gd) == 301 and max(abs(a - b) / max(abs(b), 1e-30) for a, b in zip(gd, twin)) < 1e-5
    assert "n-dimensional quadratic" in dash_duo.find_element(css_id(ids.STATUS)).text
    assert [e for e in dash_duo.get_logs() if e.get("level") == "SEVERE"] == []
