"""The instruments and the surface's extras, called as plain functions: the typed
surface and the loss scale through state, URL and the race (ui.race.surface, .flow);
the numbers behind every chart, arrow and readout (ui.instruments.data, .readout)
against optimizers.diagnostics and the trajectories; the noise fan; the lessons' live
numbers."""

from unittest import mock

import numpy as np
import pytest
import sympy
from dash import no_update

from descent_lab import optimizers, surfaces
from descent_lab.ui.core.codec import decode_f4
from descent_lab.ui.core.engine import trajectory
from descent_lab.ui.core.state import default_state, make_surface, validate_state

CUSTOM = "custom"  # the typed surface: one of surfaces.ENTRIES
from descent_lab.ui.core.url import decode_url, encode_url
from descent_lab.ui.race import surface as race_surface
from descent_lab.ui.race.flow import respond


def run_one(state, index):
    return trajectory(state, index)


def _load(search=None):
    """The page opened at ``search`` (by default the plain default set-up; an empty link
    opens the first lesson instead)."""
    if search is None:
        search = encode_url(default_state())
    return respond(None, {"kind": "load", "search": search})


def _custom_state(text="x**2 + 3*y**2", **bounds):
    params = {"expression": text, "xmin": -4.0, "xmax": 4.0, "ymin": -3.0, "ymax": 3.0, **bounds}
    state, errors = validate_state({**default_state(), "surface": {"key": CUSTOM, "params": params}})
    assert errors == []
    return state


def _alert_text(out) -> str:
    return str(out["alerts"])


# ------------------------------------------------------------ typed surface

def test_custom_surface_round_trips_through_the_url():
    state = _custom_state("sin(x)*cos(y) + 0.1*(x**2 + y**2)")
    state["surface"]["params"]["scale"] = 10.0
    url = encode_url(state)
    assert "surface=custom(xmin=-4,xmax=4,ymin=-3,ymax=3,scale=10)" in url
    # the text rides by its parameter's name, "+" escaped (a query reads it as " ")
    assert "expression=sin(x)*cos(y)%20%2B%200.1*(x**2%20%2B%20y**2)" in url
    assert decode_url(url.replace("expression=", "f="))[0] == state  # links from before still open
    decoded, errors = decode_url(url)
    assert errors == [] and decoded == state
    # the text is re-parsed on load: the surface is the engine's for that text
    surface = make_surface(decoded["surface"])
    expected = surfaces.from_expression("sin(x)*cos(y) + 0.1*(x**2 + y**2)", ((-4, 4), (-3, 3))).scaled(10.0)
    pts = np.random.default_rng(0).uniform(-3, 3, size=(20, 2))
    np.testing.assert_allclose(surface.f(pts), expected.f(pts))
    np.testing.assert_allclose(surface.grad(pts), expected.grad(pts))


def test_loading_a_typed_surface_sends_its_contour_formula_and_controls():
    out = _load(encode_url(_custom_state()))
    assert out["surface_key"] == CUSTOM
    assert out["surface"]["box"] == [[-4.0, 4.0], [-3.0, 3.0]] == out["paths"]["bounds"]
    text = str(out["surface_info"])  # typeset on demand: the sources wait in the formula boxes
    assert "x^{2}" in text and "\\nabla f" in text and "formula-toggle" in text and "mathjax" not in text
    controls = str(out["surface_params"])
    assert "x**2 + 3*y**2" in controls and "xmin" in controls
    assert "Custom f(x, y)" in out["status"]


HOSTILE = [
    ("x +", "Syntax error"),
    ("__import__('os')", "not allowed"),
    ("().__class__", "not allowed"),
    ("x.real", "Attribute access"),
    ("9**9**9**9", "too large"),
    ("x" * 100_000, "at most 500 characters"),
    ("open('/etc/passwd')", "not allowed"),
    ("lambda: 0", "lambda"),
    ("[x for x in y]", "Comprehensions"),
    ("1 + 2", "x or y"),
    ("", "type a function"),
    (None, "must be text"),
    (12, "must be text"),
]


