"""optimizers.explain: each update explained by running its own rule.

Parametrized over the registry and over configurations that take every declared
branch; the values of the lines are checked against what the trajectory recorded
(the state after the step, the new position), and a toy optimizer defined only
here gets a full explanation from its own declarations.
"""

import math
import sys
from typing import NamedTuple

import numpy as np
import pytest

from descent_lab import optimizers, surfaces
from descent_lab.optimizers import OPTIMIZERS as REGISTRY, Line, OptimizerSpec, explain, run
from descent_lab.optimizers.explain import explain_values, finite, generic_lines
from descent_lab.optimizers.hyperparams import HyperParam
from descent_lab.optimizers.lines import PLACEHOLDER, placeholders
from descent_lab.optimizers.rules import Rule

VALLEY = surfaces.get("valley", condition=10.0, angle=30.0)
ROSEN = surfaces.get("rosenbrock")

# Configurations that, together, take every declared line of every rule.
CONFIGS = {
    "gd": [{"lr": 0.1}, {"lr": 0.1, "weight_decay": 0.05}],
    "momentum": [{"lr": 0.05}, {"lr": 0.05, "dampening": 0.3, "weight_decay": 0.05},
                 {"lr": 0.05, "momentum": 0.0, "dampening": 0.5}],
    "nesterov": [{"lr": 0.05}, {"lr": 0.05, "weight_decay": 0.05}],
    "adagrad": [{"lr": 0.5}, {"lr": 0.5, "lr_decay": 0.1, "initial_accumulator_value": 0.2,
                              "weight_decay": 0.05}],
    "rmsprop": [{"lr": 0.05}, {"lr": 0.02, "momentum": 0.5},
                {"lr": 0.02, "centered": True, "momentum": 0.3, "weight_decay": 0.05},
                {"lr": 0.02, "centered": True}],
    "adadelta": [{"lr": 1.0}, {"lr": 1.0, "rho": 0.5, "weight_decay": 0.05}],
    "adam": [{"lr": 0.1}, {"lr": 0.1, "beta1": 0.8, "beta2": 0.99, "weight_decay": 0.05}],
    "adamw": [{"lr": 0.1}, {"lr": 0.1, "weight_decay": 0.0},
              {"lr": 0.1, "beta2": 0.9, "amsgrad": True}],
    "amsgrad": [{"lr": 0.1, "beta2": 0.9}, {"lr": 0.1, "weight_decay": 0.05}],
    "nadam": [{"lr": 0.05}, {"lr": 0.05, "beta1": 0.85, "beta2": 0.99, "momentum_decay": 0.01,
                             "weight_decay": 0.05},
              {"lr": 0.05, "weight_decay": 0.1, "decoupled_weight_decay": True}],
    "radam": [{"lr": 0.05}, {"lr": 0.05, "beta2": 0.9, "weight_decay": 0.02},
              {"lr": 0.05, "weight_decay": 0.1, "decoupled_weight_decay": True}],
    "adamax": [{"lr": 0.05}, {"lr": 0.05, "beta2": 0.9, "weight_decay": 0.01}],
    "rprop": [{"lr": 0.5, "etaminus": 0.4, "etaplus": 1.3, "step_size_max": 0.9}],
    "lion": [{"lr": 0.02}, {"lr": 0.02, "beta1": 0.8, "beta2": 0.95, "weight_decay": 0.2}],
    "newton": [{"lr": 0.5}, {"lr": 0.5, "damping": 2.0}],
    "asgd": [{"lr": 0.05}, {"lr": 0.05, "t0": 3.0, "lambd": 0.01, "weight_decay": 0.05}],
    "adafactor": [{"lr": 0.05}, {"lr": 0.05, "weight_decay": 0.1, "d": 1.2, "eps2": 0.5}],
    "lbfgs": [{"lr": 0.5, "max_iter": 3}, {"lr": 1.0, "strong_wolfe": True, "history_size": 2}],
    "muon": [{"lr": 0.1}, {"lr": 0.1, "nesterov": False, "weight_decay": 0.0}],
    "signum": [{"lr": 0.02}, {"lr": 0.02, "weight_decay": 0.1}],
    "signsgd": [{"lr": 0.02}],
    "sf_sgd": [{"lr": 0.05}, {"lr": 0.05, "weight_decay": 0.05, "warmup_steps": 5}],
    "sf_adamw": [{"lr": 0.1}, {"lr": 0.1, "weight_decay": 0.05, "r": 1.0}],
    "prodigy": [{"lr": 1.0}, {"lr": 1.0, "weight_decay": 0.1, "use_bias_correction": True},
                {"lr": 1.0, "weight_decay": 0.1, "decouple": False}],
    "adopt": [{"lr": 0.1}, {"lr": 0.1, "weight_decay": 0.05},
              {"lr": 0.1, "weight_decay": 0.1, "decouple": True, "clip": False}],
    "adan": [{"lr": 0.1}, {"lr": 0.1, "weight_decay": 0.1}, {"lr": 0.1, "weight_decay": 0.1, "no_prox": True}],
    "dadapt_adam": [{"lr": 1.0}, {"lr": 1.0, "weight_decay": 0.1, "use_bias_correction": True},
                    {"lr": 1.0, "weight_decay": 0.1, "decouple": True}],
    "dadapt_sgd": [{"lr": 1.0}, {"lr": 1.0, "momentum": 0.5, "weight_decay": 0.05}],
    "sophia": [{"lr": 0.1, "update_period": 3}, {"lr": 0.1, "weight_decay": 0.0, "update_period": 5}],
    "shampoo": [{"lr": 0.1}, {"lr": 0.1, "momentum": 0.5, "weight_decay": 0.05},
                {"lr": 0.1, "weight_decay": 0.1, "weight_decouple": True, "preconditioning_compute_steps": 4}],
    "soap": [{"lr": 0.05}, {"lr": 0.05, "weight_decay": 0.0, "precondition_frequency": 3, "normalize_grads": True,
                            "correct_bias": False}],
}
STEPS = 14
K = [0, 1, 6, 12]
CASES = [(key, i, config) for key, configs in CONFIGS.items() for i, config in enumerate(configs)]
IDS = [f"{key}-{i}" for key, i, _ in CASES]


