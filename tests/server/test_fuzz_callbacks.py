"""Every server callback and every control's action fuzzed over HTTP against the real
stack (``scripts/serve.sh``: nginx in front of gunicorn, started once for this module),
with hypothesis.

Requests are built the way dash-renderer builds them (``loadtest/dash_client.py``: the
page's layout and ``/_dash-dependencies``, checked against requests captured from
Chromium), from a page that has loaded a lesson, so the run cards, their sliders and
the lesson banner exist. Controls of the race write an *action* into the action store
in the browser (its dispatcher reads the event table the page carries); the client
builds the same action.

* One hypothesis test per input and state slot of every server callback in
  ``app.callback_map`` puts a hostile value in that slot (wrong types, huge numbers,
  NaN/Infinity as literals and as strings, oversized lists, nested garbage, ids the page
  never rendered).
* One per event of the page's event table puts a hostile value in the action that
  control would send (or crafts an id the page never rendered).
* A separate test mangles the request envelope itself (missing fields, wrong shapes,
  outputs that are not the callback's, garbage ``changedPropIds``), and one sends
  garbage to the live preview route.

Every reply must never be a 5xx and must be strict JSON (no NaN). What a *bad value*
must get (decided here, per kind of control):

* a value the control could never send gets ``200`` with the in-page message (the
  ``ids.ALERTS`` area, "Some values were refused..."): for sliders and number inputs
  anything that is not a finite real number or is beyond 1e12 in size; for text fields
  anything that is not text or a number; for dropdowns and radio items a value outside
  their options; for checklists anything but a list; for the click store anything but
  ``{"x": number, "y": number}``; for the frame store the numeric rule; for the state
  store anything but an object (or null), or an object with keys the app does not
  have; for the action store anything but an action of a kind the page has (or null,
  the store before any action); for a
  value on a pattern-matching id the page never rendered (``run`` 99, ``name``
  "__class__"...), always.
* click counters (``n_clicks``) carry no value, only "clicked": any value is either a
  click (answered like a click) or, when falsy, ignored (``204``, or no action).
* ``url.search`` as a string is a URL the app parses (malformed parts get messages, in
  the app tests); as anything else it must get the message too.

A malformed envelope (never sent by the renderer) gets ``400 {"error": ...}`` from
``ui/serving/server.py`` before Dash sees it; ``413`` past the body limit, ``415`` if not JSON.
How long a reply takes is not judged here (the machine may be busy): the work a request
may cause is bounded by the app's limits, tested where they live; ``loadtest/`` times it.

Bounded for CI: 30 examples per slot and per event, 150 envelope examples.
"""

from __future__ import annotations

import copy
import json
import math

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from descent_lab.app import app
from descent_lab.ui.core import ids
from descent_lab.ui.core.state import STATE_KEYS
from descent_lab.ui.race.events import EVENTS
from descent_lab.ui.race.events import export as export_events
from descent_lab.ui.race.preview import ROUTE as PREVIEW_ROUTE
from loadtest.dash_client import (
    CALLBACK_PATH,
    Http,
    Page,
    User,
    prop_id,
    stringify_id,
    text_of,
)

EXAMPLES = 30
MAX_BODY_BYTES = 1_000_000  # ui.serving.server's default, which the test server runs with
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=False, print_blob=True,
                phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink],
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.large_base_example, HealthCheck.function_scoped_fixture])


# ------------------------------------------------------------------------------
# hostile values
# ------------------------------------------------------------------------------

NASTY_STRINGS = st.sampled_from([
    "NaN", "nan", "Infinity", "-Infinity", "inf", "1e309", "-1e309", "", " ", "0x10", "1_000", "１",
    "null", "true", "[]", "{}", "<script>alert(1)</script>", "'; DROP TABLE runs; --",
    "__import__('os').system('id')", "../../etc/passwd", "\u0000", "\ud800", "💥" * 50,
    "a" * 20_000, "?surface=" + "x(" * 2000, "?" + "&".join(["run=adam(lr=1e999)"] * 50),
])
HUGE = st.sampled_from([10**18, -(10**18), 10**100, -(10**300), 10**400, -(10**400), 1e308, -1e308, 5e-324,
                        2**63, 2**64 + 1, 1e16 + 1])  # 10**400: an integer beyond float range
SCALARS = (st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True, allow_infinity=True)
           | st.text(max_size=30) | NASTY_STRINGS | HUGE)
