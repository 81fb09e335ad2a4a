"""ui.maps (common, hyperparameter, basin, tune, layout, callbacks): the maps' figures,
requests and callbacks as plain functions, checked against optimizers.sweeps and single
optimizers.run calls. A map hands a set-up to the race as an action: the race applies it
(ui.race.flow.respond) like any other."""

import io
import json
import math

import numpy as np
import pandas as pd
import pytest
from dash import no_update

from descent_lab import optimizers, surfaces
from descent_lab.optimizers import sweeps
from descent_lab.ui.core import ids
from descent_lab.ui.core.state import default_state, validate_state
from descent_lab.ui.core.theme import fmt_value
from descent_lab.ui.core.url import decode_url, encode_url
from descent_lab.ui.core.widgets import to_slider
from descent_lab.ui.maps import basin, common, hyperparameter, tune
from descent_lab.ui.maps import callbacks as mc
from descent_lab.ui.maps import layout as map_layout
from descent_lab.ui.race import flow

HIMMELBLAU = "?surface=himmelblau&run=gd(lr=0.01)&run=momentum(lr=0.005)&run=adam(lr=0.05)&start=0.2,-0.5&steps=200"

# defaults of the hyperparameter map's controls, by keyword
HMAP = dict(run=2, y_name="beta1", n=12, steps=150, outcome="final_loss", tol=1e-6, lr_range=[-4, 0],
            y_range=[0, 1])


def _state(search=""):
    state, errors = decode_url(search)
    assert errors == []
    return state


def _text(node) -> str:
    """Visible text of a Dash component tree (or a list of them)."""
    if node is None or node is no_update:
        return ""
    if isinstance(node, (str, int, float)):
        return str(node)
    if isinstance(node, (list, tuple)):
        return " ".join(_text(n) for n in node)
    return _text(getattr(node, "children", None))


def _find(node, component_id):
    """The component with this id in a tree (None if absent)."""
    if isinstance(node, (list, tuple)):
        for item in node:
            found = _find(item, component_id)
            if found is not None:
                return found
        return None
    if getattr(node, "id", None) == component_id:
        return node
    children = getattr(node, "children", None)
    return None if children is None or isinstance(children, str) else _find(children, component_id)


def _hmap(state=None, **changes):
    args = {**HMAP, **changes}
    return mc.hparam_compute(default_state() if state is None else state, args["run"], args["y_name"], args["n"],
                             args["steps"], args["outcome"], args["tol"], args["lr_range"], args["y_range"])


def _role(fig, role):
    return [t for t in fig.data if (t.meta or {}).get("role") == role]


def _gap(surface, xy):
    return float(surface.f(np.asarray(xy, dtype=float))) - (surface.min_value or 0.0)


# ------------------------------------------------------------------ hyperparameter map

def test_hparam_map_figure_holds_the_engines_values():
    state = default_state()
    out = _hmap(state)
    assert out["alerts"] is no_update
    req, errors = hyperparameter.parse_hparam_request(out["request"])
    assert errors == [] and req.lr_range == (1e-4, 1.0) and req.y_range == (0.0, 0.999)
    surface = surfaces.get("valley", **state["surface"]["params"])
    fixed = {k: v for k, v in state["runs"][2]["hparams"].items() if k not in ("lr", "beta1")}
    expected = sweeps.hyperparameter_map("adam", surface, state["start"], 150, y_name="beta1", nx=12, ny=12,
                                         lr_range=(1e-4, 1.0), **fixed)
    fig = out["figure"]
    heat = _role(fig, "outcome")[0]
    assert fig.data[2] is heat
    np.testing.assert_array_equal(heat.x, expected.x_values)
    np.testing.assert_array_equal(heat.y, expected.y_values)
    ok = np.isfinite(expected.values) & ~expected.diverged
    assert ok.sum() > 20
    raw = np.asarray(heat.customdata, dtype=float)
    np.testing.assert_allclose(raw[ok], expected.values[ok].astype(np.float32), rtol=1e-6)
    colour = np.asarray(heat.z, dtype=float)
    np.testing.assert_allclose(colour[ok], np.log10(np.maximum(expected.values[ok], 1e-30)).astype(np.float32),
                               rtol=1e-6)
    assert np.isnan(colour[~ok]).all()
    diverged = _role(fig, "diverged")
    if expected.diverged.any():
        np.testing.assert_array_equal(~np.isnan(np.asarray(diverged[0].z, dtype=float)), expected.diverged)
    # the clientside contract: trace 0 is the run's setting, trace 1 the best cell
    assert fig.data[0].meta["role"] == "current" and fig.data[1].meta["role"] == "best"
    assert list(fig.data[0].x) == [0.3] and list(fig.data[0].y) == [0.9]
    scores = np.where(np.isfinite(expected.values), expected.values, np.inf)
    i, j = np.unravel_index(np.argmin(scores), scores.shape)
    assert list(fig.data[1].x) == [expected.x_values[j]] and list(fig.data[1].y) == [expected.y_values[i]]
    assert fig.layout.xaxis.type == "log"
    assert "final loss" in out["note"] and "12 × 12" in out["note"] and "Computed in" in out["note"]


