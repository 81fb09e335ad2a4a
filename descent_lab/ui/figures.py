"""Pure figure builders: plain data in, Plotly figures (or trace/layout dicts) out.

Nothing here knows about Dash. The live app sends the heavy parts separately — the
contour once per surface (:func:`surface_payload`), the paths per change
(``ui.simulate``) with the layouts of :func:`browser_layouts` — and the browser code
in ``assets/descent.js`` draws the runs on canvas layers over these Plotly graphs.
:func:`main_figure`, :func:`loss_figure` and :func:`distance_figure` build the same
pictures as complete Plotly figures in Python, for tests and exports.

Every trace of a run is tagged with ``meta = {"run": i, "role": ...}`` so the
browser can find it without counting trace indices.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import plotly.graph_objects as go

from descent_lab import optimizers
from descent_lab.surfaces.base import nearest_distance

from .state import get_surface

# Okabe & Ito (2008), "Color Universal Design": distinguishable with the common
# colour-vision deficiencies. Ordered so the first runs get the strongest contrast
# on the light contour; yellow, weakest on white, comes last.
PALETTE = (
    "#D55E00",  # vermillion
    "#0072B2",  # blue
    "#009E73",  # bluish green
    "#CC79A7",  # reddish purple
    "#E69F00",  # orange
    "#56B4E9",  # sky blue
    "#000000",  # black
    "#F0E442",  # yellow
)
# Marker shapes double the colour code (for print and for colour-blind readers).
SYMBOLS = ("circle", "square", "diamond", "triangle-up", "pentagon", "hexagon", "star", "triangle-down")

# A light, neutral colour scale so every palette colour stays readable on it.
CONTOUR_SCALE = [[0.0, "#fdfcf7"], [0.35, "#eeebe2"], [0.7, "#d5d9de"], [1.0, "#a9b2bc"]]
GRID_N = 150
FONT = "Inter, system-ui, -apple-system, Segoe UI, Roboto, Helvetica, Arial, sans-serif"

# Short symbols for legend labels ("Adam lr=0.01 β1=0.9"); other names are shown as is.
SHORT = {
    "lr": "lr", "momentum": "μ", "beta1": "β1", "beta2": "β2", "alpha": "α", "eps": "ε",
    "rho": "ρ", "dampening": "τ", "weight_decay": "wd", "lr_decay": "lr decay",
    "momentum_decay": "ψ", "etaminus": "η−", "etaplus": "η+", "nesterov": "nesterov",
    "centered": "centered", "amsgrad": "amsgrad",
}


# ------------------------------------------------------------------------------
# labels and colours
# ------------------------------------------------------------------------------

def run_color(index: int) -> str:
    return PALETTE[index % len(PALETTE)]


def run_symbol(index: int) -> str:
    return SYMBOLS[index % len(SYMBOLS)]


def fmt_value(value) -> str:
    """3 significant digits, no exponent for ordinary magnitudes (0.001, 0.9, 150)."""
    if isinstance(value, bool):
        return "on" if value else "off"
    value = float(value)
    if value == 0:
        return "0"
    if 1e-4 <= abs(value) < 1e5:
        text = f"{value:.3g}"
        if "e" in text:  # e.g. 1e+04 -> 10000
            text = f"{value:.0f}"
        return text
    mantissa, exponent = f"{value:.2e}".split("e")
    mantissa = mantissa.rstrip("0").rstrip(".")
    return f"{mantissa}e{int(exponent)}"


def run_label(optimizer: str, hparams: dict) -> str:
    """A legend entry naming a run by its key settings.

    The learning rate, the optimizer's first other main (non-advanced) setting,
    and every other setting that differs from its default.
    """
    spec = optimizers.REGISTRY[optimizer]
    parts = [spec.label]
    main_shown = False
    for hp in spec.hyperparams:
        if hp.name not in hparams:
            continue
        value = hparams[hp.name]
        is_default = value == hp.default
        if hp.name == "lr":
            show = True
        elif not main_shown and not hp.advanced and hp.kind != "bool":
            show, main_shown = True, True
        else:
            show = not is_default
        if not show:
            continue
        if hp.kind == "bool":
            if value:
                parts.append(SHORT.get(hp.name, hp.name))
            continue
        parts.append(f"{SHORT.get(hp.name, hp.name)}={fmt_value(value)}")
    return " ".join(parts)


# ------------------------------------------------------------------------------
# the contour (sent once per surface)
# ------------------------------------------------------------------------------

@lru_cache(maxsize=64)
def contour_grid(key: str, params: tuple, n: int = GRID_N):
    """(xs, ys, z, colour_title) for a surface: pure, so cached across users.

    With ``log_color`` the colour is log10(f - f_min + delta), which turns the flat
    floor of a ravine into visible rings; otherwise f clipped to its 1st-99th
    percentiles so a surface unbounded below does not wash out.
    """
    surface = get_surface(key, dict(params))  # also a typed surface (ui.state)
    (x0, x1), (y0, y1) = surface.bounds
    xs = np.linspace(x0, x1, n)
    ys = np.linspace(y0, y1, n)
    grid = np.stack(np.meshgrid(xs, ys), axis=-1)  # (n, n, 2), rows are y
    with np.errstate(all="ignore"):
        f = np.asarray(surface.f(grid), dtype=float)
    f = np.where(np.isfinite(f), f, np.nan)
    if surface.log_color and surface.min_value is not None:
        gap = np.maximum(f - float(surface.min_value), 0.0)
        spread = np.nanpercentile(gap, 99) if np.isfinite(gap).any() else 1.0
        delta = max(spread * 1e-6, 1e-12)
        z = np.log10(gap + delta)
        title = "log₁₀(f − f*)"
    else:
        lo, hi = np.nanpercentile(f, [1, 99])
        z = np.clip(f, lo, hi)
        title = "f"
    z = np.nan_to_num(z, nan=float(np.nanmax(z)) if np.isfinite(z).any() else 0.0)
    return xs.astype(np.float32), ys.astype(np.float32), z.astype(np.float32), title


def typed(values) -> dict:
    """A float32 typed-array spec Plotly.js reads natively (with a shape for 2-D)."""
    from .simulate import encode_f4

    array = np.asarray(values, dtype=np.float32)
    spec = encode_f4(array.ravel())
    if array.ndim == 2:
        spec["shape"] = f"{array.shape[0]}, {array.shape[1]}"
    return spec


def contour_trace(grid, *, xaxis: str = "x", yaxis: str = "y") -> dict:
    """The filled contour (float32, base64) on the layout's shared colour axis."""
    xs, ys, z, _title = grid
    return {
        "type": "contour",
        "x": typed(xs), "y": typed(ys), "z": typed(z),
        "coloraxis": "coloraxis",
        "ncontours": 24,
        "contours": {"coloring": "fill", "showlines": True},
        "line": {"width": 0.6, "color": "rgba(60,70,80,0.28)", "smoothing": 0.85},
        "hovertemplate": "x=%{x:.3f}<br>y=%{y:.3f}<extra></extra>",
        "xaxis": xaxis, "yaxis": yaxis,
        "meta": {"role": "contour"},
        "name": "surface",
        "showlegend": False,
    }


