"""First requests to a freshly started server: a burst of page loads the moment its port
accepts, repeated over many starts, with and without the workers' warm-up.

    python loadtest/fresh_start.py --starts 6              # the stack as scripts/serve.sh runs it
    python loadtest/fresh_start.py --starts 6 --bare       # plus gunicorn with no warm-up, to compare

Each start: launch, wait until the port accepts a TCP connection (nothing else has
touched the app), then ``--clients`` clients at once each request the page, every
script and stylesheet it links and the bundles the renderer loads later (Plotly,
MathJax...), each client in its own order: what browsers with the page already open
send to a worker that was just replaced (a deploy, a reload, a worker restart). A start
*fails* if any reply is not a 200 (Dash marks its set-up done before it registers its
scripts, so an unwarmed worker can 404 a core script under concurrent first requests;
that page never loads).

``--bare`` also runs the same bursts against gunicorn started without
``gunicorn.conf.py`` (no ``post_worker_init`` warm-up, as the image ran before), so the
two counts print side by side. Loopback only.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from loadtest.dash_client import ROOT, Http, Stack, free_port  # noqa: E402

LINKED = re.compile(r'<(?:script|link)\b[^>]*?\b(?:src|href)="(/[^"/][^"]*)"')


@dataclass
class Result:
    client: int
    path: str
    status: int       # 0: no reply
    seconds: float


# Loaded by the renderer after the page (webpack chunks, Plotly), not linked from it.
LATER = ("/_dash-component-suites/plotly/package_data/plotly.min.js",
         "/_dash-component-suites/dash/dcc/async-graph.js",
         "/_dash-component-suites/dash/dcc/async-slider.js",
         "/_dash-component-suites/dash/dcc/async-markdown.js",
         "/_dash-component-suites/dash/dcc/async-mathjax.js",
         "/_dash-component-suites/dash/dcc/async-dropdown.js")


def page_paths() -> list[str]:
    """The page and everything a browser loads with it, from the app built in this
    process (the same files, so the same version stamps as the server's)."""
    from descent_lab.app import server

    with server.test_client().get("/") as page:
        html = page.get_data(as_text=True)
    return ["/", *dict.fromkeys(LINKED.findall(html)), "/_dash-layout", "/_dash-dependencies", *LATER]


def client(url: str, number: int, paths: list[str], results: list, lock: threading.Lock,
           barrier: threading.Barrier) -> None:
    order = list(paths)
    random.Random(number).shuffle(order)
    http = Http(url, timeout=60)
    out = []
    try:
        barrier.wait()
        for path in order:
            try:
                reply = http.get(path)
                out.append(Result(number, path, reply.status, reply.seconds))
            except OSError:
                out.append(Result(number, path, 0, 0.0))
    finally:
        http.close()
        with lock:
            results.extend(out)


def burst(url: str, clients: int = 12, paths: list[str] | None = None) -> list[Result]:
    """``clients`` simultaneous clients, each fetching every path once in its own order."""
    paths = paths or page_paths()
    results: list[Result] = []
    lock = threading.Lock()
    barrier = threading.Barrier(clients)
    threads = [threading.Thread(target=client, args=(url, i, paths, results, lock, barrier))
               for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    return results


def listening(port: int) -> bool:
    """Whether a socket listens on ``port`` (Linux /proc/net/tcp*: no connection is made,
    so nothing touches the server, and no probe can connect a socket to itself)."""
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                next(f)
                for line in f:
                    fields = line.split()
                    if fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:
                        return True
        except OSError:
            continue
    return False


def wait_for_port(server, timeout: float = 90.0) -> None:
    """Until something listens on the server's port (no HTTP request, no connection)."""
    port = int(server.url.rsplit(":", 1)[1])
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            raise RuntimeError(f"the server exited with {server.proc.returncode}")
        if listening(port):
            return
        time.sleep(0.02)
    raise TimeoutError(f"port {port} did not accept within {timeout} s")


class BareGunicorn:
    """gunicorn with the stack's worker settings but no config file (started outside the
    checkout: gunicorn reads ./gunicorn.conf.py by itself), so no warm-up."""

    def __init__(self, workers: int = 2, threads: int = 4):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        env.pop("DASH_DEBUG", None)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{self.port}", "--workers", str(workers),
             "--worker-class", "gthread", "--threads", str(threads), "descent_lab.app:server"],
            cwd=tempfile.gettempdir(), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True)

    def stop(self) -> int:
        self.proc.terminate()
        return self.proc.wait(30)


def starts(make, n: int, clients: int) -> list[dict]:
    out = []
    paths = page_paths()
    for _ in range(n):
        server = make()
        try:
            wait_for_port(server)
            results = burst(server.url, clients, paths)
        finally:
            server.stop()
        bad = [r for r in results if r.status != 200]
        out.append({"replies": len(results), "failed": len(bad),
                    "examples": sorted({f"{r.status} {r.path}" for r in bad})[:3],
                    "slowest_s": round(max((r.seconds for r in results), default=0.0), 2)})
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--starts", type=int, default=6)
    parser.add_argument("--clients", type=int, default=12)
    parser.add_argument("--bare", action="store_true", help="also gunicorn without the warm-up")
    args = parser.parse_args(argv)
    if not 1 <= args.starts <= 50 or not 1 <= args.clients <= 100:
        parser.error("--starts must be 1..50 and --clients 1..100")
    runs = [("stack (scripts/serve.sh, warmed workers)", lambda: Stack(workers=2, threads=4))]
    if args.bare:
        runs.append(("gunicorn without warm-up", lambda: BareGunicorn(workers=2, threads=4)))
    status = 0
    for name, make in runs:
        results = starts(make, args.starts, args.clients)
        failed = sum(1 for r in results if r["failed"])
        print(f"{name}: {failed} of {args.starts} fresh starts had a failed first request "
              f"({args.clients} simultaneous page loads, {results[0]['replies']} replies each)")
        for i, r in enumerate(results):
            if r["failed"]:
                print(f"   start {i + 1}: {r['failed']} failed, e.g. {', '.join(r['examples'])}")
        if name.startswith("stack") and failed:
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
