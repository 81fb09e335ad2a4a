"""Each optimizer's own stability edge: the closed forms, the recurrence they come from,
the engine's own rules on quadratics where the edge is exact, and the adaptive edge of
stability (Cohen et al., 2022) measured on the engine."""

import math

import numpy as np
import pytest

from descent_lab import optimizers, surfaces
from descent_lab.optimizers import OPTIMIZERS, REGISTRY, run
from descent_lab.optimizers.edges import Edge, Model, momentum_limit, roots, spectral_radius
from descent_lab.optimizers.stability import effective_sharpness, edge_limit, report

# a ravine whose steep curvature is exactly 1 (and flat one 1/20): effective sharpness = lr
RAVINE = surfaces.get("valley", condition=20.0, angle=0.0)


# ------------------------------------------------------------ closed forms


@pytest.mark.parametrize("mu", [0.0, 0.5, 0.9, 0.99])
def test_the_published_edges(mu):
    assert momentum_limit(Model(0.0, 1.0, 0.0)) == 2.0  # gradient descent
    if mu:
        assert math.isclose(momentum_limit(Model(mu, 0.0, 1.0 / (1 - mu))), 2 * (1 + mu))  # heavy ball
        assert math.isclose(momentum_limit(Model(mu, 0.0, 0.7 / (1 - mu))), 2 * (1 + mu) / 0.7)  # dampening 0.3
        assert math.isclose(momentum_limit(Model(mu, 1.0, mu / (1 - mu))), 2 * (1 + mu) / (1 + 2 * mu))  # Nesterov
        assert math.isclose(momentum_limit(Model(mu, 0.0, 1.0)), (2 + 2 * mu) / (1 - mu))  # Adam's EMA


def test_adams_edge_is_38_at_beta1_0_9_and_momentums_3_8():
    assert math.isclose(REGISTRY["adam"].edge.limit({"beta1": 0.9}), 38.0)
    assert math.isclose(REGISTRY["momentum"].edge.limit({"momentum": 0.9, "dampening": 0.0}), 3.8)
    assert math.isclose(REGISTRY["nesterov"].edge.limit({"momentum": 0.9}), 3.8 / 2.8)
    # torch keeps no buffer (nor its dampening) without momentum: plain gradient descent
    assert REGISTRY["momentum"].edge.limit({"momentum": 0.0, "dampening": 0.5}) == 2.0


MODELS = [Model(0.0, 1.0, 0.0), Model(0.5, 0.0, 2.0), Model(0.9, 0.0, 10.0), Model(0.9, 0.0, 7.0),
          Model(0.9, 1.0, 9.0), Model(0.3, 1.0, 0.3 / 0.7), Model(0.9, 0.0, 1.0), Model(0.99, 0.0, 1.0),
          Model(0.9, 0.1, 0.9), Model(0.95, 2.0, 0.5)]


@pytest.mark.parametrize("model", MODELS)
def test_the_limit_is_exactly_where_the_recurrence_stops_shrinking(model):
    limit = momentum_limit(model)
    assert spectral_radius(limit * (1 - 1e-6), model) < 1 < spectral_radius(limit * (1 + 1e-6), model)
    # and stable everywhere below it (for positive curvature)
    for a in np.linspace(1e-3, limit * (1 - 1e-6), 200):
        assert spectral_radius(a, model) < 1
    # the roots are those of the companion matrix of the recurrence (x_{t+1}, m_t) from (x_t, m_{t-1})
    a = 0.6 * limit
    k = a * (model.c_g + model.c_m * (1 - model.beta))
    companion = np.array([[1 - k, -model.c_m * model.beta], [(1 - model.beta) * a, model.beta]])
    np.testing.assert_allclose(sorted(np.abs(np.linalg.eigvals(companion))), sorted(abs(z) for z in roots(a, model)),
                               rtol=1e-10)


# ------------------------------------------------------------ the engine's rules on a quadratic


def _distance(traj):
    return np.linalg.norm(traj.xy, axis=1)


