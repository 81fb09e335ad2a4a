"""Generate ``reference_golden.json``: the optimizers torch lacks, run by their authors' code.

The oracles are the packages their authors publish (PyPI): ``schedulefree``
(Schedule-Free SGD and AdamW), ``prodigyopt`` (Prodigy), ``lion-pytorch`` (Lion,
and Signum and signSGD as Lion with equal betas), ``dadaptation`` (D-Adaptation's
``DAdaptAdam`` and ``DAdaptSGD``), ``torch-adopt`` (ADOPT, its authors' package) and
``pytorch-optimizer`` (its ``Shampoo`` on a vector: full-matrix AdaGrad). Three
authors publish no package: their single files are taken from their repositories at
the commits in ``VENDORED`` and put on the scratch environment's path as modules
``adan`` (sail-sg/Adan ``adan.py``), ``sophia`` (Liuhong99/Sophia ``sophia.py``)
and ``soap`` (nikhilvyas/SOAP ``soap.py``); nothing of them is in this project.
They are needed only to regenerate the JSON; the tests read it and import none of
them. Install them beside torch in a scratch environment, e.g.::

    python -m venv /tmp/refs
    /tmp/refs/bin/pip install torch==2.13.0 numpy schedulefree prodigyopt lion-pytorch \
        dadaptation==3.2 torch-adopt==0.1.0 pytorch-optimizer==4.1.0
    # adan.py, sophia.py and soap.py from the authors' repositories (VENDORED) into
    # /tmp/refs/lib/python3.11/site-packages/
    PYTHONPATH=. /tmp/refs/bin/python tests/golden/make_reference_golden.py

Sophia runs as its authors' ``SophiaG`` with the estimator swapped
(``SophiaExact`` below): after every ``update_period``-th step, at the new point,
the running curvature takes the exact Hessian diagonal of the surface (autograd on
the formula), floored at 0, where ``SophiaG.update_hessian`` would take the squared
gradient of a loss on sampled labels; ``step(bs=1)``. SOAP runs with
``precondition_1d=True``.

The cases are drawn as in ``make_torch_fuzz.py`` (random valid configurations over
each spec's whole range, random surfaces and starts, noise and schedules in some
runs; twins mark where rounding starts to decide), plus each optimizer at its
defaults on Rosenbrock and the valley. Schedule-Free's optimizer is put in train
mode before its first step; its recorded iterate is the parameter during training
(``y``), and ``x`` (where it would be evaluated, after ``optimizer.eval()``) is
recorded too.

Output: ``{"meta", "kernels", "cases": [...]}``: ``kernels`` as :func:`kernels` says, and
cases with the fields of ``torch_fuzz.json`` plus
``"x"`` for Schedule-Free, ``"d"`` (the estimate after each step) for Prodigy and
D-Adaptation, and ``"h"`` (the running curvature each step used) for Sophia.

The optimizers added later draw from the same generator after the earlier ones, so
adding them left every earlier case as it was. Their whole-number knobs (Sophia's
and SOAP's refresh periods, Shampoo's root period) are drawn from 1 to 30 in half
the configurations, so that a 200-step run refreshes; a configuration the reference
itself cannot run (DAdaptSGD stops with an error at a scheduled rate of 0) is drawn
again.
"""

from __future__ import annotations

import contextlib
import io
import json
import sys
from importlib import metadata
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parents[1]))

import make_torch_fuzz as F  # noqa: E402  (sampling, twins, the box)
import make_torch_golden as G  # noqa: E402  (torch, the formulas, the schedulers)
import torch  # noqa: E402

try:
    import schedulefree
    from adan import Adan
    from adopt import ADOPT
    from dadaptation import DAdaptAdam, DAdaptSGD
    from lion_pytorch import Lion
    from prodigyopt import Prodigy
    from pytorch_optimizer import Shampoo
    from pytorch_optimizer.optimizer.utils.matrix import compute_power_svd
    from soap import SOAP
    from sophia import SophiaG
except ImportError as exc:  # pragma: no cover
    print(f"make_reference_golden.py needs the reference packages and files ({exc}); see its docstring",
          file=sys.stderr)
    sys.exit(1)

from descent_lab import optimizers, surfaces  # noqa: E402  (ranges and checks only)

OUT_PATH = HERE / "reference_golden.json"
SEED = 20261128
CONFIGS = 10
NEW_CONFIGS = 14  # for the optimizers added later (adopt ... soap)
SHORT_PERIODS = {"sophia": "update_period", "soap": "precondition_frequency",
                 "shampoo": "preconditioning_compute_steps"}
VENDORED = {
    "adan": "github.com/sail-sg/Adan adan.py at 2c65beaf400775753b155da4082c3819fea689b9",
    "sophia": "github.com/Liuhong99/Sophia sophia.py at a7e157229b71d58cf995d32854f1be15c265b350",
    "soap": "github.com/nikhilvyas/SOAP soap.py at a1e553530fde97d0e6b307d7c82ac6d38b072340",
}


