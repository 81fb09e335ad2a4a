"""What the browser receives, built by pure functions from plain data: the theme and
labels (ui.core.theme, .labels), the codec, the shared plot pieces (ui.core.plot), the
contour (ui.race.surface.surface_payload), the paths (ui.race.runs.run_payload,
ui.race.flow.paths_payload) and the CSV table (ui.race.export). The drawing itself is
the browser's, tested in tests/browser."""

import json

import numpy as np
import pandas as pd
import pytest

from descent_lab import optimizers, surfaces
from descent_lab.ui.race import lessons
from descent_lab.surfaces.base import nearest_distance
from descent_lab.ui.core import engine, plot, theme
from descent_lab.ui.core.codec import decode_f4, encode_f4, encode_grid
from descent_lab.ui.core.labels import hparam_label, run_label
from descent_lab.ui.core.state import default_state, make_surface, validate_state
from descent_lab.ui.race import export, flow, runs, surface


def _state(**changes):
    state = default_state()
    state.update(changes)
    return validate_state(state)[0]


def _strict_json(obj):
    return json.dumps(obj, allow_nan=False)  # raises on NaN / inf


# -------------------------------------------------------------------- palette

def test_palette_is_okabe_ito_with_a_visible_eighth_colour_and_distinct_markers():
    colours = [theme.run_color(i) for i in range(8)]
    assert len(set(colours)) == 8
    # Okabe & Ito's yellow vanishes on the pale contour: a dark violet takes its place
    okabe_ito = {"#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7", "#000000"}
    assert set(colours) == okabe_ito - {"#F0E442"} | {"#5D3A9B"}
    assert len({theme.run_symbol(i) for i in range(8)}) == 8
    assert all(theme.run_glyph(i) for i in range(8))
    exported = theme.export()
    assert exported["palette"] == colours and exported["symbols"] == [theme.run_symbol(i) for i in range(8)]


