"""ui.callbacks: the callback logic called as plain functions, and crafted requests
sent to the real Dash endpoint through Flask's test client."""

import json

import dash
import pytest
from dash import no_update

from descent_lab.ui import callbacks, ids
from descent_lab.ui.callbacks import OUTPUT_NAMES, event_from_trigger, respond
from descent_lab.ui.state import decode_url, default_state, encode_url


def _load(search=""):
    return respond(None, {"kind": "load", "search": search})


def _changed(out):
    return {name for name in OUTPUT_NAMES if out[name] is not no_update}


def _ops(patch):
    return patch.to_plotly_json()["operations"]


def test_load_fills_everything_from_the_url():
    state = default_state()
    state["steps"] = 77
    out = _load(encode_url(state))
    assert out["state"] == state
    assert _changed(out) == set(OUTPUT_NAMES)
    assert out["url"] == encode_url(state)
    assert out["view_store"]["autoplay"] is True  # the default lesson plays on load
    assert len(out["runs"]) == 3 and out["steps"] == 77


def test_load_of_a_shared_url_at_a_step_does_not_autoplay():
    state = default_state()
    state["frame"] = 42
    out = _load(encode_url(state))
    assert out["view_store"]["frame"] == 42 and out["view_store"]["autoplay"] is False


def test_a_slider_sends_only_that_runs_path_as_a_patch():
    state = _load()["state"]
    out = respond(state, {"kind": "hparam", "run": 1, "name": "lr", "value": -1.0})  # log10 slider
    assert out["state"]["runs"][1]["hparams"]["lr"] == 0.1
    assert _changed(out) == {"state", "paths", "url", "status"}  # no contour, no cards
    assert isinstance(out["paths"], dash.Patch)
    locations = [op["location"] for op in _ops(out["paths"])]
    assert locations == [["runs", 1]]
    assert all(op["operation"] == "Assign" for op in _ops(out["paths"]))
    size = len(json.dumps(out["paths"].to_plotly_json()))
    assert size < 10_000  # one run of 200 steps
    assert "lr=0.1" in out["paths"].to_plotly_json()["operations"][0]["params"]["value"]["label"]


def test_a_slider_on_eight_long_runs_sends_under_100_kb():
    runs = "&".join(f"run=adam(lr={0.002 * (i + 1)})" for i in range(8))
    state = _load(f"?surface=rosenbrock&{runs}&steps=1000")["state"]
    out = respond(state, {"kind": "hparam", "run": 4, "name": "beta1", "value": 0.8})
    size = len(json.dumps(out["paths"].to_plotly_json()))
    assert size < 100_000, size


def test_surface_change_sends_the_contour_once_and_new_cards_only_when_needed():
    state = _load()["state"]
    out = respond(state, {"kind": "surface", "value": "himmelblau"})
    assert out["surface"]["key"] == "himmelblau"
    assert out["runs"] is no_update  # same optimizers: the cards keep their sliders
    assert out["surface_params"] == []  # Himmelblau has no parameters
    assert out["view_store"]["autoplay"] is True
    again = respond(out["state"], {"kind": "hparam", "run": 0, "name": "lr", "value": -3.0})
    assert again["surface"] is no_update


def test_view_and_frame_changes_send_no_paths():
    state = _load()["state"]
    view = respond(state, {"kind": "view", "value": "grid"})
    assert view["paths"] is no_update and view["surface"] is no_update
    assert view["view_store"]["view"] == "grid"
    frame = respond(state, {"kind": "frame", "value": 120})
    assert _changed(frame) == {"state", "url"}
    assert "frame=120" in frame["url"]


def test_structure_changes_rerender_the_cards():
    state = _load()["state"]
    out = respond(state, {"kind": "add", "value": "lion"})
    assert len(out["runs"]) == 4 and not isinstance(out["paths"], dash.Patch)
    out = respond(out["state"], {"kind": "optimizer", "run": 3, "value": "adamw"})
    assert out["runs"] is not no_update
    out = respond(out["state"], {"kind": "remove", "run": 0})
    assert len(out["state"]["runs"]) == 3


