"""The instruments' parts of the page, generated from the registry (ui.core.registry):
the checklist, a box per chart, the arrow legend, the readout and the 3D view.

The page (ui.page) puts the chart boxes beside the contour with the loss chart, and the
rest under the player. The browser draws every curve and arrow
(``assets/20_instruments.js``) from the arrays ``ui.instruments.data`` packs.
"""

from __future__ import annotations

from dash import dcc, html

from ..core import ids, plot, registry, widgets

CHART_CONFIG = {
    "displaylogo": False, "showSendToCloud": False, "showEditInChartStudio": False, "showLink": False,
    "displayModeBar": False, "staticPlot": False,
}
GRAPH3D_CONFIG = {"displaylogo": False, "showSendToCloud": False, "showEditInChartStudio": False,
                  "showLink": False, "scrollZoom": True, "modeBarButtonsToRemove": ["toImage"], "responsive": True}

ARROW_LEGEND_TEXT = [
    html.Span([html.I(className="arrow-key grad"), "−g: direction only, fixed length"]),
    html.Span([html.I(className="arrow-key rescaled"), "rescaled −η_eff⊙g (dashed)"]),
    html.Span([html.I(className="arrow-key velocity"), "momentum (dotted)"]),
    html.Span([html.I(className="arrow-key step"), "step (solid)"]),
    html.Span("Rescaled, momentum and step share one scale per run: the longest is 12% of the plot, so their "
              "lengths compare.", className="arrow-scale"),
]


def chart_layouts() -> dict:
    """Each instrument chart's layout: its title, log or linear axis, reference line."""
    out = {}
    for inst in registry.INSTRUMENTS:
        if inst.where != "chart":
            continue
        layout = plot.chart_layout(inst.chart_title, log=inst.log)
        if inst.line is not None:
            layout = plot.reference_line(layout, *inst.line)
        out[inst.name] = layout
    return out


def toggles() -> html.Div:
    return widgets.named("Instruments", dcc.Checklist(
        id=ids.SHOW,
        options=[{"label": html.Span(inst.label, title=inst.help), "value": inst.name}
                 for inst in registry.INSTRUMENTS],
        value=[], inline=True, className="instrument-toggles", inputClassName="check-input",
    ))


def notes_box(inst, class_name: str) -> html.Div:
    """An instrument's line per run (filled by the browser). Its height is fixed so the
    charts do not move when it changes, so it scrolls: keyboard users reach it with Tab."""
    return html.Div(className=class_name, tabIndex="0", role="note",
                    **{"aria-live": "polite", "data-notes": inst.name, "aria-label": f"{inst.label}: per run"})


def chart_boxes() -> list:
    """One hidden box per instrument chart (shown while the instrument is on); a chart
    with notes has a line per run under it, filled by the browser from the runs. Each box
    is a figure named after its chart (its notes stay readable inside it). The chart's
    graph is not in the page until the chart is first shown (``chart_graph``, mounted by
    ``instruments.render`` in the browser): Plotly would draw every hidden chart at load."""
    boxes = []
    for inst in registry.INSTRUMENTS:
        if inst.where != "chart":
            continue
        parts = [html.Div(id=ids.chart_host(inst.name), className="chart-host")]
        if inst.notes:
            parts.append(notes_box(inst, "chart-notes"))
        boxes.append(html.Div(parts, id=ids.box(ids.chart(inst.name)),
                              className="chart-box instrument-box" + (" has-notes" if inst.notes else ""),
                              style={"display": "none"}, role="figure",
                              **{"data-chart": inst.name, "aria-label": f"{inst.label}: {inst.chart_title}"}))
    return boxes


def chart_graph(name: str) -> dict:
    """An instrument chart's graph as the browser mounts it into its host (Dash's JSON
    form of ``dcc.Graph``, without its figure)."""
    graph = dcc.Graph(id=ids.chart(name), config=CHART_CONFIG, className="chart", responsive=True)
    return graph.to_plotly_json()


def path_legends() -> list:
    """What each instrument drawn on the contour draws (hidden while it is off), with its
    sentence per run under it."""
    return [
        html.Div([html.P(inst.legend, className="path-legend-text"),
                  *([notes_box(inst, "chart-notes path-notes")] if inst.notes else [])],
                 className="path-legend", hidden=True, **{"data-legend": inst.name})
        for inst in registry.INSTRUMENTS if inst.where == "path"
    ]


def arrow_legend() -> html.Div:
    return html.Div(ARROW_LEGEND_TEXT, id=ids.ARROW_LEGEND, className="arrow-legend", style={"display": "none"})


def readout_box() -> html.Div:
    return html.Div(
        [html.Div(id=ids.READOUT_LIVE, className="readout-live", **{"aria-live": "off"}),
         html.Div(id=ids.READOUT_TABLE, className="readout-numbers"),
         dcc.Loading(html.Div(id=ids.READOUT, className="readout-rules"), type="dot", delay_show=400),
         dcc.Store(id=ids.READOUT_REQUEST)],
        id=ids.box(ids.READOUT), className="instrument-box readout", style={"display": "none"},
    )


def panel_boxes() -> list:
    """A box per panel instrument the browser fills from the runs (the theory panel),
    hidden while it is off; the readout has its own server-rendered box."""
    return [
        html.Section([html.H3(inst.label.capitalize(), className="panel-title"),
                      html.Div(className="panel-body", **{"aria-live": "polite"})],
                     className=f"instrument-box panel-box {inst.name}", hidden=True, **{"data-panel": inst.name})
        for inst in registry.INSTRUMENTS if inst.where == "panel" and inst.needs
    ]


def view3d_box() -> html.Div:
    """The 3D view's box: the browser draws it with Plotly's 3D bundle, fetched the first
    time the view opens (the page itself carries only its own 2-D bundle, plotly-contour)."""
    return html.Div(
        html.Div(id=ids.chart("view3d"), className="view3d", role="img",
                 **{"aria-label": "The surface in 3D with the paths on it"}),
        id=ids.box(ids.chart("view3d")), className="instrument-box", style={"display": "none"},
    )


def layouts_store() -> dcc.Store:
    """What ``instruments.render`` draws from: each chart's layout, each chart's graph to
    mount the first time it is shown, and the 3D view's Plotly config."""
    graphs = {inst.name: chart_graph(inst.name) for inst in registry.INSTRUMENTS if inst.where == "chart"}
    return dcc.Store(id=ids.INSTRUMENT_LAYOUTS,
                     data={**chart_layouts(), "chart_graphs": graphs, "view3d_config": GRAPH3D_CONFIG})
