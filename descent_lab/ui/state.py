"""The app state as a plain, validated dict, and its URL form.

The browser holds the state (a ``dcc.Store`` and the address bar); the server never
trusts it: every callback re-validates what it receives with :func:`validate_state`.
Anything refused is replaced by a default and reported as a sentence for the alert
area, so a hostile or stale client gets a message, never a crash.

State shape (JSON-safe)::

    {
      "surface": {"key": "valley", "params": {"condition": 10.0, "angle": 0.0}},
      "runs": [{"optimizer": "adam", "hparams": {"lr": 0.1, "beta1": 0.9, ...}}, ...],
      "start": [x, y],
      "steps": 200,
      "seed": 0,
      "noise": 0.0,
      "frame": 0,
      "view": "overlay",          # or "grid" (side by side)
      "lesson": None,             # or the key of the preset whose text is shown
      "fan": 0,                   # seeds per run of the noise fan (0: off)
      "show": [],                 # the instruments that are on (INSTRUMENTS)
    }

The surface's params may hold ``scale`` (the loss scale c, absent when 1). A typed
surface is ``{"key": "custom", "params": {"expression": text, "xmin": ..., "xmax": ...,
"ymin": ..., "ymax": ...}}``.

URL form (query string, readable and hand-editable)::

    ?surface=valley(condition=10,angle=0)&run=gd(lr=0.1)&run=adam(lr=0.1,beta1=0.9)
     &start=-2.5,1&steps=200&seed=0&frame=0&view=overlay[&lesson=momentum-ravine]
     [&fan=10&show=grad,angle]   ; a typed surface: surface=custom(xmin=-5,...)&f=<text>
"""

from __future__ import annotations

import copy
import math
import re
from typing import Any
from urllib.parse import parse_qsl, quote

from descent_lab import optimizers, surfaces

MAX_RUNS = 8
MAX_STEPS = 10_000
MIN_STEPS = 1
DEFAULT_STEPS = 200
MAX_SEED = 2**32 - 1
MAX_NOISE = 10.0  # the noise slider's range (the engine allows more)
MAX_URL_LENGTH = 8_000
VIEWS = ("overlay", "grid")
DEFAULT_SURFACE = "valley"
DEFAULT_OPTIMIZERS = ("gd", "momentum", "adam")
# --- issue 4 (instruments): a typed surface, the loss scale ----------------------
CUSTOM = "custom"              # a surface the user types (surfaces.from_expression)
CUSTOM_LABEL = "Custom f(x, y)"
CUSTOM_BOUNDS = ("xmin", "xmax", "ymin", "ymax")
SCALE = "scale"                # the loss scale c (f -> c f): a parameter of every surface
SCALE_PARAM = surfaces.SCALE
MAX_FAN = 20                   # seeds per run in the noise fan (0 or 1: no fan)
# the instruments a person can switch on (ui/instruments.py says what each one needs)
INSTRUMENTS = ("grad", "rescaled", "velocity", "step", "angle", "lr", "sharpness", "readout", "view3d")

Errors = list[str]


# --------------------------------------------------------------------------------
# small validators: each returns (value, error-or-None)
# --------------------------------------------------------------------------------