def minimizer_trace(minimizers, *, xaxis: str = "x", yaxis: str = "y") -> dict:
    pts = np.asarray(minimizers, dtype=float).reshape(-1, 2)
    return {
        "type": "scatter", "mode": "markers",
        "x": pts[:, 0].tolist(), "y": pts[:, 1].tolist(),
        "marker": {"symbol": "star", "size": 13, "color": "#ffffff", "line": {"color": "#1f2933", "width": 1.5}},
        "name": "minimum", "hovertemplate": "minimum (%{x:.4g}, %{y:.4g})<extra></extra>",
        "showlegend": False, "xaxis": xaxis, "yaxis": yaxis, "meta": {"role": "minimum"},
    }


def coloraxis(title: str) -> dict:
    return {
        "colorscale": CONTOUR_SCALE,
        "showscale": True,
        "colorbar": {"title": {"text": title, "side": "right"}, "thickness": 10, "len": 0.75,
                     "outlinewidth": 0, "tickfont": {"size": 10}},
    }


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


def base_layout() -> dict:
    return {
        "template": None,
        "font": {"family": FONT, "size": 12, "color": "#1f2933"},
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "#ffffff",
        "margin": {"l": 44, "r": 12, "t": 10, "b": 36},
        "hoverlabel": {"font": {"family": FONT}},
        "uirevision": "keep",
    }


