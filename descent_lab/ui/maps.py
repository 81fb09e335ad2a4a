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
Trace order is part of the contract with ``assets/maps.js``, which moves the
"current setting" and "start" markers when the race's state changes:

* hyperparameter map: trace 0 is the current-setting marker, trace 1 the best cell;
* basin map: traces ``0 .. k-1`` are the start markers of the ``k`` panels.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from descent_lab import optimizers
from descent_lab.optimizers import sweeps

from .figures import FONT, fmt_value, run_color, run_label
from .state import (
    MAX_NOISE,
    MAX_RUNS,
    MAX_SEED,
    _short,
    as_float,
    as_int,
    get_surface,
    surface_label,
    validate_start,
    validate_state,
    validate_surface,
)

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

Errors = list[str]


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
# hyperparameter map
# ------------------------------------------------------------------------------

@dataclass(frozen=True)
class HparamRequest:
    """Everything a hyperparameter map depends on (hashable: the cache key)."""

    run: int
    optimizer: str
    surface_key: str
    surface_params: tuple
    start: tuple
    steps: int
    noise: float
    seed: int
    fixed: tuple          # the run's other settings, held fixed
    y_name: str
    n: int
    outcome: str
    tol: float
    lr_range: tuple
    y_range: tuple

    @property
    def surface(self):
        return get_surface(self.surface_key, self.surface_params)

    def context(self) -> dict:
        """What the race must still have for this map to describe run ``run``."""
        return hparam_context_of(self.surface_key, dict(self.surface_params), self.start, self.optimizer,
                                 dict(self.fixed), self.noise, self.seed)

    def to_json(self) -> dict:
        return {
            "kind": "hparam", "run": self.run, "optimizer": self.optimizer,
            "surface": {"key": self.surface_key, "params": dict(self.surface_params)},
            "start": list(self.start), "steps": self.steps, "noise": self.noise, "seed": self.seed,
            "fixed": dict(self.fixed), "y_name": self.y_name, "n": self.n, "outcome": self.outcome,
            "tol": self.tol, "lr_range": list(self.lr_range), "y_range": list(self.y_range),
            "context": self.context(),
        }


def hparam_context_of(surface_key, surface_params, start, optimizer, fixed, noise, seed) -> dict:
    return {"surface": {"key": surface_key, "params": dict(surface_params)}, "start": [float(c) for c in start],
            "optimizer": optimizer, "fixed": dict(fixed), "noise": float(noise), "seed": int(seed)}


def hparam_context(state: dict, run: int, y_name: str) -> dict | None:
    """The same context read from a (validated) race state; None if the run is gone."""
    if not 0 <= run < len(state["runs"]):
        return None
    entry = state["runs"][run]
    fixed = {k: v for k, v in entry["hparams"].items() if k not in ("lr", y_name)}
    return hparam_context_of(state["surface"]["key"], state["surface"]["params"], state["start"],
                             entry["optimizer"], fixed, state.get("noise", 0.0), state.get("seed", 0))


def parse_hparam_request(raw: Any) -> tuple[HparamRequest | None, Errors]:
    """A request from its JSON (as stored in the page), every field re-checked."""
    try:
        raw = _need_dict(raw, "hparam")
        optimizer = _optimizer_of(raw.get("optimizer"))
        run = raw.get("run")
        if isinstance(run, bool) or not isinstance(run, int) or not 0 <= run < MAX_RUNS:
            raise ValueError(f"The map's run was not valid ({_short(run)}).")
        surface = _surface_of(raw.get("surface"))
        start = _start_of(raw.get("start"), surface)
        steps = check_steps(raw.get("steps"))
        noise, seed = _noise_seed(raw)
        y_name = check_second(raw.get("y_name"), optimizer)
        fixed = _hparams_of(raw.get("fixed"), optimizer, exclude=("lr", y_name))
        n = check_grid(raw.get("n"))
        outcome = check_choice(raw.get("outcome"), OUTCOMES, "Outcome")
        tol = check_tol(raw.get("tol"))
        lr_range = check_value_range(optimizer, "lr", raw.get("lr_range"), fixed)
        y_range = check_value_range(optimizer, y_name, raw.get("y_range"), fixed)
        check_work(n * n, steps)
        optimizers.REGISTRY[optimizer].validate(**fixed, lr=lr_range[0], **{y_name: y_range[0]})
    except ValueError as exc:
        return None, [_sentence(exc)]
    return HparamRequest(run, optimizer, surface["key"], _freeze(surface["params"]), start, steps, noise, seed,
                         _freeze(fixed), y_name, n, outcome, tol, lr_range, y_range), []


