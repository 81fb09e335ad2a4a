"""Generate ``reference_golden.json``: the optimizers torch lacks, run by their authors' code.

The oracles are the packages their authors publish (PyPI): ``schedulefree``
(Schedule-Free SGD and AdamW), ``prodigyopt`` (Prodigy) and ``lion-pytorch`` (Lion,
and Signum and signSGD as Lion with equal betas). They are needed only to
regenerate the JSON; the tests read it and import none of them. Install them
beside torch in a scratch environment, e.g.::

    python -m venv --system-site-packages /tmp/refs
    /tmp/refs/bin/pip install schedulefree prodigyopt lion-pytorch
    /tmp/refs/bin/python tests/golden/make_reference_golden.py

The cases are drawn as in ``make_torch_fuzz.py`` (random valid configurations over
each spec's whole range, random surfaces and starts, noise and schedules in some
runs; twins mark where rounding starts to decide), plus each optimizer at its
defaults on Rosenbrock and the valley. Schedule-Free's optimizer is put in train
mode before its first step; its recorded iterate is the parameter during training
(``y``), and ``x`` (where it would be evaluated, after ``optimizer.eval()``) is
recorded too.

Output: ``{"meta", "cases": [...]}`` with the fields of ``torch_fuzz.json`` plus
``"x"`` for Schedule-Free and ``"d"`` (the estimate after each step) for Prodigy.
"""

from __future__ import annotations

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
    from lion_pytorch import Lion
    from prodigyopt import Prodigy
except ImportError:  # pragma: no cover
    print("make_reference_golden.py needs schedulefree, prodigyopt and lion-pytorch "
          "(pip install schedulefree prodigyopt lion-pytorch)", file=sys.stderr)
    sys.exit(1)

from descent_lab import optimizers, surfaces  # noqa: E402  (ranges and checks only)

OUT_PATH = HERE / "reference_golden.json"
SEED = 20261128
CONFIGS = 10


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
    raise ValueError(key)


KEYS = ["lion", "signum", "signsgd", "sf_sgd", "sf_adamw", "prodigy"]


def path(key, hp, name, sparams, start, steps, noise, schedule, box, twin=None):
    """The reference's iterates until the first bad one, the step that made it, and
    what the optimizer shows besides (Schedule-Free's x, Prodigy's d)."""
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
        opt.step()
        if twin is not None:
            with torch.no_grad():
                p.mul_(1.0 + twin[0] * F.NUDGE)
        if scheduler is not None:
            scheduler.step()
        if key.startswith("sf_"):
            beta1 = hp["beta1"] if key == "sf_adamw" else hp["momentum"]
            z = opt.state[p]["z"]
            extra.append(p.detach().lerp(z, 1 - 1 / beta1).tolist())
        elif key == "prodigy":
            extra.append(float(opt.param_groups[0]["d"]))
        row = p.detach().tolist()
        if F.outside(row, box):
            return xy, k + 1, extra[:-1]
        xy.append(row)
    return xy, None, extra


def main():
    torch.set_default_dtype(torch.float64)
    torch.set_num_threads(1)
    rng = np.random.default_rng(SEED)
    cases = []
    for key in KEYS:
        spec = optimizers.OPTIMIZERS[key]
        plans = [("rosenbrock", {"a": 1.0, "b": 100.0}, (-1.2, 1.0), spec.validate(), 0.0, None),
                 ("valley", {"condition": 20.0, "angle": 30.0}, (-8.0, 3.0), spec.validate(), 0.0,
                  None)]
        for i in range(CONFIGS):
            name, sparams = F.sample_surface(rng)
            surface = surfaces.get(name, **sparams)
            hp = F.sample_config(rng, key, moderate=i % 2 == 1, surface=surface)
            (x0, x1), (y0, y1) = surface.bounds
            start = (float(rng.uniform(x0, x1)), float(rng.uniform(y0, y1)))
            noise_sd = float(10 ** rng.uniform(-3, 0)) if rng.uniform() < 0.3 else 0.0
            schedule = F.sample_schedule(rng, F.STEPS) if rng.uniform() < 0.3 else None
            plans.append((name, sparams, start, hp, noise_sd, schedule))
        for name, sparams, start, hp, noise_sd, schedule in plans:
            surface = surfaces.get(name, **sparams)
            seed = int(rng.integers(0, 2**31))
            noise = (noise_sd * np.random.default_rng(seed).standard_normal((F.STEPS, 2))
                     if noise_sd else None)
            box = F.box_of(surface)
            xy, diverged, extra = path(key, hp, name, sparams, list(start), F.STEPS, noise,
                                       schedule, box)
            twins = [path(key, hp, name, sparams, list(start), F.STEPS, noise, schedule, box,
                          twin=t)[0] for t in F.TWINS]
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
            if key == "prodigy":
                case["d"] = [extra[j - 1] for j in keep if j >= 1]
            cases.append(case)
    meta = {
        "generator": "tests/golden/make_reference_golden.py",
        "torch_version": torch.__version__,
        "packages": {name: metadata.version(name)
                     for name in ("schedulefree", "prodigyopt", "lion-pytorch")},
        "seed": SEED, "steps": F.STEPS, "stride": F.STRIDE,
        "lion": "lion-pytorch's Lion; Signum is Lion with betas (beta, beta), signSGD (0, 0)",
    }
    dumps = lambda o: json.dumps(o, allow_nan=False, separators=(",", ":"))  # noqa: E731
    text = "{\n" + f'"meta": {dumps(meta)},\n"cases": [\n' + ",\n".join(dumps(c) for c in cases) + "\n]\n}\n"
    json.loads(text)
    OUT_PATH.write_text(text, encoding="utf-8")
    stable = sum(c["stable_steps"] >= c["n"] - 1 for c in cases)
    print(f"{len(cases)} cases to {OUT_PATH.name}, {len(text) / 1024:.0f} KiB; {stable} stable to "
          f"the end; {sum(c['diverged_at'] is not None for c in cases)} diverged")
    return 0


if __name__ == "__main__":
    sys.exit(main())
