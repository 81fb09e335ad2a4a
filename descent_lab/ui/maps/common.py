"""Outcome maps in the app: validated requests, cached computations, pure figures.

Three views over ``optimizers.sweeps`` (the engine; nothing here re-implements it):

* **hyperparameter map** — the outcome (final loss, area under the loss curve,
  steps to a tolerance, diverged) of one run's optimizer over the learning rate
  (log axis) and one more of its float settings, from the race's surface and start;
* **basin map** — for 1 to 3 runs, where a run started at each point of a grid
  ends: which minimum, not converged, or diverged;
* **fair comparison** — each selected run's learning rate (and optionally its main
  second setting) tuned by grid search under one step budget and one objective.

Each view has a *request*: a frozen, hashable dataclass that holds every input of
the computation, built only by the validators below. The browser keeps the
request's JSON (so a click on the map or a CSV download names exactly what is on
screen), and the server re-validates that JSON with the same checks every time it
comes back. Computations are ``lru_cache``-d on the request: pure results, shared
by every user, no per-user server state.

Bounds (refused with a sentence, never clipped silently): at most
:data:`MAX_GRID` cells per side, :data:`MAX_SWEEP_STEPS` steps, and
:data:`MAX_MAP_WORK` run-steps per request (the engine keeps whole trajectories,
about 40 bytes per run-step at the peak, so this keeps one request under ~170 MB).

The figure builders are pure: plain data in, ``plotly.graph_objects.Figure`` out.
Trace order is part of the contract with ``assets/30_maps.js``, which moves the
"current setting" and "start" markers when the race's state changes:

* hyperparameter map: trace 0 is the current-setting marker, trace 1 the best cell;
* basin map: traces ``0 .. k-1`` are the start markers of the ``k`` panels.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import plotly.graph_objects as go

from descent_lab import optimizers
from descent_lab.optimizers import sweeps

from ..core.state import (
    MAX_NOISE,
    MAX_RUNS,
    MAX_SEED,
    Errors,
    as_float,
    as_int,
    validate_start,
    validate_state,
    validate_surface,
)
from ..core.state import short as _short
from ..core.theme import FONT
from ..serving import budget

MAX_GRID = sweeps.MAX_GRID                # cells per side
MAX_SWEEP_STEPS = sweeps.MAX_SWEEP_STEPS  # steps per run in a map
MAX_MAP_WORK = 4_194_304                  # run-steps per request: 64 x 64 x 1024, 128 x 128 x 256
MAX_BASIN_RUNS = 3
MIN_GRID = 2

DEFAULT_GRID = 48
DEFAULT_STEPS = 200
DEFAULT_TUNE_LR = 48
DEFAULT_TUNE_SECOND = 8
DEFAULT_TOL = 1e-6
TOLERANCES = (1e-2, 1e-4, 1e-6, 1e-8, 1e-10)
LR_LOG_RANGE = (-6.0, 1.0)  # the lr range slider, in decades (every optimizer's lr lies inside)

OUTCOMES = {  # what a hyperparameter map can colour by
    "final_loss": "final loss",
    "auc": "area under the loss curve",
    "steps_to_tol": "steps to tolerance",
    "diverged": "diverged",
}
OBJECTIVES = {  # what tuning minimises
    "final_loss": "final loss",
    "auc": "area under the loss curve",
    "steps_to_tol": "steps to tolerance",
}
SECOND_MODES = {"none": "learning rate only", "main": "learning rate and the main second setting"}

# Colours. Outcomes: viridis (perceptually uniform, colour-blind safe; dark = low).
OUTCOME_SCALE = "Viridis"
DIVERGED_COLOR = "#b5b5b5"
NOT_REACHED_COLOR = "#ececec"
SAFE_COLOR = "#3b528b"  # "did not diverge" in the diverged map
# Basins: Paul Tol's "light" scheme (distinct for colour-blind readers, light enough for
# the markers on top), one colour per known minimizer, in the surface's order.
BASIN_COLORS = ("#77AADD", "#EE8866", "#44BB99", "#EEDD88", "#FFAABB", "#99DDFF", "#BBCC33", "#AAAA00")
NOT_CONVERGED_COLOR = "#f4f4f4"
BASIN_DIVERGED_COLOR = "#4d4d4d"
LOG_FLOOR = 1e-30  # a loss gap of exactly 0 is coloured as this



# ------------------------------------------------------------------------------
# field validators: each returns the clean value or raises ValueError (a sentence)
# ------------------------------------------------------------------------------

def _count(value: Any, what: str, low: int, high: int) -> int:
    if value is None:  # a number field sends nothing when it is empty or beyond its min/max
        raise ValueError(f"{what} must be a whole number from {low:,} to {high:,} "
                         f"(the field was empty or out of range).")
    return as_int(value, what, low, high)


def check_grid(value: Any, what: str = "Grid size (cells per side)") -> int:
    return _count(value, what, MIN_GRID, MAX_GRID)


def check_steps(value: Any, what: str = "Map steps") -> int:
    return _count(value, what, 1, MAX_SWEEP_STEPS)


def check_choice(value: Any, choices: dict, what: str) -> str:
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"{what} must be one of {', '.join(choices)}, got {_short(value)}.")
    return value


def check_tol(value: Any) -> float:
    shown = ", ".join(f"{t:g}" for t in TOLERANCES)
    number = as_float(value, "Tolerance")
    if number not in TOLERANCES:
        raise ValueError(f"Tolerance must be one of {shown}, got {_short(value)}.")
    return number


def check_run(value: Any, state: dict) -> int:
    """A run index as the run list sends it: an int naming an existing run."""
    n = len(state["runs"])
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"Pick a run for the map (got {_short(value)}).")
    if not 0 <= value < n:
        raise ValueError(f"There is no run {value + 1 if value >= 0 else _short(value)}: "
                         f"the race has {n} run{'s' if n != 1 else ''}.")
    return value


def check_runs(value: Any, state: dict, limit: int, what: str) -> list[int]:
    """A checklist's run indices: distinct ints naming existing runs, at most ``limit``."""
    if not isinstance(value, list):
        raise ValueError(f"{what}: the runs must be a list, got {_short(value)}.")
    if not value:
        raise ValueError(f"{what}: pick at least one run.")
    if len(value) > limit:
        raise ValueError(f"{what}: at most {limit} runs at once, got {len(value)}.")
    runs = []
    for item in value:
        runs.append(check_run(item, state))
    if len(set(runs)) != len(runs):
        raise ValueError(f"{what}: a run was picked twice.")
    return sorted(runs)


