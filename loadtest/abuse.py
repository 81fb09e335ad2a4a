"""Idle, slow and stalled clients against the production stack, with probes and ordinary
slider requests measured while it happens. Loopback only; every run is bounded.

    python loadtest/abuse.py idle --connections 2100 --hold 10
    python loadtest/abuse.py slow --slowloris 64 --slowloris-seconds 40 --readers 32 --readers-seconds 30
    python loadtest/abuse.py all                     # both, with the figures of the README

Starts ``scripts/serve.sh`` itself (``--url`` points at a running one instead;
``--front none`` runs gunicorn alone on the port, to compare).

* **idle**: ``--connections`` TCP connections that never send a byte, held ``--hold``
  seconds, then closed. A ``/healthz`` probe every 0.1 s on a new connection, during and
  for ``--after`` seconds after. Reports the share of probes answered during, whether
  every probe after was answered within 5 s, and how many idle sockets the server
  closed by itself (nginx's ``client_header_timeout``).
* **slow**: ``--slowloris`` sockets that send a partial request header and then one
  more byte every ``--interval`` seconds (reconnecting whenever the server drops them,
  as an attacker would), and ``--readers`` sockets that ask for Plotly's 4.8 MB bundle
  uncompressed and read it at ``--read-rate`` bytes/s (reconnecting likewise). Meanwhile
  probes and ``--students`` simulated students dragging sliders. Reports, for probes
  and slider requests, the share answered and the share answered within 2 s.

Each reported figure is printed; the exit status is 1 when a figure misses its target
(idle: >= 80% of probes answered during, all within 5 s after; slow: >= 90% of probes
and slider requests answered, each within 2 s).
"""

from __future__ import annotations

import argparse
import json
import resource
import socket
import sys
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from loadtest.dash_client import Http, Stack, User, percentile  # noqa: E402

BUNDLE = "/_dash-component-suites/plotly/package_data/plotly.min.js"
MAX_CONNECTIONS = 20_000
MAX_SECONDS = 600


