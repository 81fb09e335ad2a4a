"""Generate ``torch_fuzz.json``: torch.optim on random configurations over each spec's range.

What this is
------------
``make_torch_golden.py`` pins hand-picked cases; this script samples, for every
optimizer that follows torch, ``CONFIGS`` random valid configurations over the
whole range of each hyperparameter of its spec (log-uniform on log-scale knobs,
uniform otherwise, every option on or off, the spec's own cross-parameter check
applied), on a random surface (Rosenbrock and the valley with random parameters,
Beale, Booth, Himmelblau), from a random start inside the bounds, for ``STEPS``
steps, with gradient noise in some runs and a learning-rate schedule in others.
Half the configurations draw the learning rate from the spec's whole range, half
from a decade around the surface's suggested rate (the whole range mostly blows
up at once, which tests little).

The gradients are torch's (autograd on the formulas written out in
``make_torch_golden.py``), the noise is NumPy's ``default_rng(seed)`` exactly as
``optimizers.run`` draws it, the schedules are torch's schedulers. The specs'
ranges and checks come from the engine (``descent_lab.optimizers.OPTIMIZERS``); the
iterates do not.

Rounding and chaos
------------------
Each configuration also runs twice more with every gradient changed a little
(``g (1 + 1e-12) + 1e-12 (1, 1)`` and ``g (1 - 1e-12) + 1e-12 (1, -1)``): two correct
implementations of one gradient differ in the last bits, and by more where its
terms cancel (near a minimum, where the gradient is the difference of large
terms), so these twins show how far apart two faithful runs may be. The twins also
move each iterate by 1e-15 relative after every step (a few ulps: a schedule's
cosine or a product rounded differently): Muon rounds its direction to bfloat16,
which absorbs small gradient changes, so only this shows how fast its weight decay
(a factor below -1 when lr times the decay exceeds 2) amplifies rounding. Where the two torch runs part by more than ``1e-10``
relative, the dynamics amplify rounding (sign decisions of Rprop near zero, a run
grazing a saddle, a run leaving the box at the edge) and no implementation can be
compared beyond that step: ``stable_steps`` records how far a comparison is
meaningful, and the test compares there.

Divergence is recorded as the engine defines it: the first step whose iterate is
not finite or leaves the box of ``BOX_FACTOR`` times the bounds around their
centre (``diverged_at``); the iterates stop at the last good one.

Output (deterministic for a torch version): ``{"meta", "cases": [{"key", "hparams",
"surface", "surface_params", "start", "steps", "noise", "seed", "schedule",
"stride", "xy" (every ``stride``-th iterate and the last), "n" (iterates
recorded), "diverged_at", "stable_steps"}]}``.

Run (needs torch; the tests only read the JSON)::

    python tests/golden/make_torch_fuzz.py
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parents[1]))

import make_torch_golden as G  # noqa: E402  (torch, the formulas, the torch kwargs)
import torch  # noqa: E402

from descent_lab import optimizers, surfaces  # noqa: E402  (ranges and checks only)
from descent_lab.optimizers.runner import BOX_FACTOR  # noqa: E402

OUT_PATH = HERE / "torch_fuzz.json"
SEED = 20261127
CONFIGS = 12
STEPS = 200
STRIDE = 5
PERTURB = 1e-12
NUDGE = 1e-15
PART = 1e-10

SURFACES = ["rosenbrock", "valley", "beale", "booth", "himmelblau"]
SCHEDULE_KINDS = ["step", "exponential", "cosine", "warmup", "multistep", "one_cycle", "cyclic",
                  "warm_restarts", "polynomial", "linear", "warmup_cosine"]


def sample_param(rng, hp):
    """A value of one hyperparameter, drawn over its whole range."""
    if hp.kind == "bool":
        return bool(rng.integers(2))
    if hp.kind == "int":
        return int(rng.integers(int(hp.low), int(hp.high) + 1))
    lo, hi = hp.low, hp.high
    if hp.high_open:
        hi = lo + (hi - lo) * 0.999
    if hp.scale == "log":
        return float(math.exp(rng.uniform(math.log(lo), math.log(hi))))
    return float(rng.uniform(lo, hi))


def sample_surface(rng):
    name = SURFACES[int(rng.integers(len(SURFACES)))]
    params = {}
    for hp in surfaces.REGISTRY[name].params:
        params[hp.name] = sample_param(rng, hp)
    return name, params


def sample_schedule(rng, steps):
    kind = SCHEDULE_KINDS[int(rng.integers(len(SCHEDULE_KINDS)))]
    spec = optimizers.SCHEDULES[kind]
    out = {"kind": kind}
    for hp in spec.params:
        if hp.kind == "steps":
            out[hp.name] = sorted(int(v) for v in rng.integers(1, steps, size=int(rng.integers(1, 4))))
        elif hp.kind == "int":
            out[hp.name] = int(rng.integers(max(1, int(hp.low)), min(int(hp.high), steps) + 1))
        else:
            out[hp.name] = sample_param(rng, hp)
    if kind == "one_cycle":
        out["total_steps"] = int(rng.integers(steps, 2 * steps))
    if kind == "warm_restarts":
        out["T_mult"] = int(rng.integers(1, 4))
    try:
        optimizers.validate_schedule(out, steps)
    except ValueError:
        return sample_schedule(rng, steps)
    return out


def sample_config(rng, key, moderate, surface):
    spec = optimizers.OPTIMIZERS[key]
    for _ in range(1000):
        hp = {h.name: sample_param(rng, h) for h in spec.hyperparams}
        if moderate:
            hint = surface.lr_hints.get(spec.lr_kind or "", 1.0) if spec.lr_kind else hp["lr"]
            lr_param = spec.param("lr")
            hp["lr"] = float(min(max(hint * 10 ** rng.uniform(-1, 1), lr_param.low), lr_param.high))
        try:
            return spec.validate(**hp)
        except ValueError:
            continue
    raise RuntimeError(f"no valid configuration found for {key}")


TWINS = [(1.0, (1.0, 1.0)), (-1.0, (1.0, -1.0))]
"""The twins' changes: g -> g (1 + s e) + e v for (s, v) here, e = PERTURB."""