def hparam_request(raw_state: Any, run: Any, y_name: Any, n: Any, steps: Any, outcome: Any, tol: Any,
                   lr_log_range: Any, y_fraction: Any) -> tuple[HparamRequest | None, Errors]:
    """A request from the race's state and the map's controls (every value checked;
    every refusal reported, not only the first)."""
    state, errors = _state(raw_state)
    if state is None:
        return None, errors
    checks = {}

    def check(name, fn, *args):
        try:
            checks[name] = fn(*args)
        except ValueError as exc:
            errors.append(_sentence(exc))

    check("run", check_run, run, state)
    check("n", check_grid, n)
    check("steps", check_steps, steps)
    check("outcome", check_choice, outcome, OUTCOMES, "Outcome")
    check("tol", check_tol, tol)
    check("lr_log", check_pair, lr_log_range, "Learning-rate range (decades)", *LR_LOG_RANGE)
    check("y_frac", check_pair, y_fraction, "Second setting's range (fraction)", 0.0, 1.0)
    if "run" in checks:
        optimizer = state["runs"][checks["run"]]["optimizer"]
        check("y_name", check_second, y_name, optimizer)
    if errors:
        return None, errors
    entry = state["runs"][checks["run"]]
    optimizer, y = entry["optimizer"], checks["y_name"]
    fixed = {k: v for k, v in entry["hparams"].items() if k not in ("lr", y)}
    lr_hp = _param(optimizer, "lr")
    lo, hi = (10.0 ** v for v in checks["lr_log"])
    lo, hi = _round(max(lo, lr_hp.low)), _round(min(hi, lr_hp.high))
    if not lo < hi:
        label = optimizers.REGISTRY[optimizer].label
        return None, [f"The learning-rate range misses {label}'s range ({fmt_value(lr_hp.low)} to "
                      f"{fmt_value(lr_hp.high)}); widen it."]
    y_range = value_range(optimizer, y, checks["y_frac"], {**fixed, "lr": lo})
    if not y_range[0] < y_range[1]:
        return None, [f"The range of {y} is empty after keeping it valid for {optimizers.REGISTRY[optimizer].label}."]
    raw = {
        "kind": "hparam", "run": checks["run"], "optimizer": optimizer, "surface": state["surface"],
        "start": state["start"], "steps": checks["steps"], "noise": state.get("noise", 0.0),
        "seed": state.get("seed", 0), "fixed": fixed, "y_name": y, "n": checks["n"],
        "outcome": checks["outcome"], "tol": checks["tol"], "lr_range": [lo, hi], "y_range": list(y_range),
    }
    return parse_hparam_request(raw)


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


@lru_cache(maxsize=32)
def compute_hparam_map(req: HparamRequest) -> sweeps.Map:
    """The engine's map for a request (cached: pure in the request)."""
    result = sweeps.hyperparameter_map(
        req.optimizer, req.surface, req.start, req.steps, y_name=req.y_name, nx=req.n, ny=req.n,
        outcome=req.outcome, tol=req.tol, lr_range=req.lr_range, y_range=req.y_range,
        **dict(req.fixed), **_noise_kwargs(req.noise, req.seed, req.n * req.n))
    _readonly(result.x_values, result.y_values, result.values, result.diverged)
    return result


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


def hparam_cell(req: HparamRequest, result: sweeps.Map, click: Any) -> dict:
    """The setting ``{"lr": ..., y_name: ...}`` of the clicked cell (grid values exactly)."""
    x, y = click_point(click)
    y_log = _param(req.optimizer, req.y_name).scale == "log"
    j = nearest_index(result.x_values, x, log=True)
    i = nearest_index(result.y_values, y, log=y_log)
    if i is None or j is None:
        raise ValueError(f"The clicked point (lr {x:g}, {req.y_name} {y:g}) is outside the map.")
    return {"lr": float(result.x_values[j]), req.y_name: float(result.y_values[i])}


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


