"""From an action to what the page must change: pure, and called by the race's one
server callback (``ui.race.callbacks``) and by the live preview (``ui.race.preview``).

:func:`respond` re-validates the client's state, applies the action
(``ui.race.events``) and decides which outputs actually change:

* the contour only when the surface's shape, the window or the compared panel changed;
* the paths only when something that moves them changed, and then a ``Patch`` of just
  the changed runs when nothing else moved (a slider sends one run);
* the run cards and the surface panel only when their structure changed (a run added,
  removed or given another optimizer; another surface): a slider being dragged or a
  field being typed in is never re-rendered under the hand;
* controls the browser shows are set from the payloads it already receives (the
  exact-value fields and sliders follow ``values``/``positions``), not as outputs.
"""

from __future__ import annotations

import uuid
from typing import Any

import dash
from dash import no_update

from descent_lab import optimizers

from ..core import engine, plot, registry, widgets
from ..serving import budget
from ..core.state import (
    MAX_RUNS,
    make_surface,
    surface_label,
    surface_params,
    validate_state,
)
from ..core.theme import fmt_value
from ..core.url import decode_url, encode_url, read_url
from . import events, runs, start, surface, teach

NO = no_update

OUTPUTS = (
    "state", "surface", "paths", "view_store", "url", "alerts", "status", "runs", "add_disabled",
    "surface_params", "surface_info", "compare", "surface_key", "start_x", "start_y", "steps", "seed",
    "field_message", "surface_message", "view", "show", "fan", "box", "lesson", "count",
)
# What moves the paths (anything else: view, frame, lesson text, window...).
SIM_KEYS = ("surface", "runs", "start", "steps", "seed", "noise", "fan", "compare", "count")
# What the view and the window change in the paths payload (the runs stay as they are).
FRAME_KEYS = ("box", "panels", "layout")
FIELD_KINDS = ("start_x", "start_y", "steps", "seed")


def _nonce() -> str:
    """Makes each view-store value distinct, so the browser re-applies it."""
    return uuid.uuid4().hex[:8]


def status_line(state: dict, paths: dict | None) -> str:
    n = len(state["runs"])
    text = f"{surface_label(state['surface'])} · {n} run{'s' if n != 1 else ''} · {state['steps']} steps"
    if paths:
        diverged = sum(run["status"] == "diverged" for run in paths["runs"])
        if diverged:
            text += f" · {diverged} diverged"
    return text


# ------------------------------------------------------------------------------
# the paths payload
# ------------------------------------------------------------------------------

def panels(state: dict) -> list[dict]:
    """How the main graph is split: one panel (overlay), one per run (side by side), or
    the surface and its compared variant, each with every run."""
    n = len(state["runs"])
    if state.get("compare"):
        return [{"runs": list(range(n)), "twin": False, "title": surface.panel_title(state, {})
                 or surface.panel_title(state, {k: state["surface"]["params"][k] for k in state["compare"]})},
                {"runs": list(range(n)), "twin": True, "title": surface.panel_title(state, state["compare"])}]
    if state["view"] == "grid" and n > 1:
        return [{"runs": [i], "twin": False, "title": ""} for i in range(n)]
    return [{"runs": list(range(n)), "twin": False, "title": ""}]


def view_layouts(state: dict, box, colour_title: str) -> dict:
    """The panels and the main graph's layout of each view (overlay, side by side), so the
    page can switch views at once and commit the choice afterwards."""
    out = {}
    for view in ("overlay", "grid"):
        split = panels({**state, "view": view})
        out[view] = {"panels": split, "layout": plot.panels_layout(box, len(split), colour_title)}
    return out