def _short(value: Any, limit: int = 40) -> str:
    """A printable, length-limited rendering of a client value for messages."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


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
        raise ValueError(f"{what} must be a number, got {_short(value)}.")
    try:
        number = float(value)
    except OverflowError:  # an integer beyond float range
        raise ValueError(f"{what} must be a finite number, got {_short(value)}.") from None
    if not math.isfinite(number):
        raise ValueError(f"{what} must be a finite number, got {_short(value)}.")
    return number


def as_int(value: Any, what: str, low: int, high: int) -> int:
    """An int within [low, high] from a JSON number (integral floats accepted)."""
    number = as_float(value, what)
    if number != int(number):
        raise ValueError(f"{what} must be a whole number, got {_short(value)}.")
    if not low <= number <= high:
        raise ValueError(f"{what} must be between {low:,} and {high:,}, got {_short(value)}.")
    return int(number)


def parse_number(text: str) -> float | bool | str:
    """Parse a URL token: a float, a boolean word, or the text itself (refused later)."""
    lowered = text.strip().lower()
    if lowered in ("true", "yes", "on"):
        return True
    if lowered in ("false", "no", "off"):
        return False
    try:
        return float(lowered)
    except ValueError:
        return text


def validate_param(hp: Any, value: Any, owner: str) -> Any:
    """Validate one value against a ``HyperParam`` spec; ValueError with a sentence."""
    if getattr(hp, "kind", "float") == "bool":
        if isinstance(value, bool):
            return hp.validate(value)
        if isinstance(value, (int, float)) and value in (0, 1):
            return hp.validate(bool(value))
        raise ValueError(f"{owner}: {hp.name} must be true or false, got {_short(value)}.")
    number = as_float(value, f"{owner}: {hp.name}")
    try:
        return hp.validate(number)
    except ValueError as exc:
        raise ValueError(f"{owner}: {exc}") from None


# --------------------------------------------------------------------------------
# surface and runs
# --------------------------------------------------------------------------------

def surface_defaults(key: str) -> dict:
    if key == CUSTOM:
        from descent_lab.surfaces.expression import DEFAULT_BOUNDS, EXAMPLE

        (x0, x1), (y0, y1) = DEFAULT_BOUNDS
        return {"expression": EXAMPLE, "xmin": x0, "xmax": x1, "ymin": y0, "ymax": y1}
    return {hp.name: hp.default for hp in surfaces.REGISTRY[key].params}


def make_surface(state_surface: dict):
    """The engine ``Surface`` for a validated ``state["surface"]``."""
    return get_surface(state_surface["key"], state_surface["params"])


def get_surface(key: str, params):
    """``surfaces.get(key, **params)``, also for a typed surface (key ``custom``,
    params ``expression`` and ``xmin``..``ymax``) and with the loss scale
    (``params["scale"]``, absent when 1). ValueError for anything refused."""
    params = dict(params)
    scale = params.pop(SCALE, 1.0)
    if key == CUSTOM:
        bounds = ((params.get("xmin"), params.get("xmax")), (params.get("ymin"), params.get("ymax")))
        surface = surfaces.from_expression(params.get("expression"), bounds)
        scale = SCALE_PARAM.validate(scale)
        return surface.scaled(scale) if scale != 1.0 else surface
    return surfaces.get(key, scale=scale, **params)


def unscaled(state_surface: dict) -> dict:
    """The surface without its loss scale (the contour's shape does not depend on it)."""
    params = {k: v for k, v in state_surface["params"].items() if k != SCALE}
    return {"key": state_surface["key"], "params": params}


def surface_label(state_surface: dict) -> str:
    if state_surface["key"] == CUSTOM:
        return CUSTOM_LABEL
    return surfaces.REGISTRY[state_surface["key"]].label


def _validate_scale(given: dict, label: str, errors: Errors) -> float:
    """The loss scale from a surface's params (popped from ``given``); 1 if refused."""
    if SCALE not in given:
        return 1.0
    try:
        return float(validate_param(SCALE_PARAM, given.pop(SCALE), label))
    except ValueError as exc:
        errors.append(fallback(exc, 1.0))
        return 1.0


def _validate_custom(given: dict) -> tuple[dict | None, Errors]:
    """A typed surface's params, parsed by the engine; None (and why) if refused."""
    errors: Errors = []
    given = dict(given)
    scale = _validate_scale(given, CUSTOM_LABEL, errors)
    params = surface_defaults(CUSTOM)
    text = given.pop("expression", params["expression"])
    if not isinstance(text, str):
        return None, [f"{CUSTOM_LABEL}: the expression must be text, got {_short(text)}; "
                      f"using {surfaces.REGISTRY[DEFAULT_SURFACE].label}."]
    params["expression"] = text
    for name in CUSTOM_BOUNDS:
        if name in given:
            try:
                params[name] = as_float(given.pop(name), f"{CUSTOM_LABEL}: {name}")
            except ValueError as exc:
                errors.append(fallback(exc, params[name]))
    for name in given:
        errors.append(f"{CUSTOM_LABEL} has no parameter {_short(name)}; ignored.")
    try:
        bounds = ((params["xmin"], params["xmax"]), (params["ymin"], params["ymax"]))
        surfaces.from_expression(text, bounds)
    except ValueError as exc:
        if "bounds" not in str(exc):
            return None, errors + [f"{CUSTOM_LABEL}: {str(exc).rstrip('. ')}; "
                                   f"using {surfaces.REGISTRY[DEFAULT_SURFACE].label}."]
        errors.append(f"{CUSTOM_LABEL}: " + fallback(exc, "the default bounds"))
        params.update({k: v for k, v in surface_defaults(CUSTOM).items() if k != "expression"})
        try:
            surfaces.from_expression(text, None)
        except ValueError as again:
            return None, errors + [f"{CUSTOM_LABEL}: {str(again).rstrip('. ')}; "
                                   f"using {surfaces.REGISTRY[DEFAULT_SURFACE].label}."]
    if scale != 1.0:
        params[SCALE] = scale
    return {"key": CUSTOM, "params": params}, errors


def validate_surface(raw: Any) -> tuple[dict, Errors]:
    errors: Errors = []
    if not isinstance(raw, dict):
        if raw is not None:
            errors.append(f"Surface settings were malformed ({_short(raw)}); using the default surface.")
        return {"key": DEFAULT_SURFACE, "params": surface_defaults(DEFAULT_SURFACE)}, errors
    key = raw.get("key")
    if key == CUSTOM:
        given = raw.get("params") or {}
        if not isinstance(given, dict):
            errors.append(f"{CUSTOM_LABEL}: parameters were malformed; using defaults.")
            given = {}
        surface, more = _validate_custom(given)
        if surface is None:
            return {"key": DEFAULT_SURFACE, "params": surface_defaults(DEFAULT_SURFACE)}, errors + more
        return surface, errors + more
    if not isinstance(key, str) or key not in surfaces.REGISTRY:
        errors.append(f"Unknown surface {_short(key)}; using {surfaces.REGISTRY[DEFAULT_SURFACE].label}.")
        return {"key": DEFAULT_SURFACE, "params": surface_defaults(DEFAULT_SURFACE)}, errors
    entry = surfaces.REGISTRY[key]
    given = raw.get("params") or {}
    if not isinstance(given, dict):
        errors.append(f"{entry.label}: parameters were malformed; using defaults.")
        given = {}
    given = dict(given)
    scale = _validate_scale(given, entry.label, errors)
    params = {}
    for hp in entry.params:
        if hp.name in given:
            try:
                params[hp.name] = validate_param(hp, given[hp.name], entry.label)
            except ValueError as exc:
                errors.append(fallback(exc, hp.default))
                params[hp.name] = hp.default
        else:
            params[hp.name] = hp.default
    for name in given:
        if name not in params:
            errors.append(f"{entry.label} has no parameter {_short(name)}; ignored.")
    try:
        surfaces.get(key, **params)
    except ValueError as exc:  # a combination the engine refuses
        errors.append(f"{entry.label}: " + fallback(exc, "its defaults"))
        params = surface_defaults(key)
    if scale != 1.0:
        params[SCALE] = scale
    return {"key": key, "params": params}, errors


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
            if optimizers.REGISTRY[optimizer].lr_kind == "gradient" and isinstance(mu, float) and 0 < mu < 1:
                hint *= 1.0 - mu
            hparams["lr"] = clamp_to_param(param_spec(optimizer, "lr"), float(f"{hint:.3g}"))
    return hparams


def param_spec(optimizer: str, name: str):
    for hp in optimizers.REGISTRY[optimizer].hyperparams:
        if hp.name == name:
            return hp
    raise KeyError(name)


def clamp_to_param(hp: Any, value: float) -> float:
    """Clamp into a HyperParam's range (respecting an open upper end)."""
    high = hp.high
    if getattr(hp, "high_open", False):
        high = math.nextafter(high, -math.inf) if hp.scale == "linear" else high * (1 - 1e-9)
    return float(min(max(value, hp.low), high))


def lr_hint(optimizer: str, surface: dict) -> float | None:
    kind = optimizers.REGISTRY[optimizer].lr_kind
    if kind is None:
        return None
    try:
        hints = make_surface(surface).lr_hints or {}
    except (ValueError, AttributeError):
        return None
    hint = hints.get(kind)
    return float(hint) if hint else None


def validate_run(raw: Any, index: int) -> tuple[dict | None, Errors]:
    """One run: a known optimizer and its validated hyperparameters (defaults filled)."""
    where = f"Run {index + 1}"
    if not isinstance(raw, dict):
        return None, [f"{where} was malformed ({_short(raw)}); removed."]
    key = raw.get("optimizer")
    if not isinstance(key, str) or key not in optimizers.REGISTRY:
        return None, [f"{where}: unknown optimizer {_short(key)}; removed."]
    spec = optimizers.REGISTRY[key]
    given = raw.get("hparams") or {}
    errors: Errors = []
    if not isinstance(given, dict):
        errors.append(f"{where} ({spec.label}): settings were malformed; using defaults.")
        given = {}
    hparams = {}
    for hp in spec.hyperparams:
        if hp.name in given:
            try:
                hparams[hp.name] = validate_param(hp, given[hp.name], f"{where} ({spec.label})")
            except ValueError as exc:
                errors.append(fallback(exc, hp.default))
                hparams[hp.name] = hp.default
        else:
            hparams[hp.name] = hp.default
    for name in given:
        if name not in hparams:
            errors.append(f"{where} ({spec.label}) has no setting {_short(name)}; ignored.")
    try:  # cross-field checks live in the spec (torch's wording)
        hparams = spec.validate(**hparams)
    except ValueError as exc:
        errors.append(f"{where} ({spec.label}): " + fallback(exc, "its defaults"))
        hparams = spec.validate()
    return {"optimizer": key, "hparams": hparams}, errors


def validate_runs(raw: Any) -> tuple[list, Errors]:
    if raw is None:
        return [], []
    if not isinstance(raw, list):
        return [], [f"The list of runs was malformed ({_short(raw)}); starting with none."]
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
    return runs, errors


# --------------------------------------------------------------------------------
# whole state
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
        return fallback_start, [f"Start point must be two numbers [x, y], got {_short(raw)}; using the surface's start."]
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


def default_state(surface_key: str = DEFAULT_SURFACE, optimizer_keys=DEFAULT_OPTIMIZERS) -> dict:
    surface = {"key": surface_key, "params": surface_defaults(surface_key)}
    runs = [
        {"optimizer": key, "hparams": default_hparams(key, surface)}
        for key in optimizer_keys
        if key in optimizers.REGISTRY
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
        "lesson": None,
        "fan": 0,
        "show": [],
    }


STATE_KEYS = ("surface", "runs", "start", "steps", "seed", "noise", "frame", "view", "lesson", "fan", "show")


def validate_state(raw: Any) -> tuple[dict, Errors]:
    """Re-validate a state from the client. Never raises; returns (state, messages)."""
    errors: Errors = []
    if not isinstance(raw, dict):
        if raw is not None:
            errors.append("The app state was malformed; reset to the default lesson.")
        return default_state(), errors
    defaults = default_state()
    for key in raw:
        if key not in STATE_KEYS:
            errors.append(f"Unknown setting {_short(key)}; ignored.")

    surface, more = validate_surface(raw.get("surface"))
    errors += more
    if "runs" in raw:
        runs, more = validate_runs(raw["runs"])
        errors += more
    else:
        runs = [{"optimizer": k, "hparams": default_hparams(k, surface)}
                for k in DEFAULT_OPTIMIZERS if k in optimizers.REGISTRY]
    start, more = validate_start(raw.get("start"), surface)
    errors += more

    def field(name, check):
        if name not in raw:
            return defaults[name]
        try:
            return check(raw[name])
        except ValueError as exc:
            errors.append(fallback(exc, defaults[name]))
            return defaults[name]

    steps = field("steps", lambda v: as_int(v, "Steps", MIN_STEPS, MAX_STEPS))
    seed = field("seed", lambda v: as_int(v, "Seed", 0, MAX_SEED))
    noise = field("noise", lambda v: _in_range(as_float(v, "Noise"), "Noise", 0.0, MAX_NOISE))
    frame = field("frame", lambda v: as_int(v, "Frame", 0, MAX_STEPS))
    frame = min(frame, steps)
    view = field("view", _check_view)
    lesson = field("lesson", _check_lesson)
    fan = field("fan", lambda v: as_int(v, "Fan (seeds per run)", 0, MAX_FAN))
    show = field("show", check_show)
    state = {
        "surface": surface,
        "runs": runs,
        "start": start,
        "steps": steps,
        "seed": seed,
        "noise": noise,
        "frame": frame,
        "view": view,
        "lesson": lesson,
        "fan": fan,
        "show": show,
    }
    return state, errors


def _in_range(value: float, what: str, low: float, high: float) -> float:
    if not low <= value <= high:
        raise ValueError(f"{what} must be between {low:g} and {high:g}, got {value:g}.")
    return value


def _check_lesson(value: Any) -> str | None:
    from .presets import PRESETS

    if value is None or (isinstance(value, str) and value in PRESETS):
        return value
    raise ValueError(f"Unknown lesson {_short(value)}")


def check_show(value: Any) -> list[str]:
    """Which instruments are on: known names, in :data:`INSTRUMENTS` order."""
    if not isinstance(value, (list, tuple)) or len(value) > 4 * len(INSTRUMENTS):
        raise ValueError(f"Instruments must be a list of names, got {_short(value)}")
    unknown = [v for v in value if v not in INSTRUMENTS]
    if unknown:
        raise ValueError(f"Unknown instrument {_short(unknown[0])} (known: {', '.join(INSTRUMENTS)})")
    return [name for name in INSTRUMENTS if name in value]


def _check_view(value: Any) -> str:
    if value not in VIEWS:
        raise ValueError(f"View must be one of {', '.join(VIEWS)}, got {_short(value)}.")
    return value


# --------------------------------------------------------------------------------
# URL
# --------------------------------------------------------------------------------

_CALL = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:\((.*)\))?\s*$", re.S)
_SAFE = "(),=.:-_+"
_SAFE_TEXT = "(),.*-_"  # a typed expression: "+" must be escaped (a query string reads it as a space)


