"""The runner: trajectories, divergence, noise, schedules, batches and bounds."""

import json
import math
import warnings

import numpy as np
import pytest

from descent_lab import optimizers, surfaces
from descent_lab.optimizers import OPTIMIZERS as REGISTRY, SCHEDULES, learning_rates, run, run_batch

ROSEN = surfaces.get("rosenbrock")
BOWL = surfaces.get("bowl")


def test_trajectory_shapes_and_alignment():
    tr = run("adam", ROSEN, (-1.2, 1.0), 50, lr=0.01)
    n = tr.steps
    assert n == 50 and tr.status == "max_steps"
    assert tr.xy.shape == (n + 1, 2) and tr.loss.shape == (n + 1,) and tr.grad.shape == (n + 1, 2)
    assert tr.lr_eff.shape == tr.grad_used.shape == tr.step.shape == (n, 2)
    assert set(tr.state) == {"m", "v"} and all(a.shape == (n, 2) for a in tr.state.values())
    np.testing.assert_allclose(tr.loss, ROSEN.f(tr.xy))
    np.testing.assert_allclose(tr.grad_used, tr.grad[:-1])  # no noise: the exact gradient
    np.testing.assert_allclose(tr.xy[1:] - tr.xy[:-1], tr.step)


def test_to_frame_has_one_row_per_iterate_and_every_internal_quantity():
    tr = run("rmsprop", ROSEN, (-1.2, 1.0), 30, centered=True, momentum=0.5)
    df = tr.to_frame()
    assert len(df) == 31
    for col in ["optimizer", "step", "x", "y", "loss", "grad_x", "grad_y", "dx", "dy",
                "lr_eff_x", "lr_eff_y", "v_x", "g_avg_x", "buf_y", "lr", "grad_used_x"]:
        assert col in df.columns, col
    assert df["step"].tolist() == list(range(31))
    assert df["dx"].iloc[:-1].notna().all() and np.isnan(df["dx"].iloc[-1])
    np.testing.assert_allclose(df["x"].to_numpy(), tr.xy[:, 0])


def test_to_frame_drops_buffers_the_configuration_does_not_use():
    df = run("rmsprop", ROSEN, (-1.2, 1.0), 5).to_frame()
    assert "g_avg_x" not in df.columns  # not centered: torch has no grad_avg either
    assert "v_max_x" not in run("adam", ROSEN, (-1.2, 1.0), 5).to_frame().columns
    assert "v_max_x" in run("amsgrad", ROSEN, (-1.2, 1.0), 5).to_frame().columns


def test_too_large_a_learning_rate_diverges_cleanly_at_the_right_step():
    # GD on the bowl multiplies x by (1 - lr); with lr = 2.5 that is -1.5 per step.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tr = run("gd", BOWL, (3.0, 1.5), 1000, lr=2.5)
    box = 100 * 4.0  # BOX_FACTOR x the half-width of the bowl's bounds
    expected = math.ceil(math.log(box / 3.0) / math.log(1.5))
    assert tr.status == "diverged" and tr.diverged_at == expected
    assert len(tr.xy) == expected  # the path ends at the last point inside the box
    for arr in (tr.xy, tr.loss, tr.grad, tr.lr_eff, tr.grad_used):
        assert np.isfinite(arr).all()
    json.dumps(tr.to_frame().iloc[:-1].to_dict("list"))  # serialisable


@pytest.mark.parametrize("key", list(REGISTRY))
def test_every_optimizer_blows_up_cleanly_without_warnings(key):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tr = run(key, surfaces.get("goldstein_price"), (1.9, -1.9), 500,
                 lr=REGISTRY[key].param("lr").high)
        xy = run_batch(key, surfaces.get("goldstein_price"), [(1.9, -1.9), (0.0, -1.0)], 500,
                       lr=REGISTRY[key].param("lr").high)
    assert np.isfinite(tr.xy).all() and np.isfinite(tr.loss).all()
    if tr.status == "diverged":
        assert tr.diverged_at == len(tr.xy)
        assert np.isnan(xy[0, tr.diverged_at:]).all()
        assert np.isfinite(xy[0, : tr.diverged_at]).all()
        np.testing.assert_allclose(xy[0, : tr.diverged_at], tr.xy, rtol=1e-9, atol=1e-12)