def perturb(g, twin):
    if twin is None:
        return g
    sign, v = twin
    return g * (1.0 + sign * PERTURB) + PERTURB * torch.tensor(v).view_as(g)


def outside(row, box):
    cx, cy, rx, ry = box
    x, y = row
    return not (math.isfinite(x) and math.isfinite(y) and abs(x - cx) <= rx and abs(y - cy) <= ry)


def torch_path(key, hp, name, sparams, start, steps, noise, schedule, box, twin=None):
    """Positions until the first bad one (excluded) and the step that made it."""
    f0 = G.surface_fn(name, sparams)
    p, flat = G.leaf(key, start)
    f = lambda _: f0(flat())  # noqa: E731
    opt = G.SPECS[key][0]([p], **G.to_torch_kwargs(key, hp, False))
    scheduler = G.torch_scheduler(opt, schedule) if schedule else None
    xy = [list(start)]
    with np.errstate(all="ignore"):
        for k in range(steps):
            if isinstance(opt, torch.optim.LBFGS):  # it evaluates again, as often as it needs

                def closure():
                    opt.zero_grad()
                    loss = f(p)
                    loss.backward()
                    p.grad = perturb(p.grad, twin)
                    return loss

                opt.step(closure)
            else:
                opt.zero_grad()
                f(p).backward()
                g = perturb(p.grad, twin)
                if noise is not None:
                    g = g + torch.tensor(noise[k]).view_as(p)
                p.grad = g
                opt.step()
            if twin is not None:  # and the iterate a few ulps: rounding anywhere in a step
                with torch.no_grad():
                    p.mul_(1.0 + twin[0] * NUDGE)
            if scheduler is not None:
                scheduler.step()
            row = flat().detach().tolist()
            if outside(row, box):
                return xy, k + 1
            xy.append(row)
    return xy, None


