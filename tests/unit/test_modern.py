"""The recent optimizers (optimizers.modern): what each does that the others do not,
as claims on the engine's numbers. Their agreement with their reference code is in
test_reference_golden.py."""

import math

import numpy as np
import pytest

from descent_lab import optimizers, surfaces
from descent_lab.optimizers import run, run_batch

BOWL = surfaces.get("bowl")
ROSEN = surfaces.get("rosenbrock")


def _rotation(degrees):
    t = math.radians(degrees)
    return np.array([[math.cos(t), -math.sin(t)], [math.sin(t), math.cos(t)]])


# ------------------------------------------------------------------ ADOPT and Adan


def test_adopts_first_step_only_measures_and_its_second_is_a_clipped_normalised_step():
    tr = run("adopt", ROSEN, (-1.2, 1.0), 2, lr=0.01, tol=0.0)
    g = ROSEN.grad(np.array([-1.2, 1.0]))
    np.testing.assert_array_equal(tr.xy[1], tr.xy[0])  # step 1 sets v = g^2 and does not move
    np.testing.assert_array_equal(tr.state["v"][0], g * g)
    # step 2 at the same point: g / sqrt(v_1) = sign(g), clipped to (t - 1)^(1/4) = 1, momentum 1 - beta1
    np.testing.assert_allclose(tr.xy[2], tr.xy[1] - 0.01 * 0.1 * np.sign(g), rtol=1e-15)


def test_adans_first_step_is_about_lr_in_the_gradients_sign():
    # no gradient change yet (v = 0) and n_1 = (1 - beta3) g^2: bias-corrected, the step is lr g / |g|
    for start in [(-1.2, 1.0), (0.5, -0.5)]:
        tr = run("adan", ROSEN, start, 1, lr=0.05)
        np.testing.assert_allclose(tr.step[0], -0.05 * np.sign(ROSEN.grad(np.array(start))), rtol=1e-6)


# ------------------------------------------------------------------ D-Adaptation


CONVEX = [("bowl", {}), ("booth", {}), ("valley", {"condition": 20.0, "angle": 30.0})]


@pytest.mark.parametrize("name,params", CONVEX, ids=[c[0] for c in CONVEX])
def test_dadaptation_sgds_estimate_never_passes_the_true_distance_on_a_convex_surface(name, params):
    # d_t is a lower bound on |theta_0 - theta_*| for a convex f: what only a 2-D lab can draw
    s = surfaces.get(name, **params)
    tr = run("dadapt_sgd", s, s.start, 500, tol=0.0)
    distance = np.linalg.norm(np.subtract(s.start, s.minimizers[0]))
    d = tr.state["d"][:, 0]
    assert np.all(np.diff(d) >= 0) and d[0] >= 1e-6  # it never decreases from d0
    assert d.max() <= distance
    assert d.max() >= 0.5 * distance  # and it gets there: within a factor 2


def test_dadaptation_adams_estimate_is_in_its_own_scaling():
    # the Adam form measures the distance per coordinate: on the bowl it passes the true distance
    tr = run("dadapt_adam", BOWL, BOWL.start, 500, tol=0.0)
    assert tr.state["d"][-1, 0] > np.linalg.norm(BOWL.start)
    assert np.linalg.norm(tr.xy[-1]) < 1e-8


@pytest.mark.parametrize("key", ["dadapt_sgd", "dadapt_adam"])
def test_dadaptation_changes_nothing_at_a_scheduled_rate_of_zero(key):
    # a step schedule with gamma 0: the rate is 0 from step 20 on; the reference returns before stepping
    schedule = {"kind": "step", "step_size": 20, "gamma": 0.0}
    tr = run(key, ROSEN, (-1.2, 1.0), 40, tol=0.0, schedule=schedule)
    assert not np.array_equal(tr.xy[20], tr.xy[19])
    np.testing.assert_array_equal(tr.xy[20:], np.broadcast_to(tr.xy[20], tr.xy[20:].shape))
    for buffer in tr.state.values():
        np.testing.assert_array_equal(buffer[20:], np.broadcast_to(buffer[19], buffer[20:].shape))


