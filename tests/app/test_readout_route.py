"""The readout's table of numbers through its lean route (ui.instruments.route): the same
numbers as the readout's rules, validated like every callback, refused when malformed."""

import json

import pytest

from descent_lab.ui.core import engine, theme
from descent_lab.ui.core.state import validate_state
from descent_lab.ui.core.url import decode_url
from descent_lab.ui.instruments import readout, route
from descent_lab.ui.instruments.readout import frame_numbers


def _state(search: str) -> dict:
    state, errors = decode_url(search)
    assert errors == []
    return state


def test_the_table_holds_each_runs_numbers_at_the_paused_step():
    state = _state("?surface=valley&run=gd(lr=1.8)&run=adam(lr=0.3)&steps=40&frame=12&show=readout")
    reply, status = route.answer(json.dumps({"state": state}).encode())
    assert status == 200 and reply["frame"] == 12 and len(reply["columns"]) == 6
    surface = engine.surface_of(state["surface"])
    for i, row in enumerate(reply["rows"]):
        nb = frame_numbers(engine.trajectory(state, i), 12, surface)
        assert row["t"] == 13 and len(row["cells"]) == 6
        assert row["cells"][0] == f"({theme.fmt_value(nb['grad'][0])}, {theme.fmt_value(nb['grad'][1])})"
        assert row["cells"][3] == f"({theme.fmt_value(nb['step'][0])}, {theme.fmt_value(nb['step'][1])})"
    gd, adam = reply["rows"]
    assert gd["cells"][1] == ["—"]  # plain gradient descent keeps no buffer
    assert any(b.startswith("m (") for b in adam["cells"][1]) and any(b.startswith("v (") for b in adam["cells"][1])
    json.dumps(reply, allow_nan=False)


def test_a_step_after_the_last_update_has_no_cells():
    state = _state("?surface=bowl&run=gd(lr=0.1)&steps=20&frame=20&show=readout")
    table = readout.table_rows(state, 20)
    assert table["rows"][0]["cells"] is None


@pytest.mark.parametrize("body,message", [
    (b"not json", "not JSON"),
    (b"\xff\xfe", "not JSON"),
    (b"[1, 2]", "must be"),
    (json.dumps({"state": {}, "extra": 1}).encode(), "must be"),
    (json.dumps({"state": {"steps": 10**9, "show": ["readout"]}}).encode(), "not valid"),
    (json.dumps({"state": {"show": []}}).encode(), "off"),
])
def test_malformed_or_refused_requests_get_a_sentence(body, message):
    reply, status = route.answer(body)
    assert status == 400 and message in reply["error"]


def test_the_route_answers_json_through_the_app():
    from descent_lab.app import app

    state, errors = validate_state({"show": ["readout"], "steps": 30})
    assert errors == []
    http = app.server.test_client()
    response = http.post(route.ROUTE, data=json.dumps({"state": state}), content_type="application/json")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    assert len(response.get_json()["rows"]) == len(state["runs"])
    bad = http.post(route.ROUTE, data=b"{", content_type="application/json")
    assert bad.status_code == 400 and "not JSON" in bad.get_json()["error"]