def test_every_registered_optimizer_has_configurations_here():
    assert set(CONFIGS) == set(REGISTRY)


def _run(key, config, surface=VALLEY, noise=0.1, steps=STEPS):
    if REGISTRY[key].evaluates:  # it evaluates the function itself: no gradient noise
        noise = 0.0
    tr = run(key, surface, (-6.0, 3.0), steps, noise=noise, seed=3, tol=0.0, **config)
    assert tr.steps == steps
    return tr


def _close(a, b, rtol=1e-13):
    np.testing.assert_allclose(np.asarray(a, dtype=float), np.asarray(b, dtype=float), rtol=rtol,
                               atol=1e-300)


@pytest.mark.parametrize("key, i, config", CASES, ids=IDS)
def test_lines_agree_with_what_the_trajectory_recorded(key, i, config):
    tr = _run(key, config)
    for k in K:
        ex = explain(tr, k)
        assert ex.k == k and ex.t == k + 1 and ex.key == key
        assert ex.step is ex.lines[-1] and ex.step.lhs == r"\theta_t"
        _close(ex.step.value, tr.xy[k + 1])  # the last line is the new position
        gradient = [line for line in ex.lines if line.lhs == "g_t"]
        assert len(gradient) == 1
        wd = config.get("weight_decay", REGISTRY[key].defaults.get("weight_decay", 0.0))
        l2 = REGISTRY[key].decay_mode({**REGISTRY[key].defaults, **config}) == "l2"
        _close(gradient[0].value, tr.grad_used[k] + (wd * tr.xy[k] if l2 else 0.0))
        values = [line.value for line in ex.lines if line.value is not None]
        for name, recorded in tr.state.items():  # every buffer after the step is shown
            assert any(np.allclose(v, recorded[k], rtol=1e-13, atol=0) for v in values), (name, k)
        declared = {(d.lhs, d.formula, d.numbers): d for d in REGISTRY[key].lines}
        for line in ex.lines:
            assert set(line.values) == set(placeholders(line.numbers))  # every placeholder filled
            source = declared[(line.lhs, line.formula, line.numbers)].value
            if source == "lr_eff@out":  # the effective learning rate the run recorded
                _close(line.value, tr.lr_eff[k])
            elif source and source.endswith("@out") and source[:-4] in tr.state:
                _close(line.value, tr.state[source[:-4]][k])
        assert finite(ex)
    assert explain(tr, STEPS) is None and explain(tr, -1) is None  # past the last update


