"""The app as a user installs it: build the wheel, install it into a venv of its own, serve
it from an empty folder, and read what Chromium fetches (DevTools Network events).

Used by tests/package/test_wheel.py and benchmarks/bench_wire.py. The venv holds the
dependencies pinned in constraints/lock.txt (the image's set), resolved from the wheel's
own metadata the first time and kept between runs on the same machine (one per version of
the lock, under ~/.cache/descent-lab); the wheel itself is reinstalled every time.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LOCK = ROOT / "constraints" / "lock.txt"
CACHE = Path(os.environ.get("DESCENT_LAB_CACHE")
             or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "descent-lab")


def run(cmd: list[str], **kwargs) -> subprocess.CompletedProcess:
    """Run a command, raising with its output if it fails."""
    done = subprocess.run(cmd, capture_output=True, text=True, **kwargs)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, cmd))} failed ({done.returncode}):\n"
                           f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return done


def build(outdir: Path, *dists: str) -> tuple[list[Path], str]:
    """``python -m build`` the checkout into ``outdir`` (``--wheel``, ``--sdist`` or both when
    none is given: the sdist, then the wheel built from it in a clean folder, so no stale
    file of an earlier in-tree build can slip in); returns the files made and the build's
    whole output. The environment's
    PYTHONDONTWRITEBYTECODE is left out: with it distutils warns that it skips byte-compiling,
    which says nothing about the package."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    done = run([sys.executable, "-m", "build", *dists, "--outdir", str(outdir), str(ROOT)], env=env)
    return sorted(outdir.iterdir()), done.stdout + done.stderr


def venv_python(venv: Path) -> Path:
    return venv / "bin" / "python"


