"""The page: the rooms' parts assembled into one layout.

Top bar (the controls' drawer, the title, status, link, CSV, PNG); the sidebar (lessons,
runs, surface, start and budget); the stage: the lesson banner, then the contour with
the player and the instrument checklist beside the step charts (loss, distance, the
instruments' charts), so a lesson's plot, player and charts share one screen; under it
the readout, the 3D view and the maps. Stores hold the state and what the browser draws.
"""

from __future__ import annotations

from dash import dcc, html

from .core import ids, plot, registry, theme
from .instruments import layout as instruments
from .instruments import route as readout_route
from .maps.layout import maps_panel
from .race import download, events, preview
from .race import layout as race
from .serving import static


def config() -> dict:
    """What the browser needs once: ids, theme, instruments, the event table, routes."""
    return {"ids": ids.export(), "theme": theme.export(),
            "instruments": {**registry.export(), "graphs": {name: ids.chart(name) for name in (*registry.CHARTS, "view3d")},
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
            dcc.Store(id=ids.INSTRUMENT_LAYOUTS, data={**instruments.chart_layouts(),
                                                       "view3d_config": instruments.GRAPH3D_CONFIG}),
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