@pytest.mark.parametrize("text,message", HOSTILE)
def test_hostile_typed_input_gets_a_message_and_changes_nothing(text, message):
    state = _load(encode_url(_custom_state()))["state"]
    with mock.patch.object(sympy, "diff", wraps=sympy.diff) as derivatives, \
            mock.patch.object(optimizers, "run", wraps=optimizers.run) as engine:
        out = respond(state, {"kind": "sparam_text", "name": "expression", "value": text})
    assert derivatives.call_count == 0 and engine.call_count == 0  # refused before any work
    assert out["state"] == state
    assert message.lower() in _alert_text(out).lower()
    assert out["paths"] is no_update and out["surface"] is no_update


def test_a_hostile_url_falls_back_to_the_default_surface_with_the_reason():
    state, errors = decode_url("?surface=custom&f=__import__('os').system('rm')")
    assert state["surface"]["key"] == "valley"
    assert any("not allowed" in e for e in errors)
    state, errors = decode_url("?surface=valley&f=x**2")
    assert state["surface"]["key"] == "valley" and any("ignored" in e for e in errors)


def test_typing_a_function_replaces_the_contour_and_keeps_the_start_when_it_fits():
    state = _load(encode_url(_custom_state()))["state"]
    state_start = state["start"]
    out = respond(state, {"kind": "sparam_text", "name": "expression", "value": "(x - 1)**2 + 10*(y + 0.5)**2"})
    assert out["state"]["surface"]["params"]["expression"] == "(x - 1)**2 + 10*(y + 0.5)**2"
    assert out["surface"] is not no_update and out["paths"] is not no_update
    assert out["state"]["start"] == state_start
    assert out["view_store"]["autoplay"] is True
    z = decode_f4(out["surface"]["contour"]["z"])
    xs = decode_f4(out["surface"]["contour"]["x"])
    ys = decode_f4(out["surface"]["contour"]["y"])
    f = surfaces.from_expression("(x - 1)**2 + 10*(y + 0.5)**2", ((-4, 4), (-3, 3))).f
    grid = np.stack(np.meshgrid(xs, ys), -1)
    values = f(grid)
    # a steep bowl crowds a linear scale's lowest band: it is coloured on a log scale of the
    # gap to the plot's minimum, as the built-in banana surfaces are
    assert out["surface"]["colour_title"] == "log₁₀(f − min on the plot)"
    gap = values - values.min()
    expected = np.log10(gap + max(np.percentile(gap, 99) * 1e-6, 1e-12))
    np.testing.assert_allclose(z.reshape(grid.shape[:2]), expected, rtol=1e-4, atol=1e-3)
    # the paths are the engine's on that surface
    traj = run_one(out["state"], 0)
    surface = make_surface(out["state"]["surface"])
    ref = optimizers.run(out["state"]["runs"][0]["optimizer"], surface, out["state"]["start"],
                         out["state"]["steps"], **out["state"]["runs"][0]["hparams"])
    np.testing.assert_allclose(traj.xy, ref.xy)


def test_bounds_are_validated_and_applied():
    state = _load(encode_url(_custom_state()))["state"]
    out = respond(state, {"kind": "sparam_text", "name": "xmax", "value": 6})
    assert out["state"]["surface"]["params"]["xmax"] == 6.0
    assert out["surface"]["box"][0] == [-4.0, 6.0]
    bad = respond(state, {"kind": "sparam_text", "name": "xmax", "value": -9})
    assert bad["state"] == state and "xmin must be less than xmax" in _alert_text(bad)
    for value in (float("nan"), "1e3", None, True):
        refused = respond(state, {"kind": "sparam_text", "name": "ymin", "value": value})
        assert refused["state"] == state and refused["alerts"] is not no_update
    crafted = respond(state, {"kind": "sparam_text", "name": "__class__", "value": 1})
    assert crafted["state"] == state and "no parameter" in _alert_text(crafted)


