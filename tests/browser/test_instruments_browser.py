"""The instruments in real headless Chromium (dash_duo; flags in tests/conftest.py): a typed
surface, the charts and arrows following the frame, the readout, the fan, the 3D view, a
lesson's instruments and live number, the loss scale."""

from browser_helpers import (
    alert_text,
    css_id,
    current_state,
    js,
    lab,
    open_formula,
    page_state,
    painted_pixels,
    pause,
    reload,
    run_xy,
    start,
    thumb_of,
    type_into,
    wait_until,
)
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.keys import Keys

from descent_lab.ui.core import engine, ids, registry, theme
from descent_lab.ui.core.state import make_surface
from descent_lab.ui.instruments import readout
from descent_lab.ui.race import lessons


def shown(dash_duo, box_id):
    return js(dash_duo, "var b = document.getElementById(arguments[0]); return !!b && b.style.display === 'block'"
                        " && b.offsetHeight > 50;", box_id)


def chart_box(name):
    return ids.box(ids.chart(name))


def toggle(dash_duo, name):
    dash_duo.find_element(css_id(ids.SHOW) + f" input[value={name}]").click()


def test_ins001_typed_surface_shows_its_contour_and_a_bad_one_its_message(dash_duo, descent_app):
    start(dash_duo, descent_app, "?surface=custom(xmin=-4,xmax=4,ymin=-3,ymax=3)&f=x**2%20%2B%203*y**2"
                                 "&run=gd(lr=0.05)&run=adam(lr=0.1)&steps=60")
    pause(dash_duo)
    state = current_state(dash_duo)
    assert state["surface"] == {"key": "custom", "params": {"expression": "x**2 + 3*y**2", "xmin": -4.0,
                                                            "xmax": 4.0, "ymin": -3.0, "ymax": 3.0}}
    assert lab(dash_duo, "c.surface.key") == "custom"
    assert lab(dash_duo, "c.paths.bounds") == [[-4, 4], [-3, 3]]
    # f and its gradient are shown back as rendered math (each typeset when its button shows it)
    open_formula(dash_duo, "surface-custom")
    gradient = open_formula(dash_duo, "surface-custom-gradient")
    assert "∇" in gradient.text or "nabla" in gradient.get_attribute("innerHTML")
    field = css_id(ids.sparam_text("expression"))
    assert dash_duo.find_element(field).get_attribute("value") == "x**2 + 3*y**2"

    # a hostile text: a message, nothing else changes
    js(dash_duo, "window.__c = window.descentLab.surfaceRaw;")
    type_into(dash_duo, field, "__import__('os')")
    wait_until(lambda: "not allowed" in alert_text(dash_duo), message="the refusal")
    assert "__import__" in alert_text(dash_duo)
    assert current_state(dash_duo)["surface"]["params"]["expression"] == "x**2 + 3*y**2"
    assert js(dash_duo, "return window.descentLab.surfaceRaw === window.__c;")
    type_into(dash_duo, field, "x +")
    wait_until(lambda: "Syntax error" in alert_text(dash_duo), message="the syntax message")

    # a good one: a new contour, the URL carries the text
    type_into(dash_duo, field, "sin(x)*cos(y) + 0.1*(x**2 + y**2)")
    wait_until(lambda: current_state(dash_duo)["surface"]["params"]["expression"] ==
               "sin(x)*cos(y) + 0.1*(x**2 + y**2)", message="the new function in the URL")
    wait_until(lambda: js(dash_duo, "return window.descentLab.surfaceRaw !== window.__c;"), message="a new contour")
    assert "expression=sin(x)*cos(y)" in js(dash_duo, "return window.location.search;")
    # the bounds can be typed too
    type_into(dash_duo, css_id(ids.sparam_text("xmax")), "6")
    wait_until(lambda: current_state(dash_duo)["surface"]["params"]["xmax"] == 6.0, message="the new bound")
    wait_until(lambda: lab(dash_duo, "c.surface.box[0][1]") == 6, message="the contour over the new box")
    assert dash_duo.get_logs() == []