@pytest.mark.parametrize("key", ["dadapt_sgd", "dadapt_adam"])
def test_dadaptation_waits_at_a_stationary_start_in_a_batch_too(key):
    # no gradient yet: the reference returns without a step (DAdaptSGD would divide by |g_1| = 0);
    # a batch takes that branch per run, beside a run that moves
    one = run(key, BOWL, (0.0, 0.0), 5, tol=0.0)
    assert one.status == "converged" and one.converged_at == 1  # a step that did not move, at g = 0
    np.testing.assert_array_equal(one.xy, np.zeros((2, 2)))
    assert one.state["d"][-1, 0] == 1e-6
    other = run(key, BOWL, (3.0, 1.5), 30, tol=0.0)
    both = run_batch(key, BOWL, [(0.0, 0.0), (3.0, 1.5)], 30)
    np.testing.assert_array_equal(both[0], np.zeros((31, 2)))
    np.testing.assert_allclose(both[1], other.xy, rtol=1e-14, atol=1e-300)


# ------------------------------------------------------------------ Sophia


def test_sophia_takes_sign_steps_until_its_first_curvature_then_newtons_step_where_unclipped():
    # h = 0 before the first refresh: every coordinate moves exactly lr
    tr = run("sophia", BOWL, (3.0, 1.5), 40, lr=0.01, weight_decay=0.0, update_period=10, tol=0.0)
    np.testing.assert_allclose(np.abs(tr.step[:10]), 0.01, rtol=0, atol=1e-15)
    np.testing.assert_array_equal(tr.state["h"][:10], 0.0)
    # the refresh before step 11 takes the bowl's curvature (1, 1) with weight 1 - beta2
    np.testing.assert_allclose(tr.state["h"][10], [0.01, 0.01], rtol=1e-14)
    # a coordinate with |m| < rho h takes lr m / (rho h + 1e-15), Newton's step scaled by lr / rho; the
    # others a sign step of lr
    tr = run("sophia", BOWL, (3.0, 1.5), 60, lr=0.01, beta2=0.5, weight_decay=0.0, rho=2.0, update_period=1,
             tol=0.0)
    m, h = tr.state["m"], tr.state["h"]
    newton = np.abs(m) < 2.0 * h
    assert newton[:, 0].any() and (~newton[1:, 0]).any()  # both kinds of step are taken
    np.testing.assert_allclose(tr.step[newton], (-0.01 * m / (2.0 * h + 1e-15))[newton], rtol=1e-11)
    np.testing.assert_allclose(np.abs(tr.step[~newton]), 0.01, rtol=0, atol=1e-15)


def test_sophia_floors_negative_curvature_at_zero():
    # on the saddle the y-curvature is negative: that coordinate keeps its sign steps of lr
    s = surfaces.get("saddle")
    tr = run("sophia", s, (0.5, 0.1), 30, lr=0.01, weight_decay=0.0, update_period=1, tol=0.0)
    h = s.hess(tr.xy[:-1])
    assert np.all(h[:, 1, 1] < 0)
    np.testing.assert_array_equal(tr.state["h"][:, 1], 0.0)
    np.testing.assert_allclose(np.abs(tr.step[:, 1]), 0.01, rtol=0, atol=1e-15)


def test_sophias_caveat_says_how_much_of_the_curvature_it_holds():
    spec = optimizers.get("sophia")
    text = spec.note(spec.validate(), 200)
    assert "sign step" in text and "every 10 steps" in text
    assert f"{1 - 0.99 ** 19:.0%}" in text  # 19 refreshes before step 200


# ------------------------------------------------------------------ rotation-aware preconditioning


ALIGNED = surfaces.get("valley", condition=20.0, angle=0.0)
ROTATED = surfaces.get("valley", condition=20.0, angle=30.0)