@contextlib.contextmanager
def _locked(path: Path):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def wheel_venv(wheel: Path) -> Path:
    """A venv with ``wheel`` installed over the lock's dependencies (see the module doc)."""
    key = hashlib.sha256(LOCK.read_bytes()).hexdigest()[:12]
    venv = CACHE / f"wheel-{key}"
    pip = [str(venv_python(venv)), "-m", "pip", "--disable-pip-version-check", "--quiet"]
    with _locked(CACHE / ".wheel.lock"):
        if not (venv / ".complete").exists():
            shutil.rmtree(venv, ignore_errors=True)
            run([sys.executable, "-m", "venv", str(venv)])
            run(pip + ["install", "-c", str(LOCK), f"{wheel}[serve]"])
            (venv / ".complete").touch()
        run(pip + ["install", "--no-deps", "--force-reinstall", str(wheel)])
        os.utime(venv)
    return venv


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def serve(command: list[str], cwd: Path, limit: float = 90.0, env: dict | None = None):
    """Start ``command`` (a server reading HOST and PORT) in ``cwd``; yields its base URL
    once /healthz answers. ``limit`` bounds a server that never comes up."""
    port = free_port()
    environ = dict(env or os.environ, HOST="127.0.0.1", PORT=str(port), DASH_DISABLE_VERSION_CHECK="true")
    for name in ("PYTHONPATH", "DASH_DEBUG", "FRAME_ANCESTORS"):
        environ.pop(name, None)
    log = tempfile.TemporaryFile(mode="w+")
    proc = subprocess.Popen(command, cwd=cwd, env=environ, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        end = time.monotonic() + limit
        while True:
            if proc.poll() is not None:
                log.seek(0)
                raise RuntimeError(f"{command[0]} exited with {proc.returncode}:\n{log.read()[-3000:]}")
            try:
                with urllib.request.urlopen(base + "/healthz", timeout=2) as reply:
                    if reply.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > end:
                raise RuntimeError(f"{command[0]} did not answer within {limit:.0f} s")
            time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


# ------------------------------------------------------------------ the browser

def chromium(width: int = 1280, height: int = 900):
    """Headless Chromium (the project's flags) logging DevTools Network events."""
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    sys.path.insert(0, str(ROOT))
    from tests.browser_flags import chromedriver_path, chromium_flags, chromium_path

    options = Options()
    for flag in chromium_flags:
        if not flag.startswith("--window-size"):
            options.add_argument(flag)
    options.add_argument(f"--window-size={width},{height}")
    options.binary_location = chromium_path
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    return webdriver.Chrome(service=Service(chromedriver_path), options=options)


@dataclass
class Fetch:
    """One request as DevTools saw it."""

    url: str
    status: int | None = None          # what reached the page (a revalidated file shows 200)
    wire_status: int | None = None     # what came over the network (304 for a revalidation)
    from_cache: bool = False           # answered by the browser's cache, no request sent
    encoded_bytes: int = 0             # bytes on the wire, headers included
    decoded_bytes: int = 0             # the body after decompression
    headers: dict = field(default_factory=dict)

    @property
    def path(self) -> str:
        return "/" + self.url.split("/", 3)[3] if self.url.count("/") >= 3 else self.url

    @property
    def revalidated(self) -> bool:
        return self.wire_status == 304


@dataclass
class Visit:
    fetches: list[Fetch]
    console: list[dict]

    @property
    def wire_bytes(self) -> int:
        return sum(f.encoded_bytes for f in self.fetches)

    @property
    def decoded_bytes(self) -> int:
        return sum(f.decoded_bytes for f in self.fetches)

    def errors(self) -> list[str]:
        return [e["message"] for e in self.console if e["level"] == "SEVERE"]


def visit(driver, url: str, ready: str, limit: float = 60.0, settle: float = 1.5) -> Visit:
    """Open ``url`` in a new navigation, wait until the JavaScript ``ready`` is true and the
    network has been quiet for ``settle`` seconds, and return what was fetched."""
    driver.get("about:blank")
    driver.get_log("performance")
    driver.get_log("browser")
    driver.get(url)
    end = time.monotonic() + limit
    while not driver.execute_script(f"return !!({ready});"):
        if time.monotonic() > end:
            raise RuntimeError(f"{url}: not ready after {limit:.0f} s ({ready})")
        time.sleep(0.1)
    fetches: dict[str, Fetch] = {}
    wire_status: dict[str, int] = {}  # ExtraInfo events may come before requestWillBeSent
    console: list[dict] = []
    quiet_since = time.monotonic()
    while time.monotonic() - quiet_since < settle and time.monotonic() < end:
        events = driver.get_log("performance")
        console.extend(driver.get_log("browser"))
        if events:
            quiet_since = time.monotonic()
        for entry in events:
            message = json.loads(entry["message"])["message"]
            method, params = message["method"], message["params"]
            rid = params.get("requestId")
            if method == "Network.requestWillBeSent" and not params["request"]["url"].startswith("data:"):
                fetches.setdefault(rid, Fetch(params["request"]["url"]))
            elif method == "Network.responseReceivedExtraInfo":
                wire_status[rid] = params.get("statusCode")
            elif rid not in fetches:
                continue
            elif method == "Network.responseReceived":
                response = params["response"]
                fetch = fetches[rid]
                fetch.status = response["status"]
                fetch.headers = {k.lower(): v for k, v in response["headers"].items()}
                fetch.from_cache = bool(fetch.from_cache or response.get("fromDiskCache")
                                        or response.get("fromMemoryCache"))
            elif method == "Network.requestServedFromCache":
                fetches[rid].from_cache = True
            elif method == "Network.dataReceived":
                fetches[rid].decoded_bytes += params.get("dataLength", 0)
            elif method == "Network.loadingFinished":
                fetches[rid].encoded_bytes = params.get("encodedDataLength", 0)
        time.sleep(0.2)
    for rid, fetch in fetches.items():
        fetch.wire_status = wire_status.get(rid)
    return Visit(list(fetches.values()), console)


PAGE_READY = "document.querySelector('#main-graph .js-plotly-plot .contour')"