def test_ins002_charts_and_arrows_appear_follow_the_frame_and_toggle(dash_duo, descent_app):
    # every chart: Prodigy's run gives the distance estimate chart its curves
    start(dash_duo, descent_app, "?surface=valley(condition=20,angle=45)&run=gd(lr=1.8)&run=adam(lr=0.3)"
                                 "&run=momentum(lr=0.5,momentum=0.8)&run=prodigy(lr=1)&steps=80&frame=10"
                                 "&show=grad,rescaled,velocity,step,angle,lr,sharpness,edge,estimate")
    assert set(registry.CHARTS) <= set(current_state(dash_duo)["show"])
    for name in registry.CHARTS:
        wait_until(lambda: shown(dash_duo, chart_box(name)), message=f"the {name} chart")
        wait_until(lambda: painted_pixels(dash_duo, ids.chart(name)) > 300, message=f"curves on the {name} chart")
    assert dash_duo.find_element(css_id(ids.ARROW_LEGEND)).is_displayed()
    assert lab(dash_duo, "c.frame") == 10
    # the arrows at step 10: -g has the fixed length, the others share one scale per run
    arrows = lab(dash_duo, "c.instruments.arrowVectors(1)")
    assert set(arrows) == {"grad", "rescaled", "velocity", "step"}
    lengths = {k: (v[0] ** 2 + v[1] ** 2) ** 0.5 for k, v in arrows.items()}
    span = lab(dash_duo, "Math.min(document.querySelector('#main-graph .js-plotly-plot')._fullLayout.xaxis._length,"
                         "document.querySelector('#main-graph .js-plotly-plot')._fullLayout.yaxis._length)")
    assert abs(lengths["grad"] - 0.12 * span) < 0.5
    assert abs(max(lengths["rescaled"], lengths["velocity"], lengths["step"]) - 0.12 * span) < 0.5
    before = lab(dash_duo, "c.instruments.numbers(1)")
    dash_duo.find_element(css_id(ids.STEP_FWD)).click()
    assert lab(dash_duo, "c.frame") == 11
    after = lab(dash_duo, "c.instruments.numbers(1)")
    assert after["t"] == before["t"] + 1 and after["angle"] != before["angle"]
    assert lab(dash_duo, "c.instruments.arrowVectors(1)") != arrows
    # the charts' frame marker moved: the overlay differs from the frame before
    angle_overlay = f"return document.querySelector('#{ids.chart('angle')} canvas.frame-overlay').toDataURL();"
    snap = js(dash_duo, angle_overlay)
    dash_duo.find_element(css_id(ids.STEP_FWD)).click()
    wait_until(lambda: js(dash_duo, angle_overlay) != snap, message="the angle chart's marker to move")
    # hovering a path point reads that step's numbers
    gd = dash_duo.find_element("#main-graph .js-plotly-plot")
    offset = js(dash_duo, """
        var gd = arguments[0], xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis, r = window.descentLab.runs[1];
        return [xa._offset + xa.c2p(r.x[4]) - gd.clientWidth / 2, ya._offset + ya.c2p(r.y[4]) - gd.clientHeight / 2];""",
                gd)
    ActionChains(dash_duo.driver).move_to_element(gd).move_by_offset(round(offset[0]), round(offset[1])).perform()
    tip = wait_until(lambda: dash_duo.find_element("#main-graph .hover-tip").text, message="the readout")
    assert "step 4" in tip and "g = (" in tip and "η_eff = (" in tip and "Δθ = (" in tip
    # toggling: the angle chart goes away, and the URL says so
    toggle(dash_duo, "angle")
    wait_until(lambda: not shown(dash_duo, chart_box("angle")), message="the angle chart hidden")
    wait_until(lambda: current_state(dash_duo)["show"] == ["grad", "rescaled", "velocity", "step", "lr", "sharpness",
                                                           "edge", "estimate"],
               message="the toggles in the URL")
    for kind in registry.ARROWS:
        toggle(dash_duo, kind)
    wait_until(lambda: lab(dash_duo, "Object.keys(c.instruments.arrowVectors(1) || {}).length") == 0,
               message="no arrows")
    assert not dash_duo.find_element(css_id(ids.ARROW_LEGEND)).is_displayed()
    assert dash_duo.get_logs() == []