def test_click_moves_the_start_to_the_exact_point():
    state = _load()["state"]
    out = respond(state, {"kind": "click", "value": {"x": 1.2345678, "y": -3.14159}})
    assert out["state"]["start"] == [1.2345678, -3.14159]
    assert (out["start_x"], out["start_y"]) == (1.2345678, -3.14159)
    assert out["view_store"]["frame"] == 0 and out["view_store"]["autoplay"] is True


def test_preset_loads_its_lesson():
    state = _load()["state"]
    out = respond(state, {"kind": "preset", "key": "saddle-escape"})
    assert out["state"]["surface"]["key"] == "saddle"
    assert out["surface_key"] == "saddle"
    assert [r["optimizer"] for r in out["state"]["runs"]] == ["gd", "adam"]
    assert out["alerts"] is no_update


HOSTILE_EVENTS = [
    {"kind": "hparam", "run": 0, "name": "lr", "value": 99.0},
    {"kind": "hparam", "run": 0, "name": "lr", "value": "1e-2"},
    {"kind": "hparam", "run": 0, "name": "lr", "value": None},
    {"kind": "hparam", "run": 0, "name": "lr", "value": 1e308},  # log10 slider: 10 ** 1e308
    {"kind": "hparam", "run": 0, "name": "lr", "value": 10**400},  # beyond float
    {"kind": "hparam", "run": 0, "name": "lr", "value": -1e308},
    {"kind": "steps", "value": 10**400},
    {"kind": "start_x", "value": -(10**400)},
    {"kind": "hparam", "run": 0, "name": "__dict__", "value": 1},
    {"kind": "hparam", "run": 99, "name": "lr", "value": -2},
    {"kind": "hparam", "run": "0", "name": "lr", "value": -2},
    {"kind": "sparam", "name": "condition", "value": 50.0},  # log10 slider: 1e50
    {"kind": "sparam", "name": "nope", "value": 1},
    {"kind": "surface", "value": None},
    {"kind": "optimizer", "run": 0, "value": "eval"},
    {"kind": "add", "value": ["adam"]},
    {"kind": "remove", "run": -1},
    {"kind": "steps", "value": 10**7},
    {"kind": "steps", "value": "NaN"},
    {"kind": "seed", "value": 2**40},
    {"kind": "noise", "value": 1e6},
    {"kind": "noise", "value": -0.1},
    {"kind": "noise", "value": "loud"},
    {"kind": "start_x", "value": None},
    {"kind": "click", "value": "x=1"},
    {"kind": "click", "value": {"x": float("nan"), "y": 0}},
    {"kind": "view", "value": "<img src=x onerror=alert(1)>"},
    {"kind": "frame", "value": -1},
    {"kind": "preset", "key": {"$gt": ""}},
    {"kind": "unknown", "what": "mystery-button"},
]


@pytest.mark.parametrize("event", HOSTILE_EVENTS, ids=[str(e)[:50] for e in HOSTILE_EVENTS])
def test_hostile_events_give_a_message_and_keep_the_state(event):
    state = _load()["state"]
    out = respond(state, event)
    assert out["state"] == state
    assert out["alerts"] is not no_update and out["alerts"], "no visible message"
    text = json.dumps(out["alerts"], default=lambda c: c.to_plotly_json())
    assert "refused" in text.lower()


def test_a_tampered_client_state_is_revalidated():
    state = _load()["state"]
    state["runs"][0]["hparams"]["lr"] = 1e9
    state["steps"] = 10**9
    out = respond(state, {"kind": "seed", "value": 3})
    assert out["state"]["steps"] == 200
    assert out["state"]["runs"][0]["hparams"]["lr"] <= 10
    assert out["state"]["seed"] == 3
    assert out["alerts"]
    # the page's picture may not match the repaired state: everything is resent
    assert isinstance(out["paths"], dict) and out["surface"] is not no_update and out["runs"] is not no_update


