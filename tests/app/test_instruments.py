"""The instruments of issue 4, called as plain functions: the typed surface and the
loss scale through state, URL and callbacks; the numbers behind every chart, arrow
and readout against optimizers.diagnostics and the trajectories."""

import time

import numpy as np
import pytest
from dash import no_update

import optimizers
import surfaces
from ui import instrument_actions, layout
from ui.callbacks import respond
from ui.simulate import decode_f4, run_one
from ui.state import (
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
    t0 = time.perf_counter()
    out = respond(state, {"kind": "expression", "value": text})
    assert time.perf_counter() - t0 < 1.0
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