def test_hparam_map_cells_agree_with_single_runs():
    state = default_state()
    out = _hmap(state)
    req = hyperparameter.parse_hparam_request(out["request"])[0]
    result = hyperparameter.compute_hparam_map(req)
    surface = req.surface
    for i, j in [(0, 0), (4, 9), (8, 3), (11, 11), (6, 6)]:
        hparams = {**state["runs"][2]["hparams"], "lr": result.x_values[j], "beta1": result.y_values[i]}
        trajectory = optimizers.run("adam", surface, state["start"], 150, **hparams)
        assert (trajectory.status == "diverged") == bool(result.diverged[i, j])
        if trajectory.status != "diverged":
            assert math.isclose(_gap(surface, trajectory.xy[-1]), result.values[i, j], rel_tol=1e-6, abs_tol=1e-10)


def test_steps_to_tolerance_and_diverged_outcomes():
    state = _state("?surface=bowl&run=gd(lr=0.1)&start=3,1.5")
    out = _hmap(state, run=0, y_name="weight_decay", n=8, steps=100, outcome="steps_to_tol", tol=1e-4,
                lr_range=[-3, 1])
    assert out["alerts"] is no_update
    req = hyperparameter.parse_hparam_request(out["request"])[0]
    result = hyperparameter.compute_hparam_map(req)
    heat = out["figure"].data[2]
    reached = np.isfinite(result.values) & ~result.diverged
    assert reached.any() and (~reached).any()
    np.testing.assert_array_equal(np.asarray(heat.z, dtype=float)[reached], result.values[reached])
    missed_cells = np.isnan(result.values) & ~result.diverged
    missed = _role(out["figure"], "not_reached")
    texts = np.asarray(heat.text, dtype=object)
    assert "%{text}" in heat.hovertemplate
    if missed_cells.any():
        # the grey overlay does not take the hover; the cell under it says why it is grey
        assert missed and missed[0].hoverinfo == "skip"
        assert all(t == "never within 0.0001" for t in texts[missed_cells])
    assert all(t.endswith(hyperparameter.fmt_value(float(v)))
               for t, v in zip(texts[reached], result.values[reached]))
    if result.diverged.any():
        assert all(t == "diverged" for t in texts[result.diverged])

    out = _hmap(state, run=0, y_name="weight_decay", n=8, steps=100, outcome="diverged", lr_range=[-3, 1])
    req = hyperparameter.parse_hparam_request(out["request"])[0]
    result = hyperparameter.compute_hparam_map(req)
    assert result.diverged.any() and (~result.diverged).any()
    base = np.asarray(out["figure"].data[2].z, dtype=float)
    np.testing.assert_array_equal(np.isnan(base), result.diverged)
    overlay = np.asarray(_role(out["figure"], "diverged")[0].z, dtype=float)
    np.testing.assert_array_equal(~np.isnan(overlay), result.diverged)


def test_a_surface_without_a_minimum_is_coloured_by_the_loss_itself():
    state = _state("?surface=saddle&run=gd(lr=0.01)")
    out = _hmap(state, run=0, y_name="weight_decay", n=6, steps=50)
    assert out["alerts"] is no_update
    heat = out["figure"].data[2]
    assert "f − f*" not in heat.name and heat.name.startswith("final loss f")
    np.testing.assert_array_equal(np.asarray(heat.z, dtype=float), np.asarray(heat.customdata, dtype=float))


def test_noise_maps_see_the_races_noise():
    state = _state("?surface=bowl&run=momentum(lr=0.05)&start=3,1.5&noise=0.5&seed=3")
    out = _hmap(state, run=0, y_name="momentum", n=4, steps=40, lr_range=[-2, 0])
    req = hyperparameter.parse_hparam_request(out["request"])[0]
    assert req.noise == 0.5 and req.seed == 3 and "noise" in out["note"]
    result = hyperparameter.compute_hparam_map(req)
    for i, j in [(0, 0), (2, 3), (3, 1)]:
        hparams = {**state["runs"][0]["hparams"], "lr": result.x_values[j], "momentum": result.y_values[i]}
        trajectory = optimizers.run("momentum", req.surface, state["start"], 40, noise=0.5, seed=3, **hparams)
        if not result.diverged[i, j]:
            assert math.isclose(_gap(req.surface, trajectory.xy[-1]), result.values[i, j], rel_tol=1e-9)


@pytest.mark.parametrize("optimizer,name", [(key, hp.name) for key in optimizers.REGISTRY
                                            for hp in common.float_params(key)])
def test_every_float_setting_of_every_optimizer_can_be_mapped(optimizer, name):
    state = validate_state({**default_state(), "runs": [{"optimizer": optimizer, "hparams": {}}]})[0]
    out = _hmap(state, run=0, y_name=name, n=3, steps=10, lr_range=[-6, 1])
    assert out["alerts"] is no_update, _text(out["alerts"])
    assert np.asarray(out["figure"].data[2].z).shape == (3, 3)


