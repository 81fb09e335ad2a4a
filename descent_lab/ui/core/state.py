"""The app state as a plain, validated dict.

The browser holds the state (a ``dcc.Store`` and the address bar); the server never
trusts it: every callback re-validates what it receives with :func:`validate_state`.
Anything refused is replaced by a default and reported as a sentence for the alert
area, so a hostile or stale client gets a message, never a crash.

State shape (JSON-safe)::

    {
      "surface": {"key": "valley", "params": {"condition": 20.0, "angle": 0.0}},
      "runs": [{"id": 0, "optimizer": "adam", "hparams": {"lr": 0.1, ...},
                "schedule": {"kind": "constant"}}, ...],
      "start": [x, y],
      "steps": 200,
      "seed": 0,
      "noise": 0.0,
      "frame": 0,
      "view": "overlay",          # or "grid" (one panel per run)
      "lesson": None,             # or the key of the lesson whose text is shown
      "fan": 0,                   # seeds per run of the noise fan (0: off)
      "show": [],                 # the instruments that are on (ui.core.registry)
      "compare": {},              # surface parameters of a second panel ({"angle": 45.0})
      "box": None,                # the plotted window [[x0, x1], [y0, y1]], None: the surface's
    }

A run's ``id`` (0-7) is its identity for its whole life: its colour, its marker and its
controls' ids. The surface's params may hold ``scale`` (the loss scale c, absent when
1); every surface of ``surfaces.ENTRIES`` is one, the typed one too
(``{"key": "custom", "params": {"expression": text, "xmin": ...}}``).
The URL form is in :mod:`ui.core.url`.
"""

from __future__ import annotations

import copy
import math
import re
from typing import Any

from descent_lab import optimizers, surfaces

from . import registry

MAX_RUNS = 8
MAX_STEPS = optimizers.MAX_STEPS
MIN_STEPS = 1
DEFAULT_STEPS = 200
MAX_SEED = 2**32 - 1
MAX_NOISE = 10.0  # the noise slider's range (the engine allows more)
VIEWS = ("overlay", "grid")
COUNTS = ("steps", "evaluations")
"""What the steps budget and the frame count: optimizer steps, or function evaluations
(each run on the axis of :func:`optimizers.evaluation_axis`: L-BFGS against the others)."""
DEFAULT_SURFACE = "valley"
DEFAULT_OPTIMIZERS = ("gd", "momentum", "adam")
SCALE = "scale"                # the loss scale c (f -> c f): a parameter of every surface
SCALE_PARAM = surfaces.SCALE
MAX_FAN = 20                   # seeds per run in the noise fan (0 or 1: no fan)
BOX_MARGIN = 1.0               # a zoom box may reach this many surface spans beyond the bounds

Errors = list[str]


# --------------------------------------------------------------------------------
# small validators: each returns a value or raises ValueError with a sentence
# --------------------------------------------------------------------------------

def short(value: Any, limit: int = 40) -> str:
    """A printable, length-limited rendering of a client value for messages."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def typed(text: str, limit: int = 40) -> str:
    """Text a person typed, shown back as typed but length-limited, with what no page can
    carry (a lone surrogate) escaped: replies must encode as UTF-8."""
    text = text[:limit]
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def fmt_number(value: Any) -> str:
    """Shortest text that reads back to the same value (floats), true/false, or a list of
    numbers joined by ``;``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return ";".join(fmt_number(v) for v in value)
    number = float(value)
    if number == int(number) and abs(number) < 1e15:
        return str(int(number))
    return repr(number)


def fallback(exc: Exception, default: Any) -> str:
    """``"<reason>; using <default>."`` from an exception's message."""
    text = str(exc).rstrip(". ")
    shown = fmt_number(default) if isinstance(default, (bool, int, float)) else str(default)
    return f"{text}; using {shown}."