NESTED = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=5)
                      | st.dictionaries(st.text(max_size=8), inner, max_size=5), max_leaves=25)
OVERSIZED = (st.builds(lambda v, n: [v] * n, st.integers() | st.floats(allow_nan=True) | st.none(),
                       st.integers(1_000, 40_000))
             | st.builds(lambda n: {f"k{i}": i for i in range(n)}, st.integers(1_000, 20_000))
             | st.builds(lambda n: [1e300] * n, st.integers(50_000, 60_000))  # past the body limit
             | st.builds(lambda n: [[[[[[n]]]]]] * 1000, st.integers()))
VALUES = NESTED | OVERSIZED | HUGE | NASTY_STRINGS

CRAFTED_KEYS = st.sampled_from([99, -1, "0", 1.5, True, "__class__", "lr", "", "x" * 300, 2**70])


# ------------------------------------------------------------------------------
# the app's callbacks, from the same map the server dispatches with
# ------------------------------------------------------------------------------

SERVER_CALLBACKS = {key: entry for key, entry in app.callback_map.items() if callable(entry.get("callback"))}
SLOTS = [(key, group, index)
         for key, entry in SERVER_CALLBACKS.items()
         for group in ("inputs", "state")
         for index in range(len(entry.get(group, [])))]


def _slot_name(slot) -> str:
    key, group, index = slot
    spec = SERVER_CALLBACKS[key][group][index]
    return f"{SERVER_CALLBACKS[key]['callback'].__name__}-{group}-{spec['id']}.{spec['property']}"


@pytest.fixture(scope="module")
def page(stack):
    """A page that loaded the default state and then a lesson (cards, sliders, banner), with
    its maps opened (their controls are on the page only then)."""
    user = User(stack.url)
    user.open()
    reply = user.preset()
    assert reply is not None and reply.status == 200
    reply = user.open_maps()
    assert reply.status == 200 and user.page.get(ids.HMAP_COMPUTE, "n_clicks") == 0
    user.http.close()
    return user.page


@pytest.fixture(scope="module")
def http(stack):
    client = Http(stack.url, timeout=30.0)
    yield client
    client.close()


def _dep(page: Page, key: str) -> dict:
    return next(d for d in page.server_callbacks if d["output"] == key)


def _post(http: Http, body) -> tuple[int, dict | None, float]:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    reply = http.post_json(CALLBACK_PATH, raw)
    assert reply.status < 500, f"{reply.status}: {reply.body[:500]!r}"
    if len(raw) > MAX_BODY_BYTES:
        assert reply.status == 413, f"{len(raw):,} bytes answered with {reply.status}"
    data = None
    if reply.status == 200:
        data = json.loads(reply.body, parse_constant=_no_constant)  # strict: no NaN, no Infinity
    elif reply.status >= 400:
        assert reply.headers.get("content-type", "").startswith("application/json")
        assert "Traceback" not in reply.body.decode(errors="replace")
    return reply.status, data, reply.seconds


def _no_constant(name: str):
    raise AssertionError(f"the reply holds {name}, which is not JSON")


def _alert_text(data: dict | None) -> str:
    if not data:
        return ""
    return text_of(data.get("response", {}).get(ids.ALERTS, {}).get("children"))


# ------------------------------------------------------------------------------
# what a bad value must get
# ------------------------------------------------------------------------------

