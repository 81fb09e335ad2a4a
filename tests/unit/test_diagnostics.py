"""The numbers behind the instruments (angle, rescaling, sharpness)."""

import numpy as np
import pytest

from descent_lab import surfaces
from descent_lab.optimizers import REGISTRY, run
from descent_lab.optimizers.diagnostics import (
    companion_points,
    distance_estimate,
    descent_angle,
    max_eigenvalue,
    rescaled_direction,
    sharpness,
    velocity_direction,
)


def test_descent_angle_of_known_vectors():
    g = np.array([[1.0, 0.0], [1.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0]])
    s = np.array([[-1.0, 0.0], [0.0, 1.0], [1.0, 0.0], [-1.0, 0.0], [1.0, 0.0]])
    np.testing.assert_allclose(descent_angle(s, g)[:4], [0.0, 90.0, 180.0, 45.0], atol=1e-12)
    assert np.isnan(descent_angle(s, g)[4])


@pytest.mark.parametrize("key", ["adam", "rmsprop", "adagrad", "adamax", "radam", "nadam"])
@pytest.mark.parametrize("surface", ["bowl", "valley", "booth"])
def test_adaptive_steps_stay_within_90_degrees_at_first(key, surface):
    # With a per-coordinate positive rescaling and no momentum yet, the first step
    # is a descent direction: the angle is below 90 degrees.
    s = surfaces.get(surface)
    tr = run(key, s, s.start, 1, lr=0.01)
    assert descent_angle(tr.step, tr.grad_used)[0] < 90.0
    # the rescaled gradient (before momentum) is always within 90 degrees
    tr = run(key, s, s.start, 200, lr=0.01)
    ang = descent_angle(rescaled_direction(tr), tr.grad_used)
    assert np.nanmax(ang) < 90.0


def test_rmsprop_without_momentum_is_always_a_descent_direction_on_a_convex_surface():
    s = surfaces.get("valley", condition=100.0, angle=30.0)
    tr = run("rmsprop", s, s.start, 300, lr=0.01)
    assert np.nanmax(descent_angle(tr.step, tr.grad_used)) < 90.0


def test_adam_angle_below_90_from_the_first_step_on_the_bowl():
    s = surfaces.get("bowl")
    tr = run("adam", s, s.start, 100, lr=0.01)
    ang = descent_angle(tr.step, tr.grad_used)
    assert np.all(ang < 90.0)
    assert ang[0] > 5.0  # but it is not the gradient direction: sign(g) bends it


def test_gd_angle_is_zero():
    tr = run("gd", surfaces.get("rosenbrock"), (-1.2, 1.0), 20, lr=1e-3)
    np.testing.assert_allclose(descent_angle(tr.step, tr.grad_used), 0.0, atol=1e-6)


def test_rescaled_direction_and_velocity_match_the_rules():
    s = surfaces.get("rosenbrock")
    tr = run("momentum", s, (-1.2, 1.0), 10, lr=1e-3)
    np.testing.assert_allclose(rescaled_direction(tr), -1e-3 * tr.grad_used)
    np.testing.assert_allclose(velocity_direction(tr, REGISTRY["momentum"].velocity), tr.step,
                               rtol=1e-12)
    assert velocity_direction(tr, None) is None


def test_max_eigenvalue_matches_numpy():
    h = np.random.default_rng(0).normal(size=(50, 2, 2))
    h = h + np.swapaxes(h, -1, -2)
    np.testing.assert_allclose(max_eigenvalue(h), np.linalg.eigvalsh(h)[:, -1], rtol=1e-12)


def test_sharpness_is_lr_times_the_hessians_largest_eigenvalue():
    s = surfaces.get("valley", condition=10.0, angle=20.0)
    tr = run("gd", s, s.start, 20, lr=1.5)
    np.testing.assert_allclose(sharpness(tr, s), 1.5 * 1.0)  # largest curvature is 1
    s = surfaces.get("rosenbrock")
    tr = run("gd", s, (-1.2, 1.0), 5, lr=1e-3)
    expected = [1e-3 * np.linalg.eigvalsh(s.hess(p))[-1] for p in tr.xy[:-1]]
    np.testing.assert_allclose(sharpness(tr, s), expected, rtol=1e-12)


def test_gd_diverges_exactly_when_sharpness_exceeds_two_on_a_quadratic():
    s = surfaces.get("bowl")
    ok = run("gd", s, s.start, 500, lr=1.9)
    bad = run("gd", s, s.start, 500, lr=2.1)
    assert sharpness(ok, s).max() < 2 and ok.status != "diverged"
    assert sharpness(bad, s).min() > 2 and bad.status == "diverged"


# --------------------------------------------------------- an optimizer's own points


def test_schedule_free_keeps_x_between_z_and_the_start_and_its_path_y_between_z_and_x():
    # Defazio et al.: y = (1 - beta) z + beta x, and x is a running average of z
    s = surfaces.get("bowl")
    tr = run("sf_sgd", s, s.start, 40, lr=0.05, tol=0.0)
    pts = dict(companion_points(tr, REGISTRY["sf_sgd"].points))
    z, x = pts["z (the base sequence)"], pts["x (the average, where the model is evaluated)"]
    assert z.shape == x.shape == tr.xy.shape
    assert np.array_equal(z[0], tr.xy[0]) and np.array_equal(x[0], tr.xy[0])
    beta = tr.hparams["momentum"]
    np.testing.assert_allclose(tr.xy[1:], (1 - beta) * z[1:] + beta * x[1:], rtol=1e-12, atol=1e-15)
    # z moves first and furthest; x, its average, lags behind it
    dist = np.linalg.norm
    assert dist(z[-1]) < dist(tr.xy[-1]) < dist(x[-1])


def test_asgds_average_is_the_iterate_itself_until_averaging_starts():
    s = surfaces.get("bowl")
    before = run("asgd", s, s.start, 30, lr=0.05, t0=1e6, tol=0.0)
    (what, avg), = companion_points(before, REGISTRY["asgd"].points)
    assert "averaged" in what
    np.testing.assert_array_equal(avg, before.xy)
    after = run("asgd", s, s.start, 30, lr=0.05, t0=5.0, tol=0.0)
    (_, avg), = companion_points(after, REGISTRY["asgd"].points)
    np.testing.assert_array_equal(avg[:6], after.xy[:6])
    assert np.linalg.norm(avg[-1]) > np.linalg.norm(after.xy[-1])  # the average trails the iterate


def test_optimizers_without_points_or_an_estimate_have_none():
    s = surfaces.get("bowl")
    tr = run("adam", s, s.start, 10, lr=0.1)
    assert companion_points(tr, REGISTRY["adam"].points) == []
    assert distance_estimate(tr, None) is None and distance_estimate(tr, "nothing") is None


@pytest.mark.parametrize("key", ["prodigy", "dadapt_adam", "dadapt_sgd"])
def test_the_distance_estimate_is_the_recorded_d_and_never_decreases(key):
    s = surfaces.get("bowl")
    tr = run(key, s, s.start, 100, tol=0.0)
    field, what = REGISTRY[key].estimate
    d = distance_estimate(tr, field)
    assert d.shape == (tr.steps,) and np.array_equal(d, tr.state["d"][:, 0])
    assert np.all(np.diff(d) >= 0) and d[-1] > d[0] and "distance" in what
