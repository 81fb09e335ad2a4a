"""The instruments of issue 4, called as plain functions: the typed surface and the
loss scale through state, URL and callbacks; the numbers behind every chart, arrow
and readout against optimizers.diagnostics and the trajectories."""

from unittest import mock

import numpy as np
import pytest
import sympy
from dash import no_update

from descent_lab import optimizers, surfaces
from descent_lab.ui import instrument_actions, layout
from descent_lab.ui.callbacks import respond
from descent_lab.ui.simulate import decode_f4, run_one
from descent_lab.ui.state import (
    CUSTOM,
    decode_url,
    default_state,
    encode_url,
    make_surface,
    validate_state,
)


def _load(search=""):
    return respond(None, {"kind": "load", "search": search})


def _custom_state(text="x**2 + 3*y**2", **bounds):
    params = {"expression": text, "xmin": -4.0, "xmax": 4.0, "ymin": -3.0, "ymax": 3.0, **bounds}
    state, errors = validate_state({**default_state(), "surface": {"key": CUSTOM, "params": params}})
    assert errors == []
    return state


def _alert_text(out) -> str:
    return str(out["alerts"])


# ------------------------------------------------------------ typed surface (item 8)

def test_custom_surface_round_trips_through_the_url():
    state = _custom_state("sin(x)*cos(y) + 0.1*(x**2 + y**2)")
    state["surface"]["params"]["scale"] = 10.0
    url = encode_url(state)
    assert "surface=custom(xmin=-4,xmax=4,ymin=-3,ymax=3,scale=10)" in url
    assert "f=sin(x)*cos(y)%20%2B%200.1*(x**2%20%2B%20y**2)" in url  # "+" escaped: a query reads it as " "
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
    assert out["surface"]["bounds"] == [[-4.0, 4.0], [-3.0, 3.0]]
    text = str(out["surface_info"])
    assert "x^{2}" in text and "\\nabla f" in text and "mathjax=True" in text.replace(" ", "")
    controls = str(out["surface_params"])
    assert "x**2 + 3*y**2" in controls and "xmin" in controls
    assert "Custom f(x, y)" in out["status"]


HOSTILE = [
    ("x +", "Syntax error"),
    ("__import__('os')", "not allowed"),
    ("().__class__", "not allowed"),
    ("x.real", "Attribute access"),
    ("9**9**9**9", "too large"),
    ("x" * 100_000, "too long"),
    ("open('/etc/passwd')", "not allowed"),
    ("lambda: 0", "lambda"),
    ("[x for x in y]", "Comprehensions"),
    ("1 + 2", "x or y"),
    ("", "type a function"),
    (None, "type a function"),
    (12, "must be text"),
]


@pytest.mark.parametrize("text,message", HOSTILE)
def test_hostile_typed_input_gets_a_message_quickly_and_changes_nothing(text, message):
    state = _load(encode_url(_custom_state()))["state"]
    with mock.patch.object(sympy, "diff", wraps=sympy.diff) as derivatives, \
            mock.patch.object(optimizers, "run", wraps=optimizers.run) as engine:
        out = respond(state, {"kind": "expression", "value": text})
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
    out = respond(state, {"kind": "expression", "value": "(x - 1)**2 + 10*(y + 0.5)**2"})
    assert out["state"]["surface"]["params"]["expression"] == "(x - 1)**2 + 10*(y + 0.5)**2"
    assert out["surface"] is not no_update and out["paths"] is not no_update
    assert out["state"]["start"] == state_start
    assert out["view_store"]["autoplay"] is True
    z = decode_f4(out["surface"]["contour"]["z"])
    xs = decode_f4(out["surface"]["contour"]["x"])
    ys = decode_f4(out["surface"]["contour"]["y"])
    f = surfaces.from_expression("(x - 1)**2 + 10*(y + 0.5)**2", ((-4, 4), (-3, 3))).f
    grid = np.stack(np.meshgrid(xs, ys), -1)
    inside = (z > np.percentile(z, 2)) & (z < np.percentile(z, 98))  # the colour clips to percentiles
    np.testing.assert_allclose(z.reshape(grid.shape[:2])[inside.reshape(grid.shape[:2])],
                               f(grid)[inside.reshape(grid.shape[:2])], rtol=1e-5, atol=1e-4)
    # the paths are the engine's on that surface
    traj = run_one(out["state"], 0)
    surface = make_surface(out["state"]["surface"])
    ref = optimizers.run(out["state"]["runs"][0]["optimizer"], surface, out["state"]["start"],
                         out["state"]["steps"], **out["state"]["runs"][0]["hparams"])
    np.testing.assert_allclose(traj.xy, ref.xy)