def fmt_number(value: Any) -> str:
    """Shortest text that reads back to the same value (floats) or true/false."""
    if isinstance(value, bool):
        return "true" if value else "false"
    number = float(value)
    if number == int(number) and abs(number) < 1e15:
        return str(int(number))
    return repr(number)


def _call(name: str, params: dict) -> str:
    if not params:
        return name
    inner = ",".join(f"{k}={fmt_number(v)}" for k, v in params.items())
    return f"{name}({inner})"


def encode_url(state: dict) -> str:
    """The query string (with its leading ``?``) for a validated state."""
    surface_params = {k: v for k, v in state["surface"]["params"].items() if k != "expression"}
    parts = [("surface", _call(state["surface"]["key"], surface_params))]
    if state["surface"]["key"] == CUSTOM:  # the typed text, re-parsed on load
        parts.append(("f", state["surface"]["params"]["expression"]))
    parts += [("run", _call(run["optimizer"], run["hparams"])) for run in state["runs"]] or [("run", "")]
    parts += [
        ("start", ",".join(fmt_number(c) for c in state["start"])),
        ("steps", str(state["steps"])),
        ("seed", str(state["seed"])),
    ]
    if state.get("noise"):
        parts.append(("noise", fmt_number(state["noise"])))
    if state.get("fan"):
        parts.append(("fan", str(state["fan"])))
    if state.get("show"):
        parts.append(("show", ",".join(state["show"])))
    parts += [("frame", str(state.get("frame", 0))), ("view", state["view"])]
    if state.get("lesson"):
        parts.append(("lesson", state["lesson"]))
    return "?" + "&".join(f"{k}={quote(v, safe=_SAFE if k != 'f' else _SAFE_TEXT)}" for k, v in parts)