def as_float(value: Any, what: str) -> float:
    """A finite float from a JSON number; ValueError (with a sentence) otherwise.

    Booleans and strings are refused: JSON from our own controls is never either,
    so they signal a stale or crafted request.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{what} must be a number, got {short(value)}.")
    try:
        number = float(value)
    except OverflowError:  # an integer beyond float range
        raise ValueError(f"{what} must be a finite number, got {short(value)}.") from None
    if not math.isfinite(number):
        raise ValueError(f"{what} must be a finite number, got {short(value)}.")
    return number


def as_int(value: Any, what: str, low: int, high: int) -> int:
    """An int within [low, high] from a JSON number (integral floats accepted)."""
    number = as_float(value, what)
    if number != int(number):
        raise ValueError(f"{what} must be a whole number from {low:,} to {high:,}, got {short(value)}.")
    if not low <= number <= high:
        raise ValueError(f"{what} must be between {low:,} and {high:,}, got {short(value)}.")
    return int(number)


def in_range(value: float, what: str, low: float, high: float) -> float:
    if not low <= value <= high:
        raise ValueError(f"{what} must be between {low:g} and {high:g}, got {value:g}.")
    return value


def parse_number(text: str) -> float | bool | str:
    """Parse a typed or URL token: a float, a boolean word, or the text itself (refused later)."""
    lowered = text.strip().lower()
    if lowered in ("true", "yes", "on"):
        return True
    if lowered in ("false", "no", "off"):
        return False
    try:
        return float(lowered.replace("−", "-"))
    except ValueError:
        return text


STEPS_SEPARATORS = re.compile(r"[;,\s]+")


def steps_value(value: Any) -> Any:
    """A list of step counts from its text (``"300;600"`` in a link, ``"300, 600"`` typed);
    anything else as it is (refused by the spec if wrong)."""
    if isinstance(value, str):
        parts = [p for p in STEPS_SEPARATORS.split(value.strip()) if p]
        numbers = [parse_number(p) for p in parts]
        return numbers if parts else value
    return value


def validate_param(hp: Any, value: Any, owner: str) -> Any:
    """Validate one value against a ``HyperParam`` spec; ValueError with a sentence."""
    if hp.kind == "steps":
        try:
            return hp.validate(steps_value(value))
        except ValueError as exc:
            raise ValueError(f"{owner}: {exc}") from None
    if hp.kind == "bool":
        if isinstance(value, bool):
            return hp.validate(value)
        if isinstance(value, (int, float)) and value in (0, 1):
            return hp.validate(bool(value))
        raise ValueError(f"{owner}: {hp.name} must be true or false, got {short(value)}.")
    if hp.kind == "text":
        if not isinstance(value, str):
            raise ValueError(f"{owner}: {hp.name} must be text, got {short(value)}.")
        try:
            return hp.validate(value)
        except ValueError as exc:
            raise ValueError(f"{owner}: {exc}") from None
    number = as_float(value, f"{owner}: {hp.name}")
    try:
        return hp.validate(number)
    except ValueError as exc:
        raise ValueError(f"{owner}: {exc}") from None


def clamp_to_param(hp: Any, value: float) -> float:
    """Clamp into a HyperParam's range (respecting an open upper end)."""
    high = hp.high
    if hp.high_open:
        high = math.nextafter(high, -math.inf) if hp.scale == "linear" else high * (1 - 1e-9)
    return float(min(max(value, hp.low), high))


def round_sig(value: float, digits: int = 3) -> float:
    if value == 0 or not math.isfinite(value):
        return value
    return float(f"{value:.{digits}g}")


# --------------------------------------------------------------------------------
# surface
# --------------------------------------------------------------------------------

def surface_entry(key: str):
    return surfaces.ENTRIES[key]


def surface_defaults(key: str) -> dict:
    return {hp.name: hp.default for hp in surfaces.ENTRIES[key].params}


def surface_params(key: str) -> tuple:
    """The parameters a surface has (its controls)."""
    return surfaces.ENTRIES[key].params


def get_surface(key: str, params):
    """``surfaces.get(key, **params)`` (the loss scale rides in ``params["scale"]``, absent
    when 1). ``surfaces.SurfaceError`` (a ValueError naming the refused fields) otherwise."""
    return surfaces.get(key, **dict(params))


def make_surface(state_surface: dict):
    """The engine ``Surface`` for a validated ``state["surface"]``."""
    return get_surface(state_surface["key"], state_surface["params"])