# keys whose specs share one declaration (Adam, AdamW and AMSGrad share a rule)
SHARED = {}
for _key, _spec in REGISTRY.items():
    SHARED.setdefault(id(_spec.lines), []).append(_key)


@pytest.mark.parametrize("keys", list(SHARED.values()), ids=["+".join(k) for k in SHARED.values()])
def test_every_declared_line_is_taken_by_some_configuration(keys):
    declared = REGISTRY[keys[0]].lines
    assert declared, keys
    taken = set()
    for key in keys:
        for config in CONFIGS[key]:
            for k in K:
                ex = explain(_run(key, config), k)
                taken |= {(line.lhs, line.formula, line.numbers) for line in ex.lines}
    missing = [line.lhs for line in declared if (line.lhs, line.formula, line.numbers) not in taken]
    assert not missing, missing


def test_substitution_fills_every_placeholder_with_the_pages_format():
    ex = explain(_run("adam", {"lr": 0.1}), 3)
    fmt = (lambda v: f"<{v[0]:.3g};{v[1]:.3g}>" if isinstance(v, tuple) else f"<{v:.3g}>")
    for line in ex.lines:
        text = line.substitute(fmt)
        assert not PLACEHOLDER.search(text)
        assert text.count("<") == len(PLACEHOLDER.findall(line.numbers))
    m_line = next(line for line in ex.lines if line.lhs == "m_t")
    assert m_line.substitute(fmt).startswith("<0.9>")  # beta1 first, one number
    assert "\\sqrt{<" in next(line for line in ex.lines if line.formula.startswith(r"\eta /")).substitute(fmt)


def test_latex_groups_after_a_command_are_not_placeholders():
    assert placeholders(r"\operatorname{sign}\bigl({g@in} \odot {prev@prev}\bigr)") == ("g@in", "prev@prev")
    assert placeholders(r"\sqrt{{v}} + {eps}\ \text{max}\ \{x\}") == ("v", "eps")


# ------------------------------------------------------------ the branches, by value


def _lines(ex):
    return {line.lhs: line for line in ex.lines}


def test_adam_first_step_and_bias_corrections():
    b1, b2, lr = 0.8, 0.99, 0.3
    tr = _run("adam", {"lr": lr, "beta1": b1, "beta2": b2}, surface=surfaces.get("valley", angle=45.0))
    for k in (0, 5):
        lines = _lines(explain(tr, k))
        m_prev = tr.state["m"][k - 1] if k else np.zeros(2)
        g = tr.grad_used[k]
        _close(lines["m_t"].value, b1 * m_prev + (1 - b1) * g, rtol=1e-12)
        _close(lines["m_t"].values["m@prev"], m_prev)
        assert lines["m_t"].values["beta1"] == b1
        _close(lines[r"\hat m_t"].value, tr.state["m"][k] / (1 - b1 ** (k + 1)))
        _close(lines[r"\hat v_t"].value, tr.state["v"][k] / (1 - b2 ** (k + 1)))
        assert lines[r"\hat m_t"].values["bc1"] == pytest.approx(1 - b1 ** (k + 1), rel=1e-15)
        _close(tr.xy[k] - np.array(lines[r"\eta_{\text{eff}}"].value) * lines[r"\hat m_t"].value,
               tr.xy[k + 1], rtol=1e-12)
    first = _lines(explain(tr, 0))
    _close(tr.step[0], -lr * np.sign(tr.grad_used[0]), rtol=1e-7)  # Adam's first step: lr sign(g)
    _close(first[r"\hat m_t"].value, tr.grad_used[0])