def overlay_layout(bounds, colour_title: str) -> dict:
    (x0, x1), (y0, y1) = bounds
    layout = base_layout()
    layout.update(
        xaxis={**axis((x0, x1), title="x", anchor="y"), "constrain": "domain"},
        yaxis={**axis((y0, y1), title="y", anchor="x"), "scaleanchor": "x", "scaleratio": 1,
               "constrain": "domain"},
        coloraxis=coloraxis(colour_title),
        legend={"orientation": "h", "x": 0, "y": 1.0, "yanchor": "bottom", "bgcolor": "rgba(255,255,255,0.8)",
                "font": {"size": 11}},
        dragmode="pan",
        showlegend=True,
    )
    layout["margin"] = {"l": 44, "r": 8, "t": 30, "b": 36}
    return layout


def grid_shape(n: int) -> tuple[int, int]:
    """(rows, cols) for n small multiples: at most 4 columns."""
    n = max(n, 1)
    cols = min(n, 4 if n > 4 else n)
    if n in (5, 6):
        cols = 3
    rows = math.ceil(n / cols)
    return rows, cols


def axis_names(i: int) -> tuple[str, str]:
    """Plotly's axis ids of the i-th small multiple (0 -> x, y; 1 -> x2, y2 ...)."""
    return ("x", "y") if i == 0 else (f"x{i + 1}", f"y{i + 1}")


def grid_layout(bounds, n: int, colour_title: str, titles=()) -> dict:
    """Layout for n side-by-side contours sharing axes ranges and colour scale."""
    rows, cols = grid_shape(n)
    gap_x, gap_y = 0.03, 0.08
    width = (1 - gap_x * (cols - 1)) / cols
    height = (1 - gap_y * (rows - 1)) / rows
    layout = base_layout()
    layout["margin"] = {"l": 36, "r": 8, "t": 22, "b": 26}
    layout["coloraxis"] = {**coloraxis(colour_title), "showscale": False}
    layout["showlegend"] = False
    layout["dragmode"] = "pan"
    annotations = []
    for i in range(max(n, 1)):
        r, c = divmod(i, cols)
        x_dom = (c * (width + gap_x), c * (width + gap_x) + width)
        y_top = 1 - r * (height + gap_y)
        y_dom = (y_top - height, y_top)
        xa, ya = axis_names(i)
        xkey = "xaxis" if i == 0 else f"xaxis{i + 1}"
        ykey = "yaxis" if i == 0 else f"yaxis{i + 1}"
        layout[xkey] = {**axis(bounds[0], anchor=ya, domain=x_dom), "constrain": "domain",
                        "matches": None if i == 0 else "x"}
        layout[ykey] = {**axis(bounds[1], anchor=xa, domain=y_dom), "scaleanchor": xa, "scaleratio": 1,
                        "constrain": "domain", "matches": None if i == 0 else "y"}
        for key in (xkey, ykey):
            if layout[key]["matches"] is None:
                del layout[key]["matches"]
        if i < len(titles):
            annotations.append({
                "text": titles[i], "xref": "paper", "yref": "paper", "showarrow": False,
                "x": (x_dom[0] + x_dom[1]) / 2, "y": y_dom[1], "yanchor": "bottom",
                "font": {"size": 11, "color": run_color(i)},
            })
    layout["annotations"] = annotations
    return layout


def surface_payload(surface_state: dict) -> dict:
    """What the browser keeps per surface: contour trace, minima, overlay layout."""
    key, params = surface_state["key"], surface_state["params"]
    surface = get_surface(key, params)
    grid = contour_grid(key, tuple(sorted(params.items())))
    return {
        "key": key,
        "params": dict(params),
        "bounds": [[float(a), float(b)] for a, b in surface.bounds],
        "colour_title": grid[3],
        "contour": contour_trace(grid),
        "minima": minimizer_trace(surface.minimizers) if surface.minimizers else None,
        "layout": overlay_layout(surface.bounds, grid[3]),
    }


# ------------------------------------------------------------------------------
# run traces (templates: the browser fills x / y)
# ------------------------------------------------------------------------------