def test_rprop_eta_ranges_are_kept_valid_with_the_other_eta():
    # torch's Rprop needs 0 < η− < 1 < η+: the range's refused ends move inward
    lo, hi = common.value_range("rprop", "etaminus", (0.0, 1.0), {"etaplus": 1.2})
    assert 0 < lo < 0.05 and 0.99 <= hi < 1
    lo, hi = common.value_range("rprop", "etaplus", (0.0, 1.0), {"etaminus": 0.5})
    assert 1 < lo < 1.1 and hi == 5.0


# ------------------------------------------------------------------ clicking a cell

def test_clicking_a_cell_loads_that_setting_into_the_run_through_the_apps_state():
    state = default_state()
    out = _hmap(state)
    heat = out["figure"].data[2]
    lr, beta1 = float(heat.x[7]), float(heat.y[3])
    click = {"points": [{"x": lr * 1.1, "y": beta1 + 0.02, "curveNumber": 2}]}  # off-centre, same cell
    res = mc.hparam_click(state, click, out["request"])
    assert res["alerts"] is no_update
    assert res["action"]["kind"] == "setup" and res["action"]["reveal"] is True
    app = flow.respond(state, res["action"])  # the race applies the map's set-up
    assert app["alerts"] == []
    new = app["state"]
    assert new == res["action"]["state"]
    assert new["runs"][2]["hparams"]["lr"] == lr and new["runs"][2]["hparams"]["beta1"] == beta1
    assert new["runs"][:2] == state["runs"][:2]
    assert new["steps"] == 150 and app["steps"] == 150 and new["frame"] == 0
    assert {k: v for k, v in new.items() if k not in ("runs", "steps")} == \
        {k: v for k, v in state.items() if k not in ("runs", "steps")}
    # the URL, the paths, the sliders and the animation follow, as for any app change
    assert app["url"] == encode_url(new) and decode_url(app["url"])[0] == new
    assert app["view_store"]["autoplay"] is True and app["view_store"]["reveal"] is True and app["view_store"]["frame"] == 0
    assert app["view_store"]["reveal"] is True  # the race comes back into view
    assert f"lr={fmt_value(lr)}" in app["paths"]["runs"][2]["label"]
    slider = _find(app["runs"], ids.hparam(2, "lr"))
    assert slider.value == pytest.approx(to_slider(optimizers.REGISTRY["adam"].param("lr"), lr))
    assert _find(app["runs"], ids.hparam(2, "beta1")).value == pytest.approx(beta1, abs=0.01)
    assert res["figure"] is no_update  # the marker follows clientside (assets/30_maps.js)
    # the same outputs the app itself gives for that state
    same = flow.respond(None, {"kind": "load", "search": encode_url(new)})
    assert same["state"] == new and same["paths"] == app["paths"]


def test_a_click_on_a_stale_map_or_outside_it_is_refused():
    state = default_state()
    out = _hmap(state)
    heat = out["figure"].data[2]
    click = {"points": [{"x": float(heat.x[2]), "y": float(heat.y[2])}]}
    moved = {**state, "start": [1.0, 1.0]}
    res = mc.hparam_click(moved, click, out["request"])
    assert "changed since this map was computed" in _text(res["alerts"]) and res["action"] is no_update
    # lr and the mapped setting are the map's axes: changing them does not make it stale
    tuned = validate_state({**state, "runs": state["runs"][:2] + [
        {"optimizer": "adam", "hparams": {**state["runs"][2]["hparams"], "lr": 0.01, "beta1": 0.5}}]})[0]
    assert mc.hparam_click(tuned, click, out["request"])["action"]["state"]["runs"][2]["hparams"]["lr"] == heat.x[2]
    for bad in ({"points": [{"x": 1e6, "y": 0.5}]}, {"points": [{"x": -1, "y": 0.5}]}, {"points": []},
                {"points": [{"x": "0.1", "y": 0.5}]}, "click", None, {"points": [{"x": float("nan"), "y": 0}]}):
        res = mc.hparam_click(state, bad, out["request"])
        assert "refused" in _text(res["alerts"]).lower() and res["action"] is no_update, bad
    res = mc.hparam_click(state, click, None)
    assert "Compute the hyperparameter map" in _text(res["alerts"])


# ------------------------------------------------------------------ validation

