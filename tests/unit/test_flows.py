"""The gradient flow and the central flow: closed forms on quadratics, and the edge of
stability surface's published numbers (Cohen et al., ICLR 2025) against the engine's
gradient descent."""

import math

import numpy as np
import pytest

from descent_lab import optimizers, surfaces
from descent_lab.optimizers import REGISTRY, flows, run
from descent_lab.optimizers.diagnostics import max_eigenvalue

EOS = surfaces.get("edge_of_stability")  # f = -c x + (1 + x^2) y^2 / 2, c = 0.01
LR = 0.1
NOISE = 1e-5  # the floor that keeps y from decaying to exactly 0
STEPS = 1200


def _expm_flow(hess, w0, t):
    lam, vec = np.linalg.eigh(hess)
    return vec @ (np.exp(-lam * t) * (vec.T @ w0))


@pytest.mark.parametrize("angle,lr", [(30.0, 0.5), (0.0, 1.9), (75.0, 0.05)])
def test_the_gradient_flow_on_a_quadratic_is_the_matrix_exponential(angle, lr):
    s = surfaces.get("valley", condition=20.0, angle=angle)
    hess = s.hess(np.zeros(2))
    flow = flows.gradient_flow(s, s.start, [lr] * 50)
    assert flow.note == "" and flow.steps_done == 50
    for k in (1, 10, 50):
        # Runge-Kutta in substeps of curvature x length 0.5: 1e-4 of the start's size at worst
        np.testing.assert_allclose(flow.xy[k], _expm_flow(hess, np.array(s.start), lr * k),
                                   atol=1e-4 * np.linalg.norm(s.start))


def test_the_gradient_flows_clock_is_the_sum_of_the_learning_rates():
    s = surfaces.get("bowl")
    lrs = optimizers.learning_rates({"kind": "exponential", "gamma": 0.9}, 0.5, 30)
    flow = flows.gradient_flow(s, s.start, lrs)
    t = np.concatenate([[0.0], np.cumsum(lrs)])
    np.testing.assert_allclose(flow.xy, np.exp(-t)[:, None] * np.array(s.start), rtol=1e-3)


def test_below_the_edge_the_central_flow_is_the_gradient_flow():
    s = surfaces.get("valley", condition=20.0, angle=30.0)  # sharpness 1 < 2 / 0.5
    central = flows.central_flow(s, s.start, 0.5, 40)
    gradient = flows.gradient_flow(s, s.start, [0.5] * 40)
    assert not central.sigma.any()
    np.testing.assert_allclose(central.xy, gradient.xy, rtol=1e-12)


def test_the_sharpness_gradient_is_the_derivative_of_the_top_eigenvalue():
    # on the edge-of-stability surface at y = 0: S = 1 + x^2, so grad S = (2x, 0)
    for x in (3.0, 4.0, 5.5):
        assert flows.sharpness_at(EOS, (x, 0.0)) == pytest.approx(1 + x * x, rel=1e-12)
        sx, sy = flows.sharpness_gradient(EOS, (x, 0.0))
        assert sx == pytest.approx(2 * x, rel=1e-7) and abs(sy) < 1e-6


@pytest.fixture(scope="module")
def eos():
    traj = run("gd", EOS, EOS.start, STEPS, lr=LR, noise=NOISE, seed=0)
    return traj, flows.central_flow(EOS, EOS.start, LR, STEPS), flows.gradient_flow(EOS, EOS.start, traj.lr)


def test_the_central_flow_predicts_sigma_0_0479_and_holds_at_sqrt_19(eos):
    _, central, _ = eos
    at = np.flatnonzero(central.sigma > 0)
    # sigma^2 = 2 <-grad L, grad S> / |grad S|^2 = 2 (c)(2x) / (2x)^2 = c / x at x = sqrt(2/lr - 1)
    x_star = math.sqrt(2 / LR - 1)
    assert central.sigma[at[-1]] == pytest.approx(math.sqrt(0.01 / x_star), rel=1e-4)
    assert round(central.sigma[at[-1]], 4) == 0.0479
    assert central.xy[-1, 0] == pytest.approx(x_star, abs=1e-4) and abs(central.xy[-1, 1]) < 1e-9
    assert flows.sharpness_at(EOS, central.xy[-1]) == pytest.approx(2 / LR, rel=1e-4)