def check_pair(value: Any, what: str, low: float, high: float) -> tuple[float, float]:
    """Two finite numbers ``a < b`` within ``[low, high]`` (a range slider's value)."""
    if not isinstance(value, (list, tuple)) or len(value) != 2:
        raise ValueError(f"{what} must be two numbers [from, to], got {_short(value)}.")
    a = as_float(value[0], f"{what} (from)")
    b = as_float(value[1], f"{what} (to)")
    if not (low <= a < b <= high):
        raise ValueError(f"{what} must satisfy {low:g} ≤ from < to ≤ {high:g}, got [{a:g}, {b:g}].")
    return a, b


def check_work(cells: int, steps: int, what: str = "This map") -> None:
    work = cells * steps
    if work > MAX_MAP_WORK:
        raise ValueError(
            f"{what} would take {cells:,} runs × {steps:,} steps = {work:,} run-steps, more than the "
            f"{MAX_MAP_WORK:,} one request may compute. Use fewer cells or steps."
        )


def float_params(optimizer: str) -> list:
    """The optimizer's float settings other than the learning rate, main ones first."""
    spec = optimizers.REGISTRY[optimizer]
    params = [hp for hp in spec.hyperparams if hp.kind == "float" and hp.name != "lr"]
    return sorted(params, key=lambda hp: bool(hp.advanced))  # stable: spec order within each group


def main_second(optimizer: str):
    """The setting tuned with the learning rate in "main" mode (momentum, β1, α, ρ...):
    the optimizer's first non-advanced float setting other than lr, or None."""
    return next((hp for hp in float_params(optimizer) if not hp.advanced), None)