HMAP_REFUSALS = [
    (dict(n=129), "Grid size (cells per side) must be between 2 and 128"),
    (dict(n=10**9), "between 2 and 128"),
    (dict(n=10**400), "finite"),
    (dict(n=float("nan")), "finite"),
    (dict(n=float("inf")), "finite"),
    (dict(n="48"), "must be a number"),
    (dict(n=True), "must be a number"),
    (dict(n=4.5), "whole number"),
    (dict(n=1), "between 2 and 128"),
    (dict(steps=2001), "Map steps must be between 1 and 2,000"),
    (dict(steps=0), "Map steps must be between 1"),
    (dict(steps=None), "Map steps must be a whole number from 1 to 2,000 (the field was empty or out of range)"),
    (dict(n=None), "Grid size (cells per side) must be a whole number from 2 to 128"),
    (dict(n=128, steps=500), "more than the 4,194,304 one request may compute"),
    (dict(y_name="__class__"), "Adam has no setting '__class__'"),
    (dict(y_name="lr"), "other than the learning rate"),
    (dict(y_name=["beta1"]), "Adam has no setting"),
    (dict(run=0, y_name="beta1"), "Gradient descent has no setting 'beta1'"),
    (dict(outcome="final_loss; DROP TABLE"), "Outcome must be one of"),
    (dict(outcome=None), "Outcome must be one of"),
    (dict(tol=0.5), "Tolerance must be one of"),
    (dict(tol="1e-6"), "Tolerance must be a number"),
    (dict(tol=float("nan")), "Tolerance must be a finite number"),
    (dict(run=99), "There is no run 100"),
    (dict(run=-1), "There is no run"),
    (dict(run="0"), "Pick a run"),
    (dict(run=0.0), "Pick a run"),
    (dict(run=True), "Pick a run"),
    (dict(run=None), "Pick a run"),
    (dict(lr_range=[1, -6]), "from < to"),
    (dict(lr_range=[-9, 1]), "-6 ≤ from"),
    (dict(lr_range=[float("nan"), 1]), "finite"),
    (dict(lr_range="all"), "two numbers"),
    (dict(lr_range=[0, 1, 2]), "two numbers"),
    (dict(y_range=[0.5, 0.5]), "from < to"),
    (dict(y_range=[0, 2]), "to ≤ 1"),
    (dict(y_range=None), "two numbers"),
]


@pytest.mark.parametrize("changes,message", HMAP_REFUSALS)
def test_hostile_hparam_map_controls_get_a_message(changes, message):
    out = _hmap(**changes)
    text = _text(out["alerts"])
    assert "refused" in text.lower() and message in text, text
    assert out["figure"] is no_update and out["request"] is no_update and out["action"] is no_update


def test_several_bad_controls_are_all_reported():
    text = _text(_hmap(n=500, steps=-5, outcome="x")["alerts"])
    assert "Grid size" in text and "Map steps" in text and "Outcome" in text


@pytest.mark.parametrize("raw", ["garbage", 7, [1, 2], {"runs": "x"}, {"evil": 1}, {"surface": {"key": "nope"}}])
def test_a_state_the_app_would_not_produce_is_refused(raw):
    for out in (_hmap(state=raw), mc.basin_compute(raw, [0], 8, 10),
                mc.tune_compute(raw, [0], "final_loss", 10, 4, "none", 4, 1e-6)):
        text = _text(out["alerts"])
        assert "The page sent settings that were not valid" in text and out["figure"] is no_update


def test_the_bounds_themselves_are_accepted():
    state = default_state()
    req, errors = hyperparameter.hparam_request(state, 2, "beta1", 128, 256, "final_loss", 1e-6, [-6, 1], [0, 1])
    assert errors == [] and req.n == 128 and req.n * req.n * req.steps == common.MAX_MAP_WORK
    req, errors = hyperparameter.hparam_request(state, 2, "beta1", 2, 2000, "diverged", 1e-10, [-6, 1], [0, 1])
    assert errors == [] and req.steps == common.MAX_SWEEP_STEPS


TAMPER = [
    ("n", 500, "between 2 and 128"),
    ("steps", 10**6, "Map steps"),
    ("y_name", "lr", "other than the learning rate"),
    ("y_name", "nope", "has no setting"),
    ("fixed", {"lr": 0.1}, "must not include lr"),
    ("fixed", {"beta2": float("nan")}, "finite"),
    ("fixed", {"beta2": 1.0}, "beta"),
    ("fixed", {"__class__": 1}, "has no setting"),
    ("fixed", "x", "malformed"),
    ("lr_range", [1e-9, 1], "range"),
    ("lr_range", [1, 0.1], "range"),
    ("y_range", [0, 1.0], "range"),
    ("optimizer", "evil", "Unknown optimizer"),
    ("surface", {"key": "nope", "params": {}}, "surface"),
    ("surface", {"key": "valley", "params": {"condition": 1e9}}, "surface"),
    ("start", [1e9, 0], "start"),
    ("kind", "basin", "malformed"),
    ("run", -1, "run"),
    ("run", "0", "run"),
    ("outcome", "x", "Outcome"),
    ("tol", 0, "Tolerance"),
    ("noise", -1, "Noise"),
    ("seed", 2**40, "Seed"),
]


@pytest.mark.parametrize("field,value,message", TAMPER)
def test_a_tampered_stored_request_is_refused_on_click_and_csv(field, value, message):
    state = default_state()
    out = _hmap(state)
    good = out["request"]
    assert hyperparameter.parse_hparam_request(json.loads(json.dumps(good)))[0] == hyperparameter.parse_hparam_request(good)[0]
    bad = {**good, field: value}
    req, errors = hyperparameter.parse_hparam_request(bad)
    assert req is None and message in errors[0], errors
    click = {"points": [{"x": 0.01, "y": 0.5}]}
    assert message in _text(mc.hparam_click(state, click, bad)["alerts"])
    data, alerts = mc.csv_download(ids.HMAP_CSV, bad)
    assert data is no_update and message in _text(alerts)