def controls_payload(state: dict) -> dict:
    """The values the browser shows in the controls it owns, keyed like their ids."""
    out = {"sparam": {}, "scale": None, "noise": None, "compare": None}
    for hp in surface_params(state["surface"]["key"]):
        value = state["surface"]["params"][hp.name]
        if hp.kind == "text":
            out["sparam"][hp.name] = [value, None]
        else:
            out["sparam"][hp.name] = [fmt_value(value), widgets.to_slider(hp, value) if widgets.has_slider(hp) else None]
    scale = state["surface"]["params"].get("scale", 1.0)
    out["scale"] = [fmt_value(scale), widgets.to_slider(surface.SCALE_PARAM, scale)]
    out["noise"] = [fmt_value(state["noise"]), widgets.to_slider(start.NOISE_PARAM, state["noise"])]
    out["fan"] = state["fan"]
    compare = state.get("compare") or {}
    if compare:
        name, value = next(iter(compare.items()))
        hp = surface.sparam_spec(state, name)
        out["compare"] = [fmt_value(value), widgets.to_slider(hp, value)]
    out["schedules"] = {str(run["id"]): {hp.name: [fmt_value(run["schedule"][hp.name]),
                                                   widgets.to_slider(hp, run["schedule"][hp.name])
                                                   if widgets.has_slider(hp) else None]
                                         for hp in optimizers.SCHEDULES[run["schedule"]["kind"]].params}
                        for run in state["runs"]}
    return out


def paths_payload(state: dict) -> dict:
    """Every run for the browser, with what goes with them (JSON-safe)."""
    s = make_surface(state["surface"])
    live = teach.live_values(state)
    run_list = []
    for index in range(len(state["runs"])):
        payload = runs.run_payload(state, index, s)
        if live is not None:
            payload["live"] = teach.live_payload(live[index])
        run_list.append(payload)
    kind, title = runs.loss_title(s)
    box = surface.window(state)
    split = panels(state)
    colour_title = engine.contour_grid(state["surface"]["key"],
                                       engine.freeze(surface.unscaled(state["surface"])["params"]),
                                       (tuple(box[0]), tuple(box[1])))[3]
    out = {
        "runs": run_list,
        "steps": int(state["steps"]),
        "start": [float(c) for c in state["start"]],
        "minimizers": [[float(a), float(b)] for a, b in s.minimizers],
        "loss_kind": kind,
        "loss_title": title,
        "unit": runs.unit_word(state),
        "bounds": [[float(a), float(b)] for a, b in s.bounds],
        "box": box,
        "panels": split,
        "layout": plot.panels_layout(box, len(split), colour_title),
        "views": view_layouts(state, box, colour_title),
        "show": list(state["show"]),
        "controls": controls_payload(state),
        "lesson_live": teach.live_format(state) if live is not None else None,
    }
    if state.get("compare"):
        twin_surface = engine.surface_of(state["surface"], state["compare"])
        start = surface.twin_start(state)
        out["twin"] = {"runs": [runs.run_payload(state, i, twin_surface, state["compare"], with_arrays=False,
                                                 start=start) for i in range(len(state["runs"]))],
                       "start": [float(c) for c in start]}
    return out


def changed_runs(old: dict, new: dict) -> list[int] | None:
    """Indices of the runs whose settings changed, when nothing else that moves the
    paths or their per-step arrays did (None: everything must be resent)."""
    if any(old[k] != new[k] for k in SIM_KEYS if k != "runs") or len(old["runs"]) != len(new["runs"]) \
            or old.get("lesson") != new.get("lesson") \
            or registry.data_groups(old["show"]) != registry.data_groups(new["show"]) \
            or [r["id"] for r in old["runs"]] != [r["id"] for r in new["runs"]]:
        return None
    return [i for i, (a, b) in enumerate(zip(old["runs"], new["runs"])) if a != b]


def paths_patch(paths: dict, indices: list[int], keys=()) -> dash.Patch:
    """A Patch of the paths store replacing only the given runs, the given top-level
    ``keys`` and the controls' values.

    Dragging one run's slider then sends one trajectory (~16 kB for 1000 steps)
    instead of all of them; switching the view, the window or an instrument that needs
    no new arrays sends no trajectory."""
    patch = dash.Patch()
    for i in indices:
        patch["runs"][i] = paths["runs"][i]
    for key in keys:
        patch[key] = paths[key]
    patch["controls"] = paths["controls"]
    return patch


