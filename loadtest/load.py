"""Load test: simulated students dragging sliders and loading lessons, on loopback.

    python loadtest/load.py --users 50 --seconds 60            # starts scripts/serve.sh (2 workers) itself
    python loadtest/load.py --url http://127.0.0.1:8050 ...     # or points at a running server

Each user is a thread with its own keep-alive connection that behaves like one browser
tab (``loadtest/dash_client.py`` builds the same requests dash-renderer sends): it opens
the page (HTML, layout, dependencies, the first callback), then repeats gestures until
the time is up: a slider drag (3-10 moves, one request each, ``--think`` seconds apart,
as ``updatemode="drag"`` sends them), sometimes a lesson (preset) or a page reload,
with ``--pause`` seconds between gestures.

An *error* is a reply other than 200/204, a reply slower than ``--timeout``, a request
that failed twice, or a legitimate gesture answered with a "values were refused"
message. A request that fails on a reused keep-alive connection is sent again once on a
new connection, as browsers do; those are counted as *retried* (zero unless a worker
died). Loopback only, bounded in users and time; it stops by itself.
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from loadtest.dash_client import (  # noqa: E402
    CALLBACK_PATH,
    Stack,
    Http,
    Page,
    Reply,
    User,
    percentile,
)

MAX_USERS = 500
MAX_SECONDS = 3600


@dataclass
class Sample:
    kind: str
    start: float        # monotonic time the request was sent
    seconds: float
    status: int         # 0: no reply (connection failed twice)
    retried: bool = False
    refused: bool = False
    user: int = -1


@dataclass
class Stats:
    samples: list[Sample] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, sample: Sample, failure: str | None = None) -> None:
        with self.lock:
            self.samples.append(sample)
            if failure:
                self.failures.append(failure)

    def summary(self, seconds: float, slow: float) -> dict:
        lat = [s.seconds for s in self.samples if s.status in (200, 204)]
        errors = [s for s in self.samples if s.status not in (200, 204) or s.refused or s.seconds > slow]
        by_kind: dict[str, int] = {}
        for s in self.samples:
            by_kind[s.kind] = by_kind.get(s.kind, 0) + 1
        return {
            "requests": len(self.samples),
            "seconds": round(seconds, 1),
            "requests_per_s": round(len(self.samples) / seconds, 1) if seconds else 0.0,
            "p50_ms": round(percentile(lat, 50) * 1000, 1),
            "p95_ms": round(percentile(lat, 95) * 1000, 1),
            "p99_ms": round(percentile(lat, 99) * 1000, 1),
            "max_ms": round(max(lat, default=0.0) * 1000, 1),
            "errors": len(errors),
            # not answered, or answered with a refusal (slow replies are errors, not failures)
            "failed": sum(1 for s in self.samples if s.status not in (200, 204) or s.refused),
            "retried": sum(s.retried for s in self.samples),
            "by_kind": by_kind,
            "first_failures": self.failures[:5],
        }


class SimUser:
    """A :class:`User` whose every request is timed, checked and recorded."""

    def __init__(self, url: str, deps: list[dict], stats: Stats, rng: random.Random, timeout: float,
                 number: int = -1):
        self.user = User(url, rng, timeout=timeout)
        self.deps, self.stats, self.rng, self.number = deps, stats, rng, number

    def _send(self, kind: str, send) -> Reply | None:
        """One request; on a connection failure, once more on a new connection."""
        start = time.monotonic()
        retried = False
        for attempt in (1, 2):
            try:
                reply = send()
                break
            except (OSError, http.client.HTTPException) as exc:  # reset, refused, timed out
                if attempt == 2:
                    self.stats.add(Sample(kind, start, time.monotonic() - start, 0, True, user=self.number),
                                   f"{kind}: {type(exc).__name__}: {exc} (after a retry)")
                    return None
                retried = True
        refused = False
        if kind in ("drag", "preset") and reply.status == 200:
            refused = "refused" in self.user.alerts_text().lower()
        failure = None
        if reply.status not in (200, 204) or refused:
            failure = f"{kind}: HTTP {reply.status} {reply.body[:200]!r}" + (" (refused)" if refused else "")
        self.stats.add(Sample(kind, start, reply.seconds, reply.status, retried, refused, self.number), failure)
        return reply

    def open(self) -> bool:
        user = self.user
        page_reply = self._send("page", lambda: user.http.get("/"))
        layout = self._send("layout", lambda: user.http.get("/_dash-layout"))
        if page_reply is None or layout is None or layout.status != 200:
            return False
        user.page = Page(layout.json(), self.deps)
        user.page.set("url", "search", "")
        return self._send("load", lambda: user.trigger("url", "search")) is not None

    def drag(self, moves: int, think: float, deadline: float) -> None:
        page = self.user.page
        sliders = [i for i in page.ids(type="hparam")  # sliders, not the on/off settings
                   if "min" in page.props(i) and isinstance(page.props(i).get("value"), (int, float))]
        if not sliders:
            return
        lrs = [s for s in sliders if s.get("name") == "lr"]
        slider = self.rng.choice(lrs if lrs and self.rng.random() < 0.6 else sliders)
        props = page.props(slider)
        low, high = float(props.get("min", 0.0)), float(props.get("max", 1.0))
        value = float(props.get("value", (low + high) / 2))
        direction = self.rng.choice((-1, 1))
        for _ in range(moves):
            if time.monotonic() >= deadline:
                return
            value += direction * (high - low) / 100
            if not low <= value <= high:
                direction, value = -direction, min(max(value, low), high)
            moved = round(value, 5)
            self._send("drag", lambda: self.user.trigger(slider, "value", moved))
            if think:
                time.sleep(think)

    def preset(self) -> None:
        buttons = self.user.lesson_buttons()
        if buttons:
            button = self.rng.choice(buttons)
            clicks = (self.user.page.get(button, "n_clicks") or 0) + 1
            self._send("preset", lambda: self.user.trigger(button, "n_clicks", clicks))


def user_loop(url: str, deps: list[dict], stats: Stats, seed: int, deadline: float,
              think: float, pause: float, timeout: float) -> None:
    rng = random.Random(seed)
    sim = SimUser(url, deps, stats, rng, timeout, number=seed)
    time.sleep(rng.uniform(0, min(1.0, pause * 2)))  # students do not all arrive in the same millisecond
    try:
        if not sim.open():
            return
        while time.monotonic() < deadline:
            roll = rng.random()
            if roll < 0.85:
                sim.drag(rng.randint(3, 10), think, deadline)
            elif roll < 0.97:
                sim.preset()
            else:
                sim.open()  # a reload: the page, its layout and the first callback again
            time.sleep(rng.uniform(0.5, 1.5) * pause)
    except Exception as exc:  # a bug in this script or a reply it cannot read: an error, loudly
        stats.add(Sample("crash", time.monotonic(), 0.0, 0), f"user {seed} stopped: {type(exc).__name__}: {exc}")
    finally:
        sim.user.http.close()


def dependencies(url: str) -> list[dict]:
    http = Http(url)
    try:
        return http.get("/_dash-dependencies").json()
    finally:
        http.close()


def run_load(url: str, users: int, seconds: float, think: float = 0.05, pause: float = 0.5,
             timeout: float = 30.0, seed: int = 0, on_tick=None) -> tuple[Stats, float]:
    """Run ``users`` threads against ``url`` for ``seconds``; returns (stats, elapsed).

    ``on_tick(elapsed)`` is called about once a second from the calling thread (the
    soak samples memory there; the kill test kills a worker there).
    """
    if not 1 <= users <= MAX_USERS or not 0 < seconds <= MAX_SECONDS:
        raise ValueError(f"users must be 1..{MAX_USERS} and seconds 0..{MAX_SECONDS}")
    deps = dependencies(url)
    stats = Stats()
    start = time.monotonic()
    deadline = start + seconds
    threads = [threading.Thread(target=user_loop, daemon=True, name=f"user-{i}",
                                args=(url, deps, stats, seed * 10_000 + i, deadline, think, pause, timeout))
               for i in range(users)]
    for thread in threads:
        thread.start()
    hard_stop = deadline + timeout + 5  # a request stuck past its timeout: stop waiting
    next_tick = start
    while any(t.is_alive() for t in threads) and time.monotonic() < hard_stop:
        now = time.monotonic()
        if on_tick is not None and next_tick <= now < deadline:
            on_tick(now - start)
            next_tick = now + 1.0
        time.sleep(0.05)
    return stats, min(time.monotonic(), deadline + timeout) - start


def parse_args(argv=None, description=__doc__):
    parser = argparse.ArgumentParser(description=description.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--think", type=float, default=0.05, help="seconds between moves of a drag")
    parser.add_argument("--pause", type=float, default=0.5, help="mean seconds between gestures")
    parser.add_argument("--timeout", type=float, default=30.0, help="per-request timeout (s)")
    parser.add_argument("--slow", type=float, default=2.0, help="a reply slower than this counts as an error")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers when the script starts it")
    parser.add_argument("--threads", type=int, default=4, help="gunicorn threads per worker")
    parser.add_argument("--url", help="a running server on loopback instead of starting scripts/serve.sh")
    parser.add_argument("--front", choices=["nginx", "none"], default="nginx",
                        help="what scripts/serve.sh puts on the port (none: gunicorn alone)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    server = None
    url = args.url
    if url is None:
        server = Stack(workers=args.workers, threads=args.threads, front=args.front)
        server.wait_ready()
        url = server.url
    try:
        stats, elapsed = run_load(url, args.users, args.seconds, args.think, args.pause, args.timeout, args.seed)
    finally:
        if server is not None:
            server.stop()
    summary = stats.summary(elapsed, args.slow)
    summary.update(users=args.users, workers=args.workers if server else None)
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        print(f"{args.users} users, {summary['seconds']} s: {summary['requests']} requests, "
              f"{summary['requests_per_s']} req/s, p50 {summary['p50_ms']} ms, p95 {summary['p95_ms']} ms, "
              f"p99 {summary['p99_ms']} ms, max {summary['max_ms']} ms, errors {summary['errors']}, "
              f"retried {summary['retried']}  {summary['by_kind']}")
        for failure in summary["first_failures"]:
            print("  ", failure)
    return 0 if summary["errors"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