def test_requests_that_are_not_objects_are_refused():
    for raw in (None, "x", [], 1.5, {"kind": "hparam"}):
        for parse in (hyperparameter.parse_hparam_request, basin.parse_basin_request, tune.parse_tune_request):
            req, errors = parse(raw)
            assert req is None and errors


# ------------------------------------------------------------------ caching

def test_results_are_cached_by_their_request():
    state = default_state()
    first = _hmap(state, n=5, steps=33)
    again = _hmap(state, n=5, steps=33)
    assert "Taken from the cache" in again["note"]
    req = hyperparameter.parse_hparam_request(first["request"])[0]
    assert hyperparameter.compute_hparam_map(req) is hyperparameter.compute_hparam_map(hyperparameter.parse_hparam_request(again["request"])[0])
    with pytest.raises(ValueError):  # cached arrays cannot be changed by a caller
        hyperparameter.compute_hparam_map(req).values[0, 0] = 1.0
    hash(req)  # the request itself is the key: no per-user state


# ------------------------------------------------------------------ basin map

def test_basin_map_colours_each_start_by_where_its_run_ends():
    state = _state(HIMMELBLAU)
    out = mc.basin_compute(state, [0, 2], 10, 200)
    assert out["alerts"] is no_update
    fig = out["figure"]
    surface = surfaces.get("himmelblau")
    heats = _role(fig, "basin")
    assert [h.meta["run"] for h in heats] == [0, 2]
    (x0, x1), (y0, y1) = surface.bounds
    radius = 0.02 * math.hypot(x1 - x0, y1 - y0)
    mins = np.asarray(surface.minimizers)
    for heat, index in zip(heats, (0, 2)):
        run = state["runs"][index]
        expected = sweeps.basin_map(run["optimizer"], surface, 200, n=10, **run["hparams"])
        z = np.asarray(heat.z)
        np.testing.assert_array_equal(z, expected.values + 2)
        assert set(np.unique(z)) == {2, 3, 4, 5}  # GD and Adam reach all four of Himmelblau's minima
        for i, j in [(0, 0), (3, 7), (9, 9), (5, 2), (8, 1)]:
            start = (float(heat.x[j]), float(heat.y[i]))
            trajectory = optimizers.run(run["optimizer"], surface, start, 200, **run["hparams"])
            label = int(z[i, j]) - 2
            distances = np.linalg.norm(mins - trajectory.xy[-1], axis=1)
            if label >= 0:
                assert distances[label] <= radius
            elif label == -1:
                assert distances.min() > radius
            else:
                assert trajectory.status == "diverged"
    # starts: traces 0..k-1 (assets/30_maps.js moves them); minima in their basin colours
    assert [t.meta["role"] for t in fig.data[:2]] == ["start", "start"]
    assert list(fig.data[0].x) == [0.2] and list(fig.data[1].y) == [-0.5]
    stars = _role(fig, "minimum")[0]
    assert list(stars.marker.color) == list(common.BASIN_COLORS[:4])
    legend = [t.name for t in _role(fig, "legend")]
    assert legend[:2] == ["diverged", "not at a minimum"] and legend[2].startswith("minimum 1 (3, 2)")
    assert "Click a point to start every run there" in out["note"]


def test_basin_click_moves_every_runs_start_through_the_apps_click_handler():
    state = _state(HIMMELBLAU)
    out = mc.basin_compute(state, [0, 1, 2], 10, 200)
    res = mc.basin_click(state, {"points": [{"x": 1.2, "y": -2.3}]}, out["request"], now=1.0)
    grid = np.linspace(-5, 5, 10)
    action = res["action"]
    assert action == {"kind": "start", "value": {"x": grid[6], "y": grid[2]}, "reveal": True, "t": 1000}
    assert res["alerts"] is no_update  # the grid node of the clicked cell, for the race to apply
    app = flow.respond(state, action)
    assert app["state"]["start"] == [grid[6], grid[2]]
    assert app["state"]["runs"] == state["runs"]
    assert app["view_store"]["autoplay"] is True and app["view_store"]["reveal"] is True


def test_basin_refusals():
    state = _state(HIMMELBLAU)
    for runs, message in (([0, 1, 2, 2], "at most 3 runs"), ([], "pick at least one run"), ("0", "must be a list"),
                          ([5], "There is no run 6"), ([0, 0], "picked twice"), ([True], "Pick a run")):
        assert message in _text(mc.basin_compute(state, runs, 10, 100)["alerts"]), runs
    assert "would take" in _text(mc.basin_compute(state, [0, 1, 2], 128, 100)["alerts"])
    assert "Grid size" in _text(mc.basin_compute(state, [0], 1000, 100)["alerts"])
    out = mc.basin_compute(state, [0], 6, 20)
    other = _state("?surface=bowl")
    res = mc.basin_click(other, {"points": [{"x": 0, "y": 0}]}, out["request"])
    assert "another surface" in _text(res["alerts"]) and res["action"] is no_update
    res = mc.basin_click(state, {"points": [{"x": 40, "y": 0}]}, out["request"])
    assert "outside the map" in _text(res["alerts"])
    bad = {**out["request"], "runs": [{"index": 0, "optimizer": "gd", "hparams": {"lr": -1}}]}
    assert "learning rate" in _text(mc.basin_click(state, {"points": [{"x": 0, "y": 0}]}, bad)["alerts"])