def _structure(state: dict) -> list:
    """What the run cards depend on: each run's id, optimizer and schedule kind (values
    live in the sliders and fields)."""
    return [(run["id"], run["optimizer"], run["schedule"]["kind"]) for run in state["runs"]]


# ------------------------------------------------------------------------------
# respond
# ------------------------------------------------------------------------------

def load(search: Any) -> tuple[dict, list[str]]:
    """The state a link opens: ``?lesson=KEY`` alone loads the lesson's whole set-up (and
    anything else the link says overrides it); an empty link opens the default lesson."""
    raw, errors = read_url(search)
    if raw is None:
        if errors or teach.lessons.DEFAULT_LESSON is None:
            return decode_url(None)[0], errors
        return teach.lesson_state(teach.lessons.DEFAULT_LESSON)[0], errors
    lesson = teach.find(raw.get("lesson"))
    if lesson is not None:
        base, _ = teach.lesson_state(lesson.key)
        merged = {**base, **raw, "lesson": lesson.key}
        state, more = validate_state(merged)
        if "box" not in raw:
            state["box"] = base["box"]
        return state, errors + more
    state, more = validate_state(raw)
    state, unknown = teach.check_known(state)
    return state, errors + more + unknown


def race_work(state: dict) -> budget.Estimate:
    """The engine work the paths of ``state`` need, before any of it starts: every run
    (and its noise fan) not cached yet, and the compared panel's runs."""
    work = engine.runs_work(state, fan=int(state.get("fan") or 0) if state.get("noise") else 0)
    if state.get("compare"):
        work += engine.runs_work(state, overrides=state["compare"], start=surface.twin_start(state))
    return work


REFUSED = (budget.OverBudget, budget.Busy, optimizers.BudgetExceeded)
"""Why a request's work did not run: over the budget, no heavy slot free, past its deadline."""


def budgeted_paths(state: dict) -> dict:
    """:func:`paths_payload` admitted by this worker's gate (raises one of :data:`REFUSED`)."""
    with budget.gate().admit(race_work(state)) as ticket:
        return ticket.run(paths_payload, state)


def refused(old: dict | None, action: dict, errors: list[str], reason: Exception) -> dict:
    """The reply when the work of an action was refused: nothing is committed, the page
    keeps what it shows, a typed field goes back to the value in use; a first load falls
    back to the default set-up."""
    if old is None:
        fallback = respond(None, {"kind": "load", "search": ""})
        fallback["alerts"] = widgets.alerts(errors + [str(reason)])
        return fallback
    out = {name: NO for name in OUTPUTS}
    out["alerts"] = widgets.alerts(errors + [str(reason)])
    if action["kind"] in FIELD_KINDS:
        out[action["kind"]] = old["start"][0] if action["kind"] == "start_x" else \
            old["start"][1] if action["kind"] == "start_y" else old[action["kind"]]
    # the page's controls go back to the state it keeps
    out["paths"] = dash.Patch()
    out["paths"]["controls"] = controls_payload(old)
    return out


def apply_action(old: dict | None, action: dict) -> tuple[dict, list[str]]:
    if action["kind"] == "load":
        return load(action.get("search"))
    return events.apply(old, action)