class SophiaExact(SophiaG):
    """The authors' SophiaG with its estimator swapped: the running curvature takes the
    exact Hessian diagonal, floored at 0, where ``update_hessian`` takes ``p.grad``
    squared (the Gauss-Newton-Bartlett sample)."""

    @torch.no_grad()
    def update_hessian_exact(self, diagonal):
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            for p in group["params"]:
                self.state[p]["hessian"].mul_(beta2).add_(diagonal.clamp(min=0), alpha=1 - beta2)


def make(key, p, hp):
    """The reference optimizer for one of our keys and hyperparameters."""
    if key == "sf_sgd":
        opt = schedulefree.SGDScheduleFree(
            [p], lr=hp["lr"], momentum=hp["momentum"], weight_decay=hp["weight_decay"],
            warmup_steps=int(hp["warmup_steps"]), r=hp["r"], weight_lr_power=hp["weight_lr_power"])
        opt.train()
        return opt
    if key == "sf_adamw":
        opt = schedulefree.AdamWScheduleFree(
            [p], lr=hp["lr"], betas=(hp["beta1"], hp["beta2"]), eps=hp["eps"],
            weight_decay=hp["weight_decay"], warmup_steps=int(hp["warmup_steps"]), r=hp["r"],
            weight_lr_power=hp["weight_lr_power"])
        opt.train()
        return opt
    if key == "prodigy":
        return Prodigy([p], lr=hp["lr"], betas=(hp["beta1"], hp["beta2"]), eps=hp["eps"],
                       weight_decay=hp["weight_decay"], decouple=hp["decouple"],
                       use_bias_correction=hp["use_bias_correction"],
                       safeguard_warmup=hp["safeguard_warmup"], d0=hp["d0"], d_coef=hp["d_coef"],
                       growth_rate=hp["growth_rate"])
    if key == "lion":
        return Lion([p], lr=hp["lr"], betas=(hp["beta1"], hp["beta2"]),
                    weight_decay=hp["weight_decay"])
    if key == "signum":
        return Lion([p], lr=hp["lr"], betas=(hp["momentum"], hp["momentum"]),
                    weight_decay=hp["weight_decay"])
    if key == "signsgd":
        return Lion([p], lr=hp["lr"], betas=(0.0, 0.0), weight_decay=hp["weight_decay"])
    if key == "adopt":
        kwargs = {} if hp["clip"] else {"clip_lambda": None}  # the authors' default: step ** 0.25
        return ADOPT([p], lr=hp["lr"], betas=(hp["beta1"], hp["beta2"]), eps=hp["eps"],
                     weight_decay=hp["weight_decay"], decouple=hp["decouple"], **kwargs)
    if key == "adan":  # the authors' defaults otherwise (foreach=True, max_grad_norm=0)
        return Adan([p], lr=hp["lr"], betas=(hp["beta1"], hp["beta2"], hp["beta3"]), eps=hp["eps"],
                    weight_decay=hp["weight_decay"], no_prox=hp["no_prox"])
    if key == "dadapt_adam":
        with contextlib.redirect_stdout(io.StringIO()):  # it prints "Using decoupled weight decay"
            return DAdaptAdam([p], lr=hp["lr"], betas=(hp["beta1"], hp["beta2"]), eps=hp["eps"],
                              weight_decay=hp["weight_decay"], decouple=hp["decouple"],
                              use_bias_correction=hp["use_bias_correction"], d0=hp["d0"],
                              growth_rate=hp["growth_rate"])
    if key == "dadapt_sgd":
        return DAdaptSGD([p], lr=hp["lr"], momentum=hp["momentum"], weight_decay=hp["weight_decay"],
                         d0=hp["d0"], growth_rate=hp["growth_rate"])
    if key == "sophia":
        return SophiaExact([p], lr=hp["lr"], betas=(hp["beta1"], hp["beta2"]), rho=hp["rho"],
                           weight_decay=hp["weight_decay"])
    if key == "shampoo":
        return Shampoo([p], lr=hp["lr"], momentum=hp["momentum"], weight_decay=hp["weight_decay"],
                       weight_decouple=hp["weight_decouple"], fixed_decay=hp["fixed_decay"],
                       preconditioning_compute_steps=hp["preconditioning_compute_steps"],
                       matrix_eps=hp["matrix_eps"])
    if key == "soap":
        return SOAP([p], lr=hp["lr"], betas=(hp["beta1"], hp["beta2"]), shampoo_beta=hp["shampoo_beta"],
                    eps=hp["eps"], weight_decay=hp["weight_decay"],
                    precondition_frequency=hp["precondition_frequency"], precondition_1d=True,
                    normalize_grads=hp["normalize_grads"], correct_bias=hp["correct_bias"])
    raise ValueError(key)