def hparam_figure(req: HparamRequest, result: sweeps.Map, current: dict | None = None) -> go.Figure:
    """The map: outcome over lr (x, log) and the second setting (y).

    Traces: 0 the current setting (``current``: the run's hparams, or None), 1 the best
    cell, 2 the outcome heatmap (colour ``z``; the raw outcome in ``customdata``), then
    overlays for diverged cells and, for steps to tolerance, cells that never got there.
    """
    surface = req.surface
    spec = optimizers.REGISTRY[req.optimizer]
    y_hp = _param(req.optimizer, req.y_name)
    y_log = y_hp.scale == "log"
    xs, ys = np.asarray(result.x_values), np.asarray(result.y_values)
    values = np.asarray(result.values, dtype=float)
    diverged = np.asarray(result.diverged, dtype=bool)
    title = outcome_title(req.outcome, surface, req.tol)
    y_label = f"{y_hp.label} ({req.y_name})" if y_hp.label != req.y_name else req.y_name
    hover_xy = f"lr=%{{x:.3g}}<br>{req.y_name}=%{{y:.3g}}"

    traces = []
    cx, cy = [], []
    if current and "lr" in current and req.y_name in current:
        cx, cy = [float(current["lr"])], [float(current[req.y_name])]
    traces.append(go.Scatter(
        x=cx, y=cy, mode="markers", name=f"run {req.run + 1}'s setting",
        marker={"symbol": "circle", "size": 14, "color": "rgba(255,255,255,0.35)",
                "line": {"width": 2.5, "color": "#000000"}},
        hovertemplate=f"run {req.run + 1}'s current setting<br>{hover_xy}<extra></extra>",
        meta={"role": "current"}, showlegend=True))
    best = best_cell(result)
    bx, by = ([float(xs[best[1]])], [float(ys[best[0]])]) if best else ([], [])
    traces.append(go.Scatter(
        x=bx, y=by, mode="markers", name="best cell",
        marker={"symbol": "star", "size": 15, "color": "#ffffff", "line": {"width": 1.5, "color": "#1f2933"}},
        hovertemplate=f"best cell<br>{hover_xy}<extra></extra>", meta={"role": "best"}, showlegend=True))

    colorbar = {"title": {"text": title, "side": "right"}, "thickness": 12, "outlinewidth": 0,
                "tickfont": {"size": 10}}
    finite = np.isfinite(values) & ~diverged
    if req.outcome == "diverged":
        z = np.where(diverged, np.nan, 0.0)
        heat = dict(z=z.astype(np.float32), colorscale=[[0, SAFE_COLOR], [1, SAFE_COLOR]], showscale=False,
                    customdata=values.astype(np.float32),
                    hovertemplate=f"{hover_xy}<br>did not diverge<extra></extra>")
    elif uses_log_colour(req.outcome, surface):
        z = np.where(finite, _log_colour(values), np.nan)
        heat = dict(z=z.astype(np.float32), colorscale=OUTCOME_SCALE,
                    colorbar={**colorbar, **_decade_ticks(z)},
                    customdata=np.where(finite, values, np.nan).astype(np.float32),
                    hovertemplate=f"{hover_xy}<br>{title}=%{{customdata:.3g}}<extra></extra>")
    else:
        z = np.where(finite, values, np.nan)
        heat = dict(z=z.astype(np.float32), colorscale=OUTCOME_SCALE, colorbar=colorbar,
                    customdata=z.astype(np.float32),
                    hovertemplate=f"{hover_xy}<br>{title}=%{{customdata:.4g}}<extra></extra>")
    traces.append(go.Heatmap(x=xs, y=ys, name=title, meta={"role": "outcome"}, **heat))
    if diverged.any():
        traces.append(go.Heatmap(
            x=xs, y=ys, z=np.where(diverged, 1.0, np.nan).astype(np.float32),
            colorscale=[[0, DIVERGED_COLOR], [1, DIVERGED_COLOR]], showscale=False, name="diverged",
            hovertemplate=f"{hover_xy}<br>diverged<extra></extra>", meta={"role": "diverged"}))
        traces.append(_legend_swatch("diverged", DIVERGED_COLOR))
    if req.outcome == "steps_to_tol":
        missed = np.isnan(values) & ~diverged
        if missed.any():
            traces.append(go.Heatmap(
                x=xs, y=ys, z=np.where(missed, 1.0, np.nan).astype(np.float32),
                colorscale=[[0, NOT_REACHED_COLOR], [1, NOT_REACHED_COLOR]], showscale=False,
                name="not reached", hovertemplate=f"{hover_xy}<br>tolerance not reached<extra></extra>",
                meta={"role": "not_reached"}))
            traces.append(_legend_swatch(f"never within {req.tol:g}", NOT_REACHED_COLOR, line="#9aa5b1"))
    if req.outcome == "diverged":
        traces.append(_legend_swatch("did not diverge", SAFE_COLOR))

    layout = _base_layout()
    layout.update(
        # autorange: whole edge cells (and markers on them) stay in view
        xaxis=_axis("learning rate (lr)", True),
        yaxis=_axis(y_label, y_log),
        meta={"kind": "hparam", "optimizer": req.optimizer, "run": req.run},
        plot_bgcolor="#ffffff",
    )
    layout["title"] = {"text": f"{spec.label} (run {req.run + 1}): {title}", "x": 0.01, "xanchor": "left",
                       "font": {"size": 13}}
    layout["margin"] = {"l": 64, "r": 16, "t": 64, "b": 48}
    layout["legend"] = {**layout["legend"], "y": 1.0, "x": 1.0, "xanchor": "right"}
    return go.Figure(data=traces, layout=layout)


def hparam_note(req: HparamRequest, result: sweeps.Map) -> str:
    """One paragraph saying what the map shows and how it was computed."""
    spec = optimizers.REGISTRY[req.optimizer]
    surface = req.surface
    y_hp = _param(req.optimizer, req.y_name)
    n_div = int(np.asarray(result.diverged).sum())
    parts = [
        f"{spec.label} (run {req.run + 1}) on {surface_label({'key': req.surface_key})} from "
        f"({fmt_value(req.start[0])}, {fmt_value(req.start[1])}), {req.steps} steps each, "
        f"{req.n} × {req.n} settings: lr from {fmt_value(req.lr_range[0])} to {fmt_value(req.lr_range[1])} "
        f"(log) × {req.y_name} from {fmt_value(req.y_range[0])} to {fmt_value(req.y_range[1])}"
        f"{' (log)' if y_hp.scale == 'log' else ''}; other settings as in the run.",
        f"Colour: {outcome_title(req.outcome, surface, req.tol)}"
        + (" (log scale; darker is lower)." if uses_log_colour(req.outcome, surface) else
           ("." if req.outcome == "diverged" else " (darker is lower).")),
        f"{n_div} of {req.n * req.n} settings diverged.",
    ]
    if req.noise:
        parts.append(f"Every cell sees the race's gradient noise (σ={fmt_value(req.noise)}, seed {req.seed}).")
    best = best_cell(result)
    if best is not None:
        i, j = best
        parts.append(f"Best cell (★): lr={fmt_value(result.x_values[j])}, {req.y_name}="
                     f"{fmt_value(result.y_values[i])} → {fmt_value(result.values[i, j])}.")
    parts.append(f"○ marks run {req.run + 1}'s setting. Click a cell to load it into run {req.run + 1} "
                 f"(and run the race for {req.steps} steps).")
    return " ".join(parts)


