"""Batch speed: 10,000 Adam runs x 500 steps on Rosenbrock, ``optimizers.run_batch`` vs C and torch.

What is measured (all in one process, interleaved, median of ``--repeat`` repeats;
every contender produces a fresh array of all 10,000 x 501 positions per call):

* ours: ``optimizers.run_batch("adam", surfaces.get("rosenbrock"), starts, 500,
  lr=1e-3)`` with ``starts`` (10000, 2) drawn uniformly from the surface's bounds
  (seed 0). The result is ``(B, steps+1, 2)`` float64, NaN after a run diverges.
* C: a plain C loop doing the same work, compiled here with the system ``gcc -O2``
  (no ``-ffast-math``, no ``-march``) into ``benchmarks/build/`` and called through
  ctypes on NumPy buffers: the analytic gradient, Adam with torch's formula (lerp for
  ``m``, ``sqrt(v)/sqrt(1-beta2^t) + eps``), the divergence box check, every
  position stored in float64. The loop runs step by step over all runs (the layout
  the runner uses internally, and the faster of the two natural loop orders; the
  run-by-run order is timed too and printed for information). Its output must equal
  ours (``allclose``) before anything is timed. Its output array is allocated per
  call, as ours is.
* torch: ``torch.optim.Adam`` on one (10000, 2) float64 parameter with the same
  analytic gradient (torch ops, no autograd), recording every position into a
  preallocated ``(501, 10000, 2)`` tensor; both the ``foreach=True`` and the default
  (single-tensor on CPU) implementations are timed and the faster is the
  reference. torch runs on one thread, like NumPy and the C loop (see
  ``_timing.load_torch``). Checked against ours too. Skipped, with a message,
  without torch.

Targets (issue 2, "Speed"): ``run_batch`` within 2x of the C loop (ours / C <= 2),
and no slower than torch.optim's Adam (torch / ours >= 1).

Run: ``python benchmarks/bench_batch.py [--repeat N]``.
"""

from __future__ import annotations

import argparse
import ctypes
import hashlib
import shutil
import subprocess

import numpy as np
from _timing import ROOT, interleaved, load_torch, machine, median, ms, spread

from descent_lab import (
    optimizers,  # noqa: E402  (after _timing put this checkout on sys.path)
    surfaces,  # noqa: E402
)
from descent_lab.optimizers.runner import _box  # noqa: E402  (the divergence box, to give C the same one)

RUNS = 10_000
STEPS = 500
LR = 1e-3
BETA1, BETA2, EPS = 0.9, 0.999, 1e-8
TARGET_C = 2.0  # ours / C at most
TARGET_TORCH = 1.0  # torch / ours at least
BUILD = ROOT / "benchmarks" / "build"
CFLAGS = ["-O2", "-std=c11", "-shared", "-fPIC"]

