"""The race's parts of the page: the sidebar's panels, the stage (lesson banner, legend,
the contour with the runs, the player) and the step charts beside it.

Static skeletons only: the race's callback fills them from the state (a shared link
opens directly on its set-up).
"""

from __future__ import annotations

from dash import dcc, html

from ..core import ids, plot, widgets
from ..core.state import MAX_RUNS
from . import runs, start, surface, teach

GRAPH_CONFIG = {
    "displaylogo": False, "showSendToCloud": False, "showEditInChartStudio": False, "showLink": False,
    "scrollZoom": False,  # the page keeps scrolling over the graph; zoom with the buttons
    # Plotly's camera would save the contour without the runs (drawn on a canvas): the PNG
    # button composes the whole picture instead.
    "modeBarButtonsToRemove": ["select2d", "lasso2d", "autoScale2d", "toImage"],
}
CHART_CONFIG = {"displaylogo": False, "showSendToCloud": False, "showEditInChartStudio": False,
                "showLink": False, "displayModeBar": False}
SPEEDS = (("0.25", "¼×"), ("0.5", "½×"), ("1", "1×"), ("2", "2×"), ("4", "4×"), ("10", "10×"))


def section(title: str, children, class_name: str, open_: bool = True) -> html.Details:
    """A sidebar section that folds away."""
    return html.Details([html.Summary(html.H2(title)), *children], open=open_, className=f"panel {class_name}")


def lessons_panel() -> html.Details:
    return section("Lessons", [teach.lesson_list()], "lessons")


def surface_panel() -> html.Details:
    return section("Surface", [
        widgets.named("Surface", dcc.Dropdown(id=ids.SURFACE_KEY, options=surface.surface_options(),
                                              clearable=False, searchable=False, className="surface-key"),
                      "dropdown-box"),
        html.Div(id=ids.SURFACE_PARAMS, className="controls"),
        html.P("", id=ids.SURFACE_MESSAGE, className="field-message surface-message", role="status",
               **{"aria-live": "polite"}),
        html.Div(id=ids.COMPARE, className="controls"),
        surface.scale_control(1.0),
        html.Div(id=ids.SURFACE_INFO, className="surface-info"),
    ], "surface")


def runs_panel() -> html.Details:
    add = html.Div(
        [widgets.named("Optimizer of the new run",
                       dcc.Dropdown(id=ids.ADD_OPTIMIZER, options=runs.optimizer_options(), value="adam",
                                    clearable=False, searchable=False, className="add-optimizer"),
                       "dropdown-box add-optimizer-box"),
         html.Button("Add run", id=ids.ADD_RUN, n_clicks=0, className="button primary",
                     title=f"Add a run (at most {MAX_RUNS})")],
        className="add-run",
    )
    return section("Runs", [html.Div(id=ids.RUNS, className="runs"), add], "runs-panel")


def setup_panel() -> html.Details:
    return section("Start and budget", start.panel(), "setup")


def sidebar() -> html.Aside:
    return html.Aside([lessons_panel(), runs_panel(), surface_panel(), setup_panel()], id=ids.SIDEBAR,
                      className="sidebar", **{"aria-label": "Controls"})


def player() -> html.Div:
    """Animation controls; the browser drives them without server calls."""
    def button(id_, glyph, label, key):
        return html.Button(glyph, id=id_, className="player-button", title=f"{label} ({key})",
                           **{"aria-label": label})

    return html.Div(
        [
            button(ids.RESET, "|◀", "Reset to step 0", "Home"),
            button(ids.STEP_BACK, "◀", "Step back", "←"),
            button(ids.PLAY, "▶", "Play", "Space"),
            button(ids.STEP_FWD, "▶|", "Step forward", "→"),
            html.Div(id=ids.SCRUB, className="scrub"),  # a native range input, made by the browser
            html.Output("step 0", id=ids.FRAME_LABEL, className="frame-label"),
            html.Label([html.Span("speed", className="sr-only"),
                        html.Select([html.Option(text, value=value) for value, text in SPEEDS], id=ids.SPEED,
                                    className="speed", title="Animation speed")]),
        ],
        className="player", role="group", **{"aria-label": "Animation"},
    )


def view_controls() -> html.Div:
    return html.Div([
        widgets.named("Runs drawn", dcc.RadioItems(id=ids.VIEW, options=[{"label": "Overlay", "value": "overlay"},
                                                                         {"label": "Side by side", "value": "grid"}],
                                                   value="overlay", inline=True, className="toggle view-toggle")),
        widgets.named("Plot window", dcc.RadioItems(id=ids.BOX, options=[{"label": "Fit the paths", "value": "fit"},
                                                                         {"label": "Whole surface", "value": "whole"}],
                                                    value="whole", inline=True, className="toggle box-toggle")),
    ], className="view-controls")


def chart_box(graph_id: str, label: str) -> html.Div:
    return html.Div(
        dcc.Graph(id=graph_id, config=CHART_CONFIG, className="chart", responsive=True,
                  figure=plot.blank_figure()),
        id=ids.box(graph_id), className="chart-box", **{"aria-label": label, "role": "img"},
    )


def plot_column(instrument_controls) -> html.Div:
    return html.Div(
        [
            html.Div(id=ids.LEGEND, className="legend"),
            # Plotted by the page itself (assets/10_race.js, plotMain: with GRAPH_CONFIG, from
            # the config store), which can then adopt the HTML's first frame already drawn.
            html.Div(id=ids.MAIN_GRAPH, className="main-graph"),
            player(),
            html.Div([view_controls(), *instrument_controls], className="tools"),
        ],
        className="plot-col",
    )


def chart_column(instrument_boxes) -> html.Div:
    return html.Div(
        [chart_box(ids.LOSS_GRAPH, "Loss over steps"), chart_box(ids.DIST_GRAPH, "Distance to the minimum"),
         *instrument_boxes],
        className="chart-col",
    )


def banner_area() -> list:
    return [html.Div(id=ids.LESSON, className="lesson", **{"aria-live": "polite"}), teach.how_to_read()]