def run_templates(meta: dict, *, xaxis: str = "x", yaxis: str = "y") -> list[dict]:
    """Path, moving head and end marker of one run, without their data."""
    i, color, label = meta["index"], meta["color"], meta["label"]
    common = {"type": "scatter", "xaxis": xaxis, "yaxis": yaxis, "legendgroup": f"run{i}"}
    path = {
        **common, "mode": "lines+markers", "name": label,
        "line": {"color": color, "width": 2.2},
        "marker": {"color": color, "size": 3.5, "symbol": "circle"},
        "hovertemplate": f"{label}<br>step %{{pointNumber}}<br>x=%{{x:.4g}}<br>y=%{{y:.4g}}<extra></extra>",
        "meta": {"run": i, "role": "path"},
    }
    head = {
        **common, "mode": "markers", "name": label, "showlegend": False,
        "marker": {"color": color, "size": 12, "symbol": run_symbol(i), "line": {"color": "#ffffff", "width": 1.6}},
        "hoverinfo": "skip",
        "meta": {"run": i, "role": "head"},
    }
    end = {
        **common, "mode": "markers", "name": f"{label}: {meta['status_text']}", "showlegend": False,
        "marker": {"color": color, "size": 15, "symbol": "x-thin-open", "line": {"color": color, "width": 3}},
        "hovertemplate": f"{label}<br>{meta['status_text']}<extra></extra>",
        "meta": {"run": i, "role": "end"},
    }
    return [path, head, end]


def start_template(*, xaxis: str = "x", yaxis: str = "y") -> dict:
    return {
        "type": "scatter", "mode": "markers", "xaxis": xaxis, "yaxis": yaxis,
        "marker": {"symbol": "circle-open", "size": 14, "color": "#1f2933", "line": {"width": 2}},
        "name": "start", "showlegend": False, "hovertemplate": "start (%{x:.4g}, %{y:.4g})<extra></extra>",
        "meta": {"role": "start"},
    }


def chart_layout(title: str, *, log: bool, steps: int) -> dict:
    layout = base_layout()
    layout.update(
        xaxis={"title": {"text": "step", "standoff": 2}, "range": [0, max(steps, 1)], "showgrid": True,
               "gridcolor": "#eef1f4", "zeroline": False, "tickfont": {"size": 10}},
        yaxis={"title": {"text": title, "standoff": 4}, "type": "log" if log else "linear", "showgrid": True,
               "gridcolor": "#eef1f4", "zeroline": False, "tickfont": {"size": 10}, "exponentformat": "power"},
        # the current-frame line lives on this hidden [0, 1] axis, as a trace, so the
        # animation moves it with a cheap scatter update instead of a relayout
        yaxis2={"overlaying": "y", "range": [0, 1], "visible": False, "fixedrange": True},
        showlegend=False,
        hovermode="x",
    )
    layout["margin"] = {"l": 58, "r": 8, "t": 8, "b": 34}
    return layout


def frame_line(frame: int) -> dict:
    """The dotted vertical line at the current frame on the loss/distance charts."""
    return {"type": "scatter", "mode": "lines", "x": [frame, frame], "y": [0, 1], "yaxis": "y2",
            "line": {"color": "#52606d", "width": 1, "dash": "dot"}, "hoverinfo": "skip",
            "showlegend": False, "name": "frame", "meta": {"run": -1, "role": "frame"}}


def chart_templates(meta: dict, what: str) -> list[dict]:
    """A run's curve on the loss/distance chart and its current-frame marker."""
    i, color, label = meta["index"], meta["color"], meta["label"]
    line = {
        "type": "scatter", "mode": "lines", "name": label, "line": {"color": color, "width": 1.8},
        "hovertemplate": f"{label}: %{{y:.3e}}<extra></extra>", "meta": {"run": i, "role": what},
    }
    head = {
        "type": "scatter", "mode": "markers", "name": label, "showlegend": False, "hoverinfo": "skip",
        "marker": {"color": color, "size": 8, "symbol": run_symbol(i), "line": {"color": "#ffffff", "width": 1}},
        "meta": {"run": i, "role": what + "-head"},
    }
    return [line, head]


def loss_title(loss_kind: str) -> str:
    return "f − f*" if loss_kind == "gap" else "f (unbounded below)"


def browser_layouts(paths: dict) -> dict:
    """The layouts the browser needs for a set of paths: side-by-side axes, charts.

    The runs themselves are drawn by assets/descent.js on canvas layers, in the
    colours and markers of :func:`run_color` / :func:`run_symbol` sent with each run.
    """
    return {
        "grid_layout": grid_layout(paths["bounds"], len(paths["runs"]), paths.get("colour_title", "f")),
        "loss": {"layout": chart_layout(loss_title(paths["loss_kind"]), log=paths["loss_kind"] == "gap",
                                        steps=paths["steps"])},
        "dist": {"layout": chart_layout("distance to nearest minimum", log=True, steps=paths["steps"])},
    }


