"""Plot pieces shared by every figure: layouts, axes, the contour and minimizer traces,
the step charts' layout. Plain dicts (Plotly's JSON), no validation pass: the browser
draws the runs on canvases over these (``assets/10_race.js``).
"""

from __future__ import annotations

import math

import numpy as np

from . import theme
from .codec import encode_f4, encode_grid


def base_layout() -> dict:
    return {
        "template": None,
        "font": {"family": theme.FONT, "size": 12, "color": theme.INK},
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "#ffffff",
        "margin": {"l": 44, "r": 12, "t": 10, "b": 36},
        "hoverlabel": {"font": {"family": theme.FONT}},
        "uirevision": "keep",
    }


def blank_figure() -> dict:
    """What a graph holds before its first figure arrives: no axes, so Plotly has no ticks
    to lay out and measure while the page mounts (an empty figure would draw default axes)."""
    return {"data": [], "layout": {"template": None, "paper_bgcolor": "rgba(0,0,0,0)", "plot_bgcolor": "rgba(0,0,0,0)",
                                   "xaxis": {"visible": False}, "yaxis": {"visible": False},
                                   "margin": {"l": 0, "r": 0, "t": 0, "b": 0}}}


def axis(bounds, *, title: str | None = None, anchor: str | None = None, domain=None) -> dict:
    spec = {
        "range": [float(bounds[0]), float(bounds[1])],
        "showgrid": False, "zeroline": False, "ticks": "outside", "ticklen": 3,
        "linecolor": "#9aa5b1", "mirror": True, "tickfont": {"size": 10},
    }
    if title:
        spec["title"] = {"text": title, "standoff": 4}
    if anchor:
        spec["anchor"] = anchor
    if domain is not None:
        spec["domain"] = [float(domain[0]), float(domain[1])]
    return spec


def coloraxis(title: str, *, show: bool = True) -> dict:
    return {
        "colorscale": theme.CONTOUR_SCALE,
        "showscale": show,
        "colorbar": {"title": {"text": title, "side": "right"}, "thickness": 10, "len": 0.75,
                     "outlinewidth": 0, "tickfont": {"size": 10}},
    }


def contour_trace(grid) -> dict:
    """The filled contour (float32, base64) on the layout's shared colour axis."""
    xs, ys, z, _title = grid
    return {
        "type": "contour",
        "x": encode_f4(xs),
        "y": encode_f4(ys),
        "z": encode_grid(z),
        "coloraxis": "coloraxis",
        "ncontours": 24,
        "contours": {"coloring": "fill", "showlines": True},
        "line": {"width": 0.6, "color": "rgba(60,70,80,0.28)", "smoothing": 0.85},
        "hoverinfo": "skip",
        "name": "surface",
        "showlegend": False,
    }


def minimizer_trace(minimizers) -> dict | None:
    if not len(minimizers):
        return None
    pts = np.asarray(minimizers, dtype=float).reshape(-1, 2)
    return {
        "type": "scatter", "mode": "markers",
        "x": pts[:, 0].tolist(), "y": pts[:, 1].tolist(),
        "marker": {"symbol": "star", "size": 13, "color": "#ffffff", "line": {"color": theme.INK, "width": 1.5}},
        "name": "minimum", "hoverinfo": "skip", "showlegend": False,
    }


def grid_shape(n: int) -> tuple[int, int]:
    """(rows, cols) for n small multiples: at most 4 columns."""
    n = max(n, 1)
    cols = 3 if n in (5, 6) else min(n, 4)
    return math.ceil(n / cols), cols


def axis_names(i: int) -> tuple[str, str]:
    """Plotly's axis ids of the i-th panel (0 -> x, y; 1 -> x2, y2 ...)."""
    return ("x", "y") if i == 0 else (f"x{i + 1}", f"y{i + 1}")


def panels_layout(box, n: int, colour_title: str) -> dict:
    """The main graph's layout: ``n`` panels over the same window (one: the overlay),
    square axes, one shared colour axis (its bar shown with one panel only)."""
    n = max(n, 1)
    layout = base_layout()
    layout["coloraxis"] = coloraxis(colour_title, show=n == 1)
    layout["showlegend"] = False
    layout["dragmode"] = "pan"
    if n == 1:
        layout["xaxis"] = {**axis(box[0], title="x", anchor="y"), "constrain": "domain"}
        layout["yaxis"] = {**axis(box[1], title="y", anchor="x"), "scaleanchor": "x", "scaleratio": 1,
                           "constrain": "domain"}
        layout["margin"] = {"l": 44, "r": 8, "t": 8, "b": 36}
        return layout
    rows, cols = grid_shape(n)
    gap_x, gap_y = 0.04, 0.09
    width = (1 - gap_x * (cols - 1)) / cols
    height = (1 - gap_y * (rows - 1)) / rows
    layout["margin"] = {"l": 36, "r": 8, "t": 22, "b": 26}
    for i in range(n):
        r, c = divmod(i, cols)
        x_dom = (c * (width + gap_x), c * (width + gap_x) + width)
        y_top = 1 - r * (height + gap_y)
        xa, ya = axis_names(i)
        xkey, ykey = ("xaxis", "yaxis") if i == 0 else (f"xaxis{i + 1}", f"yaxis{i + 1}")
        layout[xkey] = {**axis(box[0], anchor=ya, domain=x_dom), "constrain": "domain"}
        layout[ykey] = {**axis(box[1], anchor=xa, domain=(y_top - height, y_top)), "scaleanchor": xa,
                        "scaleratio": 1, "constrain": "domain"}
        if i:
            layout[xkey]["matches"] = "x"
            layout[ykey]["matches"] = "y"
    return layout


def chart_title(text: str) -> dict:
    """A chart's title, inside its top-left corner (the charts are short and narrow)."""
    return {"text": text, "xref": "paper", "yref": "paper", "x": 0, "y": 1, "xanchor": "left",
            "yanchor": "bottom", "showarrow": False, "font": {"size": 11, "color": theme.INK}}


def chart_layout(title: str, *, log: bool) -> dict:
    """A chart over steps (loss, distance, the instruments' charts): the browser sets the
    ranges from the data and draws the curves on a canvas. Its x axis is the step."""
    layout = base_layout()
    layout.update(
        xaxis={"range": [0, 1], "showgrid": True, "gridcolor": "#eef1f4", "zeroline": False,
               "tickfont": {"size": 10}, "ticks": "outside", "ticklen": 2},
        yaxis={"type": "log" if log else "linear", "showgrid": True, "gridcolor": "#eef1f4", "zeroline": False,
               "tickfont": {"size": 10}, "exponentformat": "power"},
        showlegend=False,
        hovermode=False,
        annotations=[chart_title(title)] if title else [],
    )
    layout["margin"] = {"l": 46, "r": 8, "t": 18, "b": 22}
    return layout


def reference_line(layout: dict, value: float, note: str) -> dict:
    """``layout`` with a dashed horizontal line at ``value`` and its note (90 degrees, 2...)."""
    shape = {"type": "line", "xref": "paper", "x0": 0, "x1": 1, "yref": "y", "y0": value, "y1": value,
             "line": {"color": theme.WARN, "width": 1.2, "dash": "dash"}, "layer": "below"}
    text = {"text": note, "xref": "paper", "x": 1, "xanchor": "right", "yref": "y", "y": value,
            "yanchor": "bottom", "showarrow": False, "font": {"size": 10.5, "color": theme.WARN}}
    return {**layout, "shapes": [shape], "annotations": [*layout.get("annotations", []), text]}