def test_ins003_readout_follows_the_frame_with_the_substituted_rule(dash_duo, descent_app):
    start(dash_duo, descent_app, "?surface=valley(condition=20,angle=0)&run=gd(lr=1.8)&run=adam(lr=0.3)"
                                 "&steps=60&frame=5")
    readout_box = ids.box(ids.READOUT)
    assert not shown(dash_duo, readout_box)
    toggle(dash_duo, "readout")
    wait_until(lambda: shown(dash_duo, readout_box), message="the readout")
    wait_until(lambda: "step 5" in dash_duo.find_element(css_id(ids.READOUT)).text, message="the rules at step 5")
    wait_until(lambda: len(dash_duo.find_elements(css_id(ids.READOUT) + " mjx-container")) >= 2, message="MathJax")
    # the paused step's numbers: a table of every run
    table = css_id(ids.READOUT_TABLE)
    wait_until(lambda: "step 5" in dash_duo.find_element(table).text, message="the numbers at step 5")
    assert "Adam" in dash_duo.find_element(table).text
    dash_duo.find_element(css_id(ids.STEP_FWD)).click()
    wait_until(lambda: "step 6" in dash_duo.find_element(table).text, message="the numbers at step 6")
    wait_until(lambda: "step 6" in dash_duo.find_element(css_id(ids.READOUT)).text, message="the rules at step 6")
    # the substituted numbers are the trajectory's (server and browser agree)
    traj = engine.trajectory(page_state(dash_duo), 1)
    wait_until(lambda: "update t = 7" in dash_duo.find_element(css_id(ids.READOUT)).text, message="update 7")
    adam_row = dash_duo.find_elements(table + " tbody tr")[1].text
    for pair in (traj.grad_used[6], traj.lr_eff[6], traj.xy[7] - traj.xy[6]):
        assert f"({theme.fmt_value(pair[0])}, {theme.fmt_value(pair[1])})" in adam_row, (pair, adam_row)
    # MathJax's assistive MathML holds the rendered numbers: Adam's m_t and its next point
    wait_until(lambda: len(dash_duo.find_elements(css_id(ids.READOUT) + " mjx-assistive-mml")) >= 2,
               message="typeset rules")
    spoken = js(dash_duo, "return document.querySelectorAll('#readout mjx-assistive-mml')[1].textContent;")
    for value in (traj.state["m"][6][0], traj.xy[7][0], traj.xy[7][1]):
        assert readout.num(value).replace("-", "\u2212") in spoken, (value, spoken)
    assert dash_duo.get_logs() == []


def test_ins006_the_readout_switched_on_and_off_at_once_ends_as_its_checkbox_shows(dash_duo, descent_app):
    """The page asks the readout's table before Dash hears of the click; a second click
    while the table is on its way (or after it) leaves the checkbox, Dash's value, the
    state, the address and the box agreeing: off. A third click shows the table."""
    start(dash_duo, descent_app, "?surface=valley(condition=20,angle=0)&run=gd(lr=1.8)&run=adam(lr=0.3)"
                                 "&steps=60&frame=5")
    readout_box = ids.box(ids.READOUT)
    box = dash_duo.find_element(css_id(ids.SHOW) + " input[value=readout]")
    js(dash_duo, "arguments[0].scrollIntoView({block: 'center'}); arguments[0].click(); arguments[0].click();", box)

    def agreed():
        return js(dash_duo, "var el = arguments[0], c = window.descentLab;"
                            "var dash = window.dash_component_api.getLayout(arguments[1]).props.value;"
                            "return [el.checked, dash.indexOf('readout') >= 0, (c.state.show || []).indexOf('readout') >= 0,"
                            " location.search.indexOf('readout') >= 0];", box, ids.SHOW)

    # the first click's table came and the checklist was handed its value (or not)
    wait_until(lambda: js(dash_duo, "return document.querySelectorAll(arguments[0]).length > 0"
                                    " && window.descentLab.instruments.readoutHandOver === false;",
                          css_id(ids.READOUT_TABLE) + " tbody tr"), message="the first click's table")
    wait_until(lambda: agreed() == [False] * 4 and page_state(dash_duo) == current_state(dash_duo),
               message="everything off", context=agreed)
    assert not shown(dash_duo, readout_box)
    toggle(dash_duo, "readout")
    wait_until(lambda: agreed() == [True] * 4 and page_state(dash_duo) == current_state(dash_duo), message="everything on", context=agreed)
    wait_until(lambda: shown(dash_duo, readout_box), message="the readout")
    wait_until(lambda: "step 5" in dash_duo.find_element(css_id(ids.READOUT_TABLE)).text, message="its table")
    # off, then (at another step, so its table must be asked) on with another box ticked while
    # that table is on its way: neither choice is lost
    toggle(dash_duo, "readout")
    dash_duo.find_element(css_id(ids.STEP_FWD)).click()
    wait_until(lambda: agreed() == [False] * 4 and current_state(dash_duo)["frame"] == 6
               and page_state(dash_duo) == current_state(dash_duo), message="everything off again, at step 6",
               context=agreed)
    angle = dash_duo.find_element(css_id(ids.SHOW) + " input[value=angle]")
    js(dash_duo, "arguments[0].click();", box)
    js(dash_duo, "arguments[0].click();", angle)
    wait_until(lambda: agreed() == [True] * 4 and "angle" in current_state(dash_duo)["show"]
               and page_state(dash_duo) == current_state(dash_duo), message="the readout and the angle chart on",
               context=lambda: (agreed(), current_state(dash_duo)["show"]))
    assert js(dash_duo, "return window.dash_component_api.getLayout(arguments[0]).props.value;", ids.SHOW).count(
        "angle") == 1
    assert dash_duo.get_logs() == []