@pytest.mark.parametrize("trigger,value,expected", [
    (None, None, {"kind": "load", "search": "?x"}),
    (ids.URL, "?x", {"kind": "load", "search": "?x"}),
    (ids.hparam(2, "beta1"), 0.8, {"kind": "hparam", "run": 2, "name": "beta1", "value": 0.8}),
    (ids.sparam("angle"), 30, {"kind": "sparam", "name": "angle", "value": 30}),
    (ids.run_remove(1), 1, {"kind": "remove", "run": 1}),
    (ids.run_remove(1), 0, None),  # rendered, not clicked
    (ids.preset("adagrad-stall"), 2, {"kind": "preset", "key": "adagrad-stall"}),
    (ids.ADD_RUN, 1, {"kind": "add", "value": "adam"}),
    (ids.STEPS, 500, {"kind": "steps", "value": 500}),
    (ids.CLICK, {"x": 1, "y": 2}, {"kind": "click", "value": {"x": 1, "y": 2}}),
    ("not-an-id", 1, {"kind": "unknown", "what": "not-an-id"}),
])
def test_event_from_trigger(trigger, value, expected):
    assert event_from_trigger(trigger, value, search="?x", add_optimizer="adam") == expected


def test_csv_has_one_row_per_step_per_run():
    state = _load()["state"]
    text, errors = callbacks.csv_text(state)
    assert errors == []
    lines = text.strip().splitlines()
    header = lines[0].split(",")
    assert header[:4] == ["run", "optimizer", "label", "status"]
    from descent_lab.ui.simulate import run_one

    assert len(lines) - 1 == sum(len(run_one(state, i).xy) for i in range(3))


# ------------------------------------------------- the real endpoint (Flask client)

@pytest.fixture(scope="module")
def client():
    from descent_lab.app import app

    return app, app.server.test_client()


def test_healthz(client):
    _, http = client
    response = http.get("/healthz")
    assert response.status_code == 200 and response.data == b"ok"


def _request_for(app, trigger_id, value, client_state):
    """A /_dash-update-component body for on_input with one input changed."""
    callback = next(c for c in app.callback_map.values() if c.get("callback").__name__ == "on_input")
    key = next(k for k, c in app.callback_map.items() if c is callback)
    inputs = []
    for spec in callback["inputs"]:
        item = {"id": spec["id"], "property": spec["property"]}
        if spec["id"].startswith("{"):
            item = []  # no pattern-matching components in this crafted request
        elif spec["id"] == trigger_id:
            item["value"] = value
        else:
            item["value"] = None
        inputs.append(item)
    state = [{"id": s["id"], "property": s["property"],
              "value": client_state if s["id"] == ids.STATE else "adam"} for s in callback["state"]]
    outputs = [{"id": o.split(".")[0], "property": o.split(".")[1]} for o in key.strip(".").split("...")]
    return {
        "output": key, "outputs": outputs, "inputs": inputs, "state": state,
        "changedPropIds": [f"{trigger_id}.{next(s['property'] for s in callback['inputs'] if s['id'] == trigger_id)}"],
    }


@pytest.mark.parametrize("trigger,value", [
    (ids.STEPS, 10**9),
    (ids.STEPS, "1; DROP TABLE"),
    (ids.SURFACE_KEY, "__import__('os').system('x')"),
    (ids.VIEW, {"$ne": 1}),
    (ids.CLICK, [1, 2, 3]),
])
def test_crafted_requests_get_a_message_not_a_crash(client, trigger, value):
    app, http = client
    state = decode_url("")[0]
    body = _request_for(app, trigger, value, state)
    response = http.post("/_dash-update-component", json=body)
    assert response.status_code == 200, response.data[:300]
    reply = response.get_json()["response"]
    assert reply[ids.STATE]["data"] == state
    alerts = json.dumps(reply[ids.ALERTS]["children"])
    assert "refused" in alerts.lower()


def test_oversized_requests_are_refused_before_parsing(client):
    _, http = client
    response = http.post("/_dash-update-component", data=b"{" + b" " * 2_000_000 + b"}",
                         content_type="application/json")
    assert response.status_code == 413


def test_noise_and_seed_make_stochastic_gradients_reproducible():
    state = _load()["state"]
    noisy = respond(state, {"kind": "noise", "value": 0.5})
    assert noisy["state"]["noise"] == 0.5 and "noise=0.5" in noisy["url"]
    first = noisy["paths"]
    again = respond(noisy["state"], {"kind": "seed", "value": 0})  # same seed: same paths, nothing sent
    assert again["paths"] is no_update
    other = respond(noisy["state"], {"kind": "seed", "value": 1})
    assert other["paths"]["runs"][0]["x"] != first["runs"][0]["x"]
    reloaded = _load(noisy["url"])
    assert reloaded["paths"]["runs"][0]["x"] == first["runs"][0]["x"]
