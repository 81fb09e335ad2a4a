"""Optimizers: specs, validation, invariants, closed forms and torch's iterates.

Parametrized over ``optimizers.OPTIMIZERS``: a new optimizer is tested by adding it.
"""

import inspect
import sys
from pathlib import Path
from textwrap import indent

import numpy as np
import pytest

from descent_lab import optimizers, surfaces
from descent_lab.optimizers import OPTIMIZERS as REGISTRY, run
from descent_lab.optimizers.backend import ARRAY, FLOAT

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "golden"))
from load import load_golden  # noqa: E402

GOLDEN = load_golden()
KEYS = list(REGISTRY)


# ------------------------------------------------------------------ specs


def test_registry_has_every_optimizer_of_the_issue():
    assert KEYS == ["gd", "momentum", "nesterov", "adagrad", "rmsprop", "adadelta", "adam",
                    "adamw", "amsgrad", "nadam", "radam", "adamax", "adopt", "adan", "rprop", "lion",
                    "signum", "signsgd", "asgd", "adafactor", "sf_sgd", "sf_adamw", "prodigy",
                    "dadapt_adam", "dadapt_sgd", "muon", "shampoo", "soap", "sophia", "lbfgs", "newton"]


LBFGS_CASES = [c for c in GOLDEN["cases"] if c["key"] == "lbfgs"]


@pytest.mark.parametrize("case", LBFGS_CASES, ids=[c["case"] for c in LBFGS_CASES])
def test_lbfgs_counts_evaluations_and_inner_iterations_as_torch_does(case):
    tr = _golden_run(case)
    n = tr.steps
    np.testing.assert_array_equal(tr.state["func_evals"][:, 0], case["func_evals"][:n])
    np.testing.assert_array_equal(tr.state["n_iter"][:, 0], case["n_iter"][:n])
    inner = tr.series["inner"]  # (n, L, 2): the iterates within each step, NaN after the last
    assert inner.shape[0] == n and inner.shape[2] == 2
    done = np.diff(np.concatenate([[0], case["n_iter"][:n]]))  # inner iterations of each step
    for k in range(n):
        moved = int(np.isfinite(inner[k, :, 0]).sum())
        assert moved <= done[k]  # an iteration that stopped before moving records no point
        if moved:
            np.testing.assert_array_equal(inner[k, moved - 1], tr.xy[k + 1])  # the last is the step


def test_lbfgs_takes_no_gradient_noise_and_runs_one_at_a_time_in_a_batch():
    bowl = surfaces.get("rosenbrock")
    with pytest.raises(ValueError, match="takes no gradient noise"):
        run("lbfgs", bowl, (-1.2, 1.0), 5, noise=0.1)
    xy = optimizers.run_batch("lbfgs", bowl, [(-1.2, 1.0), (0.5, 0.5)], 8, lr=[1.0, 0.5])
    for b, (start, lr) in enumerate([((-1.2, 1.0), 1.0), ((0.5, 0.5), 0.5)]):
        one = run("lbfgs", bowl, start, 8, lr=lr, tol=0.0)
        np.testing.assert_array_equal(xy[b, : len(one.xy)], one.xy)


def test_the_pages_registry_is_every_optimizer_whose_knobs_it_builds():
    built = optimizers.REGISTRY
    assert list(built) == [k for k in KEYS if all(h.kind in optimizers.specs.BUILDABLE
                                                   for h in REGISTRY[k].hyperparams)]
    assert list(built) == KEYS  # every knob of every optimizer is of a kind the page builds
    kinds = {h.kind for spec in REGISTRY.values() for h in spec.hyperparams}
    assert kinds <= set(optimizers.specs.BUILDABLE) and {"float", "bool", "int"} <= kinds


def test_every_torch_optimizer_here_has_golden_iterates():
    golden = {c["key"] for c in GOLDEN["cases"]}
    assert {k for k, spec in REGISTRY.items() if spec.torch} <= golden


