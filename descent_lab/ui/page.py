"""The page: the rooms' parts assembled into one layout.

Top bar (the controls' drawer, the title, status, link, CSV, PNG); the sidebar (lessons,
runs, surface, start and budget); the stage: the lesson banner, then the contour with
the player and the instrument checklist beside the step charts (loss, distance, the
instruments' charts), so a lesson's plot, player and charts share one screen; under it
the readout, the 3D view and the maps. Stores hold the state and what the browser draws.

The HTML itself carries a first paint (``first_paint``): the top bar and the lesson the link
opens, as inert markup the live page replaces with its first drawn frame.
"""

from __future__ import annotations

import html as html_text
from typing import Any

from dash import dcc, html

from .core import ids, plot, registry, theme
from .instruments import layout as instruments
from .instruments import route as readout_route
from .maps.layout import maps_panel
from .race import download, events, flow, preview, teach
from .race import layout as race
from .serving import static


def config() -> dict:
    """What the browser needs once: ids, theme, instruments, the event table, routes."""
    return {"ids": ids.export(), "theme": theme.export(),
            "instruments": {**registry.export(), "graphs": {name: ids.chart(name) for name in (*registry.CHARTS, "view3d")},
                            "hosts": {name: ids.chart_host(name) for name in registry.CHARTS},
                            "boxes": {**{name: ids.box(ids.chart(name)) for name in (*registry.CHARTS, "view3d")},
                                      "readout": ids.box(ids.READOUT)}},
            "charts": {"step": plot.chart_layout("", log=False), "title": plot.chart_title("")},
            "events": events.export(), "preview": preview.ROUTE, "readout": readout_route.ROUTE,
            "download": download.ROUTE, "plotly3d": static.asset_url("vendor/plotly-gl3d.min.js")}


def stores() -> list:
    return [
        dcc.Location(id=ids.URL, refresh=False),
        dcc.Store(id=ids.CONFIG, data=config()),
        dcc.Store(id=ids.STATE),
        dcc.Store(id=ids.ACTION),
        dcc.Store(id=ids.SURFACE),
        dcc.Store(id=ids.PATHS),
        dcc.Store(id=ids.VIEW_STORE),
        dcc.Store(id=ids.URL_OUT),
        dcc.Store(id=ids.CLICK),
        dcc.Store(id=ids.FRAME_SYNC),
    ]


def header() -> html.Header:
    return html.Header(
        [
            html.Button("☰", id=ids.SIDEBAR_TOGGLE, className="icon-button drawer-toggle", n_clicks=0,
                        title="Show or hide the controls", **{"aria-label": "Show or hide the controls",
                                                              "aria-controls": ids.SIDEBAR, "aria-expanded": "true"}),
            html.Div([html.H1("Descent Lab"),
                      html.P("Watch gradient-based optimizers race on 2-D loss surfaces.", className="tagline")],
                     className="brand"),
            html.Div(
                [html.Div(id=ids.STATUS, className="status-line", role="status"),
                 html.Button("Copy link", id=ids.SHARE, className="button", n_clicks=0,
                             title="Copy a link to exactly this set-up"),
                 html.Span(id=ids.SHARE_MSG, className="share-msg", **{"aria-live": "polite"}),
                 html.Button("CSV", id=ids.CSV, className="button", n_clicks=0,
                             title="Download every run's trajectory, one row per step, with the set-up"),
                 html.Button("PNG", id=ids.PNG, className="button",
                             title="Save the plot, paths, legend, charts and lesson as one picture")],
                className="actions",
            ),
        ],
        className="topbar",
    )


def stage() -> html.Main:
    return html.Main(
        [
            *race.banner_area(),
            html.Div([race.plot_column([instruments.toggles(), instruments.arrow_legend(),
                                        *instruments.path_legends()]),
                      race.chart_column(instruments.chart_boxes())], className="stage-grid"),
            instruments.readout_box(),
            *instruments.panel_boxes(),
            instruments.view3d_box(),
            instruments.layouts_store(),
            maps_panel(),
        ],
        id=ids.STAGE, className="stage",
    )


def build() -> html.Div:
    return html.Div(
        [*stores(), header(),
         html.Div(id=ids.ALERTS, className="alerts", **{"aria-live": "assertive"}),
         html.Div([race.sidebar(), stage()], className="workspace")],
        className="app",
    )


# ------------------------------------------------------------------------------
# first paint
# ------------------------------------------------------------------------------

INERT_TAGS = {"Button": "span"}  # no controls: nothing in it can be used


def static_html(node: Any) -> str:
    """A tree of ``html`` components as inert HTML: classes, ``hidden`` and the text only
    (no ids, no events, no ARIA: the live page replaces it); other components are left out."""
    if node is None or isinstance(node, bool):
        return ""
    if isinstance(node, (str, int, float)):
        return html_text.escape(str(node))
    if isinstance(node, (list, tuple)):
        return "".join(static_html(item) for item in node)
    if getattr(node, "_namespace", None) != "dash_html_components":
        return ""
    tag = INERT_TAGS.get(node._type, node._type.lower())
    attrs = ""
    if getattr(node, "className", None):
        attrs += f' class="{html_text.escape(node.className)}"'
    if getattr(node, "hidden", None):
        attrs += " hidden"
    return f"<{tag}{attrs}>{static_html(getattr(node, 'children', None))}</{tag}>"


def first_paint(search: str) -> str:
    """What the page shows while its scripts load: the top bar and the lesson the link
    opens, laid out where the live page puts them (``assets/00_core.css``: an inert layer,
    removed with the live page's first drawn frame). The lesson's text is what a learner
    reads first; it is there with the HTML instead of after the scripts and the first reply."""
    state, _errors = flow.load(search)
    return (
        '<div class="page-shell" aria-hidden="true">'
        f'{static_html(header())}'
        '<div class="workspace"><div class="sidebar"></div>'
        f'<div class="stage"><div class="lesson">{static_html(teach.banner(state))}</div></div></div></div>'
    )
