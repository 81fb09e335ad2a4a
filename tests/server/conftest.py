"""Shared set-up for the server tests: the repository root on sys.path (for ``loadtest``
and ``deploy``), and the production stack started with ``scripts/serve.sh`` (the Docker
image's command: nginx in front of gunicorn)."""

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from loadtest.dash_client import Stack  # noqa: E402


@pytest.fixture(scope="module")
def stack(tmp_path_factory, request):
    """``scripts/serve.sh`` on 127.0.0.1 and a free port (nginx, gunicorn with 2 workers);
    its log is checked for tracebacks at the end (a 500 would have left one there)."""
    log = tmp_path_factory.mktemp("stack") / "server.log"
    server = Stack(workers=2, threads=4, log_path=log)
    try:
        server.wait_ready()
        yield server
    finally:
        code = server.stop()
    text = log.read_text(errors="replace")
    assert code == 0, f"serve.sh exited with {code}:\n{text[-3000:]}"
    assert "Traceback" not in text, f"the server logged an unhandled error:\n{text[-5000:]}"
