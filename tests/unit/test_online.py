"""Adam's known failure (Reddi, Kale & Kumar, 2018) as an online problem the runners run:
the gradient sequence, the projection onto x in [-1, 1], and Adam at +1 against AMSGrad
at -1, with the per-cycle drift both closed forms predict."""

import numpy as np
import pytest

from descent_lab import optimizers, surfaces
from descent_lab.surfaces import online

REDDI = surfaces.get("reddi")  # C = 10
BETA2 = 1 / (1 + 10**2)


def test_the_losses_arrive_c_then_minus_1_twice():
    grad = REDDI.stochastic.sampler(0, 9)
    got = [grad(0.3, 0.5) for _ in range(9)]
    assert [g[0] for g in got] == [10.0, -1.0, -1.0] * 3 and all(g[1] == 0.5 for g in got)
    assert [online.is_large(k) for k in range(6)] == [True, False, False, True, False, False]
    scaled = surfaces.get("reddi", scale=2.0).stochastic.sampler(0, 3)
    assert scaled(0.0, 1.0) == (20.0, 2.0)


def test_the_contour_is_the_average_loss_smallest_at_x_minus_1():
    pts = np.random.default_rng(0).uniform(-1, 1, size=(10, 2))
    average = np.mean([[(10 if online.is_large(k) else -1) * x + y * y / 2 for x, y in pts] for k in range(3)], axis=0)
    np.testing.assert_allclose(REDDI.f(pts), average, rtol=1e-12)
    assert REDDI.minimizers == ((-1.0, 0.0),) and REDDI.min_value == pytest.approx(-8 / 3)
    assert REDDI.feasible[0] == (-1.0, 1.0)


@pytest.mark.parametrize("key", list(optimizers.REGISTRY))
def test_every_iterate_stays_in_the_feasible_box(key):
    traj = optimizers.run(key, REDDI, (0.9, 0.6), 60, **({"lr": 0.5} if key != "newton" else {}))
    assert np.all(np.abs(traj.xy[:, 0]) <= 1.0)


def test_the_batch_runner_projects_and_samples_the_same_way():
    paths = optimizers.run_batch("adam", REDDI, np.array([REDDI.start] * 2), 300, lr=0.01, beta1=0.0, beta2=BETA2)
    single = optimizers.run("adam", REDDI, REDDI.start, 300, lr=0.01, beta1=0.0, beta2=BETA2)
    np.testing.assert_array_equal(paths[0], single.xy)
    np.testing.assert_array_equal(paths[1], single.xy)  # the seed plays no part


def _drift(traj, lr):
    """Mean x-displacement per 3-step cycle, in units of lr, away from the box's ends."""
    x = traj.xy[:, 0]
    d = x[3::3] - x[:-3:3]
    inside = (np.abs(x[:-3:3]) < 0.9) & (np.abs(x[3::3]) < 0.9)
    return float(np.mean(d[inside][10:]) / lr)


def test_adam_goes_to_the_worst_point_and_amsgrad_to_the_best():
    adam = optimizers.run("adam", REDDI, REDDI.start, 600, lr=0.01, beta1=0.0, beta2=BETA2)
    ams = optimizers.run("amsgrad", REDDI, REDDI.start, 600, lr=0.01, beta1=0.0, beta2=BETA2)
    assert adam.xy[-1, 0] == 1.0  # the worst point: the average loss is largest there
    assert ams.xy[-1, 0] < -0.99
    assert REDDI.f(adam.xy[-1]) - REDDI.f(ams.xy[-1]) > 5.0


@pytest.mark.parametrize("c", [3.0, 10.0, 30.0])
def test_the_per_cycle_drift_is_the_steady_state_closed_form(c):
    s = surfaces.get("reddi", c=c)
    beta2 = 1 / (1 + c * c)
    for key, amsgrad in (("adam", False), ("amsgrad", True)):
        traj = optimizers.run(key, s, s.start, 900, lr=0.002, beta1=0.0, beta2=beta2, eps=1e-12)
        assert _drift(traj, 0.002) == pytest.approx(sum(online.cycle_steps(c, beta2, amsgrad)), rel=1e-3)
    assert sum(online.cycle_steps(c, beta2, False)) > 0 > sum(online.cycle_steps(c, beta2, True))


def test_adams_v_forgets_the_large_gradient_within_two_steps():
    adam = optimizers.run("adam", REDDI, REDDI.start, 60, lr=0.01, beta1=0.0, beta2=BETA2)
    ams = optimizers.run("amsgrad", REDDI, REDDI.start, 60, lr=0.01, beta1=0.0, beta2=BETA2)
    denom = 0.01 / adam.lr_eff[30:33, 0]  # sqrt(v_hat) + eps after the large gradient, then the small ones
    steps = online.cycle_steps(10.0, BETA2, False)
    np.testing.assert_allclose(denom, [10 / -steps[0], 1 / steps[1], 1 / steps[2]], rtol=1e-6)
    assert denom[0] > 9.9 and denom[2] < 1.01
    kept = 0.01 / ams.lr_eff[30:33, 0]  # AMSGrad's stays at its largest, about C
    assert kept.min() > 9.9 and np.ptp(kept) < 1e-9 * kept[0]


def test_only_the_online_surface_projects():
    assert all(surfaces.get(key).feasible is None for key in surfaces.REGISTRY)