def test_picking_custom_in_the_list_shows_the_example_and_a_surface_slider_cannot_crash_it():
    state = _load()["state"]
    out = respond(state, {"kind": "surface", "value": CUSTOM})
    assert out["state"]["surface"]["key"] == CUSTOM
    assert out["state"]["surface"]["params"]["expression"] == "sin(x)*cos(y) + 0.1*(x**2 + y**2)"
    assert "notice" in str(out["alerts"]) and "refused" not in _alert_text(out)  # what changed, not a refusal
    crafted = respond(out["state"], {"kind": "sparam", "name": "condition", "value": 3.0})
    assert crafted["state"] == out["state"] and "no parameter" in _alert_text(crafted)
    back = respond(out["state"], {"kind": "surface", "value": "rosenbrock"})
    assert back["state"]["surface"]["key"] == "rosenbrock"
    assert CUSTOM in [o["value"] for o in race_surface.surface_options()]


# ------------------------------------------------------------ loss scale

def test_loss_scale_changes_the_paths_not_the_contour_and_rides_in_the_url():
    state = _load()["state"]
    out = respond(state, {"kind": "scale", "value": 1.0})  # log10 slider: c = 10
    new = out["state"]
    assert new["surface"]["params"]["scale"] == 10.0
    assert out["surface"] is no_update and out["surface_params"] is no_update
    assert out["paths"] is not no_update
    assert "scale=10" in out["url"] and decode_url(out["url"])[0] == new
    # gradient descent feels c, Adam barely does
    s1 = surfaces.get("valley", **state["surface"]["params"])
    s10 = surfaces.get("valley", scale=10.0, **state["surface"]["params"])
    for i, run in enumerate(new["runs"]):
        ref = optimizers.run(run["optimizer"], s10, new["start"], new["steps"], **run["hparams"])
        np.testing.assert_allclose(run_one(new, i).xy, ref.xy)
    gd1 = optimizers.run("gd", s1, new["start"], 50, lr=0.1)
    gd10 = optimizers.run("gd", s10, new["start"], 50, lr=0.1)
    adam1 = optimizers.run("adam", s1, new["start"], 50, lr=0.1)
    adam10 = optimizers.run("adam", s10, new["start"], 50, lr=0.1)
    assert np.abs(gd1.xy - gd10.xy[: len(gd1.xy)]).max() > 1.0
    assert np.abs(adam1.xy - adam10.xy).max() < 1e-3
    # out of range from a crafted request: refused, nothing changes
    for value in (9.0, float("nan"), "1"):
        refused = respond(new, {"kind": "scale", "value": value})
        assert refused["state"] == new and refused["alerts"] is not no_update


def test_scale_survives_a_surface_change_and_is_validated_in_the_state():
    state = _load("?surface=valley(condition=10,angle=0,scale=0.1)")["state"]
    assert state["surface"]["params"]["scale"] == 0.1
    moved, _ = race_surface.set_scale(state, 100.0)
    out = respond(moved, {"kind": "surface", "value": "bowl"})
    assert out["state"]["surface"]["params"] == {"scale": 100.0}
    assert out["paths"]["controls"]["scale"] == ["100", 2.0]  # the slider's position and its exact value
    checked, errors = validate_state({**state, "surface": {"key": "bowl", "params": {"scale": 1e9}}})
    assert checked["surface"]["params"] == {} and any("loss scale" in e for e in errors)


# ------------------------------------------------------------ arrays behind the instruments

from descent_lab.optimizers.diagnostics import (  # noqa: E402
    descent_angle,
    rescaled_direction,
    sharpness,
    velocity_direction,
)
from descent_lab.ui.core import engine, registry  # noqa: E402
from descent_lab.ui.core.state import MAX_FAN  # noqa: E402
from descent_lab.ui.instruments import data  # noqa: E402
from descent_lab.ui.instruments import readout as rules  # noqa: E402
from descent_lab.ui.instruments.callbacks import readout  # noqa: E402
from descent_lab.ui.instruments.layout import chart_layouts  # noqa: E402

