"""The event table: which control does what to the state.

Every control of the race writes one *action* into the action store (in the browser,
``assets/10_race.js``'s ``dispatch``, generated from :data:`EVENTS`): a plain dict
``{"kind": ..., <the id's fields>, "value": ...}``. The server's one race callback
applies it with :func:`apply` (pure), so a slider change costs one small request and
the browser's work is proportional to what changed. Maps hand a whole new set-up to
the race the same way (``{"kind": "setup", "state": ...}``).

An :class:`Event` names the control (a singleton id or a pattern type), the property
that fires, the id fields to copy, where the value is read (``value_from``: text fields
fire on Enter or blur and carry their text) and the function applying it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from ..core import engine, ids, widgets
from ..core.state import (
    SCALE_PARAM,
    Errors,
    check_show,
    copy_state,
    parse_number,
    short,
    validate_state,
)
from . import runs, start, surface, teach

Result = tuple[dict, Errors]


@dataclass(frozen=True, kw_only=True)
class Event:
    kind: str
    component: str  # a singleton id, or a pattern type
    prop: str = "value"
    pattern: bool = False  # ``component`` is a pattern type ({"type": ...})
    keys: tuple[str, ...] = ()  # id fields copied into the action
    click: bool = False  # n_clicks: 0 or None is a button just rendered
    value_from: str | None = None  # read the value from this property of the same component
    extra: tuple[tuple[str, str, str], ...] = ()  # (action field, component id, property) read as well
    preview: bool = False  # moves paths: previewed while the hand drags it
    mirror: str = ""  # where the browser finds the value in use (to skip no-ops):
    # "state:<path>", "run:<path>", "position:<what>", "text:<what>"
    apply: Callable[[dict, dict], Result]


def _typed(value: Any) -> Any:
    return parse_number(value) if isinstance(value, str) else value


def _hparam(state: dict, a: dict) -> Result:
    hp = runs.hparam_spec(state, a.get("run"), a.get("name"))
    if hp is None:
        return state, [f"There is no setting {a.get('name')!r} for run {a.get('run')!r}."]
    return runs.set_hparam(state, a["run"], hp.name, widgets.from_control(hp, a.get("value")))


def _hparam_text(state: dict, a: dict) -> Result:
    hp = runs.hparam_spec(state, a.get("run"), a.get("name"))
    if hp is None:
        return state, [f"There is no setting {a.get('name')!r} for run {a.get('run')!r}."]
    return runs.set_hparam(state, a["run"], hp.name, _typed(a.get("value")))


def _schedule_param(state: dict, a: dict, typed: bool = False) -> Result:
    hp = runs.schedule_param_spec(state, a.get("run"), a.get("name"))
    if hp is None:
        return state, [f"There is no schedule setting {a.get('name')!r} for run {a.get('run')!r}."]
    value = _typed(a.get("value")) if typed else widgets.from_control(hp, a.get("value"))
    return runs.set_schedule_param(state, a["run"], hp.name, value)


def _sparam(state: dict, a: dict, typed: bool = False) -> Result:
    hp = surface.sparam_spec(state, a.get("name"))
    if hp is None:
        return state, [f"{surface.surface_label(state['surface'])} has no parameter {a.get('name')!r}."]
    if hp.kind == "text":
        value = a.get("value")
    else:
        value = _typed(a.get("value")) if typed else widgets.from_control(hp, a.get("value"))
    return surface.set_surface_param(state, hp.name, value)


def _compare(state: dict, a: dict) -> Result:
    name = a.get("name")
    if name == "name":  # the panel picker: which parameter differs ("" for one panel)
        if not isinstance(a.get("value"), str):
            return state, [f"The second panel's picker sent {short(a.get('value'))}, not one of its choices; "
                           "kept the panels as they were."]
        return surface.set_compare(state, a.get("value"))
    compare = state.get("compare") or {}
    if not compare:
        return state, ["There is no second panel to set."]
    param = next(iter(compare))
    hp = surface.sparam_spec(state, param)
    value = _typed(a.get("value")) if name == "text" else widgets.from_control(hp, a.get("value"))
    if value is None:  # (None is the picker's "choose the value for me", never a slider's or field's)
        return state, [f"The second panel's {hp.label} needs a number; got nothing. Kept the value in use."]
    return surface.set_compare(state, param, value)


def _click(state: dict, a: dict, digits: int | None = 4) -> Result:
    """A start from the pointer (kept to ``digits`` significant digits) or, with ``digits``
    None, an exact point handed over by a map (a basin map's grid node)."""
    value = a.get("value")
    if not isinstance(value, dict):
        return state, [f"A click position was malformed ({str(value)[:40]!r})."]
    return start.set_start(state, value.get("x"), value.get("y"), digits=digits)


def _box(state: dict, a: dict) -> Result:
    value = a.get("value")
    if value == "whole":
        return surface.set_box(state, None)
    if value == "fit":
        return fit(state)
    return state, [f"The window must be 'fit' (around the paths) or 'whole' (the whole surface), "
                   f"got {short(value)}."]


def fit(state: dict) -> Result:
    """Fit the window to the paths (and the start and minima)."""
    xy = [engine.trajectory(state, i).xy for i in range(len(state["runs"]))]
    return surface.set_box(state, surface.fit_box(state, xy))


def _setup(state: dict, a: dict) -> Result:
    """A whole set-up from a map. Maps send only states they validated, so anything the
    state's validation refuses was crafted or stale: the race keeps its own, with why."""
    raw = a.get("state")
    if not isinstance(raw, dict):
        return state, [f"A map sent a set-up that was not a set of settings ({short(raw)}); kept the race as it was."]
    new, errors = validate_state(raw)
    if errors:
        return state, ["A map sent settings that were not valid, so the race kept its own: " + "; ".join(errors)]
    return new, []


def typed_field(**fields) -> tuple[Event, Event]:
    """A field whose text is committed on Enter or when it loses focus: one event each."""
    return tuple(Event(prop=prop, value_from="value", **fields) for prop in ("n_submit", "n_blur"))


EVENTS: tuple[Event, ...] = (
    Event(
        kind="surface",
        mirror="state:surface.key",
        component=ids.SURFACE_KEY,
        apply=lambda s, a: surface.set_surface(s, a.get("value")),
    ),
    Event(
        kind="sparam",
        mirror="position:sparam",
        component=ids.SPARAM,
        pattern=True,
        keys=("name",),
        preview=True,
        apply=_sparam,
    ),
    *typed_field(
        kind="sparam_text",
        mirror="text:sparam",
        component=ids.SPARAM_TEXT,
        pattern=True,
        keys=("name",),
        apply=lambda s, a: _sparam(s, a, typed=True),
    ),
    Event(
        kind="scale",
        mirror="position:scale",
        component=ids.LOSS_SCALE,
        preview=True,
        apply=lambda s, a: surface.set_scale(s, widgets.from_control(SCALE_PARAM, a.get("value"))),
    ),
    *typed_field(
        kind="scale_text",
        mirror="text:scale",
        component=ids.LOSS_SCALE_TEXT,
        apply=lambda s, a: surface.set_scale(s, _typed(a.get("value"))),
    ),
    Event(
        kind="compare",
        mirror="position:compare",
        component=ids.COMPARE_PARAM,
        pattern=True,
        keys=("name",),
        preview=True,
        apply=_compare,
    ),
    *typed_field(
        kind="compare_text",
        mirror="text:compare",
        component=ids.COMPARE_TEXT,
        pattern=True,
        keys=("name",),
        apply=lambda s, a: _compare(s, {**a, "name": "text"}),
    ),
    Event(
        kind="add",
        component=ids.ADD_RUN,
        prop="n_clicks",
        click=True,
        extra=(("optimizer", ids.ADD_OPTIMIZER, "value"),),
        apply=lambda s, a: runs.add_run(s, a.get("optimizer")),
    ),
    Event(
        kind="optimizer",
        mirror="run:optimizer",
        component=ids.RUN_OPTIMIZER,
        pattern=True,
        keys=("run",),
        apply=lambda s, a: runs.set_optimizer(s, a.get("run"), a.get("value")),
    ),
    Event(
        kind="remove",
        component=ids.RUN_REMOVE,
        pattern=True,
        keys=("run",),
        prop="n_clicks",
        click=True,
        apply=lambda s, a: runs.remove_run(s, a.get("run")),
    ),
    Event(
        kind="duplicate",
        component=ids.RUN_DUPLICATE,
        pattern=True,
        keys=("run",),
        prop="n_clicks",
        click=True,
        apply=lambda s, a: runs.duplicate_run(s, a.get("run")),
    ),
    Event(
        kind="hparam",
        mirror="position:hparam",
        component=ids.HPARAM,
        pattern=True,
        keys=("run", "name"),
        preview=True,
        apply=_hparam,
    ),
    *typed_field(
        kind="hparam_text",
        mirror="text:hparam",
        component=ids.HPARAM_TEXT,
        pattern=True,
        keys=("run", "name"),
        apply=_hparam_text,
    ),
    Event(
        kind="schedule",
        mirror="run:schedule.kind",
        component=ids.SCHEDULE,
        pattern=True,
        keys=("run",),
        apply=lambda s, a: runs.set_schedule(s, a.get("run"), a.get("value")),
    ),
    Event(
        kind="schedule_param",
        mirror="position:schedule",
        component=ids.SCHEDULE_PARAM,
        pattern=True,
        keys=("run", "name"),
        preview=True,
        apply=_schedule_param,
    ),
    *typed_field(
        kind="schedule_text",
        mirror="text:schedule",
        component=ids.SCHEDULE_TEXT,
        pattern=True,
        keys=("run", "name"),
        apply=lambda s, a: _schedule_param(s, a, typed=True),
    ),
    Event(
        kind="start_x",
        mirror="state:start.0",
        component=ids.START_X,
        apply=lambda s, a: start.set_start(s, _typed(a.get("value")), s["start"][1]),
    ),
    Event(
        kind="start_y",
        mirror="state:start.1",
        component=ids.START_Y,
        apply=lambda s, a: start.set_start(s, s["start"][0], _typed(a.get("value"))),
    ),
    Event(
        kind="steps", mirror="state:steps", component=ids.STEPS,
        apply=lambda s, a: start.set_steps(s, _typed(a.get("value"))),
    ),
    Event(kind="seed", mirror="state:seed", component=ids.SEED,
          apply=lambda s, a: start.set_seed(s, _typed(a.get("value")))),
    Event(
        kind="noise",
        mirror="position:noise",
        component=ids.NOISE,
        preview=True,
        apply=lambda s, a: start.set_noise(s, a.get("value")),
    ),
    *typed_field(
        kind="noise_text",
        mirror="text:noise",
        component=ids.NOISE_TEXT,
        apply=lambda s, a: start.set_noise(s, _typed(a.get("value"))),
    ),
    Event(kind="fan", mirror="state:fan", component=ids.FAN, apply=lambda s, a: start.set_fan(s, a.get("value"))),
    Event(kind="view", mirror="state:view", component=ids.VIEW, apply=lambda s, a: start.set_view(s, a.get("value"))),
    Event(kind="count", mirror="state:count", component=ids.COUNT,
          apply=lambda s, a: start.set_count(s, a.get("value"))),
    Event(kind="box", mirror="box", component=ids.BOX, apply=_box),
    Event(kind="show", mirror="state:show", component=ids.SHOW, apply=lambda s, a: _show(s, a.get("value"))),
    Event(
        kind="lesson",
        component=ids.LESSON_PICK,
        pattern=True,
        keys=("key",),
        prop="n_clicks",
        click=True,
        apply=lambda s, a: teach.load_lesson(s, a.get("key")),
    ),
    Event(
        kind="lesson_act",
        component=ids.LESSON_ACT,
        pattern=True,
        keys=("what",),
        prop="n_clicks",
        click=True,
        apply=lambda s, a: teach.restore_lesson(s) if a.get("what") == "restore" else teach.close_lesson(s),
    ),
    Event(kind="click", component=ids.CLICK, prop="data", apply=_click),
    Event(
        kind="frame",
        mirror="state:frame",
        component=ids.FRAME_SYNC,
        prop="data",
        apply=lambda s, a: start.set_frame(s, a.get("value")),
    ),
)


def _show(state: dict, names: Any) -> Result:
    try:
        show = check_show(names)
    except ValueError as exc:
        return state, [str(exc).rstrip(".") + "."]
    if show == state["show"]:
        return state, []
    new = copy_state(state)
    new["show"] = show
    return new, []


APPLY: dict[str, Callable[[dict, dict], Result]] = {event.kind: event.apply for event in EVENTS}
APPLY["setup"] = _setup
APPLY["start"] = lambda s, a: _click(s, a, digits=None)
APPLY["fit"] = lambda s, a: fit(s)


def apply(state: dict, action: dict) -> Result:
    """The new state for an action (a refused value keeps the state, with a message)."""
    handler = APPLY.get(action.get("kind")) if isinstance(action.get("kind"), str) else None
    if handler is None:
        return state, [f"Ignored an input the app does not know ({str(action.get('kind'))[:40]!r})."]
    return handler(state, action)


def export() -> list[dict]:
    """The table for the browser's dispatcher (no functions, only what to read)."""
    return [
        {
            "kind": e.kind,
            "component": e.component,
            "prop": e.prop,
            "pattern": e.pattern,
            "keys": list(e.keys),
            "click": e.click,
            "valueFrom": e.value_from,
            "extra": [list(x) for x in e.extra],
            "preview": e.preview,
            "mirror": e.mirror,
        }
        for e in EVENTS
    ]
