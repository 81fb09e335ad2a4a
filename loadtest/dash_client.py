"""A headless stand-in for the Dash renderer, over plain HTTP (stdlib only).

It does what the browser does for Descent Lab's server side: reads ``/_dash-layout``
and ``/_dash-dependencies``, keeps every component's props by id, builds the
``/_dash-update-component`` body for a callback exactly as dash-renderer does
(checked against requests captured from Chromium)::

    {"output": "..state-store.data...paths-store.data..",         # callback key
     "outputs": [{"id": "state-store", "property": "data"}, ...],  # a dict if single
     "inputs": [{"id": "url", "property": "search", "value": ""},
                [{"id": {"type": "hparam", "run": 0, "name": "lr"},  # ALL: a list
                  "property": "value", "value": -0.7}, ...], ...],
     "state": [{"id": "state-store", "property": "data", "value": {...}}, ...],
     "changedPropIds": ["{\\"name\\":\\"lr\\",\\"run\\":0,\\"type\\":\\"hparam\\"}.value"]}

and applies the reply to its props (new run cards bring new slider ids). Nothing in
here knows the app's ids beyond what the server describes, so the load scripts and the
fuzz test follow the app as it changes.

Used by ``loadtest/load.py``, ``soak.py``, ``kill_worker.py`` and ``tests/server``.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

ROOT = Path(__file__).resolve().parent.parent
CALLBACK_PATH = "/_dash-update-component"
WILDCARDS = ('["ALL"]', '["MATCH"]', '["ALLSMALLER"]')


# ------------------------------------------------------------------------------
# ids
# ------------------------------------------------------------------------------

def stringify_id(id_: Any) -> str:
    """Dash's id string: a plain id as is; a dict id as JSON with sorted keys."""
    if isinstance(id_, dict):
        return "{" + ",".join(f"{json.dumps(k)}:{json.dumps(id_[k])}" for k in sorted(id_)) + "}"
    return id_


def prop_id(id_: Any, prop: str) -> str:
    return f"{stringify_id(id_)}.{prop}"


def _pattern(spec_id: str) -> dict | None:
    return json.loads(spec_id) if spec_id.startswith("{") else None


def _matches(pattern: dict, id_: Any) -> bool:
    if not isinstance(id_, dict) or set(pattern) != set(id_):
        return False
    return all(isinstance(v, list) or id_[k] == v for k, v in pattern.items())


def split_output_key(key: str) -> list[tuple[str, str]]:
    """(id, property) of each output in a callback key, split at the last dot as the
    renderer does: an ``allow_duplicate`` output keeps its ``@hash`` in the property
    (``alerts.children@3fa2...``), and the renderer sends it so."""
    parts = key[2:-2].split("...") if key.startswith("..") else [key]
    # a callback without outputs has a hash for a key: no id, no property
    return [tuple(part.rsplit(".", 1)) if "." in part else (part, "") for part in parts]


# ------------------------------------------------------------------------------
# HTTP
# ------------------------------------------------------------------------------

@dataclass
class Reply:
    status: int
    body: bytes
    seconds: float
    headers: dict = field(default_factory=dict)

    def json(self) -> Any:
        return json.loads(self.body)


class Http:
    """One keep-alive connection (one per simulated user / thread); no hidden retries."""

    def __init__(self, base_url: str, timeout: float = 30.0):
        parsed = urllib.parse.urlsplit(base_url)
        if parsed.hostname not in ("127.0.0.1", "localhost", "::1"):
            raise ValueError(f"loopback only: refusing to send load to {parsed.hostname!r}")
        self.host, self.port, self.timeout = parsed.hostname, parsed.port or 80, timeout
        self._conn: http.client.HTTPConnection | None = None

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict | None = None) -> Reply:
        if self._conn is None:
            self._conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        start = time.perf_counter()
        try:
            self._conn.request(method, path, body=body, headers=headers or {})
            response = self._conn.getresponse()
            data = response.read()
        except Exception:
            self.close()  # the next request opens a new connection
            raise
        seconds = time.perf_counter() - start
        if response.getheader("Connection", "").lower() == "close":
            self.close()
        return Reply(response.status, data, seconds, {k.lower(): v for k, v in response.getheaders()})

    def get(self, path: str) -> Reply:
        return self.request("GET", path)

    def post_json(self, path: str, payload: Any) -> Reply:
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        return self.request("POST", path, data, {"Content-Type": "application/json"})


