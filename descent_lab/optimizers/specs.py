"""One declarative spec per optimizer: the only place defaults and ranges live.

``REGISTRY`` is ordered; the order is the app's. Adding a spec here adds the
optimizer to the app (its controls are built from ``hyperparams``) and to every
test parametrized over the registry.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Literal, Mapping

from . import rules
from .hyperparams import HyperParam

__all__ = ["OptimizerSpec", "REGISTRY", "get"]


@dataclass(frozen=True)
class OptimizerSpec:
    """An optimizer: its hyperparameters, update rule and how to build it.

    ``factory(ops, **hparams) -> Rule`` builds the pure ``init``/``update`` pair.
    ``fixed`` are arguments of the factory that this key pins (``nesterov=True``).
    ``lr_kind`` says how the learning rate relates to the step: ``"gradient"``
    (step proportional to the gradient: GD, momentum), ``"normalized"`` (step about
    lr per coordinate: Adam, RMSprop, Rprop, Lion) or ``None`` (unit-free: Newton,
    Adadelta); surfaces suggest a learning rate per kind. ``velocity`` names the
    state field holding the momentum, if any. ``coupled`` rules see the Hessian and
    both coordinates at once.
    """

    key: str
    label: str
    hyperparams: tuple[HyperParam, ...]
    factory: Callable
    reference: str
    summary: str
    torch: str | None = None
    fixed: Mapping[str, object] = field(default_factory=dict)
    lr_kind: Literal["gradient", "normalized"] | None = "normalized"
    velocity: str | None = None
    coupled: bool = False
    check: Callable[[dict], None] | None = None

    @property
    def rule(self) -> str:
        """The update rule in LaTeX: the same text as the factory's docstring."""
        return self.factory.rule

    @property
    def defaults(self) -> dict:
        return {h.name: h.default for h in self.hyperparams}

    def param(self, name: str) -> HyperParam:
        for h in self.hyperparams:
            if h.name == name:
                return h
        names = ", ".join(h.name for h in self.hyperparams)
        raise ValueError(f"Unknown hyperparameter {name!r} for {self.key}; expected one of: {names}")

    def validate(self, **hparams) -> dict:
        """Fill defaults and check every value; ``ValueError`` in torch's wording."""
        names = [h.name for h in self.hyperparams]
        unknown = sorted(set(hparams) - set(names))
        if unknown:
            raise ValueError(
                f"Unknown hyperparameter {unknown[0]!r} for {self.key}; "
                f"expected one of: {', '.join(names)}"
            )
        out = {h.name: h.validate(hparams.get(h.name, h.default)) for h in self.hyperparams}
        if self.check is not None:
            self.check(out)
        return out

    def make(self, ops, **hparams):
        """Build the rule for a backend from already-validated hyperparameters."""
        return self.factory(ops, **hparams, **self.fixed)


# ------------------------------------------------------------ common knobs


def _lr(default: float, low: float = 1e-6, high: float = 10.0, help: str = "") -> HyperParam:
    return HyperParam(
        "lr", "learning rate", default, low, high, "log",
        help or "Step size η. Too large and the iterates oscillate or diverge.",
        "Invalid learning rate: {}",
    )


def _beta(index: int, default: float, help: str) -> HyperParam:
    return HyperParam(
        f"beta{index + 1}", f"β{index + 1}", default, 0.0, 1.0, "linear", help,
        f"Invalid beta parameter at index {index}: {{}}", high_open=True,
    )


def _eps(default: float) -> HyperParam:
    return HyperParam(
        "eps", "ε", default, 1e-12, 1.0, "log",
        "Added to the denominator so a tiny gradient does not give a huge step.",
        "Invalid epsilon value: {}", advanced=True,
    )


def _weight_decay(default: float = 0.0, decoupled: bool = False) -> HyperParam:
    how = (
        "Decoupled decay: shrinks the weights by lr·λ each step, outside the adaptive scaling."
        if decoupled
        else "L2 penalty λ·θ added to the gradient (pulls the iterate toward the origin)."
    )
    return HyperParam(
        "weight_decay", "weight decay", default, 0.0, 1.0, "linear", how,
        "Invalid weight_decay value: {}", advanced=not decoupled,
    )


def _momentum(default: float, help: str) -> HyperParam:
    return HyperParam(
        "momentum", "momentum μ", default, 0.0, 1.0, "linear", help,
        "Invalid momentum value: {}", high_open=True,
    )


BETA1 = _beta(0, 0.9, "Decay of the running mean of gradients (momentum).")
BETA2 = _beta(1, 0.999, "Decay of the running mean of squared gradients (per-coordinate scale).")


def _check_rprop(hp: dict) -> None:
    # torch: `if not 0.0 < etas[0] < 1.0 < etas[1]`
    if not 0.0 < hp["etaminus"] < 1.0 < hp["etaplus"]:
        raise ValueError(f"Invalid eta values: {hp['etaminus']}, {hp['etaplus']}")
    if not hp["step_size_min"] <= hp["step_size_max"]:
        raise ValueError(
            f"Invalid step sizes: {hp['step_size_min']}, {hp['step_size_max']} (min must not exceed max)"
        )