def check_second(value: Any, optimizer: str) -> str:
    spec = optimizers.REGISTRY[optimizer]
    names = [hp.name for hp in float_params(optimizer)]
    if not isinstance(value, str) or value not in names:
        if isinstance(value, str) and value == "lr":
            raise ValueError("Pick a second setting other than the learning rate.")
        if isinstance(value, str) and any(hp.name == value for hp in spec.hyperparams):
            raise ValueError(f"{spec.label}'s {value} is an on/off option, not a range to map.")
        raise ValueError(f"{spec.label} has no setting {_short(value)} to map; "
                         f"pick one of {', '.join(names) or 'none'}.")
    return value


def _param(optimizer: str, name: str):
    return optimizers.REGISTRY[optimizer].param(name)


def _upper(hp) -> float:
    """The largest value of a float setting's range (an open bound kept out, as
    ``sweeps.param_grid`` does)."""
    if hp.high_open:
        return hp.low + (hp.high - hp.low) * 0.999
    return float(hp.high)


def _round(value: float, digits: int = 12) -> float:
    return float(f"{value:.{digits}g}")


def check_value_range(optimizer: str, name: str, pair: Any, fixed: dict) -> tuple[float, float]:
    """A stored ``[from, to]`` of a setting: inside its range, valid with ``fixed``."""
    hp = _param(optimizer, name)
    what = f"{optimizers.REGISTRY[optimizer].label}'s {name} range"
    lo, hi = check_pair(pair, what, float(hp.low), _upper(hp))
    spec = optimizers.REGISTRY[optimizer]
    for value in (lo, hi):
        try:
            spec.validate(**{**fixed, name: value})
        except ValueError as exc:
            raise ValueError(f"{what} [{lo:g}, {hi:g}] is refused by the optimizer: {exc}.") from None
    return lo, hi


def value_range(optimizer: str, name: str, fraction: tuple[float, float], fixed: dict) -> tuple[float, float]:
    """Real ``[from, to]`` of a setting for a fraction ``[f0, f1]`` of its range
    (geometric for log-scale settings). An end the optimizer refuses together with
    the other settings (Rprop needs 0 < η− < 1 < η+) moves inward until accepted."""
    hp = _param(optimizer, name)
    low, high = float(hp.low), _upper(hp)
    if hp.scale == "log":
        ends = [low * (high / low) ** f for f in fraction]
    else:
        ends = [low + (high - low) * f for f in fraction]
    lo, hi = (_round(min(max(v, low), high)) for v in ends)
    spec = optimizers.REGISTRY[optimizer]

    def accepted(v):
        try:
            spec.validate(**{**fixed, name: v})
            return True
        except ValueError:
            return False

    span = hi - lo
    for _ in range(20):
        if accepted(lo) or lo >= hi:
            break
        lo = _round(lo + span * 0.01 if hp.scale != "log" else lo * (hi / lo) ** 0.01)
    for _ in range(20):
        if accepted(hi) or hi <= lo:
            break
        hi = _round(hi - span * 0.01 if hp.scale != "log" else hi / (hi / lo) ** 0.01)
    return lo, hi


def _state(raw_state: Any) -> tuple[dict | None, Errors]:
    """The race's state from the client, or a refusal (a map is never computed for a
    state the app would not have produced)."""
    state, errors = validate_state(raw_state)
    if errors:
        return None, ["The page sent settings that were not valid: " + "; ".join(errors)]
    return state, []


def _surface_of(raw: Any) -> dict:
    surface, errors = validate_surface(raw)
    if errors or raw is None:
        raise ValueError("The map's surface was not valid: " + ("; ".join(errors) or "missing") + ".")
    if surface != raw:
        raise ValueError("The map's surface settings were not valid.")
    return surface


def _start_of(raw: Any, surface: dict) -> tuple[float, float]:
    start, errors = validate_start(raw, surface)
    if errors or raw is None:
        raise ValueError("The map's start point was not valid: " + ("; ".join(errors) or "missing") + ".")
    return float(start[0]), float(start[1])


