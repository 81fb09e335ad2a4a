"""The "Maps" section under the race: hyperparameter map, basin map, fair comparison.

Static components only; ``ui.maps.callbacks`` fills the figures and captions and
``assets/30_maps.js`` keeps the run lists and markers in step with the race. Every
control has a concrete default (the server refuses a missing value like any other).
The page starts with the maps folded (``folded_maps``); the first one opened mounts
them all (``maps_body``).
"""

from __future__ import annotations

from dash import dcc, html

from descent_lab import optimizers

from ..core import ids, plot, widgets
from ..core.state import MAX_RUNS
from . import common as maps

MAP_GRAPH_CONFIG = {
    "displaylogo": False,
    "showSendToCloud": False,
    "showEditInChartStudio": False,
    "showLink": False,
    "scrollZoom": False,
    "modeBarButtonsToRemove": ["select2d", "lasso2d", "autoScale2d"],
}
SUMMARIES = {
    ids.HMAP: "Hyperparameter map: the outcome over every learning rate × one more setting",
    ids.BASIN: "Basin map: where each start point ends, for up to three runs side by side",
    ids.TUNE: "Fair comparison: tune each run's learning rate under the same budget, then race",
}
TOL_OPTIONS = [{"label": f"{t:g}", "value": t} for t in maps.TOLERANCES]


def graph_config(filename: str) -> dict:
    """Plotly's camera button saves the map as ``<filename>.png`` (maps are plain Plotly)."""
    return {**MAP_GRAPH_CONFIG, "toImageButtonOptions": {"format": "png", "filename": filename, "scale": 2}}


def spec_table() -> dict:
    """Each optimizer's float settings other than lr (main first), for the option lists
    the browser builds (``assets/30_maps.js``); also each one's main second setting."""
    table = {}
    for key, spec in optimizers.REGISTRY.items():
        second = maps.main_second(key)
        table[key] = {
            "label": spec.label,
            "params": [{"name": hp.name, "label": _param_label(hp)} for hp in maps.float_params(key)],
            "second": second.name if second is not None else None,
        }
    return table


def _param_label(hp) -> str:
    return hp.name if hp.label == hp.name else f"{hp.label} ({hp.name})"


def all_second_options() -> list[dict]:
    """Every optimizer's float settings (the browser narrows this to the chosen run's)."""
    seen = {}
    for key in optimizers.REGISTRY:
        for hp in maps.float_params(key):
            seen.setdefault(hp.name, _param_label(hp))
    return [{"label": label, "value": name} for name, label in seen.items()]


def run_options() -> list[dict]:
    return [{"label": f"Run {i + 1}", "value": i} for i in range(MAX_RUNS)]


def empty_figure(text: str) -> dict:
    blank = plot.blank_figure()
    blank["layout"]["annotations"] = [{"text": text, "showarrow": False, "xref": "paper", "yref": "paper",
                                       "x": 0.5, "y": 0.5, "font": {"size": 13, "color": "#616e7c"}}]
    return blank


def _field(label: str, control, title: str = "") -> html.Label | html.Div:
    """A setting with its label. A number field sits in a <label>; a Dash dropdown, range
    slider or checklist (no label element can name it) in a box whose ``data-name`` the
    browser gives it (``widgets.named``)."""
    text = html.Span(label, className="map-field-label")
    if isinstance(control, dcc.Input):
        return html.Label([text, control], className="map-field", title=title)
    return widgets.named(label, [text, control], "map-field", title=title)


def _number(id_, value, low, high):
    return dcc.Input(id=id_, type="number", value=value, min=low, max=high, step=1, debounce=True,
                     className="number map-number")


def _buttons(compute_id, compute_text, csv_id, png_id, what):
    return html.Div(
        [
            html.Button(compute_text, id=compute_id, n_clicks=0, className="button primary"),
            html.Button("CSV", id=csv_id, n_clicks=0, className="button",
                        title=f"Download the {what}'s grid as CSV"),
            html.Button("PNG", id=png_id, n_clicks=0, className="button", title=f"Save the {what} as a PNG image"),
        ],
        className="map-buttons",
    )


def _graph(id_, filename, height):
    return dcc.Loading(
        dcc.Graph(id=id_, config=graph_config(filename), className="map-graph", responsive=True,
                  style={"height": height}, figure=empty_figure("Choose the settings and press the button.")),
        type="circle", delay_show=150, className="map-loading", parent_className="map-loading-parent",
    )


