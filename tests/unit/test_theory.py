"""Theory beside measurement: the closed forms on quadratics (rates, best settings, the
momentum stability region, Jacobi's diagonal preconditioning, the l1,1 norm) checked
by brute force and against the engine's own runs."""

import math

import numpy as np
import pytest

from descent_lab import surfaces
from descent_lab.optimizers import REGISTRY, run, theory
from descent_lab.optimizers.edges import roots

VALLEY50 = surfaces.get("valley", condition=50.0, angle=0.0)
EIG = np.array([0.02, 1.0])


def _distance(traj, q):
    return np.linalg.norm(traj.xy - q.minimizer, axis=1)


def test_quadratics_are_found_and_others_are_not():
    q = theory.quadratic(VALLEY50)
    np.testing.assert_allclose(q.eigenvalues, EIG, rtol=1e-12)
    assert q.kappa == pytest.approx(50.0) and np.allclose(q.minimizer, 0.0)
    booth = theory.quadratic(surfaces.get("booth"))
    np.testing.assert_allclose(booth.minimizer, [1.0, 3.0], atol=1e-12)
    assert booth.kappa == pytest.approx(9.0)
    saddle = theory.quadratic(surfaces.get("saddle"))
    assert saddle is not None and saddle.minimizer is None
    for key in ("rosenbrock", "edge_of_stability", "himmelblau"):
        assert theory.quadratic(surfaces.get(key)) is None


def test_gradient_descent_at_its_best_step_contracts_by_exactly_kappa_minus_1_over_kappa_plus_1():
    lr, rho = theory.gd_optimal(EIG)
    assert lr == pytest.approx(2 / 1.02) and round(rho, 5) == 0.96078
    q = theory.quadratic(VALLEY50)
    traj = run("gd", VALLEY50, VALLEY50.start, 400, lr=lr)
    measured, k0, k1 = theory.measured_rate(_distance(traj, q))
    assert round(measured, 5) == 0.96078 and measured == pytest.approx(rho, rel=1e-9)
    # both directions shrink by rho in size every step: the ratio is rho from the first step
    d = _distance(traj, q)
    np.testing.assert_allclose(d[1:50] / d[:49], rho, rtol=1e-9)


@pytest.mark.parametrize("lr", [0.3, 1.0, 1.99, 2.05])
def test_the_gradient_descent_rate_is_max_abs_1_minus_lr_lambda(lr):
    model = REGISTRY["gd"].edge.model({})
    assert theory.rate(model, lr * EIG) == pytest.approx(max(abs(1 - lr * EIG)))
    assert theory.stable(model, lr * EIG) == (lr * EIG.max() < 2)


def _grid_best(model_of, lrs, mus):
    best = (math.inf, None, None)
    for lr in lrs:
        for mu in mus:
            r = theory.rate(model_of(mu), lr * EIG)
            if r < best[0]:
                best = (r, lr, mu)
    return best


def test_polyaks_best_heavy_ball_is_the_grid_optimum():
    lr, mu, rho = theory.heavy_ball_optimal(EIG)
    q = (math.sqrt(50) - 1) / (math.sqrt(50) + 1)
    assert rho == pytest.approx(q) and mu == pytest.approx(q * q) and lr == pytest.approx(4 / (1 + math.sqrt(0.02)) ** 2)
    model_of = lambda m: REGISTRY["momentum"].edge.model({"momentum": m, "dampening": 0.0})  # noqa: E731
    assert theory.rate(model_of(mu), lr * EIG) == pytest.approx(rho, rel=1e-9)
    best, _, _ = _grid_best(model_of, np.linspace(0.5 * lr, 1.5 * lr, 81), np.linspace(0.3, 0.8, 81))
    assert rho <= best + 1e-12 and best == pytest.approx(rho, rel=3e-3)
    # at the best settings both extreme directions have a repeated root
    for a in lr * EIG:
        z1, z2 = roots(a, model_of(mu))
        assert abs(z1 - z2) < 1e-6


