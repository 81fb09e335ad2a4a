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
import json
from typing import Any

from dash import dcc, html

from .core import ids, plot, registry, theme
from .instruments import layout as instruments
from .instruments import route as readout_route
from .maps.layout import maps_panel
from .race import download, events, flow, preview, surface, teach
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
            "mainGraph": race.GRAPH_CONFIG,
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
DISABLED_TAGS = {"Input", "Select"}  # drawn for their size, disabled
# Dash's option lists (dcc.RadioItems, dcc.Checklist) as Dash 4 draws them, with disabled
# inputs: the same rows, so the parts under them sit where the live page puts them.
OPTION_LISTS = {"RadioItems": ("radio", "dash-radioitems"), "Checklist": ("checkbox", "dash-checklist")}


def _attrs(node: Any, extra_class: str = "") -> str:
    classes = " ".join(part for part in (extra_class, getattr(node, "className", None) or "") if part)
    attrs = f' class="{html_text.escape(classes)}"' if classes else ""
    if getattr(node, "_type", None) in DISABLED_TAGS:
        kind = getattr(node, "type", None)
        attrs += (f' type="{html_text.escape(kind)}"' if isinstance(kind, str) else "") + " disabled"
        if isinstance(getattr(node, "value", None), (int, float)):
            attrs += f' value="{node.value}"'
    style = getattr(node, "style", None)
    if getattr(node, "hidden", None) or (isinstance(style, dict) and style.get("display") == "none"):
        attrs += " hidden"
    return attrs


def _option_list(node: Any) -> str:
    kind, list_class = OPTION_LISTS[node._type]
    row_class = f"dash-options-list-option {list_class}-inline" if getattr(node, "inline", False) \
        else "dash-options-list-option"
    input_class = " ".join(("dash-options-list-option-checkbox", html_text.escape(getattr(node, "inputClassName", None) or "")))
    chosen = getattr(node, "value", None)
    chosen = chosen if isinstance(chosen, list) else [chosen]
    rows = []
    for option in getattr(node, "options", None) or []:
        value = option.get("value") if isinstance(option, dict) else option
        label = option.get("label", value) if isinstance(option, dict) else option
        text = f"<span>{static_html(label)}</span>" if isinstance(label, (str, int, float)) else static_html(label)
        on = value in chosen
        rows.append(f'<label class="{row_class}{" selected" if on else ""}"><span class="dash-options-list-option-wrapper">'
                    f'<input type="{kind}" disabled{" checked" if on else ""} class="{input_class}">'
                    f'</span><span class="dash-options-list-option-text">{text}</span></label>')
    return f'<div{_attrs(node, "dash-options-list " + list_class)}>{"".join(rows)}</div>'


def static_html(node: Any) -> str:
    """A tree of components as inert HTML: classes, ``hidden`` and the text only (no ids, no
    events, no ARIA: the live page replaces it). Of Dash's own components, a graph is its
    empty box, an option list its rows and an input itself (disabled); the others are left out."""
    if node is None or isinstance(node, bool):
        return ""
    if isinstance(node, (str, int, float)):
        return html_text.escape(str(node))
    if isinstance(node, (list, tuple)):
        return "".join(static_html(item) for item in node)
    namespace = getattr(node, "_namespace", None)
    if namespace == "dash_core_components" and node._type in OPTION_LISTS:
        return _option_list(node)
    if namespace == "dash_core_components" and node._type == "Graph":
        return f"<div{_attrs(node)}></div>"
    if namespace == "dash_core_components" and node._type == "Input":
        return f"<input{_attrs(node)}>"
    if namespace != "dash_html_components":
        return ""
    tag = INERT_TAGS.get(node._type, node._type.lower())
    return f"<{tag}{_attrs(node)}>{static_html(getattr(node, 'children', None))}</{tag}>"


def _nodes(node: Any):
    """Every component in a tree, depth first."""
    if isinstance(node, (list, tuple)):
        for item in node:
            yield from _nodes(item)
    elif hasattr(node, "_type"):
        yield node
        yield from _nodes(getattr(node, "children", None))