def test_adamw_shows_the_decayed_weights_and_adam_the_l2_gradient():
    tr = _run("adamw", {"lr": 0.1, "weight_decay": 0.1})
    lines = _lines(explain(tr, 4))
    _close(lines[r"\theta_{t-1}'"].value, tr.xy[4] * (1 - 0.1 * 0.1))
    _close(lines["g_t"].value, tr.grad_used[4])  # decoupled: not in the gradient
    assert "weight_decay" not in lines["g_t"].values
    tr = _run("adam", {"lr": 0.1, "weight_decay": 0.1})
    lines = _lines(explain(tr, 4))
    assert r"\theta_{t-1}'" not in lines
    _close(lines["g_t"].value, tr.grad_used[4] + 0.1 * tr.xy[4])
    assert lines["g_t"].values["weight_decay"] == 0.1


def test_amsgrad_shows_the_running_maximum():
    tr = _run("amsgrad", {"lr": 0.1, "beta2": 0.9}, surface=ROSEN, noise=0.0)
    shrinking = [k for k in range(1, STEPS) if (tr.state["v"][k] < tr.state["v_max"][k]).any()]
    assert shrinking  # the maximum is active somewhere
    for k in (0, shrinking[0]):
        lines = _lines(explain(tr, k))
        prev = tr.state["v_max"][k - 1] if k else np.zeros(2)
        _close(lines[r"v_t^{\max}"].value, np.maximum(prev, tr.state["v"][k]))
        _close(lines[r"v_t^{\max}"].value, tr.state["v_max"][k])
        _close(lines[r"\hat v_t"].value, tr.state["v_max"][k] / (1 - 0.9 ** (k + 1)))
    assert r"v_t^{\max}" not in _lines(explain(_run("adam", {"lr": 0.1}), 3))


def test_centered_rmsprop_and_rmsprop_without_momentum():
    tr = _run("rmsprop", {"lr": 0.02, "alpha": 0.9, "centered": True, "momentum": 0.3})
    k = 6
    lines = _lines(explain(tr, k))
    g = tr.grad_used[k]
    g_avg = 0.9 * tr.state["g_avg"][k - 1] + 0.1 * g
    _close(lines[r"\bar g_t"].value, g_avg, rtol=1e-12)
    v = tr.state["v"][k]
    _close(lines[r"\tilde v_t"].value, v - g_avg**2, rtol=1e-12)
    _close(lines["d_t"].value, np.sqrt(v - g_avg**2) + 1e-8, rtol=1e-12)
    _close(lines["b_t"].value, 0.3 * tr.state["buf"][k - 1] + g / lines["d_t"].value, rtol=1e-12)
    plain = _run("rmsprop", {"lr": 0.02})
    assert set(plain.state) == {"v"}  # torch keeps no buffer without momentum
    lines = _lines(explain(plain, k))
    assert "b_t" not in lines and r"\bar g_t" not in lines
    assert lines[r"\theta_t"].formula == r"\theta_{t-1} - \eta\, g_t / d_t"


@pytest.mark.parametrize("beta2, first_rectified", [(0.999, 6), (0.9, 6), (0.8, 7)])
def test_radam_switches_to_the_rectified_step_when_rho_exceeds_5(beta2, first_rectified):
    lr, eps = 0.05, 1e-8
    tr = _run("radam", {"lr": lr, "beta2": beta2})
    rho_inf = 2 / (1 - beta2) - 1
    for k in range(10):
        t = k + 1
        lines = _lines(explain(tr, k))
        rho_t = rho_inf - 2 * t * beta2**t / (1 - beta2**t)
        assert lines[r"\rho_t"].value == pytest.approx(rho_t, rel=1e-12)
        assert lines[r"\rho_\infty"].value == pytest.approx(rho_inf, rel=1e-12)
        rectified = [lhs for lhs in lines if "rectified" in lhs]
        assert bool(rectified) == (t >= first_rectified) == (rho_t > 5)
        v = tr.state["v"][k]
        if rectified:
            r = math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
            assert lines[rectified[0]].value == pytest.approx(r, rel=1e-12)
            eff = lr * r * np.sqrt(1 - beta2**t) / (np.sqrt(v) + eps)
        else:
            eff = np.full(2, lr)
        eff_line = next(line for lhs, line in lines.items() if lhs.startswith(r"\eta_{\text{eff}}"))
        _close(eff_line.value, eff, rtol=1e-12)
        _close(eff_line.value, tr.lr_eff[k])