def raw_exchange(url: str, data: bytes, timeout: float = 10.0) -> Reply:
    """Send raw bytes (malformed HTTP included) on a new connection and read the reply
    until the server closes it or ``timeout`` passes; ``status`` 0 if nothing came back."""
    parsed = urllib.parse.urlsplit(url)
    if parsed.hostname not in ("127.0.0.1", "localhost", "::1"):
        raise ValueError(f"loopback only: refusing to send to {parsed.hostname!r}")
    start = time.perf_counter()
    chunks = []
    with socket.create_connection((parsed.hostname, parsed.port or 80), timeout=timeout) as sock:
        try:
            sock.sendall(data)
        except OSError:
            pass  # the server may answer and close before taking everything (a 413)
        try:
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                chunks.append(chunk)
        except (socket.timeout, ConnectionResetError):
            pass
    out = b"".join(chunks)
    head, _, body = out.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1]) if lines and lines[0].startswith("HTTP/") else 0
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return Reply(status, body, time.perf_counter() - start, headers)


# ------------------------------------------------------------------------------
# the page
# ------------------------------------------------------------------------------

def _components(node: Any) -> Iterable[dict]:
    """Every component dict in a layout tree (any prop may hold components)."""
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, dict):
            if "props" in item and "type" in item and "namespace" in item:
                yield item
                stack.extend(item["props"].values())
            else:
                stack.extend(item.values())


def _has_components(value: Any) -> bool:
    return isinstance(value, (list, dict)) and next(iter(_components(value)), None) is not None