def _parse_call(text: str, what: str) -> tuple[str, dict]:
    """``name(k=v,k=v)`` -> (name, {k: parsed v}); ValueError with a sentence."""
    match = _CALL.match(text)
    if not match:
        raise ValueError(f"Could not read {what} {_short(text)} from the address.")
    name, inner = match.group(1), match.group(2)
    params: dict = {}
    if inner and inner.strip():
        for item in inner.split(","):
            if "=" not in item:
                raise ValueError(f"Could not read setting {_short(item)} of {what} {name!r} from the address.")
            key, value = item.split("=", 1)
            params[key.strip()] = parse_number(value)
    return name, params


def decode_url(search: Any) -> tuple[dict, Errors]:
    """A validated state from a query string; malformed parts are reported and defaulted."""
    if search is None:
        return default_state(), []
    if not isinstance(search, str):
        return default_state(), [
            f"The address could not be read (a {type(search).__name__}, not text); "
            "opened the default lesson."
        ]
    if not search.strip("?& "):
        return default_state(), []
    errors: Errors = []
    if len(search) > MAX_URL_LENGTH:
        return default_state(), [f"The address was too long ({len(search):,} characters); opened the default lesson."]
    pairs = parse_qsl(search.lstrip("?"), keep_blank_values=True)
    raw: dict = {}
    runs: list = []
    saw_runs = False
    expression = None
    for key, value in pairs:
        try:
            if key == "surface":
                name, params = _parse_call(value, "surface")
                raw["surface"] = {"key": name, "params": params}
            elif key == "run":
                saw_runs = True
                if value.strip():  # "run=" alone: explicitly no runs
                    name, params = _parse_call(value, "run")
                    runs.append({"optimizer": name, "hparams": params})
            elif key == "start":
                raw["start"] = [parse_number(v) for v in value.split(",")]
            elif key in ("steps", "seed", "frame", "noise", "fan"):
                raw[key] = parse_number(value)
            elif key in ("view", "lesson"):
                raw[key] = value
            elif key == "f":
                expression = value
            elif key == "show":
                raw["show"] = [name for name in value.split(",") if name.strip()]
            else:
                errors.append(f"Unknown address parameter {_short(key)}; ignored.")
        except ValueError as exc:
            errors.append(str(exc))
    if len(runs) > MAX_RUNS:
        errors.append(f"At most {MAX_RUNS} runs can race at once; kept the first {MAX_RUNS} of {len(runs)}.")
        runs = runs[:MAX_RUNS]
    if saw_runs:
        raw["runs"] = runs
    if expression is not None:
        surface = raw.get("surface")
        if isinstance(surface, dict) and surface.get("key") == CUSTOM:
            surface["params"]["expression"] = expression
        else:
            errors.append("The address has a typed function (f=...) but its surface is not "
                          f"{CUSTOM_LABEL!r}; ignored.")
    if "surface" in raw and "start" not in raw:
        raw["start"] = None
    state, more = validate_state(raw)
    return state, errors + more


def copy_state(state: dict) -> dict:
    return copy.deepcopy(state)