C_SOURCE = r"""
#include <math.h>
#include <stdlib.h>

/* Adam (torch's formula) on f = (1 - x)^2 + 100 (y - x^2)^2 for B runs.
   starts: (B, 2); out: (steps + 1, 2, B), every position, NaN from the first one
   outside the box |x - cx| <= rx, |y - cy| <= ry onward (as optimizers.run_batch). */

static inline double grad_x(double x, double y) { double x0 = x * x; return -400.0 * x * (-x0 + y) + 2 * x - 2.0; }
static inline double grad_y(double x, double y) { double x0 = x * x; return -200.0 * x0 + 200.0 * y; }

/* Step by step over all runs (runs are independent, so the CPU overlaps them). */
int adam_steps(const double *starts, long B, long steps, double lr, double b1, double b2,
               double eps, double cx, double cy, double rx, double ry, double *out)
{
    double *m = calloc(2 * B, sizeof *m), *v = calloc(2 * B, sizeof *v);
    unsigned char *dead = calloc(B, 1);
    if (!m || !v || !dead) { free(m); free(v); free(dead); return -1; }
    for (long b = 0; b < B; b++) {
        double x = starts[2 * b], y = starts[2 * b + 1];
        dead[b] = !(fabs(x - cx) <= rx && fabs(y - cy) <= ry);
        out[b] = dead[b] ? NAN : x;
        out[B + b] = dead[b] ? NAN : y;
    }
    for (long k = 0; k < steps; k++) {
        long t = k + 1;
        double step_size = lr / (1.0 - pow(b1, (double)t));
        double bc2_sqrt = sqrt(1.0 - pow(b2, (double)t));
        const double *X = out + (size_t)k * 2 * B, *Y = X + B;
        double *Xn = out + (size_t)(k + 1) * 2 * B, *Yn = Xn + B;
        double *mx = m, *my = m + B, *vx = v, *vy = v + B;
        for (long b = 0; b < B; b++) {
            double x = X[b], y = Y[b];
            double gx = grad_x(x, y), gy = grad_y(x, y);
            mx[b] = mx[b] + (1.0 - b1) * (gx - mx[b]);
            my[b] = my[b] + (1.0 - b1) * (gy - my[b]);
            vx[b] = b2 * vx[b] + (1.0 - b2) * gx * gx;
            vy[b] = b2 * vy[b] + (1.0 - b2) * gy * gy;
            double xn = x - step_size * mx[b] / (sqrt(vx[b]) / bc2_sqrt + eps);
            double yn = y - step_size * my[b] / (sqrt(vy[b]) / bc2_sqrt + eps);
            if (dead[b] || !(fabs(xn - cx) <= rx && fabs(yn - cy) <= ry)) {
                dead[b] = 1;
                xn = yn = NAN;
            }
            Xn[b] = xn;
            Yn[b] = yn;
        }
    }
    free(m); free(v); free(dead);
    return 0;
}

/* Run by run (each run's whole path, state in registers). Same output layout. */
int adam_runs(const double *starts, long B, long steps, double lr, double b1, double b2,
              double eps, double cx, double cy, double rx, double ry, double *out)
{
    double *ss = malloc(steps * sizeof *ss), *bc = malloc(steps * sizeof *bc);
    if (!ss || !bc) { free(ss); free(bc); return -1; }
    for (long k = 0; k < steps; k++) {
        ss[k] = lr / (1.0 - pow(b1, (double)(k + 1)));
        bc[k] = sqrt(1.0 - pow(b2, (double)(k + 1)));
    }
    for (long b = 0; b < B; b++) {
        double x = starts[2 * b], y = starts[2 * b + 1];
        double mx = 0.0, my = 0.0, vx = 0.0, vy = 0.0;
        int dead = !(fabs(x - cx) <= rx && fabs(y - cy) <= ry);
        out[b] = dead ? NAN : x;
        out[B + b] = dead ? NAN : y;
        for (long k = 0; k < steps; k++) {
            double gx = grad_x(x, y), gy = grad_y(x, y);
            mx = mx + (1.0 - b1) * (gx - mx);
            my = my + (1.0 - b1) * (gy - my);
            vx = b2 * vx + (1.0 - b2) * gx * gx;
            vy = b2 * vy + (1.0 - b2) * gy * gy;
            x = x - ss[k] * mx / (sqrt(vx) / bc[k] + eps);
            y = y - ss[k] * my / (sqrt(vy) / bc[k] + eps);
            dead = dead || !(fabs(x - cx) <= rx && fabs(y - cy) <= ry);
            out[(size_t)(k + 1) * 2 * B + b] = dead ? NAN : x;
            out[(size_t)(k + 1) * 2 * B + B + b] = dead ? NAN : y;
        }
    }
    free(ss); free(bc);
    return 0;
}
"""


# ------------------------------------------------------------------ contenders


def starts_for(surface) -> np.ndarray:
    (x0, x1), (y0, y1) = surface.bounds
    return np.random.default_rng(0).uniform([x0, y0], [x1, y1], size=(RUNS, 2))


def ours_factory(surface, starts):
    def call():
        return optimizers.run_batch("adam", surface, starts, STEPS, lr=LR)

    return call


def build_c():
    """Compile ``C_SOURCE`` (once per source/flags) and return the ctypes library, or a reason."""
    gcc = shutil.which("gcc")
    if gcc is None:
        return None, "gcc not found"
    digest = hashlib.sha256((C_SOURCE + " ".join(CFLAGS)).encode()).hexdigest()[:12]
    BUILD.mkdir(parents=True, exist_ok=True)
    src, lib = BUILD / f"adam_batch_{digest}.c", BUILD / f"adam_batch_{digest}.so"
    if not lib.exists():
        src.write_text(C_SOURCE)
        tmp = lib.with_suffix(".so.tmp")
        subprocess.run([gcc, *CFLAGS, "-o", str(tmp), str(src), "-lm"], check=True)
        tmp.replace(lib)
    dll = ctypes.CDLL(str(lib))
    dbl, lng, ptr = ctypes.c_double, ctypes.c_long, ctypes.c_void_p
    for fn in (dll.adam_steps, dll.adam_runs):
        fn.argtypes = [ptr, lng, lng, dbl, dbl, dbl, dbl, dbl, dbl, dbl, dbl, ptr]
        fn.restype = ctypes.c_int
    return dll, f"{gcc} {' '.join(CFLAGS)}"


def c_factory(fn, surface, starts):
    cx, cy, rx, ry = _box(surface)
    starts = np.ascontiguousarray(starts)

    def call():
        out = np.empty((STEPS + 1, 2, RUNS))
        rc = fn(starts.ctypes.data, RUNS, STEPS, LR, BETA1, BETA2, EPS, cx, cy, rx, ry,
                out.ctypes.data)
        if rc:
            raise MemoryError("C benchmark: allocation failed")
        return out.transpose(2, 0, 1)

    return call


def torch_factory(torch, starts, foreach: bool | None):
    def call():
        p = torch.tensor(starts, dtype=torch.float64, requires_grad=True)
        opt = torch.optim.Adam([p], lr=LR, betas=(BETA1, BETA2), eps=EPS, foreach=foreach)
        out = torch.empty((STEPS + 1, RUNS, 2), dtype=torch.float64)
        with torch.no_grad():
            out[0] = p
            grad = torch.empty_like(p)
            p.grad = grad
            x, y = p[:, 0], p[:, 1]  # views: they follow the in-place updates
            for k in range(STEPS):
                x0 = x * x
                grad[:, 0] = -400.0 * x * (y - x0) + 2.0 * x - 2.0
                grad[:, 1] = 200.0 * (y - x0)
                opt.step()
                out[k + 1] = p
        return out.transpose(0, 1)

    return call