class Page:
    """The renderer's view of one browser tab: the layout and every component's props."""

    def __init__(self, layout: Any, dependencies: list[dict]):
        self.layout = layout
        self.dependencies = dependencies
        self.server_callbacks = [d for d in dependencies if not d.get("clientside_function")]
        self.by_id: dict[str, dict] = {}
        self._seq = 0
        self._reindex()

    def _reindex(self) -> None:
        self.by_id = {}
        for comp in _components(self.layout):
            id_ = comp["props"].get("id")
            if id_ is not None:
                self.by_id[stringify_id(id_)] = comp

    # --- reading and writing props ---------------------------------------------
    def ids(self, **match) -> list[Any]:
        """Concrete ids of rendered components whose dict id has these items."""
        out = []
        for comp in self.by_id.values():
            id_ = comp["props"]["id"]
            if isinstance(id_, dict) and all(id_.get(k) == v for k, v in match.items()):
                out.append(id_)
        return out

    def props(self, id_: Any) -> dict:
        return self.by_id[stringify_id(id_)]["props"]

    def get(self, id_: Any, prop: str, default: Any = None) -> Any:
        comp = self.by_id.get(stringify_id(id_))
        return default if comp is None else comp["props"].get(prop, default)

    def set(self, id_: Any, prop: str, value: Any) -> None:
        comp = self.by_id.get(stringify_id(id_))
        if comp is None:  # e.g. dcc.Location's search, set by the browser
            raise KeyError(f"no rendered component {stringify_id(id_)}")
        comp["props"][prop] = value
        if _has_components(value):
            self._reindex()

    # --- the app's dispatcher (what a clientside callback does in the browser) -----
    def config(self) -> dict | None:
        """The page's event table and ids: the data of the store that carries
        ``{"ids": ..., "events": [...]}`` (the browser's dispatcher reads the same)."""
        for comp in self.by_id.values():
            data = comp["props"].get("data")
            if isinstance(data, dict) and isinstance(data.get("events"), list) and isinstance(data.get("ids"), dict):
                return data
        return None

    def event_for(self, id_: Any, prop: str) -> dict | None:
        config = self.config() or {}
        component = id_.get("type") if isinstance(id_, dict) else id_
        return next((e for e in config.get("events", []) if e["component"] == component and e["prop"] == prop), None)

    def action_for(self, id_: Any, prop: str, value: Any) -> dict | None:
        """The action the browser's dispatcher writes when ``id_.prop`` becomes
        ``value`` (None where it writes nothing: a button just rendered)."""
        event = self.event_for(id_, prop)
        if event is None:
            return None
        action = {"kind": event["kind"]}
        for key in event["keys"]:
            action[key] = id_[key]
        if event["click"]:
            if not value:
                return None
        elif event["valueFrom"]:
            action["value"] = self.get(id_, event["valueFrom"])
        else:
            action["value"] = value
        for field_name, component, component_prop in event["extra"]:
            action[field_name] = self.get(component, component_prop)
        self._seq += 1
        action["seq"] = self._seq
        return action

    def action_store(self) -> str | None:
        config = self.config() or {}
        return config.get("ids", {}).get("ACTION")

    # --- requests ----------------------------------------------------------------
    def callbacks_for(self, id_: Any, prop: str) -> list[dict]:
        """Server callbacks that have ``id_.prop`` as an input."""
        out = []
        for dep in self.server_callbacks:
            for spec in dep["inputs"]:
                if spec["property"] != prop:
                    continue
                pattern = _pattern(spec["id"])
                if (pattern is None and spec["id"] == id_) or (pattern is not None and _matches(pattern, id_)):
                    out.append(dep)
                    break
        return out

    def _item(self, id_: Any, prop: str, override: dict) -> dict:
        item = {"id": id_, "property": prop}
        key = prop_id(id_, prop)
        if key in override:
            item["value"] = override[key]
        else:
            comp = self.by_id.get(stringify_id(id_))
            if comp is not None and prop in comp["props"]:
                item["value"] = comp["props"][prop]
        return item

    def _group(self, specs: list[dict], override: dict, changed_ids: list[Any]) -> list:
        group = []
        for spec in specs:
            pattern = _pattern(spec["id"])
            if pattern is None:
                group.append(self._item(spec["id"], spec["property"], override))
                continue
            concrete = [c["props"]["id"] for c in self.by_id.values() if _matches(pattern, c["props"]["id"])]
            known = {stringify_id(c) for c in concrete}
            for extra in changed_ids:  # a crafted id the page does not have (by JSON: true is not 1)
                if _matches(pattern, extra) and stringify_id(extra) not in known:
                    concrete.append(extra)
            if '["MATCH"]' in spec["id"]:
                chosen = next((c for c in changed_ids if _matches(pattern, c)), concrete[0] if concrete else None)
                group.append(self._item(chosen, spec["property"], override) if chosen is not None else {})
            else:
                group.append([self._item(c, spec["property"], override) for c in concrete])
        return group

    def body(self, dep: dict, changed: list[tuple[Any, str]] = (), override: dict | None = None) -> dict:
        """The request body for ``dep`` after the props in ``changed`` changed.

        ``override`` maps prop ids (``prop_id(id, prop)``) to values to send instead of
        the page's (the fuzzer's way in); ids in ``changed`` that the page has not
        rendered are added to their pattern-matching input lists.
        """
        override = override or {}
        changed_ids = [c[0] for c in changed]
        outputs = [{"id": json.loads(i) if i.startswith("{") else i, "property": p}
                   for i, p in split_output_key(dep["output"])]
        return {
            "output": dep["output"],
            "outputs": outputs if dep["output"].startswith("..") else outputs[0],
            "inputs": self._group(dep["inputs"], override, changed_ids),
            "state": self._group(dep.get("state", []), override, changed_ids),
            "changedPropIds": [prop_id(i, p) for i, p in changed],
        }

    def apply(self, reply_json: dict) -> None:
        """Apply a callback reply (``{"multi": true, "response": {id: {prop: value}}}``)."""
        for id_str, props in reply_json.get("response", {}).items():
            comp = self.by_id.get(id_str)
            if comp is None:
                continue
            for prop, value in props.items():
                if isinstance(value, dict) and "__dash_patch_update" in value:
                    continue  # a Patch of a store only the clientside code reads
                comp["props"][prop] = value
        if any(_has_components(v) for props in reply_json.get("response", {}).values() for v in props.values()):
            self._reindex()


# ------------------------------------------------------------------------------
# a user
# ------------------------------------------------------------------------------