def test_bounds_are_validated_and_applied():
    state = _load(encode_url(_custom_state()))["state"]
    out = respond(state, {"kind": "bound", "name": "xmax", "value": 6})
    assert out["state"]["surface"]["params"]["xmax"] == 6.0
    assert out["surface"]["bounds"][0] == [-4.0, 6.0]
    bad = respond(state, {"kind": "bound", "name": "xmax", "value": -9})
    assert bad["state"] == state and "xmin must be less than xmax" in _alert_text(bad)
    for value in (float("nan"), "1e3", None, True):
        refused = respond(state, {"kind": "bound", "name": "ymin", "value": value})
        assert refused["state"] == state and refused["alerts"] is not no_update
    crafted = respond(state, {"kind": "bound", "name": "__class__", "value": 1})
    assert crafted["state"] == state and "no setting" in _alert_text(crafted)


def test_picking_custom_in_the_list_shows_the_example_and_a_surface_slider_cannot_crash_it():
    state = _load()["state"]
    out = respond(state, {"kind": "surface", "value": CUSTOM})
    assert out["state"]["surface"]["key"] == CUSTOM
    assert out["state"]["surface"]["params"]["expression"] == "sin(x)*cos(y) + 0.1*(x**2 + y**2)"
    assert out["alerts"] is no_update
    crafted = respond(out["state"], {"kind": "sparam", "name": "condition", "value": 3.0})
    assert crafted["state"] == out["state"] and "no parameter" in _alert_text(crafted)
    back = respond(out["state"], {"kind": "surface", "value": "rosenbrock"})
    assert back["state"]["surface"]["key"] == "rosenbrock"
    assert CUSTOM in [o["value"] for o in layout.surface_options()]


# ------------------------------------------------------------ loss scale (item 5)

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
    moved, _ = instrument_actions.set_scale(state, 100.0)
    out = respond(moved, {"kind": "surface", "value": "bowl"})
    assert out["state"]["surface"]["params"] == {"scale": 100.0}
    assert out["scale"] == 2.0
    checked, errors = validate_state({**state, "surface": {"key": "bowl", "params": {"scale": 1e9}}})
    assert checked["surface"]["params"] == {} and any("loss scale" in e for e in errors)


# ------------------------------------------------------------ arrays behind the instruments

from descent_lab.optimizers.diagnostics import (  # noqa: E402
    descent_angle,
    rescaled_direction,
    sharpness,
    velocity_direction,
)
from descent_lab.ui import instruments  # noqa: E402
from descent_lab.ui.instrument_callbacks import readout  # noqa: E402
from descent_lab.ui.state import INSTRUMENTS, MAX_FAN  # noqa: E402

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
    arrays = instruments.run_arrays(state, 0, traj, surface)["inst"]
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
    assert set(arrays["state"]) == set(traj.state)
    for name, value in traj.state.items():
        close(arrays["state"][name]["x"], value[:, 0])
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
    # an arrow drawn from the path itself needs no new arrays: no paths sent
    step = respond(on["state"], {"kind": "show", "value": ["angle", "step"]})
    assert step["paths"] is no_update and step["state"]["show"] == ["step", "angle"]
    # a slider with instruments on patches one run, its arrays included, under 100 kB for 1000 steps
    long = respond(on["state"], {"kind": "steps", "value": 1000})["state"]
    long = respond(long, {"kind": "show", "value": ALL_SHOWN})["state"]
    patch = respond(long, {"kind": "hparam", "run": 2, "name": "lr", "value": -1.0})["paths"]
    ops = patch.to_plotly_json()["operations"]
    assert [op["location"] for op in ops] == [["runs", 2]]
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
            nb = instruments.frame_numbers(traj, k)
            np.testing.assert_allclose(nb["rescaled"], rescaled_direction(traj)[k])
            np.testing.assert_allclose(nb["step"], traj.xy[k + 1] - traj.xy[k])
            np.testing.assert_allclose(nb["velocity"], velocity_direction(traj, optimizers.REGISTRY[traj.key].velocity)[k])
            np.testing.assert_allclose(nb["angle"], descent_angle(traj.step, traj.grad_used)[k])
        assert instruments.frame_numbers(traj, traj.steps) is None  # no update after the last point
    # momentum's velocity move is its step (torch's buffer, lr outside)
    momentum = run_one(state, 1)
    nb = instruments.frame_numbers(momentum, 12)
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
    layouts = instruments.chart_layouts()
    assert layouts["angle"]["shapes"][0]["y0"] == 90 and layouts["angle"]["yaxis"]["range"] == [0, 180]
    assert layouts["sharpness"]["shapes"][0]["y0"] == 2
    assert layouts["lr"]["yaxis"]["type"] == "log"


