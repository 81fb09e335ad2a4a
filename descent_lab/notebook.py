"""Descent Lab inside a Jupyter notebook: ``descent_lab.show()``.

::

    import descent_lab
    descent_lab.show()                     # the app in the cell's output, 100% x 900 px
    descent_lab.show(mode="external")      # a link to open it in a browser tab instead

How it works: Dash's own Jupyter support (``app.run(jupyter_mode=...)``) starts the app's
server in a background thread of the kernel (Werkzeug, threaded) on ``host:port``
(127.0.0.1:8050 by default) and displays an ``<iframe src="http://127.0.0.1:8050/">``.
The notebook page comes from the Jupyter server's origin (``http://localhost:8888`` or
``http://127.0.0.1:8888``), a different origin from the app's, so the app's
``Content-Security-Policy: frame-ancestors`` must name it: by default the app's own
origin plus ``http(s)://localhost:*`` and ``http(s)://127.0.0.1:*`` (a notebook served on
this machine, any port); ``X-Frame-Options`` is left out, since it cannot name another
origin. For a notebook served from elsewhere (JupyterHub, a remote server), pass its
origin: ``show(frame_ancestors=["https://hub.example.org"])``; or run
``dash.jupyter_dash.infer_jupyter_proxy_config()`` first, which sends the app through the
Jupyter server's proxy so that it has the notebook's own origin (needs
jupyter-server-proxy).

The app built here is a new one, independent of the ``descent_lab.app`` module's (which
reads ``FRAME_ANCESTORS`` from the environment for deployments); the rest of the
configuration (``LOG_LEVEL``, ``MAX_BODY_BYTES``...) still comes from the environment.
Debug mode stays off.

Needs IPython (``pip install "descent-lab[notebook]"``; a Jupyter kernel has it). Outside
IPython, :func:`show` refuses with a message: from a terminal, run ``descent-lab``.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Iterable, Mapping

from descent_lab.ui.serving.server import Config, harden, parse_frame_ancestors

NOTEBOOK_ORIGINS = (
    "http://localhost:*",
    "http://127.0.0.1:*",
    "https://localhost:*",
    "https://127.0.0.1:*",
)
"""Where a notebook on this machine is served from, whatever its port."""

MODES = ("inline", "external", "tab", "jupyterlab")


def notebook_config(frame_ancestors: Iterable[str] | None = None,
                    environ: Mapping[str, str] | None = None) -> Config:
    """The server settings for an app shown in a notebook.

    ``frame_ancestors``: the origins allowed to embed the app besides its own (default
    :data:`NOTEBOOK_ORIGINS`), checked like ``FRAME_ANCESTORS`` (``ValueError`` naming a
    malformed one). Everything else comes from the environment, as for the server; debug
    mode is off (Dash's reloader cannot run in a kernel thread).
    """
    if isinstance(frame_ancestors, str):
        raise TypeError("frame_ancestors must be a list of origins, not a string")
    base = Config.from_env(environ)
    origins = NOTEBOOK_ORIGINS if frame_ancestors is None else tuple(frame_ancestors)
    allowed = parse_frame_ancestors(" ".join(origins))
    if allowed == ("'none'",):
        raise ValueError("frame_ancestors: 'none' would forbid the notebook to show the app")
    return dataclasses.replace(base, frame_ancestors=allowed, debug=False)


def build_app(frame_ancestors: Iterable[str] | None = None) -> Any:
    """A new Descent Lab app hardened with :func:`notebook_config` (not started)."""
    from descent_lab.app import create_app

    application = create_app()
    harden(application, notebook_config(frame_ancestors))
    return application


def in_notebook() -> bool:
    """True when Dash's Jupyter integration is active (an IPython kernel or Colab)."""
    from dash import jupyter_dash

    return bool(jupyter_dash.active)


def show(mode: str = "inline", *, port: int = 8050, host: str = "127.0.0.1",
         width: str = "100%", height: int = 900,
         frame_ancestors: Iterable[str] | None = None) -> Any:
    """Start the app in this kernel and show it in the cell's output.

    ``mode``: ``"inline"`` (an iframe in the output, ``width`` x ``height``),
    ``"external"`` (print the URL), ``"tab"`` (open a browser tab) or ``"jupyterlab"``
    (a JupyterLab tab; needs Dash's JupyterLab extension). ``port`` and ``host``: where
    the app listens (a second ``show()`` on the same port replaces the first).
    ``frame_ancestors``: origins allowed to embed it (see the module docstring).

    Returns the Dash app. ``RuntimeError`` outside IPython; ``ValueError`` for an unknown
    mode or a malformed origin.
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
    if not in_notebook():
        raise RuntimeError(
            "descent_lab.show() displays the app in a Jupyter notebook (it needs an IPython "
            "kernel and the 'notebook' extra: pip install \"descent-lab[notebook]\"). "
            "From a terminal, run: descent-lab"
        )
    application = build_app(frame_ancestors)
    application.run(jupyter_mode=mode, jupyter_width=width, jupyter_height=height,
                    host=host, port=port, debug=False)
    return application