# ------------------------------------------------------------------------------
# basin map
# ------------------------------------------------------------------------------

@dataclass(frozen=True)
class BasinRun:
    index: int
    optimizer: str
    hparams: tuple


@dataclass(frozen=True)
class BasinRequest:
    surface_key: str
    surface_params: tuple
    steps: int
    n: int
    noise: float
    seed: int
    runs: tuple  # of BasinRun

    @property
    def surface(self):
        return get_surface(self.surface_key, self.surface_params)

    def context(self) -> dict:
        return basin_context_of(self.surface_key, dict(self.surface_params),
                                [(r.index, r.optimizer, dict(r.hparams)) for r in self.runs], self.noise, self.seed)

    def to_json(self) -> dict:
        return {
            "kind": "basin", "surface": {"key": self.surface_key, "params": dict(self.surface_params)},
            "steps": self.steps, "n": self.n, "noise": self.noise, "seed": self.seed,
            "runs": [{"index": r.index, "optimizer": r.optimizer, "hparams": dict(r.hparams)} for r in self.runs],
            "context": self.context(),
        }


def basin_context_of(surface_key, surface_params, runs, noise, seed) -> dict:
    return {"surface": {"key": surface_key, "params": dict(surface_params)},
            "runs": [{"index": i, "optimizer": o, "hparams": dict(h)} for i, o, h in runs],
            "noise": float(noise), "seed": int(seed)}


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


def parse_basin_request(raw: Any) -> tuple[BasinRequest | None, Errors]:
    try:
        raw = _need_dict(raw, "basin")
        surface = _surface_of(raw.get("surface"))
        steps = check_steps(raw.get("steps"))
        n = check_grid(raw.get("n"))
        noise, seed = _noise_seed(raw)
        runs = _runs_of(raw.get("runs"), MAX_BASIN_RUNS, "basin map")
        check_work(n * n * len(runs), steps, "These basin maps")
    except ValueError as exc:
        return None, [_sentence(exc)]
    return BasinRequest(surface["key"], _freeze(surface["params"]), steps, n, noise, seed, runs), []


def basin_request(raw_state: Any, runs: Any, n: Any, steps: Any) -> tuple[BasinRequest | None, Errors]:
    state, errors = _state(raw_state)
    if state is None:
        return None, errors
    checks = {}
    for name, fn, args in (("runs", check_runs, (runs, state, MAX_BASIN_RUNS, "Basin map")),
                           ("n", check_grid, (n,)), ("steps", check_steps, (steps,))):
        try:
            checks[name] = fn(*args)
        except ValueError as exc:
            errors.append(_sentence(exc))
    if errors:
        return None, errors
    raw = {
        "kind": "basin", "surface": state["surface"], "steps": checks["steps"], "n": checks["n"],
        "noise": state.get("noise", 0.0), "seed": state.get("seed", 0),
        "runs": [{"index": i, **state["runs"][i]} for i in checks["runs"]],
    }
    return parse_basin_request(raw)


@lru_cache(maxsize=64)
def compute_basin(surface_key: str, surface_params: tuple, optimizer: str, hparams: tuple, steps: int, n: int,
                  noise: float, seed: int) -> sweeps.Map:
    """One run's basin map (cached: pure in its arguments)."""
    surface = get_surface(surface_key, surface_params)
    result = sweeps.basin_map(optimizer, surface, steps, n=n, **dict(hparams), **_noise_kwargs(noise, seed, n * n))
    _readonly(result.x_values, result.y_values, result.values, result.diverged)
    return result


def compute_basins(req: BasinRequest) -> list[sweeps.Map]:
    return [compute_basin(req.surface_key, req.surface_params, r.optimizer, r.hparams, req.steps, req.n,
                          req.noise, req.seed) for r in req.runs]


def basin_names(surface) -> list[str]:
    """Legend names of the basin categories, indexed by ``label + 2``."""
    names = ["diverged", "not at a minimum"]
    names += [f"minimum {i + 1} ({fmt_value(x)}, {fmt_value(y)})" for i, (x, y) in enumerate(surface.minimizers)]
    return names


def basin_short_names(surface) -> list[str]:
    """Hover text per cell (short: one string per cell goes to the browser)."""
    return ["diverged", "no minimum"] + [f"minimum {i + 1}" for i in range(len(surface.minimizers))]


def basin_colors(surface) -> list[str]:
    colors = [BASIN_DIVERGED_COLOR, NOT_CONVERGED_COLOR]
    colors += [BASIN_COLORS[i % len(BASIN_COLORS)] for i in range(len(surface.minimizers))]
    return colors


def _discrete_scale(colors: list[str]) -> list:
    """A colour scale with one flat band per category ``0 .. len(colors) - 1``."""
    k = len(colors)
    scale = []
    for i, color in enumerate(colors):
        scale += [[i / k, color], [(i + 1) / k, color]]
    return scale