def unscaled(state_surface: dict) -> dict:
    """The surface without its loss scale (the contour's shape does not depend on it)."""
    params = {k: v for k, v in state_surface["params"].items() if k != SCALE}
    return {"key": state_surface["key"], "params": params}


def surface_label(state_surface: dict) -> str:
    return surfaces.ENTRIES[state_surface["key"]].label


def _default_surface() -> dict:
    return {"key": DEFAULT_SURFACE, "params": surface_defaults(DEFAULT_SURFACE)}


def _refused(exc: Exception, label: str) -> str:
    return f"{label}: {str(exc).rstrip('. ')}"


def validate_surface(raw: Any) -> tuple[dict, Errors]:
    """A known surface with each of its parameters validated (defaults filled), then built
    by the engine. A refused value falls back to its default with a message; a combination
    the engine refuses falls back on the fields it names (a typed function's bounds), or
    to the surface's defaults, or to the default surface."""
    errors: Errors = []
    if not isinstance(raw, dict):
        if raw is not None:
            errors.append(f"Surface settings were malformed ({short(raw)}); using the default surface.")
        return _default_surface(), errors
    key = raw.get("key")
    if not isinstance(key, str) or key not in surfaces.ENTRIES:
        errors.append(f"Unknown surface {short(key)}; using {surfaces.ENTRIES[DEFAULT_SURFACE].label}.")
        return _default_surface(), errors
    entry = surfaces.ENTRIES[key]
    given = raw.get("params") or {}
    if not isinstance(given, dict):
        errors.append(f"{entry.label}: parameters were malformed; using defaults.")
        given = {}
    given = dict(given)
    scale = 1.0
    if SCALE in given:
        try:
            scale = float(validate_param(SCALE_PARAM, given.pop(SCALE), entry.label))
        except ValueError as exc:
            errors.append(fallback(exc, 1.0))
    params = {}
    for hp in entry.params:
        params[hp.name] = hp.default
        if hp.name in given:
            try:
                params[hp.name] = validate_param(hp, given[hp.name], entry.label)
            except ValueError as exc:
                errors.append(fallback(exc, hp.default))
    for name in given:
        if name not in params:
            errors.append(f"{entry.label} has no parameter {short(name)}; ignored.")
    try:
        surfaces.get(key, **params)
    except surfaces.SurfaceError as exc:  # a combination the engine refuses: reset what it names
        defaults = surface_defaults(key)
        named = [f for f in exc.fields if f in defaults]
        texts = {hp.name for hp in entry.params if hp.kind == "text"}
        retry = {**params, **{f: defaults[f] for f in named}}
        try:
            if texts & set(named) or not named:  # a refused text is not swapped for another one
                raise exc
            surfaces.get(key, **retry)
        except surfaces.SurfaceError as again:
            if key == DEFAULT_SURFACE:
                return _default_surface(), errors + [_refused(again, entry.label) + "; using its defaults."]
            return _default_surface(), errors + [
                _refused(again, entry.label) + f"; using {surfaces.ENTRIES[DEFAULT_SURFACE].label}."]
        errors.append(_refused(exc, entry.label) + "; using the default " + ", ".join(named) + ".")
        params = retry
    if scale != 1.0:
        params[SCALE] = scale
    return {"key": key, "params": params}, errors


def validate_compare(raw: Any, surface: dict) -> tuple[dict, Errors]:
    """Parameters of the second panel: overrides of the current surface's own parameters
    (``{}`` for none). Refused values are dropped with a message."""
    if raw is None or raw == {}:
        return {}, []
    label = surface_label(surface)
    if not isinstance(raw, dict):
        return {}, [f"The compared panel's settings were malformed ({short(raw)}); showing one panel."]
    params = {hp.name: hp for hp in surface_params(surface["key"])}
    out, errors = {}, []
    for name, value in raw.items():
        hp = params.get(name)
        if hp is None:
            errors.append(f"{label} has no parameter {short(name)} to compare; ignored.")
            continue
        try:
            out[name] = validate_param(hp, value, f"{label} (compared panel)")
        except ValueError as exc:
            errors.append(str(exc).rstrip(".") + "; ignored.")
    if out:
        try:
            get_surface(surface["key"], {**surface["params"], **out})
        except ValueError as exc:
            return {}, errors + [f"{label} (compared panel): {str(exc).rstrip('. ')}; showing one panel."]
    return out, errors