@pytest.mark.parametrize("optimizer,hparams,expected", [
    ("adam", {"lr": 0.01, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weight_decay": 0.0}, "Adam lr=0.01 β1=0.9"),
    ("adam", {"lr": 0.1, "beta1": 0.5, "beta2": 0.99, "eps": 1e-8, "weight_decay": 0.0},
     "Adam lr=0.1 β1=0.5 β2=0.99"),
    ("gd", {"lr": 1.8, "weight_decay": 0.0}, "Gradient descent lr=1.8"),
    ("momentum", {"lr": 0.18, "momentum": 0.9, "dampening": 0.0, "weight_decay": 0.01},
     "Momentum lr=0.18 μ=0.9 wd=0.01"),
    ("rmsprop", {"lr": 0.01, "alpha": 0.99, "momentum": 0.0, "centered": True, "eps": 1e-8,
                 "weight_decay": 0.0}, "RMSprop lr=0.01 α=0.99 centered"),
])
def test_legend_names_each_run_with_its_key_settings(optimizer, hparams, expected):
    assert hparam_label(optimizer, hparams) == expected
    assert run_label({"optimizer": optimizer, "hparams": hparams, "schedule": {"kind": "constant"}}) == expected


def test_a_schedule_is_named_in_the_legend():
    run = {"optimizer": "gd", "hparams": {"lr": 1.8, "weight_decay": 0.0}, "schedule": {"kind": "cosine"}}
    assert run_label(run) == "Gradient descent lr=1.8 · " + optimizers.SCHEDULES["cosine"].label


@pytest.mark.parametrize("value,text", [(0.001, "0.001"), (1e-8, "1e-8"), (0.9, "0.9"), (0.00501, "0.00501"),
                                        (150.0, "150"), (2.5e6, "2.5e6"), (0, "0"), (True, "on"),
                                        (12345.6, "12346"), (-0.25, "-0.25")])
def test_fmt_value(value, text):
    assert theme.fmt_value(value) == text


# -------------------------------------------------------------------- contour

@pytest.mark.parametrize("key", list(surfaces.REGISTRY))
def test_surface_payload_is_finite_float32_json(key):
    state = _state(surface={"key": key, "params": {}}, start=None)
    payload = surface.surface_payload(state)
    text = _strict_json(payload)
    contour = payload["contour"]
    assert contour["z"]["dtype"] == "f4" and contour["z"]["shape"] == f"{engine.GRID_N}, {engine.GRID_N}"
    z = decode_f4(contour["z"])
    assert z.size == engine.GRID_N**2 and np.isfinite(z).all()
    assert len(text) < 200_000  # sent once per surface: about 125 kB
    assert payload["box"] == [list(map(float, b)) for b in surfaces.get(key).bounds]
    layout = flow.paths_payload(state)["layout"]
    assert layout["yaxis"]["scaleanchor"] == "x"  # equal scale: angles are true
    assert layout["xaxis"]["range"] == list(surfaces.get(key).bounds[0])
    if surfaces.get(key).minimizers:
        assert payload["minima"]["x"] == [float(m[0]) for m in surfaces.get(key).minimizers]


def test_the_contour_is_drawn_before_the_loss_scale_and_over_the_window():
    state = _state()
    scaled = _state(surface={"key": "valley", "params": {"condition": 20.0, "angle": 0.0, "scale": 10.0}})
    assert surface.surface_payload(scaled)["contour"] == surface.surface_payload(state)["contour"]
    boxed = _state(box=[[-9.0, 1.0], [-3.0, 3.0]])
    xs = decode_f4(surface.surface_payload(boxed)["contour"]["x"])
    assert (xs[0], xs[-1]) == (-9.0, 1.0)
    compared = _state(compare={"angle": 45.0})
    twin = surface.surface_payload(compared)["twin"]
    assert twin["contour"]["z"] != surface.surface_payload(compared)["contour"]["z"]


def test_log_colouring_shows_rings_near_the_minimum():
    xs, ys, z, title = engine.contour_grid("rosenbrock", (("a", 1.0), ("b", 100.0)))
    assert "log" in title
    assert z.max() - z.min() > 4  # several decades, not a flat floor


def test_grid_layout_has_one_panel_per_run_with_shared_ranges():
    layout = plot.panels_layout(((-1, 1), (-2, 2)), 5, "f")
    for i in range(5):
        xa = "xaxis" if i == 0 else f"xaxis{i + 1}"
        assert layout[xa]["range"] == [-1.0, 1.0]
        if i:
            assert layout[xa]["matches"] == "x"
    assert "xaxis6" not in layout
    assert layout["coloraxis"]["showscale"] is False  # one shared colour scale
    assert plot.grid_shape(8) == (2, 4) and plot.grid_shape(3) == (1, 3)
    state = _state(view="grid", runs=[{"optimizer": k} for k in ("gd", "momentum", "adam", "lion", "rmsprop")])
    assert [p["runs"] for p in flow.panels(state)] == [[0], [1], [2], [3], [4]]
    compared = _state(compare={"angle": 45.0})
    assert [p["title"] for p in flow.panels(compared)] == ["rotation (degrees) = 0", "rotation (degrees) = 45"]


# ------------------------------------------------------------------ codec and paths

def test_f4_round_trip_and_clipping():
    values = np.array([0.0, -1.5, 3.25, 1e300, -1e300])
    back = decode_f4(encode_f4(values))
    assert back.dtype == np.float32
    assert back[:3].tolist() == [0.0, -1.5, 3.25]
    assert np.isfinite(back).all()
    grid = encode_grid(np.arange(6.0).reshape(2, 3))
    assert grid["shape"] == "2, 3" and decode_f4(grid).tolist() == [0, 1, 2, 3, 4, 5]


def test_paths_report_status_per_run_and_are_json_safe():
    state = validate_state(lessons.get("lr-too-large").state)[0]
    paths = flow.paths_payload(state)
    _strict_json(paths)
    statuses = [run["status"] for run in paths["runs"]]
    assert statuses[-1] == "diverged"
    last = paths["runs"][-1]
    assert last["at"] is not None and last["status_text"] == f"diverged at step {last['at']}"
    x = decode_f4(last["x"])
    assert len(x) == last["n"] and np.isfinite(x).all()
    assert paths["runs"][0]["status"] != "diverged"  # lr 0.5 is stable
    assert paths["runs"][0]["status_text"] == f"still moving after {state['steps']} steps"


def test_each_run_payload_is_the_engines_trajectory():
    state = _state(steps=60)
    s = make_surface(state["surface"])
    for i, payload in enumerate(flow.paths_payload(state)["runs"]):
        traj = engine.trajectory(state, i)
        run = state["runs"][i]
        assert (payload["id"], payload["index"], payload["optimizer"]) == (run["id"], i, run["optimizer"])
        assert payload["color"] == theme.run_color(run["id"]) and payload["label"] == run_label(run)
        np.testing.assert_allclose(decode_f4(payload["x"]), traj.xy[:, 0].astype(np.float32))
        np.testing.assert_allclose(decode_f4(payload["loss"]), runs.loss_series(traj.loss, s.min_value)
                                   .astype(np.float32))
        np.testing.assert_allclose(decode_f4(payload["dist"]),
                                   np.maximum(nearest_distance(traj.xy, s.minimizers), 1e-30).astype(np.float32))
        assert payload["values"]["lr"] == theme.fmt_value(run["hparams"]["lr"])


def test_still_moving_status():
    state = _state(steps=3)
    traj = engine.trajectory(state, 0)
    assert traj.status == "max_steps"
    assert runs.status_text(traj, make_surface(state["surface"]), 3) == "still moving after 3 steps"


def test_a_run_stopped_away_from_the_global_minimum_is_not_called_converged():
    local = _state(surface={"key": "rastrigin", "params": {}}, runs=[{"optimizer": "gd", "hparams": {"lr": 0.001}}],
                   start=[2.1, 1.9], steps=3000)
    run = flow.paths_payload(local)["runs"][0]
    assert run["status"] == "converged"  # the engine's word: the gradient vanished
    assert run["status_text"].startswith(f"stopped at step {run['at']} at (1.99, 1.99), a local minimum (f − f* = ")
    near = flow.paths_payload({**local, "start": [0.2, 0.1]})["runs"][0]
    assert near["status_text"] == f"converged at step {near['at']}"
    typed = _state(surface={"key": "custom", "params": {"expression": "(x**2 - 1)**2 + y**2", "xmin": -2.0,
                                                        "xmax": 2.0, "ymin": -2.0, "ymax": 2.0}},
                   runs=[{"optimizer": "gd", "hparams": {"lr": 0.05}}], start=[1.5, 0.5], steps=2000)
    run = flow.paths_payload(typed)["runs"][0]  # no known minimum: no claim about which one
    assert run["status"] == "converged" and run["status_text"].endswith("where the gradient vanishes")


def test_loss_series_is_the_gap_or_the_value():
    assert runs.loss_series(np.array([3.0, 3.0 + 1e-9]), 3.0).tolist() == pytest.approx([1e-30, 1e-9])
    assert runs.loss_series(np.array([-5.0, 2.0]), None).tolist() == [-5.0, 2.0]


def test_nearest_distance_picks_the_closest_minimizer():
    xy = np.array([[3.0, 2.0], [0.0, 0.0]])
    dist = nearest_distance(xy, surfaces.get("himmelblau").minimizers)
    assert dist[0] == pytest.approx(0.0, abs=1e-9)
    assert dist[1] == pytest.approx(min(np.hypot(*m) for m in surfaces.get("himmelblau").minimizers))
    assert nearest_distance(xy, ()) is None


def test_eight_runs_of_a_thousand_steps_fit_the_byte_budget():
    runs_ = [{"optimizer": "adam", "hparams": {"lr": 0.002 * (i + 1)}} for i in range(8)]
    state = _state(surface={"key": "rosenbrock", "params": {}}, runs=runs_, steps=1000, start=None)
    payload = _strict_json(flow.paths_payload(state))
    # x, y, loss, distance as float32 base64: 8 runs x 1001 points x 4 x 4 bytes x 4/3 = 171 kB,
    # plus labels and layout; decimal JSON of the same would be ~530 kB. This full payload is
    # sent on load and when the start, surface or budget change; a slider sends one run
    # (tests/app/test_app_callbacks.py).
    assert len(payload) < 185_000, len(payload)


def test_trajectories_frame_has_one_row_per_step_per_run_with_state():
    state = _state(steps=50)
    frame = export.trajectories_frame(state)
    lengths = [len(engine.trajectory(state, i).xy) for i in range(len(state["runs"]))]
    assert len(frame) == sum(lengths)
    assert frame.groupby("run").size().tolist() == lengths
    assert {"run", "optimizer", "label", "status", "step", "x", "y", "loss", "distance_to_min"} <= set(frame.columns)
    adam = frame[frame["optimizer"] == "adam"]
    assert {"m_x", "m_y"} <= set(adam.columns) and adam["m_x"].notna().any()
    assert isinstance(frame, pd.DataFrame)
    empty = export.trajectories_frame(_state(runs=[]))
    assert len(empty) == 0 and list(empty.columns[:4]) == ["run", "optimizer", "label", "status"]


# ----------------------------------------------------------- what the charts plot

def test_panels_and_charts_have_their_data():
    state = _state(steps=40)
    paths = flow.paths_payload(state)
    assert [p["runs"] for p in paths["panels"]] == [[0, 1, 2]]
    grid = flow.paths_payload(_state(steps=40, view="grid"))
    assert len(grid["panels"]) == 3 and grid["layout"]["xaxis3"]["matches"] == "x"
    assert paths["loss_kind"] == "gap" and paths["loss_title"] == "f − f*"  # a log axis
    assert all(len(decode_f4(run["dist"])) == run["n"] for run in paths["runs"])
    saddle = validate_state({"surface": {"key": "saddle", "params": {}}})[0]
    spaths = flow.paths_payload(saddle)
    assert spaths["loss_kind"] == "value" and "unbounded below" in spaths["loss_title"]  # a linear axis
    assert all("dist" not in run for run in spaths["runs"])  # no minimum to measure from