KEYS = ["lion", "signum", "signsgd", "sf_sgd", "sf_adamw", "prodigy"]
NEW_KEYS = ["adopt", "adan", "dadapt_adam", "dadapt_sgd", "sophia", "shampoo", "soap"]


def path(key, hp, name, sparams, start, steps, noise, schedule, box, twin=None):
    """The reference's iterates until the first bad one, the step that made it, and
    what the optimizer shows besides (Schedule-Free's x, Prodigy's and D-Adaptation's d,
    Sophia's curvature)."""
    f0 = G.surface_fn(name, sparams)
    p = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    opt = make(key, p, hp)
    scheduler = G.torch_scheduler(opt, schedule) if schedule else None
    xy, extra = [list(start)], []
    for k in range(steps):
        opt.zero_grad()
        f0(p).backward()
        g = F.perturb(p.grad, twin)
        if noise is not None:
            g = g + torch.tensor(noise[k])
        p.grad = g
        if key == "sophia":
            opt.step(bs=1)  # the exact Hessian needs no batch rescaling
        else:
            opt.step()
        if twin is not None:
            with torch.no_grad():
                p.mul_(1.0 + twin[0] * F.NUDGE)
        if scheduler is not None:
            scheduler.step()
        if key == "sophia":  # the curvature this step used, then the refresh
            extra.append(opt.state[p]["hessian"].tolist())
            if k % hp["update_period"] == hp["update_period"] - 1:
                # the training script's order: after every k-th step, at the new point
                diagonal = torch.autograd.functional.hessian(f0, p.detach()).diagonal()
                opt.update_hessian_exact(diagonal)
        if key.startswith("sf_"):
            beta1 = hp["beta1"] if key == "sf_adamw" else hp["momentum"]
            z = opt.state[p]["z"]
            extra.append(p.detach().lerp(z, 1 - 1 / beta1).tolist())
        elif key in ("prodigy", "dadapt_adam", "dadapt_sgd"):
            extra.append(float(opt.param_groups[0]["d"]))
        row = p.detach().tolist()
        if F.outside(row, box):
            return xy, k + 1, extra[:-1]
        xy.append(row)
    return xy, None, extra


def plan(key, rng):
    """The runs of one optimizer: its defaults on Rosenbrock and the valley, then random
    configurations (surface, start, hyperparameters, noise, schedule)."""
    spec = optimizers.OPTIMIZERS[key]
    plans = [("rosenbrock", {"a": 1.0, "b": 100.0}, (-1.2, 1.0), spec.validate(), 0.0, None),
             ("valley", {"condition": 20.0, "angle": 30.0}, (-8.0, 3.0), spec.validate(), 0.0,
              None)]
    for i in range(CONFIGS if key in KEYS else NEW_CONFIGS):
        name, sparams = F.sample_surface(rng)
        surface = surfaces.get(name, **sparams)
        hp = F.sample_config(rng, key, moderate=i % 2 == 1, surface=surface)
        if key in SHORT_PERIODS and i % 4 < 2:  # a period short enough to refresh in 200 steps
            hp[SHORT_PERIODS[key]] = int(rng.integers(1, 31))
        (x0, x1), (y0, y1) = surface.bounds
        start = (float(rng.uniform(x0, x1)), float(rng.uniform(y0, y1)))
        noise_sd = float(10 ** rng.uniform(-3, 0)) if rng.uniform() < 0.3 else 0.0
        schedule = F.sample_schedule(rng, F.STEPS) if rng.uniform() < 0.3 else None
        plans.append((name, sparams, start, hp, noise_sd, schedule))
    return plans


def case_of(key, name, sparams, start, hp, noise_sd, schedule, seed):
    """One case: the reference's run, its two twins and what it shows besides."""
    surface = surfaces.get(name, **sparams)
    noise = (noise_sd * np.random.default_rng(seed).standard_normal((F.STEPS, 2))
             if noise_sd else None)
    box = F.box_of(surface)
    xy, diverged, extra = path(key, hp, name, sparams, list(start), F.STEPS, noise, schedule, box)
    twins = [path(key, hp, name, sparams, list(start), F.STEPS, noise, schedule, box, twin=t)[0]
             for t in F.TWINS]
    keep = list(range(0, len(xy), F.STRIDE))
    if keep[-1] != len(xy) - 1:
        keep.append(len(xy) - 1)
    case = {
        "key": key, "hparams": hp, "surface": name, "surface_params": sparams,
        "start": list(start), "steps": F.STEPS, "noise": noise_sd, "seed": seed,
        "schedule": schedule, "stride": F.STRIDE, "n": len(xy),
        "xy": [xy[j] for j in keep], "diverged_at": diverged,
        "stable_steps": min(F.stable_steps(xy, t) for t in twins),
    }
    if key.startswith("sf_"):
        case["x"] = [extra[j - 1] for j in keep if j >= 1]
    if key in ("prodigy", "dadapt_adam", "dadapt_sgd"):
        case["d"] = [extra[j - 1] for j in keep if j >= 1]
    if key == "sophia":
        case["h"] = [extra[j - 1] for j in keep if j >= 1]
    return case


