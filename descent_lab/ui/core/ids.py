"""Every component id of the app, in one place, and their export to the browser.

Plain string ids for singletons; pattern-matching dict ids (``{"type": ..., ...}``)
for components generated from the registries, so one callback serves all of them.
A run's components carry the run's ``id`` (its lifelong identity, which also picks its
colour), not its position in the list: removing a run leaves the others' ids alone.

:func:`export` gives the browser the same names (``assets/00_core.js`` reads them from
the config store), so no id is spelled twice.
"""

from __future__ import annotations

# --- stores and location ------------------------------------------------------------
URL = "url"                      # dcc.Location: read on load and on back/forward
CONFIG = "config-store"          # static: ids, theme, number format for the browser
STATE = "state-store"            # the validated app state (ui.core.state)
ACTION = "action-store"          # what the person just did, as data (ui.race.events)
SURFACE = "surface-store"        # contour + axes, sent once per surface (or zoom box) change
PATHS = "paths-store"            # every run's path and per-step arrays
URL_OUT = "url-out-store"        # the query string the server encoded for the state
VIEW_STORE = "view-store"        # {"view", "frame", "autoplay", "nonce"}: what the player shows
FRAME_SYNC = "frame-sync-store"  # last frame the player settled on (browser)
CLICK = "click-store"            # exact pointer position of a click on the contour (browser)
ALERTS = "alerts"                # visible messages about refused values
ALERT_CLOSE = "alert-close"
STATUS = "status-line"

# --- page frame -----------------------------------------------------------------------
SIDEBAR = "sidebar"
SIDEBAR_TOGGLE = "sidebar-toggle"
STAGE = "stage"
HOW_TO_READ = "how-to-read"

# --- surface panel ----------------------------------------------------------------------
SURFACE_KEY = "surface-key"
SURFACE_PARAMS = "surface-params"      # container of the surface's own controls
SURFACE_INFO = "surface-info"          # formula, description, facts
SURFACE_MESSAGE = "surface-message"    # why a typed function or its bounds were refused
LOSS_SCALE = "loss-scale"              # log slider of the loss scale c (f -> c f)
LOSS_SCALE_TEXT = "loss-scale-text"
COMPARE = "compare-panel"              # the second panel's parameter (aligned vs rotated)

# --- runs panel ---------------------------------------------------------------------------
RUNS = "runs"                          # container of run cards
ADD_OPTIMIZER = "add-optimizer"        # dropdown: optimizer of the run to add
ADD_RUN = "add-run"

# --- setup ---------------------------------------------------------------------------------
START_X = "start-x"
START_Y = "start-y"
STEPS = "steps"
SEED = "seed"
NOISE = "noise"
NOISE_TEXT = "noise-text"
FAN = "fan"                            # K seeds per run (0 = off)
FAN_TEXT = "fan-text"
VIEW = "view"                          # overlay / grid (side by side)
COUNT = "count"                        # the budget counts steps / function evaluations
BOX = "box-toggle"                     # fit the action / whole surface
FIELD_MESSAGE = "field-message"        # a refused number field says why, in place

# --- stage -----------------------------------------------------------------------------------
MAIN_GRAPH = "main-graph"
LOSS_GRAPH = "loss-graph"
DIST_GRAPH = "dist-graph"
LEGEND = "legend"
LESSON = "lesson"                      # the loaded lesson's banner
LESSON_LIVE = "lesson-live"            # the lesson's key number at the current frame
LESSON_BODY = "lesson-body"            # the lesson's text (folded on phones)
LESSONS = "lessons"                    # the lesson list

# --- player ------------------------------------------------------------------------------------
PLAY = "play"
STEP_BACK = "step-back"
STEP_FWD = "step-forward"
RESET = "reset"
SCRUB = "scrub"
SPEED = "speed"
FRAME_LABEL = "frame-label"

# --- export and share -----------------------------------------------------------------------------
CSV = "csv-button"
PNG = "png-button"
SHARE = "share-button"
SHARE_MSG = "share-message"

# --- instruments ------------------------------------------------------------------------------------
INSTRUMENTS = "instruments"            # the instruments panel
SHOW = "instruments-show"              # checklist: which instruments are on (state and URL)
ARROW_LEGEND = "arrow-legend"
READOUT = "readout"                    # the paused step's substituted update rules (MathJax)
READOUT_TABLE = "readout-numbers"      # the paused step's numbers, every run (plain HTML)
READOUT_LIVE = "readout-live"          # per-frame numbers (browser)
READOUT_REQUEST = "readout-request-store"
INSTRUMENT_LAYOUTS = "instrument-layouts-store"


def chart(name: str) -> str:
    """The graph of an instrument chart (``angle`` -> ``angle-graph``)."""
    return f"{name}-graph"


def chart_host(name: str) -> str:
    """Where an instrument chart's graph is mounted the first time the chart is shown
    (``angle`` -> ``angle-graph-host``): a hidden chart costs the first load nothing."""
    return f"{chart(name)}-host"


def box(component: str) -> str:
    """The box around an instrument's graph or panel, hidden while it is off."""
    return f"{component}-box"