# ------------------------------------------------------------ the readout (item 4)

def _lines(state, i, k):
    traj = run_one(state, i)
    return traj, {line["lhs"]: line for line in instruments.rule_lines(traj, k, state["runs"][i]["hparams"])}


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
    latex = instruments.substituted_rule(traj, k, state["runs"][0]["hparams"])
    assert latex.startswith("\\begin{aligned}") and latex.count("\\\\") == len(lines) - 1
    assert instruments.vec(traj.xy[k + 1]) in latex  # the result, with the trajectory's numbers
    hidden = {"mu_product"} | ({"buf"} if traj.key == "rmsprop" and not state["runs"][0]["hparams"]["momentum"] else set())
    for name, value in traj.state.items():  # the moments after the update are shown
        if name not in hidden:
            assert instruments.num(value[k][0]) in latex, name


def test_adam_rule_numbers_recompute_each_line():
    state = _state_with("?surface=valley(condition=20,angle=45)&run=adam(lr=0.3,beta1=0.8,beta2=0.99)&steps=30")
    for k in (0, 5, 20):
        traj, lines = _lines(state, 0, k)
        b1, b2 = 0.8, 0.99
        m_prev = traj.state["m"][k - 1] if k else np.zeros(2)
        v_prev = traj.state["v"][k - 1] if k else np.zeros(2)
        g = traj.grad_used[k]
        np.testing.assert_allclose(lines["m_t"]["value"], b1 * m_prev + (1 - b1) * g, rtol=1e-12)
        np.testing.assert_allclose(lines["m_t"]["value"], traj.state["m"][k])
        np.testing.assert_allclose(lines["v_t"]["value"], b2 * v_prev + (1 - b2) * g * g, rtol=1e-12)
        m_hat = np.array(lines[r"\hat m_t"]["value"])
        np.testing.assert_allclose(m_hat, traj.state["m"][k] / (1 - b1 ** (k + 1)))
        eff = lines[r"\eta / (\sqrt{\hat v_t} + \epsilon)"]["value"]
        np.testing.assert_allclose(eff, traj.lr_eff[k])
        np.testing.assert_allclose(traj.xy[k] - np.array(eff) * m_hat, traj.xy[k + 1], rtol=1e-12)
        # the numbers in the text are these, to four significant digits
        assert f"{b1 * 1:.4g}" in lines["m_t"]["numeric"] and instruments.vec(m_prev) in lines["m_t"]["numeric"]


def test_momentum_and_rmsprop_rules_recompute():
    state = _state_with("?surface=valley&run=momentum(lr=0.5,momentum=0.8,dampening=0.2)"
                        "&run=rmsprop(lr=0.1,alpha=0.9,momentum=0.3)&steps=20")
    traj, lines = _lines(state, 0, 6)
    b_prev, g = traj.state["buf"][5], traj.grad_used[6]
    np.testing.assert_allclose(lines["b_t"]["value"], 0.8 * b_prev + 0.8 * g, rtol=1e-12)
    np.testing.assert_allclose(traj.xy[6] - 0.5 * np.array(lines["b_t"]["value"]), traj.xy[7], rtol=1e-12)
    traj, lines = _lines(state, 1, 6)
    v = 0.9 * traj.state["v"][5] + 0.1 * traj.grad_used[6] ** 2
    np.testing.assert_allclose(lines["v_t"]["value"], v, rtol=1e-12)
    b = 0.3 * traj.state["buf"][5] + traj.grad_used[6] / (np.sqrt(v) + 1e-8)
    np.testing.assert_allclose(lines["b_t"]["value"], b, rtol=1e-9)
    np.testing.assert_allclose(traj.xy[6] - 0.1 * b, traj.xy[7], rtol=1e-9)


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
        assert instruments.vec(traj.xy[13]) in text
        assert instruments.vec(traj.grad_used[12]) in text
    moved = respond(state, {"kind": "frame", "value": 13})["state"]
    assert instruments.vec(run_one(moved, 0).xy[14]) in _texts(readout(moved))
    assert readout({**state, "show": []}) is no_update
    assert "not valid" in _texts(readout({"evil": 1}))  # a crafted request gets a message, not numbers
    at_end = readout({**state, "frame": 40})
    assert "No update from step 40" in _texts(at_end)


# ------------------------------------------------------------ the fan (item 6)

