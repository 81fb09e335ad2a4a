"""Generate ``torch_golden.json``: reference optimizer iterates from torch.optim.

What this is
------------
Descent Lab's NumPy engine must reproduce ``torch.optim``'s iterates.  This
script runs the *real* torch optimizers (float64, one parameter tensor of shape
(2,), gradients from ``torch.autograd`` applied to the surface formulas written
out below, i.e. independent of our engine) and writes every iterate to
``torch_golden.json`` next to this file.  The tests read that JSON (via
``tests/golden/load.py``) and never import torch.

torch is needed ONLY to regenerate the JSON.  It is not a dependency of the
project or of its tests.  To regenerate (where torch is installed)::

    python tests/golden/make_torch_golden.py

Output is deterministic (no timestamps), so regenerating with the same torch
version gives a byte-identical file.

JSON layout::

    {"meta": {...torch version, conventions...},
     "defaults": {key: {our_name: torch default}},          # torch keys only
     "non_torch_defaults": {"lion": {...}, "newton": {...}},  # reference choices
     "cases": [{"case", "key", "hparams", "surface", "surface_params",
                "start", "steps", "xy", "torch_kwargs", "torch_foreach",
                "grad_rounding_sensitivity"}, ...]}

``hparams`` is always the COMPLETE hyperparameter dict in our names (betas ->
beta1/beta2, etas -> etaminus/etaplus, step_sizes -> step_size_min/
step_size_max), so tests do not depend on our own defaults.  ``xy`` has
``steps + 1`` rows; row 0 is the start.  Floats are written with repr
(shortest round-trip), i.e. full float64 precision.

``grad_rounding_sensitivity`` is a diagnostic: the max abs difference between
the stored (autograd-gradient) trajectory and a rerun of the same torch
optimizer fed a hand-written closed-form gradient.  It shows how much a
last-bit difference in the gradient moves the iterates, i.e. the smallest
tolerance a test can sensibly demand for that case.

Lion is not in torch: it is implemented below from the paper (Chen et al.
2023, "Symbolic Discovery of Optimization Algorithms", Algorithm 1).  Newton is
damped Newton with the exact Hessian from ``torch.autograd.functional.hessian``.
"""

from __future__ import annotations

import inspect
import json
import math
import sys
from pathlib import Path

try:
    import torch
except ImportError:  # pragma: no cover - exercised only without torch
    print(
        "make_torch_golden.py needs PyTorch to regenerate torch_golden.json, "
        "but `import torch` failed.\nInstall torch (CPU build is enough) in a "
        "scratch environment and rerun; the tests themselves only read the "
        "committed JSON and do not need torch.",
        file=sys.stderr,
    )
    sys.exit(1)

torch.set_default_dtype(torch.float64)
torch.set_num_threads(1)

OUT_PATH = Path(__file__).with_name("torch_golden.json")
STEPS = 60

# --------------------------------------------------------------------------
# Surfaces: formulas written out here, independent of the engine.
# --------------------------------------------------------------------------

SURFACE_DEFAULTS = {
    "rosenbrock": ({"a": 1.0, "b": 100.0}, [-1.2, 1.0]),
    "valley": ({"condition": 20.0, "angle": 30.0}, [-8.0, 3.0]),
    "beale": ({}, [1.0, 1.0]),
}


def surface_fn(name, params):
    """Return f(p) for a (2,) tensor p, built from elementary torch ops."""
    if name == "rosenbrock":
        a, b = float(params["a"]), float(params["b"])

        def f(p):
            x, y = p[0], p[1]
            return (a - x) ** 2 + b * (y - x**2) ** 2

    elif name == "valley":
        kappa = float(params["condition"])
        t = math.radians(float(params["angle"]))
        c, s = math.cos(t), math.sin(t)

        def f(p):
            x, y = p[0], p[1]
            u = x * c + y * s
            v = -x * s + y * c
            return 0.5 * (u**2 / kappa + v**2)

    elif name == "beale":

        def f(p):
            x, y = p[0], p[1]
            return (
                (1.5 - x + x * y) ** 2
                + (2.25 - x + x * y**2) ** 2
                + (2.625 - x + x * y**3) ** 2
            )

    elif name == "booth":

        def f(p):
            x, y = p[0], p[1]
            return (x + 2 * y - 7) ** 2 + (2 * x + y - 5) ** 2

    elif name == "himmelblau":

        def f(p):
            x, y = p[0], p[1]
            return (x**2 + y - 11) ** 2 + (x + y**2 - 7) ** 2

    else:
        raise ValueError(name)
    return f


def analytic_grad(name, params, xy):
    """Closed-form gradient in plain Python floats (diagnostic only)."""
    x, y = float(xy[0]), float(xy[1])
    if name == "rosenbrock":
        a, b = float(params["a"]), float(params["b"])
        r = y - x * x
        return [-2.0 * (a - x) - 4.0 * b * x * r, 2.0 * b * r]
    if name == "valley":
        kappa = float(params["condition"])
        t = math.radians(float(params["angle"]))
        c, s = math.cos(t), math.sin(t)
        u = x * c + y * s
        v = -x * s + y * c
        du, dv = u / kappa, v
        return [du * c - dv * s, du * s + dv * c]
    if name == "beale":
        t1 = 1.5 - x + x * y
        t2 = 2.25 - x + x * y**2
        t3 = 2.625 - x + x * y**3
        gx = 2 * t1 * (y - 1) + 2 * t2 * (y**2 - 1) + 2 * t3 * (y**3 - 1)
        gy = 2 * t1 * x + 2 * t2 * (2 * x * y) + 2 * t3 * (3 * x * y**2)
        return [gx, gy]
    raise ValueError(name)