@pytest.mark.parametrize("case", GOLDEN["schedules"], ids=[c["schedule"]["kind"] for c in GOLDEN["schedules"]])
def test_schedules_match_torchs_schedulers(case):
    ours = optimizers.learning_rates(case["schedule"], case["lr"], case["steps"])
    # torch computes most rates recursively from the previous one: rounding only (its
    # cosine recursion drifts most, about 1e-12 relative after 300 steps)
    np.testing.assert_allclose(ours, case["lrs"], rtol=1e-11, atol=1e-15)


def test_every_schedule_is_checked_against_torch():
    assert {c["schedule"]["kind"] for c in GOLDEN["schedules"]} == set(optimizers.SCHEDULES) - {"constant"}


@pytest.mark.parametrize("key", KEYS)
def test_spec_and_factory_agree(key):
    spec = REGISTRY[key]
    params = inspect.signature(spec.factory).parameters
    names = [h.name for h in spec.hyperparams]
    assert len(names) == len(set(names))
    assert set(names) | set(spec.fixed) | {"ops"} == set(params)
    for h in spec.hyperparams:
        assert h.help and h.label
        if h.kind == "float":
            assert h.low <= h.default <= h.high
    assert spec.rule.startswith(r"\begin{aligned}")
    assert indent(spec.rule, "        ") in spec.factory.__doc__  # one source: docstring and UI
    assert spec.label and spec.summary and spec.reference
    if spec.velocity:  # the buffer exists whenever the configuration has momentum
        with_momentum = {"momentum": 0.5} if "momentum" in names else {}
        tr = run(key, surfaces.get("bowl"), (1.0, 1.0), 3, **with_momentum)
        assert spec.velocity in tr.state
        assert spec.buffers(**with_momentum) == tuple(tr.state)


@pytest.mark.parametrize("key", KEYS)
def test_factory_takes_every_hyperparameter_by_keyword_without_defaults(key):
    # torch's functional core: the spec is the one place defaults live
    spec = REGISTRY[key]
    params = list(inspect.signature(spec.factory).parameters.values())
    assert params[0].name == "ops" and params[0].kind is inspect.Parameter.POSITIONAL_OR_KEYWORD
    for p in params[1:]:
        assert p.kind is inspect.Parameter.KEYWORD_ONLY, (key, p.name)
        assert p.default is inspect.Parameter.empty, (key, p.name)
    names = [h.name for h in spec.hyperparams]
    assert not set(names) & set(spec.fixed)  # a fixed argument is not also a knob
    assert sorted(names + list(spec.fixed)) == sorted(p.name for p in params[1:])
    # make passes everything: leaving one out is refused, not filled in
    hp = spec.validate()
    spec.make(FLOAT, **hp)
    with pytest.raises(TypeError):
        spec.make(FLOAT, **{n: v for n, v in hp.items() if n != names[-1]})


def test_records_are_built_by_keyword():
    from descent_lab.optimizers.schedules import ScheduleSpec
    from descent_lab.surfaces import Surface, SurfaceEntry

    for record in (optimizers.HyperParam, optimizers.OptimizerSpec, ScheduleSpec, SurfaceEntry,
                   Surface):
        with pytest.raises(TypeError):
            record("positional", "arguments")


@pytest.mark.parametrize("key", list(GOLDEN["defaults"]))
def test_defaults_are_torchs(key):
    torch_defaults = GOLDEN["defaults"][key]
    ours = REGISTRY[key].defaults
    assert set(torch_defaults) <= set(ours)
    for extra in set(ours) - set(torch_defaults):  # torch options the generator left implicit
        assert ours[extra] == 0.0, (key, extra)
    for name, value in torch_defaults.items():
        if key in ("momentum", "nesterov") and name == "momentum":
            assert ours[name] == 0.9  # torch's default 0 is invalid for these keys
        else:
            assert ours[name] == value, (key, name)


