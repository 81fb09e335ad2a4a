"""Run both speed benchmarks and print a markdown table for README.md.

``python benchmarks/run_all.py [--repeat-interactive N] [--repeat-batch N] [--browser]``

Prints each benchmark's detailed report (``bench_interactive.py``: 8 optimizers x
1000 steps with ``run`` vs torch.optim, target >= 50x faster; ``bench_batch.py``:
10,000 Adam runs x 500 steps with ``run_batch`` vs a C loop, target <= 2x C's time,
and vs torch.optim.Adam, target no slower), then one compact table: what, ours,
reference, ratio, target, result. ``--browser`` adds ``bench_browser.py`` (the app in
headless Chromium, served by gunicorn and by ``python -m descent_lab``: first contour, bytes,
a real slider drag, keyboard steps, side by side, readout, 3D view, fps; several minutes)
and its own tables: what, measured, floor, target, met/missed. It exits with status 1 when
an engine target is missed or the browser benchmark could not measure (as
``bench_browser.py`` itself, the browser's missed targets are reported, not an error).
Times are medians of interleaved repeats in one process; the ratios are the
numbers to compare across machines.
"""

from __future__ import annotations

import argparse

import bench_batch
import bench_interactive
from _timing import machine


def table(rows: list[dict]) -> str:
    head = ["what", "ours", "reference", "ratio", "target", "result"]
    keys = ["what", "ours", "ref", "ratio", "target", "result"]
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    lines += ["| " + " | ".join(str(r[k]) for k in keys) + " |" for r in rows]
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat-interactive", type=int, default=11)
    ap.add_argument("--repeat-batch", type=int, default=9)
    ap.add_argument("--browser", action="store_true",
                    help="also run bench_browser.py (the app in headless Chromium)")
    args = ap.parse_args(argv)
    inter = bench_interactive.measure(args.repeat_interactive)
    bench_interactive.report(inter)
    batch = bench_batch.measure(args.repeat_batch)
    bench_batch.report(batch)
    rows = bench_interactive.rows(inter) + bench_batch.rows(batch)
    print(table(rows))
    print()
    print(f"Medians of interleaved repeats in one process ({args.repeat_interactive} interactive, "
          f"{args.repeat_batch} batch); {machine()}.")
    if args.browser:
        import bench_browser

        print()
        if bench_browser.main([]) != 0:  # it prints why it could not measure
            return 1
    return 1 if any(r["result"] == "FAIL" for r in rows) else 0


if __name__ == "__main__":
    raise SystemExit(main())