def test_ins004_fan_cloud_and_3d_view_follow_the_frame(dash_duo, descent_app):
    start(dash_duo, descent_app, "?surface=rosenbrock&run=adam(lr=0.05)&run=gd(lr=0.002)&start=-1.2,1"
                                 "&steps=120&noise=3&seed=2&fan=10&frame=40")
    fan = lab(dash_duo, "c.runs.map(function (r) { return r.fan ? [r.fan.k, r.fan.mx.length] : null; })")
    assert fan == [[10, 121], [10, 121]]
    # the cloud is drawn (its cached layer) and the mean path is the engine's
    wait_until(lambda: lab(dash_duo, "!!document.querySelector('#main-graph .js-plotly-plot')._descentLayers.fan"),
               message="the fan's cloud")
    mean = lab(dash_duo, "[c.runs[0].fan.mx[40], c.runs[0].fan.my[40]]")
    expected = engine.fan_mean(engine.fan_paths(page_state(dash_duo), 0))[40]
    assert abs(mean[0] - expected[0]) < 1e-5 and abs(mean[1] - expected[1]) < 1e-5
    # the 3D view is off by default (a light page) and comes with a toggle
    box3d = chart_box("view3d")
    assert not shown(dash_duo, box3d)
    toggle(dash_duo, "view3d")
    wait_until(lambda: shown(dash_duo, box3d), message="the 3D box")
    wait_until(lambda: lab(dash_duo, "c.instruments.frame3d") == 40, message="the 3D paths at step 40")
    graph3d = f"document.getElementById('{ids.chart('view3d')}')"  # Plotly's 3D bundle draws into it
    traces = lab(dash_duo, f"{graph3d}.data.map(function (t) {{ return [t.type, (t.x || []).length]; }})")
    assert traces[0][0] == "surface" and [t[0] for t in traces[1:]] == ["scatter3d"] * 6
    assert traces[2][1] == 41 and traces[3][1] == 1  # run 1: travelled path to step 40, its head
    dash_duo.find_element(css_id(ids.STEP_FWD)).click()
    wait_until(lambda: lab(dash_duo, "c.instruments.frame3d") == 41, message="the 3D view to follow")
    assert lab(dash_duo, f"{graph3d}.data[2].x.length") == 42
    # a slider on the same surface restyles the paths in the same 3D scene
    figures = lab(dash_duo, "c.instruments.figures3d")
    js(dash_duo, f"window.__ghost = {graph3d}.data[1].x[30];")
    thumb = dash_duo.find_element(thumb_of(ids.hparam(0, "lr")))
    js(dash_duo, "arguments[0].focus();", thumb)
    thumb.send_keys(Keys.ARROW_LEFT * 5)
    wait_until(lambda: lab(dash_duo, f"{graph3d}.data[1].x[30] !== window.__ghost"),
               message="the 3D path to follow the slider")
    assert lab(dash_duo, "c.instruments.figures3d") == figures  # restyled, not rebuilt
    wait_until(lambda: abs(lab(dash_duo, f"{graph3d}.data[1].x[30]") - run_xy(dash_duo, 0)[0][30]) < 1e-9,
               message="the 3D path equal to the run's")
    assert "view3d" in current_state(dash_duo)["show"] and current_state(dash_duo)["fan"] == 10
    logs = [e for e in dash_duo.get_logs() if "WebGL" not in e.get("message", "")]
    assert logs == []


def live_lesson():
    """A lesson with a live number and instruments, and its set-up."""
    from descent_lab.ui.race import teach

    for key, lesson in ((lesson.key, lesson) for lesson in lessons.LESSONS):
        state, _ = teach.lesson_state(key)
        if lesson.live is not None and any(name in registry.CHARTS for name in state["show"]):
            return key, lesson, state
    raise AssertionError("no lesson has a live number and a chart")