def respond(client_state: Any, action: dict | None) -> dict:
    """Every output of the race callback for an action (``no_update`` = unchanged)."""
    out = {name: NO for name in OUTPUTS}
    if not isinstance(action, dict) or not isinstance(action.get("kind"), str):
        if action is not None:
            out["alerts"] = widgets.alerts([f"An action from the page was malformed ({str(action)[:40]!r}); ignored."])
        return out
    if action["kind"] != "load" and client_state is None:
        action = {"kind": "load", "search": ""}
    tampered = False
    errors: list[str] = []
    old = None
    if action["kind"] != "load":
        old, errors = validate_state(client_state)
        old, unknown = teach.check_known(old)
        errors += unknown
        if errors:  # the client sent a state we would never have produced
            errors = ["The page sent settings that were not valid: " + "; ".join(errors)]
            tampered = True  # what the page shows may not match `old`: resend it all
    new, more = apply_action(old, action)
    errors += more
    first = old is None or tampered or action["kind"] in ("setup",)
    fresh = first or action["kind"] in ("lesson", "lesson_act")

    def changed(*keys):
        return first or any(old[k] != new[k] for k in keys)

    out["state"] = new
    out["url"] = encode_url(new)
    if errors:
        out["alerts"] = widgets.alerts(errors)
    elif first:
        out["alerts"] = []
    if action["kind"] in FIELD_KINDS:
        out["field_message"] = start.field_message(action["kind"], action.get("value"), new) if more else ""
        if more:  # the field goes back to the value in use
            out[action["kind"]] = new["start"][0] if action["kind"] == "start_x" else \
                new["start"][1] if action["kind"] == "start_y" else new[action["kind"]]
    elif first:  # a page (re)loaded or repaired shows no refusal left from before
        out["field_message"] = ""
    if action["kind"] in ("sparam", "sparam_text"):  # a refused value is said beside the surface's controls
        out["surface_message"] = " ".join(more)
    elif fresh or changed("surface"):
        out["surface_message"] = ""
    if fresh or changed("surface") and old["surface"]["key"] != new["surface"]["key"]:
        parts = surface.panel_children(new)
        out["surface_params"], out["surface_info"] = parts["params"], parts["info"]
        out["surface_key"] = new["surface"]["key"]
    if fresh or changed("surface", "compare") and (
            old["surface"]["key"] != new["surface"]["key"] or bool(old["compare"]) != bool(new["compare"])
            or list(old["compare"]) != list(new["compare"])):
        out["compare"] = surface.compare_controls(new)
    elif changed("surface") and surface.unscaled(old["surface"]) != surface.unscaled(new["surface"]):
        out["surface_info"] = surface.info(new)
    if fresh or surface.surface_key(old) != surface.surface_key(new):
        out["surface"] = surface.surface_payload(new)
    paths = None
    lesson_moved = not fresh and (old.get("lesson") != new.get("lesson") or teach.applies(old) != teach.applies(new))
    if fresh or changed(*SIM_KEYS, "show", "box", "view") or lesson_moved:
        try:
            paths = budgeted_paths(new)
        except REFUSED as exc:
            return refused(None if tampered else old, action, errors, exc)
        except ValueError as exc:  # the engine refused a combination we let through
            out["alerts"] = widgets.alerts(errors + [f"Could not run these settings: {exc}"])
        else:
            only = None if fresh else changed_runs(old, new)
            keys = (FRAME_KEYS if changed("box", "view") else ()) + (("views",) if changed("box") else ()) \
                + (("show",) if changed("show") else ())
            out["paths"] = paths if only is None else paths_patch(paths, only, keys)
    if fresh or changed("runs") and _structure(old) != _structure(new):
        out["runs"] = runs.run_cards(new)
        out["add_disabled"] = len(new["runs"]) >= MAX_RUNS
    for name in ("start_x", "start_y"):
        if (fresh or changed("start")) and action["kind"] != name:
            out[name] = new["start"][0 if name == "start_x" else 1]
    for name in ("steps", "seed", "view", "show", "box", "fan", "count"):
        if (fresh or changed(name)) and action["kind"] not in (name, f"{name}_text"):
            out[name] = ("fit" if new["box"] else "whole") if name == "box" else new[name]
    if fresh or changed("lesson") or lesson_moved:
        out["lesson"] = teach.banner(new)
    autoplay_kinds = ("load", "lesson", "lesson_act", "setup")
    if action["kind"] in autoplay_kinds:
        out["view_store"] = {"view": new["view"], "frame": new["frame"], "autoplay": new["frame"] == 0,
                             "stop": teach.stop_frame(new), "nonce": _nonce()}
    elif changed("view"):
        out["view_store"] = {"view": new["view"], "frame": None, "autoplay": False, "stop": None, "nonce": _nonce()}
    elif action["kind"] in ("surface", "click", "start", "start_x", "start_y", "sparam_text") \
            and changed("start", "surface"):
        out["view_store"] = {"view": new["view"], "frame": 0, "autoplay": True, "stop": None, "nonce": _nonce()}
    if action.get("reveal") is True:  # a map handed this over: bring the race back into view
        if out["view_store"] is NO:
            out["view_store"] = {"view": new["view"], "frame": None, "autoplay": False, "stop": None,
                                 "nonce": _nonce()}
        out["view_store"]["reveal"] = True
    if paths is not None or first:
        out["status"] = status_line(new, paths)
    notice = surface_notice(old, new) if action["kind"] == "surface" and not errors else None
    if notice:
        out["alerts"] = widgets.notice(notice)
    return out