def test_nadam_shows_its_momentum_schedule():
    b1, psi = 0.85, 0.01
    tr = _run("nadam", {"lr": 0.05, "beta1": b1, "beta2": 0.99, "momentum_decay": psi})
    for k in (0, 6):
        t = k + 1
        lines = _lines(explain(tr, k))
        mu, mu_next = b1 * (1 - 0.5 * 0.96 ** (t * psi)), b1 * (1 - 0.5 * 0.96 ** ((t + 1) * psi))
        assert lines[r"\mu_t"].value == pytest.approx(mu, rel=1e-14)
        assert lines[r"\mu_{t+1}"].value == pytest.approx(mu_next, rel=1e-14)
        assert isinstance(lines[r"\Pi_t"].value, float)  # one number, as in torch
        assert lines[r"\Pi_t"].value == pytest.approx(tr.state["mu_product"][k][0], rel=1e-15)
        parts = np.array(lines[r"\Delta^{g}_t"].value) + lines[r"\Delta^{m}_t"].value
        _close(tr.xy[k] + parts, tr.xy[k + 1], rtol=1e-14)


def test_rprop_after_a_sign_flip():
    tr = _run("rprop", {"lr": 0.5, "etaminus": 0.4, "etaplus": 1.3, "step_size_max": 0.9},
              noise=0.0, steps=20)
    prev = np.vstack([np.zeros((1, 2)), tr.state["prev"][:-1]])
    flips = np.flatnonzero((tr.grad_used * prev < 0).any(axis=1))
    assert flips.size
    k = int(flips[0])
    lines = _lines(explain(tr, k))
    sign = np.sign(tr.grad_used[k] * prev[k])
    _close(lines[r"\operatorname{sign}(g_t\, g_{t-1})"].value, sign)
    factor = np.where(sign > 0, 1.3, np.where(sign < 0, 0.4, 1.0))
    _close(lines[r"\phi_t"].value, factor)
    _close(lines[r"\eta_t"].value, np.clip(tr.state["step_size"][k - 1] * factor, 1e-6, 0.9))
    kept = lines["g_t'"].value
    assert 0.0 in kept and -1.0 in sign
    _close(kept, np.where(sign < 0, 0.0, tr.grad_used[k]))
    assert np.any(tr.state["step_size"] == 0.9)  # the clip is reached


@pytest.mark.parametrize("wd", [0.0, 0.2])
def test_lion_lines_with_and_without_decay(wd):
    tr = _run("lion", {"lr": 0.02, "beta1": 0.8, "beta2": 0.95, "weight_decay": wd})
    k = 5
    lines = _lines(explain(tr, k))
    c = 0.8 * tr.state["m"][k - 1] + 0.2 * tr.grad_used[k]
    _close(lines["c_t"].value, c, rtol=1e-12)
    assert (r"\theta_{t-1}'" in lines) == bool(wd)  # lion-pytorch decays the weights first
    _close(tr.xy[k] * (1 - 0.02 * wd) - 0.02 * np.sign(c), tr.xy[k + 1], rtol=1e-14)