def raise_file_limit() -> int:
    """Soft open-file limit up to the hard one (one descriptor per socket here)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if hard != resource.RLIM_INFINITY else 1 << 20
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def _address(url: str) -> tuple[str, int]:
    parsed = urllib.parse.urlsplit(url)
    if parsed.hostname not in ("127.0.0.1", "localhost", "::1"):
        raise ValueError(f"loopback only: refusing to attack {parsed.hostname!r}")
    return parsed.hostname, parsed.port or 80


# ------------------------------------------------------------------------------
# what is measured while it happens
# ------------------------------------------------------------------------------

@dataclass
class Timed:
    sent: float       # monotonic
    ok: bool          # a 200 (a slider request: and no "refused" message)
    seconds: float    # until the reply, or until the failure


@dataclass
class Series:
    name: str
    items: list[Timed] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, item: Timed) -> None:
        with self.lock:
            self.items.append(item)

    def window(self, start: float, end: float) -> list[Timed]:
        return [t for t in self.items if start <= t.sent < end]

    @staticmethod
    def figures(items: list[Timed], within: float = 2.0) -> dict:
        answered = [t for t in items if t.ok]
        fast = [t for t in answered if t.seconds <= within]
        return {
            "sent": len(items),
            "answered": len(answered),
            "answered_pct": round(100 * len(answered) / len(items), 1) if items else 0.0,
            f"within_{within:g}s_pct": round(100 * len(fast) / len(items), 1) if items else 0.0,
            "p50_ms": round(percentile([t.seconds for t in answered], 50) * 1000, 1) if answered else None,
            "p95_ms": round(percentile([t.seconds for t in answered], 95) * 1000, 1) if answered else None,
            "max_ms": round(max((t.seconds for t in answered), default=0.0) * 1000, 1),
        }


def probe_loop(url: str, series: Series, stop: threading.Event, every: float = 0.1, timeout: float = 10.0) -> None:
    """GET /healthz on a new connection every ``every`` s (each in its own thread, so a
    stuck probe does not delay the next)."""
    def one() -> None:
        sent = time.monotonic()
        http = Http(url, timeout=timeout)
        try:
            reply = http.get("/healthz")
            series.add(Timed(sent, reply.status == 200, time.monotonic() - sent))
        except Exception:  # refused, reset, timed out
            series.add(Timed(sent, False, time.monotonic() - sent))
        finally:
            http.close()

    threads = []
    while not stop.is_set():
        thread = threading.Thread(target=one, daemon=True)
        thread.start()
        threads.append(thread)
        stop.wait(every)
    for thread in threads:
        thread.join(timeout + 1)


def student_loop(user: User, series: Series, stop: threading.Event, think: float = 0.2, timeout: float = 10.0) -> None:
    """One student who already has the page open, moving the learning-rate slider."""
    page = user.page
    sliders = [i for i in page.ids(type="hparam") if "min" in page.props(i)]
    slider = next((s for s in sliders if s.get("name") == "lr"), sliders[0])
    props = page.props(slider)
    low, high = float(props["min"]), float(props["max"])
    value, direction = float(props["value"]), 1
    while not stop.is_set():
        value += direction * (high - low) / 100
        if not low <= value <= high:
            direction, value = -direction, min(max(value, low), high)
        sent = time.monotonic()
        try:
            reply = user.trigger(slider, "value", round(value, 5))
            ok = reply.status == 200 and "refused" not in user.alerts_text().lower()
        except Exception:
            ok = False
            user.http.close()
        series.add(Timed(sent, ok, time.monotonic() - sent))
        stop.wait(think)


# ------------------------------------------------------------------------------
# idle connections
# ------------------------------------------------------------------------------

def open_idle(host: str, port: int, n: int, timeout: float = 5.0) -> tuple[list[socket.socket], int]:
    socks, failed = [], 0
    for _ in range(n):
        try:
            sock = socket.create_connection((host, port), timeout=timeout)
            sock.setblocking(False)
            socks.append(sock)
        except OSError:
            failed += 1
    return socks, failed


def closed_by_server(sock: socket.socket) -> bool:
    try:
        return sock.recv(1, socket.MSG_PEEK) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True


def idle(url: str, connections: int = 2100, hold: float = 10.0, after: float = 5.0) -> dict:
    if not 1 <= connections <= MAX_CONNECTIONS or not 0 < hold <= MAX_SECONDS:
        raise ValueError("connections must be 1..20000 and hold 0..600 s")
    host, port = _address(url)
    raise_file_limit()
    probes, stop = Series("probes"), threading.Event()
    prober = threading.Thread(target=probe_loop, args=(url, probes, stop), daemon=True)
    started = time.monotonic()
    socks, failed = open_idle(host, port, connections)
    opened = time.monotonic()
    prober.start()
    time.sleep(hold)
    server_closed = sum(closed_by_server(s) for s in socks)
    for sock in socks:
        sock.close()
    released = time.monotonic()
    time.sleep(after)
    stop.set()
    prober.join(30)
    after_items = probes.window(released, released + after)
    return {
        "connections": connections,
        "opened": len(socks),
        "refused_while_opening": failed,
        "seconds_to_open": round(opened - started, 1),
        "held_s": hold,
        "closed_by_server_while_held": server_closed,
        "probes_during": Series.figures(probes.window(opened, released)),
        "probes_after": Series.figures(after_items, within=5.0),
        "all_answered_within_5s_after": bool(after_items) and all(t.ok and t.seconds <= 5.0 for t in after_items),
    }


# ------------------------------------------------------------------------------
# slowloris and slow readers
# ------------------------------------------------------------------------------

@dataclass
class Attack:
    connects: int = 0
    dropped_by_server: int = 0
    bytes_read: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self, **deltas: int) -> None:
        with self.lock:
            for key, value in deltas.items():
                setattr(self, key, getattr(self, key) + value)


def slowloris_socket(host: str, port: int, until: float, interval: float, attack: Attack) -> None:
    """A partial header, then one byte every ``interval`` s; a new socket when dropped."""
    while time.monotonic() < until:
        try:
            sock = socket.create_connection((host, port), timeout=5)
        except OSError:
            time.sleep(0.5)
            continue
        attack.count(connects=1)
        try:
            sock.sendall(b"GET /?slow HTTP/1.1\r\nHost: localhost\r\nX-a: ")
            while time.monotonic() < until:
                time.sleep(min(interval, max(0.0, until - time.monotonic())))
                if time.monotonic() >= until:
                    break
                sock.sendall(b"b")
                if closed_by_server_blocking(sock):
                    attack.count(dropped_by_server=1)
                    break
        except OSError:
            attack.count(dropped_by_server=1)
        finally:
            sock.close()


def closed_by_server_blocking(sock: socket.socket) -> bool:
    sock.setblocking(False)
    try:
        return closed_by_server(sock)
    finally:
        sock.setblocking(True)


def slow_reader_socket(host: str, port: int, until: float, rate: int, attack: Attack) -> None:
    """Ask for the 4.8 MB bundle uncompressed, read ``rate`` bytes a second; a new socket
    when dropped (nginx's send_timeout drops a reader that takes nothing for 10 s)."""
    while time.monotonic() < until:
        try:
            sock = socket.socket()
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            sock.settimeout(5)
            sock.connect((host, port))
        except OSError:
            time.sleep(0.5)
            continue
        attack.count(connects=1)
        try:
            sock.sendall(f"GET {BUNDLE} HTTP/1.1\r\nHost: localhost\r\nAccept-Encoding: identity\r\n\r\n".encode())
            while time.monotonic() < until:
                if rate:
                    chunk = sock.recv(rate)
                    if not chunk:
                        attack.count(dropped_by_server=1)
                        break
                    attack.count(bytes_read=len(chunk))
                time.sleep(1.0)
        except OSError:
            attack.count(dropped_by_server=1)
        finally:
            sock.close()


def slow(url: str, slowloris: int = 64, slowloris_seconds: float = 40.0, readers: int = 32,
         readers_seconds: float = 30.0, interval: float = 10.0, read_rate: int = 0, students: int = 4,
         think: float = 0.2) -> dict:
    if not 0 <= slowloris <= 5000 or not 0 <= readers <= 5000 or not 0 < max(slowloris_seconds, readers_seconds) <= MAX_SECONDS:
        raise ValueError("at most 5,000 sockets of each kind and 600 s")
    host, port = _address(url)
    raise_file_limit()
    users = []
    for _ in range(students):  # pages opened before the attack, as students in class would have
        user = User(url, timeout=10)
        user.open()
        users.append(user)
    probes, sliders, stop = Series("probes"), Series("sliders"), threading.Event()
    watchers = [threading.Thread(target=probe_loop, args=(url, probes, stop), daemon=True)]
    watchers += [threading.Thread(target=student_loop, args=(u, sliders, stop, think), daemon=True) for u in users]
    start = time.monotonic()
    loris, reading = Attack(), Attack()
    attackers = [threading.Thread(target=slowloris_socket, daemon=True,
                                  args=(host, port, start + slowloris_seconds, interval, loris))
                 for _ in range(slowloris)]
    attackers += [threading.Thread(target=slow_reader_socket, daemon=True,
                                   args=(host, port, start + readers_seconds, read_rate, reading))
                  for _ in range(readers)]
    for thread in attackers:
        thread.start()
    time.sleep(0.5)  # the sockets are in place
    for thread in watchers:
        thread.start()
    end = start + max(slowloris_seconds, readers_seconds)
    time.sleep(max(0.0, end - time.monotonic()))
    stop.set()
    for thread in watchers:
        thread.join(30)
    for thread in attackers:
        thread.join(interval + 10)
    for user in users:
        user.http.close()
    return {
        "slowloris": {"sockets": slowloris, "seconds": slowloris_seconds, "interval_s": interval,
                      "connects": loris.connects, "dropped_by_server": loris.dropped_by_server},
        "slow_readers": {"sockets": readers, "seconds": readers_seconds, "read_bytes_per_s": read_rate,
                         "connects": reading.connects, "dropped_by_server": reading.dropped_by_server,
                         "bytes_read": reading.bytes_read},
        "probes": Series.figures(probes.window(start, end)),
        "slider_requests": Series.figures(sliders.window(start, end)),
        "students": students,
    }


# ------------------------------------------------------------------------------
# targets and the command line
# ------------------------------------------------------------------------------

def idle_verdict(result: dict) -> list[str]:
    problems = []
    if result["probes_during"]["answered_pct"] < 80:
        problems.append(f"only {result['probes_during']['answered_pct']}% of probes answered during (target 80%)")
    if not result["all_answered_within_5s_after"]:
        problems.append("not every probe after the idle connections closed was answered within 5 s")
    return problems


def slow_verdict(result: dict) -> list[str]:
    problems = []
    for name in ("probes", "slider_requests"):
        figures = result[name]
        if figures["within_2s_pct"] < 90:
            problems.append(f"{name}: {figures['within_2s_pct']}% answered within 2 s (target 90%)")
    return problems


def _print(title: str, result: dict, problems: list[str], as_json: bool) -> None:
    if as_json:
        print(json.dumps({"run": title, **result, "problems": problems}, indent=2))
        return
    print(f"== {title}")
    for key, value in result.items():
        print(f"   {key}: {value}")
    for problem in problems:
        print("   FAIL:", problem)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("what", choices=["idle", "slow", "all"])
    parser.add_argument("--url", help="a running server on loopback instead of starting scripts/serve.sh")
    parser.add_argument("--front", choices=["nginx", "none"], default="nginx")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--connections", type=int, default=2100)
    parser.add_argument("--hold", type=float, default=10.0)
    parser.add_argument("--after", type=float, default=5.0)
    parser.add_argument("--slowloris", type=int, default=64)
    parser.add_argument("--slowloris-seconds", type=float, default=40.0)
    parser.add_argument("--interval", type=float, default=10.0, help="seconds between a slowloris socket's bytes")
    parser.add_argument("--readers", type=int, default=32)
    parser.add_argument("--readers-seconds", type=float, default=30.0)
    parser.add_argument("--read-rate", type=int, default=0, help="bytes a slow reader reads per second (0: none)")
    parser.add_argument("--students", type=int, default=4)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    server = None
    url = args.url
    if url is None:
        server = Stack(workers=args.workers, threads=args.threads, front=args.front)
        server.wait_ready()
        url = server.url
    failed = False
    try:
        if args.what in ("idle", "all"):
            result = idle(url, args.connections, args.hold, args.after)
            problems = idle_verdict(result)
            _print(f"idle: {args.connections} connections held {args.hold:g} s (front: {args.front})",
                   result, problems, args.json)
            failed |= bool(problems)
        if args.what in ("slow", "all"):
            result = slow(url, args.slowloris, args.slowloris_seconds, args.readers, args.readers_seconds,
                          args.interval, args.read_rate, args.students)
            problems = slow_verdict(result)
            _print(f"slow: {args.slowloris} slowloris sockets for {args.slowloris_seconds:g} s, {args.readers} "
                   f"slow readers for {args.readers_seconds:g} s (front: {args.front})", result, problems, args.json)
            failed |= bool(problems)
    finally:
        if server is not None:
            server.stop()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
