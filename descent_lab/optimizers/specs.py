"""One declarative spec per optimizer: the only place defaults and ranges live.

``OPTIMIZERS`` is ordered; the order is the app's. Adding a spec here adds the
optimizer to the app (its controls are built from ``hyperparams``) and to every
test parametrized over the registry.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field
from typing import Callable, Literal, Mapping

from . import modern, rules
from .backend import FLOAT
from .edges import NO_EDGE, Edge
from .hyperparams import HyperParam
from .lines import Line

__all__ = ["OptimizerSpec", "OPTIMIZERS", "REGISTRY", "get"]


@dataclass(frozen=True, kw_only=True)
class OptimizerSpec:
    """An optimizer: its hyperparameters, update rule and how to build it.

    ``factory(ops, **hparams) -> Rule`` builds the pure ``init``/``update`` pair; it
    takes every hyperparameter and every ``fixed`` argument by keyword, with no
    defaults. ``fixed`` are arguments of the factory that this key pins
    (``nesterov=True``).

    What the page needs to know about an optimizer is here, never in a comparison of
    keys:

    * ``lr_kind``: how the learning rate relates to the step: ``"gradient"`` (step
      proportional to the gradient: GD, momentum), ``"normalized"`` (step about lr
      per coordinate: Adam, RMSprop, Rprop, Lion) or ``None`` (unit-free: Newton,
      Adadelta); surfaces suggest a learning rate per kind.
    * ``velocity``: the state buffer holding the momentum, if any (present when the
      configuration has one: see :meth:`buffers`).
    * ``weight_decay``: ``"l2"`` (added to the gradient, torch's ``weight_decay``),
      ``"decoupled"`` (applied to the weights: AdamW, Lion) or None (no such knob);
      :meth:`decay_mode` gives it for a configuration; ``decay_switch`` names the
      on/off option that chooses decoupled (on) or L2 (off), where there is one
      (NAdam's and RAdam's ``decoupled_weight_decay``, Prodigy's ``decouple``).
    * ``coupled``: the rule sees both coordinates at once; ``hessian``: it also takes
      the Hessian (Newton); ``evaluates``: it evaluates the function and its gradient
      itself, at points of its choosing (L-BFGS: the surface's kernels are its ``h``;
      it takes no gradient noise); ``floats_only``: the rule branches per run, so it
      runs on Python floats only and a batch runs it one run at a time (L-BFGS,
      Prodigy); ``evaluations``: gradient
      evaluations per step at most, a number or a function of the hyperparameters;
      ``update_cost``: what the update itself costs beyond that, in the same units
      (Muon's bfloat16 emulation, L-BFGS's two-loop recursion), for budgets
      (:func:`optimizers.cost`).
    * ``series``: state fields that hold a sequence of points per step (L-BFGS's
      inner iterates), recorded as ``Trajectory.series[name]`` ``(n, L, 2)``.
    * ``points``: state fields that are points of the plane the optimizer keeps beside
      the one it is at, with what each is (ASGD's averaged iterate, Schedule-Free's z
      and x): :func:`optimizers.diagnostics.companion_points`.
    * ``estimate``: the state field holding the optimizer's own estimate of the distance
      from the start to the solution, with what the estimate is (D-Adaptation's and
      Prodigy's ``d``): :func:`optimizers.diagnostics.distance_estimate`.
    * ``lines``: how one step is explained (:mod:`optimizers.lines`); empty for the
      generic explanation (the gradient, each buffer, the new position).
    * ``check``: a test across hyperparameters (Rprop's ``0 < eta- < 1 < eta+``).
    * ``edge``: its stability edge, as the linear model of its step
      (:mod:`optimizers.edges`); :data:`~optimizers.edges.NO_EDGE` when none is known.
    * ``caveat(hparams, steps)``: a sentence the page should show beside a run with
      this configuration, or None (ASGD's default ``t0`` never starts averaging).
    * ``convention``: how the lab runs it where that is a choice its reference leaves
      open or a person might not expect (the README's optimizer table lists it).
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
    weight_decay: Literal["l2", "decoupled"] | None = None
    decay_switch: str | None = None
    coupled: bool = False
    hessian: bool = False
    evaluates: bool = False
    floats_only: bool = False
    evaluations: float | Callable[[dict], float] = 1.0
    update_cost: float | Callable[[dict], float] = 0.0
    series: tuple[str, ...] = ()
    points: tuple[tuple[str, str], ...] = ()
    estimate: tuple[str, str] | None = None
    convention: str = ""
    lines: tuple[Line, ...] = ()
    check: Callable[[dict], None] | None = None
    edge: Edge = NO_EDGE
    caveat: Callable[[dict, int], str | None] | None = None

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
        """Fill defaults and check every value; ``ValueError`` in torch's wording.

        A check across parameters (``check``) speaks first when a value is refused
        and every value is a number: torch refuses Rprop's ``etas=(1.5, 1.2)`` as
        "Invalid eta values: 1.5, 1.2", naming both."""
        names = [h.name for h in self.hyperparams]
        unknown = sorted(set(hparams) - set(names))
        if unknown:
            raise ValueError(
                f"Unknown hyperparameter {unknown[0]!r} for {self.key}; "
                f"expected one of: {', '.join(names)}"
            )
        raw = {h.name: hparams.get(h.name, h.default) for h in self.hyperparams}
        out, refused = {}, None
        for h in self.hyperparams:
            try:
                out[h.name] = h.validate(raw[h.name])
            except ValueError as exc:
                refused = refused or exc
        if refused is not None:
            numeric = all(isinstance(v, numbers.Real) and math.isfinite(v) for v in raw.values())
            if self.check is not None and numeric:
                self.check({n: v if isinstance(v, bool) else float(v) for n, v in raw.items()})
            raise refused
        if self.check is not None:
            self.check(out)
        return out

    def decay_mode(self, hparams: Mapping[str, object] | None = None) -> str | None:
        """``"l2"``, ``"decoupled"`` or None: how this configuration applies weight
        decay (None also when the decay is 0)."""
        if self.weight_decay is None:
            return None
        hp = self.defaults if hparams is None else {**self.defaults, **hparams}
        if not hp.get("weight_decay"):
            return None
        if self.decay_switch is not None:
            return "decoupled" if hp[self.decay_switch] else "l2"
        return self.weight_decay

    def evaluations_per_step(self, hparams: Mapping[str, object] | None = None) -> float:
        """Gradient evaluations one step may take with these hyperparameters (at most)."""
        if callable(self.evaluations):
            return float(self.evaluations({**self.defaults, **(hparams or {})}))
        return float(self.evaluations)

    def update_cost_per_step(self, hparams: Mapping[str, object] | None = None) -> float:
        """What one update costs beyond its gradient evaluations (budget units)."""
        if callable(self.update_cost):
            return float(self.update_cost({**self.defaults, **(hparams or {})}))
        return float(self.update_cost)

    def note(self, hparams: Mapping[str, object], steps: int) -> str | None:
        """The caveat for a run of ``steps`` steps with ``hparams`` (None: none)."""
        if self.caveat is None:
            return None
        return self.caveat({**self.defaults, **hparams}, steps)

    def buffers(self, **hparams) -> tuple[str, ...]:
        """The state buffers a configuration keeps and a run records (as torch does:
        RMSprop has no momentum buffer without momentum), from its ``init``'s named
        tuple; a coupled rule's buffers are its numbers and ``(x, y)`` pairs (not a
        history, nor the point sequences of ``series``)."""
        rule = self.make(FLOAT, **self.validate(**hparams))
        if not self.coupled:
            return tuple(rule.init(0.0, 0.0)._fields[1:])
        start = rule.init((0.0, 0.0), 0.0)

        def recorded(v) -> bool:
            number = isinstance(v, (int, float)) and not isinstance(v, bool)
            pair = isinstance(v, tuple) and len(v) == 2 and all(isinstance(c, (int, float)) for c in v)
            return number or pair

        return tuple(n for n, v in zip(start._fields[1:], start[1:]) if recorded(v))

    def make(self, ops, **hparams):
        """Build the rule for a backend from already-validated hyperparameters.

        Every argument is passed: the factory has no defaults, so a missing one is a
        ``TypeError`` here rather than a silently different rule."""
        return self.factory(ops, **hparams, **self.fixed)


# ------------------------------------------------------------ common knobs


def _lr(default: float, low: float = 1e-6, high: float = 10.0, help: str = "") -> HyperParam:
    return HyperParam(
        name="lr", label="learning rate", default=default, low=low, high=high, scale="log",
        help=help or "Step size η. Too large and the iterates oscillate or diverge.",
        error="Invalid learning rate: {}",
    )


def _beta(index: int, default: float, help: str) -> HyperParam:
    return HyperParam(
        name=f"beta{index + 1}", label=f"β{index + 1}", default=default, low=0.0, high=1.0,
        help=help, error=f"Invalid beta parameter at index {index}: {{}}", high_open=True,
    )


def _eps(default: float, help: str = "Added to the denominator so a tiny gradient does not give "
         "a huge step.") -> HyperParam:
    return HyperParam(
        name="eps", label="ε", default=default, low=1e-12, high=1.0, scale="log", help=help,
        error="Invalid epsilon value: {}", advanced=True,
    )


def _weight_decay(default: float = 0.0, decoupled: bool = False) -> HyperParam:
    how = (
        "Decoupled decay: shrinks the weights by lr·λ each step, outside the adaptive scaling."
        if decoupled
        else "L2 penalty λ·θ added to the gradient (pulls the iterate toward the origin)."
    )
    return HyperParam(
        name="weight_decay", label="weight decay", default=default, low=0.0, high=1.0, help=how,
        error="Invalid weight_decay value: {}", advanced=not decoupled,
    )


def _option(name: str, label: str, help: str) -> HyperParam:
    """An on/off option of torch's, off by default."""
    return HyperParam(name=name, label=label, default=False, kind="bool", help=help,
                      error=f"Invalid {name} value: {{}}", advanced=True)


DECOUPLED = _option("decoupled_weight_decay", "decoupled decay",
                    "Shrink the weights by lr·λ each step (as AdamW) instead of adding λ·θ to the gradient.")


def _momentum(default: float, help: str) -> HyperParam:
    return HyperParam(
        name="momentum", label="momentum μ", default=default, low=0.0, high=1.0, help=help,
        error="Invalid momentum value: {}", high_open=True,
    )


def _float(name: str, label: str, default: float, low: float, high: float, help: str, *,
           scale: str = "linear", error: str | None = None, high_open: bool = False,
           advanced: bool = False) -> HyperParam:
    """A knob with torch's default message ``Invalid <name> value: ...``."""
    return HyperParam(
        name=name, label=label, default=default, low=low, high=high, scale=scale, help=help,
        error=error or f"Invalid {name} value: {{}}", high_open=high_open, advanced=advanced,
    )


BETA1 = _beta(0, 0.9, "Decay of the running mean of gradients (momentum).")
BETA2 = _beta(1, 0.999, "Decay of the running mean of squared gradients (per-coordinate scale).")


def _check_nesterov(hp: dict) -> None:
    # torch: `if nesterov and (momentum <= 0 or dampening != 0)`
    if hp["momentum"] <= 0:
        raise ValueError("Nesterov momentum requires a momentum and zero dampening")


def _asgd_caveat(hp: dict, steps: int) -> str | None:
    if hp["t0"] >= steps:
        return (f"t₀ = {hp['t0']:g} is not reached in {steps:,} steps, so the averaged iterate is "
                "a copy of θ (torch's default t₀ = 10⁶ never starts averaging here); lower t₀ to "
                "see the average.")
    return None


def _muon_factor(ns_steps: int) -> float:
    """|O| for a 1x2 matrix: each Newton-Schulz iteration scales X by a + b s + c s^2,
    s = |X|^2, from |X| = 1 (exact arithmetic; torch's bfloat16 rounds it)."""
    a, b, c = rules.NS_COEFFICIENTS
    x = 1.0
    for _ in range(ns_steps):
        s = x * x
        x = (a + b * s + c * s * s) * x
    return x


def _muon_caveat(hp: dict, steps: int) -> str:
    factor = _muon_factor(hp["ns_steps"])
    return (f"On this 2-vector (a 1x2 matrix, as torch requires a matrix) Muon's orthogonalization "
            f"only normalizes: every step moves {factor:.2f} x lr along the normalized momentum, "
            f"whatever the gradient's size (plus the weight decay).")


D0 = _float("d0", "d₀", 1e-6, 1e-10, 1.0, "The first estimate of the distance to the solution.",
            scale="log", error="Invalid d0 value: {}")
GROWTH_RATE = _float("growth_rate", "growth rate", 1e10, 1.0, 1e10, "Largest factor d may grow by in "
                     "one step (the reference's default is unbounded).", scale="log", advanced=True)


def _on(name: str, label: str, help: str) -> HyperParam:
    """An on/off option that is on by default."""
    return HyperParam(name=name, label=label, default=True, kind="bool", help=help,
                      error=f"Invalid {name} value: {{}}", advanced=True)


def _sophia_caveat(hp: dict, steps: int) -> str:
    k = hp["update_period"]
    refreshes = max(0, (steps - 1) // k)
    share = 1 - hp["beta2"] ** refreshes
    return (f"Sophia here takes the exact Hessian diagonal in place of its Gauss-Newton estimate, floored at 0 "
            f"(where the curvature is negative, a step is a sign step of lr). Its running curvature starts at 0 "
            f"and is refreshed every {k} steps without bias correction: every step before step {k + 1} is a "
            f"sign step, and after {steps:,} steps it holds {share:.0%} of the curvature.")


def _shampoo_caveat(hp: dict, steps: int) -> str:
    text = ("On this 2-vector Shampoo is full-matrix AdaGrad: one 2x2 preconditioner (G + εI)^-1/2, G the sum "
            "of the gradients' outer products g gᵀ (pytorch-optimizer's Shampoo on a 1-D parameter).")
    k = hp["preconditioning_compute_steps"]
    if k > 1:
        text += (f" Its inverse root starts at 0 and is recomputed every {k} steps, so the run does not move "
                 f"before step {k}.")
    return text


def _soap_caveat(hp: dict, steps: int) -> str:
    return ("On this 2-vector SOAP is Adam in the eigenbasis of a running average of g gᵀ (the authors' "
            "precondition_1d=True: by default their SOAP leaves a 1-D parameter to plain Adam). The first step "
            f"only measures; the basis is refreshed every {hp['precondition_frequency']} steps, in float32 as "
            "the authors' code computes it.")


def _lbfgs_evaluations(hp: dict) -> float:
    return hp["max_eval"] or hp["max_iter"] * 5 // 4


def _int(name: str, label: str, default: int, low: int, high: int, help: str,
         advanced: bool = False) -> HyperParam:
    return HyperParam(name=name, label=label, default=default, low=low, high=high, help=help,
                      kind="int", error=f"Invalid {name} value: {{}}", advanced=advanced)


def _check_beta1_positive(hp: dict) -> None:
    # the average x_t = (y_t - (1 - beta1) z_t) / beta1 needs beta1 > 0
    if hp["beta1"] <= 0:
        raise ValueError(f"Invalid beta parameter at index 0: {hp['beta1']} (Schedule-Free needs "
                         "beta1 > 0)")


def _check_rprop(hp: dict) -> None:
    # torch: `if not 0.0 < etas[0] < 1.0 < etas[1]`
    if not 0.0 < hp["etaminus"] < 1.0 < hp["etaplus"]:
        raise ValueError(f"Invalid eta values: {hp['etaminus']}, {hp['etaplus']}")
    if not hp["step_size_min"] <= hp["step_size_max"]:
        raise ValueError(
            f"Invalid step sizes: {hp['step_size_min']}, {hp['step_size_max']} (min must not exceed max)"
        )


# Stability edges (optimizers.edges): how each step reads as a linear recurrence near a point.
_GD_EDGE = Edge(preconditioner="lr", why="gradient descent: ηλ < 2")
_HEAVY_BALL_EDGE = Edge(preconditioner="lr", form="heavy_ball", momentum="momentum", dampening="dampening",
                        why="heavy ball: ηλ < 2(1 + μ)/(1 − τ)")
_NESTEROV_EDGE = Edge(preconditioner="lr", form="nesterov", momentum="momentum",
                      why="Nesterov: ηλ < 2(1 + μ)/(1 + 2μ)")
_DIAGONAL_EDGE = Edge(preconditioner="lr_eff", why="frozen diagonal preconditioner P = diag(η_eff): λmax(PH) < 2")
_RMSPROP_EDGE = Edge(preconditioner="lr_eff", form="heavy_ball", momentum="momentum",
                     why="frozen P = diag(η/(√v + ε)): λmax(PH) < 2(1 + μ)")
_ADAM_EDGE = Edge(preconditioner="lr_eff", form="ema", momentum="beta1",
                  why="frozen P = diag(η_eff), momentum β1 (Cohen et al., 2022): λmax(PH) < (2 + 2β1)/(1 − β1)")
_NADAM_EDGE = Edge(preconditioner=None, why="its momentum weights μ_t warm up over thousands of steps, so no fixed "
                   "edge holds")
_SIGN_EDGE = Edge(preconditioner=None, why="its steps have a length it sets itself, not the gradient's: the "
                  "curvature sets no edge, and where the sign flips it oscillates about one step wide")
_ASGD_EDGE = Edge(preconditioner="lr_eff", why="gradient descent with its own decaying rate η_t: η_t λ < 2")
_ADAFACTOR_EDGE = Edge(preconditioner=None, why="its update is clipped to a root-mean-square of at most d and "
                       "scaled by its own relative step, so the curvature sets no fixed edge")
_PRODIGY_EDGE = Edge(preconditioner=None, why="its step size d_t grows with its own estimate of the distance to "
                     "the solution, so no fixed edge holds")
_SCHEDULE_FREE_EDGE = Edge(preconditioner=None, why="it takes the gradient at an interpolation of two sequences "
                           "and averages its iterates, so no fixed edge of one step holds")
_MUON_EDGE = Edge(preconditioner=None, why="its orthogonalized step has a length it sets itself (about 0.70 lr), "
                  "not the gradient's: the curvature sets no edge")
_LBFGS_EDGE = Edge(preconditioner=None, why="its step length is chosen per step (its curvature pairs, or a line "
                   "search), so no fixed edge of the learning rate holds")
_NEWTON_EDGE = Edge(preconditioner="newton", why="damped Newton: η h/(h + λ) < 2 on each curvature h")
_ADOPT_EDGE = Edge(preconditioner="lr_eff", form="ema", momentum="beta1",
                   why="frozen P = diag(η/max(√v_{t−1}, ε)), momentum β1 on the normalised gradient, no bias "
                   "correction: λmax(PH) < (2 + 2β1)/(1 − β1)")
_ADAN_EDGE = Edge(preconditioner=None, why="its step adds a running average of the gradient's changes to the "
                  "average gradient (a Nesterov look-ahead): a recurrence of third order, which the two-term "
                  "model of the edge does not cover")
_DADAPT_EDGE = Edge(preconditioner=None, why="its step size d_t η grows with its own lower bound on the distance "
                    "to the solution, so no fixed edge holds")
_SOPHIA_EDGE = Edge(preconditioner="lr_eff", form="ema", momentum="beta1",
                    why="frozen P = diag(η/(ρh + 10⁻¹⁵)) where the step is not clipped, momentum β1: "
                    "λmax(PH) < (2 + 2β1)/(1 − β1); a clipped coordinate takes sign steps of η, which no "
                    "curvature bounds")
_SHAMPOO_EDGE = Edge(preconditioner=None, why="its preconditioner (G + εI)^-1/2 is a full 2x2 matrix that turns "
                     "the step off the axes (and only shrinks, as G sums g gᵀ); the edge model here takes a "
                     "diagonal preconditioner, which would misstate it")
_SOAP_EDGE = Edge(preconditioner=None, why="it runs Adam in a rotated basis, a full 2x2 preconditioner "
                  "Q diag(η/(√v + ε)) Qᵀ refreshed every k steps; the edge model here takes a diagonal "
                  "preconditioner, which would misstate it")


_ADAM_REF = "Kingma & Ba (2015), Adam: A Method for Stochastic Optimization"

_SPECS = [
    OptimizerSpec(
        key="gd", label="Gradient descent",
        hyperparams=(_lr(1e-3), _weight_decay()),
        factory=rules.gd,
        reference="Cauchy (1847)",
        summary="Steps straight down the gradient, scaled by the learning rate.",
        torch="torch.optim.SGD", lr_kind="gradient",
        weight_decay="l2", lines=rules.GD_LINES,
        edge=_GD_EDGE,
    ),
    OptimizerSpec(
        key="momentum", label="Momentum",
        hyperparams=(
            _lr(1e-3),
            _momentum(0.9, "Fraction of the previous velocity kept each step (heavy ball)."),
            _float("dampening", "dampening", 0.0, 0.0, 1.0,
                   "Fraction of the new gradient removed before adding it to the velocity.",
                   advanced=True),
            _weight_decay(),
        ),
        factory=rules.sgd_momentum,
        reference="Polyak (1964); torch.optim.SGD",
        summary="Accumulates a velocity: consistent directions add up, oscillations cancel.",
        torch="torch.optim.SGD(momentum=...)", fixed={"nesterov": False},
        lr_kind="gradient", velocity="buf",
        weight_decay="l2", lines=rules.MOMENTUM_LINES,
        edge=_HEAVY_BALL_EDGE,
    ),
    OptimizerSpec(
        key="nesterov", label="Nesterov momentum",
        hyperparams=(
            _lr(1e-3),
            _momentum(0.9, "Fraction of the previous velocity kept each step."),
            _weight_decay(),
        ),
        factory=rules.sgd_momentum,
        reference="Nesterov (1983); Sutskever et al. (2013); torch.optim.SGD(nesterov=True)",
        summary="Momentum that corrects its course by looking ahead along the velocity.",
        torch="torch.optim.SGD(momentum=..., nesterov=True)",
        fixed={"nesterov": True, "dampening": 0.0},
        lr_kind="gradient", velocity="buf", check=_check_nesterov,
        weight_decay="l2", lines=rules.MOMENTUM_LINES,
        edge=_NESTEROV_EDGE,
    ),
    OptimizerSpec(
        key="adagrad", label="Adagrad",
        hyperparams=(
            _lr(1e-2),
            _float("lr_decay", "lr decay", 0.0, 0.0, 1.0,
                   "Divides the learning rate by 1 + (t-1)·decay.", advanced=True),
            _float("initial_accumulator_value", "initial accumulator", 0.0, 0.0, 10.0,
                   "Starting value of the sum of squared gradients.", advanced=True),
            _eps(1e-10),
            _weight_decay(),
        ),
        factory=rules.adagrad,
        reference="Duchi, Hazan & Singer (2011)",
        summary="Divides each coordinate by the root of its summed squared gradients: steps only shrink.",
        torch="torch.optim.Adagrad",
        weight_decay="l2", lines=rules.ADAGRAD_LINES,
        edge=_DIAGONAL_EDGE,
    ),
    OptimizerSpec(
        key="rmsprop", label="RMSprop",
        hyperparams=(
            _lr(1e-2),
            _float("alpha", "α", 0.99, 0.0, 1.0, "Decay of the running mean of squared gradients.",
                   high_open=True),
            _momentum(0.0, "Momentum on the rescaled step (0 disables it)."),
            HyperParam(name="centered", label="centered", default=False, kind="bool",
                       help="Divide by the gradient's estimated standard deviation instead of its RMS.",
                       error="Invalid centered value: {}"),
            _eps(1e-8),
            _weight_decay(),
        ),
        factory=rules.rmsprop,
        reference="Hinton, Srivastava & Swersky (2012), Lecture 6e",
        summary="Divides each coordinate by a running RMS of its gradient.",
        torch="torch.optim.RMSprop", velocity="buf",
        weight_decay="l2", lines=rules.RMSPROP_LINES,
        edge=_RMSPROP_EDGE,
    ),
    OptimizerSpec(
        key="adadelta", label="Adadelta",
        hyperparams=(
            _lr(1.0, low=1e-3, high=10.0),
            _float("rho", "ρ", 0.9, 0.0, 1.0,
                   "Decay of the running means of squared gradients and updates.", high_open=True),
            _eps(1e-6, "Added inside both square roots; sets the size of the first steps."),
            _weight_decay(),
        ),
        factory=rules.adadelta,
        reference="Zeiler (2012), ADADELTA: An Adaptive Learning Rate Method",
        summary="Rescales by the ratio of running RMS of updates to RMS of gradients.",
        torch="torch.optim.Adadelta", lr_kind=None,
        weight_decay="l2", lines=rules.ADADELTA_LINES,
        edge=_DIAGONAL_EDGE,
    ),
    OptimizerSpec(
        key="adam", label="Adam",
        hyperparams=(_lr(1e-3), BETA1, BETA2, _eps(1e-8), _weight_decay()),
        factory=rules.adam,
        reference=_ADAM_REF,
        summary="Momentum divided by a running RMS of the gradient, with bias correction.",
        torch="torch.optim.Adam", fixed={"amsgrad": False, "decoupled": False}, velocity="m",
        weight_decay="l2", lines=rules.ADAM_LINES,
        edge=_ADAM_EDGE,
    ),
    OptimizerSpec(
        key="adamw", label="AdamW",
        hyperparams=(_lr(1e-3), BETA1, BETA2, _eps(1e-8), _weight_decay(1e-2, decoupled=True),
                     _option("amsgrad", "AMSGrad",
                             "Keep the running maximum of v, so the per-coordinate scale never shrinks.")),
        factory=rules.adam,
        reference="Loshchilov & Hutter (2019), Decoupled Weight Decay Regularization",
        summary="Adam with weight decay applied to the weights, not through the gradient.",
        torch="torch.optim.AdamW", fixed={"decoupled": True}, velocity="m",
        weight_decay="decoupled", lines=rules.ADAM_LINES,
        edge=_ADAM_EDGE,
    ),
    OptimizerSpec(
        key="amsgrad", label="AMSGrad",
        hyperparams=(_lr(1e-3), BETA1, BETA2, _eps(1e-8), _weight_decay()),
        factory=rules.adam,
        reference="Reddi, Kale & Kumar (2018), On the Convergence of Adam and Beyond",
        summary="Adam that never lets the per-coordinate scale shrink (running max of v).",
        torch="torch.optim.Adam(amsgrad=True)", fixed={"amsgrad": True, "decoupled": False},
        velocity="m",
        weight_decay="l2", lines=rules.ADAM_LINES,
        edge=_ADAM_EDGE,
    ),
    OptimizerSpec(
        key="nadam", label="NAdam",
        hyperparams=(
            _lr(2e-3), BETA1, BETA2, _eps(1e-8),
            _float("momentum_decay", "momentum decay ψ", 4e-3, 0.0, 0.1,
                   "Sets how fast the momentum schedule μ_t warms up to β1.", advanced=True),
            _weight_decay(),
            DECOUPLED,
        ),
        factory=rules.nadam,
        reference="Dozat (2016), Incorporating Nesterov Momentum into Adam",
        summary="Adam with Nesterov-style look-ahead momentum.",
        torch="torch.optim.NAdam", velocity="m", decay_switch="decoupled_weight_decay",
        weight_decay="l2", lines=rules.NADAM_LINES,
        edge=_NADAM_EDGE,
    ),
    OptimizerSpec(
        key="radam", label="RAdam",
        hyperparams=(_lr(1e-3), BETA1, BETA2, _eps(1e-8), _weight_decay(), DECOUPLED),
        factory=rules.radam,
        reference="Liu et al. (2020), On the Variance of the Adaptive Learning Rate and Beyond",
        summary="Adam that starts as momentum SGD until its variance estimate is trustworthy.",
        torch="torch.optim.RAdam", velocity="m", decay_switch="decoupled_weight_decay",
        weight_decay="l2", lines=rules.RADAM_LINES,
        edge=_ADAM_EDGE,
    ),
    OptimizerSpec(
        key="adamax", label="Adamax",
        hyperparams=(_lr(2e-3), BETA1, BETA2, _eps(1e-8), _weight_decay()),
        factory=rules.adamax,
        reference=_ADAM_REF + ", section 7.1",
        summary="Adam with the infinity norm: divides by a decaying max of |g|.",
        torch="torch.optim.Adamax", velocity="m",
        weight_decay="l2", lines=rules.ADAMAX_LINES,
        edge=_ADAM_EDGE,
    ),
    OptimizerSpec(
        key="adopt", label="ADOPT",
        hyperparams=(
            _lr(1e-3),
            _beta(0, 0.9, "Decay of the momentum of the normalised gradients."),
            _beta(1, 0.9999, "Decay of the running mean of squared gradients (per-coordinate scale)."),
            _eps(1e-6, "Floor of √v, the scale each gradient is divided by."),
            _weight_decay(),
            _option("decouple", "decoupled decay",
                    "Shrink the weights by lr·λ each step (as AdamW) instead of adding λ·θ to the gradient."),
            _on("clip", "clip", "Clip the normalised gradient to ±(t−1)^¼ (the authors' clip_lambda; off "
                "is clip_lambda=None)."),
        ),
        factory=modern.adopt,
        reference="Taniguchi et al. (2024), ADOPT: Modified Adam Can Converge with Any β2 with the Optimal "
                  "Rate; the authors' torch-adopt (adopt.ADOPT)",
        summary="Adam that divides each gradient by the previous second moment, then averages: "
                "converges for any β2.",
        velocity="m", weight_decay="l2", decay_switch="decouple", lines=modern.ADOPT_LINES,
        edge=_ADOPT_EDGE,
    ),
    OptimizerSpec(
        key="adan", label="Adan",
        hyperparams=(
            _lr(1e-3),
            _beta(0, 0.98, "Decay of the running mean of gradients."),
            _beta(1, 0.92, "Decay of the running mean of gradient changes (and the look-ahead's weight)."),
            _beta(2, 0.99, "Decay of the running mean of squared look-ahead gradients."),
            _eps(1e-8),
            _weight_decay(0.0, decoupled=True),
            _option("no_prox", "no prox",
                    "Multiply the weights by 1 − lr·λ first (AdamW's form) instead of dividing the step "
                    "by 1 + lr·λ."),
        ),
        factory=modern.adan,
        reference="Xie et al. (2022), Adan: Adaptive Nesterov Momentum Algorithm for Faster Optimizing Deep "
                  "Models; the authors' adan.py (Adan)",
        summary="Adam with a Nesterov look-ahead built from the change of the gradient.",
        velocity="m", weight_decay="decoupled", lines=modern.ADAN_LINES,
        edge=_ADAN_EDGE,
    ),
    OptimizerSpec(
        key="rprop", label="Rprop",
        hyperparams=(
            _lr(1e-2, help="Initial per-coordinate step size."),
            # torch needs 0 < η− < 1 < η+: the ranges keep sweeps inside that
            _float("etaminus", "η−", 0.5, 0.01, 0.99,
                   "Step-size factor after the gradient's sign flips.", error="Invalid eta values: {}"),
            _float("etaplus", "η+", 1.2, 1.01, 5.0,
                   "Step-size factor while the gradient keeps its sign.", error="Invalid eta values: {}"),
            _float("step_size_min", "min step", 1e-6, 1e-12, 1.0, "Smallest allowed step size.",
                   scale="log", advanced=True),
            _float("step_size_max", "max step", 50.0, 1e-3, 100.0, "Largest allowed step size.",
                   scale="log", advanced=True),
        ),
        factory=rules.rprop,
        reference="Riedmiller & Braun (1993); torch.optim.Rprop",
        summary="Uses only the gradient's sign; each coordinate grows or shrinks its own step.",
        torch="torch.optim.Rprop", check=_check_rprop,
        lines=rules.RPROP_LINES,
        edge=_SIGN_EDGE,
    ),
    OptimizerSpec(
        key="lion", label="Lion",
        convention="lion-pytorch's update (the decay applied before the sign step).",
        hyperparams=(
            _lr(1e-4),
            _beta(0, 0.9, "Interpolation between momentum and gradient for the step's sign."),
            _beta(1, 0.99, "Decay of the momentum."),
            _weight_decay(0.0, decoupled=True),
        ),
        factory=rules.lion,
        reference="Chen et al. (2023), Symbolic Discovery of Optimization Algorithms, Algorithm 1",
        summary="Steps by exactly lr in the sign of an interpolated momentum.",
        velocity="m",
        weight_decay="decoupled", lines=rules.LION_LINES,
        edge=_SIGN_EDGE,
    ),
    OptimizerSpec(
        key="signum", label="Signum",
        convention="Lion with β1 = β2 = β: the sign of the momentum, as lion-pytorch computes it.",
        hyperparams=(
            _lr(1e-4),
            _momentum(0.9, "Decay of the momentum whose sign is the step."),
            _weight_decay(0.0, decoupled=True),
        ),
        factory=rules.signum,
        reference="Bernstein et al. (2018), signSGD: Compressed Optimisation for Non-Convex "
                  "Problems; lion-pytorch's Lion with betas (β, β)",
        summary="Steps by exactly lr in the sign of the momentum: Lion with β1 = β2.",
        weight_decay="decoupled", velocity="m", lines=rules.LION_LINES,
        edge=_SIGN_EDGE,
    ),
    OptimizerSpec(
        key="signsgd", label="signSGD",
        convention="Lion with β1 = β2 = 0: the sign of the gradient.",
        hyperparams=(_lr(1e-4), _weight_decay(0.0, decoupled=True)),
        factory=rules.signsgd,
        reference="Bernstein et al. (2018), signSGD: Compressed Optimisation for Non-Convex "
                  "Problems; lion-pytorch's Lion with betas (0, 0)",
        summary="Steps by exactly lr in the sign of the gradient: Lion with β1 = β2 = 0.",
        weight_decay="decoupled", lines=rules.LION_LINES,
        edge=_SIGN_EDGE,
    ),
    OptimizerSpec(
        key="asgd", label="ASGD",
        hyperparams=(
            _lr(1e-2),
            _float("lambd", "decay λ", 1e-4, 0.0, 1.0,
                   "Decay of the step size (η_t = η / (1 + λ η t)^α) and shrink of the weights.",
                   advanced=True),
            _float("alpha", "power α", 0.75, 0.0, 2.0, "Power of the step-size decay.",
                   advanced=True),
            _float("t0", "averaging starts t₀", 1e6, 0.0, 1e6,
                   "Step after which the averaged iterate starts averaging (torch's default 10⁶ "
                   "never starts within a run here)."),
            _weight_decay(),
        ),
        factory=rules.asgd,
        reference="Polyak & Juditsky (1992), Acceleration of Stochastic Approximation by Averaging; "
                  "torch.optim.ASGD",
        summary="SGD with a slowly decaying step and a running average of its iterates.",
        points=(("ax", "ā (the averaged iterate)"),),
        torch="torch.optim.ASGD", lr_kind="gradient", weight_decay="l2",
        lines=rules.ASGD_LINES, caveat=_asgd_caveat,
        edge=_ASGD_EDGE,
    ),
    OptimizerSpec(
        key="adafactor", label="Adafactor",
        convention="On a vector torch takes the unfactored branch (a full second moment); the step is relative, "
                   "max(eps2, RMS(θ))·min(lr, 1/√t), and the update is clipped to RMS d.",
        hyperparams=(
            _lr(1e-2, help="Cap of the relative step size ρ_t = min(η, 1/√t)."),
            _float("beta2_decay", "β₂ decay τ", -0.8, -1.0, 0.0,
                   "1 - β₂,t = t^τ: how fast the second moment forgets (torch requires τ ≤ 0).",
                   error="beta2_decay should be <= 0 but is: {}"),
            _float("eps1", "ε₁", 2.220446049250313e-16, 1e-30, 1e-1,
                   "Floor of the root of the second moment (torch's None is the machine epsilon).",
                   scale="log", error="epsilon1 should be >= 0 but is: {}", advanced=True),
            _float("eps2", "ε₂", 1e-3, 1e-8, 1.0,
                   "Floor of RMS(θ) in the relative step, so weights near 0 still move.",
                   scale="log", error="epsilon2 should be >= 0 but is: {}", advanced=True),
            _float("d", "clip d", 1.0, 1.0, 100.0, "Clipping threshold of the update's RMS.",
                   scale="log", error="Clipping threshold d should be >= 1 but is: {}"),
            _weight_decay(0.0, decoupled=True),
        ),
        factory=rules.adafactor,
        reference="Shazeer & Stern (2018), Adafactor: Adaptive Learning Rates with Sublinear "
                  "Memory Cost; torch.optim.Adafactor",
        summary="Steps relative to the size of the weights, divided by a running RMS of the "
                "gradient and clipped.",
        torch="torch.optim.Adafactor", lr_kind=None, weight_decay="decoupled", coupled=True,
        lines=rules.ADAFACTOR_LINES, update_cost=8.0,
        edge=_ADAFACTOR_EDGE,
    ),
    OptimizerSpec(
        key="sf_sgd", label="Schedule-Free SGD",
        convention=("The path drawn is y, where the gradient is taken (train mode); z and x, where the "
                    "model is evaluated, are the optimizer's own points."),
        hyperparams=(
            _lr(1.0, help="Step size of the base sequence z (the reference's default is 1)."),
            HyperParam(name="momentum", label="momentum β", default=0.9, low=0.01, high=0.99,
                       help="Where y sits between z and the average x (and the weight of x).",
                       error="Momentum must be between 0 and 1 exclusive: {}"),
            _weight_decay(),
            _int("warmup_steps", "warmup steps", 0, 0, 10_000, "Steps of linear warmup of lr."),
            _float("r", "r", 0.0, 0.0, 4.0, "Averaging weights grow as t^r.", advanced=True),
            _float("weight_lr_power", "weight lr power", 2.0, 0.0, 4.0,
                   "Averaging weights grow with the largest lr so far to this power.",
                   advanced=True),
        ),
        factory=rules.schedule_free_sgd,
        reference="Defazio et al. (2024), The Road Less Scheduled; schedulefree.SGDScheduleFree",
        summary="SGD that averages its iterates instead of decaying its learning rate.",
        points=(("z", "z (the base sequence)"), ("x", "x (the average, where the model is evaluated)")),
        lr_kind="gradient", weight_decay="l2", lines=rules.SCHEDULE_FREE_SGD_LINES,
        edge=_SCHEDULE_FREE_EDGE,
    ),
    OptimizerSpec(
        key="sf_adamw", label="Schedule-Free AdamW",
        convention=("The path drawn is y, where the gradient is taken (train mode); z and x, where the "
                    "model is evaluated, are the optimizer's own points."),
        hyperparams=(
            _lr(2.5e-3), BETA1, BETA2, _eps(1e-8),
            _weight_decay(0.0),
            _int("warmup_steps", "warmup steps", 0, 0, 10_000, "Steps of linear warmup of lr."),
            _float("r", "r", 0.0, 0.0, 4.0, "Averaging weights grow as t^r.", advanced=True),
            _float("weight_lr_power", "weight lr power", 2.0, 0.0, 4.0,
                   "Averaging weights grow with the largest lr so far to this power.",
                   advanced=True),
        ),
        factory=rules.schedule_free_adamw,
        reference="Defazio et al. (2024), The Road Less Scheduled; schedulefree.AdamWScheduleFree",
        summary="Adam-normalised steps, averaged instead of scheduled: three sequences y, z, x.",
        points=(("z", "z (the base sequence)"), ("x", "x (the average, where the model is evaluated)")),
        weight_decay="decoupled", lines=rules.SCHEDULE_FREE_ADAMW_LINES,
        check=_check_beta1_positive,
        edge=_SCHEDULE_FREE_EDGE,
    ),
    OptimizerSpec(
        key="prodigy", label="Prodigy",
        convention="lr multiplies the estimated step d (leave it at 1); d is drawn by the distance estimate chart.",
        hyperparams=(
            _lr(1.0, help="Multiplies the estimated step d (leave at 1)."),
            BETA1, BETA2, _eps(1e-8),
            _weight_decay(0.0, decoupled=True),
            HyperParam(name="decouple", label="decoupled decay", default=True, kind="bool",
                       help="Decay the weights directly (AdamW-style) instead of through the gradient.",
                       error="Invalid decouple value: {}", advanced=True),
            _option("use_bias_correction", "bias correction",
                    "Scale the step by Adam's bias corrections."),
            _option("safeguard_warmup", "safeguard warmup",
                    "Leave lr out of the accumulated gradient sum (for warmup schedules)."),
            D0,
            _float("d_coef", "d coefficient", 1.0, 0.01, 100.0, "Multiplies the estimate of d.",
                   scale="log", advanced=True),
            GROWTH_RATE,
        ),
        factory=rules.prodigy,
        reference="Mishchenko & Defazio (2024), Prodigy: An Expeditiously Adaptive Parameter-Free "
                  "Learner; prodigyopt.Prodigy",
        summary="Adam whose step size estimates the distance to the solution as it goes.",
        estimate=("d", "an estimate of the distance to the solution, a lower bound in the paper's convex analysis"),
        lr_kind=None, weight_decay="decoupled", decay_switch="decouple", coupled=True,
        floats_only=True, lines=rules.PRODIGY_LINES, update_cost=4.0,
        edge=_PRODIGY_EDGE,
    ),
    OptimizerSpec(
        key="dadapt_adam", label="D-Adaptation Adam",
        convention="lr multiplies the estimated step d (leave it at 1); d is in the Adam form's own scaling.",
        hyperparams=(
            _lr(1.0, help="Multiplies the estimated step d (leave at 1)."),
            BETA1, BETA2, _eps(1e-8),
            _weight_decay(),
            _option("decouple", "decoupled decay",
                    "Shrink the weights by λ·d·lr each step (as AdamW) instead of adding λ·θ to the gradient."),
            _option("use_bias_correction", "bias correction", "Scale the step by Adam's bias corrections."),
            D0, GROWTH_RATE,
        ),
        factory=modern.dadapt_adam,
        reference="Defazio & Mishchenko (2023), Learning-Rate-Free Learning by D-Adaptation; "
                  "dadaptation.DAdaptAdam",
        summary="Adam whose step size grows with its own estimate of the distance to the solution.",
        estimate=("d", "an estimate in the Adam form's own per-coordinate scaling, which may pass the distance"),
        lr_kind=None, weight_decay="l2", decay_switch="decouple", coupled=True,
        lines=modern.DADAPT_ADAM_LINES, update_cost=3.0,
        edge=_DADAPT_EDGE,
    ),
    OptimizerSpec(
        key="dadapt_sgd", label="D-Adaptation SGD",
        convention=("lr multiplies the estimated step d (leave it at 1); d is a lower bound on the "
                    "distance on a convex surface."),
        hyperparams=(
            _lr(1.0, help="Multiplies the estimated step d (leave at 1)."),
            _momentum(0.0, "Weight of the previous iterate in the average of the dual-averaging "
                      "iterates z."),
            _weight_decay(),
            D0, GROWTH_RATE,
        ),
        factory=modern.dadapt_sgd,
        reference="Defazio & Mishchenko (2023), Learning-Rate-Free Learning by D-Adaptation; "
                  "dadaptation.DAdaptSGD",
        summary="Dual averaging whose step size is a growing lower bound on the distance to the solution.",
        estimate=("d", "a lower bound on the distance to the solution when the surface is convex"),
        lr_kind=None, weight_decay="l2", coupled=True,
        lines=modern.DADAPT_SGD_LINES, update_cost=3.0,
        edge=_DADAPT_EDGE,
    ),
    OptimizerSpec(
        key="muon", label="Muon",
        hyperparams=(
            _lr(1e-3),
            _weight_decay(0.1, decoupled=True),
            _momentum(0.95, "Fraction of the momentum kept each step."),
            HyperParam(name="nesterov", label="Nesterov", default=True, kind="bool",
                       help="Orthogonalize the Nesterov look-ahead g + μ(B − g) instead of B.",
                       error="Invalid nesterov value: {}"),
            _int("ns_steps", "Newton-Schulz steps", 5, 0, 99,
                 "Iterations of the orthogonalization (torch refuses 100 or more).", advanced=True),
            _eps(1e-7, "Floor of the norm the momentum is divided by."),
            _option("match_rms_adamw", "match AdamW's RMS",
                    "torch's adjust_lr_fn='match_rms_adamw': lr × 0.2 √max(A, B) instead of "
                    "lr √max(1, A/B)."),
        ),
        factory=rules.muon,
        reference="Jordan et al. (2024), Muon: An optimizer for hidden layers in neural networks; "
                  "torch.optim.Muon",
        summary="Momentum whose matrix is orthogonalized; on a 2-vector, normalized momentum "
                "descent with a fixed step.",
        torch="torch.optim.Muon (the 2-vector as a 1x2 matrix)", weight_decay="decoupled",
        velocity="buf", coupled=True, lines=rules.MUON_LINES, caveat=_muon_caveat,
        update_cost=lambda hp: 1.0 + 2.0 * hp["ns_steps"],
        edge=_MUON_EDGE,
    ),
    OptimizerSpec(
        key="shampoo", label="Full-matrix AdaGrad (Shampoo)",
        hyperparams=(
            _lr(1e-3),
            _momentum(0.0, "Mixes the gradient with the previous preconditioned step (the reference's "
                      "lerp; 0 disables it)."),
            _weight_decay(),
            _option("weight_decouple", "decoupled decay",
                    "Shrink the weights by lr·λ each step (as AdamW) instead of adding λ·θ to the gradient."),
            _option("fixed_decay", "fixed decay", "With decoupled decay, shrink by λ, not lr·λ."),
            _int("preconditioning_compute_steps", "root every k steps", 1, 1, 1000,
                 "Recompute the inverse root every k steps (it starts at 0).", advanced=True),
            _float("matrix_eps", "ε", 1e-6, 1e-12, 1.0, "The preconditioner starts at ε I.", scale="log",
                   advanced=True),
        ),
        factory=modern.shampoo,
        reference="Gupta, Koren & Singer (2018), Shampoo: Preconditioned Stochastic Tensor Optimization; "
                  "Duchi, Hazan & Singer (2011); pytorch-optimizer's Shampoo on a 1-D parameter",
        summary="AdaGrad with a full 2x2 preconditioner: rescales along the directions the gradients vary "
                "in, not along the axes.",
        weight_decay="l2", decay_switch="weight_decouple", coupled=True, velocity="buf",
        lines=modern.SHAMPOO_LINES, caveat=_shampoo_caveat, update_cost=1.0,
        edge=_SHAMPOO_EDGE,
    ),
    OptimizerSpec(
        key="soap", label="SOAP",
        hyperparams=(
            _lr(3e-3),
            _beta(0, 0.95, "Decay of the momentum (in the eigenbasis)."),
            _beta(1, 0.95, "Decay of the running mean of squared rotated gradients."),
            HyperParam(name="shampoo_beta", label="β of L", default=-1.0, low=-1.0, high=1.0, high_open=True,
                       help="Decay of the running average L of g gᵀ; below 0 it is β2 (the reference's -1).",
                       error="Invalid shampoo_beta value: {}", advanced=True),
            _eps(1e-8),
            _weight_decay(0.01, decoupled=True),
            _int("precondition_frequency", "basis every k steps", 10, 1, 1000,
                 "Refresh the eigenbasis every k steps (one power iteration and a QR)."),
            _option("normalize_grads", "normalize", "Divide each step by its root-mean-square."),
            _on("correct_bias", "bias correction", "Scale the step by Adam's bias corrections."),
        ),
        factory=modern.soap,
        reference="Vyas et al. (2024), SOAP: Improving and Stabilizing Shampoo using Adam; the authors' "
                  "soap.py (SOAP) with precondition_1d=True",
        summary="Adam run in the eigenbasis of the gradients' outer product: its per-coordinate scaling "
                "follows a rotated valley.",
        weight_decay="decoupled", coupled=True, lines=modern.SOAP_LINES, caveat=_soap_caveat,
        update_cost=4.0,
        edge=_SOAP_EDGE,
    ),
    OptimizerSpec(
        key="sophia", label="Sophia",
        hyperparams=(
            _lr(1e-4),
            _beta(0, 0.965, "Decay of the momentum."),
            _beta(1, 0.99, "Decay of the running average of the curvature."),
            _float("rho", "ρ", 0.04, 1e-4, 10.0, "Clipping threshold: a coordinate takes Newton's step "
                   "η m/(ρh) where |m| < ρh, a sign step of η elsewhere.", scale="log",
                   error="Invalid rho parameter at index 1: {}"),
            _weight_decay(0.1, decoupled=True),
            _int("update_period", "Hessian every k steps", 10, 1, 1000,
                 "Refresh the running curvature every k steps (the authors' training script: 10)."),
        ),
        factory=modern.sophia,
        reference="Liu et al. (2024), Sophia: A Scalable Stochastic Second-order Optimizer for Language Model "
                  "Pre-training; the authors' SophiaG (sophia.py) with the exact Hessian diagonal",
        summary="Newton's step per coordinate from a running curvature, clipped to a sign step where the "
                "curvature is small.",
        velocity="m", weight_decay="decoupled", coupled=True, hessian=True,
        lines=modern.SOPHIA_LINES, caveat=_sophia_caveat, update_cost=1.0,
        edge=_SOPHIA_EDGE,
    ),
    OptimizerSpec(
        key="lbfgs", label="L-BFGS",
        convention=("One step is up to max_iter inner iterations and more function evaluations (drawn by "
                    "the optimizer's own points); noise does not apply (it evaluates the function itself)."),
        hyperparams=(
            _lr(1.0, low=1e-4, high=10.0, help="Step length of each inner iteration (the first "
                "one ever is shortened to at most 1/|g|₁)."),
            _int("max_iter", "inner iterations", 20, 1, 100,
                 "Inner iterations per step: one step of torch's LBFGS is a small optimization."),
            _int("max_eval", "evaluations", 0, 0, 500,
                 "Most evaluations of f and its gradient per step (0: torch's max_iter·5/4).",
                 advanced=True),
            _float("tolerance_grad", "gradient tolerance", 1e-7, 1e-12, 1.0,
                   "A step ends when every gradient coordinate is this small.", scale="log",
                   advanced=True),
            _float("tolerance_change", "change tolerance", 1e-9, 1e-15, 1.0,
                   "A step ends when the loss or the iterate changes less than this.",
                   scale="log", advanced=True),
            _int("history_size", "history", 100, 1, 100,
                 "Pairs (step, gradient change) kept for the inverse-Hessian estimate."),
            _option("strong_wolfe", "strong Wolfe line search",
                    "Choose each inner step length by torch's strong-Wolfe line search "
                    "(line_search_fn='strong_wolfe') instead of taking lr."),
        ),
        factory=rules.lbfgs,
        reference="Liu & Nocedal (1989), On the limited memory BFGS method for large scale "
                  "optimization; torch.optim.LBFGS",
        summary="A quasi-Newton method: builds an inverse-Hessian estimate from recent steps; "
                "each step is several inner iterations.",
        torch="torch.optim.LBFGS", lr_kind=None, coupled=True, evaluates=True, floats_only=True,
        evaluations=_lbfgs_evaluations, series=("inner",), lines=rules.LBFGS_LINES,
        # the two-loop recursion walks the whole history in every inner iteration
        update_cost=lambda hp: hp["max_iter"] * (1.0 + 0.4 * hp["history_size"]),
        edge=_LBFGS_EDGE,
    ),
    OptimizerSpec(
        key="newton", label="Newton",
        convention="No torch counterpart: θ − lr (H + damping·I)⁻¹ g with the surface's exact Hessian.",
        hyperparams=(
            _lr(1.0, low=1e-3, high=2.0, help="Fraction of the Newton step taken (1 = full step)."),
            _float("damping", "damping λ", 0.0, 0.0, 100.0,
                   "Added to the Hessian's diagonal; large λ turns Newton into small GD steps."),
        ),
        factory=rules.newton,
        reference="Newton-Raphson; Levenberg (1944) damping",
        summary="Rescales the gradient by the inverse Hessian: the direction a quadratic model prefers.",
        lr_kind=None, coupled=True,
        hessian=True, lines=rules.NEWTON_LINES,
        edge=_NEWTON_EDGE,
    ),
]

OPTIMIZERS: dict[str, OptimizerSpec] = {s.key: s for s in _SPECS}
"""Every optimizer, in the app's order."""

BUILDABLE = ("float", "bool", "int", "steps", "text")
"""The kinds of knob the page builds a control for."""

REGISTRY: dict[str, OptimizerSpec] = {
    k: s for k, s in OPTIMIZERS.items() if all(h.kind in BUILDABLE for h in s.hyperparams)
}
"""The optimizers whose every knob the page can build a control for (:data:`BUILDABLE`:
sliders, options, counts, lists of steps, text): today every one of
:data:`OPTIMIZERS`, which an optimizer with a knob of another kind would not join."""


def get(key: str) -> OptimizerSpec:
    """The spec for ``key``; ``ValueError`` naming the known keys otherwise."""
    try:
        return OPTIMIZERS[key]
    except (KeyError, TypeError):
        raise ValueError(
            f"Unknown optimizer {key!r}; expected one of: {', '.join(OPTIMIZERS)}"
        ) from None