def basin_figure(req: BasinRequest, results: list[sweeps.Map], start: list | tuple | None = None) -> go.Figure:
    """1-3 basin maps side by side on shared axes: each start cell coloured by where
    that run ends. Traces 0..k-1 are the start markers (one per panel)."""
    surface = req.surface
    k = len(req.runs)
    titles = [f"Run {r.index + 1} · {run_label(r.optimizer, dict(r.hparams))}" for r in req.runs]
    fig = make_subplots(rows=1, cols=k, shared_xaxes=True, shared_yaxes=True, horizontal_spacing=0.03,
                        subplot_titles=titles)
    names, colors = basin_names(surface), basin_colors(surface)
    scale = _discrete_scale(colors)
    sx, sy = ([float(start[0])], [float(start[1])]) if start is not None else ([], [])
    for p in range(k):  # start markers first: assets/maps.js moves traces 0..k-1
        fig.add_trace(go.Scatter(
            x=sx, y=sy, mode="markers", name="start", showlegend=p == 0, legendgroup="start",
            marker={"symbol": "circle-open", "size": 14, "color": "#1f2933", "line": {"width": 2.5}},
            hovertemplate="start (%{x:.4g}, %{y:.4g})<extra></extra>", meta={"role": "start", "panel": p}),
            row=1, col=p + 1)
    for p, (r, result) in enumerate(zip(req.runs, results)):
        category = np.asarray(result.values, dtype=np.int64) + 2
        text = np.asarray(basin_short_names(surface), dtype=object)[category]
        fig.add_trace(go.Heatmap(
            x=np.asarray(result.x_values), y=np.asarray(result.y_values), z=category.astype(np.int8),
            zmin=-0.5, zmax=len(colors) - 0.5, colorscale=scale, showscale=False, text=text,
            hovertemplate="start (%{x:.3g}, %{y:.3g}) → %{text}<extra>run " + str(r.index + 1) + "</extra>",
            name=f"run {r.index + 1}", meta={"role": "basin", "run": r.index}), row=1, col=p + 1)
        if surface.minimizers:
            mins = np.asarray(surface.minimizers, dtype=float).reshape(-1, 2)
            fig.add_trace(go.Scatter(
                x=mins[:, 0], y=mins[:, 1], mode="markers", showlegend=False, name="minima",
                marker={"symbol": "star", "size": 13, "color": colors[2:], "line": {"color": "#1f2933", "width": 1.5}},
                hovertemplate="minimum (%{x:.4g}, %{y:.4g})<extra></extra>", meta={"role": "minimum"}),
                row=1, col=p + 1)
    for i, (name, color) in enumerate(zip(names, colors)):
        if i >= 2:
            fig.add_trace(_legend_swatch(name, color, symbol="star", line="#1f2933"))
        else:
            fig.add_trace(_legend_swatch(name, color, line="#9aa5b1"))
    layout = _base_layout()
    layout["margin"] = {"l": 48, "r": 12, "t": 28, "b": 40}
    layout["legend"] = {"orientation": "h", "x": 0, "y": -0.14, "yanchor": "top", "font": {"size": 11}}
    layout["meta"] = {"kind": "basin", "runs": [r.index for r in req.runs]}
    fig.update_layout(**layout)
    (x0, x1), (y0, y1) = surface.bounds
    for p in range(k):
        name = "" if p == 0 else str(p + 1)
        fig.layout[f"xaxis{name}"].update(_axis("x", False, range=[x0, x1], constrain="domain"))
        fig.layout[f"yaxis{name}"].update(_axis("y" if p == 0 else "", False, range=[y0, y1],
                                                scaleanchor=f"x{name}", scaleratio=1, constrain="domain"))
    for annotation, r in zip(fig.layout.annotations, req.runs):
        annotation.update(font={"size": 12, "color": run_color(r.index)})
    return fig


def basin_note(req: BasinRequest, results: list[sweeps.Map], race_steps: int | None = None) -> str:
    surface = req.surface
    (x0, x1), (y0, y1) = surface.bounds
    radius = 0.02 * math.hypot(x1 - x0, y1 - y0)
    parts = [f"{req.n} × {req.n} starts over {surface_label({'key': req.surface_key})}'s box, "
             f"{req.steps} steps each. A start is coloured by the minimum its run ends within "
             f"{fmt_value(radius)} of (2% of the box's diagonal)."]
    if not surface.minimizers:
        parts.append("This surface has no known minimum: the map tells only diverged from not.")
    for r, result in zip(req.runs, results):
        values = np.asarray(result.values)
        counts = [int((values == c).sum()) for c in range(len(surface.minimizers))]
        share = ", ".join(f"{100 * c / values.size:.0f}%" for c in counts) if counts else "none"
        parts.append(f"Run {r.index + 1}: to each minimum {share}; not at a minimum "
                     f"{100 * (values == -1).mean():.0f}%, diverged {100 * (values == -2).mean():.0f}%.")
    if req.noise:
        parts.append(f"Every start sees the race's gradient noise (σ={fmt_value(req.noise)}, seed {req.seed}).")
    if race_steps is not None and race_steps != req.steps:
        parts.append(f"The race runs {race_steps} steps.")
    parts.append("Click a point to start every run there.")
    return " ".join(parts)


def basin_start(req: BasinRequest, results: list[sweeps.Map], click: Any) -> tuple[float, float]:
    """The start (a grid node of the map) for a click on a basin map."""
    x, y = click_point(click)
    result = results[0]
    j = nearest_index(result.x_values, x, log=False)
    i = nearest_index(result.y_values, y, log=False)
    if i is None or j is None:
        raise ValueError(f"The clicked point ({x:g}, {y:g}) is outside the map.")
    return float(result.x_values[j]), float(result.y_values[i])