INVALID = [
    ("adam", {"lr": -1.0}, "Invalid learning rate: -1.0"),
    ("adam", {"lr": 50.0}, "Invalid learning rate: 50.0"),
    ("adam", {"lr": float("nan")}, "Invalid learning rate: nan"),
    ("adam", {"lr": float("inf")}, "Invalid learning rate: inf"),
    ("adam", {"lr": "0.1"}, "Invalid learning rate: '0.1'"),
    ("adam", {"lr": None}, "Invalid learning rate: None"),
    ("adam", {"lr": True}, "Invalid learning rate: True"),
    ("adam", {"beta1": 1.0}, "Invalid beta parameter at index 0: 1.0"),
    ("adam", {"beta1": -0.1}, "Invalid beta parameter at index 0: -0.1"),
    ("adam", {"beta2": 1.0}, "Invalid beta parameter at index 1: 1.0"),
    ("nadam", {"beta2": 1.5}, "Invalid beta parameter at index 1: 1.5"),
    ("adam", {"eps": -1e-8}, "Invalid epsilon value: -1e-08"),
    ("adamw", {"weight_decay": -0.1}, "Invalid weight_decay value: -0.1"),
    ("momentum", {"momentum": -0.5}, "Invalid momentum value: -0.5"),
    ("momentum", {"momentum": 1.0}, "Invalid momentum value: 1.0"),
    ("momentum", {"dampening": 2.0}, "Invalid dampening value: 2.0"),
    ("rmsprop", {"alpha": -0.1}, "Invalid alpha value: -0.1"),
    ("rmsprop", {"centered": 1}, "Invalid centered value: 1"),
    ("adagrad", {"lr_decay": -1.0}, "Invalid lr_decay value: -1.0"),
    ("adagrad", {"initial_accumulator_value": -1.0},
     "Invalid initial_accumulator_value value: -1.0"),
    ("adadelta", {"rho": 1.5}, "Invalid rho value: 1.5"),
    ("nadam", {"momentum_decay": -0.1}, "Invalid momentum_decay value: -0.1"),
    ("rprop", {"etaminus": 0.0}, "Invalid eta values: 0.0, 1.2"),
    ("rprop", {"etaminus": 1.5}, "Invalid eta values: 1.5, 1.2"),  # torch's text: both etas
    ("rprop", {"etaplus": 1.0}, "Invalid eta values: 0.5, 1.0"),
    ("rprop", {"etaminus": 0.995}, "Invalid eta values: 0.995 (allowed range [0.01, 0.99])"),
    ("nesterov", {"momentum": 0.0}, "Nesterov momentum requires a momentum and zero dampening"),
    ("rprop", {"step_size_min": 0.5, "step_size_max": 0.1}, "Invalid step sizes: 0.5, 0.1"),
    ("newton", {"damping": -1.0}, "Invalid damping value: -1.0"),
    ("adam", {"betas": (0.9, 0.99)}, "Unknown hyperparameter 'betas' for adam"),
    # the references' own wording where they have one
    ("adan", {"beta3": 1.0}, "Invalid beta parameter at index 2: 1.0"),
    ("adopt", {"eps": -1e-6}, "Invalid epsilon value: -1e-06"),
    ("dadapt_adam", {"d0": 0.0}, "Invalid d0 value: 0.0"),
    ("dadapt_sgd", {"lr": 0.0}, "Invalid learning rate: 0.0"),
    ("dadapt_sgd", {"momentum": 1.0}, "Invalid momentum value: 1.0"),
    ("sophia", {"rho": -0.1}, "Invalid rho parameter at index 1: -0.1"),
    ("sophia", {"update_period": 2.5}, "Invalid update_period value: 2.5 (expected a whole number)"),
    ("shampoo", {"preconditioning_compute_steps": 0}, "Invalid preconditioning_compute_steps value: 0"),
    ("soap", {"beta2": 1.0}, "Invalid beta parameter at index 1: 1.0"),
    ("soap", {"shampoo_beta": 1.0}, "Invalid shampoo_beta value: 1.0"),
    ("gd", {"momentum": 0.9}, "Unknown hyperparameter 'momentum' for gd"),
]