def test_a_surface_without_minima_has_a_basin_map_of_diverged_or_not():
    state = _state("?surface=saddle&run=gd(lr=0.05)")
    out = mc.basin_compute(state, [0], 8, 60)
    z = np.asarray(_role(out["figure"], "basin")[0].z)
    assert set(np.unique(z)) <= {0, 1}
    assert "no known minimum" in out["note"]


# ------------------------------------------------------------------ fair comparison

def _grid_best(optimizer, hparams, surface, start, steps, n, objective):
    lrs = sweeps.param_grid(optimizer, "lr", n)
    xy = optimizers.run_batch(optimizer, surface, np.tile(start, (n, 1)), steps, **{**hparams, "lr": lrs})
    scores = sweeps.outcomes(surface, xy)[objective]
    scores = np.where(np.isnan(scores), np.inf, scores)
    return float(lrs[int(np.argmin(scores))]), float(scores.min())


def test_tuning_picks_the_grids_best_lr_and_races_the_tuned_runs():
    state = default_state()
    out = mc.tune_compute(state, [0, 2], "auc", 150, 16, "none", 8, 1e-6)
    assert out["alerts"] is no_update
    app = flow.respond(state, out["action"])  # "tune and race": the race applies the tuned set-up
    assert app["alerts"] == [] and app["state"] == out["action"]["state"]
    surface = surfaces.get("valley", **state["surface"]["params"])
    chosen = _role(out["figure"], "chosen")
    for k, index in enumerate((0, 2)):
        run = state["runs"][index]
        best_lr, best_value = _grid_best(run["optimizer"], run["hparams"], surface, state["start"], 150, 16, "auc")
        assert app["state"]["runs"][index]["hparams"]["lr"] == best_lr
        assert chosen[k].x[0] == best_lr and chosen[k].y[0] == pytest.approx(max(best_value, 1e-30))
        search = [t for t in _role(out["figure"], "search") if t.meta["run"] == index][0]
        assert len(search.x) == 16
    assert app["state"]["runs"][1] == state["runs"][1]  # not selected: unchanged
    assert app["state"]["steps"] == 150 == app["steps"] and app["view_store"]["autoplay"] is True
    assert app["view_store"]["reveal"] is True and app["url"] == encode_url(app["state"])
    assert "Objective: the lowest mean loss" in out["note"] and "same budget and start" in out["note"]
    req = tune.parse_tune_request(out["request"])[0]
    frame = tune.tune_frame(req, tune.compute_tune(req))
    assert frame.groupby("run").size().tolist() == [16, 16] and frame["chosen"].sum() == 2


def test_tuning_a_second_setting_shows_each_search_as_a_map():
    state = default_state()
    out = mc.tune_compute(state, [0, 2], "final_loss", 100, 8, "main", 5, 1e-6)
    assert out["alerts"] is no_update
    fig = out["figure"]
    search = {t.meta["run"]: t for t in _role(fig, "search")}
    assert search[0].type == "scatter"  # gradient descent has no second setting: its lr curve
    assert search[2].type == "heatmap" and np.asarray(search[2].z).shape == (5, 8)
    assert search[2].coloraxis == "coloraxis"  # one colour scale for every panel
    surface = surfaces.get("valley", **state["surface"]["params"])
    fixed = {k: v for k, v in state["runs"][2]["hparams"].items() if k not in ("lr", "beta1")}
    expected = sweeps.hyperparameter_map("adam", surface, state["start"], 100, y_name="beta1", nx=8, ny=5,
                                         **fixed)
    scores = np.where(np.isnan(expected.values), np.inf, expected.values)
    i, j = np.unravel_index(np.argmin(scores), scores.shape)
    tuned = flow.respond(state, out["action"])["state"]["runs"][2]["hparams"]
    assert (tuned["lr"], tuned["beta1"]) == (expected.x_values[j], expected.y_values[i])
    star = [t for t in _role(fig, "chosen") if t.meta["run"] == 2][0]
    assert (star.x[0], star.y[0]) == (tuned["lr"], tuned["beta1"])


def test_tune_refusals():
    state = default_state()
    cases = [
        (dict(objective="diverged"), "Objective must be one of"),
        (dict(objective=None), "Objective must be one of"),
        (dict(steps=5000), "Step budget must be between 1 and 2,000"),
        (dict(n_lr=0), "Learning rates to try"),
        (dict(second="all"), "Second setting must be one of"),
        (dict(n_second=129), "Values of the second setting"),
        (dict(runs=list(range(9))), "at most 8 runs"),
        (dict(runs=[0, 1, 2], n_lr=128, second="main", n_second=128, steps=200), "would take"),
        (dict(tol=1), "Tolerance must be one of"),
    ]
    args = dict(runs=[0], objective="final_loss", steps=50, n_lr=8, second="none", n_second=4, tol=1e-6)
    for changes, message in cases:
        a = {**args, **changes}
        out = mc.tune_compute(state, a["runs"], a["objective"], a["steps"], a["n_lr"], a["second"],
                              a["n_second"], a["tol"])
        assert message in _text(out["alerts"]) and out["action"] is no_update, (changes, _text(out["alerts"]))


