"""The heaviest valid request, alone and against a class of students. Loopback only.

    python loadtest/heavy.py one                        # its time, CPU and reply size
    python loadtest/heavy.py class --seconds 30         # 10 students, then 10 students + 4 loopers
    python loadtest/heavy.py all

Starts ``scripts/serve.sh`` itself (the CPU figures are read from its workers).

* **one**: the heaviest request the page can send: a typed 8-factor surface, 8 Newton
  runs x 10,000 steps, noise fan 20, every instrument on (one ``/_dash-update-component``
  request of about 2.3 kB, the load of a shared link). Prints its wall time, the CPU
  time the app's workers spent on it (``/proc``, summed over the workers), the reply's
  size and what the page shows (a result, a refusal naming what to reduce, or "busy").
  Target: answered within 5 s, at most 5 CPU-seconds.
* **class**: ``--students`` simulated students (``load.py``: slider drags, lessons,
  reloads) for ``--seconds``; then the same with ``--loopers`` clients sending the
  heaviest request over and over. Prints each phase's p95 and failed student requests,
  and the ratio. Target: p95 with the loopers <= 3x without and <= 500 ms, zero failed
  student requests. ``--fan 0`` makes the heavy request the same set-up without its
  noise fan: just under the default budget, so it is computed rather than refused.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from pathlib import Path
from urllib.parse import quote

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from loadtest.dash_client import Stack, User, cpu_seconds  # noqa: E402
from loadtest.load import run_load  # noqa: E402

EIGHT_FACTORS = "(x-1)*(x+1)*(y-1)*(y+1)*(x-2)*(x+2)*(y-2)*(y+2)"
EVERY_INSTRUMENT = "grad,rescaled,velocity,step,angle,lr,sharpness,readout,view3d"


def heaviest_search(variant: int = 0, fan: int = 20) -> str:
    """The URL query of the heaviest set-up the page accepts. ``variant`` shifts the
    learning rates, so loopers can send distinct requests (no cache can answer them);
    ``fan=0`` drops the noise fan (a set-up just under a 2-second budget)."""
    shift = 0.00002 * (variant % 4000)  # 4,000 distinct set-ups, every learning rate in range
    runs = "&".join(f"run=newton(lr={0.1 + 0.05 * i + shift:.5f})" for i in range(8))
    return (f"?surface=custom(xmin=-3,xmax=3,ymin=-3,ymax=3)&f={quote(EIGHT_FACTORS, safe='()*-')}&{runs}"
            f"&steps=10000&noise=0.5&fan={fan}&show={EVERY_INSTRUMENT}")


def outcome(user: User) -> str:
    """What the page shows after the reply: "result", or the alert's first words."""
    text = user.alerts_text().strip()
    return "result" if not text else text[:120]


def send_heavy(user: User, variant: int, fan: int = 20) -> tuple[int, float, int, str]:
    """(status, seconds, reply bytes, outcome) of one heaviest request on an open page."""
    reply = user.trigger("url", "search", heaviest_search(variant, fan))
    return reply.status, reply.seconds, len(reply.body), outcome(user) if reply.status == 200 else "-"


def one(server: Stack, variant: int = 0, fan: int = 20) -> dict:
    user = User(server.url, timeout=120)
    user.open()
    workers = server.workers()
    before = {pid: cpu_seconds(pid) or 0.0 for pid in workers}
    status, seconds, size, shown = send_heavy(user, variant, fan)
    time.sleep(0.2)  # work that goes on after the reply (there should be none) shows here
    cpu = sum((cpu_seconds(pid) or 0.0) - before[pid] for pid in workers)
    user.http.close()
    return {"status": status, "seconds": round(seconds, 2), "cpu_seconds": round(cpu, 2),
            "reply_bytes": size, "request_bytes": len(heaviest_search(variant, fan)), "page_shows": shown}


def loopers(url: str, n: int, stop: threading.Event, results: list, lock: threading.Lock,
            fan: int = 20) -> list[threading.Thread]:
    def loop(k: int) -> None:
        user = User(url, timeout=120)
        user.open()
        variant = k * 500
        while not stop.is_set():
            variant += 1
            try:
                status, seconds, _, shown = send_heavy(user, variant, fan)
            except Exception as exc:  # a failed heavy request is counted, not raised
                status, seconds, shown = 0, 0.0, f"{type(exc).__name__}"
                user.http.close()
            with lock:
                results.append((status, seconds, shown))
        user.http.close()

    threads = [threading.Thread(target=loop, args=(k,), daemon=True) for k in range(n)]
    for thread in threads:
        thread.start()
    return threads


