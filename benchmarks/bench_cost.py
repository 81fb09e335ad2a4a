"""How well ``optimizers.cost`` predicts time: microseconds per cost unit, per case.

A server refuses a request whose estimated cost is over its budget before running
it. That works if one unit takes about the same time whatever the optimizer, the
surface and the path (``run`` or ``run_batch``). This prints, for a spread of cases
(cheap and expensive surfaces, typed formulas of growing size, Newton with its
Hessian, batches of 100 to 10,000 runs), the measured time, the estimate and their
ratio, then the median microseconds per unit on each path and the spread
(max/min) across cases. A budget in seconds is ``seconds / (us per unit * 1e-6)``.

Run: ``python benchmarks/bench_cost.py [--repeat N]``.
"""

from __future__ import annotations

import argparse
import statistics

import numpy as np
from _timing import interleaved, machine, median

from descent_lab import optimizers, surfaces  # noqa: E402  (after _timing set sys.path)

TYPED = {
    "typed: 2 terms": "sin(x)*cos(y) + 0.1*(x**2 + y**2)",
    "typed: 8 factors": "sin(x)*cos(y)*sin(2*x)*cos(2*y)*sin(3*x)*cos(3*y)*sin(x*y)*cos(x+y)",
    "typed: mixed": "atan2(sin(x*y), cos(x-y)) + max(x, y)**2 + log(1+exp(x)) + sqrt(1 + x**2*y**2)",
}
SURFACES = {k: surfaces.get(k) for k in ("bowl", "rosenbrock", "beale", "ackley", "goldstein_price")}
SURFACES.update({name: surfaces.get("custom", expression=text) for name, text in TYPED.items()})
# small learning rates: no run converges or diverges early, so every step is paid
RUNS = [(key, lr) for key, lr in (("gd", 1e-6), ("adam", 1e-5), ("nadam", 1e-5), ("newton", 1e-3),
                                   ("adafactor", 1e-5), ("muon", 1e-5), ("lbfgs", 1e-4),
                                   ("dadapt_adam", 1e-5), ("sophia", 1e-5), ("soap", 1e-5))]
BATCH = [("adam", 1e-5, b) for b in (100, 1_000, 10_000)] + [("gd", 1e-6, 1_000)]


def cases(run_steps: int, batch_steps: int) -> dict:
    out = {}
    for sname, s in SURFACES.items():
        for key, lr in RUNS:
            out[("run", key, sname, 1)] = (
                lambda key=key, s=s, lr=lr: optimizers.run(key, s, s.start, run_steps, lr=lr, tol=0.0),
                optimizers.cost(key, s, run_steps))
        for key, lr, b in BATCH:
            starts = np.tile(s.start, (b, 1))
            out[("batch", key, sname, b)] = (
                lambda key=key, s=s, lr=lr, starts=starts: optimizers.run_batch(key, s, starts, batch_steps, lr=lr),
                optimizers.cost(key, s, batch_steps, b, batch=True))
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5, help="interleaved repeats (default 5)")
    ap.add_argument("--steps", type=int, default=500, help="steps of each run (default 500)")
    ap.add_argument("--batch-steps", type=int, default=50, help="steps of each batch (default 50)")
    args = ap.parse_args(argv)
    found = cases(args.steps, args.batch_steps)
    times = interleaved({k: fn for k, (fn, _) in found.items()}, args.repeat)
    per_unit: dict[str, list[float]] = {"run": [], "batch": []}
    print(f"optimizers.cost against measured time; {machine()}; median of {args.repeat} interleaved repeats")
    print(f"  {'path':5s} {'optimizer':9s} {'surface':17s} {'runs':>6s} {'cost':>11s} {'time':>10s} {'us/unit':>8s}")
    for (path, key, sname, b), (_, units) in found.items():
        t = median(times[(path, key, sname, b)])
        us = t * 1e6 / units
        per_unit[path].append(us)
        print(f"  {path:5s} {key:9s} {sname:17s} {b:6d} {units:11.0f} {t * 1e3:8.2f} ms {us:8.3f}")
    for path, values in per_unit.items():
        print(f"  {path}: median {statistics.median(values):.3f} us per unit, spread (max/min) "
              f"{max(values) / min(values):.1f}x over {len(values)} cases")
    both = per_unit["run"] + per_unit["batch"]
    print(f"  both paths: median {statistics.median(both):.3f} us per unit, spread "
          f"{max(both) / min(both):.1f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