# ------------------------------------------------------------------ benchmark


def measure(repeat: int = 9) -> dict:
    torch = load_torch()
    surface = surfaces.get("rosenbrock")
    starts = starts_for(surface)
    ours = ours_factory(surface, starts)
    expected = ours()
    assert expected.shape == (RUNS, STEPS + 1, 2)
    cases = {"ours": ours}
    checks = {}
    dll, compiler = build_c()
    if dll is not None:
        cases["C"] = c_factory(dll.adam_steps, surface, starts)
        cases["C:run-by-run"] = c_factory(dll.adam_runs, surface, starts)
    if torch is not None:
        cases["torch:foreach"] = torch_factory(torch, starts, True)
        cases["torch:default"] = torch_factory(torch, starts, None)
    for name, fn in cases.items():
        if name == "ours":
            continue
        got = np.asarray(fn())
        dev = float(np.nanmax(np.abs(got - expected)))
        same = np.allclose(got, expected, rtol=1e-9, atol=1e-12, equal_nan=True)
        checks[name] = dev
        if not same:
            raise SystemExit(f"{name} does not reproduce run_batch (max |diff| {dev:.2e}): not timing it")
    times = interleaved(cases, repeat)
    return {"times": times, "checks": checks, "compiler": compiler,
            "torch": torch is not None, "diverged": int(np.isnan(expected[:, -1, 0]).sum()),
            "repeat": repeat, "machine": machine()}


def _torch_best(t: dict) -> tuple[str, float]:
    name = min(("torch:foreach", "torch:default"), key=lambda n: median(t[n]))
    return name, median(t[name])


def rows(res: dict) -> list[dict]:
    t = res["times"]
    ours_t = median(t["ours"])
    what = f"`run_batch`: Adam, {RUNS:,} runs x {STEPS} steps, Rosenbrock"
    out = []
    if "C" in t:
        c = median(t["C"])
        r = ours_t / c
        out.append(dict(what=what + " vs C (gcc -O2)", ours=ms(ours_t), ref=ms(c),
                        ratio=f"{r:.2f}x C's time", target=f"<= {TARGET_C:g}x C's time",
                        result="pass" if r <= TARGET_C else "FAIL"))
    else:
        out.append(dict(what=what + " vs C", ours=ms(ours_t), ref=res["compiler"], ratio="-",
                        target=f"<= {TARGET_C:g}x C's time", result="skipped"))
    if res["torch"]:
        name, tt = _torch_best(t)
        r = tt / ours_t
        out.append(dict(what=what + f" vs torch.optim.Adam ({name.split(':')[1]})", ours=ms(ours_t),
                        ref=ms(tt), ratio=f"{r:.2f}x faster" if r >= 1 else f"{1 / r:.2f}x slower",
                        target="no slower", result="pass" if r >= TARGET_TORCH else "FAIL"))
    else:
        out.append(dict(what=what + " vs torch.optim.Adam", ours=ms(ours_t), ref="torch not installed",
                        ratio="-", target="no slower", result="skipped"))
    return out


def report(res: dict) -> None:
    t = res["times"]
    ours_t = median(t["ours"])
    print(f"Batch: Adam, {RUNS:,} runs x {STEPS} steps on Rosenbrock, lr={LR:g}, "
          f"{res['diverged']} runs diverged")
    print(f"  {res['machine']}; median (min-max) of {res['repeat']} interleaved repeats")
    print(f"  ours  optimizers.run_batch            {spread(t['ours'])}")
    if "C" in t:
        print(f"  C     step by step, {res['compiler']}")
        print(f"                                        {spread(t['C'])}   ours/C = "
              f"{ours_t / median(t['C']):.2f}  (target <= {TARGET_C:g})   max|C-ours| {res['checks']['C']:.1e}")
        print(f"  C     run by run (information only)   {spread(t['C:run-by-run'])}   ours/C = "
              f"{ours_t / median(t['C:run-by-run']):.2f}")
    else:
        print(f"  C: skipped ({res['compiler']})")
    if res["torch"]:
        for name in ("torch:foreach", "torch:default"):
            label = f"torch.optim.Adam({'foreach=True' if name.endswith('foreach') else 'default'})"
            print(f"  {label:<37} {spread(t[name])}   torch/ours = {median(t[name]) / ours_t:.2f}"
                  f"   max|torch-ours| {res['checks'][name]:.1e}")
        print(f"  target: torch/ours >= {TARGET_TORCH:g} against the faster torch")
    else:
        print("  torch is not installed: skipping the torch.optim comparison")
    print()


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=9, help="interleaved repeats (default 9)")
    args = ap.parse_args(argv)
    res = measure(args.repeat)
    report(res)


if __name__ == "__main__":
    main()