def surface_notice(old: dict | None, new: dict) -> str | None:
    """What a surface switch changed besides the surface: the start, the window, and each
    learning rate rescaled to the new surface (so the runs race there as they did here)."""
    if old is None or old["surface"]["key"] == new["surface"]["key"]:
        return None
    parts = [f"Switched to {surface_label(new['surface'])}: start moved to "
             f"({fmt_value(new['start'][0])}, {fmt_value(new['start'][1])})"]
    lrs = [f"{optimizers.REGISTRY[b['optimizer']].label} {fmt_value(a['hparams']['lr'])} → "
           f"{fmt_value(b['hparams']['lr'])}"
           for a, b in zip(old["runs"], new["runs"]) if "lr" in a["hparams"] and a["hparams"]["lr"] != b["hparams"]["lr"]]
    if lrs:
        parts.append("learning rates rescaled to the new surface (" + ", ".join(lrs) + ")")
    if old.get("lesson"):
        parts.append("the lesson's text was about the old surface, so it is closed")
    return "; ".join(parts) + "."


def preview(client_state: Any, action: Any) -> dict:
    """What a control being dragged would show, without committing it: the changed runs'
    payloads (every run when more than runs moved), the contour when the surface's
    shape moved, or the reason the value is refused. A value that leaves the paths as
    the state has them (the hand back where it started, or a slider position that rounds
    to the value in use) answers ``unchanged``: the page shows what its stores hold,
    whatever earlier preview it still shows."""
    if not isinstance(action, dict) or action.get("kind") not in {e.kind for e in events.EVENTS if e.preview}:
        raise ValueError("Only a slider that moves the paths can be previewed.")
    old, errors = validate_state(client_state)
    if errors:
        raise ValueError("The page sent settings that were not valid: " + "; ".join(errors))
    new, errors = events.apply(old, action)
    if errors:
        return {"error": " ".join(errors)}
    only = changed_runs(old, new)
    if only == []:
        return {"runs": {}, "all": False, "unchanged": True, "controls": controls_payload(new)}
    try:
        with budget.gate().admit(race_work(new)) as ticket:
            return ticket.run(preview_payload, old, new, only)
    except REFUSED as exc:
        return {"error": str(exc)}


def preview_payload(old: dict, new: dict, only: list[int] | None) -> dict:
    """The runs, twin and contour of :func:`preview` for ``new`` (``old`` is what the page
    shows; ``only``: :func:`changed_runs` of the two)."""
    s = make_surface(new["surface"])
    indices = range(len(new["runs"])) if only is None else only
    out = {"runs": {str(i): runs.run_payload(new, i, s) for i in indices}, "all": only is None,
           "controls": controls_payload(new)}
    if only is None and new.get("compare"):
        twin = engine.surface_of(new["surface"], new["compare"])
        start = surface.twin_start(new)
        out["twin"] = {str(i): runs.run_payload(new, i, twin, new["compare"], with_arrays=False, start=start)
                       for i in range(len(new["runs"]))}
    if surface.surface_key(old) != surface.surface_key(new):
        out["surface"] = surface.surface_payload(new, n=surface.PREVIEW_GRID)
    if registry.data_groups(new["show"]) != registry.data_groups(old["show"]):
        out["all"] = True
    return out