# ------------------------------------------------------------------------------
# fair comparison (tuning)
# ------------------------------------------------------------------------------

@dataclass(frozen=True)
class TuneRequest:
    surface_key: str
    surface_params: tuple
    start: tuple
    steps: int
    noise: float
    seed: int
    objective: str
    n_lr: int
    second: str           # "none" or "main"
    n_second: int
    tol: float
    runs: tuple           # of BasinRun (index, optimizer, the run's settings)

    @property
    def surface(self):
        return get_surface(self.surface_key, self.surface_params)

    def second_of(self, optimizer: str) -> str | None:
        if self.second == "none":
            return None
        hp = main_second(optimizer)
        return hp.name if hp is not None else None

    def to_json(self) -> dict:
        return {
            "kind": "tune", "surface": {"key": self.surface_key, "params": dict(self.surface_params)},
            "start": list(self.start), "steps": self.steps, "noise": self.noise, "seed": self.seed,
            "objective": self.objective, "n_lr": self.n_lr, "second": self.second, "n_second": self.n_second,
            "tol": self.tol,
            "runs": [{"index": r.index, "optimizer": r.optimizer, "hparams": dict(r.hparams)} for r in self.runs],
        }


def tune_work(req_runs, n_lr: int, second: str, n_second: int) -> int:
    cells = 0
    for r in req_runs:
        has_second = second == "main" and main_second(r.optimizer) is not None
        cells += n_lr * (n_second if has_second else 1)
    return cells


def parse_tune_request(raw: Any) -> tuple[TuneRequest | None, Errors]:
    try:
        raw = _need_dict(raw, "tune")
        surface = _surface_of(raw.get("surface"))
        start = _start_of(raw.get("start"), surface)
        steps = check_steps(raw.get("steps"), "Step budget")
        noise, seed = _noise_seed(raw)
        objective = check_choice(raw.get("objective"), OBJECTIVES, "Objective")
        n_lr = check_grid(raw.get("n_lr"), "Learning rates to try")
        second = check_choice(raw.get("second"), SECOND_MODES, "Second setting")
        n_second = check_grid(raw.get("n_second"), "Values of the second setting")
        tol = check_tol(raw.get("tol"))
        runs = _runs_of(raw.get("runs"), MAX_RUNS, "comparison")
        check_work(tune_work(runs, n_lr, second, n_second), steps, "This comparison")
    except ValueError as exc:
        return None, [_sentence(exc)]
    return TuneRequest(surface["key"], _freeze(surface["params"]), start, steps, noise, seed, objective, n_lr,
                       second, n_second, tol, runs), []


def tune_request(raw_state: Any, runs: Any, objective: Any, steps: Any, n_lr: Any, second: Any, n_second: Any,
                 tol: Any) -> tuple[TuneRequest | None, Errors]:
    state, errors = _state(raw_state)
    if state is None:
        return None, errors
    checks = {}
    for name, fn, args in (("runs", check_runs, (runs, state, MAX_RUNS, "Fair comparison")),
                           ("objective", check_choice, (objective, OBJECTIVES, "Objective")),
                           ("steps", check_steps, (steps, "Step budget")),
                           ("n_lr", check_grid, (n_lr, "Learning rates to try")),
                           ("second", check_choice, (second, SECOND_MODES, "Second setting")),
                           ("n_second", check_grid, (n_second, "Values of the second setting")),
                           ("tol", check_tol, (tol,))):
        try:
            checks[name] = fn(*args)
        except ValueError as exc:
            errors.append(_sentence(exc))
    if errors:
        return None, errors
    raw = {
        "kind": "tune", "surface": state["surface"], "start": state["start"], "steps": checks["steps"],
        "noise": state.get("noise", 0.0), "seed": state.get("seed", 0), "objective": checks["objective"],
        "n_lr": checks["n_lr"], "second": checks["second"], "n_second": checks["n_second"], "tol": checks["tol"],
        "runs": [{"index": i, **state["runs"][i]} for i in checks["runs"]],
    }
    return parse_tune_request(raw)


@dataclass(frozen=True)
class TuneResult:
    """One run's search: its best setting and what the search saw."""

    index: int
    optimizer: str
    second: str | None
    best: dict            # only the tuned settings: {"lr": ...} or {"lr": ..., second: ...}
    best_value: float     # inf when every setting diverged (or never reached the tolerance)
    lr_values: np.ndarray
    lr_scores: np.ndarray  # the objective per lr (the best over the second setting, if tuned)
    map: sweeps.Map | None


@lru_cache(maxsize=64)
def compute_tune_one(surface_key: str, surface_params: tuple, start: tuple, steps: int, noise: float, seed: int,
                     objective: str, n_lr: int, second: str | None, n_second: int, tol: float, optimizer: str,
                     hparams: tuple) -> sweeps.Tuned:
    """One optimizer's grid search (cached): the whole lr range of its spec, and the
    second setting's whole range (kept valid with the other settings)."""
    surface = get_surface(surface_key, surface_params)
    settings = dict(hparams)
    fixed = {k: v for k, v in settings.items() if k not in ("lr", second)}
    kwargs = {}
    batch = n_lr
    if second is not None:
        kwargs["y_range"] = value_range(optimizer, second, (0.0, 1.0), {**fixed, "lr": _param(optimizer, "lr").low})
        batch = n_lr * n_second
    tuned = sweeps.tune(optimizer, surface, start, steps, objective=objective, n_lr=n_lr, second=second,
                        n_second=n_second, tol=tol, **kwargs, **fixed, **_noise_kwargs(noise, seed, batch))
    _readonly(tuned.lr_values, tuned.lr_scores)
    if tuned.map is not None:
        _readonly(tuned.map.x_values, tuned.map.y_values, tuned.map.values, tuned.map.diverged)
    return tuned