@pytest.mark.parametrize("key, hparams, message", INVALID)
def test_invalid_hyperparameters_use_torchs_wording(key, hparams, message):
    with pytest.raises(ValueError) as err:
        REGISTRY[key].validate(**hparams)
    assert str(err.value).startswith(message)
    with pytest.raises(ValueError):  # the runner refuses them too
        run(key, surfaces.get("bowl"), (1.0, 1.0), 5, **hparams)


def test_unknown_optimizer_is_refused():
    with pytest.raises(ValueError, match="Unknown optimizer 'sgdx'"):
        run("sgdx", surfaces.get("bowl"), (1.0, 1.0), 5)


# ------------------------------------------------------- torch's iterates


def _golden_run(case):
    surface = surfaces.get(case["surface"], **case["surface_params"])
    return run(case["key"], surface, case["start"], case["steps"], tol=0.0,
               schedule=case.get("schedule"), **case["hparams"])


@pytest.mark.parametrize("case", GOLDEN["cases"], ids=[c["case"] for c in GOLDEN["cases"]])
def test_iterates_match_torch(case):
    expected = np.asarray(case["xy"])
    tr = _golden_run(case)
    assert tr.status != "diverged"
    n = len(tr.xy)
    np.testing.assert_allclose(tr.xy, expected[:n], rtol=1e-9, atol=1e-10)
    # a run that stopped early (exact convergence) stays where torch stays
    np.testing.assert_allclose(expected[n:], np.broadcast_to(tr.xy[-1], expected[n:].shape),
                               rtol=1e-9, atol=1e-10)


BATCHED = GOLDEN["cases"][::3] + [c for c in GOLDEN["cases"][1::3] if REGISTRY[c["key"]].coupled]


@pytest.mark.parametrize("case", BATCHED, ids=[c["case"] for c in BATCHED])
def test_batch_path_matches_torch_too(case):
    surface = surfaces.get(case["surface"], **case["surface_params"])
    xy = optimizers.run_batch(case["key"], surface, [case["start"]] * 2, case["steps"],
                              schedule=case.get("schedule"), **case["hparams"])
    np.testing.assert_allclose(xy[1], np.asarray(case["xy"]), rtol=1e-9, atol=1e-10)


# ---------------------------------------------------------- closed forms


def test_gd_on_a_quadratic_is_geometric():
    lr, k = 0.3, np.arange(21)
    tr = run("gd", surfaces.get("valley", condition=10.0), (4.0, 2.0), 20, lr=lr)
    # Hessian diag(1/10, 1): each coordinate shrinks by (1 - lr * curvature)
    np.testing.assert_allclose(tr.xy[:, 0], 4.0 * (1 - lr / 10) ** k, rtol=1e-12)
    np.testing.assert_allclose(tr.xy[:, 1], 2.0 * (1 - lr) ** k, rtol=1e-12)
    np.testing.assert_allclose(tr.lr_eff, lr)


def test_adams_first_step_is_lr_times_sign_of_gradient():
    s = surfaces.get("rosenbrock")
    for start in [(-1.2, 1.0), (0.5, -0.5), (1.7, 2.5)]:
        tr = run("adam", s, start, 1, lr=0.05)
        g = s.grad(start)
        np.testing.assert_allclose(tr.step[0], -0.05 * np.sign(g), rtol=1e-6)


def test_newton_solves_a_quadratic_in_one_step():
    tr = run("newton", surfaces.get("booth"), (-8.0, -7.0), 5)
    np.testing.assert_allclose(tr.xy[1], (1.0, 3.0), atol=1e-12)
    assert tr.status == "converged"


