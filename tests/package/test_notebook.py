"""descent_lab.show(): what it builds and which headers the embedded app sends, without a
notebook server (the browser check of the embedding is in test_notebook_browser.py)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

import descent_lab
from descent_lab import notebook


def frame_ancestors(csp: str) -> list[str]:
    directive = next(d.strip() for d in csp.split(";") if d.strip().startswith("frame-ancestors"))
    return directive.split()[1:]


def test_notebook_config_allows_a_notebook_on_this_machine_by_default():
    config = notebook.notebook_config(environ={})
    assert config.frame_ancestors == notebook.NOTEBOOK_ORIGINS
    assert config.debug is False


def test_notebook_config_takes_other_origins_and_checks_them():
    config = notebook.notebook_config(["https://hub.example.org", "https://hub.example.org/"], environ={})
    assert config.frame_ancestors == ("https://hub.example.org",)
    with pytest.raises(ValueError, match="not an origin"):
        notebook.notebook_config(["https://hub.example.org/lab"], environ={})
    with pytest.raises(ValueError, match="forbid"):
        notebook.notebook_config(["'none'"], environ={})
    with pytest.raises(TypeError, match="list of origins"):
        notebook.notebook_config("https://hub.example.org", environ={})


def test_notebook_config_keeps_the_rest_of_the_environment_and_never_debugs():
    config = notebook.notebook_config(environ={"LOG_LEVEL": "warning", "FRAME_ANCESTORS": "'none'",
                                               "DASH_DEBUG": "1"})
    assert config.log_level == "warning"
    assert config.frame_ancestors == notebook.NOTEBOOK_ORIGINS  # show() is asked to embed
    assert config.debug is False


def test_the_app_it_builds_may_be_framed_by_the_notebook(monkeypatch):
    monkeypatch.delenv("FRAME_ANCESTORS", raising=False)
    application = notebook.build_app()
    reply = application.server.test_client().get("/")
    assert reply.status_code == 200
    assert frame_ancestors(reply.headers["Content-Security-Policy"]) == ["'self'", *notebook.NOTEBOOK_ORIGINS]
    assert "X-Frame-Options" not in reply.headers  # it cannot name another origin


def test_show_outside_a_notebook_says_what_to_do():
    with pytest.raises(RuntimeError, match="From a terminal, run: descent-lab"):
        descent_lab.show()
    with pytest.raises(ValueError, match="mode must be one of"):
        descent_lab.show(mode="popup")


def test_show_in_an_ipython_kernel_displays_an_iframe_of_the_running_app(shown_in_ipython):
    info, port = shown_in_ipython
    assert len(info["shown"]) == 1
    html = info["shown"][0]["text/html"]
    assert re.search(r'<iframe\b', html)
    assert re.search(rf'src="http://127\.0\.0\.1:{port}/"', html)
    assert re.search(r'width="100%"', html) and re.search(r'height="700"', html)
    assert info["status"] == 200
    headers = info["headers"]
    assert frame_ancestors(headers["Content-Security-Policy"]) == ["'self'", *notebook.NOTEBOOK_ORIGINS]
    assert "X-Frame-Options" not in headers
    assert headers["X-Content-Type-Options"] == "nosniff"


def test_importing_the_package_loads_neither_dash_nor_the_engine():
    code = ("import sys, descent_lab; "
            "print(descent_lab.__version__, 'dash' in sys.modules, 'descent_lab.optimizers' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[2])
    assert out.stdout.split() == [descent_lab.__version__, "False", "False"]
    assert descent_lab.optimizers.run is not None and descent_lab.surfaces.get is not None