# --------------------------------------------------------------------------------
# runs
# --------------------------------------------------------------------------------

def param_spec(optimizer: str, name: str):
    return optimizers.REGISTRY[optimizer].param(name)


def lr_hint(optimizer: str, surface: dict) -> float | None:
    kind = optimizers.REGISTRY[optimizer].lr_kind
    if kind is None:
        return None
    try:
        hints = make_surface(surface).lr_hints or {}
    except ValueError:
        return None
    hint = hints.get(kind)
    return float(hint) if hint else None


def default_hparams(optimizer: str, surface: dict | None = None) -> dict:
    """A run's defaults; the learning rate from the surface's hint when it has one."""
    spec = optimizers.REGISTRY[optimizer]
    hparams = spec.validate()
    if surface is not None and "lr" in hparams:
        hint = lr_hint(optimizer, surface)
        if hint is not None:
            # Heavy-ball momentum's steady step is lr / (1 - mu) times the gradient:
            # scale the surface's plain-gradient hint down so the run starts stable.
            mu = hparams.get("momentum", 0.0)
            if spec.lr_kind == "gradient" and isinstance(mu, float) and 0 < mu < 1:
                hint *= 1.0 - mu
            hparams["lr"] = clamp_to_param(spec.param("lr"), round_sig(hint))
    return hparams


def free_id(runs: list) -> int:
    """The lowest run id not in use (ids pick colours: a new run gets a fresh one)."""
    used = {run["id"] for run in runs}
    return next(i for i in range(MAX_RUNS) if i not in used)


def _validate_schedule(raw: Any, owner: str, errors: Errors) -> dict:
    if raw is None:
        return {"kind": "constant"}
    try:
        spec = optimizers.SCHEDULES.get(raw.get("kind")) if isinstance(raw, dict) else None
        if spec is not None:  # lists of steps arrive as text ("300;600") or JSON lists
            raw = {**raw, **{hp.name: steps_value(raw[hp.name]) for hp in spec.params
                             if hp.kind == "steps" and hp.name in raw}}
        return optimizers.validate_schedule(raw)
    except ValueError as exc:
        errors.append(f"{owner}: " + fallback(exc, "a constant learning rate"))
        return {"kind": "constant"}


def validate_run(raw: Any, index: int) -> tuple[dict | None, Errors]:
    """One run: a known optimizer, its validated hyperparameters (defaults filled) and
    schedule. Its ``id`` is checked by :func:`validate_runs`."""
    where = f"Run {index + 1}"
    if not isinstance(raw, dict):
        return None, [f"{where} was malformed ({short(raw)}); removed."]
    key = raw.get("optimizer")
    if not isinstance(key, str) or key not in optimizers.REGISTRY:
        return None, [f"{where}: unknown optimizer {short(key)}; removed."]
    spec = optimizers.REGISTRY[key]
    owner = f"{where} ({spec.label})"
    given = raw.get("hparams") or {}
    errors: Errors = []
    if not isinstance(given, dict):
        errors.append(f"{owner}: settings were malformed; using defaults.")
        given = {}
    hparams = {}
    for hp in spec.hyperparams:
        hparams[hp.name] = hp.default
        if hp.name in given:
            try:
                hparams[hp.name] = validate_param(hp, given[hp.name], owner)
            except ValueError as exc:
                errors.append(fallback(exc, hp.default))
    for name in given:
        if name not in hparams:
            errors.append(f"{owner} has no setting {short(name)}; ignored.")
    try:  # cross-field checks live in the spec (torch's wording)
        hparams = spec.validate(**hparams)
    except ValueError as exc:
        errors.append(f"{owner}: " + fallback(exc, "its defaults"))
        hparams = spec.validate()
    schedule = _validate_schedule(raw.get("schedule"), owner, errors)
    return {"id": raw.get("id"), "optimizer": key, "hparams": hparams, "schedule": schedule}, errors


