"""Every component id of the app, in one place.

Plain string ids for singletons; pattern-matching dict ids (``{"type": ..., ...}``)
for components generated from the registries, so one callback serves all of them.
"""

from __future__ import annotations

# --- stores and location -------------------------------------------------------
URL = "url"                      # dcc.Location: read once on load / on back-forward
STATE = "state-store"            # the validated app state (ui.state)
SURFACE = "surface-store"        # contour traces + layout, sent once per surface change
PATHS = "paths-store"            # trajectories of every run, sent per state change
URL_OUT = "url-out-store"        # the query string the server encoded for the state
CLICK = "click-store"            # exact pointer position of a click on the contour (JS)
FRAME_SYNC = "frame-sync-store"  # last frame the animation reported (JS, throttled)
ALERTS = "alerts"                # visible messages about refused values
DOWNLOAD = "download"            # dcc.Download for the CSV
LOADING = "loading"              # loading indicator around the status line

# --- surface panel ------------------------------------------------------------
SURFACE_KEY = "surface-key"
SURFACE_PARAMS = "surface-params"      # container of the surface's parameter sliders
SURFACE_INFO = "surface-info"          # description + formula

# --- runs panel ---------------------------------------------------------------
RUNS = "runs"                          # container of run cards
ADD_OPTIMIZER = "add-optimizer"        # dropdown: optimizer of the run to add
ADD_RUN = "add-run"

# --- setup --------------------------------------------------------------------
START_X = "start-x"
START_Y = "start-y"
STEPS = "steps"
SEED = "seed"
VIEW = "view"                          # overlay / grid (side by side)

# --- graphs -------------------------------------------------------------------
MAIN_GRAPH = "main-graph"
LOSS_GRAPH = "loss-graph"
DIST_GRAPH = "dist-graph"
STATUS = "status-line"

# --- animation ----------------------------------------------------------------
PLAY = "play"
STEP_BACK = "step-back"
STEP_FWD = "step-forward"
RESET = "reset"
SCRUB = "scrub"
SPEED = "speed"
FRAME_LABEL = "frame-label"

# --- export -------------------------------------------------------------------
CSV = "csv-button"
SHARE = "share-button"
SHARE_MSG = "share-message"

# --- pattern-matching types -----------------------------------------------------
HPARAM = "hparam"              # {"type": HPARAM, "run": i, "name": hp}
HPARAM_VALUE = "hparam-value"  # text beside an hparam slider
SPARAM = "sparam"              # {"type": SPARAM, "name": p}  surface parameter
SPARAM_VALUE = "sparam-value"
RUN_OPTIMIZER = "run-optimizer"  # {"type": RUN_OPTIMIZER, "run": i}
RUN_REMOVE = "run-remove"        # {"type": RUN_REMOVE, "run": i}
RUN_DUPLICATE = "run-duplicate"  # {"type": RUN_DUPLICATE, "run": i}
RUN_STATUS = "run-status"        # {"type": RUN_STATUS, "run": i}
PRESET = "preset"                # {"type": PRESET, "key": k}


def hparam(run: int, name: str) -> dict:
    return {"type": HPARAM, "run": run, "name": name}


def hparam_value(run: int, name: str) -> dict:
    return {"type": HPARAM_VALUE, "run": run, "name": name}


def sparam(name: str) -> dict:
    return {"type": SPARAM, "name": name}


def sparam_value(name: str) -> dict:
    return {"type": SPARAM_VALUE, "name": name}


def run_optimizer(run: int) -> dict:
    return {"type": RUN_OPTIMIZER, "run": run}


def run_remove(run: int) -> dict:
    return {"type": RUN_REMOVE, "run": run}


def run_duplicate(run: int) -> dict:
    return {"type": RUN_DUPLICATE, "run": run}


def run_status(run: int) -> dict:
    return {"type": RUN_STATUS, "run": run}


def preset(key: str) -> dict:
    return {"type": PRESET, "key": key}

# added with the callbacks
VIEW_STORE = "view-store"        # {"view", "frame", "autoplay", "nonce"}: tells the JS what to show
ALERT_CLOSE = "alert-close"
LESSON = "lesson"                # the loaded lesson's title and text
LESSON_CLOSE = "lesson-close"
NOISE = "noise"                  # gradient noise sigma (with SEED)
NOISE_VALUE = "noise-value"
LEGEND = "legend"                # run legend above the graph (filled by assets/descent.js)
PNG = "png-button"               # one picture of graph, paths, legend and charts

# --- maps (ui/map_layout.py, ui/map_callbacks.py, assets/maps.js) -----------------
MAPS = "maps"                    # the "Maps" section under the charts
MAP_SPECS = "map-specs-store"    # static: each optimizer's float settings (for the option lists)
MAP_DOWNLOAD = "map-download"    # dcc.Download for the maps' CSVs
# hyperparameter map: outcome over lr x a second setting of one run's optimizer
HMAP = "hmap"                    # its <details>
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
# basin map: where each start ends, for 1-3 runs
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
# fair comparison: each selected run's lr (and one more setting) tuned under one budget
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
MAP_PNG_MSG = "map-png-message"

# --- instruments (issue 4: ui/instruments.py, ui/instrument_layout.py,
#     ui/instrument_callbacks.py, assets/instruments.js) -----------------------------
CUSTOM = "custom-surface"        # {"type": CUSTOM, "name": "expression" | "xmin" | ...}: a typed surface
LOSS_SCALE = "loss-scale"        # log slider of the loss scale c (f -> c f)
LOSS_SCALE_VALUE = "loss-scale-value"
SHOW = "instruments-show"        # checklist: which instruments are on (in the state and URL)
FAN = "fan"                      # K seeds per run (0 = off)
FAN_VALUE = "fan-value"
INSTRUMENTS = "instruments"      # the instruments panel under the player
ARROW_LEGEND = "arrow-legend"    # how the arrows are drawn and scaled
ANGLE_GRAPH = "angle-graph"      # angle between step and -gradient, with the 90 degree line
LR_GRAPH = "lr-graph"            # effective learning rate per coordinate (log)
SHARP_GRAPH = "sharpness-graph"  # lr * lambda_max(H) against 2
READOUT = "readout"              # the paused step's numbers and substituted update rules
READOUT_LIVE = "readout-live"    # per-frame numbers (assets/instruments.js)
LESSON_LIVE = "lesson-live"      # the lesson's key number at the current frame (assets/instruments.js)
VIEW3D = "view3d-graph"          # the 3D surface with the paths
INSTRUMENT_LAYOUTS = "instrument-layouts-store"  # static chart layouts for the JS


def custom(name: str) -> dict:
    return {"type": CUSTOM, "name": name}
READOUT_REQUEST = "readout-request-store"  # the state, passed on only while the readout is on
