"""Descent Lab: the Dash app. ``python -m descent_lab`` (or ``descent-lab``) serves it on
http://127.0.0.1:8050.

Environment: see ``descent_lab/ui/serving/server.py`` (``HOST`` and ``PORT``, defaults 127.0.0.1
and 8050; ``DASH_DEBUG=1`` turns on Dash's debug mode on loopback only, never under
gunicorn). For production, gunicorn serves ``descent_lab.app:server`` (see the Dockerfile).
"""

from __future__ import annotations

import re

import dash
import flask

from descent_lab import optimizers
from descent_lab.ui import page
from descent_lab.ui.core import theme
from descent_lab.ui.instruments import callbacks as instrument_callbacks
from descent_lab.ui.maps import callbacks as map_callbacks
from descent_lab.ui.race import callbacks as race_callbacks
from descent_lab.ui.race import download, flow, preview
from descent_lab.ui.serving import static
from descent_lab.ui.serving.server import Config, harden

TITLE = "Descent Lab"
# A callback request is a few kilobytes; refuse anything far larger before parsing it.
MAX_REQUEST_BYTES = 1_000_000


def index_string() -> str:
    """Dash's page skeleton with the page's language (Dash's own has none, so screen readers
    would guess it) and the theme's colours as CSS variables (``ui/core/theme.py``)."""
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n{%metas%}\n<title>{%title%}</title>\n{%favicon%}\n'
        f"<style>{theme.css_variables()}</style>\n"
        "{%css%}\n</head>\n<body>\n{%app_entry%}\n<footer>\n{%config%}\n{%scripts%}\n{%renderer%}\n"
        "</footer>\n</body>\n</html>\n"
    )


# Dash's @babel/polyfill bundle (core-js 2 and regenerator): today's browsers have all of
# core-js natively, and its evaluation alone blocked the page ~0.1 s. Its regenerator part,
# which Dash's components call, is served among the assets (assets/vendor/, before them).
POLYFILL_TAG = re.compile(r'<script src="[^"]*/deps/polyfill@[^"]*"></script>\s*')
# React's scripts, which Dash puts first, go just before Dash's renderer (the first script
# that needs them): the page's own scripts and Plotly's bundle run first, so the first frame,
# drawn as soon as Plotly has run, does not wait for React's evaluation.
REACT_TAGS = re.compile(r'<script src="[^"]*/deps/(?:react@|react-dom@|prop-types@)[^"]*"></script>\s*')
RENDERER_TAG = re.compile(r'<script src="[^"]*/dash-renderer/[^"]*"></script>')


def order_scripts(scripts: str) -> str:
    """Dash's script tags without the polyfill bundle, React's moved before the renderer."""
    scripts = POLYFILL_TAG.sub("", scripts, count=1)
    react = "".join(REACT_TAGS.findall(scripts))
    rest = REACT_TAGS.sub("", scripts)
    renderer = RENDERER_TAG.search(rest)
    if not react or renderer is None:  # not the tags this expects: as Dash wrote them
        return scripts
    return rest[:renderer.start()] + react + rest[renderer.start():]


class DescentLab(dash.Dash):
    """Dash, with the page's first paint in its HTML (the top bar, the lesson the link opens
    and the stage's boxes, ``ui.page.first_paint``, shown while the scripts load), the data
    of its first frame (``ui.page.first_frame``, drawn there once Plotly has loaded) and
    without the polyfills."""

    def interpolate_index(self, **kwargs):
        search = flask.request.query_string.decode("utf-8", "replace") if flask.has_request_context() else ""
        link = "?" + search if search else ""
        state, _errors = flow.load(link)  # once for both (the live page says the errors)
        kwargs["app_entry"] = page.first_paint(link, state) + page.first_frame(link, state) + kwargs["app_entry"]
        kwargs["scripts"] = order_scripts(kwargs["scripts"])
        return super().interpolate_index(**kwargs)


def create_app() -> dash.Dash:
    application = DescentLab(
        __name__,
        title=TITLE,
        update_title=None,  # no "Updating..." flicker in the tab while dragging
        # Plotly's 3D bundle is served from assets/vendor/ but loaded only when the 3D view
        # opens (assets/20_instruments.js); the page starts with its 2-D bundle (plotly-contour).
        assets_ignore=r"plotly-gl3d",
        suppress_callback_exceptions=True,  # run cards are created by callbacks
        meta_tags=[
            {"name": "viewport", "content": "width=device-width, initial-scale=1"},
            {"name": "description", "content": "See how gradient-based optimizers move on 2-D loss surfaces."},
        ],
    )
    application.index_string = index_string()
    application.server.config["MAX_CONTENT_LENGTH"] = MAX_REQUEST_BYTES
    application.layout = page.build
    race_callbacks.register(application)
    instrument_callbacks.register(application)
    map_callbacks.register(application)
    preview.register(application.server)
    download.register(application.server, cost=optimizers.cost)  # the CSV, streamed

    # Static files gzipped once and cached (immutable when fingerprinted, ETag otherwise),
    # dynamic replies gzipped, /robots.txt and /favicon.ico: descent_lab/ui/serving/static.py.
    static.install(application)

    @application.server.route("/healthz")
    def healthz():
        return "ok", 200, {"Content-Type": "text/plain; charset=utf-8"}

    return application


app = create_app()
CONFIG = Config.from_env()  # HOST, PORT, LOG_LEVEL, FRAME_ANCESTORS, MAX_BODY_BYTES, DASH_DEBUG
server = harden(app, CONFIG)  # security headers, body limit, error pages, /healthz (descent_lab/ui/serving/server.py)


def main() -> None:
    """Serve the app with Dash's development server (HOST, PORT and DASH_DEBUG from the
    environment); production uses gunicorn (scripts/serve.sh)."""
    app.run(host=CONFIG.host, port=CONFIG.port, debug=CONFIG.debug)


if __name__ == "__main__":
    main()