def test_fan_is_run_batch_and_its_mean_is_nanmean():
    state = _state_with("?surface=rosenbrock&run=adam(lr=0.05)&run=gd(lr=0.002)&start=-1.2,1&steps=150"
                        "&noise=2&seed=5&fan=8")
    surface = make_surface(state["surface"])
    for i, run in enumerate(state["runs"]):
        cloud = instruments.fan_paths(state, i)
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
        np.testing.assert_allclose(instruments.fan_mean(cloud), mean, equal_nan=True)
    out = _load(encode_url(state))
    fan = out["paths"]["runs"][0]["fan"]
    assert fan["k"] == 8 and fan["stride"] == 1 and fan["m"] == 151
    np.testing.assert_allclose(_f4(fan["mx"]), instruments.fan_mean(instruments.fan_paths(state, 0))[:, 0],
                               rtol=1e-6, equal_nan=True)
    assert "fan=8" in out["url"]


def test_a_diverging_seed_leaves_the_mean_of_the_others():
    paths = np.array([[[0.0, 0.0], [1.0, 1.0], [2.0, 2.0]],
                      [[0.0, 0.0], [3.0, 3.0], [np.nan, np.nan]]])
    np.testing.assert_allclose(instruments.fan_mean(paths), [[0, 0], [2, 2], [2, 2]])
    assert np.isnan(instruments.fan_mean(paths[:, [0, 2]][[1]])[1]).all()


def test_fan_needs_noise_is_strided_to_a_budget_and_validated():
    state = _state_with("?run=adam(lr=0.3)&steps=100&fan=10")
    assert "fan" not in _load(encode_url(state))["paths"]["runs"][0]  # no noise: every seed agrees
    state = _state_with(f"?run=adam(lr=0.3)&steps=2000&noise=1&fan={MAX_FAN}")
    fan = _load(encode_url(state))["paths"]["runs"][0]["fan"]
    assert fan["stride"] == instruments.fan_stride(MAX_FAN, 2000) > 1
    assert fan["k"] * fan["m"] <= instruments.FAN_POINTS_PER_RUN + fan["k"]
    assert len(_f4(fan["mx"])) == 2001  # the mean keeps every step
    base = _load()["state"]
    for value in (MAX_FAN + 1, -1, 2.5, "5", None):
        refused = respond(base, {"kind": "fan", "value": value})
        assert refused["state"] == base and refused["alerts"] is not no_update
    moved = respond(base, {"kind": "fan", "value": 5})
    assert moved["state"]["fan"] == 5 and moved["paths"] is not no_update  # every run resent


# ------------------------------------------------------------ the 3D view (item 7)

def test_heights_interpolate_the_contour_grid():
    xs, ys = np.linspace(-2, 2, 5), np.linspace(-1, 3, 9)
    z = 3 * xs[None, :] - 2 * ys[:, None] + 1  # bilinear interpolation is exact on a plane
    px, py = np.array([-2, 0.3, 1.99, 5.0]), np.array([-1, 2.2, 2.9, 0.0])
    h = instruments.heights(xs, ys, z, px, py)
    np.testing.assert_allclose(h[:3], 3 * px[:3] - 2 * py[:3] + 1)
    assert np.isnan(h[3])  # outside the grid


def test_figure3d_puts_each_path_on_the_drawn_surface_up_to_the_frame():
    out = _load("?surface=himmelblau&run=gd(lr=0.01)&run=adam(lr=0.05)&start=0.2,-0.5&steps=50")
    fig = instruments.figure3d(out["surface"], out["paths"], frame=20)
    kinds = [trace.type for trace in fig.data]
    assert kinds == ["surface", "scatter3d", "scatter3d", "scatter3d", "scatter3d"]
    travelled, head = fig.data[1], fig.data[2]
    assert len(travelled.x) == 21 and head.x[0] == travelled.x[-1]
    contour = out["surface"]["contour"]
    xs, ys = decode_f4(contour["x"]), decode_f4(contour["y"])
    z = decode_f4(contour["z"]).reshape(len(ys), len(xs))
    lift = 0.01 * (z.max() - z.min())
    np.testing.assert_allclose(np.array(travelled.z) - lift,
                               instruments.heights(xs, ys, z, travelled.x, travelled.y), rtol=1e-6)


# ------------------------------------------------------------ lessons point at the instruments (item 9)

from descent_lab.ui import presets  # noqa: E402

METRIC_NEEDS = {"angle": "angle", "lr_ratio": "lr", "lr_eff": "lr", "sharpness": "sharpness", "step": None}