CONFIGS = [
    ("gd", {}),
    ("momentum", {"momentum": 0.9, "dampening": 0.0}),
    ("momentum", {"momentum": 0.5, "dampening": 0.3}),
    ("nesterov", {"momentum": 0.9}),
    ("nesterov", {"momentum": 0.5}),
    ("gd", {"weight_decay": 0.25}),
    ("momentum", {"momentum": 0.8, "dampening": 0.0, "weight_decay": 0.1}),
]


@pytest.mark.parametrize("key,hparams", CONFIGS)
def test_the_declared_edge_is_where_the_engines_own_rule_diverges(key, hparams):
    # steepest curvature 1 (plus the L2 decay the gradient carries): the edge in lr is limit / (1 + wd)
    limit = REGISTRY[key].edge.limit(REGISTRY[key].validate(**hparams))
    curvature = 1.0 + hparams.get("weight_decay", 0.0)
    below = run(key, RAVINE, (-8.0, 2.0), 3000, lr=0.99 * limit / curvature, **hparams)
    above = run(key, RAVINE, (-8.0, 2.0), 3000, lr=1.01 * limit / curvature, **hparams)
    assert below.status != "diverged" and abs(below.xy[-1, 1]) < 1e-3 * abs(below.xy[0, 1])
    assert above.status == "diverged"
    value = effective_sharpness(below, RAVINE)
    np.testing.assert_allclose(value, 0.99 * limit, rtol=1e-12)
    assert edge_limit(below) == limit


def test_nesterovs_edge_is_below_gradient_descents():
    # 2(1 + mu)/(1 + 2 mu) = 1.357 at mu = 0.9: lr 1.5 is fine for gradient descent, not for Nesterov
    assert run("gd", RAVINE, (-8.0, 2.0), 500, lr=1.5).status != "diverged"
    assert run("nesterov", RAVINE, (-8.0, 2.0), 500, lr=1.5, momentum=0.9).status == "diverged"
    assert run("momentum", RAVINE, (-8.0, 2.0), 500, lr=1.5, momentum=0.9).status != "diverged"


@pytest.mark.parametrize("key,hparams", [("gd", {"lr": 0.2}), ("gd", {"lr": 1.8}), ("momentum", {"lr": 0.3, "momentum": 0.9}),
                                         ("momentum", {"lr": 3.0, "momentum": 0.6}), ("nesterov", {"lr": 0.1, "momentum": 0.5})])
def test_the_roots_give_the_rate_the_engine_measures(key, hparams):
    # on the steep coordinate y (curvature 1, alone in its equation) |y_k| shrinks like the spectral radius^k
    traj = run(key, RAVINE, (0.0, 1.0), 400, **hparams)
    model = REGISTRY[key].edge.model(traj.hparams)
    rho = spectral_radius(hparams["lr"], model)
    y = np.abs(traj.xy[:, 1])
    w = 12  # longer than a ringing run's period: the max over a window is the envelope
    k1 = min(int(np.flatnonzero(y > 1e-9)[-1]), 380) - w
    k0 = k1 // 2
    measured = (np.max(y[k1:k1 + w]) / np.max(y[k0:k0 + w])) ** (1 / (k1 - k0))
    assert k1 - k0 >= 10 and measured == pytest.approx(rho, rel=2e-2)


def test_newtons_effective_sharpness_is_its_step_length():
    s = surfaces.get("booth")
    traj = run("newton", s, s.start, 5, lr=0.7)
    np.testing.assert_allclose(effective_sharpness(traj, s), 0.7, rtol=1e-12)
    damped = run("newton", s, s.start, 5, lr=0.7, damping=2.0)
    top = np.linalg.eigvalsh(s.hess(np.zeros(2))).max()
    np.testing.assert_allclose(effective_sharpness(damped, s), 0.7 * top / (top + 2.0), rtol=1e-12)


@pytest.mark.parametrize("key", ["rmsprop", "adam", "adagrad", "amsgrad", "adamax", "radam", "adadelta", "adopt",
                                 "sophia"])
def test_the_preconditioned_sharpness_is_lambda_max_of_diag_lr_eff_times_h(key):
    s = surfaces.get("rosenbrock")
    traj = run(key, s, s.start, 60, lr=0.01)
    hess = s.hess(traj.xy[:-1])
    expected = [np.max(np.linalg.eigvals(np.diag(p) @ h).real) for p, h in zip(traj.lr_eff, hess)]
    np.testing.assert_allclose(effective_sharpness(traj, s), expected, rtol=1e-9)