_ADAM_REF = "Kingma & Ba (2015), Adam: A Method for Stochastic Optimization"

_SPECS = [
    OptimizerSpec(
        "gd", "Gradient descent", (_lr(1e-3), _weight_decay()), rules.gd,
        "Cauchy (1847)", "Steps straight down the gradient, scaled by the learning rate.",
        torch="torch.optim.SGD", lr_kind="gradient",
    ),
    OptimizerSpec(
        "momentum", "Momentum", (
            _lr(1e-3),
            _momentum(0.9, "Fraction of the previous velocity kept each step (heavy ball)."),
            HyperParam("dampening", "dampening", 0.0, 0.0, 1.0, "linear",
                       "Fraction of the new gradient removed before adding it to the velocity.",
                       "Invalid dampening value: {}", advanced=True),
            _weight_decay(),
        ), rules.sgd_momentum,
        "Polyak (1964); torch.optim.SGD",
        "Accumulates a velocity: consistent directions add up, oscillations cancel.",
        torch="torch.optim.SGD(momentum=...)", fixed={"nesterov": False},
        lr_kind="gradient", velocity="buf",
    ),
    OptimizerSpec(
        "nesterov", "Nesterov momentum", (
            _lr(1e-3),
            _momentum(0.9, "Fraction of the previous velocity kept each step."),
            _weight_decay(),
        ), rules.sgd_momentum,
        "Nesterov (1983); Sutskever et al. (2013); torch.optim.SGD(nesterov=True)",
        "Momentum that corrects its course by looking ahead along the velocity.",
        torch="torch.optim.SGD(momentum=..., nesterov=True)",
        fixed={"nesterov": True, "dampening": 0.0},
        lr_kind="gradient", velocity="buf",
    ),
    OptimizerSpec(
        "adagrad", "Adagrad", (
            _lr(1e-2),
            HyperParam("lr_decay", "lr decay", 0.0, 0.0, 1.0, "linear",
                       "Divides the learning rate by 1 + (t-1)·decay.",
                       "Invalid lr_decay value: {}", advanced=True),
            HyperParam("initial_accumulator_value", "initial accumulator", 0.0, 0.0, 10.0,
                       "linear", "Starting value of the sum of squared gradients.",
                       "Invalid initial_accumulator_value value: {}", advanced=True),
            HyperParam("eps", "ε", 1e-10, 1e-12, 1.0, "log",
                       "Added to the denominator so a tiny gradient does not give a huge step.",
                       "Invalid epsilon value: {}", advanced=True),
            _weight_decay(),
        ), rules.adagrad,
        "Duchi, Hazan & Singer (2011)",
        "Divides each coordinate by the root of its summed squared gradients: steps only shrink.",
        torch="torch.optim.Adagrad",
    ),
    OptimizerSpec(
        "rmsprop", "RMSprop", (
            _lr(1e-2),
            HyperParam("alpha", "α", 0.99, 0.0, 1.0, "linear",
                       "Decay of the running mean of squared gradients.",
                       "Invalid alpha value: {}", high_open=True),
            _momentum(0.0, "Momentum on the rescaled step (0 disables it)."),
            HyperParam("centered", "centered", False, kind="bool",
                       help="Divide by the gradient's estimated standard deviation instead of its RMS.",
                       error="Invalid centered value: {}"),
            _eps(1e-8),
            _weight_decay(),
        ), rules.rmsprop,
        "Hinton, Srivastava & Swersky (2012), Lecture 6e",
        "Divides each coordinate by a running RMS of its gradient.",
        torch="torch.optim.RMSprop", velocity="buf",
    ),
    OptimizerSpec(
        "adadelta", "Adadelta", (
            _lr(1.0, low=1e-3, high=10.0),
            HyperParam("rho", "ρ", 0.9, 0.0, 1.0, "linear",
                       "Decay of the running means of squared gradients and updates.",
                       "Invalid rho value: {}", high_open=True),
            HyperParam("eps", "ε", 1e-6, 1e-12, 1.0, "log",
                       "Added inside both square roots; sets the size of the first steps.",
                       "Invalid epsilon value: {}", advanced=True),
            _weight_decay(),
        ), rules.adadelta,
        "Zeiler (2012), ADADELTA: An Adaptive Learning Rate Method",
        "Rescales by the ratio of running RMS of updates to RMS of gradients.",
        torch="torch.optim.Adadelta", lr_kind=None,
    ),
    OptimizerSpec(
        "adam", "Adam", (_lr(1e-3), BETA1, BETA2, _eps(1e-8), _weight_decay()), rules.adam,
        _ADAM_REF, "Momentum divided by a running RMS of the gradient, with bias correction.",
        torch="torch.optim.Adam", fixed={"amsgrad": False, "decoupled": False}, velocity="m",
    ),
    OptimizerSpec(
        "adamw", "AdamW",
        (_lr(1e-3), BETA1, BETA2, _eps(1e-8), _weight_decay(1e-2, decoupled=True)), rules.adam,
        "Loshchilov & Hutter (2019), Decoupled Weight Decay Regularization",
        "Adam with weight decay applied to the weights, not through the gradient.",
        torch="torch.optim.AdamW", fixed={"amsgrad": False, "decoupled": True}, velocity="m",
    ),
    OptimizerSpec(
        "amsgrad", "AMSGrad", (_lr(1e-3), BETA1, BETA2, _eps(1e-8), _weight_decay()), rules.adam,
        "Reddi, Kale & Kumar (2018), On the Convergence of Adam and Beyond",
        "Adam that never lets the per-coordinate scale shrink (running max of v).",
        torch="torch.optim.Adam(amsgrad=True)", fixed={"amsgrad": True, "decoupled": False},
        velocity="m",
    ),
    OptimizerSpec(
        "nadam", "NAdam", (
            _lr(2e-3), BETA1, BETA2, _eps(1e-8),
            HyperParam("momentum_decay", "momentum decay ψ", 4e-3, 0.0, 0.1, "linear",
                       "Sets how fast the momentum schedule μ_t warms up to β1.",
                       "Invalid momentum_decay value: {}", advanced=True),
            _weight_decay(),
        ), rules.nadam,
        "Dozat (2016), Incorporating Nesterov Momentum into Adam",
        "Adam with Nesterov-style look-ahead momentum.",
        torch="torch.optim.NAdam", velocity="m",
    ),
    OptimizerSpec(
        "radam", "RAdam", (_lr(1e-3), BETA1, BETA2, _eps(1e-8), _weight_decay()), rules.radam,
        "Liu et al. (2020), On the Variance of the Adaptive Learning Rate and Beyond",
        "Adam that starts as momentum SGD until its variance estimate is trustworthy.",
        torch="torch.optim.RAdam", velocity="m",
    ),
    OptimizerSpec(
        "adamax", "Adamax", (_lr(2e-3), BETA1, BETA2, _eps(1e-8), _weight_decay()), rules.adamax,
        _ADAM_REF + ", section 7.1",
        "Adam with the infinity norm: divides by a decaying max of |g|.",
        torch="torch.optim.Adamax", velocity="m",
    ),
    OptimizerSpec(
        "rprop", "Rprop", (
            _lr(1e-2, help="Initial per-coordinate step size."),
            # torch needs 0 < η− < 1 < η+: the ranges keep sweeps inside that
            HyperParam("etaminus", "η−", 0.5, 0.01, 0.99, "linear",
                       "Step-size factor after the gradient's sign flips.",
                       "Invalid eta values: {}"),
            HyperParam("etaplus", "η+", 1.2, 1.01, 5.0, "linear",
                       "Step-size factor while the gradient keeps its sign.",
                       "Invalid eta values: {}"),
            HyperParam("step_size_min", "min step", 1e-6, 1e-12, 1.0, "log",
                       "Smallest allowed step size.", "Invalid step_size_min value: {}",
                       advanced=True),
            HyperParam("step_size_max", "max step", 50.0, 1e-3, 100.0, "log",
                       "Largest allowed step size.", "Invalid step_size_max value: {}",
                       advanced=True),
        ), rules.rprop,
        "Riedmiller & Braun (1993); torch.optim.Rprop",
        "Uses only the gradient's sign; each coordinate grows or shrinks its own step.",
        torch="torch.optim.Rprop", check=_check_rprop,
    ),
    OptimizerSpec(
        "lion", "Lion", (
            _lr(1e-4),
            _beta(0, 0.9, "Interpolation between momentum and gradient for the step's sign."),
            _beta(1, 0.99, "Decay of the momentum."),
            _weight_decay(0.0, decoupled=True),
        ), rules.lion,
        "Chen et al. (2023), Symbolic Discovery of Optimization Algorithms, Algorithm 1",
        "Steps by exactly lr in the sign of an interpolated momentum.",
        velocity="m",
    ),
    OptimizerSpec(
        "newton", "Newton", (
            _lr(1.0, low=1e-3, high=2.0, help="Fraction of the Newton step taken (1 = full step)."),
            HyperParam("damping", "damping λ", 0.0, 0.0, 100.0, "linear",
                       "Added to the Hessian's diagonal; large λ turns Newton into small GD steps.",
                       "Invalid damping value: {}"),
        ), rules.newton,
        "Newton-Raphson; Levenberg (1944) damping",
        "Rescales the gradient by the inverse Hessian: the direction a quadratic model prefers.",
        lr_kind=None, coupled=True,
    ),
]

REGISTRY: dict[str, OptimizerSpec] = {s.key: s for s in _SPECS}


def get(key: str) -> OptimizerSpec:
    """The spec for ``key``; ``ValueError`` naming the known keys otherwise."""
    try:
        return REGISTRY[key]
    except (KeyError, TypeError):
        raise ValueError(
            f"Unknown optimizer {key!r}; expected one of: {', '.join(REGISTRY)}"
        ) from None