def _real(value) -> bool:
    """A finite real number of a size any control could send (ints compared exactly:
    10**400 has no float)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    if isinstance(value, int):
        return abs(value) <= 10**12
    return math.isfinite(value) and abs(value) <= 1e12


def _option_values(props: dict) -> list:
    out = []
    for option in props.get("options") or []:
        out.append(option.get("value") if isinstance(option, dict) else option)
    return out


ACTION_KINDS = {e.kind for e in EVENTS} | {"load", "setup"}


def must_refuse(component: dict | None, prop: str, value, crafted: bool) -> bool:
    """True when the app must answer ``value`` with the in-page message (module docstring)."""
    if prop in ("n_clicks", "n_submit", "n_blur"):
        return False
    if crafted:
        return True
    if component is None:
        return False
    kind, props = component["type"], component["props"]
    if prop == "search":
        return not (value is None or isinstance(value, str))
    if kind == "Input" and props.get("type") == "text":
        return not (isinstance(value, str) or _real(value))
    if kind in ("Slider", "Input"):
        return not _real(value)
    if kind == "Checklist":
        return not isinstance(value, list) and value not in (True, False, 0, 1)
    if kind in ("Dropdown", "RadioItems"):
        return not any(value == v and type(value) is type(v) for v in _option_values(props))
    if kind == "Store":
        ident = props.get("id")
        if ident == ids.CLICK:
            return not (isinstance(value, dict) and _real(value.get("x")) and _real(value.get("y")))
        if ident == ids.FRAME_SYNC:
            return not _real(value)
        if ident == ids.STATE:
            return not (value is None or isinstance(value, dict) and all(k in STATE_KEYS for k in value))
        if ident == ids.ACTION:  # None is the store before any action: nothing to do
            return not (value is None or isinstance(value, dict) and value.get("kind") in ACTION_KINDS)
    return False



# ------------------------------------------------------------------------------
# the slot tests
# ------------------------------------------------------------------------------

def test_every_server_callback_is_fuzzed():
    """The slots come from the callback map, so a new callback or input is fuzzed without
    editing this file; this guards against the map being read wrongly."""
    names = {entry["callback"].__name__ for entry in SERVER_CALLBACKS.values()}
    assert {"on_action", "on_hparam_map", "on_map_csv"} <= names
    assert len(SLOTS) >= 30
    assert len(EVENT_TABLE) >= 30 and {"hparam", "lesson", "steps", "sparam_text"} <= {e["kind"] for e in EVENT_TABLE}


@pytest.mark.parametrize("slot", SLOTS, ids=_slot_name)
@FUZZ
@given(data=st.data())
def test_a_hostile_value_in_any_slot_gets_a_message_not_a_crash(page, http, slot, data):
    key, group, index = slot
    dep = _dep(page, key)
    spec = dep[group][index]
    page = copy.deepcopy(page)
    value = data.draw(VALUES, label="value")

    # the concrete id the value goes in: a rendered one, or (pattern-matching) a crafted one
    crafted = False
    if spec["id"].startswith("{"):
        pattern = json.loads(spec["id"])
        rendered = [c["props"]["id"] for c in page.by_id.values()
                    if isinstance(c["props"]["id"], dict) and c["props"]["id"].get("type") == pattern["type"]]
        if rendered and not data.draw(st.integers(0, 3), label="crafted id?") == 0:
            target = data.draw(st.sampled_from(rendered), label="id")
        else:
            crafted = True
            target = {k: (v if not isinstance(v, list) else data.draw(CRAFTED_KEYS, label=k))
                      for k, v in pattern.items()}
    else:
        target = spec["id"]
    component = page.by_id.get(stringify_id(target))
    if crafted and component is not None:
        crafted = False  # the draw happened to name a rendered component

    # what fires: the slot itself for an input; for a state, the input that reads it
    if group == "inputs":
        changed = [(target, spec["property"])]
    else:  # an input whose event reads the state: not the URL (a load ignores it), not a
        # click counter unless there is nothing else (then clicked), with a valid value
        plain = [s for s in dep["inputs"] if not s["id"].startswith("{")]
        readers = [s for s in plain if s["property"] != "n_clicks" and s["id"] != ids.URL
                   and page.get(s["id"], s["property"]) is not None]
        store = page.action_store()
        if readers:
            trigger = data.draw(st.sampled_from(readers), label="trigger")
        elif any(s["id"] == store for s in plain):  # an ordinary slider move reads the state
            slider = page.ids(type=ids.HPARAM)[0]
            page.set(store, "data", page.action_for(slider, "value", page.get(slider, "value")))
            trigger = {"id": store, "property": "data"}
        else:
            trigger = next(s for s in plain if s["property"] == "n_clicks")
            page.set(trigger["id"], "n_clicks", 1)
        changed = [(trigger["id"], trigger["property"])]
    body = page.body(dep, changed, override={prop_id(target, spec["property"]): value})

    status, reply, _ = _post(http, body)
    if status == 413:
        return  # past the body limit (checked in _post): refused before the app sees it
    refuse = must_refuse(component, spec["property"], value, crafted)
    if refuse:
        assert status == 200, f"a refused value must be answered with the message, got {status}"
        text = _alert_text(reply)
        assert "refused" in text.lower(), f"no in-page message for {value!r:.200}: {text[:300]!r}"
    else:
        assert status in (200, 204)


# ------------------------------------------------------------------------------
# the actions the page's controls send
# ------------------------------------------------------------------------------

EVENT_TABLE = export_events()  # what the page's dispatcher reads (the page carries the same)


def _component_type(id_) -> str:
    return id_.get("type") if isinstance(id_, dict) else id_


@pytest.mark.parametrize("event", EVENT_TABLE, ids=lambda e: f"{e['kind']}-{e['component']}.{e['prop']}")
@FUZZ
@given(data=st.data())
def test_a_hostile_value_in_any_controls_action_gets_a_message_not_a_crash(page, http, event, data):
    page = copy.deepcopy(page)
    store = page.action_store()
    dep = next(d for d in page.server_callbacks if any(i["id"] == store for i in d["inputs"]))
    value = data.draw(VALUES, label="value")
    rendered = [c["props"]["id"] for c in page.by_id.values() if _component_type(c["props"]["id"]) == event["component"]]
    crafted = False
    if event["pattern"] and (not rendered or data.draw(st.integers(0, 3), label="crafted id?") == 0):
        crafted = True
        target = {"type": event["component"], **{k: data.draw(CRAFTED_KEYS, label=k) for k in event["keys"]}}
    elif rendered:
        target = data.draw(st.sampled_from(rendered), label="id")
    else:
        target = event["component"]
    component = page.by_id.get(stringify_id(target))
    if crafted and component is not None:
        crafted = False  # the draw happened to name a rendered component
    if event["click"] and not value:
        return  # the browser's dispatcher sends nothing for a button just rendered

    # the action the browser's dispatcher writes (assets/10_race.js, actionFrom)
    action = {"kind": event["kind"], **{k: target[k] for k in event["keys"]}}
    if not event["click"]:
        action["value"] = value
    for field_name, other, other_prop in event["extra"]:
        action[field_name] = page.get(other, other_prop)
    action["seq"] = 1
    body = page.body(dep, [(store, "data")], override={prop_id(store, "data"): action})

    status, reply, _ = _post(http, body)
    if status == 413:
        return
    assert status == 200, status
    prop = event["valueFrom"] or event["prop"]
    if must_refuse(component, prop, value, crafted):
        text = _alert_text(reply)
        assert "refused" in text.lower(), f"no in-page message for {action!r:.300}: {text[:300]!r}"


@pytest.mark.parametrize("kind", ["box", "view", "steps"])
def test_a_control_sent_a_value_it_does_not_offer_is_refused_in_the_page(page, http, kind):
    """A window toggle, view toggle or steps field sent a value none of them can send."""
    assert any(e["kind"] == kind for e in EVENT_TABLE)  # a kind the page sends
    store = page.action_store()
    dep = next(d for d in page.server_callbacks if any(i["id"] == store for i in d["inputs"]))
    body = page.body(dep, [(store, "data")], override={prop_id(store, "data"): {
        "kind": kind, "value": {"not": "an option"}, "seq": 1}})
    status, reply, _ = _post(http, body)
    assert status == 200 and "refused" in _alert_text(reply).lower()


# ------------------------------------------------------------------------------
# the live preview
# ------------------------------------------------------------------------------

def test_the_live_preview_answers_a_drag_and_refuses_garbage(page, http):
    state = page.get(ids.STATE, "data")
    slider = page.ids(type=ids.HPARAM)[0]
    action = page.action_for(slider, "value", page.get(slider, "value"))
    good = http.post_json(PREVIEW_ROUTE, {"state": state, "action": action})
    assert good.status == 200 and "runs" in good.json(), good.body[:200]

    @settings(FUZZ, max_examples=80)
    @given(body=st.one_of(
        GARBAGE,
        st.fixed_dictionaries({"state": GARBAGE, "action": GARBAGE}),
        st.fixed_dictionaries({"state": st.just(state), "action": st.fixed_dictionaries(
            {"kind": st.sampled_from(sorted(ACTION_KINDS)) | st.text(max_size=10),
             "value": VALUES, "run": CRAFTED_KEYS, "name": CRAFTED_KEYS})}),
    ))
    def check(body):
        raw = json.dumps(body).encode()
        reply = http.post_json(PREVIEW_ROUTE, raw)
        assert reply.status in (200, 400, 413), (reply.status, reply.body[:300])
        if len(raw) > MAX_BODY_BYTES:
            assert reply.status == 413
        json.loads(reply.body, parse_constant=_no_constant)
        if reply.status == 400:
            assert "error" in reply.json()

    check()


# ------------------------------------------------------------------------------
# the envelope
# ------------------------------------------------------------------------------

GARBAGE = NESTED | st.just({}) | st.just([]) | OVERSIZED


@st.composite
def mangled_bodies(draw, page: Page):
    dep = draw(st.sampled_from(page.server_callbacks + [d for d in page.dependencies if d.get("clientside_function")]))
    body = page.body(dep, [])
    plain = [s for s in dep["inputs"] if not s["id"].startswith("{")]
    if plain:
        body["changedPropIds"] = [prop_id(plain[0]["id"], plain[0]["property"])]
    how = draw(st.sampled_from(["drop", "replace", "item", "truncate", "extend", "changed", "id", "outputs", "raw"]))
    fields = ["output", "outputs", "inputs", "state", "changedPropIds"]
    if how == "drop":
        body.pop(draw(st.sampled_from(fields)), None)
    elif how == "replace":
        body[draw(st.sampled_from(fields))] = draw(GARBAGE)
    elif how == "item" and body["inputs"]:
        i = draw(st.integers(0, len(body["inputs"]) - 1))
        body["inputs"][i] = draw(GARBAGE | st.fixed_dictionaries({"id": GARBAGE, "property": GARBAGE}))
    elif how == "truncate":
        body["inputs"] = body["inputs"][: draw(st.integers(0, max(0, len(body["inputs"]) - 1)))]
    elif how == "extend":
        body["inputs"] = body["inputs"] + [{"id": "x", "property": "y"}] * draw(st.integers(1, 5000))
    elif how == "changed":
        body["changedPropIds"] = draw(st.lists(st.text(max_size=40) | NASTY_STRINGS
                                               | st.just('{"type":"hparam",.value'), max_size=5) | GARBAGE)
    elif how == "id" and body["inputs"]:
        i = draw(st.integers(0, len(body["inputs"]) - 1))
        item = body["inputs"][i]
        target = item[0] if isinstance(item, list) and item else item
        if isinstance(target, dict):
            target["id"] = draw(GARBAGE)
    elif how == "outputs":  # the outputs named are not the callback's (Dash raises: a 500)
        outputs = body["outputs"] if isinstance(body["outputs"], list) else [body["outputs"]]
        flat = [o for slot in outputs for o in (slot if isinstance(slot, list) else [slot])]
        if flat:
            item = draw(st.sampled_from(flat))
            change = draw(st.sampled_from(["property", "id", "reverse"]))
            if change == "property":
                item["property"] = draw(st.sampled_from([item["property"] + "x", "children", "data", "@", ""]))
            elif change == "id":
                item["id"] = draw(st.sampled_from(["x", "alerts", {"type": "hparam"}, {"type": "run-status", "run": 1.5}]))
            elif isinstance(body["outputs"], list):
                body["outputs"] = body["outputs"][::-1]
    elif how == "raw":
        return draw(st.sampled_from([b"", b"{", b"null", b"[]", b"\"x\"", b"{\"output\": NaN}",
                                     b"[" * 100_000 + b"]" * 100_000, b"{\"a\":" * 5000 + b"1" + b"}" * 5000,
                                     json.dumps(body).encode()[: draw(st.integers(0, 500))]]))
    return body


def test_a_mangled_envelope_gets_400_not_a_crash(page, http):
    @settings(FUZZ, max_examples=150)
    @given(body=mangled_bodies(page))
    def check(body):
        status, _, _ = _post(http, body)
        assert status in (200, 204, 400, 413, 415), status

    check()


def test_unframed_requests(http):
    """Not JSON, too large, the wrong method: short JSON errors, never a page of HTML."""
    reply = http.request("POST", CALLBACK_PATH, b"output=x", {"Content-Type": "application/x-www-form-urlencoded"})
    assert reply.status == 415
    reply = http.request("GET", CALLBACK_PATH)
    assert reply.status == 404  # only POSTs are served there; Dash's catch-all page is not
    big = b'{"output": "' + b"x" * 2_000_000 + b'"}'
    reply = Http(http_url(http)).post_json(CALLBACK_PATH, big)
    assert reply.status == 413 and b"too large" in reply.body


def http_url(http: Http) -> str:
    return f"http://{http.host}:{http.port}"


def test_a_non_string_url_search_gets_the_message(page, http):
    dep = next(d for d in page.server_callbacks if any(i["id"] == ids.URL for i in d["inputs"]))
    body = page.body(dep, [(ids.URL, "search")], override={prop_id(ids.URL, "search"): {"$ne": 1}})
    status, reply, _ = _post(http, body)
    assert status == 200
    assert "refused" in _alert_text(reply).lower()