@pytest.mark.parametrize("preset", presets.PRESET_LIST, ids=lambda p: p.key)
def test_each_lesson_explains_its_instruments_and_switches_them_on(preset):
    sentences = [s for s in preset.instruments.replace("≈ ", "").split(". ") if s.strip()]
    assert 2 <= len(sentences) <= 3, preset.instruments
    assert preset.metric in METRIC_NEEDS
    out = respond(_load()["state"], {"kind": "preset", "key": preset.key})
    assert out["alerts"] is no_update
    need = METRIC_NEEDS[preset.metric]
    assert need is None or need in out["state"]["show"]
    assert out["show"] == out["state"]["show"]
    banner = layout.lesson_banner(preset.key)[0]
    live = [c for c in banner.children if getattr(c, "id", None) == "lesson-live"]
    assert live and getattr(live[0], "data-metric") == preset.metric
    assert preset.instruments in _texts(banner)


def _preset_state(key):
    return respond(_load()["state"], {"kind": "preset", "key": key})["state"]


def test_lesson_numbers_are_what_the_instruments_show():
    aligned = _preset_state("adaptive-aligned")
    ratio = run_one(aligned, 1).lr_eff[:, 0] / run_one(aligned, 1).lr_eff[:, 1]  # RMSprop
    assert abs(ratio[20] - np.sqrt(20)) < 0.3  # "about sqrt(kappa) ~ 4.5"
    np.testing.assert_allclose(run_one(aligned, 0).lr_eff, 1.8)  # gd: one line at 1.8
    assert np.nanmax(descent_angle(run_one(aligned, 2).step, run_one(aligned, 2).grad_used)[:5]) < 40
    assert np.nanmax(descent_angle(run_one(aligned, 2).step, run_one(aligned, 2).grad_used)) > 90  # Adam, later
    assert np.nanmax(descent_angle(run_one(aligned, 1).step, run_one(aligned, 1).grad_used)) < 90  # RMSprop
    rotated = _preset_state("adaptive-rotated")
    for i in (1, 2):
        r = run_one(rotated, i).lr_eff
        assert np.all(np.abs(r[:, 0] / r[:, 1] - 1) < 0.15)  # "stays near 1"
    adam = run_one(rotated, 2)
    assert np.nanmax(descent_angle(adam.step, adam.grad_used)) > 90  # "past 90 degrees"
    large = _preset_state("lr-too-large")
    surface = make_surface(large["surface"])
    for i, lr in enumerate((0.5, 1.9, 2.2)):
        np.testing.assert_allclose(sharpness(run_one(large, i), surface), lr)
    stall = _preset_state("adagrad-stall")
    adagrad = run_one(stall, 0).lr_eff[:, 0]
    assert adagrad[0] == pytest.approx(1.25) and adagrad[100] < 0.3 and np.all(np.diff(adagrad) < 0)
    rms = run_one(stall, 1).lr_eff[:, 0]
    assert rms[-1] > 3 * rms[50:].min() or rms[-1] > rms[50]  # it recovers
    saddle = _preset_state("saddle-escape")
    gd_steps = np.linalg.norm(run_one(saddle, 0).step, axis=1)
    adam_steps = np.linalg.norm(run_one(saddle, 1).step, axis=1)
    assert gd_steps[100] < gd_steps[0] / 2 and abs(adam_steps[0] - 0.01 * np.sqrt(2)) < 1e-4
    bowl = _preset_state("rmsprop-bowl")
    rms = run_one(bowl, 1)
    assert abs(descent_angle(rms.step, rms.grad_used)[0] - 18.4) < 0.5
    assert np.nanmax(descent_angle(run_one(bowl, 0).step, run_one(bowl, 0).grad_used)) < 1e-4  # rounding only
    ravine = _preset_state("momentum-ravine")
    np.testing.assert_allclose(sharpness(run_one(ravine, 0), make_surface(ravine["surface"])), 1.8)


# ------------------------------------------------------------ typed input, fuzzed through the app

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_TOKENS = st.sampled_from(["x", "y", "+", "-", "*", "/", "**", "^", "(", ")", "sin", "exp", "log", "sqrt", "abs",
                           "atan2", ",", "1", "2.5", "1e300", "9", ".", "_", "__import__", "'os'", "[", "]",
                           "lambda", ":", "=", " ", "pi", "e", "min", "max", "\u2212", "#", "\\"])
