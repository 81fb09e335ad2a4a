"""The state's URL form: readable, hand-editable, and the whole set-up in one link.

::

    ?surface=valley(condition=20,angle=0)&run=gd(lr=1.8)&run=adam(lr=0.3)~cosine(T_max=200)
     &start=-8,2&steps=150&seed=0&frame=0&view=overlay[&lesson=momentum-ravine]
     [&noise=0.5&fan=10&show=grad,angle&compare=angle=45&box=-9,1,-3,3]
     ; a surface's text parameters follow it: surface=custom(xmin=-5,...)&expression=<text>

A run whose id is not its position is written ``id:optimizer(...)`` (``run=3:adam(lr=0.1)``),
so a shared link keeps every run's colour. ``?lesson=KEY`` alone loads the lesson's whole
set-up (``ui.race``); anything else it carries overrides the lesson's values.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl, quote

from . import state as st

MAX_URL_LENGTH = 8_000
_CALL = re.compile(r"^\s*(?:(\d+)\s*:)?\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:\((.*?)\))?\s*$", re.S)
_SAFE = "(),=.:-_+~;"  # ";" joins a list of steps (a schedule's milestones)
_SAFE_TEXT = "(),.*-_"  # a typed expression: "+" must be escaped (a query string reads it as a space)
# Query names of the surfaces' text parameters (and "f", the typed function's older name).
TEXT_NAMES = {"expression": "expression", "f": "expression"}


def _call(name: str, params: dict) -> str:
    if not params:
        return name
    inner = ",".join(f"{k}={st.fmt_number(v)}" for k, v in params.items())
    return f"{name}({inner})"


def _run_text(run: dict, position: int) -> str:
    text = _call(run["optimizer"], run["hparams"])
    if run["id"] != position:
        text = f"{run['id']}:{text}"
    schedule = run.get("schedule") or {"kind": "constant"}
    if schedule["kind"] != "constant":
        text += "~" + _call(schedule["kind"], {k: v for k, v in schedule.items() if k != "kind"})
    return text


def _text_params(key: str) -> set[str]:
    return {hp.name for hp in st.surface_params(key) if hp.kind == "text"}


def encode_url(state: dict) -> str:
    """The query string (with its leading ``?``) for a validated state."""
    key, params = state["surface"]["key"], state["surface"]["params"]
    texts = _text_params(key)
    parts = [("surface", _call(key, {k: v for k, v in params.items() if k not in texts}))]
    parts += [(name, params[name]) for name in sorted(texts)]  # typed text, re-parsed on load
    parts += [("run", _run_text(run, i)) for i, run in enumerate(state["runs"])] or [("run", "")]
    parts += [
        ("start", ",".join(st.fmt_number(c) for c in state["start"])),
        ("steps", str(state["steps"])),
        ("seed", str(state["seed"])),
    ]
    if state.get("noise"):
        parts.append(("noise", st.fmt_number(state["noise"])))
    if state.get("fan"):
        parts.append(("fan", str(state["fan"])))
    if state.get("show"):
        parts.append(("show", ",".join(state["show"])))
    if state.get("compare"):
        parts.append(("compare", ",".join(f"{k}={st.fmt_number(v)}" for k, v in state["compare"].items())))
    if state.get("box"):
        parts.append(("box", ",".join(st.fmt_number(v) for pair in state["box"] for v in pair)))
    parts += [("frame", str(state.get("frame", 0))), ("view", state["view"])]
    if state.get("lesson"):
        parts.append(("lesson", state["lesson"]))
    return "?" + "&".join(f"{k}={quote(v, safe=_SAFE_TEXT if k in texts else _SAFE)}" for k, v in parts)


def _params(inner: str | None, what: str, name: str) -> dict:
    params: dict = {}
    if inner and inner.strip():
        for item in inner.split(","):
            if "=" not in item:
                raise ValueError(f"Could not read setting {st.short(item)} of {what} {name!r} from the address.")
            key, value = item.split("=", 1)
            params[key.strip()] = st.parse_number(value)
    return params


def _parse_call(text: str, what: str) -> tuple[int | None, str, dict]:
    """``[id:]name(k=v,k=v)`` -> (id, name, {k: parsed v}); ValueError with a sentence."""
    match = _CALL.match(text)
    if not match:
        raise ValueError(f"Could not read {what} {st.short(text)} from the address.")
    rid = int(match.group(1)) if match.group(1) is not None else None
    return rid, match.group(2), _params(match.group(3), what, match.group(2))


def _parse_run(text: str, position: int) -> dict:
    head, _, sched = text.partition("~")
    rid, name, params = _parse_call(head, "run")
    run = {"id": position if rid is None else rid, "optimizer": name, "hparams": params}
    if sched.strip():
        _, kind, sparams = _parse_call(sched, "schedule")
        run["schedule"] = {"kind": kind, **sparams}
    return run


def _floats(text: str) -> list:
    return [st.parse_number(v) for v in text.split(",")]


def decode_url(search: Any) -> tuple[dict, st.Errors]:
    """A validated state from a query string; malformed parts are reported and defaulted."""
    raw, errors = read_url(search)
    if raw is None:
        return st.default_state(), errors
    state, more = st.validate_state(raw)
    return state, errors + more


def read_url(search: Any) -> tuple[dict | None, st.Errors]:
    """The raw (not yet validated) state a query string describes: only what it says.
    None when there is nothing to read (empty, too long or not text)."""
    if search is None:
        return None, []
    if not isinstance(search, str):
        return None, [f"The address could not be read (a {type(search).__name__}, not text); "
                      "opened the default set-up."]
    if not search.strip("?& "):
        return None, []
    if len(search) > MAX_URL_LENGTH:
        return None, [f"The address was too long ({len(search):,} characters); opened the default set-up."]
    errors: st.Errors = []
    raw: dict = {}
    runs: list = []
    saw_runs = False
    texts: dict = {}
    for key, value in parse_qsl(search.lstrip("?"), keep_blank_values=True):
        try:
            if key == "surface":
                _, name, params = _parse_call(value, "surface")
                raw["surface"] = {"key": name, "params": params}
            elif key == "run":
                saw_runs = True
                if value.strip():  # "run=" alone: explicitly no runs
                    runs.append(_parse_run(value, len(runs)))
            elif key in ("start",):
                raw["start"] = _floats(value)
            elif key == "box":
                values = _floats(value)
                raw["box"] = [values[:2], values[2:]] if len(values) == 4 else values
            elif key in ("steps", "seed", "frame", "noise", "fan"):
                raw[key] = st.parse_number(value)
            elif key in ("view", "lesson"):
                raw[key] = value
            elif key in TEXT_NAMES:
                texts[TEXT_NAMES[key]] = value
            elif key == "show":
                raw["show"] = [name for name in value.split(",") if name.strip()]
            elif key == "compare":
                raw["compare"] = _params(value, "compare", "panel")
            else:
                errors.append(f"Unknown address parameter {st.short(key)}; ignored.")
        except ValueError as exc:
            errors.append(str(exc))
    if len(runs) > st.MAX_RUNS:
        errors.append(f"At most {st.MAX_RUNS} runs can race at once; kept the first {st.MAX_RUNS} of {len(runs)}.")
        runs = runs[: st.MAX_RUNS]
    if saw_runs:
        raw["runs"] = runs
    surface = raw.get("surface")
    for name, text in texts.items():
        key = surface.get("key") if isinstance(surface, dict) else None
        if key in st.surfaces.ENTRIES and name in _text_params(key):
            surface["params"][name] = text
        else:
            errors.append(f"The address has a {name} for a surface that takes none; ignored.")
    if "surface" in raw and "start" not in raw:
        raw["start"] = None
    return raw, errors