def validate_runs(raw: Any) -> tuple[list, Errors]:
    if raw is None:
        return [], []
    if not isinstance(raw, list):
        return [], [f"The list of runs was malformed ({short(raw)}); starting with none."]
    errors: Errors = []
    if len(raw) > MAX_RUNS:
        errors.append(f"At most {MAX_RUNS} runs can race at once; kept the first {MAX_RUNS} of {len(raw)}.")
        raw = raw[:MAX_RUNS]
    runs = []
    for index, item in enumerate(raw):
        run, run_errors = validate_run(item, index)
        errors.extend(run_errors)
        if run is not None:
            runs.append(run)
    # ids: a whole number in 0..MAX_RUNS-1, unique; anything else gets the lowest free one
    taken: set[int] = set()
    for run in runs:
        rid = run["id"]
        ok = isinstance(rid, int) and not isinstance(rid, bool) and 0 <= rid < MAX_RUNS and rid not in taken
        run["id"] = rid if ok else None
        if ok:
            taken.add(rid)
    for run in runs:
        if run["id"] is None:
            run["id"] = next(i for i in range(MAX_RUNS) if i not in taken)
            taken.add(run["id"])
    return runs, errors


def run_index(state: dict, run_id: Any) -> int:
    """The place in ``state["runs"]`` of the run with this id; ValueError if none."""
    if isinstance(run_id, int) and not isinstance(run_id, bool):
        for index, run in enumerate(state["runs"]):
            if run["id"] == run_id:
                return index
    raise ValueError(f"There is no run {short(run_id)}")


# --------------------------------------------------------------------------------
# start, window, whole state
# --------------------------------------------------------------------------------

def start_limits(surface: dict) -> tuple[tuple[float, float], tuple[float, float]]:
    """Where a start may lie: the surface's plotted box widened by its span each side."""
    (x0, x1), (y0, y1) = make_surface(surface).bounds
    wx, wy = x1 - x0, y1 - y0
    return (x0 - wx, x1 + wx), (y0 - wy, y1 + wy)


def default_start(surface: dict) -> list[float]:
    return [float(c) for c in make_surface(surface).start]


def validate_start(raw: Any, surface: dict) -> tuple[list[float], Errors]:
    fallback_start = default_start(surface)
    if raw is None:
        return fallback_start, []
    if not isinstance(raw, (list, tuple)) or len(raw) != 2:
        return fallback_start, [f"Start point must be two numbers [x, y], got {short(raw)}; "
                                "using the surface's start."]
    try:
        x = as_float(raw[0], "Start x")
        y = as_float(raw[1], "Start y")
    except ValueError as exc:
        return fallback_start, [fallback(exc, "the surface's start")]
    (xl, xh), (yl, yh) = start_limits(surface)
    if not (xl <= x <= xh and yl <= y <= yh):
        return fallback_start, [
            f"Start ({x:g}, {y:g}) is too far outside the plot "
            f"(x in [{xl:g}, {xh:g}], y in [{yl:g}, {yh:g}]); using the surface's start."
        ]
    return [x, y], []


def check_box(raw: Any, surface: dict) -> list[list[float]] | None:
    """A plotted window ``[[x0, x1], [y0, y1]]`` with x0 < x1, y0 < y1, inside the start
    limits; None for the surface's own bounds. ValueError otherwise."""
    if raw is None:
        return None
    try:
        (x0, x1), (y0, y1) = raw
        box = [[as_float(x0, "Window x"), as_float(x1, "Window x")],
               [as_float(y0, "Window y"), as_float(y1, "Window y")]]
    except (TypeError, ValueError) as exc:
        raise ValueError(f"The plotted window must be [[xmin, xmax], [ymin, ymax]] ({exc})") from None
    (xl, xh), (yl, yh) = start_limits(surface)
    (x0, x1), (y0, y1) = box
    if not (x0 < x1 and y0 < y1):
        raise ValueError("The plotted window must have xmin < xmax and ymin < ymax")
    if not (xl <= x0 and x1 <= xh and yl <= y0 and y1 <= yh):
        raise ValueError("The plotted window reaches too far outside the surface")
    return box


