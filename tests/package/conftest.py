"""Fixtures for the packaging tests: an app shown through a simulated notebook kernel."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def shown_in_ipython():
    """``descent_lab.show()`` in an IPython shell (tests/package/ipython_show.py): yields
    ``(info, port)`` with what the notebook would display and the page's headers; the app
    keeps serving until the module's tests are done."""
    port = free_port()
    env = dict(os.environ, PYTHONPATH=str(ROOT), DASH_DISABLE_VERSION_CHECK="true")
    env.pop("FRAME_ANCESTORS", None)
    proc = subprocess.Popen([sys.executable, str(HERE / "ipython_show.py"), str(port), '{"height": 700}'],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, cwd=HERE, env=env)
    try:
        lines: list[str] = []
        reader = threading.Thread(target=lambda: lines.append(proc.stdout.readline()), daemon=True)
        reader.start()
        reader.join(timeout=120)  # a bound on a hung start, not a speed requirement
        if not lines or not lines[0]:
            proc.kill()
            raise RuntimeError(f"ipython_show.py gave no answer: {proc.stderr.read()[-3000:]}")
        line = lines[0]
        yield json.loads(line), port
    finally:
        proc.stdin.close()
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