def test_nesterovs_best_on_a_quadratic_is_the_grid_optimum():
    lr, mu, rho = theory.nesterov_optimal(EIG)
    assert rho == pytest.approx(1 - 2 / math.sqrt(151))
    model_of = lambda m: REGISTRY["nesterov"].edge.model({"momentum": m})  # noqa: E731
    assert theory.rate(model_of(mu), lr * EIG) == pytest.approx(rho, rel=1e-9)
    best, _, _ = _grid_best(model_of, np.linspace(0.8 * lr, 1.2 * lr, 121), np.linspace(0.6, 0.85, 121))
    assert rho <= best + 1e-12 and best == pytest.approx(rho, rel=3e-3)


def test_the_repeated_root_explains_why_the_measured_rate_lags():
    lr, mu, rho = theory.heavy_ball_optimal(EIG)
    q = theory.quadratic(VALLEY50)
    traj = run("momentum", VALLEY50, VALLEY50.start, 400, lr=lr, momentum=mu)
    measured, k0, k1 = theory.measured_rate(_distance(traj, q))
    assert measured > rho * 1.01  # slower than rho over the window...
    excess = theory.repeated_root_excess(k0, k1)
    assert measured / excess == pytest.approx(rho, rel=5e-3)  # ...by the factor k's share
    assert theory.repeated_root_excess(1000, 1100) == pytest.approx(1.0, abs=1e-3)  # which fades


@pytest.mark.parametrize("mu", [0.0, 0.5, 0.9])
def test_the_momentum_stability_region_is_0_lt_lr_lambda_lt_2_plus_2_mu(mu):
    model = REGISTRY["momentum"].edge.model({"momentum": mu, "dampening": 0.0})
    for a in np.linspace(0.01, 2 + 2 * mu - 1e-6, 50):
        assert theory.stable(model, [a])
    assert not theory.stable(model, [2 + 2 * mu + 1e-6]) and not theory.stable(model, [-0.1])
    lr_in, lr_out = 0.98 * (2 + 2 * mu), 1.02 * (2 + 2 * mu)  # on curvature 1
    assert run("momentum", VALLEY50, VALLEY50.start, 2000, lr=lr_in, momentum=mu).status != "diverged"
    assert run("momentum", VALLEY50, VALLEY50.start, 2000, lr=lr_out, momentum=mu).status == "diverged"


@pytest.mark.parametrize("angle", [0.0, 10.0, 30.0, 45.0, 60.0, 89.0])
def test_jacobis_condition_number_is_the_best_any_diagonal_rescaling_reaches(angle):
    h = surfaces.get("valley", condition=50.0, angle=angle).hess(np.zeros(2))
    kappa_j, r = theory.jacobi_condition(h)
    assert r == pytest.approx(h[0, 1] / math.sqrt(h[0, 0] * h[1, 1]))
    assert kappa_j == pytest.approx(theory.best_diagonal_condition(h), rel=3e-3)
    assert kappa_j <= theory.condition(h) * (1 + 1e-12)


def test_jacobi_and_l11_on_the_turned_ravine():
    aligned = surfaces.get("valley", condition=50.0, angle=0.0).hess(np.zeros(2))
    turned = surfaces.get("valley", condition=50.0, angle=45.0).hess(np.zeros(2))
    assert theory.jacobi_condition(aligned) == (1.0, 0.0)
    assert theory.jacobi_condition(turned)[0] == pytest.approx(50.0)  # no diagonal can help at 45 degrees
    assert theory.l11(aligned) == pytest.approx(1.02) and theory.l11(turned) == pytest.approx(2.0)


def test_the_condition_number_a_preconditioner_leaves():
    h = surfaces.get("valley", condition=50.0, angle=30.0).hess(np.zeros(2))
    p = np.array([[1.0, 1.0], [0.3, 2.0], [5.0, 0.1]])
    expected = [np.ptp(np.log(np.linalg.eigvals(np.diag(row) @ h).real)) for row in p]
    np.testing.assert_allclose(np.log(theory.preconditioned_condition(p, h)), expected, rtol=1e-10)
    d = np.diag([1 / h[0, 0], 1 / h[1, 1]])  # Jacobi's own scaling reaches kappa_J
    assert theory.preconditioned_condition(np.diag(d)[None], h)[0] == pytest.approx(theory.jacobi_condition(h)[0])