# ------------------------------------------------------------------ CSV

def test_csv_downloads_are_each_maps_grid():
    state = _state(HIMMELBLAU)
    out = _hmap(state, n=6, steps=40)
    data, alerts = mc.csv_download(ids.HMAP_CSV, out["request"])
    assert alerts is no_update and data["filename"] == "descent-lab-hyperparameter-map.csv"
    frame = pd.read_csv(io.StringIO(data["content"]))
    assert list(frame.columns) == ["optimizer", "lr", "beta1", "final_loss", "diverged"] and len(frame) == 36
    req = hyperparameter.parse_hparam_request(out["request"])[0]
    np.testing.assert_allclose(frame["final_loss"].to_numpy(), hyperparameter.compute_hparam_map(req).values.ravel())

    out = mc.basin_compute(state, [0, 1], 7, 50)
    data, _ = mc.csv_download(ids.BASIN_CSV, out["request"])
    frame = pd.read_csv(io.StringIO(data["content"]))
    assert len(frame) == 2 * 49 and {"run", "x", "y", "label", "ends"} <= set(frame.columns)
    assert frame["ends"].str.startswith(("minimum", "not at", "diverged")).all()

    out = mc.tune_compute(state, [0], "final_loss", 50, 6, "none", 4, 1e-6)
    data, _ = mc.csv_download(ids.TUNE_CSV, out["request"])
    frame = pd.read_csv(io.StringIO(data["content"]))
    assert len(frame) == 6 and frame["chosen"].sum() == 1

    data, alerts = mc.csv_download(ids.BASIN_CSV, None)
    assert data is no_update and "Compute the basin map" in _text(alerts)


# ------------------------------------------------------------------ layout and registration

def _open_maps(node) -> list:
    """The ids of the unfolded maps in a tree."""
    if isinstance(node, (list, tuple)):
        return [key for item in node for key in _open_maps(item)]
    found = [node.id] if getattr(node, "open", None) and getattr(node, "id", None) else []
    children = getattr(node, "children", None)
    return found + ([] if children is None or isinstance(children, str) else _open_maps(children))


def test_the_page_starts_with_the_maps_folded_and_the_first_opened_mounts_them_all():
    panel = map_layout.maps_panel()
    for key in (ids.HMAP, ids.BASIN, ids.TUNE):  # each map's summary is there to open
        assert "map-folded" in _find(panel, key).className
    for control in (ids.HMAP_COMPUTE, ids.HMAP_GRAPH, ids.BASIN_GRAPH, ids.TUNE_GRAPH, ids.MAP_SPECS):
        assert _find(panel, control) is None, control  # nothing of the maps is rendered yet
    out = mc.mount([ids.BASIN], default_state())
    body = out["body"]
    assert _open_maps(body) == [ids.BASIN] and out["alerts"] is no_update
    assert _open_maps(mc.mount([ids.TUNE, ids.HMAP], default_state())["body"]) == [ids.HMAP, ids.TUNE]
    assert all("map-folded" not in _find(body, key).className for key in (ids.HMAP, ids.BASIN, ids.TUNE))
    assert _find(body, ids.MAPS_STATE).data == validate_state(default_state())[0]
    # a crafted request: an unknown map unfolds none; a broken state mirrors nothing
    for crafted in ("<b>", ["<b>"], {"hmap": 1}, None, 7, ids.HMAP):
        assert _open_maps(mc.mount(crafted, default_state())["body"]) == []
    refused = mc.mount([ids.HMAP], {"runs": "x"})
    assert _find(refused["body"], ids.MAPS_STATE).data is None and "refused" in _text(refused["alerts"])
    # before the page has its state (a map opened while it loads): nothing to mirror, nothing refused
    early = mc.mount([ids.HMAP], None)
    assert _find(early["body"], ids.MAPS_STATE).data is None and early["alerts"] is no_update


def test_the_panel_has_every_control_with_a_concrete_default():
    panel = [map_layout.maps_panel(), mc.mount([ids.HMAP], default_state())["body"]]
    for name in dir(ids):
        if name.startswith(("HMAP", "BASIN", "TUNE", "MAP")):
            assert _find(panel, getattr(ids, name)) is not None, name
    for control in (ids.HMAP_RUN, ids.HMAP_Y, ids.HMAP_N, ids.HMAP_STEPS, ids.HMAP_OUTCOME, ids.HMAP_TOL,
                    ids.HMAP_LR_RANGE, ids.HMAP_Y_RANGE, ids.BASIN_RUNS, ids.BASIN_N, ids.BASIN_STEPS,
                    ids.TUNE_RUNS, ids.TUNE_OBJECTIVE, ids.TUNE_STEPS, ids.TUNE_N, ids.TUNE_SECOND,
                    ids.TUNE_N_SECOND, ids.TUNE_TOL):
        assert _find(panel, control).value is not None, control
    table = map_layout.spec_table()
    assert set(table) == set(optimizers.REGISTRY)
    assert table["adam"]["second"] == "beta1" and table["gd"]["second"] is None
    assert [p["name"] for p in table["momentum"]["params"]][:1] == ["momentum"]
    # the default controls make a valid request for the default race
    out = _hmap(run=1, y_name="momentum", n=common.DEFAULT_GRID, steps=common.DEFAULT_STEPS, lr_range=[-6, 1])
    assert out["alerts"] is no_update