def test_full_matrix_adagrad_does_on_the_rotated_valley_what_it_does_on_the_aligned_one():
    # (G + eps I)^-1/2 rotates with the problem: the path rotates with it, to rounding; AdaGrad's does not
    r, start = _rotation(30.0), np.array([-8.0, 2.0])
    for key, lr, equivariant in [("shampoo", 0.5, True), ("gd", 0.5, True), ("adagrad", 0.5, False),
                                 ("adam", 0.05, False)]:
        aligned = run(key, ALIGNED, start, 300, lr=lr, tol=0.0)
        rotated = run(key, ROTATED, r @ start, 300, lr=lr, tol=0.0)
        gap = np.abs(rotated.xy @ r - aligned.xy).max() / np.abs(aligned.xy).max()
        assert (gap < 1e-12) if equivariant else (gap > 0.1), (key, gap)


def test_soap_and_shampoo_reach_the_same_loss_on_the_rotated_valley_where_adam_does_not():
    r, start = _rotation(30.0), np.array([-8.0, 2.0])
    ratios = {}
    for key, lr in [("soap", 0.05), ("shampoo", 0.5), ("adam", 0.05), ("adagrad", 0.5)]:
        aligned = run(key, ALIGNED, start, 300, lr=lr, tol=0.0).loss[-1]
        rotated = run(key, ROTATED, r @ start, 300, lr=lr, tol=0.0).loss[-1]
        ratios[key] = rotated / aligned
    assert 0.9 < ratios["soap"] < 1.1 and 0.99 < ratios["shampoo"] < 1.01
    assert ratios["adam"] > 10 and ratios["adagrad"] > 10


def test_full_matrix_adagrads_first_step_is_the_normalised_gradient():
    # G_1 = eps I + g g^T has g as an eigenvector: G_1^-1/2 g = g / sqrt(eps + |g|^2)
    g = ROSEN.grad(np.array([-1.2, 1.0]))
    tr = run("shampoo", ROSEN, (-1.2, 1.0), 1, lr=0.1)
    # (G_1 is nearly singular, condition |g|^2 / eps = 5e10: rounding is amplified as much)
    np.testing.assert_allclose(tr.step[0], -0.1 * g / math.sqrt(1e-6 + g @ g), rtol=1e-9)


def test_full_matrix_adagrad_waits_for_its_first_root():
    tr = run("shampoo", ROSEN, (-1.2, 1.0), 6, lr=0.1, preconditioning_compute_steps=4, tol=0.0)
    np.testing.assert_array_equal(tr.xy[:4], np.broadcast_to(tr.xy[0], (4, 2)))  # P = 0 until step 4
    assert not np.array_equal(tr.xy[4], tr.xy[3])
    assert "does not move before step 4" in optimizers.get("shampoo").note(tr.hparams, 6)


def test_soaps_first_basis_is_the_first_gradients_direction():
    tr = run("soap", ROSEN, (-1.2, 1.0), 1)
    g = ROSEN.grad(np.array([-1.2, 1.0]))
    q1 = tr.state["q1"][0]
    assert abs(abs(q1 @ g) / np.linalg.norm(g) - 1.0) < 1e-7  # float32 L: to about 1e-7
    np.testing.assert_array_equal(tr.xy[1], tr.xy[0])  # and the first step does not move
    assert "precondition_1d" in optimizers.get("soap").note(tr.hparams, 1)


# ------------------------------------------------------------ per-run branches in a batch


@pytest.mark.parametrize("key,name,values", [
    ("sophia", "update_period", [1, 3, 7]),
    ("soap", "precondition_frequency", [1, 3, 7]),
    ("shampoo", "preconditioning_compute_steps", [1, 3, 7]),
])
def test_a_swept_period_refreshes_each_run_on_its_own_schedule(key, name, values):
    starts = [(-1.2, 1.0)] * len(values)
    both = run_batch(key, ROSEN, starts, 40, lr=1e-3, **{name: values})
    for b, value in enumerate(values):
        one = run(key, ROSEN, starts[b], 40, lr=1e-3, tol=0.0, **{name: value})
        np.testing.assert_allclose(both[b, : len(one.xy)], one.xy, rtol=1e-14, atol=1e-300)
        assert np.isnan(both[b, len(one.xy):]).all()  # NaN after a run that diverged (none otherwise)
        assert (len(one.xy) < 41) == (one.status == "diverged")