def chart_payload(paths: dict) -> dict:
    """Trace templates and layouts for complete static figures (tests, exports)."""
    runs = paths["runs"]
    bounds = paths["bounds"]
    return {
        "runs": [run_templates(meta) for meta in runs],
        "start": start_template(),
        "grid_layout": grid_layout(bounds, len(runs), paths.get("colour_title", "f"),
                                   titles=[meta["label"] for meta in runs]),
        "loss": {"layout": chart_layout(loss_title(paths["loss_kind"]), log=paths["loss_kind"] == "gap",
                                        steps=paths["steps"]),
                 "runs": [chart_templates(meta, "loss") for meta in runs], "frame": frame_line(0)},
        "dist": {"layout": chart_layout("distance to nearest minimum", log=True, steps=paths["steps"]),
                 "runs": [chart_templates(meta, "dist") for meta in runs], "frame": frame_line(0)},
    }


# ------------------------------------------------------------------------------
# full figures in Python (tests, exports, screenshots) — same assembly as the JS
# ------------------------------------------------------------------------------

def visible_count(n_points: int, frame: int) -> int:
    """How many points of a path are drawn at a frame (the start counts as one)."""
    return max(1, min(int(frame) + 1, int(n_points)))


def fill_run(templates: list[dict], x, y, n_points: int, frame: int, status: str) -> list[dict]:
    k = visible_count(n_points, frame)
    path, head, end = (dict(t) for t in templates)
    path["x"], path["y"] = list(x[:k]), list(y[:k])
    head["x"], head["y"] = [x[k - 1]], [y[k - 1]]
    ended = status == "diverged" and k == n_points
    end["x"], end["y"] = ([x[n_points - 1]], [y[n_points - 1]]) if ended else ([], [])
    return [path, head, end]


def _arrays(meta: dict):
    from .simulate import decode_f4

    return decode_f4(meta["x"]), decode_f4(meta["y"]), decode_f4(meta["loss"])


def main_figure(surface: dict, paths: dict, frame: int, view: str = "overlay") -> go.Figure:
    """The contour with every run at a frame (overlay) or one contour per run (grid)."""
    templates = chart_payload(paths)
    data: list[dict] = []
    n = len(paths["runs"])
    if view == "grid" and n > 0:
        layout = templates["grid_layout"]
        for i, meta in enumerate(paths["runs"]):
            xa, ya = axis_names(i)
            data.append({**surface["contour"], "xaxis": xa, "yaxis": ya})
            if surface["minima"]:
                data.append({**surface["minima"], "xaxis": xa, "yaxis": ya})
            data.append({**templates["start"], "x": [paths["start"][0]], "y": [paths["start"][1]],
                         "xaxis": xa, "yaxis": ya})
            x, y, _ = _arrays(meta)
            filled = fill_run(templates["runs"][i], x, y, meta["n"], frame, meta["status"])
            data += [{**t, "xaxis": xa, "yaxis": ya} for t in filled]
    else:
        layout = surface["layout"]
        data.append(surface["contour"])
        if surface["minima"]:
            data.append(surface["minima"])
        data.append({**templates["start"], "x": [paths["start"][0]], "y": [paths["start"][1]]})
        for i, meta in enumerate(paths["runs"]):
            x, y, _ = _arrays(meta)
            data += fill_run(templates["runs"][i], x, y, meta["n"], frame, meta["status"])
    return go.Figure(data=data, layout=layout)


def _chart_figure(paths: dict, frame: int, what: str) -> go.Figure:
    payload = chart_payload(paths)[what]
    data = []
    for i, meta in enumerate(paths["runs"]):
        x, y, loss = _arrays(meta)
        if what == "loss":
            values = loss
        else:
            values = nearest_distance(np.stack([x, y], -1), paths["minimizers"])
            if values is None:
                continue
        k = visible_count(meta["n"], frame)
        line, head = (dict(t) for t in payload["runs"][i])
        line["y"] = values.tolist()
        head["x"], head["y"] = [k - 1], [float(values[k - 1])]
        data += [line, head]
    data.append(frame_line(frame))
    return go.Figure(data=data, layout=payload["layout"])


def loss_figure(paths: dict, frame: int) -> go.Figure:
    return _chart_figure(paths, frame, "loss")


def distance_figure(paths: dict, frame: int) -> go.Figure:
    return _chart_figure(paths, frame, "dist")