class User:
    """One simulated student: opens the page, drags sliders, loads lessons.

    Every action is one request, answered before the next (as the renderer does for
    one callback). ``last`` holds the reply of the latest request.
    """

    def __init__(self, base_url: str, rng: random.Random | None = None, timeout: float = 30.0):
        self.http = Http(base_url, timeout=timeout)
        self.rng = rng or random.Random()
        self.page: Page | None = None
        self.last: Reply | None = None
        self._deps: list[dict] | None = None

    def open(self, search: str = "", deps: list[dict] | None = None) -> list[Reply]:
        """GET the page, its layout and dependencies, then the first callback (the load)."""
        replies = [self.http.get("/" + search)]
        layout = self.http.get("/_dash-layout")
        replies.append(layout)
        if deps is None:
            replies.append(self.http.get("/_dash-dependencies"))
        for path, reply in zip(("page", "/_dash-layout", "/_dash-dependencies"), replies):
            if reply.status != 200:
                raise RuntimeError(f"GET {path} answered {reply.status}: {reply.body[:200]!r}")
        if deps is None:
            deps = replies[2].json()
        self.page = Page(layout.json(), deps)
        self.page.set("url", "search", search)
        replies.append(self.trigger("url", "search"))
        return replies

    def trigger(self, id_: Any, prop: str, value: Any = ..., override: dict | None = None) -> Reply:
        """Set a prop (unless value is ...) and send its server callback; a control the
        page's dispatcher handles in the browser becomes its action, sent through the
        action store as the browser does."""
        if value is not ...:
            self.page.set(id_, prop, value)
        deps = self.page.callbacks_for(id_, prop)
        if not deps:
            action = self.page.action_for(id_, prop, self.page.get(id_, prop))
            store = self.page.action_store()
            if action is None or store is None:
                raise LookupError(f"no server callback or action takes {prop_id(id_, prop)}")
            return self.trigger(store, "data", action, override)
        body = self.page.body(deps[0], [(id_, prop)], override)
        reply = self.http.post_json(CALLBACK_PATH, body)
        self.last = reply
        if reply.status == 200:
            self.page.apply(reply.json())
        return reply

    # --- what students do --------------------------------------------------------
    def sliders(self) -> list[Any]:
        return self.page.ids(type="hparam")

    def drag(self, steps: int = 6, think: float = 0.0) -> list[Reply]:
        """Drag one hyperparameter slider a little, one request per move (updatemode=drag)."""
        ids = self.sliders()
        if not ids:
            return []
        slider = self.rng.choice(ids)
        props = self.page.props(slider)
        low, high = float(props.get("min", 0.0)), float(props.get("max", 1.0))
        value = float(props.get("value", (low + high) / 2))
        direction = self.rng.choice((-1, 1))
        replies = []
        for _ in range(steps):
            value += direction * (high - low) / 100
            if not low <= value <= high:
                direction, value = -direction, min(max(value, low), high)
            replies.append(self.trigger(slider, "value", round(value, 5)))
            if think:
                time.sleep(think)
        return replies

    def lesson_buttons(self) -> list[Any]:
        """The buttons that load a lesson (the event of kind "lesson")."""
        config = self.page.config() or {}
        event = next((e for e in config.get("events", []) if e["kind"] == "lesson"), None)
        return self.page.ids(type=event["component"]) if event else []

    def preset(self) -> Reply | None:
        """Load a lesson, as a click on one of its buttons."""
        ids = self.lesson_buttons()
        if not ids:
            return None
        button = self.rng.choice(ids)
        return self.trigger(button, "n_clicks", (self.page.get(button, "n_clicks") or 0) + 1)

    def open_maps(self) -> Reply:
        """Open the folded maps, as a browser does when one is unfolded the first time: the
        page then holds every map's controls (the ids come from the page's config store)."""
        names = (self.page.config() or {}).get("ids", {})
        keys = [names[key] for key in ("HMAP", "BASIN", "TUNE") if key in names]
        return self.trigger(names["MAPS_OPEN"], "data", keys)

    def alerts_text(self) -> str:
        """Text of the alert area after the last reply (empty when nothing was refused)."""
        return text_of(self.page.get("alerts", "children"))