# --------------------------------------------------------------------------
# Optimizers not in torch.
# --------------------------------------------------------------------------


class Lion(torch.optim.Optimizer):
    """Lion, Chen et al. 2023, Algorithm 1 (decoupled weight decay), in the order of
    the authors' lion-pytorch:

    p  = p * (1 - lr*weight_decay)
    c  = m*beta1 + (1-beta1)*g
    p  = p - lr*sign(c)
    m  = m*beta2 + (1-beta2)*g                  (m starts at 0)
    Every line is evaluated exactly in that order of float operations.
    """

    def __init__(self, params, lr=1e-4, betas=(0.9, 0.99), weight_decay=0.0):
        super().__init__(params, dict(lr=lr, betas=betas, weight_decay=weight_decay))

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            lr, wd = group["lr"], group["weight_decay"]
            beta1, beta2 = group["betas"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = p.grad
                state = self.state[p]
                if not state:
                    state["exp_avg"] = torch.zeros_like(p)
                m = state["exp_avg"]
                p.mul_(1 - lr * wd)  # lion-pytorch's order: the decay first
                c = m * beta1 + (1 - beta1) * g
                p.add_(torch.sign(c), alpha=-lr)
                m.copy_(m * beta2 + (1 - beta2) * g)


class DampedNewton(torch.optim.Optimizer):
    """p = p - lr * solve(H + damping*I, g), H exact (autograd Hessian)."""

    def __init__(self, params, hessian_fn, lr=1.0, damping=0.0):
        super().__init__(params, dict(lr=lr, damping=damping))
        self.hessian_fn = hessian_fn

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            lr, damping = group["lr"], group["damping"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                with torch.enable_grad():
                    h = self.hessian_fn(p.detach().clone())
                a = h + damping * torch.eye(2)
                d = torch.linalg.solve(a, p.grad)
                p.copy_(p - lr * d)


# --------------------------------------------------------------------------
# Optimizer specs: our key -> torch class, our hyperparameter names, fixed args.
# --------------------------------------------------------------------------

O = torch.optim
SPECS = {
    # key: (torch class, our hparam names, fixed torch kwargs)
    "gd": (O.SGD, ["lr", "weight_decay"], {"momentum": 0.0}),
    "momentum": (O.SGD, ["lr", "momentum", "dampening", "weight_decay"], {"nesterov": False}),
    "nesterov": (O.SGD, ["lr", "momentum", "weight_decay"], {"nesterov": True, "dampening": 0.0}),
    "adagrad": (O.Adagrad, ["lr", "lr_decay", "weight_decay", "initial_accumulator_value", "eps"], {}),
    "rmsprop": (O.RMSprop, ["lr", "alpha", "eps", "weight_decay", "momentum", "centered"], {}),
    "adadelta": (O.Adadelta, ["lr", "rho", "eps", "weight_decay"], {}),
    "adam": (O.Adam, ["lr", "beta1", "beta2", "eps", "weight_decay"], {"amsgrad": False}),
    "adamw": (O.AdamW, ["lr", "beta1", "beta2", "eps", "weight_decay"], {}),
    "amsgrad": (O.Adam, ["lr", "beta1", "beta2", "eps", "weight_decay"], {"amsgrad": True}),
    "nadam": (O.NAdam, ["lr", "beta1", "beta2", "eps", "weight_decay", "momentum_decay"], {}),
    "radam": (O.RAdam, ["lr", "beta1", "beta2", "eps", "weight_decay"], {}),
    "adamax": (O.Adamax, ["lr", "beta1", "beta2", "eps", "weight_decay"], {}),
    "rprop": (O.Rprop, ["lr", "etaminus", "etaplus", "step_size_min", "step_size_max"], {}),
    "lion": (Lion, ["lr", "beta1", "beta2", "weight_decay"], {}),
    "newton": (DampedNewton, ["lr", "damping"], {}),
    "asgd": (O.ASGD, ["lr", "lambd", "alpha", "t0", "weight_decay"], {}),
    "adafactor": (O.Adafactor, ["lr", "beta2_decay", "eps1", "eps2", "d", "weight_decay"], {}),
    "lbfgs": (O.LBFGS, ["lr", "max_iter", "max_eval", "tolerance_grad", "tolerance_change",
                        "history_size", "strong_wolfe"], {}),
    # torch's Muon takes matrices only: the 2-vector is a 1x2 matrix (see leaf())
    "muon": (O.Muon, ["lr", "weight_decay", "momentum", "nesterov", "ns_steps", "eps",
                      "match_rms_adamw"], {}),
}


def leaf(key, start):
    """The parameter torch optimizes and its flat (2,) view: a 1x2 matrix for Muon."""
    if key == "muon":
        p = torch.tensor([list(start)], dtype=torch.float64, requires_grad=True)
        return p, lambda: p.view(-1)
    p = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    return p, lambda: p
# options of torch's that are knobs of a key here: the key's name for the torch kwarg
OPTIONS = {"adamw": ["amsgrad"], "nadam": ["decoupled_weight_decay"],
           "radam": ["decoupled_weight_decay"]}
for _key, _names in OPTIONS.items():
    SPECS[_key][1].extend(_names)
TORCH_KEYS = [k for k, (cls, _, _) in SPECS.items() if cls not in (Lion, DampedNewton)]

# Defaults of the two non-torch optimizers (not authoritative: Lion's come from
# the paper / its reference implementation, Newton has no external reference).
NON_TORCH_DEFAULTS = {
    "lion": {"lr": 1e-4, "beta1": 0.9, "beta2": 0.99, "weight_decay": 0.0},
    "newton": {"lr": 1.0, "damping": 0.0},
}

SPLIT = {"betas": ("beta1", "beta2"), "etas": ("etaminus", "etaplus"),
         "step_sizes": ("step_size_min", "step_size_max"), "eps": ("eps1", "eps2")}
MACHINE_EPS = torch.finfo(torch.float64).eps  # Adafactor's eps1=None


def _num(v):
    return v if isinstance(v, bool) else float(v)


def torch_defaults(cls):
    """Constructor defaults of a torch optimizer, in our names."""
    out = {}
    for name, prm in inspect.signature(cls.__init__).parameters.items():
        if prm.default is inspect.Parameter.empty:
            continue
        if name == "adjust_lr_fn":  # Muon: None ("original") or "match_rms_adamw"
            out["match_rms_adamw"] = prm.default == "match_rms_adamw"
        elif name == "line_search_fn":  # LBFGS: None or "strong_wolfe"; our option's name
            out["strong_wolfe"] = prm.default == "strong_wolfe"
        elif name == "max_eval" and prm.default is None:  # None: max_iter * 5 // 4, our 0
            out["max_eval"] = 0
        elif name in SPLIT and isinstance(prm.default, tuple):
            lo, hi = prm.default
            lo = MACHINE_EPS if lo is None else lo
            out[SPLIT[name][0]], out[SPLIT[name][1]] = _num(lo), _num(hi)
        else:
            out[name] = prm.default
    return out


def full_defaults(key):
    cls, names, _ = SPECS[key]
    d = torch_defaults(cls) if key in TORCH_KEYS else NON_TORCH_DEFAULTS[key]
    return {n: _num(d[n]) for n in names}


def to_torch_kwargs(key, hp, foreach):
    cls, names, fixed = SPECS[key]
    kw = {}
    for n in names:
        if n in ("beta1", "beta2"):
            kw["betas"] = (hp["beta1"], hp["beta2"])
        elif n in ("etaminus", "etaplus"):
            kw["etas"] = (hp["etaminus"], hp["etaplus"])
        elif n in ("step_size_min", "step_size_max"):
            kw["step_sizes"] = (hp["step_size_min"], hp["step_size_max"])
        elif n in ("eps1", "eps2"):
            kw["eps"] = (hp["eps1"], hp["eps2"])
        elif n == "strong_wolfe":
            kw["line_search_fn"] = "strong_wolfe" if hp[n] else None
        elif n == "match_rms_adamw":
            kw["adjust_lr_fn"] = "match_rms_adamw" if hp[n] else None
        elif n == "ns_steps":
            kw[n] = int(hp[n])
        elif n == "max_eval":
            kw["max_eval"] = int(hp[n]) or None
        elif n in ("max_iter", "history_size"):
            kw[n] = int(hp[n])
        else:
            kw[n] = hp[n]
    kw.update(fixed)
    if key in TORCH_KEYS and "foreach" in inspect.signature(SPECS[key][0].__init__).parameters:
        kw["foreach"] = foreach
    return kw


# --------------------------------------------------------------------------
# Running one trajectory.
# --------------------------------------------------------------------------


# --------------------------------------------------------------------------
# Schedules: our {"kind": ..., **params} as torch's scheduler for the run's lr.
# --------------------------------------------------------------------------

LR_SCHED = torch.optim.lr_scheduler


def torch_scheduler(opt, sched):
    """The torch scheduler a schedule dict means (None for "constant")."""
    kind, p = sched["kind"], {k: v for k, v in sched.items() if k != "kind"}
    lr = opt.param_groups[0]["lr"]
    if kind == "constant":
        return None
    if kind == "step":
        return LR_SCHED.StepLR(opt, p["step_size"], p["gamma"])
    if kind == "multistep":
        return LR_SCHED.MultiStepLR(opt, list(p["milestones"]), p["gamma"])
    if kind == "exponential":
        return LR_SCHED.ExponentialLR(opt, p["gamma"])
    if kind == "cosine":
        return LR_SCHED.CosineAnnealingLR(opt, p["T_max"], p["eta_min"])
    if kind == "warm_restarts":
        return LR_SCHED.CosineAnnealingWarmRestarts(opt, p["T_0"], p["T_mult"], p["eta_min"])
    if kind == "warmup":
        return LR_SCHED.LinearLR(opt, p["start_factor"], 1.0, p["total_iters"])
    if kind == "linear":
        return LR_SCHED.LinearLR(opt, p["start_factor"], p["end_factor"], p["total_iters"])
    if kind == "polynomial":
        return LR_SCHED.PolynomialLR(opt, p["total_iters"], p["power"])
    if kind == "one_cycle":
        return LR_SCHED.OneCycleLR(  # the parameters left out take torch's defaults
            opt, lr, p["total_steps"], pct_start=p.get("pct_start", 0.3),
            div_factor=p.get("div_factor", 25.0), final_div_factor=p.get("final_div_factor", 1e4),
            three_phase=p.get("three_phase", False),
            anneal_strategy="linear" if p.get("anneal_linear") else "cos", cycle_momentum=False)
    if kind in ("cyclic", "cyclic2", "cyclic_exp"):
        mode = {"cyclic": "triangular", "cyclic2": "triangular2", "cyclic_exp": "exp_range"}[kind]
        return LR_SCHED.CyclicLR(opt, lr, p["max_lr"], p["step_size_up"], p["step_size_down"],
                                 mode=mode, gamma=p.get("gamma", 1.0), cycle_momentum=False)
    if kind == "warmup_cosine":
        return LR_SCHED.SequentialLR(
            opt, [LR_SCHED.LinearLR(opt, p["start_factor"], 1.0, p["warmup_steps"]),
                  LR_SCHED.CosineAnnealingLR(opt, p["T_max"], p["eta_min"])],
            milestones=[p["warmup_steps"]])
    raise ValueError(kind)


def torch_lrs(sched, lr, steps):
    """The learning rate torch's scheduler gives each of ``steps`` optimizer steps."""
    p = torch.zeros(2, requires_grad=True)
    opt = torch.optim.SGD([p], lr=lr)
    scheduler = torch_scheduler(opt, sched)
    out = []
    for _ in range(steps):
        out.append(float(opt.param_groups[0]["lr"]))
        opt.step()
        if scheduler is not None:
            scheduler.step()
    return out


def run(key, hp, surface, sparams, start, steps, foreach=False, grad_mode="autograd",
        schedule=None, noise=None):
    """One torch trajectory; ``noise`` (steps, 2) is added to each gradient."""
    cls = SPECS[key][0]
    f0 = surface_fn(surface, sparams)
    p, flat = leaf(key, start)
    f = lambda _: f0(flat())  # noqa: E731
    kw = to_torch_kwargs(key, hp, foreach)
    if cls is DampedNewton:
        opt = DampedNewton([p], hessian_fn=lambda q: torch.autograd.functional.hessian(f0, q), **kw)
    else:
        opt = cls([p], **kw)
    scheduler = torch_scheduler(opt, schedule) if schedule else None
    xy = [flat().detach().tolist()]
    grads = []
    counts = []  # LBFGS: torch's cumulative func_evals and n_iter after each step
    run.counts = counts
    for k in range(steps):
        opt.zero_grad()
        if grad_mode == "autograd":
            loss = f(p)
            loss.backward()
        else:
            p.grad = torch.tensor(analytic_grad(surface, sparams, flat().detach().tolist())).view_as(p)
        if noise is not None:
            p.grad = p.grad + torch.tensor(noise[k]).view_as(p)
        grads.append(p.grad.detach().view(-1).tolist())
        if cls is O.LBFGS:  # each step evaluates the function again, as often as it needs

            def closure():
                opt.zero_grad()
                loss = f(p)
                loss.backward()
                return loss

            opt.step(closure)
            counts.append((opt.state[p]["func_evals"], opt.state[p]["n_iter"]))
        else:
            opt.step()
        if scheduler is not None:
            scheduler.step()
        xy.append(flat().detach().tolist())
    for row in xy:
        if not all(math.isfinite(v) for v in row) or max(abs(v) for v in row) > 1e3:
            raise RuntimeError(f"{key} on {surface} diverged: {row}")
    return xy, grads, kw


def max_dev(a, b):
    return max(abs(u - v) for ra, rb in zip(a, b, strict=True) for u, v in zip(ra, rb, strict=True))


# --------------------------------------------------------------------------
# The cases.
# --------------------------------------------------------------------------

# (a) lr used on rosenbrock with otherwise torch defaults.  RAdam gets 1e-3 (its
# torch default): before rectification (rho_t <= 5) it takes plain momentum-SGD
# steps lr*m_hat, and lr=1e-2 times |g|~200 diverges on rosenbrock.
ROSEN_LR = {
    "gd": 1e-3, "momentum": 1e-3, "nesterov": 1e-3, "adagrad": 0.1, "rmsprop": 1e-2,
    "adadelta": 1.0, "adam": 1e-2, "adamw": 1e-2, "amsgrad": 1e-2, "nadam": 1e-2,
    "radam": 1e-3, "adamax": 1e-2, "rprop": 1e-2, "lion": 1e-3, "newton": 1.0,
    "asgd": 1e-3, "adafactor": 1e-2, "lbfgs": 1.0, "muon": 1e-2,
}
# torch's SGD default momentum is 0, which our momentum/nesterov keys forbid.
MOMENTUM_KEYS_OVERRIDE = {"momentum": {"momentum": 0.9}, "nesterov": {"momentum": 0.9}}

# (b) valley: torch defaults except these.
VALLEY_OVERRIDES = {
    "gd": {"lr": 0.5},
    "momentum": {"lr": 0.1, "momentum": 0.9},
    "nesterov": {"lr": 0.1, "momentum": 0.9},
    "adagrad": {"lr": 1.0},
    "rmsprop": {"lr": 0.1},
    "adadelta": {"lr": 1.0},
    "adam": {"lr": 0.1},
    "adamw": {"lr": 0.1},
    "amsgrad": {"lr": 0.1},
    "nadam": {"lr": 0.1},
    "radam": {"lr": 0.1},
    "adamax": {"lr": 0.1},
    "rprop": {"lr": 0.1},
    "lion": {"lr": 0.05},
    "newton": {"lr": 1.0, "damping": 0.5},
    "asgd": {"lr": 0.1, "t0": 20.0},
    "adafactor": {"lr": 0.1},
    "lbfgs": {"lr": 0.5, "max_iter": 5},
    "muon": {"lr": 0.1},
}

# (c) non-default options, all on rosenbrock.
ROSEN_EXTRA = [
    ("momentum_rosenbrock_dampening0.3_wd0.01", "momentum",
     {"lr": 1e-3, "momentum": 0.9, "dampening": 0.3, "weight_decay": 0.01}),
    ("nesterov_rosenbrock_wd0.01", "nesterov", {"lr": 1e-3, "momentum": 0.9, "weight_decay": 0.01}),
    ("rmsprop_rosenbrock_centered_momentum0.5", "rmsprop",
     {"lr": 1e-2, "centered": True, "momentum": 0.5}),
    ("rmsprop_rosenbrock_momentum0.9", "rmsprop", {"lr": 1e-2, "momentum": 0.9}),
    ("adagrad_rosenbrock_lrdecay0.01_initacc0.1", "adagrad",
     {"lr": 0.1, "lr_decay": 0.01, "initial_accumulator_value": 0.1}),
    ("adadelta_rosenbrock_rho0.95_wd0.01", "adadelta", {"lr": 1.0, "rho": 0.95, "weight_decay": 0.01}),
    ("adam_rosenbrock_wd0.1", "adam", {"lr": 1e-2, "weight_decay": 0.1}),
    ("adam_rosenbrock_beta1_0.5_beta2_0.9", "adam", {"lr": 1e-2, "beta1": 0.5, "beta2": 0.9}),
    ("adamw_rosenbrock_wd0.1", "adamw", {"lr": 1e-2, "weight_decay": 0.1}),
    ("amsgrad_rosenbrock_beta2_0.9", "amsgrad", {"lr": 1e-2, "beta2": 0.9}),
    ("nadam_rosenbrock_momentum_decay0.01", "nadam", {"lr": 1e-2, "momentum_decay": 0.01}),
    ("nadam_rosenbrock_wd0.1", "nadam", {"lr": 1e-2, "weight_decay": 0.1}),
    # rho_t < t for every beta2, so the first rectified step is never before 6:
    # beta2=0.9 still switches at 6, beta2=0.8 at 7, beta2<=2/3 never (rho_inf<=5).
    ("radam_rosenbrock_beta2_0.9", "radam", {"lr": 1e-3, "beta2": 0.9}),
    ("radam_rosenbrock_beta2_0.8", "radam", {"lr": 1e-3, "beta2": 0.8}),
    ("radam_rosenbrock_beta2_0.6_never_rectified", "radam", {"lr": 1e-3, "beta2": 0.6}),
    ("radam_rosenbrock_wd0.1", "radam", {"lr": 1e-3, "weight_decay": 0.1}),
    ("adamax_rosenbrock_wd0.1", "adamax", {"lr": 1e-2, "weight_decay": 0.1}),
    ("rprop_rosenbrock_etas_0.3_1.5", "rprop", {"lr": 1e-2, "etaminus": 0.3, "etaplus": 1.5}),
    ("rprop_rosenbrock_stepsizes_5e-3_0.02", "rprop",
     {"lr": 1e-2, "step_size_min": 5e-3, "step_size_max": 0.02}),
    ("lion_rosenbrock_wd0.5", "lion", {"lr": 1e-3, "weight_decay": 0.5}),
    ("newton_rosenbrock_lr0.5_damping1", "newton", {"lr": 0.5, "damping": 1.0}),
    # torch skips the momentum buffer, and its dampening, when momentum is 0
    ("momentum_rosenbrock_momentum0_dampening0.3", "momentum",
     {"lr": 1e-3, "momentum": 0.0, "dampening": 0.3}),
    ("adamw_rosenbrock_amsgrad_beta2_0.9", "adamw", {"lr": 1e-2, "beta2": 0.9, "amsgrad": True}),
    ("nadam_rosenbrock_decoupled_wd0.1", "nadam",
     {"lr": 1e-2, "weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("radam_rosenbrock_decoupled_wd0.1", "radam",
     {"lr": 1e-3, "weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("asgd_rosenbrock_t0_10_lambd0.01_wd0.01", "asgd",
     {"lr": 1e-3, "t0": 10.0, "lambd": 0.01, "weight_decay": 0.01}),
    ("asgd_rosenbrock_t0_0_alpha1", "asgd", {"lr": 1e-3, "t0": 0.0, "alpha": 1.0}),
    ("adafactor_rosenbrock_wd0.1_d1.5_decay-0.5", "adafactor",
     {"lr": 1e-2, "weight_decay": 0.1, "d": 1.5, "beta2_decay": -0.5}),
    ("adafactor_rosenbrock_eps2_0.5", "adafactor", {"lr": 1e-2, "eps2": 0.5}),
    ("muon_rosenbrock_heavy_ball_wd0", "muon",
     {"lr": 2e-2, "nesterov": False, "momentum": 0.3, "weight_decay": 0.0}),
    ("muon_rosenbrock_match_rms_adamw_ns3", "muon",
     {"lr": 2e-2, "match_rms_adamw": True, "ns_steps": 3}),
]

LBFGS_EXTRA = [
    ("lbfgs_rosenbrock_strong_wolfe", "lbfgs", {"strong_wolfe": True}, 20),
    ("lbfgs_rosenbrock_history3_maxiter4_lr0.3", "lbfgs",
     {"history_size": 3, "max_iter": 4, "lr": 0.3}, 10),
    ("lbfgs_rosenbrock_strong_wolfe_maxeval7", "lbfgs",
     {"strong_wolfe": True, "max_eval": 7, "max_iter": 6}, 12),
    ("lbfgs_rosenbrock_maxiter1_lr0.1", "lbfgs", {"max_iter": 1, "lr": 0.1}, 60),
]

# (d) beale and a non-default rosenbrock, to cover the other surface code paths.
OTHER_SURFACE = [
    ("gd_beale", "gd", {"lr": 1e-2}, "beale", {}),
    ("momentum_beale", "momentum", {"lr": 1e-3, "momentum": 0.9}, "beale", {}),
    ("adam_beale", "adam", {"lr": 0.05}, "beale", {}),
    ("rmsprop_beale", "rmsprop", {"lr": 1e-2}, "beale", {}),
    ("rprop_beale", "rprop", {"lr": 1e-2}, "beale", {}),
    ("lion_beale", "lion", {"lr": 1e-2}, "beale", {}),
    ("newton_beale", "newton", {"lr": 1.0, "damping": 1.0}, "beale", {}),
    ("adam_rosenbrock_a2_b10", "adam", {"lr": 1e-2}, "rosenbrock", {"a": 2.0, "b": 10.0}),
]


# (e) runs under a schedule (the schedule dicts are ours; torch_scheduler maps them)
SCHEDULED = [
    ("adam_rosenbrock_one_cycle", "adam", {"lr": 2e-2}, {"kind": "one_cycle", "total_steps": 60}),
    ("momentum_valley_warmup_cosine", "momentum", {"lr": 0.1, "momentum": 0.9},
     {"kind": "warmup_cosine", "warmup_steps": 10, "start_factor": 0.1, "T_max": 50,
      "eta_min": 0.001}),
    ("asgd_valley_cyclic", "asgd", {"lr": 0.05, "t0": 5.0},
     {"kind": "cyclic", "max_lr": 0.3, "step_size_up": 7, "step_size_down": 5}),
    ("rmsprop_rosenbrock_multistep", "rmsprop", {"lr": 1e-2},
     {"kind": "multistep", "milestones": (10, 30), "gamma": 0.3}),
]

# Every schedule against torch's scheduler, lr sequences only (cheap, exact up to
# torch's recursive forms).
SCHEDULE_CASES = [
    {"kind": "step", "step_size": 30, "gamma": 0.7},
    {"kind": "multistep", "milestones": (100, 300, 300), "gamma": 0.1},
    {"kind": "exponential", "gamma": 0.99},
    {"kind": "cosine", "T_max": 200, "eta_min": 0.0},
    {"kind": "cosine", "T_max": 150, "eta_min": 0.3},
    {"kind": "warm_restarts", "T_0": 50, "T_mult": 2, "eta_min": 0.01},
    {"kind": "warm_restarts", "T_0": 70, "T_mult": 1, "eta_min": 0.0},
    {"kind": "warmup", "start_factor": 0.1, "total_iters": 100},
    {"kind": "linear", "start_factor": 0.2, "end_factor": 0.5, "total_iters": 300},
    {"kind": "linear", "start_factor": 1.0, "end_factor": 0.0, "total_iters": 400},
    {"kind": "polynomial", "total_iters": 500, "power": 2.0},
    {"kind": "polynomial", "total_iters": 300, "power": 0.5},
    {"kind": "one_cycle", "total_steps": 700, "pct_start": 0.3, "div_factor": 25.0,
     "final_div_factor": 1e4, "three_phase": False, "anneal_linear": False},
    {"kind": "one_cycle", "total_steps": 800, "pct_start": 0.25, "div_factor": 10.0,
     "final_div_factor": 100.0, "three_phase": True, "anneal_linear": True},
    {"kind": "cyclic", "max_lr": 0.5, "step_size_up": 60, "step_size_down": 40},
    {"kind": "cyclic2", "max_lr": 0.5, "step_size_up": 60, "step_size_down": 40},
    {"kind": "cyclic_exp", "max_lr": 0.5, "step_size_up": 60, "step_size_down": 40, "gamma": 0.995},
    {"kind": "warmup_cosine", "warmup_steps": 100, "start_factor": 0.01, "T_max": 500,
     "eta_min": 0.001},
]
SCHEDULE_STEPS = 700


def make_case(case_id, key, overrides, surface, sparams_over=None, steps=STEPS, foreach=False,
              start=None, schedule=None):
    hp = full_defaults(key)
    unknown = set(overrides) - set(hp)
    if unknown:
        raise KeyError(f"{case_id}: unknown hparams {unknown}")
    hp.update({k: _num(v) for k, v in overrides.items()})
    sparams, default_start = SURFACE_DEFAULTS[surface]
    sparams = {**sparams, **(sparams_over or {})}
    start = list(start or default_start)
    xy, grads, kw = run(key, hp, surface, sparams, start, steps, foreach=foreach, schedule=schedule)
    xy_an, _, _ = run(key, hp, surface, sparams, start, steps, foreach=foreach, grad_mode="analytic",
                      schedule=schedule)
    torch_kwargs = None
    if key in TORCH_KEYS:
        torch_kwargs = {k: (list(v) if isinstance(v, tuple) else v) for k, v in kw.items()}
    case = {
        "case": case_id,
        "key": key,
        "hparams": hp,
        "surface": surface,
        "surface_params": sparams,
        "start": start,
        "steps": steps,
        "xy": xy,
        "torch_class": SPECS[key][0].__name__ if key in TORCH_KEYS else None,
        "torch_kwargs": torch_kwargs,
        "torch_foreach": foreach if key in TORCH_KEYS else None,
        "grad_rounding_sensitivity": max_dev(xy, xy_an),
    }
    if schedule is not None:
        case["schedule"] = {k: (list(v) if isinstance(v, tuple) else v) for k, v in schedule.items()}
    if key == "lbfgs":
        run(key, hp, surface, sparams, start, steps)  # again, to read its counts
        case["func_evals"] = [c[0] for c in run.counts]
        case["n_iter"] = [c[1] for c in run.counts]
    return case, grads


def main():
    cases = []
    grads_by_case = {}

    def add(*args, **kwargs):
        case, grads = make_case(*args, **kwargs)
        cases.append(case)
        grads_by_case[case["case"]] = grads
        return case

    for key in SPECS:
        add(f"{key}_rosenbrock_default", key,
            {"lr": ROSEN_LR[key], **MOMENTUM_KEYS_OVERRIDE.get(key, {})}, "rosenbrock")
    for key in SPECS:
        add(f"{key}_valley", key, VALLEY_OVERRIDES[key], "valley")
    for case_id, key, over in ROSEN_EXTRA:
        add(case_id, key, over, "rosenbrock")
    for case_id, key, over, surface, sp in OTHER_SURFACE:
        add(case_id, key, over, surface, sp)
    for case_id, key, over, sched in SCHEDULED:
        add(case_id, key, over, case_id.split("_")[1], schedule=sched)
    # L-BFGS stops its inner loop when the loss changes by less than tolerance_change
    # (1e-9): once the loss itself is that small, which side of the threshold a step
    # falls on depends on how the loss is rounded, so these cases stop before that
    for case_id, key, over, steps in LBFGS_EXTRA:
        add(case_id, key, over, "rosenbrock", steps=steps)

    by_id = {c["case"]: c for c in cases}

    # ---- foreach=True agrees with the single-tensor path (one Adam case).
    fe = add("adam_rosenbrock_default_foreach", "adam", {"lr": 1e-2}, "rosenbrock", foreach=True)
    dev = max_dev(fe["xy"], by_id["adam_rosenbrock_default"]["xy"])
    assert dev <= 1e-13, f"Adam foreach=True vs foreach=False differ by {dev}"
    foreach_dev = dev

    # ---- Adam's first step is lr*sign(g) up to eps.
    first = add("adam_first_step", "adam", {"lr": 0.01}, "rosenbrock", steps=1)
    g = grads_by_case["adam_first_step"][0]
    for i in range(2):
        expect = first["start"][i] - 0.01 * math.copysign(1.0, g[i])
        bound = 0.01 * 1e-8 / abs(g[i]) + 1e-15
        assert abs(first["xy"][1][i] - expect) <= bound, (first["xy"][1], expect)

    # ---- Lion's first step against hand arithmetic (m0 = 0).
    for cid in ("lion_rosenbrock_default", "lion_rosenbrock_wd0.5"):
        c = by_id[cid]
        lr, wd, b1 = c["hparams"]["lr"], c["hparams"]["weight_decay"], c["hparams"]["beta1"]
        g = grads_by_case[cid][0]
        for i in range(2):
            x0 = c["start"][i]
            cm = b1 * 0.0 + (1 - b1) * g[i]
            sign = (cm > 0) - (cm < 0)
            x1 = x0 * (1 - lr * wd) - lr * sign
            assert c["xy"][1][i] == x1, (cid, i, c["xy"][1][i], x1)

    # ---- the cases exercise what they are meant to exercise.
    def rho(t, beta2):
        rho_inf = 2 / (1 - beta2) - 1
        return rho_inf - 2 * t * beta2**t / (1 - beta2**t)

    first_rect = {b2: next((t for t in range(1, STEPS + 1) if rho(t, b2) > 5.0), None)
                  for b2 in (0.999, 0.9, 0.8, 0.6)}
    assert first_rect == {0.999: 6, 0.9: 6, 0.8: 7, 0.6: None}, first_rect

    for cid in ("rprop_rosenbrock_default", "rprop_rosenbrock_etas_0.3_1.5", "rprop_beale"):
        gs = grads_by_case[cid]
        flips = sum(1 for a, b in zip(gs, gs[1:]) for i in range(2) if a[i] * b[i] < 0)
        assert flips > 0, f"{cid}: no gradient sign flip, Rprop's etaminus path untested"

    # Rprop's clamp case must actually be clamped (differ from the default run).
    assert max_dev(by_id["rprop_rosenbrock_stepsizes_5e-3_0.02"]["xy"],
                   by_id["rprop_rosenbrock_default"]["xy"]) > 1e-6

    # AMSGrad with beta2=0.9 must actually differ from plain Adam (max active).
    hp = dict(by_id["amsgrad_rosenbrock_beta2_0.9"]["hparams"])
    xy_adam, _, _ = run("adam", hp, "rosenbrock", SURFACE_DEFAULTS["rosenbrock"][0],
                        [-1.2, 1.0], STEPS)
    assert max_dev(xy_adam, by_id["amsgrad_rosenbrock_beta2_0.9"]["xy"]) > 1e-6

    ids = [c["case"] for c in cases]
    assert len(ids) == len(set(ids)), "duplicate case ids"
    for c in cases:
        assert len(c["xy"]) == c["steps"] + 1
        assert set(c["hparams"]) == set(SPECS[c["key"]][1])

    defaults = {k: {n: _num(v) for n, v in torch_defaults(SPECS[k][0]).items()
                    if n in SPECS[k][1]} for k in TORCH_KEYS}
    meta = {
        "generator": "tests/golden/make_torch_golden.py",
        "torch_version": torch.__version__,
        "python_version": sys.version.split()[0],
        "dtype": "float64",
        "gradient": "torch.autograd on the surface formula (loss.backward())",
        "xy_rows": "steps + 1; row 0 is the start",
        "foreach": "all torch cases foreach=False (single-tensor path) except "
                   "adam_rosenbrock_default_foreach",
        "foreach_vs_single_max_abs_dev": foreach_dev,
        "radam_first_rectified_step": {str(k): v for k, v in first_rect.items()},
        "lion": "Chen et al. 2023 Alg. 1 in lion-pytorch's order: p=p*(1-lr*weight_decay); "
                "c=m*beta1+(1-beta1)*g; p=p-lr*sign(c); m=m*beta2+(1-beta2)*g; m0=0; sign(0)=0",
        "newton": "p=p-lr*torch.linalg.solve(H+damping*I, g), H from "
                  "torch.autograd.functional.hessian",
        "defaults_note": "torch constructor defaults in our names; SGD's momentum "
                         "default is 0 but our momentum/nesterov keys require momentum>0",
        "grad_rounding_sensitivity": "max |xy(autograd grad) - xy(closed-form grad)|, "
                                     "a lower bound for a sensible test tolerance",
    }

    schedules = []
    for sched in SCHEDULE_CASES:
        plain = {k: (list(v) if isinstance(v, tuple) else v) for k, v in sched.items()}
        schedules.append({"schedule": plain, "lr": 0.1, "steps": SCHEDULE_STEPS,
                          "torch": str(torch_scheduler(torch.optim.SGD([torch.zeros(1)], lr=0.1),
                                                       sched).__class__.__name__),
                          "lrs": torch_lrs(sched, 0.1, SCHEDULE_STEPS)})
    meta["schedules"] = ("lr of each optimizer step under torch's scheduler (stepped after "
                         "each opt.step()), base lr 0.1; OneCycleLR and CyclicLR with "
                         "cycle_momentum=False")

    dumps = lambda o: json.dumps(o, allow_nan=False, separators=(", ", ": "))  # noqa: E731
    lines = ["{", f'"meta": {dumps(meta)},', f'"defaults": {dumps(defaults)},',
             f'"non_torch_defaults": {dumps(NON_TORCH_DEFAULTS)},', '"cases": [']
    lines.append(",\n".join(dumps(c) for c in cases))
    lines += ["],", '"schedules": [', ",\n".join(dumps(c) for c in schedules), "]", "}"]
    text = "\n".join(lines) + "\n"
    roundtrip = json.loads(text)
    assert roundtrip["cases"] == cases
    OUT_PATH.write_text(text, encoding="utf-8")

    print(f"torch {torch.__version__}: wrote {len(cases)} cases to {OUT_PATH} "
          f"({len(text.encode()) / 1024:.1f} KiB)")
    for c in cases:
        print(f"  {c['case']:<45} end={c['xy'][-1]}  sens={c['grad_rounding_sensitivity']:.1e}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