def test_lr_eff_is_the_multiplier_the_rule_applies():
    s = surfaces.get("rosenbrock")
    tr = run("rmsprop", s, (-1.2, 1.0), 30, lr=0.01)
    np.testing.assert_allclose(tr.step, -tr.lr_eff * tr.grad_used, rtol=1e-10)
    v = tr.state["v"]
    np.testing.assert_allclose(tr.lr_eff, 0.01 / (np.sqrt(v) + 1e-8), rtol=1e-12)
    tr = run("adam", s, (-1.2, 1.0), 30, lr=0.01)
    t = np.arange(1, 31)[:, None]
    m_hat = tr.state["m"] / (1 - 0.9**t)
    v_hat = tr.state["v"] / (1 - 0.999**t)
    np.testing.assert_allclose(tr.lr_eff, 0.01 / (np.sqrt(v_hat) + 1e-8), rtol=1e-10)
    np.testing.assert_allclose(tr.step, -tr.lr_eff * m_hat, rtol=1e-9)


BOWL_LR = {"gd": 0.1, "momentum": 0.05, "nesterov": 0.05, "adagrad": 0.5, "rmsprop": 0.01,
           "adadelta": 1.0, "adam": 0.05, "adamw": 0.05, "amsgrad": 0.05, "nadam": 0.05,
           "radam": 0.05, "adamax": 0.05, "rprop": 0.01, "lion": 0.003, "asgd": 0.1,
           "adafactor": 0.01, "muon": 0.003, "lbfgs": 1.0, "newton": 1.0, "signum": 0.003,
           "signsgd": 0.003, "sf_sgd": 0.1, "sf_adamw": 0.05, "prodigy": 1.0, "adopt": 0.03, "adan": 0.03,
           "dadapt_adam": 1.0, "dadapt_sgd": 1.0, "shampoo": 0.3, "soap": 0.01, "sophia": 0.01}


@pytest.mark.parametrize("key", KEYS)
def test_every_optimizer_converges_on_the_bowl(key):
    tr = run(key, surfaces.get("bowl"), (3.0, 1.5), 3000, lr=BOWL_LR[key])
    assert tr.status in ("converged", "max_steps")
    assert np.linalg.norm(tr.xy[-1]) < 0.03, tr.xy[-1]
    assert tr.loss[-1] < 1e-3 * tr.loss[0]


# -------------------------------------------------------------- invariants