def classroom(server: Stack, students: int = 10, seconds: float = 30.0, n_loopers: int = 4, fan: int = 20) -> dict:
    quiet, quiet_elapsed = run_load(server.url, users=students, seconds=seconds, seed=1)
    stop, lock, heavy = threading.Event(), threading.Lock(), []
    threads = loopers(server.url, n_loopers, stop, heavy, lock, fan)
    time.sleep(1.0)  # the loopers are at work
    loud, loud_elapsed = run_load(server.url, users=students, seconds=seconds, seed=2)
    stop.set()
    for thread in threads:
        thread.join(150)
    a, b = quiet.summary(quiet_elapsed, slow=2.0), loud.summary(loud_elapsed, slow=2.0)
    kinds: dict[str, int] = {}
    for status, _, shown in heavy:
        key = f"{status} {shown.split(':')[0].split('.')[0][:60]}"
        kinds[key] = kinds.get(key, 0) + 1
    return {
        "students": students, "seconds": seconds, "loopers": n_loopers,
        "without": {k: a[k] for k in ("requests", "p50_ms", "p95_ms", "max_ms", "errors", "failed")},
        "with": {k: b[k] for k in ("requests", "p50_ms", "p95_ms", "max_ms", "errors", "failed")},
        "p95_ratio": round(b["p95_ms"] / a["p95_ms"], 2) if a["p95_ms"] else None,
        "heavy_requests": len(heavy),
        "heavy_outcomes": kinds,
        "failures": b["first_failures"],
    }


def one_verdict(result: dict) -> list[str]:
    problems = []
    if result["status"] != 200:
        problems.append(f"answered {result['status']}")
    if result["seconds"] > 5:
        problems.append(f"took {result['seconds']} s (target: within 5 s)")
    if result["cpu_seconds"] > 5:
        problems.append(f"burned {result['cpu_seconds']} CPU-seconds (target: at most 5)")
    return problems


def class_verdict(result: dict) -> list[str]:
    problems = []
    if result["with"]["errors"]:
        problems.append(f"{result['with']['errors']} failed student requests")
    if result["p95_ratio"] is None or result["p95_ratio"] > 3:
        problems.append(f"p95 ratio {result['p95_ratio']} (target <= 3)")
    if result["with"]["p95_ms"] > 500:
        problems.append(f"p95 {result['with']['p95_ms']} ms with the loopers (target <= 500 ms)")
    return problems


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("what", choices=["one", "class", "all"])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--students", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--loopers", type=int, default=4)
    parser.add_argument("--fan", type=int, default=20, help="the heavy request's noise fan (0: just under the budget)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if not 1 <= args.students <= 200 or not 0 < args.seconds <= 600 or not 0 <= args.loopers <= 32:
        parser.error("students 1..200, seconds up to 600, loopers 0..32")
    server = Stack(workers=args.workers, threads=args.threads)  # CPU is read from its workers
    server.wait_ready()
    failed = False
    try:
        if args.what in ("one", "all"):
            result = one(server, fan=args.fan)
            problems = one_verdict(result)
            print(json.dumps(result) if args.json else f"heaviest request: {result}")
            for problem in problems:
                print("   FAIL:", problem)
            failed |= bool(problems)
        if args.what in ("class", "all"):
            result = classroom(server, args.students, args.seconds, args.loopers, args.fan)
            problems = class_verdict(result)
            if args.json:
                print(json.dumps(result, indent=2))
            else:
                print(f"{args.students} students, {args.seconds:g} s each phase: without loopers p95 "
                      f"{result['without']['p95_ms']} ms ({result['without']['errors']} failed), with "
                      f"{args.loopers} loopers p95 {result['with']['p95_ms']} ms ({result['with']['errors']} failed): "
                      f"ratio {result['p95_ratio']}")
                print(f"   heavy requests: {result['heavy_requests']}, {result['heavy_outcomes']}")
                for failure in result["failures"]:
                    print("   ", failure)
            for problem in problems:
                print("   FAIL:", problem)
            failed |= bool(problems)
    finally:
        server.stop()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
