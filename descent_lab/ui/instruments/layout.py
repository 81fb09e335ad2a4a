"""The instruments' parts of the page, generated from the registry (ui.core.registry):
the checklist, a box per chart, the arrow legend, the readout and the 3D view.

The page (ui.page) puts the chart boxes beside the contour with the loss chart, and the
rest under the player. The browser draws every curve and arrow
(``assets/20_instruments.js``) from the arrays ``ui.instruments.data`` packs.
"""

from __future__ import annotations

from dash import dcc, html

from ..core import ids, plot, registry

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


def toggles() -> dcc.Checklist:
    return dcc.Checklist(
        id=ids.SHOW,
        options=[{"label": html.Span(inst.label, title=inst.help), "value": inst.name}
                 for inst in registry.INSTRUMENTS],
        value=[], inline=True, className="instrument-toggles", inputClassName="check-input",
    )


def chart_boxes() -> list:
    """One hidden box per instrument chart (shown while the instrument is on)."""
    return [
        html.Div(
            dcc.Graph(id=ids.chart(name), config=CHART_CONFIG, className="chart", responsive=True,
                      figure={"data": [], "layout": {"template": None}}),
            id=ids.box(ids.chart(name)), className="chart-box instrument-box", style={"display": "none"},
            **{"data-chart": name},
        )
        for name in registry.CHARTS
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


def view3d_box() -> html.Div:
    """The 3D view's box: the browser draws it with Plotly's 3D bundle, fetched the first
    time the view opens (the page itself carries only the cartesian bundle)."""
    return html.Div(
        html.Div(id=ids.chart("view3d"), className="view3d", role="img",
                 **{"aria-label": "The surface in 3D with the paths on it"}),
        id=ids.box(ids.chart("view3d")), className="instrument-box", style={"display": "none"},
    )


def panel() -> html.Section:
    """The checklist, the arrow legend, the readout and the 3D view (the charts sit
    beside the contour)."""
    return html.Section(
        [html.H2("Instruments", className="sr-only"), toggles(), arrow_legend(), readout_box(), view3d_box(),
         dcc.Store(id=ids.INSTRUMENT_LAYOUTS, data={**chart_layouts(), "view3d_config": GRAPH3D_CONFIG})],
        id=ids.INSTRUMENTS, className="instruments",
    )