@pytest.fixture(scope="module")
def client():
    from descent_lab.app import app

    return app, app.server.test_client()


def _body(app, name, values: dict, changed: str):
    """A /_dash-update-component body for one of the maps' callbacks."""
    key, entry = next((k, c) for k, c in app.callback_map.items()
                      if "callback" in c and c["callback"].__name__ == name)
    outputs = [{"id": o.split(".")[0], "property": o.split(".")[1].split("@")[0]}
               for o in key.strip(".").split("...")]
    group = lambda specs: [{"id": s["id"], "property": s["property"],  # noqa: E731
                            "value": values.get(s["id"])} for s in specs]
    return {"output": key, "outputs": outputs, "inputs": group(entry["inputs"]), "state": group(entry["state"]),
            "changedPropIds": [changed]}


def test_the_real_endpoint_computes_a_map_and_refuses_a_huge_one(client):
    app, http = client
    names = {entry["callback"].__name__ for entry in app.callback_map.values() if "callback" in entry}
    assert {"on_hparam_map", "on_basin_map", "on_tune", "on_map_csv"} <= names
    state = default_state()
    values = {ids.HMAP_COMPUTE: 1, ids.STATE: state, ids.HMAP_RUN: 1, ids.HMAP_Y: "momentum", ids.HMAP_N: 8,
              ids.HMAP_STEPS: 50, ids.HMAP_OUTCOME: "final_loss", ids.HMAP_TOL: 1e-6, ids.HMAP_LR_RANGE: [-6, 1],
              ids.HMAP_Y_RANGE: [0, 1]}
    reply = http.post("/_dash-update-component", json=_body(app, "on_hparam_map", values, "hmap-compute.n_clicks"))
    assert reply.status_code == 200, reply.data[:300]
    response = reply.get_json()["response"]
    assert response[ids.HMAP_REQUEST]["data"]["n"] == 8
    heat = response[ids.HMAP_GRAPH]["figure"]["data"][2]
    assert heat["type"] == "heatmap" and heat["z"]["dtype"] == "f4"  # float32 on the wire
    assert "NaN" not in reply.get_data(as_text=True).replace('"NaN"', "")  # strict JSON

    for hostile in ({ids.HMAP_N: 10**9}, {ids.HMAP_Y: "__class__"}, {ids.STATE: "x"}, {ids.HMAP_RUN: 1.5}):
        body = _body(app, "on_hparam_map", {**values, **hostile}, "hmap-compute.n_clicks")
        reply = http.post("/_dash-update-component", json=body)
        assert reply.status_code == 200
        alerts = json.dumps(reply.get_json()["response"][ids.ALERTS]["children"])
        assert "refused" in alerts.lower(), hostile

    body = _body(app, "on_basin_map", {ids.BASIN_GRAPH: {"points": [{"x": 0, "y": 0}]}, ids.STATE: state,
                                       ids.BASIN_REQUEST: {"kind": "basin", "n": 10**6}}, "basin-graph.clickData")
    reply = http.post("/_dash-update-component", json=body)
    assert reply.status_code == 200 and "refused" in json.dumps(reply.get_json()).lower()


# ------------------------------------------------------------------ typed surfaces

CUSTOM = ("?surface=custom(xmin=-3,xmax=3,ymin=-3,ymax=3)&f=(x**2%20-%201)**2%20%2B%20y**2"
          "&run=gd(lr=0.02)&run=adam(lr=0.05)&start=0.3,1.5&steps=120")


def test_maps_work_on_a_typed_surface():
    state = _state(CUSTOM)
    surface = surfaces.from_expression("(x**2 - 1)**2 + y**2", ((-3, 3), (-3, 3)))
    out = _hmap(state, run=1, n=6, steps=80)
    assert out["alerts"] is no_update
    run = state["runs"][1]
    lrs = np.asarray(out["figure"].data[0].x)
    xy = optimizers.run_batch("adam", surface, [(0.3, 1.5)], 80, lr=float(lrs[0]),
                              beta1=float(out["figure"].data[0].y[0]))
    assert np.isfinite(xy).all() and run["optimizer"] == "adam"
    basins = mc.basin_compute(state, [0], 8, 100)
    assert basins["alerts"] is no_update
    z = np.asarray(_role(basins["figure"], "basin")[0].z)
    assert z.shape == (8, 8)  # no known minima: coloured by diverged / not
    tuned = mc.tune_compute(state, [0, 1], "final_loss", 80, 6, "none", 4, 1e-6)
    assert tuned["alerts"] is no_update