def stable_steps(a, b):
    """Steps over which two paths agree to PART relative (they part where rounding
    starts to matter)."""
    n = min(len(a), len(b))
    for i in range(n):
        for u, v in zip(a[i], b[i]):
            if abs(u - v) > PART * (1.0 + abs(v)):
                return max(i - 1, 0)
    return n - 1


def box_of(surface):
    (x0, x1), (y0, y1) = surface.bounds
    return (x0 + x1) / 2, (y0 + y1) / 2, BOX_FACTOR * (x1 - x0) / 2, BOX_FACTOR * (y1 - y0) / 2


def main():
    torch.set_default_dtype(torch.float64)
    torch.set_num_threads(1)
    rng = np.random.default_rng(SEED)
    keys = [k for k in optimizers.OPTIMIZERS if k in G.TORCH_KEYS]
    cases = []
    for key in keys:
        for i in range(CONFIGS):
            name, sparams = sample_surface(rng)
            surface = surfaces.get(name, **sparams)
            hp = sample_config(rng, key, moderate=i % 2 == 1, surface=surface)
            (x0, x1), (y0, y1) = surface.bounds
            start = [float(rng.uniform(x0, x1)), float(rng.uniform(y0, y1))]
            noise_sd = float(10 ** rng.uniform(-3, 0)) if rng.uniform() < 0.3 else 0.0
            if optimizers.OPTIMIZERS[key].evaluates:  # L-BFGS re-evaluates: no gradient noise
                noise_sd = 0.0
            seed = int(rng.integers(0, 2**31))
            noise = (noise_sd * np.random.default_rng(seed).standard_normal((STEPS, 2))
                     if noise_sd else None)
            schedule = sample_schedule(rng, STEPS) if rng.uniform() < 0.3 else None
            box = box_of(surface)
            xy, diverged = torch_path(key, hp, name, sparams, start, STEPS, noise, schedule, box)
            twins = [torch_path(key, hp, name, sparams, start, STEPS, noise, schedule, box,
                                twin=t)[0] for t in TWINS]
            keep = list(range(0, len(xy), STRIDE))
            if keep[-1] != len(xy) - 1:
                keep.append(len(xy) - 1)
            cases.append({
                "key": key, "hparams": hp, "surface": name, "surface_params": sparams,
                "start": start, "steps": STEPS, "noise": noise_sd, "seed": seed,
                "schedule": schedule, "stride": STRIDE, "n": len(xy),
                "xy": [xy[j] for j in keep], "diverged_at": diverged,
                "stable_steps": min(stable_steps(xy, t) for t in twins),
            })
    meta = {
        "generator": "tests/golden/make_torch_fuzz.py",
        "torch_version": torch.__version__,
        "seed": SEED, "configs_per_optimizer": CONFIGS, "steps": STEPS, "stride": STRIDE,
        "perturbation": "two twins: g -> g (1 + 1e-12) + 1e-12 (1, 1) and g (1 - 1e-12) + "
                        "1e-12 (1, -1); the iterate times 1 +- 1e-15 after each step",
        "part": PART,
        "box_factor": BOX_FACTOR,
    }
    dumps = lambda o: json.dumps(o, allow_nan=False, separators=(",", ":"))  # noqa: E731
    text = "{\n" + f'"meta": {dumps(meta)},\n"cases": [\n' + ",\n".join(dumps(c) for c in cases) + "\n]\n}\n"
    json.loads(text)
    OUT_PATH.write_text(text, encoding="utf-8")
    stable = sum(c["stable_steps"] >= c["n"] - 1 for c in cases)
    diverged = sum(c["diverged_at"] is not None for c in cases)
    print(f"torch {torch.__version__}: {len(cases)} cases ({len(keys)} optimizers x {CONFIGS}) to "
          f"{OUT_PATH.name}, {len(text) / 1024:.0f} KiB; {stable} stable to the end, "
          f"{diverged} diverged")
    return 0


if __name__ == "__main__":
    sys.exit(main())