INSTRUMENTS = registry.NAMES
ALL_SHOWN = list(INSTRUMENTS)


def _state_with(search: str) -> dict:
    state, errors = decode_url(search)
    assert errors == []
    return state


def _f4(spec):
    return decode_f4(spec).astype(float)


@pytest.mark.parametrize("key", list(optimizers.REGISTRY))
def test_instrument_arrays_are_the_engines_numbers(key):
    state = _state_with(f"?surface=rosenbrock&run={key}&steps=40&show={','.join(ALL_SHOWN)}")
    traj = run_one(state, 0)
    surface = make_surface(state["surface"])
    arrays = data.run_arrays(state["show"], traj, surface)
    spec = optimizers.REGISTRY[key]

    def close(spec_array, expected):
        np.testing.assert_allclose(_f4(spec_array), np.asarray(expected, float), rtol=2e-6, atol=1e-30,
                                   equal_nan=True)

    close(arrays["gx"], traj.grad_used[:, 0])
    close(arrays["ey"], traj.lr_eff[:, 1])
    close(arrays["angle"], descent_angle(traj.step, traj.grad_used))
    close(arrays["sharp"], sharpness(traj, surface))
    velocity = velocity_direction(traj, spec.velocity)
    if velocity is None:
        assert "vx" not in arrays
    else:
        close(arrays["vy"], velocity[:, 1])
    assert "state" not in arrays  # the readout gets only the paused step's numbers, from the server
    assert len(_f4(arrays["angle"])) == len(traj.xy) - 1  # one per update, none after the last point


def test_the_default_page_sends_no_instrument_arrays_and_each_toggle_only_what_it_needs():
    out = _load()
    assert out["state"]["show"] == [] and out["state"]["fan"] == 0
    assert all("inst" not in run and "fan" not in run for run in out["paths"]["runs"])
    state = out["state"]
    on = respond(state, {"kind": "show", "value": ["angle"]})
    assert on["state"]["show"] == ["angle"] and "show=angle" in on["url"]
    assert set(on["paths"]["runs"][0]["inst"]) == {"angle"}  # every run resent, with its angles
    assert len(on["paths"]["runs"]) == 3
    # an arrow drawn from the path itself needs no new arrays: no path sent, only the list
    step = respond(on["state"], {"kind": "show", "value": ["angle", "step"]})
    assert step["state"]["show"] == ["step", "angle"]
    assert [op["location"] for op in step["paths"].to_plotly_json()["operations"]] == [["show"], ["controls"]]
    # a slider with instruments on patches one run, its arrays included, under 100 kB for 1000 steps
    long = respond(on["state"], {"kind": "steps", "value": 1000})["state"]
    long = respond(long, {"kind": "show", "value": ALL_SHOWN})["state"]
    patch = respond(long, {"kind": "hparam", "run": 2, "name": "lr", "value": -1.0})["paths"]
    ops = patch.to_plotly_json()["operations"]
    assert [op["location"] for op in ops] == [["runs", 2], ["controls"]]
    assert "inst" in ops[0]["params"]["value"]
    import json
    assert len(json.dumps(ops)) < 100_000
    # turning everything off drops the arrays again
    off = respond(long, {"kind": "show", "value": []})
    assert all("inst" not in run for run in off["paths"]["runs"])


@pytest.mark.parametrize("value,message", [
    ("angle", "list"), (["angle", "__proto__"], "Unknown instrument"), ([1], "Unknown instrument"),
    (list(INSTRUMENTS) * 5, "list"), (None, "list"),
])
def test_hostile_toggles_are_refused(value, message):
    state = _load()["state"]
    out = respond(state, {"kind": "show", "value": value})
    assert out["state"] == state and message in _alert_text(out)
    checked, errors = validate_state({**state, "show": value})
    assert checked["show"] == [] and errors


