"""Outcome maps and tuning agree with single runs; bounds are enforced."""

import numpy as np
import pytest

from descent_lab import surfaces
from descent_lab.optimizers import run
from descent_lab.optimizers.sweeps import (
    MAX_GRID,
    basin_map,
    hyperparameter_map,
    outcomes,
    param_grid,
    tune,
)

ROSEN = surfaces.get("rosenbrock")


def test_map_cells_agree_with_single_runs():
    m = hyperparameter_map("adam", ROSEN, (-1.2, 1.0), 150, y_name="beta1", nx=6, ny=5,
                           lr_range=(1e-3, 1.0))
    assert m.values.shape == (5, 6)
    rng = np.random.default_rng(0)
    for i, j in zip(rng.integers(0, 5, 6), rng.integers(0, 6, 6)):
        tr = run("adam", ROSEN, (-1.2, 1.0), 150, lr=float(m.x_values[j]),
                 beta1=float(m.y_values[i]), tol=0.0)
        if tr.status == "diverged":
            assert m.diverged[i, j] and m.values[i, j] == np.inf
        else:
            assert m.values[i, j] == pytest.approx(tr.loss[-1], rel=1e-8, abs=1e-14)
    assert m.x_values[0] == pytest.approx(1e-3) and m.x_values[-1] == pytest.approx(1.0)
    assert (m.y_values < 1).all()  # beta1's open upper bound stays out
    assert len(m.to_frame()) == 30


def test_steps_to_tolerance_matches_a_single_run():
    bowl = surfaces.get("bowl")
    m = hyperparameter_map("momentum", bowl, (3.0, 1.5), 300, y_name="momentum", nx=4, ny=3,
                           outcome="steps_to_tol", tol=1e-6, lr_range=(0.01, 0.5))
    for i in range(3):
        for j in range(4):
            tr = run("momentum", bowl, (3.0, 1.5), 300, lr=float(m.x_values[j]),
                     momentum=float(m.y_values[i]), tol=0.0)
            hit = np.flatnonzero(tr.loss <= 1e-6)
            expected = float(hit[0]) if len(hit) else np.nan
            np.testing.assert_equal(m.values[i, j], expected)


def test_basin_labels_agree_with_where_single_runs_end():
    him = surfaces.get("himmelblau")
    b = basin_map("gd", him, 300, n=12, lr=0.01)
    labels = b.values
    assert set(np.unique(labels)) <= {-2, -1, 0, 1, 2, 3}
    assert len(set(np.unique(labels)) & {0, 1, 2, 3}) == 4  # all four basins appear
    mins = np.asarray(him.minimizers)
    for i, j in [(0, 0), (11, 11), (3, 8), (8, 3), (6, 6)]:
        tr = run("gd", him, (b.x_values[j], b.y_values[i]), 300, lr=0.01)
        if labels[i, j] >= 0:
            assert np.linalg.norm(tr.xy[-1] - mins[labels[i, j]]) < 0.3
        elif labels[i, j] == -2:
            assert tr.status == "diverged"


def test_tuned_learning_rate_is_the_grids_best():
    t = tune("gd", ROSEN, (-1.2, 1.0), 200, objective="final_loss", n_lr=10,
             lr_range=(1e-5, 1e-2))
    scores = []
    for lr in t.lr_values:
        tr = run("gd", ROSEN, (-1.2, 1.0), 200, lr=float(lr), tol=0.0)
        scores.append(np.inf if tr.status == "diverged" else tr.loss[-1])
    assert t.best["lr"] == pytest.approx(t.lr_values[int(np.argmin(scores))])
    assert t.best_value == pytest.approx(min(scores), rel=1e-8)
    assert np.isinf(scores).any()  # the grid reaches a divergent rate: it never wins


def test_tuning_two_hyperparameters_uses_the_map():
    t = tune("adam", ROSEN, (-1.2, 1.0), 100, objective="auc", n_lr=5, second="beta1",
             n_second=3, lr_range=(1e-3, 0.3))
    assert t.map is not None and t.map.values.shape == (3, 5)
    i, j = np.unravel_index(np.argmin(t.map.values), t.map.values.shape)
    assert t.best == {"lr": pytest.approx(t.map.x_values[j]), "beta1": pytest.approx(t.map.y_values[i])}


def test_outcomes_rank_diverged_runs_last():
    xy = np.zeros((2, 3, 2))
    xy[1, 2] = np.nan
    out = outcomes(surfaces.get("bowl"), xy)
    assert out["final_loss"].tolist() == [0.0, np.inf]
    assert out["diverged"].tolist() == [0.0, 1.0]


@pytest.mark.parametrize("call, message", [
    (lambda: hyperparameter_map("adam", ROSEN, (0, 0), 10, y_name="beta1", nx=MAX_GRID + 1),
     "Invalid grid size"),
    (lambda: hyperparameter_map("adam", ROSEN, (0, 0), 10**5, y_name="beta1"),
     "Invalid number of steps"),
    (lambda: hyperparameter_map("adam", ROSEN, (0, 0), 10, y_name="lr"), "other than the learning"),
    (lambda: hyperparameter_map("adam", ROSEN, (0, 0), 10, y_name="nope"), "Unknown hyperparameter 'nope'"),
    (lambda: hyperparameter_map("adam", ROSEN, (0, 0), 10, y_name="beta1", outcome="x"),
     "Unknown outcome"),
    (lambda: basin_map("gd", ROSEN, 10, n=1), "Invalid grid size"),
    (lambda: tune("gd", ROSEN, (0, 0), 10, objective="best"), "Unknown objective"),
    (lambda: param_grid("rmsprop", "centered", 4), "is an option"),
])
def test_bounds_and_bad_requests_are_refused(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_rprop_step_factors_can_be_mapped_over_their_whole_range():
    for name in ("etaminus", "etaplus"):
        m = hyperparameter_map("rprop", ROSEN, (-1.2, 1.0), 20, y_name=name, nx=3, ny=4)
        assert m.values.shape == (4, 3)