def test_newton_solves_with_the_recorded_hessian():
    tr = _run("newton", {"lr": 0.5, "damping": 2.0}, steps=12)
    assert tr.hess.shape == (12, 2, 2)
    np.testing.assert_allclose(tr.hess, VALLEY.hess(tr.xy[:-1]), rtol=1e-14)
    for k in (0, 9):
        lines = _lines(explain(tr, k))
        H = VALLEY.hess(tr.xy[k]) + 2.0 * np.eye(2)
        d = np.linalg.solve(H, tr.grad_used[k])
        _close(lines["d_t"].value, d, rtol=1e-12)
        assert lines[r"\det(H_t + \lambda I)"].value == pytest.approx(np.linalg.det(H), rel=1e-12)
        hx = lines[r"H_t + \lambda I"]
        assert hx.value is None and hx.values["hxx"] == pytest.approx(VALLEY.hess(tr.xy[k])[0, 0])


# ------------------------------------------------------------ a toy optimizer


class ToyState(NamedTuple):
    count: int
    total: float


def toy(ops, *, lr, gain, clip):
    """Signed steps scaled by the running total of |g|: a rule only this test knows."""

    def init(p, lr0):
        return ToyState(0, p * 0.0)

    def update(p, g, s, lr):
        count, total = s
        total = total + ops.abs(g)
        scale = gain * total
        big = count >= clip  # a scalar branch the explanation follows
        step = lr * scale * ops.sign(g) if big else lr * ops.sign(g)
        return p - step, (count + 1, total), lr * scale

    return Rule(init, update)


TOY_LINES = (
    Line(lhs="g_t", formula=r"\nabla f", numbers="{g@in}", value="g@in"),
    Line(lhs="T_t", formula=r"T_{t-1} + |g_t|", numbers=r"{total@prev} + |{g}|", value="total"),
    Line(lhs=r"\theta_t", formula=r"\theta_{t-1} - \eta\,\kappa T_t\,\operatorname{sign} g_t",
         numbers=r"{p@in} - {lr}\cdot {scale}\odot\operatorname{sign}{g}", value="p@out", when="big"),
    Line(lhs=r"\theta_t", formula=r"\theta_{t-1} - \eta\,\operatorname{sign} g_t",
         numbers=r"{p@in} - {lr}\,\operatorname{sign}{g}", value="p@out", when="!big"),
)


def _toy_spec(lines):
    return OptimizerSpec(
        key="toy", label="Toy", factory=toy, reference="this test", summary="a test rule",
        hyperparams=(
            HyperParam(name="lr", label="lr", default=0.01, low=1e-6, high=1.0, scale="log"),
            HyperParam(name="gain", label="gain", default=0.5, low=0.0, high=2.0),
        ),
        fixed={"clip": 3}, lines=lines,
    )


@pytest.fixture
def registered(monkeypatch):
    def register(spec):
        monkeypatch.setitem(REGISTRY, spec.key, spec)
        return spec

    return register


def test_a_toy_optimizer_gets_a_full_explanation_from_its_own_declarations(registered):
    registered(_toy_spec(TOY_LINES))
    tr = run("toy", ROSEN, (-1.2, 1.0), 8, lr=1e-4, gain=0.01)
    assert tr.steps == 8 and set(tr.state) == {"total"}
    for k in range(8):
        ex = explain(tr, k)
        assert [line.lhs for line in ex.lines] == ["g_t", "T_t", r"\theta_t"]
        _close(ex.lines[1].value, tr.state["total"][k])
        _close(ex.step.value, tr.xy[k + 1])
        big = k >= 3  # chosen by the value the rule computed (count >= clip)
        assert ("scale" in ex.step.values) == big
        if big:
            _close(ex.step.values["scale"], 0.01 * tr.state["total"][k])
    assert explain(tr, 8) is None


def test_a_rule_without_declared_lines_gets_the_generic_explanation(registered):
    registered(_toy_spec(()))
    tr = run("toy", ROSEN, (-1.2, 1.0), 4, lr=0.01, gain=0.5)
    ex = explain(tr, 2)
    assert [line.lhs for line in ex.lines] == ["g_t", r"\text{total}_t", r"\theta_t"]
    _close(ex.lines[1].value, tr.state["total"][2])
    _close(ex.step.value, tr.xy[3])
    assert [line.lhs for line in generic_lines(("m", "v"))][1:3] == [r"\text{m}_t", r"\text{v}_t"]