def compute_tune(req: TuneRequest) -> list[TuneResult]:
    out = []
    for r in req.runs:
        second = req.second_of(r.optimizer)
        tuned = compute_tune_one(req.surface_key, req.surface_params, req.start, req.steps, req.noise, req.seed,
                                 req.objective, req.n_lr, second, req.n_second, req.tol, r.optimizer, r.hparams)
        best = {"lr": float(tuned.best["lr"])}
        if second is not None:
            best[second] = float(tuned.best[second])
        out.append(TuneResult(r.index, r.optimizer, second, best, float(tuned.best_value),
                              tuned.lr_values, tuned.lr_scores, tuned.map))
    return out


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


def tuned_state(state: dict, req: TuneRequest, results: list[TuneResult]) -> dict:
    """The race with each tuned run's best setting and the budget as its steps."""
    return with_settings(state, {result.index: result.best for result in results}, req.steps)


def objective_title(objective: str, surface, tol: float) -> str:
    return outcome_title(objective, surface, tol)


def _finite_or_none(values: np.ndarray) -> list:
    return [float(v) if np.isfinite(v) else None for v in np.asarray(values, dtype=float)]


def tune_figure(req: TuneRequest, results: list[TuneResult]) -> go.Figure:
    """One panel per tuned run: the objective against lr (a curve) or, with a second
    setting, over lr × that setting (a heatmap on one shared colour scale, so a colour
    means the same loss in every panel); the chosen setting starred."""
    surface = req.surface
    k = len(results)
    cols = min(k, 4 if k > 4 else k) if k not in (5, 6) else 3
    rows = math.ceil(k / cols)
    titles = []
    for result in results:
        spec = optimizers.REGISTRY[result.optimizer]
        chosen = ", ".join(f"{name}={fmt_value(v)}" for name, v in result.best.items())
        value = fmt_value(result.best_value) if math.isfinite(result.best_value) else "no setting counted"
        titles.append(f"Run {result.index + 1} · {spec.label}: {chosen} → {value}")
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=titles, horizontal_spacing=0.07,
                        vertical_spacing=0.22 if rows > 1 else 0.1)
    title = objective_title(req.objective, surface, req.tol)
    log_y = uses_log_colour(req.objective, surface)
    heat_values = [r.map.values for r in results if r.map is not None]
    coloraxis = None
    if heat_values:
        stacked = np.concatenate([np.asarray(v, dtype=float).ravel() for v in heat_values])
        finite = stacked[np.isfinite(stacked)]
        colour = _log_colour(finite) if log_y else finite
        coloraxis = {"colorscale": OUTCOME_SCALE,
                     "colorbar": {"title": {"text": title, "side": "right"}, "thickness": 12, "outlinewidth": 0,
                                  "tickfont": {"size": 10}, **(_decade_ticks(colour) if log_y else {})}}
        if colour.size:
            coloraxis.update(cmin=float(colour.min()), cmax=float(colour.max()))
    for p, result in enumerate(results):
        row, col = divmod(p, cols)
        row, col = row + 1, col + 1
        color = run_color(result.index)
        if result.map is not None:
            m = result.map
            values = np.asarray(m.values, dtype=float)
            finite = np.isfinite(values) & ~np.asarray(m.diverged)
            z = np.where(finite, _log_colour(values) if log_y else values, np.nan)
            fig.add_trace(go.Heatmap(
                x=np.asarray(m.x_values), y=np.asarray(m.y_values), z=z.astype(np.float32), coloraxis="coloraxis",
                customdata=np.where(finite, values, np.nan).astype(np.float32),
                hovertemplate=f"lr=%{{x:.3g}}<br>{m.y_name}=%{{y:.3g}}<br>{title}=%{{customdata:.3g}}<extra></extra>",
                name=f"run {result.index + 1}", meta={"role": "search", "run": result.index}), row=row, col=col)
            if np.asarray(m.diverged).any():
                fig.add_trace(go.Heatmap(
                    x=np.asarray(m.x_values), y=np.asarray(m.y_values),
                    z=np.where(m.diverged, 1.0, np.nan).astype(np.float32),
                    colorscale=[[0, DIVERGED_COLOR], [1, DIVERGED_COLOR]], showscale=False, name="diverged",
                    hovertemplate="lr=%{x:.3g}<br>diverged<extra></extra>", meta={"role": "diverged"}),
                    row=row, col=col)
            fig.add_trace(go.Scatter(
                x=[result.best["lr"]], y=[result.best[result.second]], mode="markers", showlegend=False,
                marker={"symbol": "star", "size": 16, "color": color, "line": {"color": "#ffffff", "width": 1.5}},
                name="chosen", hovertemplate="chosen: lr=%{x:.3g}, %{y:.3g}<extra></extra>",
                meta={"role": "chosen", "run": result.index}), row=row, col=col)
            y_hp = _param(result.optimizer, result.second)
            fig.update_yaxes(_axis(result.second, y_hp.scale == "log"), row=row, col=col)
        else:
            scores = np.asarray(result.lr_scores, dtype=float)
            shown = np.maximum(scores, LOG_FLOOR) if log_y else scores  # a gap of 0 stays on a log axis
            fig.add_trace(go.Scatter(
                x=np.asarray(result.lr_values), y=_finite_or_none(shown), mode="lines+markers",
                line={"color": color, "width": 2}, marker={"size": 4, "color": color}, showlegend=False,
                name=f"run {result.index + 1}", hovertemplate=f"lr=%{{x:.3g}}<br>{title}=%{{y:.3g}}<extra></extra>",
                meta={"role": "search", "run": result.index}), row=row, col=col)
            missed = ~np.isfinite(scores)
            if missed.any():
                finite = scores[~missed]
                top = (finite.max() * 10 if log_y else finite.max() * 1.1 + 1) if finite.size else 1.0
                fig.add_trace(go.Scatter(
                    x=np.asarray(result.lr_values)[missed], y=[top] * int(missed.sum()), mode="markers",
                    marker={"symbol": "x-thin-open", "size": 8, "color": "#9aa5b1", "line": {"width": 2}},
                    showlegend=False, name="not counted",
                    hovertemplate="lr=%{x:.3g}<br>diverged or never within the tolerance<extra></extra>",
                    meta={"role": "missed"}), row=row, col=col)
            if math.isfinite(result.best_value):
                fig.add_trace(go.Scatter(
                    x=[result.best["lr"]], y=[max(result.best_value, LOG_FLOOR) if log_y else result.best_value],
                    mode="markers", showlegend=False,
                    marker={"symbol": "star", "size": 16, "color": color, "line": {"color": "#1f2933", "width": 1}},
                    name="chosen", hovertemplate="chosen: lr=%{x:.3g}<br>%{y:.3g}<extra></extra>",
                    meta={"role": "chosen", "run": result.index}), row=row, col=col)
            fig.update_yaxes(_axis(title if col == 1 else "", log_y), row=row, col=col)
        fig.update_xaxes(_axis("learning rate", True), row=row, col=col)
    layout = _base_layout()
    layout["margin"] = {"l": 64, "r": 16, "t": 56, "b": 48}
    layout["showlegend"] = False
    layout["meta"] = {"kind": "tune", "runs": [r.index for r in results], "objective": req.objective}
    if coloraxis is not None:
        layout["coloraxis"] = coloraxis
    fig.update_layout(**layout)
    for annotation, result in zip(fig.layout.annotations, results):
        annotation.update(font={"size": 11.5, "color": run_color(result.index)})
    fig.update_layout(height=max(300, 290 * rows))
    return fig


