"""Peak memory of the workers under concurrent CSV exports of the largest race.

    python loadtest/export_memory.py                 # 4 exports of 8 runs x 10,000 steps at once
    python loadtest/export_memory.py --exports 8 --rounds 3

Starts ``scripts/serve.sh`` (2 workers) on loopback, opens ``--exports`` pages, each with
8 runs x 10,000 steps (distinct learning rates per page, so no cache answers for
another), then asks for every page's CSV at once as the CSV button does (the streamed
route ``GET /download.csv?<link>``, ``ui/race/download.py``), ``--rounds`` times with new
settings each round. Prints each worker's resident memory before, its peak (``VmHWM``: the
most it ever held) and the reply sizes. Target: every worker's peak at most ``--ceiling``
MB (400). Loopback only.
"""

from __future__ import annotations

import argparse
import sys
import threading
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from loadtest.dash_client import Http, Stack, hwm_bytes, rss_bytes  # noqa: E402

MB = 1024 * 1024


def race_search(page: int, round_: int, runs: int = 8, steps: int = 10_000) -> str:
    lrs = [0.002 + 0.0003 * (page * runs + i) + 0.00001 * round_ for i in range(runs)]
    return "?surface=rosenbrock&" + "&".join(f"run=adam(lr={lr:.5f})" for lr in lrs) + f"&steps={steps}"


def streamed_round(url: str, exports: int, round_: int, steps: int = 10_000) -> list[tuple[int, int, str]]:
    results: list = [None] * exports

    def fetch(i: int) -> None:
        http = Http(url, timeout=300)
        try:
            reply = http.get("/download.csv" + race_search(i, round_, steps=steps))
            shown = "" if reply.status == 200 else reply.body[:100].decode(errors="replace")
            results[i] = (reply.status, len(reply.body), shown)
        except Exception as exc:
            results[i] = (0, 0, f"{type(exc).__name__}: {exc}")
        finally:
            http.close()

    threads = [threading.Thread(target=fetch, args=(i,)) for i in range(exports)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(600)
    return results


def measure(server: Stack, exports: int = 4, rounds: int = 1, steps: int = 10_000) -> dict:
    workers = server.workers()
    before = {pid: (rss_bytes(pid) or 0) / MB for pid in workers}
    replies = []
    for round_ in range(rounds):
        replies += streamed_round(server.url, exports, round_, steps)
    peaks = {pid: (hwm_bytes(pid) or 0) / MB for pid in workers}
    after = {pid: (rss_bytes(pid) or 0) / MB for pid in workers}
    return {
        "exports": exports, "rounds": rounds,
        "workers": {pid: {"rss_before_mb": round(before[pid], 1), "peak_mb": round(peaks[pid], 1),
                          "rss_after_mb": round(after[pid], 1)} for pid in workers},
        "replies": [{"status": s, "bytes": b, "page_shows": shown or "the file"} for s, b, shown in replies],
        "same_workers": server.workers() == workers,
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--exports", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--ceiling", type=float, default=400.0, help="MB a worker may reach")
    args = parser.parse_args(argv)
    if not 1 <= args.exports <= 32 or not 1 <= args.rounds <= 20:
        parser.error("--exports 1..32, --rounds 1..20")
    with Stack(workers=args.workers, threads=args.threads) as server:
        result = measure(server, args.exports, args.rounds)
    print(f"{args.exports} concurrent CSV exports of 8 runs x 10,000 steps (GET /download.csv), "
          f"{args.rounds} round(s):")
    for pid, w in result["workers"].items():
        print(f"   worker {pid}: {w['rss_before_mb']} MB before, peak {w['peak_mb']} MB, {w['rss_after_mb']} MB after")
    sizes = sorted({r["bytes"] for r in result["replies"]})
    print(f"   replies: {[r['status'] for r in result['replies']]}, {sizes[0]:,}..{sizes[-1]:,} bytes, "
          f"page shows: {sorted({r['page_shows'] for r in result['replies']})}")
    problems = [pid for pid, w in result["workers"].items() if w["peak_mb"] > args.ceiling]
    if not result["same_workers"]:
        print("   FAIL: a worker was replaced during the run (killed?): its peak is not measured")
        return 1
    for pid in problems:
        print(f"   FAIL: worker {pid} peaked at {result['workers'][pid]['peak_mb']} MB (ceiling {args.ceiling:g} MB)")
    return 1 if problems or any(r["status"] != 200 for r in result["replies"]) else 0


if __name__ == "__main__":
    sys.exit(main())