def hparam_section(open_: bool = False) -> html.Details:
    limits = (f"At most {maps.MAX_GRID} cells per side, {maps.MAX_SWEEP_STEPS:,} steps, and "
              f"{maps.MAX_MAP_WORK:,} run-steps per map.")
    controls = html.Div(
        [
            _field("run", dcc.Dropdown(id=ids.HMAP_RUN, options=run_options(), value=1, clearable=False,
                                       searchable=False, className="map-dropdown")),
            _field("second setting (y)", dcc.Dropdown(id=ids.HMAP_Y, options=all_second_options(), value="momentum",
                                                      clearable=False, searchable=False, className="map-dropdown")),
            _field("outcome", dcc.Dropdown(id=ids.HMAP_OUTCOME,
                                           options=[{"label": v, "value": k} for k, v in maps.OUTCOMES.items()],
                                           value="final_loss", clearable=False, searchable=False,
                                           className="map-dropdown")),
            _field("tolerance", dcc.Dropdown(id=ids.HMAP_TOL, options=TOL_OPTIONS, value=maps.DEFAULT_TOL,
                                             clearable=False, searchable=False, className="map-dropdown"),
                   "For 'steps to tolerance': the loss gap f − f* a run must get within"),
            _field("cells per side", _number(ids.HMAP_N, maps.DEFAULT_GRID, maps.MIN_GRID, maps.MAX_GRID), limits),
            _field("steps", _number(ids.HMAP_STEPS, maps.DEFAULT_STEPS, 1, maps.MAX_SWEEP_STEPS), limits),
        ],
        className="map-controls",
    )
    ranges = html.Div(
        [
            _field("learning rates (decades)",
                   dcc.RangeSlider(id=ids.HMAP_LR_RANGE, min=maps.LR_LOG_RANGE[0], max=maps.LR_LOG_RANGE[1], step=0.25,
                                   value=list(maps.LR_LOG_RANGE), allow_direct_input=False,
                                   marks={d: f"1e{d}" if d else "1" for d in range(-6, 2)},
                                   className="map-range"),
                   "The map's learning rates, kept inside the optimizer's own range"),
            _field("second setting's range (share of its range)",
                   dcc.RangeSlider(id=ids.HMAP_Y_RANGE, min=0, max=1, step=0.01, value=[0, 1],
                                   allow_direct_input=False, marks={0: "low", 0.5: "½", 1: "high"},
                                   className="map-range"),
                   "0 is the setting's lowest allowed value, 1 its highest"),
        ],
        className="map-ranges",
    )
    return html.Details(
        [
            html.Summary(SUMMARIES[ids.HMAP]),
            controls,
            ranges,
            _buttons(ids.HMAP_COMPUTE, "Compute map", ids.HMAP_CSV, ids.HMAP_PNG, "hyperparameter map"),
            html.Div(id=ids.HMAP_STALE, className="map-stale", **{"aria-live": "polite"}),
            _graph(ids.HMAP_GRAPH, "descent-lab-hyperparameter-map", "440px"),
            html.P(id=ids.HMAP_NOTE, className="map-note"),
            dcc.Store(id=ids.HMAP_REQUEST),
        ],
        id=ids.HMAP, className="map-box", open=open_,
    )


def basin_section(open_: bool = False) -> html.Details:
    return html.Details(
        [
            html.Summary(SUMMARIES[ids.BASIN]),
            html.Div(
                [
                    _field("runs (1 to 3)", dcc.Checklist(id=ids.BASIN_RUNS, options=run_options(), value=[0, 1, 2],
                                                          inline=True, className="map-checklist")),
                    _field("cells per side", _number(ids.BASIN_N, maps.DEFAULT_GRID, maps.MIN_GRID, maps.MAX_GRID)),
                    _field("steps", _number(ids.BASIN_STEPS, maps.DEFAULT_STEPS, 1, maps.MAX_SWEEP_STEPS)),
                ],
                className="map-controls",
            ),
            _buttons(ids.BASIN_COMPUTE, "Compute basins", ids.BASIN_CSV, ids.BASIN_PNG, "basin map"),
            html.Div(id=ids.BASIN_STALE, className="map-stale", **{"aria-live": "polite"}),
            _graph(ids.BASIN_GRAPH, "descent-lab-basin-map", "440px"),
            html.P(id=ids.BASIN_NOTE, className="map-note"),
            dcc.Store(id=ids.BASIN_REQUEST),
        ],
        id=ids.BASIN, className="map-box", open=open_,
    )