def test_arrow_numbers_follow_the_diagnostics():
    state = _state_with("?surface=valley(condition=20,angle=45)&run=adam(lr=0.3)&run=momentum(lr=0.5,momentum=0.8)"
                        "&steps=60&show=grad,rescaled,velocity,step")
    for i in range(2):
        traj = run_one(state, i)
        for k in (0, 7, 30):
            nb = rules.frame_numbers(traj, k)
            np.testing.assert_allclose(nb["rescaled"], rescaled_direction(traj)[k])
            np.testing.assert_allclose(nb["step"], traj.xy[k + 1] - traj.xy[k])
            np.testing.assert_allclose(nb["velocity"], velocity_direction(traj, optimizers.REGISTRY[traj.key].velocity)[k])
            np.testing.assert_allclose(nb["angle"], descent_angle(traj.step, traj.grad_used)[k])
        assert rules.frame_numbers(traj, traj.steps) is None  # no update after the last point
    # momentum's velocity move is its step (torch's buffer, lr outside)
    momentum = run_one(state, 1)
    nb = rules.frame_numbers(momentum, 12)
    np.testing.assert_allclose(nb["velocity"], nb["step"], rtol=1e-9)


def test_adam_stays_within_90_degrees_on_the_bowl_and_gd_is_at_zero():
    state = _state_with("?surface=bowl&run=adam(lr=0.05)&run=gd(lr=0.1)&steps=80&show=angle")
    paths = respond(None, {"kind": "load", "search": encode_url(state)})["paths"]
    adam, gd = (_f4(run["inst"]["angle"]) for run in paths["runs"])
    assert np.nanmax(adam) < 90 and np.nanmax(adam) > 5  # downhill, but not along -g
    assert np.nanmax(gd) < 1e-3


def test_effective_lr_curves_diverge_for_adam_and_not_for_gd_on_the_valley():
    state = _state_with("?surface=valley(condition=20,angle=0)&run=gd(lr=1.8)&run=rmsprop(lr=0.3)&steps=50&show=lr")
    paths = respond(None, {"kind": "load", "search": encode_url(state)})["paths"]
    gd, rms = paths["runs"]
    np.testing.assert_allclose(_f4(gd["inst"]["ex"]), 1.8, rtol=1e-6)
    np.testing.assert_allclose(_f4(gd["inst"]["ey"]), 1.8, rtol=1e-6)
    ratio = _f4(rms["inst"]["ex"]) / _f4(rms["inst"]["ey"])
    assert ratio[:10].max() > 3  # the flat coordinate gets the larger rate
    traj = run_one(state, 1)
    np.testing.assert_allclose(_f4(rms["inst"]["ex"]), traj.lr_eff[:, 0], rtol=2e-6)


def test_sharpness_explains_the_divergence():
    state = _state_with("?surface=bowl&run=gd(lr=1.9)&run=gd(lr=2.2)&steps=100&show=sharpness")
    paths = respond(None, {"kind": "load", "search": encode_url(state)})["paths"]
    stable, unstable = (_f4(run["inst"]["sharp"]) for run in paths["runs"])
    assert stable.max() < 2 < unstable.min()
    assert paths["runs"][1]["status"] == "diverged"
    surface = make_surface(state["surface"])
    traj = run_one(state, 0)
    np.testing.assert_allclose(stable, 1.9 * np.linalg.eigvalsh(surface.hess(traj.xy[:-1]))[:, -1], rtol=1e-6)


def test_chart_layouts_mark_90_degrees_and_2():
    layouts = chart_layouts()
    assert set(layouts) == set(registry.CHARTS)
    assert layouts["angle"]["shapes"][0]["y0"] == 90 and "90°" in layouts["angle"]["annotations"][-1]["text"]
    assert layouts["angle"]["annotations"][0]["text"] == "angle to −g (°)"  # the title, inside the chart
    assert layouts["sharpness"]["shapes"][0]["y0"] == 2
    assert layouts["lr"]["yaxis"]["type"] == "log" and layouts["angle"]["yaxis"]["type"] == "linear"


