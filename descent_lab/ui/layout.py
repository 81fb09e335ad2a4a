"""The page: static skeleton plus builders for the parts that change with the state.

The skeleton holds empty containers and stores; the first callback (triggered by
the page's URL) fills them, so a shared link opens directly on its lesson. The
builders (:func:`run_card`, :func:`surface_panel`, :func:`alerts`...) are pure
functions of the validated state, tested as such.
"""

from __future__ import annotations

from dash import dcc, html

from descent_lab import optimizers, surfaces

from . import controls, ids, instrument_layout
from .figures import run_color, run_symbol
from .map_layout import maps_panel
from .presets import PRESET_LIST, PRESETS
from .state import (
    CUSTOM,
    CUSTOM_LABEL,
    MAX_NOISE,
    MAX_RUNS,
    MAX_SEED,
    MAX_STEPS,
    MIN_STEPS,
    make_surface,
)

# Plotly's camera button would save the contour without the runs (they are drawn on
# a canvas layer): the "PNG" button composes the whole picture instead.
GRAPH_CONFIG = {
    "displaylogo": False,
    "showSendToCloud": False,
    "showEditInChartStudio": False,
    "showLink": False,
    "scrollZoom": False,  # the page keeps scrolling over the graph; zoom with the buttons
    "modeBarButtonsToRemove": ["select2d", "lasso2d", "autoScale2d", "toImage"],
}
CHART_CONFIG = {
    "displaylogo": False,
    "showSendToCloud": False,
    "showEditInChartStudio": False,
    "showLink": False,
    "modeBarButtonsToRemove": ["select2d", "lasso2d", "autoScale2d", "zoom2d", "pan2d", "toImage"],
}
SPEEDS = (("0.25", "¼×"), ("0.5", "½×"), ("1", "1×"), ("2", "2×"), ("4", "4×"), ("10", "10×"))
SYMBOL_GLYPHS = {"circle": "●", "square": "■", "diamond": "◆", "triangle-up": "▲", "pentagon": "⬟",
                 "hexagon": "⬢", "star": "★", "triangle-down": "▼"}


# ------------------------------------------------------------------------------
# builders (pure functions of the state)
# ------------------------------------------------------------------------------

def optimizer_options() -> list[dict]:
    return [{"label": spec.label, "value": key} for key, spec in optimizers.REGISTRY.items()]


def _first_clause(text: str) -> str:
    for stop in (":", ". ", ";"):
        if stop in text:
            text = text.split(stop)[0]
    return text.rstrip(".")


def surface_options() -> list[dict]:
    """Each surface with a one-line description under its name in the list."""
    return [
        {
            "label": html.Span([html.Span(entry.label, className="option-title"),
                                html.Span(_first_clause(entry.description), className="option-desc")],
                               className="surface-option"),
            "value": key,
            "search": entry.label,
        }
        for key, entry in surfaces.REGISTRY.items()
    ] + [{  # a function the user types (issue 4)
        "label": html.Span([html.Span(CUSTOM_LABEL, className="option-title"),
                            html.Span("Type your own function of x and y", className="option-desc")],
                           className="surface-option"),
        "value": CUSTOM,
        "search": CUSTOM_LABEL,
    }]


def run_card(index: int, run: dict, status_text: str = "") -> html.Div:
    """A run's card: colour and marker, optimizer, update rule, controls, status."""
    spec = optimizers.REGISTRY[run["optimizer"]]
    color = run_color(index)
    swatch = html.Span(SYMBOL_GLYPHS.get(run_symbol(index), "●"), className="swatch",
                       style={"color": color}, **{"aria-hidden": "true"})
    header = html.Div(
        [
            swatch,
            html.Span(f"Run {index + 1}", className="run-number"),
            dcc.Dropdown(id=ids.run_optimizer(index), options=optimizer_options(), value=run["optimizer"],
                         clearable=False, searchable=False, className="run-optimizer"),
            html.Button("copy", id=ids.run_duplicate(index), className="icon-button text", n_clicks=0,
                        title="Duplicate this run", **{"aria-label": f"Duplicate run {index + 1}"}),
            html.Button("×", id=ids.run_remove(index), className="icon-button remove", n_clicks=0,
                        title="Remove this run", **{"aria-label": f"Remove run {index + 1}"}),
        ],
        className="run-head",
    )
    rule = html.Details(
        [
            html.Summary(getattr(spec, "summary", "") or "Update rule", className="rule-summary"),
            dcc.Markdown(f"$$\n{spec.rule}\n$$", mathjax=True, className="rule"),
            html.Div(spec.reference, className="reference"),
        ],
        className="rule-box",
        open=True,
    )
    return html.Div(
        [
            header,
            html.Div(status_text, id=ids.run_status(index), className="run-status", **{"aria-live": "polite"}),
            rule,
            html.Div(controls.hparam_controls(index, spec, run["hparams"]), className="controls"),
        ],
        className="run-card",
        style={"--run-color": color},
        **{"data-run": str(index), "data-optimizer": run["optimizer"]},
    )