def tune_section(open_: bool = False) -> html.Details:
    return html.Details(
        [
            html.Summary(SUMMARIES[ids.TUNE]),
            html.Div(
                [
                    _field("runs", dcc.Checklist(id=ids.TUNE_RUNS, options=run_options(), value=[0, 1, 2],
                                                 inline=True, className="map-checklist")),
                    _field("objective", dcc.Dropdown(id=ids.TUNE_OBJECTIVE,
                                                     options=[{"label": v, "value": k}
                                                              for k, v in maps.OBJECTIVES.items()],
                                                     value="final_loss", clearable=False, searchable=False,
                                                     className="map-dropdown")),
                    _field("tune", dcc.Dropdown(id=ids.TUNE_SECOND,
                                                options=[{"label": v, "value": k}
                                                         for k, v in maps.SECOND_MODES.items()],
                                                value="none", clearable=False, searchable=False,
                                                className="map-dropdown"),
                           "The main second setting is momentum μ, β1, α, ρ... (none for gradient descent)"),
                    _field("tolerance", dcc.Dropdown(id=ids.TUNE_TOL, options=TOL_OPTIONS, value=maps.DEFAULT_TOL,
                                                     clearable=False, searchable=False, className="map-dropdown")),
                    _field("step budget", _number(ids.TUNE_STEPS, maps.DEFAULT_STEPS, 1, maps.MAX_SWEEP_STEPS)),
                    _field("learning rates", _number(ids.TUNE_N, maps.DEFAULT_TUNE_LR, maps.MIN_GRID, maps.MAX_GRID)),
                    _field("second-setting values",
                           _number(ids.TUNE_N_SECOND, maps.DEFAULT_TUNE_SECOND, maps.MIN_GRID, maps.MAX_GRID)),
                ],
                className="map-controls",
            ),
            _buttons(ids.TUNE_COMPUTE, "Tune and race", ids.TUNE_CSV, ids.TUNE_PNG, "comparison"),
            _graph(ids.TUNE_GRAPH, "descent-lab-fair-comparison", "320px"),
            html.P(id=ids.TUNE_NOTE, className="map-note"),
            dcc.Store(id=ids.TUNE_REQUEST),
        ],
        id=ids.TUNE, className="map-box", open=open_,
    )


def maps_body(opened: tuple = (), state: dict | None = None) -> list:
    """The three maps with every control, those ``opened`` unfolded, and the race's
    ``state`` mirrored for the run lists (``assets/30_maps.js`` keeps it current)."""
    return [
        hparam_section(ids.HMAP in opened),
        basin_section(ids.BASIN in opened),
        tune_section(ids.TUNE in opened),
        html.Span(id=ids.MAP_PNG_MSG, className="sr-only", **{"aria-live": "polite"}),
        dcc.Store(id=ids.MAP_SPECS, data=spec_table()),
        dcc.Store(id=ids.MAPS_STATE, data=state),
        dcc.Download(id=ids.MAP_DOWNLOAD),
    ]


def folded_maps() -> list:
    """What the page starts with: the three maps folded, their summaries only. Opening one
    mounts the maps (``maps_body``, ``ui.maps.callbacks``): about a third of the page's
    components, which the first load then does not render."""
    return [html.Details(html.Summary(SUMMARIES[key]), id=key, className="map-box map-folded")
            for key in (ids.HMAP, ids.BASIN, ids.TUNE)]


def maps_panel() -> html.Section:
    return html.Section(
        [
            html.H2("Maps"),
            html.P("Many runs at once: how the outcome depends on the settings, where each start ends, and a "
                   "comparison in which every optimizer gets its best learning rate under the same budget.",
                   className="map-intro"),
            html.Div(folded_maps(), id=ids.MAPS_BODY, className="maps-body"),
            dcc.Store(id=ids.MAPS_OPEN),
            dcc.Store(id=ids.MAP_ACTION),
        ],
        id=ids.MAPS, className="panel maps",
    )
