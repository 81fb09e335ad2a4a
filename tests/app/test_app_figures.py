"""ui.figures and ui.simulate: pure builders from plain data."""

import json

import numpy as np
import pandas as pd
import pytest

from descent_lab import surfaces
from descent_lab.ui import figures, simulate
from descent_lab.ui.presets import PRESETS
from descent_lab.ui.state import default_state, validate_state


def _state(**changes):
    state = default_state()
    state.update(changes)
    return validate_state(state)[0]


def _strict_json(obj):
    return json.dumps(obj, allow_nan=False)  # raises on NaN / inf


# -------------------------------------------------------------------- palette

def test_palette_is_okabe_ito_and_distinct_for_eight_runs():
    colours = [figures.run_color(i) for i in range(8)]
    assert len(set(colours)) == 8
    assert set(colours) == {"#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7", "#000000"}
    assert len({figures.run_symbol(i) for i in range(8)}) == 8


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
    assert figures.run_label(optimizer, hparams) == expected


@pytest.mark.parametrize("value,text", [(0.001, "0.001"), (1e-8, "1e-8"), (0.9, "0.9"), (0.00501, "0.00501"),
                                        (150.0, "150"), (2.5e6, "2.5e6"), (0, "0"), (True, "on")])
def test_fmt_value(value, text):
    assert figures.fmt_value(value) == text


# -------------------------------------------------------------------- contour

@pytest.mark.parametrize("key", list(surfaces.REGISTRY))
def test_surface_payload_is_finite_float32_json(key):
    params = {hp.name: hp.default for hp in surfaces.REGISTRY[key].params}
    payload = figures.surface_payload({"key": key, "params": params})
    text = _strict_json(payload)
    contour = payload["contour"]
    assert contour["z"]["dtype"] == "f4" and contour["z"]["shape"] == f"{figures.GRID_N}, {figures.GRID_N}"
    z = simulate.decode_f4(contour["z"])
    assert z.size == figures.GRID_N**2 and np.isfinite(z).all()
    assert len(text) < 200_000  # sent once per surface: about 125 kB
    assert payload["layout"]["yaxis"]["scaleanchor"] == "x"  # equal scale: angles are true
    assert payload["layout"]["xaxis"]["range"] == list(surfaces.get(key).bounds[0])


def test_log_colouring_shows_rings_near_the_minimum():
    xs, ys, z, title = figures.contour_grid("rosenbrock", (("a", 1.0), ("b", 100.0)))
    assert "log" in title
    assert z.max() - z.min() > 4  # several decades, not a flat floor


def test_grid_layout_has_one_subplot_per_run_with_shared_ranges():
    layout = figures.grid_layout(((-1, 1), (-2, 2)), 5, "f", titles=list("abcde"))
    for i in range(5):
        xa = "xaxis" if i == 0 else f"xaxis{i + 1}"
        assert layout[xa]["range"] == [-1.0, 1.0]
        if i:
            assert layout[xa]["matches"] == "x"
    assert "xaxis6" not in layout
    assert [a["text"] for a in layout["annotations"]] == list("abcde")
    assert layout["coloraxis"]["showscale"] is False  # one shared colour scale
    assert figures.grid_shape(8) == (2, 4) and figures.grid_shape(3) == (1, 3)


# ------------------------------------------------------------------ simulate

def test_f4_round_trip_and_clipping():
    values = np.array([0.0, -1.5, 3.25, 1e300, -1e300])
    back = simulate.decode_f4(simulate.encode_f4(values))
    assert back.dtype == np.float32
    assert back[:3].tolist() == [0.0, -1.5, 3.25]
    assert np.isfinite(back).all()


def test_simulate_reports_status_per_run_and_is_json_safe():
    state = validate_state(PRESETS["lr-too-large"].state)[0]
    paths = simulate.simulate(state)
    _strict_json(paths)
    statuses = [run["status"] for run in paths["runs"]]
    assert statuses[-1] == "diverged"
    last = paths["runs"][-1]
    assert last["at"] is not None and last["status_text"] == f"diverged at step {last['at']}"
    x = simulate.decode_f4(last["x"])
    assert len(x) == last["n"] and np.isfinite(x).all()
    assert paths["runs"][0]["status"] == "converged"
    assert paths["runs"][0]["status_text"].startswith("converged at step")