# ------------------------------------------------------------ the readout

def _lines(state, i, k):
    traj = run_one(state, i)
    return traj, {line["lhs"]: line for line in rules.rule_lines(traj, k)}


RULE_RUNS = ["gd(lr=0.1,weight_decay=0.01)", "momentum(lr=0.05,momentum=0.9,dampening=0.1)", "nesterov(lr=0.05)",
             "adagrad(lr=0.5)", "rmsprop(lr=0.05)", "rmsprop(lr=0.02,momentum=0.5)", "adadelta(lr=1)",
             "adam(lr=0.1)", "adamw(lr=0.1,weight_decay=0.1)", "amsgrad(lr=0.1)", "nadam(lr=0.05)",
             "radam(lr=0.05)", "adamax(lr=0.05)", "rprop(lr=0.05)", "lion(lr=0.01)", "newton(lr=0.5)"]


@pytest.mark.parametrize("run", RULE_RUNS)
@pytest.mark.parametrize("k", [0, 1, 9])
def test_every_substituted_rule_ends_at_the_trajectorys_next_point(run, k):
    state = _state_with(f"?surface=valley(condition=10,angle=30)&run={run}&start=-6,3&steps=12&noise=0.1&seed=3")
    assert run_one(state, 0).steps == 12
    traj, lines = _lines(state, 0, k)
    np.testing.assert_allclose(lines[r"\theta_t"]["value"], traj.xy[k + 1], rtol=1e-12)
    g = lines["g_t"]["value"]
    wd = state["runs"][0]["hparams"].get("weight_decay", 0.0)
    expected_g = traj.grad_used[k] + (wd * traj.xy[k] if traj.key in ("gd", "momentum", "nesterov") else 0)
    np.testing.assert_allclose(g, expected_g, rtol=1e-12)
    latex = rules.substituted_rule(traj, k)
    assert latex.startswith("\\begin{aligned}") and latex.count("\\\\\n") == len(lines) - 1  # one row per line
    assert rules.vec(traj.xy[k + 1]) in latex  # the result, with the trajectory's numbers
    hidden = {"mu_product"} | ({"buf"} if traj.key == "rmsprop" and not state["runs"][0]["hparams"]["momentum"] else set())
    for name, value in traj.state.items():  # the moments after the update are shown
        if name not in hidden:
            assert rules.num(value[k][0]) in latex, name


@pytest.mark.parametrize("run", RULE_RUNS)
def test_each_line_is_the_rules_own_explanation_with_its_numbers(run):
    """The readout formats optimizers.explain: the same lines, each placeholder filled with
    that value's four-digit form (the engine's tests check the values against the rule)."""
    state = _state_with(f"?surface=valley(condition=10,angle=30)&run={run}&start=-6,3&steps=12&noise=0.1&seed=3")
    traj = run_one(state, 0)
    for k in range(traj.steps):
        explanation = optimizers.explain(traj, k)
        lines = rules.rule_lines(traj, k)
        assert [(line["lhs"], line["symbolic"]) for line in lines] == [(e.lhs, e.formula) for e in explanation.lines]
        for line, explained in zip(lines, explanation.lines):
            assert line["value"] == explained.value
            for value in explained.values.values():
                assert rules.latex_value(value) in line["numeric"]
        np.testing.assert_allclose(lines[-1]["value"], traj.xy[k + 1], rtol=1e-12)


def _texts(component) -> str:
    """Every string in a Dash component tree, joined (str() of a component escapes them)."""
    if isinstance(component, str):
        return component
    if isinstance(component, (list, tuple)):
        return "\n".join(_texts(c) for c in component)
    children = getattr(component, "children", None)
    return "" if children is None else _texts(children)