def test_ins005_a_lesson_switches_its_instruments_on_and_shows_its_key_number_live(dash_duo, descent_app):
    key, lesson, expected = live_lesson()
    start(dash_duo, descent_app, "?surface=bowl&run=gd(lr=0.1)&start=3,1.5&steps=50")
    assert current_state(dash_duo)["show"] == []
    dash_duo.find_element(css_id(ids.lesson_pick(key))).click()
    wait_until(lambda: current_state(dash_duo)["lesson"] == key, message="the lesson")
    assert current_state(dash_duo)["show"] == expected["show"]
    for name in expected["show"]:
        if name in registry.CHARTS:
            wait_until(lambda: shown(dash_duo, chart_box(name)), message=f"its {name} chart")
    pause(dash_duo)
    frame = min(20, expected["steps"] - 1)
    js(dash_duo, f"window.descentLab.seek({frame});")
    heading = f"{lesson.live.label} at step {frame}"
    wait_until(lambda: heading in dash_duo.find_element(css_id(ids.LESSON_LIVE)).text, message="the live number")
    live = dash_duo.find_element(css_id(ids.LESSON_LIVE)).text
    # each run's number at this step is the engine's
    state = page_state(dash_duo)
    trajs = [engine.trajectory(state, i) for i in range(len(state["runs"]))]
    values = lesson.live.compute(trajs, make_surface(state["surface"]))
    for value in values:
        v = float(value[frame])
        assert lesson.live.fmt(v) in live, (lesson.live.fmt(v), live)
    dash_duo.find_element(css_id(ids.STEP_FWD)).click()
    wait_until(lambda: f"at step {frame + 1}" in dash_duo.find_element(css_id(ids.LESSON_LIVE)).text,
               message="the next step")

    # the loss scale: a log slider in the surface panel, in the URL, gradient descent feels it
    before = run_xy(dash_duo, 0)[0][:20]
    thumb = dash_duo.find_element(thumb_of(ids.LOSS_SCALE))
    js(dash_duo, "arguments[0].scrollIntoView({block: 'center'}); arguments[0].focus();", thumb)
    thumb.send_keys(Keys.ARROW_LEFT * 30)  # 0.01 decades a key: c = 10^-0.3
    wait_until(lambda: current_state(dash_duo)["surface"]["params"].get("scale") == 0.501, message="c in the URL")
    wait_until(lambda: run_xy(dash_duo, 0)[0][:20] != before, message="new paths")
    wait_until(lambda: dash_duo.find_element(css_id(ids.LOSS_SCALE_TEXT)).get_attribute("value") == "0.501",
               message="c in its field")
    assert dash_duo.get_logs() == []


def test_ins007_the_3d_bundle_loads_when_the_pointer_or_the_keyboard_comes_to_its_switch(dash_duo, descent_app):
    start(dash_duo, descent_app, "?surface=bowl&run=gd(lr=0.1)&steps=40")
    pause(dash_duo)
    fetched = ("return performance.getEntriesByType('resource').filter(function (e) {"
               " return e.name.indexOf('plotly-gl3d') >= 0; }).length;")
    assert js(dash_duo, fetched) == 0 and not lab(dash_duo, "!!c.plotly3d")  # not for a visit that never goes near
    switch = dash_duo.find_element(css_id(ids.SHOW) + " input[value=view3d]").find_element("xpath", "./ancestor::label")
    ActionChains(dash_duo.driver).move_to_element(switch).perform()  # the pointer over it: no click
    wait_until(lambda: lab(dash_duo, "!!c.plotly3d"), message="the 3D bundle loaded on the pointer's approach")
    assert js(dash_duo, fetched) == 1
    assert lab(dash_duo, "window.Plotly !== c.plotly3d")  # the page's 2-D Plotly is kept
    assert "view3d" not in current_state(dash_duo)["show"] and not shown(dash_duo, chart_box("view3d"))
    # ticked, the view opens with the bundle already there (fetched once)
    toggle(dash_duo, "view3d")
    wait_until(lambda: lab(dash_duo, "c.instruments.has3d"), message="the 3D view drawn")
    assert js(dash_duo, fetched) == 1
    # the keyboard's focus on the switch does the same on a fresh page
    reload(dash_duo, dash_duo.server_url + "/?surface=bowl&run=gd(lr=0.1)&steps=40")
    assert not lab(dash_duo, "!!c.plotly3d")
    js(dash_duo, "arguments[0].focus();", dash_duo.find_element(css_id(ids.SHOW) + " input[value=view3d]"))
    wait_until(lambda: lab(dash_duo, "!!c.plotly3d"), message="the 3D bundle loaded on the keyboard's focus")
    assert dash_duo.get_logs() == []