def check_show(value: Any) -> list[str]:
    """Which instruments are on: known names, in the registry's order."""
    if not isinstance(value, (list, tuple)) or len(value) > 4 * len(registry.NAMES):
        raise ValueError(f"Instruments must be a list of names, got {short(value)}")
    unknown = [v for v in value if v not in registry.NAMES]
    if unknown:
        raise ValueError(f"Unknown instrument {short(unknown[0])} (known: {', '.join(registry.NAMES)})")
    return [name for name in registry.NAMES if name in value]


def check_count(value: Any) -> str:
    if value not in COUNTS:
        raise ValueError(f"The budget counts {' or '.join(COUNTS)}, got {short(value)}.")
    return value


def check_view(value: Any) -> str:
    if value not in VIEWS:
        raise ValueError(f"View must be one of {', '.join(VIEWS)}, got {short(value)}.")
    return value


_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")


def check_lesson(value: Any) -> str | None:
    """A lesson key's form (which lessons exist is the race's business: ``ui.race.teach``)."""
    if value is None or (isinstance(value, str) and _SLUG.match(value)):
        return value
    raise ValueError(f"Unknown lesson {short(value)}")


def default_state(surface_key: str = DEFAULT_SURFACE, optimizer_keys=DEFAULT_OPTIMIZERS) -> dict:
    surface = {"key": surface_key, "params": surface_defaults(surface_key)}
    runs = [
        {"id": i, "optimizer": key, "hparams": default_hparams(key, surface), "schedule": {"kind": "constant"}}
        for i, key in enumerate(k for k in optimizer_keys if k in optimizers.REGISTRY)
    ]
    return {
        "surface": surface,
        "runs": runs,
        "start": default_start(surface),
        "steps": DEFAULT_STEPS,
        "seed": 0,
        "noise": 0.0,
        "frame": 0,
        "view": "overlay",
        "count": "steps",
        "lesson": None,
        "fan": 0,
        "show": [],
        "compare": {},
        "box": None,
    }


STATE_KEYS = tuple(default_state())


def validate_state(raw: Any) -> tuple[dict, Errors]:
    """Re-validate a state from the client. Never raises; returns (state, messages)."""
    errors: Errors = []
    if not isinstance(raw, dict):
        if raw is not None:
            errors.append("The app state was malformed; reset to the default set-up.")
        return default_state(), errors
    for key in raw:
        if key not in STATE_KEYS:
            errors.append(f"Unknown setting {short(key)}; ignored.")

    surface, more = validate_surface(raw.get("surface"))
    errors += more
    if "runs" in raw:
        runs, more = validate_runs(raw["runs"])
        errors += more
    else:
        runs = default_state()["runs"]
        for run in runs:
            run["hparams"] = default_hparams(run["optimizer"], surface)
    start, more = validate_start(raw.get("start"), surface)
    errors += more
    defaults = default_state()

    def field(name, check):
        if name not in raw:
            return defaults[name]
        try:
            return check(raw[name])
        except ValueError as exc:
            errors.append(fallback(exc, defaults[name]))
            return defaults[name]

    steps = field("steps", lambda v: as_int(v, "Steps", MIN_STEPS, MAX_STEPS))
    compare, more = validate_compare(raw.get("compare"), surface)
    errors += more
    state = {
        "surface": surface,
        "runs": runs,
        "start": start,
        "steps": steps,
        "seed": field("seed", lambda v: as_int(v, "Seed", 0, MAX_SEED)),
        "noise": field("noise", lambda v: in_range(as_float(v, "Noise"), "Noise", 0.0, MAX_NOISE)),
        "frame": min(field("frame", lambda v: as_int(v, "Frame", 0, MAX_STEPS)), steps),
        "view": field("view", check_view),
        "count": field("count", check_count),
        "lesson": field("lesson", check_lesson),
        "fan": field("fan", lambda v: as_int(v, "Fan (seeds per run)", 0, MAX_FAN)),
        "show": field("show", check_show),
        "compare": compare,
        "box": field("box", lambda v: check_box(v, surface)),
    }
    return state, errors


def copy_state(state: dict) -> dict:
    return copy.deepcopy(state)