# ------------------------------------------------------------ the adaptive edge of stability


def _second_half_median(traj, surface):
    value = effective_sharpness(traj, surface)
    return float(np.median(value[len(value) // 2:]))


def test_rmsprop_hovers_at_its_edge_2_on_rosenbrock():
    s = surfaces.get("rosenbrock")
    traj = run("rmsprop", s, s.start, 3000, lr=0.01)
    assert _second_half_median(traj, s) == pytest.approx(2.0, rel=0.02)
    assert "hovers at its edge 2" in report(traj, s).verdict


def test_adam_hovers_near_its_edge_38_not_at_2():
    # Cohen et al. (2022): the preconditioned sharpness of Adam equilibrates near (2 + 2 beta1)/(1 - beta1)
    s = surfaces.get("rosenbrock")
    traj = run("adam", s, s.start, 3000, lr=0.03, beta2=0.99)
    median = _second_half_median(traj, s)
    assert 0.9 * 38 <= median <= 38.0
    assert "hovers at its edge 38" in report(traj, s).verdict


# ------------------------------------------------------------ the verdict, for every optimizer


def test_the_verdict_names_the_edge_and_the_step():
    traj = run("gd", RAVINE, (-8.0, 2.0), 80, lr=2.1)
    text = report(traj, RAVINE).verdict
    assert text.startswith("diverged at step 66: its effective sharpness ηλmax(H) passed its edge 2 ")
    assert "from its first step" in text and "zig-zags across and grows by 1.1 a step" in text
    calm = report(run("momentum", RAVINE, (-8.0, 2.0), 300, lr=3.5, momentum=0.9), RAVINE).verdict
    assert calm.startswith("below its edge 3.8") and "rings" in calm
    zig = report(run("gd", RAVINE, (-8.0, 2.0), 80, lr=1.9), RAVINE).verdict
    assert "zig-zags across and shrinks by 0.9 a step" in zig
    saddle = surfaces.get("saddle")
    away = report(run("gd", saddle, saddle.start, 3000, lr=0.1), saddle).verdict
    assert "below its edge 2" in away and "falls away without bound" in away


@pytest.mark.parametrize("key", list(REGISTRY))
def test_every_optimizer_gets_a_verdict_that_says_why(key):
    spec = REGISTRY[key]
    # a learning rate past gradient descent's edge (lr 2.5 on curvature 1), where the spec allows it
    traj = run(key, RAVINE, (-8.0, 2.0), 200, **({"lr": 2.5} if spec.param("lr").high >= 2.5 else {}))
    r = report(traj, RAVINE)
    assert r.verdict.endswith(".") and len(r.verdict) > 40
    if traj.status == "diverged":
        assert r.verdict.startswith(f"diverged at step {traj.diverged_at}")
    if spec.edge.known:
        assert r.known and r.limit > 0 and len(r.value) == traj.steps and "edge" in r.verdict
    else:
        assert not r.known and r.value is None and f"no stability edge is known for {spec.label}" in r.verdict
        assert spec.edge.why in r.verdict


def test_an_optimizer_without_a_declared_edge_says_so():
    assert not Edge(preconditioner=None).known
    assert Edge(preconditioner=None).limit({}) is None
    unknown = ("rprop", "lion", "nadam", "signum", "signsgd", "adafactor", "prodigy", "sf_sgd", "sf_adamw", "muon",
               "lbfgs", "adan", "dadapt_adam", "dadapt_sgd", "shampoo", "soap")
    for key in unknown:
        assert not OPTIMIZERS[key].edge.known and OPTIMIZERS[key].edge.why
        assert OPTIMIZERS[key].edge.why != optimizers.edges.NO_EDGE.why  # each says its own reason
    assert all(spec.edge.known for key, spec in OPTIMIZERS.items() if key not in unknown)
    assert optimizers.OptimizerSpec.__dataclass_fields__["edge"].default.known is False
