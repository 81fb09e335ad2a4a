"""An n-dimensional quadratic seen through a plane: the rotation, the lift of a plane
point, the same rules run in n dimensions on the array backend, and what the plane shows."""

import numpy as np
import pytest

from descent_lab import optimizers, surfaces
from descent_lab.optimizers import highdim
from descent_lab.surfaces.highdim import problem, rotation


def test_the_rotation_is_a_one_parameter_group_of_rotations():
    assert np.array_equal(rotation(50, 0.0), np.eye(50))
    q1, q2, q3 = rotation(50, 0.7), rotation(50, 1.3), rotation(50, 2.0)
    np.testing.assert_allclose(q1.T @ q1, np.eye(50), atol=1e-12)
    np.testing.assert_allclose(q1 @ q2, q3, atol=1e-12)
    assert abs(np.linalg.det(q3) - 1) < 1e-9 and np.abs(q3 - np.eye(50)).max() > 0.3


def test_the_problem_its_spectrum_gradient_and_lift():
    p = problem(30, 100.0, 1.0)
    np.testing.assert_allclose(p.eigenvalues[[0, -1]], [1.0, 0.01])
    assert np.all(np.diff(np.log(p.eigenvalues)) == pytest.approx(np.log(0.01) / 29))
    w = np.random.default_rng(0).standard_normal(30)
    h = 1e-6
    fd = [(p.loss(w + h * e) - p.loss(w - h * e)) / (2 * h) for e in np.eye(30)]
    np.testing.assert_allclose(p.grad(w), fd, rtol=1e-6, atol=1e-9)
    start = p.lift((-2.0, 8.0))
    np.testing.assert_allclose(start @ p.plane, [-2.0, 8.0], atol=1e-12)
    middle = (start @ p.basis)[1:-1]
    assert np.sqrt(np.mean(middle ** 2)) == pytest.approx(np.hypot(2, 8) / np.sqrt(2), rel=0.35)
    np.testing.assert_array_equal(start, problem(30, 100.0, 1.0).lift((-2.0, 8.0)))  # seeded


@pytest.mark.parametrize("key", ["gd", "momentum", "rmsprop", "adam", "lion", "rprop"])
def test_in_two_aligned_dimensions_it_is_the_valley_with_its_axes_swapped(key):
    nd = surfaces.get("quadratic_nd", n=2, kappa=20.0, turn=0.0)
    valley = surfaces.get("valley", condition=20.0, angle=0.0)
    a = optimizers.run(key, nd, (-2.0, 8.0), 60, lr=0.1)
    b = optimizers.run(key, valley, (8.0, -2.0), 60, lr=0.1)
    np.testing.assert_allclose(a.xy[:, ::-1], b.xy[: len(a.xy)], rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(a.loss, b.loss[: len(a.loss)], rtol=1e-12, atol=1e-300)


def test_gradient_descent_does_not_see_the_rotation_in_200_dimensions():
    aligned = optimizers.run("gd", surfaces.get("quadratic_nd", turn=0.0), (-2.0, 8.0), 300, lr=1.4678)
    turned = optimizers.run("gd", surfaces.get("quadratic_nd", turn=3.0), (-2.0, 8.0), 300, lr=1.4678)
    np.testing.assert_allclose(aligned.loss, turned.loss, rtol=1e-9)
    np.testing.assert_allclose(aligned.xy, turned.xy, rtol=1e-7, atol=1e-9)


def test_rmsprop_does_see_it():
    aligned = optimizers.run("rmsprop", surfaces.get("quadratic_nd", turn=0.0), (-2.0, 8.0), 300, lr=0.1468)
    turned = optimizers.run("rmsprop", surfaces.get("quadratic_nd", turn=3.0), (-2.0, 8.0), 300, lr=0.1468)
    assert turned.loss[-1] > 1000 * aligned.loss[-1]


def test_the_plane_shows_the_plane_quadratics_gradient_and_the_full_loss():
    s = surfaces.get("quadratic_nd", n=100, kappa=50.0, turn=1.5)
    traj = optimizers.run("adam", s, (-2.0, 8.0), 40, lr=0.05)
    np.testing.assert_allclose(traj.grad_used, s.grad(traj.xy[:-1]), rtol=1e-9, atol=1e-12)
    w = s.lifted.lift((-2.0, 8.0))
    assert traj.loss[0] == pytest.approx(s.lifted.loss(w)) and traj.loss[0] > s.f(traj.xy[0])
    assert set(traj.state) == {"m", "v"} and traj.state["m"].shape == (40, 2)
    assert np.all(traj.lr_eff > 0)


def test_what_cannot_run_in_n_dimensions_is_refused_with_a_reason():
    s = surfaces.get("quadratic_nd")
    with pytest.raises(ValueError, match="Newton's rule is written for two coordinates"):
        optimizers.run("newton", s, (-2.0, 8.0), 10)
    with pytest.raises(ValueError, match="one run at a time"):
        optimizers.run_batch("gd", s, np.array([[-2.0, 8.0]]), 10, lr=0.1)
    with pytest.raises(ValueError, match="Too much work"):
        optimizers.run("gd", surfaces.get("quadratic_nd", n=500), (-2.0, 8.0), 5000, lr=0.1)
    assert highdim.MAX_WORK == 2_000_000


def test_a_run_that_blows_up_ends_as_diverged():
    traj = optimizers.run("gd", surfaces.get("quadratic_nd"), (-2.0, 8.0), 300, lr=2.5)
    assert traj.status == "diverged" and traj.diverged_at == len(traj.xy) and np.isfinite(traj.loss).all()