def text_of(node: Any) -> str:
    """The visible text of a component tree (strings and numbers under ``children``)."""
    if node is None:
        return ""
    if isinstance(node, (str, int, float)):
        return str(node)
    if isinstance(node, list):
        return " ".join(text_of(n) for n in node)
    if isinstance(node, dict) and "props" in node:
        return text_of(node["props"].get("children"))
    return ""


# ------------------------------------------------------------------------------
# the server (the Docker image's command, started here)
# ------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Stack:
    """``scripts/serve.sh`` (the image's CMD) as a subprocess on 127.0.0.1: nginx on
    ``port`` in front of gunicorn, or gunicorn alone with ``front="none"``.

    Its output (both servers' logs) goes to ``log_path``. ``stop()`` sends SIGTERM, as
    ``docker stop`` does, and returns the exit code.
    """

    def __init__(self, workers: int = 2, threads: int = 4, port: int | None = None,
                 log_path: str | os.PathLike | None = None, env: dict | None = None, front: str = "nginx"):
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.front = front
        self.log_path = Path(log_path) if log_path else None
        environ = dict(os.environ)
        # the gunicorn of this Python first (a venv's bin is not always on PATH), and
        # this checkout's package, whatever is installed
        environ["PATH"] = os.path.dirname(sys.executable) + os.pathsep + environ.get("PATH", "")
        environ["PYTHONPATH"] = str(ROOT) + (os.pathsep + environ["PYTHONPATH"] if environ.get("PYTHONPATH") else "")
        environ["PYTHON"] = sys.executable
        environ.update({"HOST": "127.0.0.1", "PORT": str(self.port), "WORKERS": str(workers),
                        "THREADS": str(threads), "LOG_LEVEL": environ.get("LOG_LEVEL", "info"), "FRONT": front})
        environ.pop("DASH_DEBUG", None)
        environ.update(env or {})
        self._log = open(self.log_path, "wb") if self.log_path else subprocess.DEVNULL
        self.proc = subprocess.Popen(["sh", str(ROOT / "scripts" / "serve.sh")], cwd=ROOT, env=environ,
                                     stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True)

    def wait_ready(self, timeout: float = 90.0) -> None:
        """Until ``/healthz`` answers 200 through the front and every worker is up."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"scripts/serve.sh exited with {self.proc.returncode}; see {self.log_path}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200 and len(self.workers()) >= 1:
                    conn.close()
                    return
                conn.close()
            except OSError:
                pass
            time.sleep(0.2)
        raise TimeoutError(f"the stack was not healthy after {timeout} s")

    def _child(self, word: str) -> int | None:
        if word in cmdline(self.proc.pid):
            return self.proc.pid  # FRONT=none: serve.sh exec'd gunicorn
        return next((pid for pid in children(self.proc.pid) if word in cmdline(pid)), None)

    def gunicorn_master(self) -> int | None:
        return self._child("gunicorn")

    def nginx_master(self) -> int | None:
        return self._child("nginx")

    def workers(self) -> list[int]:
        """Pids of gunicorn's worker processes (Linux /proc)."""
        master = self.gunicorn_master()
        return children(master) if master else []

    def nginx_workers(self) -> list[int]:
        master = self.nginx_master()
        return children(master) if master else []

    def signal(self, sig: int) -> None:
        """Send a signal to serve.sh itself (SIGHUP: graceful reload)."""
        self.proc.send_signal(sig)

    def stop(self, timeout: float = 45.0) -> int:
        """SIGTERM (graceful) and wait; SIGKILL the group if it hangs. Returns the exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
        if self._log is not subprocess.DEVNULL:
            self._log.close()
        return self.proc.returncode

    def __enter__(self) -> "Stack":
        self.wait_ready()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a process so far (Linux /proc)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            stat = f.read()
    except OSError:
        return None
    fields = stat[stat.rfind(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children(pid: int) -> list[int]:
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2:].split()
        if int(fields[1]) == pid:  # field 4: ppid
            out.append(int(entry))
    return sorted(out)


def hwm_bytes(pid: int) -> int | None:
    """Peak resident memory of a process since it started (VmHWM)."""
    return _status_kb(pid, "VmHWM:")


def rss_bytes(pid: int) -> int | None:
    return _status_kb(pid, "VmRSS:")


def _status_kb(pid: int, key: str) -> int | None:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(key):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]