def tune_note(req: TuneRequest, results: list[TuneResult]) -> str:
    surface = req.surface
    objective = objective_title(req.objective, surface, req.tol)
    parts = [f"Objective: the lowest {objective} after at most {req.steps} steps from "
             f"({fmt_value(req.start[0])}, {fmt_value(req.start[1])}) on "
             f"{surface_label({'key': req.surface_key})} — the same budget and start for every run."]
    parts.append(f"Each optimizer's learning rate is searched over its whole range, {req.n_lr} log-spaced values"
                 + (f", together with its main second setting over its range ({req.n_second} values)"
                    if req.second == "main" else "") + "; the other settings stay as in the run.")
    if req.objective == "steps_to_tol":
        parts.append("Runs that diverge or never get within the tolerance do not count.")
    else:
        parts.append("Diverged runs do not count.")
    for result in results:
        if not math.isfinite(result.best_value):
            parts.append(f"Run {result.index + 1}: no setting counted, so the smallest learning rate is shown.")
    parts.append(f"The tuned settings are now in the race ({req.steps} steps): press play to watch them.")
    return " ".join(parts)


# ------------------------------------------------------------------------------
# CSV
# ------------------------------------------------------------------------------

def hparam_frame(req: HparamRequest, result: sweeps.Map):
    frame = result.to_frame()
    frame.insert(0, "optimizer", req.optimizer)
    return frame


def basin_frame(req: BasinRequest, results: list[sweeps.Map]):
    import pandas as pd

    names = basin_names(req.surface)
    frames = []
    for r, result in zip(req.runs, results):
        frame = result.to_frame().rename(columns={"basin": "label"})
        frame.insert(0, "optimizer", r.optimizer)
        frame.insert(0, "run", r.index + 1)
        frame["ends"] = [names[int(v) + 2] for v in frame["label"]]
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def tune_frame(req: TuneRequest, results: list[TuneResult]):
    import pandas as pd

    frames = []
    for result in results:
        if result.map is not None:
            frame = result.map.to_frame().rename(columns={req.objective: "objective"})
            frame["chosen"] = (frame["lr"] == result.best["lr"]) & (frame[result.second] == result.best[result.second])
        else:
            frame = pd.DataFrame({"lr": result.lr_values, "objective": result.lr_scores})
            frame["chosen"] = frame["lr"] == result.best["lr"]
        frame.insert(0, "objective_name", req.objective)
        frame.insert(0, "optimizer", result.optimizer)
        frame.insert(0, "run", result.index + 1)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def _sentence(exc: Exception) -> str:
    text = str(exc).strip()
    return text if text.endswith((".", "!", "?")) else text + "."