# --- pattern-matching types -----------------------------------------------------------------------------
HPARAM = "hparam"                # {"type": HPARAM, "run": id, "name": hp}: a slider
HPARAM_TEXT = "hparam-text"      # the exact value, typed
SCHEDULE = "schedule"            # {"type": SCHEDULE, "run": id}: the schedule's kind
SCHEDULE_PARAM = "schedule-param"  # {"type": ..., "run": id, "name": p}: a schedule's setting
SCHEDULE_TEXT = "schedule-text"  # its exact value, typed
SPARAM = "sparam"                # {"type": SPARAM, "name": p}: a surface parameter's slider
SPARAM_TEXT = "sparam-text"
COMPARE_PARAM = "compare-param"  # {"type": ..., "name": "name" | "value"}: the second panel's pick and slider
COMPARE_TEXT = "compare-text"    # {"type": ..., "name": "value"}: its exact value, typed
RUN_OPTIMIZER = "run-optimizer"  # {"type": ..., "run": id}
RUN_REMOVE = "run-remove"
RUN_DUPLICATE = "run-duplicate"
RUN_STATUS = "run-status"
LESSON_PICK = "lesson-pick"      # {"type": ..., "key": k}
LESSON_ACT = "lesson-act"        # {"type": ..., "what": "close" | "restore"}
FORMULA_TOGGLE = "formula-toggle"  # {"type": ..., "key": k}: shows or hides a formula
FORMULA_BODY = "formula-body"      # where it is typeset (MathJax loads with the first one)
FORMULA_SRC = "formula-src"        # its Markdown source


def hparam(run: int, name: str) -> dict:
    return {"type": HPARAM, "run": run, "name": name}


def hparam_text(run: int, name: str) -> dict:
    return {"type": HPARAM_TEXT, "run": run, "name": name}


def schedule(run: int) -> dict:
    return {"type": SCHEDULE, "run": run}


def schedule_param(run: int, name: str) -> dict:
    return {"type": SCHEDULE_PARAM, "run": run, "name": name}


def schedule_text(run: int, name: str) -> dict:
    return {"type": SCHEDULE_TEXT, "run": run, "name": name}


def sparam(name: str) -> dict:
    return {"type": SPARAM, "name": name}


def sparam_text(name: str) -> dict:
    return {"type": SPARAM_TEXT, "name": name}


def compare_param(name: str) -> dict:
    return {"type": COMPARE_PARAM, "name": name}


def compare_text() -> dict:
    return {"type": COMPARE_TEXT, "name": "value"}


def run_optimizer(run: int) -> dict:
    return {"type": RUN_OPTIMIZER, "run": run}


def run_remove(run: int) -> dict:
    return {"type": RUN_REMOVE, "run": run}


def run_duplicate(run: int) -> dict:
    return {"type": RUN_DUPLICATE, "run": run}


def run_status(run: int) -> dict:
    return {"type": RUN_STATUS, "run": run}


def lesson_pick(key: str) -> dict:
    return {"type": LESSON_PICK, "key": key}


def lesson_act(what: str) -> dict:
    return {"type": LESSON_ACT, "what": what}


# --- maps ---------------------------------------------------------------------------------------------------
MAPS = "maps"                    # the "Maps" section
MAPS_BODY = "maps-body"          # its three maps: folded stand-ins until one is first opened
MAPS_OPEN = "maps-open-store"    # which map was opened first (mounts the maps)
MAPS_STATE = "maps-state-store"  # the race's state, mirrored into the mounted maps (browser)
MAP_ACTION = "map-action-store"  # a map's action for the race (a set-up, a start): queued by the page
MAP_SPECS = "map-specs-store"    # static: each optimizer's float settings (for the option lists)
MAP_DOWNLOAD = "map-download"
MAP_PNG_MSG = "map-png-message"
HMAP = "hmap"
HMAP_RUN = "hmap-run"
HMAP_Y = "hmap-y"
HMAP_N = "hmap-n"
HMAP_STEPS = "hmap-steps"
HMAP_OUTCOME = "hmap-outcome"
HMAP_TOL = "hmap-tol"
HMAP_LR_RANGE = "hmap-lr-range"  # log10 of the lr range
HMAP_Y_RANGE = "hmap-y-range"    # fraction of the second setting's range
HMAP_COMPUTE = "hmap-compute"
HMAP_GRAPH = "hmap-graph"
HMAP_REQUEST = "hmap-request"    # the validated request the figure shows (JSON)
HMAP_NOTE = "hmap-note"
HMAP_STALE = "hmap-stale"
HMAP_CSV = "hmap-csv"
HMAP_PNG = "hmap-png"
BASIN = "basin"
BASIN_RUNS = "basin-runs"
BASIN_N = "basin-n"
BASIN_STEPS = "basin-steps"
BASIN_COMPUTE = "basin-compute"
BASIN_GRAPH = "basin-graph"
BASIN_REQUEST = "basin-request"
BASIN_NOTE = "basin-note"
BASIN_STALE = "basin-stale"
BASIN_CSV = "basin-csv"
BASIN_PNG = "basin-png"
TUNE = "tune"
TUNE_RUNS = "tune-runs"
TUNE_OBJECTIVE = "tune-objective"
TUNE_STEPS = "tune-steps"
TUNE_N = "tune-n"
TUNE_SECOND = "tune-second"
TUNE_N_SECOND = "tune-n-second"
TUNE_TOL = "tune-tol"
TUNE_COMPUTE = "tune-compute"
TUNE_GRAPH = "tune-graph"
TUNE_REQUEST = "tune-request"
TUNE_NOTE = "tune-note"
TUNE_CSV = "tune-csv"
TUNE_PNG = "tune-png"


def export() -> dict[str, str]:
    """Every singleton id of this module by name (``{"MAIN_GRAPH": "main-graph", ...}``):
    the browser's copy, sent once in the config store."""
    return {name: value for name, value in globals().items()
            if name.isupper() and isinstance(value, str)}