def test_a_line_naming_a_value_the_rule_lacks_is_a_clear_error(registered):
    registered(_toy_spec((Line(lhs="x", formula="", numbers="{nonesuch}", value=None),)))
    tr = run("toy", ROSEN, (-1.2, 1.0), 2)
    with pytest.raises(KeyError, match="nonesuch"):
        explain(tr, 0)


# ------------------------------------------------------------ no side effects


def test_explaining_leaves_no_hook_and_no_trace():
    tr = _run("adam", {"lr": 0.1})
    before = tr.xy.copy(), {n: a.copy() for n, a in tr.state.items()}

    def outer(frame, event, arg):
        return None

    sys.setprofile(outer)
    try:
        explain(tr, 3)
        assert sys.getprofile() is outer  # the caller's hook is back
    finally:
        sys.setprofile(None)
    explain(tr, 3)
    assert sys.getprofile() is None
    np.testing.assert_array_equal(tr.xy, before[0])
    for name, arr in before[1].items():
        np.testing.assert_array_equal(tr.state[name], arr)
    again = run("adam", VALLEY, (-6.0, 3.0), STEPS, noise=0.1, seed=3, lr=0.1)
    np.testing.assert_array_equal(again.xy, tr.xy)


def test_the_namespace_names_inputs_previous_state_and_outputs():
    tr = _run("adam", {"lr": 0.1})
    values = explain_values(tr, 2)
    _close(values["p@in"], tr.xy[2])
    _close(values["g@in"], tr.grad_used[2])
    _close(values["m@prev"], tr.state["m"][1])
    _close(values["m@out"], tr.state["m"][2])
    _close(values["p@out"], tr.xy[3])
    _close(values["lr_eff@out"], tr.lr_eff[2])
    assert values["t"] == 3.0 and values["lr"] == 0.1 and values["beta1"] == 0.9
    assert explain_values(tr, STEPS) is None


def test_a_scheduled_learning_rate_is_the_one_shown():
    tr = run("gd", VALLEY, (-6.0, 3.0), 10, lr=0.1, schedule={"kind": "exponential", "gamma": 0.5})
    ex = explain(tr, 3)
    assert ex.step.values["lr"] == pytest.approx(0.1 * 0.5**3)


# ------------------------------------------------------------ what the page asks the spec


@pytest.mark.parametrize("key", list(REGISTRY))
def test_the_spec_says_how_weight_decay_is_applied_and_which_buffers_exist(key):
    spec = REGISTRY[key]
    has_knob = any(h.name == "weight_decay" for h in spec.hyperparams)
    assert (spec.weight_decay is not None) == has_knob
    for config in CONFIGS[key]:
        tr = _run(key, config)
        assert spec.buffers(**config) == tuple(tr.state)
        hp = {**spec.defaults, **config}
        mode = spec.decay_mode(hp)
        expected = spec.weight_decay
        if spec.decay_switch:
            expected = "decoupled" if hp[spec.decay_switch] else "l2"
        assert mode == (expected if hp.get("weight_decay") else None)
        lines = explain(tr, 1).lines
        separate = any(line.lhs == r"\theta_{t-1}'" for line in lines)
        if mode == "decoupled":  # a line of its own, or in a step's formula (Muon, Prodigy)
            assert separate or any(r"\lambda" in line.formula for line in lines)
        else:
            assert not separate
        l2 = "weight_decay" in next(line for line in explain(tr, 1).lines if line.lhs == "g_t").values
        assert l2 == (mode == "l2")
    assert spec.hessian == (key in ("newton", "sophia"))  # the rules that take the exact Hessian
    if spec.velocity:
        with_momentum = {"momentum": 0.5} if "momentum" in spec.defaults else {}
        assert spec.velocity in spec.buffers(**with_momentum)


def test_explanations_are_finite_numbers_for_json():
    tr = _run("adam", {"lr": 0.1})
    ex = explain(tr, 0)
    assert finite(ex)
    for line in ex.lines:
        for v in line.values.values():
            assert isinstance(v, float) or (isinstance(v, tuple) and len(v) == 2)
    assert optimizers.explain is explain
