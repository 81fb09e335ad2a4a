"""Descent Lab: the Dash app. ``python app.py`` serves it on http://127.0.0.1:8050.

Environment: ``HOST`` and ``PORT`` (defaults 127.0.0.1 and 8050); ``DASH_DEBUG=1``
turns on Dash's debug mode (off by default). For production, gunicorn serves
``app:server`` (see the Dockerfile).
"""

from __future__ import annotations

import os

import dash

from ui import callbacks
from ui.layout import build_layout

TITLE = "Descent Lab"
# A callback request is a few kilobytes; refuse anything far larger before parsing it.
MAX_REQUEST_BYTES = 1_000_000


def create_app() -> dash.Dash:
    kwargs = {}
    try:  # gzip the callback responses when flask-compress is installed
        import flask_compress  # noqa: F401

        kwargs["compress"] = True
    except ImportError:
        pass
    application = dash.Dash(
        __name__,
        title=TITLE,
        update_title=None,  # no "Updating..." flicker in the tab while dragging
        suppress_callback_exceptions=True,  # run cards are created by callbacks
        meta_tags=[
            {"name": "viewport", "content": "width=device-width, initial-scale=1"},
            {"name": "description", "content": "See how gradient-based optimizers move on 2-D loss surfaces."},
        ],
        **kwargs,
    )
    application.server.config["MAX_CONTENT_LENGTH"] = MAX_REQUEST_BYTES
    application.layout = build_layout
    callbacks.register(application)

    @application.server.route("/healthz")
    def healthz():
        return "ok", 200, {"Content-Type": "text/plain; charset=utf-8"}

    return application


app = create_app()
server = app.server


def _debug_from_env() -> bool:
    return os.environ.get("DASH_DEBUG", "").strip().lower() in ("1", "true", "yes", "on")


if __name__ == "__main__":
    app.run(
        host=os.environ.get("HOST", "127.0.0.1"),
        port=int(os.environ.get("PORT", "8050")),
        debug=_debug_from_env(),
    )