def stage_grid_shell(state: dict) -> str:
    """The stage's grid as inert boxes: the legend, the contour's box, the player, the view
    and instrument switches as the link sets them and the legends of the instruments it
    shows, beside the charts' boxes, in the live page's places."""
    show = set(state["show"])
    grid = html.Div([race.plot_column([instruments.toggles(), instruments.arrow_legend(), *instruments.path_legends()]),
                     race.chart_column(instruments.chart_boxes())], className="stage-grid")
    values = {ids.VIEW: state["view"], ids.BOX: "fit" if state["box"] else "whole", ids.SHOW: list(state["show"])}
    for node in _nodes(grid):
        if getattr(node, "id", None) == ids.SCRUB:  # the browser makes its range input
            node.children = dcc.Input(type="range", value=0, className="scrub-input")
        elif getattr(node, "id", None) == ids.SPEED:  # shows its first option: the page's speed (1x)
            node.children = sorted(node.children, key=lambda option: option.value != "1")
        elif getattr(node, "id", None) in values:
            node.value = values[node.id]
        elif getattr(node, "id", None) == ids.ARROW_LEGEND:
            node.style = None if show & set(registry.ARROWS) else {"display": "none"}
        elif (getattr(node, "_namespace", None) == "dash_html_components"
              and getattr(node, "data-legend", None) in show):
            node.hidden = False
    return static_html(grid)


def first_paint(search: str, state: dict | None = None) -> str:
    """What the page shows while its scripts load: the top bar, the lesson the link opens,
    the first visit's reading notes (hidden until the page knows the visit is a first one)
    and the stage's boxes, laid out where the live page puts them (``assets/00_core.css``:
    an inert layer, removed with the live page's first drawn frame). The lesson's text is
    what a learner reads first; it is there with the HTML instead of after the scripts and
    the first reply. The contour and the paths are drawn into its contour box as soon as
    Plotly has loaded (:func:`first_frame`, ``assets/10_race.js``). ``state``: the link's,
    when the caller has loaded it already."""
    state = state if state is not None else flow.load(search)[0]
    return (
        '<div class="page-shell" aria-hidden="true">'
        f'{static_html(header())}'
        '<div class="workspace"><div class="sidebar"></div>'
        f'<div class="stage"><div class="lesson">{static_html(teach.banner(state))}</div>'
        f'{static_html(teach.how_to_read())}{stage_grid_shell(state)}</div></div></div>'
    )


def first_frame(search: str, state: dict | None = None) -> str:
    """The data of the link's first frame, for the page to draw before Dash has started:
    the contour and the runs' paths (the payloads the race's first reply carries, computed
    here once and cached for that reply), the frame shown and the theme, as a JSON data
    block (never run as a script). Empty when the paths cannot be had within this worker's
    budget now, or are too long to send twice (:data:`FIRST_FRAME_MAX_POINTS`,
    :data:`FIRST_FRAME_MAX_CHARS`): the page then waits for its first reply, as without it.
    ``state``: the link's, when the caller has loaded it already."""
    state = state if state is not None else flow.load(search)[0]
    points = len(state["runs"]) * (state["steps"] + 1) * (2 if state.get("compare") else 1)
    if points > FIRST_FRAME_MAX_POINTS:  # not computed at all: the HTML would wait for it
        return ""
    try:
        paths = flow.budgeted_paths(state)
        data = {"surface": surface.surface_payload(state), "paths": paths, "frame": state["frame"],
                "theme": theme.export(), "config": race.GRAPH_CONFIG}
        text = json.dumps(data, separators=(",", ":"), allow_nan=False)
    except (*flow.REFUSED, ValueError):
        return ""
    if len(text) > FIRST_FRAME_MAX_CHARS:  # long runs: the HTML would carry them twice over
        return ""
    text = text.replace("</", "<\\/")  # "</script>" in a label cannot end the block early
    return f'<script type="application/json" id="{FIRST_FRAME_ID}">{text}</script>'


FIRST_FRAME_ID = "first-frame"
# The first frame's data at most (the default page's is 0.14 MB, eight 1000-step runs' 0.3 MB):
# the first reply carries the same again, so a link to eight 10,000-step runs (3 MB) waits
# for that reply instead; runs of more points than this are not even computed for it (the
# HTML would wait for them).
FIRST_FRAME_MAX_CHARS = 500_000
FIRST_FRAME_MAX_POINTS = 16_016  # eight runs of 2,000 steps