def test_readout_follows_the_states_frame_and_costs_nothing_when_off():
    state = _state_with("?surface=valley&run=gd(lr=1.8)&run=adam(lr=0.3)&steps=40&frame=12&show=readout")
    children = readout(state)
    text = _texts(children)
    assert "step 12" in text
    for i in range(2):
        traj = run_one(state, i)
        assert rules.vec(traj.xy[13]) in text
        assert rules.vec(traj.grad_used[12]) in text
    moved = respond(state, {"kind": "frame", "value": 13})["state"]
    assert rules.vec(run_one(moved, 0).xy[14]) in _texts(readout(moved))
    assert readout({**state, "show": []}) is no_update
    assert "not valid" in _texts(readout({"evil": 1}))  # a crafted request gets a message, not numbers
    at_end = readout({**state, "frame": 40})
    assert "No update from step 40" in _texts(at_end)


# ------------------------------------------------------------ the fan

def test_fan_is_run_batch_and_its_mean_is_nanmean():
    state = _state_with("?surface=rosenbrock&run=adam(lr=0.05)&run=gd(lr=0.002)&start=-1.2,1&steps=150"
                        "&noise=2&seed=5&fan=8")
    surface = make_surface(state["surface"])
    for i, run in enumerate(state["runs"]):
        cloud = engine.fan_paths(state, i)
        expected = optimizers.run_batch(run["optimizer"], surface, [state["start"]] * 8, 150, noise=2.0, seed=5,
                                        **run["hparams"])
        np.testing.assert_array_equal(cloud, expected)
        # run b is the single run with seed + b; run 0 is the race's own run
        single = optimizers.run(run["optimizer"], surface, state["start"], 150, noise=2.0, seed=5 + 3, **run["hparams"])
        np.testing.assert_allclose(cloud[3, : len(single.xy)], single.xy, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(cloud[0, : len(run_one(state, i).xy)], run_one(state, i).xy, rtol=1e-9, atol=1e-12)
        with np.errstate(all="ignore"):
            import warnings
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                mean = np.nanmean(expected, axis=0)
        np.testing.assert_allclose(engine.fan_mean(cloud), mean, equal_nan=True)
    out = _load(encode_url(state))
    fan = out["paths"]["runs"][0]["fan"]
    assert fan["k"] == 8 and fan["stride"] == 1 and fan["m"] == 151
    np.testing.assert_allclose(_f4(fan["mx"]), engine.fan_mean(engine.fan_paths(state, 0))[:, 0],
                               rtol=1e-6, equal_nan=True)
    assert "fan=8" in out["url"]


def test_a_diverging_seed_leaves_the_mean_of_the_others():
    paths = np.array([[[0.0, 0.0], [1.0, 1.0], [2.0, 2.0]],
                      [[0.0, 0.0], [3.0, 3.0], [np.nan, np.nan]]])
    np.testing.assert_allclose(engine.fan_mean(paths), [[0, 0], [2, 2], [2, 2]])
    assert np.isnan(engine.fan_mean(paths[:, [0, 2]][[1]])[1]).all()


def test_fan_needs_noise_is_strided_to_a_budget_and_validated():
    state = _state_with("?run=adam(lr=0.3)&steps=100&fan=10")
    assert "fan" not in _load(encode_url(state))["paths"]["runs"][0]  # no noise: every seed agrees
    state = _state_with(f"?run=adam(lr=0.3)&steps=2000&noise=1&fan={MAX_FAN}")
    fan = _load(encode_url(state))["paths"]["runs"][0]["fan"]
    assert fan["stride"] == data.fan_stride(MAX_FAN, 2000) > 1
    assert fan["k"] * fan["m"] <= data.FAN_POINTS_PER_RUN + fan["k"]
    assert len(_f4(fan["mx"])) == 2001  # the mean keeps every step
    base = _load()["state"]
    for value in (MAX_FAN + 1, -1, 2.5, "5", None):
        refused = respond(base, {"kind": "fan", "value": value})
        assert refused["state"] == base and refused["alerts"] is not no_update
    moved = respond(base, {"kind": "fan", "value": 5})
    assert moved["state"]["fan"] == 5 and moved["paths"] is not no_update  # every run resent


# ------------------------------------------------------------ lessons point at the instruments

from descent_lab.ui.race import lessons  # noqa: E402
from descent_lab.ui.core import ids  # noqa: E402
from descent_lab.ui.core import registry as ids_registry  # noqa: E402
from descent_lab.ui.race import teach  # noqa: E402

def _find(component, component_id):
    if getattr(component, "id", None) == component_id:
        return component
    children = component if isinstance(component, (list, tuple)) else getattr(component, "children", None)
    if isinstance(children, (list, tuple)):
        return next((f for f in (_find(c, component_id) for c in children) if f is not None), None)
    return None if children is None or isinstance(children, str) else _find(children, component_id)


@pytest.mark.parametrize("lesson", list(lessons.LESSONS), ids=lambda p: p.key)
def test_each_lesson_explains_its_instruments_and_switches_them_on(lesson):
    assert lesson.live is not None
    out = respond(_load()["state"], {"kind": "lesson", "key": lesson.key})
    assert out["alerts"] is no_update
    assert out["state"]["show"] == [name for name in ids_registry.NAMES if name in lesson.state.get("show", [])]
    assert out["show"] == out["state"]["show"]
    assert _find(out["lesson"], ids.LESSON_LIVE) is not None  # where the browser writes the number
    assert lesson.look in _texts(out["lesson"])
    # the number is computed here, per run and per step, and the browser only slices it
    paths = out["paths"]
    assert paths["lesson_live"] == {"label": lesson.live.label, **teach.FORMATS[lesson.live.fmt]}
    state = out["state"]
    expected = lesson.live.compute([run_one(state, i) for i in range(len(state["runs"]))],
                                   make_surface(state["surface"]))
    for run, values in zip(paths["runs"], expected):
        np.testing.assert_allclose(_f4(run["live"]["values"]), np.asarray(values, float), rtol=2e-6, atol=1e-30,
                                   equal_nan=True)
    # a changed set-up is no longer the lesson's: no live number
    moved = respond(state, {"kind": "steps", "value": state["steps"] - 1})
    assert not teach.applies(moved["state"]) and moved["paths"]["lesson_live"] is None
    assert all("live" not in run for run in moved["paths"]["runs"])


# ------------------------------------------------------------ typed input, fuzzed through the app

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_TOKENS = st.sampled_from(["x", "y", "+", "-", "*", "/", "**", "^", "(", ")", "sin", "exp", "log", "sqrt", "abs",
                           "atan2", ",", "1", "2.5", "1e300", "9", ".", "_", "__import__", "'os'", "[", "]",
                           "lambda", ":", "=", " ", "pi", "e", "min", "max", "\u2212", "#", "\\"])
_BASE = _load(encode_url(_custom_state()))["state"]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.one_of(st.lists(_TOKENS, max_size=25).map("".join), st.text(max_size=60)))
def test_any_typed_text_gets_a_surface_or_a_message_with_bounded_work(text):
    with mock.patch.object(sympy, "diff", wraps=sympy.diff) as derivatives, \
            mock.patch.object(optimizers, "run", wraps=optimizers.run) as engine:
        out = respond(_BASE, {"kind": "sparam_text", "name": "expression", "value": text})
    # bounded work whatever the text: a fixed number of derivatives (the gradient, the
    # Hessian, their LaTeX) and at most one engine run per run of the race
    assert derivatives.call_count <= 9 and engine.call_count <= len(_BASE["runs"])
    if out["state"] == _BASE:  # refused (or the same text): the reason is in the page
        assert out["alerts"] is not no_update or text == _BASE["surface"]["params"]["expression"]
    else:
        assert out["state"]["surface"]["params"]["expression"] == text
        assert out["surface"] is not no_update and out["alerts"] is no_update
        assert decode_url(out["url"])[0] == out["state"]  # it round-trips through the link
