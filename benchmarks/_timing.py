"""Shared helpers for the benchmarks: side-by-side timing on a noisy machine.

The machine is shared, so absolute times drift from run to run. Every benchmark
therefore times all of its contenders in the same process, interleaved (each
repeat runs every contender once, in a rotating order), and compares medians.
Ratios measured this way are far steadier than the absolute numbers.
"""

from __future__ import annotations

import os
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # time this checkout, not whatever is installed


def load_torch():
    """``torch`` set up for a fair comparison, or None when it is not installed.

    float64 is the default dtype (as for the golden iterates: torch then keeps its
    scalar state such as NAdam's ``mu_product`` in float64 too). torch runs on one
    thread, like NumPy and the C loop: with two threads on a busy 2-CPU machine its
    parallel kernels (``sqrt`` on 20,000 elements) stall waiting for the second CPU,
    and a (10000, 2) Adam step took 1-6 ms instead of 0.2 ms.
    """
    try:
        import torch
    except ImportError:
        return None
    torch.set_default_dtype(torch.float64)
    torch.set_num_threads(1)
    return torch


def interleaved(cases: dict[str, Callable[[], object]], repeat: int, warmup: int = 1) -> dict:
    """Time each zero-argument callable ``repeat`` times, interleaved.

    Returns ``{name: [seconds, ...]}``. Garbage collection stays enabled (it is
    part of the real cost) and is not forced between calls: a ``gc.collect()``
    before each call makes allocation-heavy code pay for fresh memory arenas
    (about +0.4 ms per ``run`` call here). The order rotates between repeats so
    that no contender always runs right after the same neighbour.
    """
    names = list(cases)
    for _ in range(warmup):
        for name in names:
            cases[name]()
    times = {name: [] for name in names}
    for r in range(repeat):
        shift = r % len(names)
        for name in names[shift:] + names[:shift]:
            fn = cases[name]
            t0 = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t0)
    return times


def median(ts) -> float:
    return statistics.median(ts)


def ms(seconds: float) -> str:
    return f"{seconds * 1e3:.1f} ms" if seconds < 10 else f"{seconds:.1f} s"


def spread(ts) -> str:
    """``median (min-max)`` in milliseconds."""
    return f"{median(ts) * 1e3:8.2f} ms ({min(ts) * 1e3:.2f}-{max(ts) * 1e3:.2f})"


def machine() -> str:
    import numpy as np

    parts = [
        f"Python {platform.python_version()}",
        f"NumPy {np.__version__}",
        f"{os.cpu_count()} CPUs",
        platform.machine(),
    ]
    torch = sys.modules.get("torch")
    if torch is not None:
        parts.insert(2, f"torch {torch.__version__}")
    return ", ".join(parts)