_BASE = _load(encode_url(_custom_state()))["state"]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.one_of(st.lists(_TOKENS, max_size=25).map("".join), st.text(max_size=60)))
def test_any_typed_text_gets_a_surface_or_a_message_quickly(text):
    with mock.patch.object(sympy, "diff", wraps=sympy.diff) as derivatives, \
            mock.patch.object(optimizers, "run", wraps=optimizers.run) as engine:
        out = respond(_BASE, {"kind": "expression", "value": text})
    # bounded work whatever the text: a fixed number of derivatives (the gradient, the
    # Hessian, their LaTeX) and at most one engine run per run of the race
    assert derivatives.call_count <= 9 and engine.call_count <= len(_BASE["runs"])
    if out["state"] == _BASE:  # refused (or the same text): the reason is in the page
        assert out["alerts"] is not no_update or text == _BASE["surface"]["params"]["expression"]
    else:
        assert out["state"]["surface"]["params"]["expression"] == text
        assert out["surface"] is not no_update and out["alerts"] is no_update
        assert decode_url(out["url"])[0] == out["state"]  # it round-trips through the link


# ------------------------------------------------------------ the six other rules, line by line

def _other_rule(run, steps=14, surface="valley(condition=10,angle=30)", noise=0.1):
    return _state_with(f"?surface={surface}&run={run}&start=-6,3&steps={steps}&noise={noise}&seed=3")


def _check_end(traj, lines, k):
    np.testing.assert_allclose(lines[r"\theta_t"]["value"], traj.xy[k + 1], rtol=1e-12)


@pytest.mark.parametrize("k", [0, 1, 6, 12])
def test_nadam_rule_lines_recompute(k):
    state = _other_rule("nadam(lr=0.05,beta1=0.85,beta2=0.99,momentum_decay=0.01,weight_decay=0.05)")
    traj, lines = _lines(state, 0, k)
    b1, b2, psi, wd, lr, eps = 0.85, 0.99, 0.01, 0.05, 0.05, 1e-8
    t = k + 1
    g = traj.grad_used[k] + wd * traj.xy[k]
    np.testing.assert_allclose(lines["g_t"]["value"], g, rtol=1e-12)
    mu, mu_next = b1 * (1 - 0.5 * 0.96 ** (t * psi)), b1 * (1 - 0.5 * 0.96 ** ((t + 1) * psi))
    np.testing.assert_allclose(lines[r"\bigl(\mu_t,\ \mu_{t+1}\bigr)"]["value"], (mu, mu_next), rtol=1e-12)
    pi = traj.state["mu_product"][k]
    pi_prev = traj.state["mu_product"][k - 1] if k else np.ones(2)
    np.testing.assert_allclose(lines[r"\Pi_t"]["value"], pi, rtol=1e-12)
    np.testing.assert_allclose(pi, pi_prev * mu, rtol=1e-12)
    m, v = traj.state["m"][k], traj.state["v"][k]
    m_prev = traj.state["m"][k - 1] if k else np.zeros(2)
    v_prev = traj.state["v"][k - 1] if k else np.zeros(2)
    np.testing.assert_allclose(lines["m_t"]["value"], m, rtol=1e-12)
    np.testing.assert_allclose(m, b1 * m_prev + (1 - b1) * g, rtol=1e-12)
    np.testing.assert_allclose(lines["v_t"]["value"], b2 * v_prev + (1 - b2) * g * g, rtol=1e-12)
    denom = np.sqrt(v / (1 - b2**t)) + eps
    np.testing.assert_allclose(lines["d_t"]["value"], denom, rtol=1e-12)
    np.testing.assert_allclose(traj.lr_eff[k], lr / denom, rtol=1e-12)
    parts = [np.array(line["value"]) for lhs, line in lines.items() if lhs.startswith(r"\eta\,\frac")]
    np.testing.assert_allclose(parts[0], lr * (1 - mu) / (1 - pi) * g / denom, rtol=1e-12)
    np.testing.assert_allclose(parts[1], lr * mu_next / (1 - pi * mu_next) * m / denom, rtol=1e-12)
    np.testing.assert_allclose(traj.xy[k] - parts[0] - parts[1], traj.xy[k + 1], rtol=1e-12)
    _check_end(traj, lines, k)
    assert instruments.num(mu) in lines[r"\Pi_t"]["numeric"]
    assert instruments.vec(m_prev) in lines["m_t"]["numeric"] and "0.85" in lines["m_t"]["numeric"]
    assert instruments.vec(v) in lines["d_t"]["numeric"]
    assert instruments.vec(traj.xy[k]) in lines[r"\theta_t"]["numeric"]