def test_measured_rate_reads_geometric_growing_and_short_sequences():
    assert theory.measured_rate(0.9 ** np.arange(100))[0] == pytest.approx(0.9)
    assert theory.measured_rate(1.1 ** np.arange(60))[0] == pytest.approx(1.1)
    assert math.isnan(theory.measured_rate(np.ones(5))[0])
    ringing = np.abs(0.95 ** np.arange(300) * np.cos(2 * np.pi * np.arange(300) / 7.3)) + 1e-300
    assert theory.measured_rate(ringing)[0] == pytest.approx(0.95, rel=5e-3)


def test_compare_lays_theory_beside_the_run():
    lr, _ = theory.gd_optimal(EIG)
    rows = theory.compare(run("gd", VALLEY50, VALLEY50.start, 400, lr=lr), VALLEY50, REGISTRY["gd"])
    rate_row = rows[0]
    assert rate_row.predicted == pytest.approx(0.9607843137) and rate_row.measured == pytest.approx(rate_row.predicted)
    assert [r.what for r in rows][1:] == ["its edge, against ηλmax here", "best learning rate 2/(λ1 + λn)",
                                         "its rate (κ − 1)/(κ + 1)"]
    hb_lr, hb_mu, _ = theory.heavy_ball_optimal(EIG)
    hb = theory.compare(run("momentum", VALLEY50, VALLEY50.start, 400, lr=hb_lr, momentum=hb_mu), VALLEY50,
                        REGISTRY["momentum"])
    corrected = next(r for r in hb if r.what.startswith("the same, with the repeated root"))
    assert corrected.measured == pytest.approx(corrected.predicted, rel=5e-3)
    rms = theory.compare(run("rmsprop", VALLEY50, VALLEY50.start, 200, lr=0.1), VALLEY50, REGISTRY["rmsprop"])
    assert rms[0].predicted == 1.0 and rms[0].measured > 1.0  # the best diagonal is exact here; RMSprop's is not
    assert theory.compare(run("lion", VALLEY50, VALLEY50.start, 10), VALLEY50, REGISTRY["lion"]).startswith(
        "no formula is known for Lion")
    rosen = surfaces.get("rosenbrock")
    assert "not one" in theory.compare(run("gd", rosen, rosen.start, 10), rosen, REGISTRY["gd"])
    scheduled = run("gd", VALLEY50, VALLEY50.start, 10, lr=1.0, schedule={"kind": "exponential", "gamma": 0.9})
    assert "scheduled" in theory.compare(scheduled, VALLEY50, REGISTRY["gd"])
    decayed = theory.compare(run("gd", VALLEY50, VALLEY50.start, 300, lr=0.5, weight_decay=0.5), VALLEY50,
                             REGISTRY["gd"])
    # L2 decay: the quadratic felt is H + 0.5 I (curvatures 0.52 and 1.5), rate max |1 - lr (lambda + 0.5)| = 0.74
    assert decayed[0].predicted == pytest.approx(0.74) and decayed[0].measured == pytest.approx(0.74, rel=1e-6)


def test_the_surface_facts_name_kappa_jacobi_and_l11():
    facts = theory.surface_facts(theory.quadratic(surfaces.get("valley", condition=50.0, angle=45.0)))
    values = {f.what: f.predicted for f in facts}
    assert values["condition number κ = λ1/λn"] == pytest.approx(50.0)
    assert values["best κ after any diagonal rescaling: (1 + |r|)/(1 − |r|)"] == pytest.approx(50.0)
    assert values["‖H‖₁,₁ = Σ|Hij|"] == pytest.approx(2.0)