def test_still_moving_status():
    assert simulate.status_text("max_steps", None, 300) == "still moving after 300 steps"


def test_loss_series_is_the_gap_or_the_value():
    assert simulate.loss_series(np.array([3.0, 3.0 + 1e-9]), 3.0).tolist() == pytest.approx([1e-30, 1e-9])
    assert simulate.loss_series(np.array([-5.0, 2.0]), None).tolist() == [-5.0, 2.0]


def test_nearest_distance_picks_the_closest_minimizer():
    xy = np.array([[3.0, 2.0], [0.0, 0.0]])
    dist = simulate.nearest_distance(xy, surfaces.get("himmelblau").minimizers)
    assert dist[0] == pytest.approx(0.0, abs=1e-9)
    assert dist[1] == pytest.approx(min(np.hypot(*m) for m in surfaces.get("himmelblau").minimizers))
    assert simulate.nearest_distance(xy, ()) is None


def test_eight_runs_of_a_thousand_steps_fit_the_byte_budget():
    from descent_lab.ui.callbacks import paths_payload

    runs = [{"optimizer": "adam", "hparams": {"lr": 0.002 * (i + 1)}} for i in range(8)]
    state = _state(surface={"key": "rosenbrock", "params": {}}, runs=runs, steps=1000, start=None)
    payload = _strict_json(paths_payload(state))
    # x, y, loss as float32 base64: 8 runs x 1001 points x 3 x 4 bytes x 4/3 = 128 kB,
    # plus templates; decimal JSON of the same would be ~400 kB. This full payload is
    # sent on load and when the start, surface or budget change; a slider sends one run
    # (tests/app/test_app_callbacks.py).
    assert len(payload) < 170_000


def test_trajectories_frame_has_one_row_per_step_per_run_with_state():
    state = _state(steps=50)
    frame = simulate.trajectories_frame(state)
    lengths = [len(simulate.run_one(state, i).xy) for i in range(len(state["runs"]))]
    assert len(frame) == sum(lengths)
    assert frame.groupby("run").size().tolist() == lengths
    assert {"run", "optimizer", "label", "status", "step", "x", "y", "loss", "distance_to_min"} <= set(frame.columns)
    adam = frame[frame["optimizer"] == "adam"]
    assert {"m_x", "m_y"} <= set(adam.columns) and adam["m_x"].notna().any()
    assert isinstance(frame, pd.DataFrame)


# ----------------------------------------------------------- static figures

def test_main_figure_overlay_and_grid_at_a_frame():
    state = _state(steps=40)
    surface = figures.surface_payload(state["surface"])
    paths = simulate.simulate(state)
    paths["colour_title"] = "f"
    overlay = figures.main_figure(surface, paths, frame=10)
    roles = [t.meta["role"] for t in overlay.data]
    assert roles.count("path") == 3 and roles.count("contour") == 1
    path = next(t for t in overlay.data if t.meta["role"] == "path")
    assert len(path.x) == 11  # steps 0..10
    grid = figures.main_figure(surface, paths, frame=10, view="grid")
    assert [t.meta["role"] for t in grid.data].count("contour") == 3


def test_charts_use_a_log_axis_unless_unbounded_below():
    state = _state(steps=30)
    paths = simulate.simulate(state)
    loss = figures.loss_figure(paths, frame=5)
    assert loss.layout.yaxis.type == "log"
    dist = figures.distance_figure(paths, frame=5)
    assert [t.meta["role"] for t in dist.data].count("dist") == 3
    frame_lines = [t for t in dist.data if t.meta["role"] == "frame"]
    assert frame_lines and list(frame_lines[0].x) == [5, 5]
    saddle = validate_state(PRESETS["saddle-escape"].state)[0]
    spaths = simulate.simulate(saddle)
    assert spaths["loss_kind"] == "value"
    assert figures.loss_figure(spaths, 0).layout.yaxis.type == "linear"