def _hparams_of(raw: Any, optimizer: str, exclude=(), what: str = "settings") -> dict:
    """A run's settings from stored JSON: known names, valid values, nothing excluded."""
    spec = optimizers.REGISTRY[optimizer]
    if not isinstance(raw, dict):
        raise ValueError(f"The map's {what} were malformed ({_short(raw)}).")
    out = {}
    for name, value in raw.items():
        if name in exclude:
            raise ValueError(f"The map's {what} must not include {name}.")
        try:
            hp = spec.param(name) if isinstance(name, str) else None
        except ValueError:
            hp = None
        if hp is None:
            raise ValueError(f"{spec.label} has no setting {_short(name)}.")
        if hp.kind == "bool":
            if not isinstance(value, bool):
                raise ValueError(f"{spec.label}: {name} must be true or false, got {_short(value)}.")
            out[name] = value
        else:
            out[name] = float(hp.validate(as_float(value, f"{spec.label}: {name}")))
    return out


def _optimizer_of(value: Any) -> str:
    if not isinstance(value, str) or value not in optimizers.REGISTRY:
        raise ValueError(f"Unknown optimizer {_short(value)}.")
    return value


def _noise_seed(raw: dict) -> tuple[float, int]:
    noise = as_float(raw.get("noise"), "Noise")
    if not 0.0 <= noise <= MAX_NOISE:
        raise ValueError(f"Noise must be between 0 and {MAX_NOISE:g}, got {noise:g}.")
    return noise, as_int(raw.get("seed"), "Seed", 0, MAX_SEED)


def _freeze(mapping: dict) -> tuple:
    return tuple(sorted(mapping.items()))


def _need_dict(raw: Any, kind: str) -> dict:
    if not isinstance(raw, dict) or raw.get("kind") != kind:
        raise ValueError(f"The {kind} map's request was malformed; compute the map again.")
    return raw




# ------------------------------------------------------------------------------
# shared by the maps' figures
# ------------------------------------------------------------------------------

def _log_colour(values: np.ndarray) -> np.ndarray:
    with np.errstate(all="ignore"):
        return np.log10(np.maximum(values, LOG_FLOOR))


def outcome_title(outcome: str, surface, tol: float) -> str:
    gap = "f − f*" if surface.min_value is not None else "f"
    return {
        "final_loss": f"final loss {gap}",
        "auc": f"mean loss {gap} over the steps",
        "steps_to_tol": f"steps until {gap} ≤ {tol:g}",
        "diverged": "diverged",
    }[outcome]


def uses_log_colour(outcome: str, surface) -> bool:
    return outcome in ("final_loss", "auc") and surface.min_value is not None


def _decade_ticks(z: np.ndarray) -> dict:
    finite = z[np.isfinite(z)]
    if not finite.size:
        return {}
    lo, hi = math.floor(finite.min()), math.ceil(finite.max())
    stride = max(1, math.ceil((hi - lo + 1) / 8))
    ticks = list(range(lo, hi + 1, stride))
    return {"tickvals": ticks, "ticktext": [f"1e{t}" for t in ticks]}


def _base_layout() -> dict:
    return {
        "template": None,
        "font": {"family": FONT, "size": 12, "color": "#1f2933"},
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "#ffffff",
        "margin": {"l": 60, "r": 16, "t": 36, "b": 48},
        "hoverlabel": {"font": {"family": FONT}},
        "legend": {"orientation": "h", "x": 0, "y": 1.02, "yanchor": "bottom", "font": {"size": 11}},
        "uirevision": "map",
    }


def _axis(title: str, log: bool, **extra) -> dict:
    return {"title": {"text": title, "standoff": 4}, "type": "log" if log else "linear", "showgrid": False,
            "zeroline": False, "ticks": "outside", "ticklen": 3, "linecolor": "#9aa5b1", "mirror": True,
            "tickfont": {"size": 10}, "exponentformat": "power", **extra}


def _legend_swatch(name: str, color: str, symbol: str = "square", line: str | None = None) -> go.Scatter:
    """A legend entry only (no data): heatmap colours have no legend of their own."""
    marker = {"symbol": symbol, "size": 12, "color": color}
    if line:
        marker["line"] = {"color": line, "width": 1.2}
    return go.Scatter(x=[None], y=[None], mode="markers", name=name, marker=marker, hoverinfo="skip",
                      showlegend=True, meta={"role": "legend"})


def best_cell(result: sweeps.Map) -> tuple[int, int] | None:
    """(row, col) of the lowest outcome (not for the diverged map); None if no cell counts."""
    if result.outcome == "diverged":
        return None
    scores = np.where(np.isfinite(result.values), result.values, np.inf)
    if not np.isfinite(scores).any():
        return None
    i, j = np.unravel_index(int(np.argmin(scores)), scores.shape)
    return int(i), int(j)