@pytest.mark.parametrize("k", [0, 4, 5, 6, 12])
def test_radam_rule_lines_show_the_branch_and_recompute(k):
    state = _other_rule("radam(lr=0.05,weight_decay=0.02)")
    traj, lines = _lines(state, 0, k)
    b1, b2, lr, eps, wd = 0.9, 0.999, 0.05, 1e-8, 0.02
    t = k + 1
    g = traj.grad_used[k] + wd * traj.xy[k]
    np.testing.assert_allclose(lines["g_t"]["value"], g, rtol=1e-12)
    m, v = traj.state["m"][k], traj.state["v"][k]
    v_prev = traj.state["v"][k - 1] if k else np.zeros(2)
    np.testing.assert_allclose(lines["m_t"]["value"], m, rtol=1e-12)
    np.testing.assert_allclose(lines["v_t"]["value"], b2 * v_prev + (1 - b2) * g * g, rtol=1e-12)
    m_hat = m / (1 - b1**t)
    np.testing.assert_allclose(lines[r"\hat m_t"]["value"], m_hat, rtol=1e-12)
    rho_inf = 2 / (1 - b2) - 1
    rho_t = rho_inf - 2 * t * b2**t / (1 - b2**t)
    np.testing.assert_allclose(lines[r"\bigl(\rho_\infty,\ \rho_t\bigr)"]["value"], (rho_inf, rho_t), rtol=1e-12)
    rectified = [lhs for lhs in lines if "rectified" in lhs]
    plain = [lhs for lhs in lines if "plain momentum" in lhs]
    assert (rho_t > 5) == (t >= 6) == bool(rectified) != bool(plain)  # torch: rectified from step 6
    if rectified:
        r = np.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
        np.testing.assert_allclose(lines[r"\bigl(r_t,\ \sqrt{1-\beta_2^t}\bigr)"]["value"],
                                   (r, np.sqrt(1 - b2**t)), rtol=1e-12)
        eff = lr * r * np.sqrt(1 - b2**t) / (np.sqrt(v) + eps)
        assert instruments.num(r) in lines[rectified[0]]["numeric"]
    else:
        eff = np.full(2, lr)
    eff_line = lines[(rectified or plain)[0]]
    np.testing.assert_allclose(eff_line["value"], eff, rtol=1e-12)
    np.testing.assert_allclose(eff_line["value"], traj.lr_eff[k], rtol=1e-12)
    np.testing.assert_allclose(traj.xy[k] - eff * m_hat, traj.xy[k + 1], rtol=1e-12)
    _check_end(traj, lines, k)
    rho_numeric = lines[r"\bigl(\rho_\infty,\ \rho_t\bigr)"]["numeric"]
    assert instruments.num(rho_inf) in rho_numeric and instruments.num(b2**t) in rho_numeric
    assert instruments.vec(m_hat) in lines[r"\theta_t"]["numeric"]


@pytest.mark.parametrize("k", [0, 3, 11])
def test_adamax_rule_lines_recompute(k):
    state = _other_rule("adamax(lr=0.05,beta2=0.9,weight_decay=0.01)")
    traj, lines = _lines(state, 0, k)
    b1, b2, lr, eps, wd = 0.9, 0.9, 0.05, 1e-8, 0.01
    t = k + 1
    g = traj.grad_used[k] + wd * traj.xy[k]
    np.testing.assert_allclose(lines["g_t"]["value"], g, rtol=1e-12)
    m, u = traj.state["m"][k], traj.state["u"][k]
    u_prev = traj.state["u"][k - 1] if k else np.zeros(2)
    np.testing.assert_allclose(lines["m_t"]["value"], m, rtol=1e-12)
    np.testing.assert_allclose(lines["u_t"]["value"], u, rtol=1e-12)
    np.testing.assert_allclose(u, np.maximum(b2 * u_prev, np.abs(g) + eps), rtol=1e-12)
    clr = lr / (1 - b1**t)
    np.testing.assert_allclose(lines[r"\eta / (1-\beta_1^t)"]["value"], (clr, clr), rtol=1e-12)
    np.testing.assert_allclose(traj.xy[k] - clr * m / u, traj.xy[k + 1], rtol=1e-12)
    _check_end(traj, lines, k)
    assert instruments.vec(u_prev) in lines["u_t"]["numeric"]
    assert instruments.num(clr) in lines[r"\theta_t"]["numeric"] and instruments.vec(u) in lines[r"\theta_t"]["numeric"]