def test_overflow_in_the_float_path_is_divergence_not_an_exception():
    # Newton at a point where the Hessian is singular: division by zero in floats
    tr = run("newton", surfaces.get("monkey_saddle"), (0.0, 0.0), 10)
    assert tr.status in ("diverged", "converged")
    tr = run("gd", ROSEN, (-1.2, 1.0), 100, lr=1.0)
    assert tr.status == "diverged" and tr.diverged_at <= 5


def test_convergence_stops_the_run_and_reports_the_step():
    tr = run("gd", BOWL, (3.0, 1.5), 5000, lr=0.5)
    assert tr.status == "converged"
    assert tr.converged_at == tr.steps
    assert np.abs(tr.grad[-1]).max() <= 1e-8 and np.abs(tr.step[-1]).max() <= 1e-8
    assert np.abs(tr.grad[-2]).max() > 1e-8 or np.abs(tr.step[-2]).max() > 1e-8


def test_the_saddle_lets_runs_escape_and_adam_escapes_faster_than_gd():
    saddle = surfaces.get("saddle")
    gd = run("gd", saddle, saddle.start, 300, lr=0.01)
    adam = run("adam", saddle, saddle.start, 300, lr=0.01)

    def first_escape(tr):
        return int(np.argmax(np.abs(tr.xy[:, 1]) > 0.5))

    assert first_escape(adam) > 0
    assert first_escape(gd) == 0 or first_escape(gd) > 2 * first_escape(adam)
    assert adam.loss[-1] < 0  # below the saddle's level: it is unbounded below


# ------------------------------------------------------------------ noise


def test_noise_is_reproducible_with_a_seed_and_changes_with_it():
    a = run("gd", BOWL, (3.0, 1.5), 100, lr=0.1, noise=0.5, seed=7)
    b = run("gd", BOWL, (3.0, 1.5), 100, lr=0.1, noise=0.5, seed=7)
    c = run("gd", BOWL, (3.0, 1.5), 100, lr=0.1, noise=0.5, seed=8)
    np.testing.assert_array_equal(a.xy, b.xy)
    assert not np.allclose(a.xy, c.xy)
    z = np.random.default_rng(7).standard_normal((100, 2))
    np.testing.assert_allclose(a.grad_used - a.grad[:-1], 0.5 * z, atol=1e-12)


def test_batch_noise_equals_single_runs_with_consecutive_seeds():
    starts = [(3.0, 1.5), (-2.0, 1.0), (0.5, -3.0)]
    xy = run_batch("adam", BOWL, starts, 60, lr=0.05, noise=0.3, seed=11)
    for b, start in enumerate(starts):
        tr = run("adam", BOWL, start, 60, lr=0.05, noise=0.3, seed=11 + b)
        np.testing.assert_allclose(xy[b], tr.xy, rtol=1e-12, atol=1e-14)


# -------------------------------------------------------------- schedules


def test_schedules_follow_torchs_closed_forms():
    lr = 0.1
    np.testing.assert_allclose(learning_rates({"kind": "step", "step_size": 2, "gamma": 0.5}, lr, 5),
                               [0.1, 0.1, 0.05, 0.05, 0.025])
    np.testing.assert_allclose(learning_rates({"kind": "exponential", "gamma": 0.9}, lr, 3),
                               [0.1, 0.09, 0.081])
    cos = learning_rates({"kind": "cosine", "T_max": 4, "eta_min": 0.0}, lr, 5)
    np.testing.assert_allclose(cos, [0.1, 0.1 * (1 + math.cos(math.pi / 4)) / 2, 0.05,
                                     0.1 * (1 + math.cos(3 * math.pi / 4)) / 2, 0.0], atol=1e-15)
    warm = learning_rates({"kind": "warmup", "start_factor": 0.25, "total_iters": 3}, lr, 5)
    np.testing.assert_allclose(warm, [0.025, 0.05, 0.075, 0.1, 0.1])
    np.testing.assert_allclose(learning_rates(None, lr, 3), [0.1] * 3)
    assert learning_rates({"kind": "step", "step_size": 2, "gamma": 0.5}, [0.1, 1.0], 3).shape == (3, 2)