def test_gradient_descent_hovers_at_2_over_lr_where_the_central_flow_says(eos):
    traj, central, gradient = eos
    sharp = max_eigenvalue(EOS.hess(traj.xy))
    first = int(np.argmax(sharp >= 2 / LR))
    assert abs(first - int(np.argmax(central.sigma > 0))) <= 10  # both reach the edge together
    assert 19.8 <= sharp[first:].mean() <= 20.1  # and it hovers there: mean sharpness ~2/lr
    assert traj.xy[first:, 0].mean() == pytest.approx(math.sqrt(19), abs=0.01)  # the time-averaged path
    predicted, measured, count = flows.oscillation(traj, central)
    assert count >= 800 and predicted == pytest.approx(0.0479, abs=5e-5)
    assert measured == pytest.approx(predicted, rel=0.1)  # the oscillation's size, measured
    # the gradient flow does not stop: it sharpens on past the edge (1 + x^2 = 26 at x = 5)
    assert gradient.xy[-1, 0] > 5.0 and flows.sharpness_at(EOS, gradient.xy[-1]) > 2 / LR + 5


def test_without_a_noise_floor_y_underflows_and_gradient_descent_sails_past_the_edge():
    traj = run("gd", EOS, (0.0, 1.0), 6000, lr=LR)
    assert np.any(traj.xy[:, 1] == 0.0)
    assert max_eigenvalue(EOS.hess(traj.xy[-1])) > 2 / LR + 10


@pytest.mark.parametrize("c", [0.005, 0.02])
def test_sigma_squared_is_c_over_x_for_other_pulls(c):
    s = surfaces.get("edge_of_stability", c=c)
    central = flows.central_flow(s, (4.3, 0.0), LR, 300)
    at = np.flatnonzero(central.sigma > 0)
    assert central.sigma[at[-1]] ** 2 == pytest.approx(c / math.sqrt(19), rel=1e-3)


def test_a_flow_too_stiff_for_its_budget_stops_and_says_why():
    s = surfaces.get("goldstein_price")
    flow = flows.gradient_flow(s, s.start, [1.0] * 2000)
    assert flow.note and flow.steps_done < 2000
    assert flow.evaluations <= flows.MAX_EVALUATIONS + 8 * flows.MAX_SUBSTEPS
    assert np.isnan(flow.xy[flow.steps_done + 1:]).all() and np.isfinite(flow.xy[: flow.steps_done + 1]).all()


def test_the_flows_describe_gradient_descent_only():
    s = surfaces.get("bowl")
    for key, hp in [("gd", {}), ("momentum", {"momentum": 0.0})]:
        assert flows.applies(run(key, s, s.start, 3, lr=0.1, **hp), REGISTRY[key]) == ""
    for key, hp in [("momentum", {"momentum": 0.9}), ("adam", {}), ("lion", {}), ("newton", {})]:
        why = flows.applies(run(key, s, s.start, 3, **hp), REGISTRY[key])
        assert why.startswith("the flows describe gradient descent") and REGISTRY[key].label in why


def test_the_note_compares_the_run_with_both_flows(eos):
    traj, _, _ = eos
    note = flows.describe(traj, EOS, REGISTRY["gd"]).note
    assert "the gradient flow (dotted) is at (5.2, 0) by step 1200" in note
    assert "reaches the edge 2/η = 20 at step 361" in note and "(4.36, 0)" in note
    assert "RMS 0.0479 across" in note
    calm = run("gd", EOS, EOS.start, 300, lr=0.05)
    assert "never reaches the edge 2/η = 40" in flows.describe(calm, EOS, REGISTRY["gd"]).note
    scheduled = run("gd", EOS, EOS.start, 30, lr=0.1, schedule={"kind": "exponential", "gamma": 0.99})
    described = flows.describe(scheduled, EOS, REGISTRY["gd"])
    assert described.central is None and "needs a constant learning rate" in described.note
    adam = flows.describe(run("adam", EOS, EOS.start, 30), EOS, REGISTRY["adam"])
    assert adam.gradient is None and adam.note == "the flows describe gradient descent; Adam steps otherwise."