def run_cards(state: dict) -> list:
    cards = [run_card(i, run) for i, run in enumerate(state["runs"])]
    if not cards:
        cards = [html.P("No runs yet: add one below.", className="empty")]
    return cards


def surface_info(state: dict) -> list:
    """The surface's formula and description, generated from its record."""
    surface = make_surface(state["surface"])
    parts = [dcc.Markdown(f"$$\n{surface.formula}\n$$", mathjax=True, className="formula")]
    if state["surface"]["key"] == CUSTOM:  # Markdown with the gradient in $$...$$
        parts.append(dcc.Markdown(surface.description, mathjax=True, className="description"))
    else:
        parts.append(html.P(surface.description, className="description"))
    facts = []
    for attr in ("domain_text", "minimum_text"):
        text = getattr(surface, attr, None)
        if text:
            facts.append(html.Li(text))
    if facts:
        parts.append(html.Ul(facts, className="facts"))
    return parts


def surface_params(state: dict) -> list:
    if state["surface"]["key"] == CUSTOM:
        return instrument_layout.custom_controls(state["surface"]["params"])
    entry = surfaces.REGISTRY[state["surface"]["key"]]
    return controls.surface_controls(entry, state["surface"]["params"])


def lesson_banner(key: str | None) -> list:
    """The loaded lesson's title and what to look at (empty when none)."""
    preset = PRESETS.get(key) if key else None
    if preset is None:
        return []
    return [
        html.Div(
            [
                html.Div([html.Span("Lesson", className="lesson-tag"), html.Strong(preset.title)],
                         className="lesson-title"),
                html.P(preset.description),
                *([html.P(preset.instruments, className="lesson-instruments")] if preset.instruments else []),
                html.P(id=ids.LESSON_LIVE, className="lesson-live", **{"data-metric": preset.metric,
                                                                        "aria-live": "off"}),
                html.Button("×", id={"type": ids.LESSON_CLOSE, "key": preset.key}, className="icon-button lesson-close",
                            n_clicks=0,
                            title="Hide this lesson's text", **{"aria-label": "Hide the lesson"}),
            ],
            className="lesson-card",
        )
    ]


def alerts(messages: list[str]) -> list:
    """The alert area's content: one line per refused value, and a way to dismiss."""
    if not messages:
        return []
    unique = list(dict.fromkeys(messages))[:12]
    return [
        html.Div(
            [
                html.Strong("Some values were refused. "),
                html.Ul([html.Li(message) for message in unique]),
                html.Button("Dismiss", id=ids.ALERT_CLOSE, className="alert-close", n_clicks=0),
            ],
            className="alert",
        )
    ]


# ------------------------------------------------------------------------------
# the page
# ------------------------------------------------------------------------------

def _section(title: str, children, class_name: str = "") -> html.Section:
    return html.Section([html.H2(title), *children], className=f"panel {class_name}".strip())


def presets_panel() -> html.Section:
    buttons = [
        html.Button(preset.title, id=ids.preset(preset.key), n_clicks=0, className="chip",
                    title=preset.description)
        for preset in PRESET_LIST
    ]
    return _section("Lessons", [html.Div(buttons, className="chips")], "lessons")


def surface_panel() -> html.Section:
    return _section(
        "Surface",
        [
            dcc.Dropdown(id=ids.SURFACE_KEY, options=surface_options(), clearable=False, searchable=False,
                         className="surface-key"),
            html.Div(id=ids.SURFACE_PARAMS, className="controls"),
            html.Div(instrument_layout.scale_control({}), className="controls loss-scale"),
            html.Div(id=ids.SURFACE_INFO, className="surface-info"),
        ],
        "surface",
    )


def runs_panel() -> html.Section:
    add = html.Div(
        [
            dcc.Dropdown(id=ids.ADD_OPTIMIZER, options=optimizer_options(), value="adam", clearable=False,
                         searchable=False, className="add-optimizer"),
            html.Button("Add run", id=ids.ADD_RUN, n_clicks=0, className="button primary",
                        title=f"Add a run (at most {MAX_RUNS})"),
        ],
        className="add-run",
    )
    return _section("Runs", [html.Div(id=ids.RUNS, className="runs"), add], "runs-panel")


def _number(id_, label, **kwargs):
    return html.Label(
        [html.Span(label), dcc.Input(id=id_, type="number", debounce=True, className="number", **kwargs)],
        className="field",
    )


def setup_panel() -> html.Section:
    return _section(
        "Start and budget",
        [
            html.Div(
                [
                    _number(ids.START_X, "start x", step="any"),
                    _number(ids.START_Y, "start y", step="any"),
                    _number(ids.STEPS, "steps", min=MIN_STEPS, max=MAX_STEPS, step=1),
                    _number(ids.SEED, "seed", min=0, max=MAX_SEED, step=1),
                ],
                className="fields",
            ),
            html.Div(
                [
                    html.Div([html.Label("gradient noise σ", className="control-label",
                                         title="Standard deviation of Gaussian noise added to each gradient "
                                               "coordinate, drawn from the seed: stochastic gradients."),
                              html.Output("0", id=ids.NOISE_VALUE, className="control-value")],
                             className="control-head"),
                    dcc.Slider(id=ids.NOISE, min=0, max=MAX_NOISE, step=0.05, value=0, updatemode="drag",
                               marks={0: "0", MAX_NOISE: f"{MAX_NOISE:g}"}, allow_direct_input=False,
                               className="linear-slider"),
                ],
                className="control",
            ),
            instrument_layout.fan_control(),
            html.P("Tip: click anywhere on the contour to start every run there.", className="hint"),
        ],
        "setup",
    )