def test_a_schedule_changes_the_run_exactly_as_a_manual_loop_would():
    sched = {"kind": "step", "step_size": 3, "gamma": 0.5}
    tr = run("gd", BOWL, (3.0, 1.5), 10, lr=0.2, schedule=sched)
    x = np.array([3.0, 1.5])
    for k in range(10):
        x = x - 0.2 * 0.5 ** (k // 3) * x
        np.testing.assert_allclose(tr.xy[k + 1], x, rtol=1e-14)
    np.testing.assert_allclose(tr.lr, 0.2 * 0.5 ** (np.arange(10) // 3))


def test_rprop_ignores_schedules_like_torch():
    sched = {"kind": "exponential", "gamma": 0.5}
    a = run("rprop", ROSEN, (-1.2, 1.0), 30)
    b = run("rprop", ROSEN, (-1.2, 1.0), 30, schedule=sched)
    np.testing.assert_array_equal(a.xy, b.xy)


@pytest.mark.parametrize("schedule, message", [
    ({"kind": "sawtooth"}, "Unknown schedule 'sawtooth'"),
    ({"kind": "step", "gamma": 2.0}, "Invalid gamma value: 2.0"),
    ({"kind": "step", "period": 3}, "Unknown parameter 'period'"),
    ("cosine", "Invalid schedule: 'cosine'"),
])
def test_invalid_schedules_are_refused(schedule, message):
    with pytest.raises(ValueError, match=message):
        run("gd", BOWL, (1.0, 1.0), 5, schedule=schedule)


def test_every_schedule_spec_has_valid_defaults():
    for key, spec in SCHEDULES.items():
        lrs = learning_rates({"kind": key}, 0.1, 50)
        assert lrs.shape == (50,) and np.isfinite(lrs).all() and (lrs >= 0).all()


# ------------------------------------------------------------------ batch


@pytest.mark.parametrize("key", list(REGISTRY))
def test_batch_equals_single_runs_with_swept_learning_rates(key):
    spec = REGISTRY[key]
    starts = np.array([[-1.2, 1.0], [0.3, -0.5], [1.5, 2.0]])
    p = spec.param("lr")
    lrs = np.array([p.default, min(p.default * 2, p.high), max(p.default / 3, p.low)])
    xy = run_batch(key, ROSEN, starts, 40, lr=lrs)
    assert xy.shape == (3, 41, 2)
    for b in range(3):
        tr = run(key, ROSEN, starts[b], 40, lr=float(lrs[b]), tol=0.0)
        n = len(tr.xy)
        np.testing.assert_allclose(xy[b, :n], tr.xy, rtol=1e-10, atol=1e-12)


def test_batch_sweeps_a_second_hyperparameter():
    beta1 = np.array([0.0, 0.5, 0.9])
    xy = run_batch("adam", ROSEN, np.tile([-1.2, 1.0], (3, 1)), 30, lr=0.02, beta1=beta1)
    for b in range(3):
        tr = run("adam", ROSEN, (-1.2, 1.0), 30, lr=0.02, beta1=float(beta1[b]))
        np.testing.assert_allclose(xy[b], tr.xy, rtol=1e-10)


@pytest.mark.parametrize("kwargs, message", [
    ({"lr": np.array([0.1, 50.0])}, "Invalid learning rate: 50.0"),
    ({"lr": np.array([0.1, np.nan])}, "Invalid learning rate: nan"),
    ({"lr": np.array([0.1, 0.2, 0.3])}, "must be a number or 2 numbers"),
    ({"beta1": [0.5, 1.0]}, "Invalid beta parameter at index 0: 1.0"),
    ({"amsgrad": True}, "Unknown hyperparameter 'amsgrad'"),
])
def test_batch_validates_every_swept_value(kwargs, message):
    with pytest.raises(ValueError, match=message):
        run_batch("adam", ROSEN, [(0.0, 0.0), (1.0, 1.0)], 5, **kwargs)


def test_batch_refuses_bool_options_as_sweeps():
    with pytest.raises(ValueError, match="cannot be swept|Invalid centered"):
        run_batch("rmsprop", ROSEN, [(0.0, 0.0), (1.0, 1.0)], 5, centered=[0, 1])


def test_bounds_on_steps_and_batch_size_are_enforced():
    with pytest.raises(ValueError, match="Invalid number of steps: 10001"):
        run("gd", BOWL, (1.0, 1.0), optimizers.MAX_STEPS + 1)
    with pytest.raises(ValueError, match="Invalid number of steps: -1"):
        run("gd", BOWL, (1.0, 1.0), -1)
    with pytest.raises(ValueError, match="expected an integer"):
        run("gd", BOWL, (1.0, 1.0), 1e3)
    with pytest.raises(ValueError, match="Batch too large"):
        run_batch("gd", BOWL, np.zeros((5000, 2)), 5000)
    with pytest.raises(ValueError, match="Invalid batch size"):
        run_batch("gd", BOWL, np.zeros((0, 2)), 5)
    with pytest.raises(ValueError, match="expected \\(B, 2\\)"):
        run_batch("gd", BOWL, np.zeros((4, 3)), 5)


@pytest.mark.parametrize("start", [(np.nan, 0.0), (np.inf, 1.0), ("a", "b"), (1.0,), None])
def test_bad_start_points_are_refused(start):
    with pytest.raises(ValueError, match="Invalid start point"):
        run("gd", BOWL, start, 5)


@pytest.mark.parametrize("noise, seed", [(-1.0, 0), (float("nan"), 0), ("0.1", 0), (0.1, -3),
                                         (0.1, 1.5)])
def test_bad_noise_settings_are_refused(noise, seed):
    with pytest.raises(ValueError, match="Invalid (noise|seed)"):
        run("gd", BOWL, (1.0, 1.0), 5, noise=noise, seed=seed)


def test_zero_steps_gives_just_the_start():
    tr = run("adam", ROSEN, (-1.2, 1.0), 0)
    assert tr.xy.shape == (1, 2) and tr.step.shape == (0, 2) and tr.status == "max_steps"
    assert run_batch("adam", ROSEN, [(-1.2, 1.0)], 0).shape == (1, 1, 2)


@pytest.mark.parametrize("schedule, name", [
    ({"kind": "step", "step_size": 2.5}, "step_size"),
    ({"kind": "warmup", "total_iters": 2.5}, "total_iters"),
    ({"kind": "cosine", "T_max": 10.5}, "T_max"),
])
def test_schedule_periods_are_whole_numbers_of_steps(schedule, name):
    with pytest.raises(ValueError, match=rf"Invalid {name} value: .* \(expected a whole number\)"):
        learning_rates(schedule, 0.1, 10)
    with pytest.raises(ValueError, match="expected a whole number"):
        run("gd", BOWL, (1.0, 1.0), 10, schedule=schedule)
    whole = {**schedule, name: 3.0}  # a float that is a whole number is that number
    np.testing.assert_array_equal(learning_rates(whole, 0.1, 10),
                                  learning_rates({**schedule, name: 3}, 0.1, 10))


def test_a_run_does_not_stop_as_converged_while_the_schedule_will_raise_the_rate():
    # cosine towards an eta_min above lr: GD on the bowl looks converged by step 14,
    # but the rate later reaches 4 (|1 - 4| > 1) and the run blows up
    sched = {"kind": "cosine", "T_max": 40, "eta_min": 4.0}
    tr = run("gd", BOWL, (1.0, 1.0), 100, lr=0.5, schedule=sched)
    assert tr.status == "diverged" and tr.converged_at is None
    lrs = learning_rates(sched, 0.5, 100)
    assert lrs[tr.diverged_at - 1] > 2.0  # it went where the raised rate took it
    # a decaying schedule still stops early
    tr = run("gd", BOWL, (1.0, 1.0), 100, lr=0.5, schedule={"kind": "exponential", "gamma": 0.99})
    assert tr.status == "converged" and tr.steps < 100