def test_rprop_rule_lines_follow_flips_and_clipping():
    state = _other_rule("rprop(lr=0.5,etaminus=0.4,etaplus=1.3,step_size_max=0.9)", steps=20, noise=0.0)
    traj = run_one(state, 0)
    prev_g = np.vstack([np.zeros((1, 2)), traj.state["prev"][:-1]])
    flips = np.flatnonzero((traj.grad_used * prev_g < 0).any(axis=1))
    grows = np.flatnonzero((traj.grad_used * prev_g > 0).any(axis=1))
    assert flips.size and grows.size
    size_prev_all = np.vstack([np.full((1, 2), 0.5), traj.state["step_size"][:-1]])
    for k in sorted({0, int(grows[0]), int(flips[0]), int(flips[-1])}):
        traj, lines = _lines(state, k=k, i=0)
        g, gp, size_prev = traj.grad_used[k], prev_g[k], size_prev_all[k]
        sign = np.sign(g * gp)
        np.testing.assert_array_equal(lines[r"\operatorname{sign}(g_t\, g_{t-1})"]["value"], sign)
        factor = np.where(sign > 0, 1.3, np.where(sign < 0, 0.4, 1.0))
        np.testing.assert_array_equal(lines[r"\phi_t"]["value"], factor)
        size = np.clip(size_prev * factor, 1e-6, 0.9)
        np.testing.assert_allclose(lines[r"\eta_t"]["value"], size, rtol=1e-12)
        np.testing.assert_allclose(lines[r"\eta_t"]["value"], traj.state["step_size"][k], rtol=1e-12)
        g_kept = np.where(sign < 0, 0.0, g)
        np.testing.assert_array_equal(lines["g_t'"]["value"], g_kept)
        np.testing.assert_array_equal(lines["g_t'"]["value"], traj.state["prev"][k])
        np.testing.assert_allclose(traj.xy[k] - np.sign(g_kept) * size, traj.xy[k + 1], rtol=1e-12)
        _check_end(traj, lines, k)
        assert instruments.vec(size_prev) in lines[r"\eta_t"]["numeric"] and "0.9" in lines[r"\eta_t"]["numeric"]
        assert instruments.vec(gp) in lines[r"\operatorname{sign}(g_t\, g_{t-1})"]["numeric"]
    k = int(flips[0])
    assert 0.4 in lines_at(state, k)[r"\phi_t"]["value"] and 0.0 in lines_at(state, k)["g_t'"]["value"]
    assert np.any(traj.state["step_size"] == 0.9)  # the clip at step_size_max is reached and shown


def lines_at(state, k):
    return _lines(state, 0, k)[1]


@pytest.mark.parametrize("wd", [0.0, 0.2])
@pytest.mark.parametrize("k", [0, 5, 12])
def test_lion_rule_lines_recompute(k, wd):
    state = _other_rule(f"lion(lr=0.02,beta1=0.8,beta2=0.95,weight_decay={wd})")
    traj, lines = _lines(state, 0, k)
    g = traj.grad_used[k]
    np.testing.assert_allclose(lines["g_t"]["value"], g, rtol=1e-12)  # decoupled: not in g
    m_prev = traj.state["m"][k - 1] if k else np.zeros(2)
    c = 0.8 * m_prev + 0.2 * g
    np.testing.assert_allclose(lines["c_t"]["value"], c, rtol=1e-12)
    np.testing.assert_allclose(lines["m_t"]["value"], traj.state["m"][k], rtol=1e-12)
    np.testing.assert_allclose(traj.state["m"][k], 0.95 * m_prev + 0.05 * g, rtol=1e-12)
    theta = traj.xy[k]
    np.testing.assert_allclose(theta - 0.02 * (np.sign(c) + wd * theta), traj.xy[k + 1], rtol=1e-12)
    _check_end(traj, lines, k)
    numeric = lines[r"\theta_t"]["numeric"]
    assert instruments.vec(np.sign(c)) in numeric and ("0.2" in numeric) == bool(wd)


@pytest.mark.parametrize("k", [0, 3, 9])
def test_newton_rule_lines_show_the_solved_direction(k):
    state = _other_rule("newton(lr=0.5,damping=2)", steps=12)
    traj, lines = _lines(state, 0, k)
    surface = make_surface(state["surface"])
    x, y = traj.xy[k]
    hxx, hxy, hyy = surface.scalar.hess(x, y)
    H = np.array([[hxx + 2, hxy], [hxy, hyy + 2]])
    d = np.linalg.solve(H, traj.grad_used[k])
    np.testing.assert_allclose(lines["d_t"]["value"], d, rtol=1e-9)
    np.testing.assert_allclose(traj.xy[k] - 0.5 * np.array(lines["d_t"]["value"]), traj.xy[k + 1], rtol=1e-12)
    _check_end(traj, lines, k)
    assert instruments.vec(traj.step[k]) in lines["d_t"]["numeric"]
    assert "Hessian is not recorded" in lines["d_t"]["numeric"]