def player() -> html.Div:
    """Animation controls; assets/descent.js drives them without server calls."""
    def button(id_, glyph, label, key):
        return html.Button(glyph, id=id_, className="player-button", title=f"{label} ({key})",
                           **{"aria-label": label})

    return html.Div(
        [
            button(ids.RESET, "|◀", "Reset to step 0", "Home"),
            button(ids.STEP_BACK, "◀", "Step back", "←"),
            button(ids.PLAY, "▶", "Play", "Space"),
            button(ids.STEP_FWD, "▶|", "Step forward", "→"),
            html.Div(id=ids.SCRUB, className="scrub"),  # a native range input, made by the JS
            html.Output("step 0", id=ids.FRAME_LABEL, className="frame-label"),
            html.Label(
                [
                    html.Span("speed", className="sr-only"),
                    html.Select([html.Option(text, value=value) for value, text in SPEEDS],
                                id=ids.SPEED, className="speed", title="Animation speed"),
                ],
            ),
        ],
        className="player",
        role="group",
        **{"aria-label": "Animation"},
    )


def header() -> html.Header:
    return html.Header(
        [
            html.Div(
                [html.H1("Descent Lab"),
                 html.P("Watch gradient-based optimizers race on 2-D loss surfaces.", className="tagline")],
                className="brand",
            ),
            html.Div(
                [
                    dcc.Loading(html.Div(id=ids.STATUS, className="status-line"), id=ids.LOADING,
                                type="dot", delay_show=250, className="loading",
                                parent_className="loading-parent"),
                    html.Button("Copy link", id=ids.SHARE, className="button", n_clicks=0,
                                title="Copy a link to exactly this set-up"),
                    html.Span(id=ids.SHARE_MSG, className="share-msg", **{"aria-live": "polite"}),
                    html.Button("CSV", id=ids.CSV, className="button", n_clicks=0,
                                title="Download every run's trajectory, one row per step, with internal state"),
                    html.Button("PNG", id=ids.PNG, className="button",
                                title="Save the graph, paths, legend and charts as one picture"),
                ],
                className="actions",
            ),
        ],
        className="topbar",
    )


def view_toggle() -> dcc.RadioItems:
    return dcc.RadioItems(
        id=ids.VIEW,
        options=[{"label": "Overlay", "value": "overlay"}, {"label": "Side by side", "value": "grid"}],
        value="overlay",
        inline=True,
        className="view-toggle",
    )


def stage() -> html.Main:
    return html.Main(
        [
            html.Div([html.H2("Paths", className="sr-only"), view_toggle()], className="stage-head"),
            html.Div(id=ids.LESSON, className="lesson", **{"aria-live": "polite"}),
            html.Div(id=ids.LEGEND, className="legend"),
            dcc.Graph(id=ids.MAIN_GRAPH, config=GRAPH_CONFIG, className="main-graph", responsive=True,
                      style={"height": "min(64vh, 660px)", "minHeight": "320px"},
                      figure={"data": [], "layout": {"template": None}}),
            player(),
            html.Div(
                [
                    dcc.Graph(id=ids.LOSS_GRAPH, config=CHART_CONFIG, className="chart", responsive=True,
                              style={"height": "240px"},
                              figure={"data": [], "layout": {"template": None}}),
                    dcc.Graph(id=ids.DIST_GRAPH, config=CHART_CONFIG, className="chart", responsive=True,
                              style={"height": "240px"},
                              figure={"data": [], "layout": {"template": None}}),
                ],
                className="charts",
            ),
            instrument_layout.instrument_panel(),
            maps_panel(),
        ],
        className="stage",
    )


def stores() -> list:
    return [
        dcc.Location(id=ids.URL, refresh=False),
        dcc.Store(id=ids.STATE),
        dcc.Store(id=ids.SURFACE),
        dcc.Store(id=ids.PATHS),
        dcc.Store(id=ids.VIEW_STORE),
        dcc.Store(id=ids.URL_OUT),
        dcc.Store(id=ids.CLICK),
        dcc.Store(id=ids.FRAME_SYNC),
        dcc.Download(id=ids.DOWNLOAD),
    ]


def build_layout() -> html.Div:
    return html.Div(
        [
            *stores(),
            header(),
            html.Div(id=ids.ALERTS, className="alerts", role="alert", **{"aria-live": "assertive"}),
            html.Div(
                [
                    html.Aside([presets_panel(), surface_panel(), runs_panel(), setup_panel()], className="sidebar"),
                    stage(),
                ],
                className="workspace",
            ),
        ],
        className="app",
    )
