"""Soak test: steady load for a while, each gunicorn worker's memory (RSS) sampled over time.

    python loadtest/soak.py --seconds 300                  # starts gunicorn (2 workers) itself
    python loadtest/soak.py --seconds 300 --users 20 --csv rss.csv

Runs the same simulated students as ``load.py`` and reads every worker's RSS from
/proc each ``--every`` seconds (Linux). The first ``--warmup`` fraction of the run fills
the app's bounded caches (contour grids, trajectories) and is not judged; after it, the
script reports each worker's RSS at the end of the warm-up, at the end, the growth
between them and a least-squares slope (MB per minute) over the judged part. A leak
shows as a steady positive slope; a plateau shows as a slope near zero.

``--exporters N`` adds N clients that download the largest race as CSV over and over
(the streamed ``/download.csv``), each time with new settings, and ``--heavy N`` N clients that load a heavy set-up
over and over (``loadtest/heavy.py``'s, without its fan: just under the request
budget), each time distinct: together with the students (whose every slider move is a
new value), nothing they ask for is answered from a cache for long. Then the report
adds each worker's peak (``VmHWM``), the figure the README states as the ceiling.

Exit status 1 when any worker grows by more than ``--max-growth-mb`` after the warm-up,
exceeds ``--ceiling-mb`` at its peak, or a student's request failed. Loopback only;
stops by itself.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import threading  # noqa: E402

from loadtest.dash_client import Http, Stack, User, hwm_bytes, rss_bytes  # noqa: E402
from loadtest.export_memory import race_search  # noqa: E402
from loadtest.heavy import heaviest_search  # noqa: E402
from loadtest.load import run_load  # noqa: E402

MB = 1024 * 1024


def slope_per_minute(points: list[tuple[float, float]]) -> float:
    """Least-squares slope of (seconds, MB) points, in MB per minute."""
    if len(points) < 2:
        return 0.0
    n = len(points)
    mx = sum(t for t, _ in points) / n
    my = sum(v for _, v in points) / n
    sxx = sum((t - mx) ** 2 for t, _ in points)
    if sxx == 0:
        return 0.0
    return 60 * sum((t - mx) * (v - my) for t, v in points) / sxx


def pressure(url: str, exporters: int, heavy: int, stop: threading.Event, counts: dict,
             lock: threading.Lock) -> list[threading.Thread]:
    """Clients that keep asking for large, distinct work until ``stop``."""
    def export_loop(k: int) -> None:
        round_ = 0
        while not stop.is_set():
            round_ += 1
            http = Http(url, timeout=300)
            try:  # the streamed file (ui/race/download.py) of a race no one asked for before
                reply = http.get("/download.csv" + race_search(k, 1000 + round_))
                key = f"export {reply.status}"
            except Exception as exc:  # counted, not raised
                key = f"export {type(exc).__name__}"
            finally:
                http.close()
            with lock:
                counts[key] = counts.get(key, 0) + 1

    def heavy_loop(k: int) -> None:
        user = User(url, timeout=300)
        user.open()
        variant = 2000 + 500 * k
        while not stop.is_set():
            variant += 1
            try:
                reply = user.trigger("url", "search", heaviest_search(variant, fan=0))
                text = user.alerts_text()
                key = f"heavy {reply.status}" + (" busy" if "busy" in text else " refused" if text else "")
            except Exception as exc:
                key = f"heavy {type(exc).__name__}"
                user.http.close()
            with lock:
                counts[key] = counts.get(key, 0) + 1
        user.http.close()

    threads = [threading.Thread(target=export_loop, args=(k,), daemon=True) for k in range(exporters)]
    threads += [threading.Thread(target=heavy_loop, args=(k,), daemon=True) for k in range(heavy)]
    for thread in threads:
        thread.start()
    return threads


def soak(server: Stack, seconds: float, users: int = 20, every: float = 5.0, warmup: float = 0.3,
         think: float = 0.05, pause: float = 0.5, seed: int = 0, exporters: int = 0, heavy: int = 0) -> dict:
    """Run the load against ``server`` while sampling its workers' RSS; a summary dict."""
    samples: list[tuple[float, int, float]] = []  # (t, pid, MB)
    next_at = [0.0]

    def sample(elapsed: float) -> None:
        if elapsed + 1e-9 < next_at[0]:
            return
        next_at[0] = elapsed + every
        for pid in server.workers():
            rss = rss_bytes(pid)
            if rss is not None:
                samples.append((elapsed, pid, rss / MB))

    sample(0.0)
    stop, lock, counts = threading.Event(), threading.Lock(), {}
    others = pressure(server.url, exporters, heavy, stop, counts, lock)
    try:
        stats, elapsed = run_load(server.url, users, seconds, think, pause, seed=seed, on_tick=sample)
    finally:
        stop.set()
        for thread in others:
            thread.join(300)
    sample(elapsed + every)  # one last look
    peaks = {pid: (hwm_bytes(pid) or 0) / MB for pid in server.workers()}
    judged_from = warmup * seconds
    workers = {}
    for pid in sorted({p for _, p, _ in samples}):
        series = [(t, mb) for t, p, mb in samples if p == pid]
        judged = [(t, mb) for t, mb in series if t >= judged_from]
        if not judged:
            continue
        workers[pid] = {
            "start_mb": round(series[0][1], 1),
            "after_warmup_mb": round(judged[0][1], 1),
            "end_mb": round(judged[-1][1], 1),
            "peak_mb": round(max(mb for _, mb in series), 1),
            "growth_after_warmup_mb": round(judged[-1][1] - judged[0][1], 1),
            "slope_mb_per_min": round(slope_per_minute(judged), 2),
            "samples": len(series),
            "peak_hwm_mb": round(peaks[pid], 1) if pid in peaks else None,
        }
    summary = stats.summary(elapsed, slow=2.0)
    return {"load": summary, "workers": workers, "series": samples, "pressure": counts,
            "replaced_workers": sorted(set(workers) - set(peaks))}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=300)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--every", type=float, default=5.0, help="seconds between RSS samples")
    parser.add_argument("--warmup", type=float, default=0.3, help="fraction of the run not judged")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--max-growth-mb", type=float, default=20.0)
    parser.add_argument("--ceiling-mb", type=float, default=400.0, help="the most a worker may hold at its peak")
    parser.add_argument("--exporters", type=int, default=0, help="clients exporting the largest race as CSV")
    parser.add_argument("--heavy", type=int, default=0, help="clients loading a heavy set-up over and over")
    parser.add_argument("--csv", help="write t,pid,rss_mb samples here")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    with Stack(workers=args.workers, threads=args.threads) as server:
        result = soak(server, args.seconds, args.users, args.every, args.warmup,
                      exporters=args.exporters, heavy=args.heavy)
    if args.csv:
        with open(args.csv, "w") as f:
            f.write("t_s,pid,rss_mb\n")
            f.writelines(f"{t:.1f},{pid},{mb:.2f}\n" for t, pid, mb in result["series"])
    load = result["load"]
    if args.json:
        print(json.dumps({k: v for k, v in result.items() if k != "series"}, indent=2))
    else:
        print(f"soak {args.seconds:g} s, {args.users} users: {load['requests']} requests, "
              f"{load['requests_per_s']} req/s, p50 {load['p50_ms']} ms, p95 {load['p95_ms']} ms, "
              f"errors {load['errors']}")
        for pid, w in result["workers"].items():
            print(f"  worker {pid}: {w['start_mb']} MB at start, {w['after_warmup_mb']} MB after warm-up, "
                  f"{w['end_mb']} MB at end (peak {w['peak_mb']}, VmHWM {w['peak_hwm_mb']}): growth "
                  f"{w['growth_after_warmup_mb']:+} MB, slope {w['slope_mb_per_min']:+} MB/min")
        if result["pressure"]:
            print(f"  large requests alongside: {result['pressure']}")
        if result["replaced_workers"]:
            print(f"  workers replaced during the soak (their peak is not known): {result['replaced_workers']}")
    grew = [pid for pid, w in result["workers"].items() if w["growth_after_warmup_mb"] > args.max_growth_mb]
    over = [pid for pid, w in result["workers"].items() if (w["peak_hwm_mb"] or 0) > args.ceiling_mb]
    for pid in over:
        print(f"  FAIL: worker {pid} peaked at {result['workers'][pid]['peak_hwm_mb']} MB (ceiling {args.ceiling_mb:g})")
    return 0 if not grew and not over and not result["replaced_workers"] and load["errors"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