def _sentence(exc: Exception) -> str:
    text = str(exc).strip()
    return text if text.endswith((".", "!", "?")) else text + "."


def copy_state_with(state: dict, run: int, setting: dict, steps: int) -> dict:
    """The race with ``setting`` in run ``run`` (validated by its spec), ``steps`` steps,
    back at frame 0; the input state is not mutated."""
    return with_settings(state, {run: setting}, steps)


def with_settings(state: dict, settings: dict, steps: int) -> dict:
    new = copy.deepcopy(state)
    for index, setting in settings.items():
        entry = new["runs"][index]
        spec = optimizers.REGISTRY[entry["optimizer"]]
        entry["hparams"] = spec.validate(**{**entry["hparams"], **setting})
    new["steps"] = int(steps)
    new["frame"] = 0
    return new



def _noise_kwargs(noise: float, seed: int, batch: int) -> dict:
    """Noise for a batch in which every run sees the race's noise sequence: run ``b``
    gets ``default_rng(seed)``, exactly what ``optimizers.run(..., seed=seed)`` uses."""
    if not noise:
        return {}
    return {"noise": noise, "seed": np.full(batch, seed, dtype=np.int64)}


def _readonly(*arrays) -> None:
    for array in arrays:
        if isinstance(array, np.ndarray):
            array.setflags(write=False)



def nearest_index(values: np.ndarray, value: float, log: bool) -> int | None:
    """Index of the grid value nearest ``value`` (in log space for log axes); None when
    ``value`` lies more than one cell outside the grid."""
    grid = np.asarray(values, dtype=float)
    if log:
        if value <= 0:
            return None
        grid, value = np.log10(grid), math.log10(value)
    i = int(np.argmin(np.abs(grid - value)))
    cell = abs(grid[-1] - grid[0]) / max(len(grid) - 1, 1)
    if abs(grid[i] - value) > cell:
        return None
    return i


def click_point(click: Any) -> tuple[float, float]:
    """(x, y) of the first point of a Plotly ``clickData``; ValueError otherwise."""
    points = click.get("points") if isinstance(click, dict) else None
    if not isinstance(points, list) or not points or not isinstance(points[0], dict):
        raise ValueError(f"A click on the map was malformed ({_short(click)}).")
    point = points[0]
    return as_float(point.get("x"), "The clicked x"), as_float(point.get("y"), "The clicked y")



@dataclass(frozen=True)
class BasinRun:
    index: int
    optimizer: str
    hparams: tuple


def _runs_of(raw: Any, limit: int, what: str) -> tuple:
    if not isinstance(raw, list) or not raw or len(raw) > limit:
        raise ValueError(f"The {what}'s runs were malformed; compute it again.")
    out, seen = [], set()
    for item in raw:
        if not isinstance(item, dict):
            raise ValueError(f"The {what}'s runs were malformed; compute it again.")
        index = item.get("index")
        if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < MAX_RUNS or index in seen:
            raise ValueError(f"The {what}'s run {_short(index)} was not valid.")
        seen.add(index)
        optimizer = _optimizer_of(item.get("optimizer"))
        hparams = _hparams_of(item.get("hparams"), optimizer)
        hparams = optimizers.REGISTRY[optimizer].validate(**hparams)
        out.append(BasinRun(index, optimizer, _freeze(hparams)))
    return tuple(out)



def sweep_work(parts: list[tuple[str, str, Any, int, int, dict]]) -> budget.Estimate:
    """A map's engine work: ``(what, optimizer, surface, steps, runs, settings)`` per
    batched sweep."""
    return budget.Estimate(tuple((what, optimizers.cost(key, surface, steps, runs=runs, batch=True, **settings))
                                 for what, key, surface, steps, runs, settings in parts))


def admitted(work: budget.Estimate, compute, *args):
    """``compute(*args)`` once this worker's gate admits ``work`` (with its deadline, on a
    lower-priority thread when heavy); a refusal is a ``ValueError`` with a sentence."""
    with budget.gate().admit(work) as ticket:
        return ticket.run(compute, *args)