@pytest.mark.parametrize("key", KEYS)
def test_update_is_pure_and_float_and_array_backends_agree(key):
    spec = REGISTRY[key]
    hp = spec.validate()
    rng = np.random.default_rng(1)
    p, g = rng.normal(size=3), rng.normal(size=3)
    h = (rng.normal(size=3) + 5, rng.normal(size=3), rng.normal(size=3) + 5)
    if spec.floats_only:  # branches per run: pure on floats (and it is the batch's path)
        flt = spec.make(FLOAT, **hp)
        kernels = surfaces.get("rosenbrock").scalar
        h = kernels if spec.evaluates else None
        s = flt.init((-1.2, 1.0), 0.01)
        p, s, _ = flt.update((-1.2, 1.0), tuple(kernels.grad(-1.2, 1.0)), h, s, 1.0)
        g = tuple(kernels.grad(*p))
        out1 = flt.update(p, g, h, s, 1.0)
        out2 = flt.update(p, g, h, s, 1.0)
        assert out1[0] == out2[0] and out1[1][1:] == out2[1][1:]
        return
    arr, flt = spec.make(ARRAY, **hp), spec.make(FLOAT, **hp)
    if spec.coupled:
        s = arr.init((p, g), 0.01)
        before = (p.copy(), g.copy())
        (x1, y1), s1, _ = arr.update((p, g), (g, p), h, s, 0.01)
        (x2, y2), s2, _ = arr.update((p, g), (g, p), h, s, 0.01)
        np.testing.assert_array_equal(p, before[0])
        np.testing.assert_array_equal(x1, x2)
        (fx, fy), _, _ = flt.update((p[0], g[0]), (g[0], p[0]), tuple(c[0] for c in h),
                                    flt.init((p[0], g[0]), 0.01), 0.01)
        assert fx == pytest.approx(x1[0], rel=1e-14) and fy == pytest.approx(y1[0], rel=1e-14)
        return
    s = arr.init(p, 0.01)
    for _ in range(3):  # a few steps so every buffer is non-trivial
        p, s, _ = arr.update(p, g, s, 0.01)
    frozen = [None if a is None else np.array(a, copy=True) for a in s]
    p_before, g_before = p.copy(), g.copy()
    out1 = arr.update(p, g, s, 0.01)
    out2 = arr.update(p, g, s, 0.01)
    np.testing.assert_array_equal(p, p_before)
    np.testing.assert_array_equal(g, g_before)
    for a, b in zip(s, frozen):
        if b is not None:
            np.testing.assert_array_equal(a, b)  # state not mutated
    np.testing.assert_array_equal(out1[0], out2[0])  # no hidden state
    # the float backend on each element gives the same numbers
    for i in range(3):
        fs = tuple(a if np.ndim(a) == 0 or a is None else float(a[i]) for a in s)
        fp, _, fe = flt.update(float(p[i]), float(g[i]), fs, 0.01)
        assert fp == pytest.approx(out1[0][i], rel=1e-14, abs=1e-300)


def test_runs_have_no_hidden_state_and_inputs_are_not_mutated():
    s = surfaces.get("rosenbrock")
    a = run("adam", s, (-1.2, 1.0), 200, lr=0.01)
    run("rmsprop", s, (0.5, 0.5), 50)
    b = run("adam", s, (-1.2, 1.0), 200, lr=0.01)
    np.testing.assert_array_equal(a.xy, b.xy)
    starts = np.array([[-1.2, 1.0], [0.0, 0.0]])
    lrs = np.array([0.01, 0.02])
    saved = starts.copy(), lrs.copy()
    optimizers.run_batch("adam", s, starts, 20, lr=lrs)
    np.testing.assert_array_equal(starts, saved[0])
    np.testing.assert_array_equal(lrs, saved[1])


# ---------------------------------------------------------- torch's conventions


def test_momentum_zero_is_plain_sgd_without_a_buffer_or_dampening():
    # torch skips the momentum buffer (and its dampening) when momentum is 0
    bowl = surfaces.get("bowl")
    for dampening in (0.0, 0.3, 1.0):
        tr = run("momentum", bowl, (3.0, 2.0), 2, lr=1e-3, momentum=0.0, dampening=dampening)
        np.testing.assert_allclose(tr.xy[-1], (3.0 * 0.999**2, 2.0 * 0.999**2), rtol=1e-15)
        assert tr.state == {}
    assert REGISTRY["momentum"].buffers(momentum=0.0) == ()
    # in a sweep, a run with momentum 0 takes the same plain steps
    xy = optimizers.run_batch("momentum", bowl, [(3.0, 2.0)] * 2, 5, lr=1e-3,
                              momentum=[0.0, 0.5], dampening=1.0)
    np.testing.assert_allclose(xy[0], run("momentum", bowl, (3.0, 2.0), 5, lr=1e-3, momentum=0.0).xy,
                               rtol=1e-15)
    assert not np.allclose(xy[1, -1], xy[1, 0])  # dampening 1 with momentum still moves (b_1 = g_1)


def test_nesterov_refuses_zero_momentum_in_a_sweep_too():
    with pytest.raises(ValueError, match="Nesterov momentum requires a momentum"):
        optimizers.run_batch("nesterov", surfaces.get("bowl"), [(1.0, 1.0)] * 2, 5,
                             momentum=[0.5, 0.0])