def cases_of(key, rng):
    """Every case of one optimizer, drawing from ``rng`` in the order the earlier
    version of this script did (plans first, then one seed per case)."""
    cases = []
    for plan_ in plan(key, rng):
        while True:
            seed = int(rng.integers(0, 2**31))
            try:
                cases.append(case_of(key, *plan_, seed))
                break
            except (NameError, ZeroDivisionError):  # the reference cannot run it: draw another
                name, sparams, start, hp, noise_sd, schedule = plan_
                plan_ = (name, sparams, start, hp, noise_sd,
                         F.sample_schedule(rng, F.STEPS) if rng.uniform() < 0.3 else None)
    return cases


def kernels(rng, count=150):
    """What SOAP and full-matrix AdaGrad compute with LAPACK and BLAS, on random 2x2
    matrices, for the engine's closed forms to be checked against: the eigenbasis of
    ``eigh`` (flipped, as SOAP orders it) of a float32-rounded symmetric matrix plus
    1e-30 I, the Q of a float32 QR, the entries of a float32 matrix product, and the
    inverse square root pytorch-optimizer's Shampoo takes by an SVD."""
    out = {"eigh": [], "qr_float32": [], "matmul_float32": [], "inverse_root": []}
    for i in range(count):
        g = rng.standard_normal(2) * 10 ** rng.uniform(-3, 3)
        m = np.outer(g, g) * rng.uniform(0.01, 1)
        if i % 2:
            u = rng.standard_normal(2)
            m = m + np.outer(u, u) * 10 ** rng.uniform(-3, 3)
        m32 = torch.tensor(m).float()
        q = torch.flip(torch.linalg.eigh(m32 + 1e-30 * torch.eye(2))[1], [1])
        out["eigh"].append([float(m32[0, 0]), float(m32[0, 1]), float(m32[1, 1]), q.tolist()])
        a = torch.tensor(rng.standard_normal((2, 2)) * 10 ** rng.uniform(-3, 3, size=(2, 2))).float()
        out["qr_float32"].append([a.tolist(), torch.linalg.qr(a)[0].tolist()])
        b = torch.tensor(rng.standard_normal((2, 2)) * 10 ** rng.uniform(-3, 3, size=(2, 2))).float()
        out["matmul_float32"].append([a.tolist(), b.tolist(), (a @ b).tolist()])
        spd = torch.eye(2) * 10 ** rng.uniform(-6, 0) + torch.tensor(np.outer(g, g))
        out["inverse_root"].append([spd.tolist(), compute_power_svd(spd, 2).tolist()])
    return out


def main():
    torch.set_default_dtype(torch.float64)
    torch.set_num_threads(1)
    rng = np.random.default_rng(SEED)
    cases = []
    for key in KEYS + NEW_KEYS:
        cases += cases_of(key, rng)
    kernel_cases = kernels(rng)
    meta = {
        "generator": "tests/golden/make_reference_golden.py",
        "torch_version": torch.__version__,
        "packages": {name: metadata.version(name)
                     for name in ("schedulefree", "prodigyopt", "lion-pytorch", "dadaptation", "torch-adopt",
                                  "pytorch-optimizer")},
        "vendored": VENDORED,
        "sophia": "SophiaG with update_hessian fed the exact Hessian diagonal floored at 0, after every "
                  "update_period-th step; step(bs=1)",
        "soap": "SOAP with precondition_1d=True",
        "seed": SEED, "steps": F.STEPS, "stride": F.STRIDE,
        "lion": "lion-pytorch's Lion; Signum is Lion with betas (beta, beta), signSGD (0, 0)",
    }
    dumps = lambda o: json.dumps(o, allow_nan=False, separators=(",", ":"))  # noqa: E731
    text = ("{\n" + f'"meta": {dumps(meta)},\n"kernels": {dumps(kernel_cases)},\n"cases": [\n'
            + ",\n".join(dumps(c) for c in cases) + "\n]\n}\n")
    json.loads(text)
    OUT_PATH.write_text(text, encoding="utf-8")
    stable = sum(c["stable_steps"] >= c["n"] - 1 for c in cases)
    print(f"{len(cases)} cases to {OUT_PATH.name}, {len(text) / 1024:.0f} KiB; {stable} stable to "
          f"the end; {sum(c['diverged_at'] is not None for c in cases)} diverged")
    return 0


if __name__ == "__main__":
    sys.exit(main())
