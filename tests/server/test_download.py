"""ui/race/download.py: the race's CSV streamed one run and a few thousand rows at a time, the
same bytes as the CSV button's file, under the request budget (a fake engine cost)."""

from __future__ import annotations

import math

import flask
import pytest

from descent_lab.app import create_app
from descent_lab.ui.race import download
from descent_lab.ui.serving.budget import Estimate, Gate, Limits
from descent_lab.ui.core.url import decode_url, encode_url
from descent_lab.ui.race.export import csv_text

MIXED = ("?surface=rosenbrock&run=gd(lr=0.001)&run=momentum(lr=0.001)&run=adam(lr=0.02)"
         "&run=newton(lr=0.5)&steps=3000")


def per_step(key, surface, steps, runs=1, batch=False, **hparams):
    return float(steps * runs)


@pytest.fixture(scope="module")
def served():
    server = flask.Flask(__name__)  # the route alone, with a fake engine cost and its own gate
    gates = {"gate": Gate(Limits(max_units=1e9, heavy_units=1e3, heavy_slots=1, wait_seconds=0.0, seconds=30))}
    download.register(server, cost=lambda *a, **k: gates["cost"](*a, **k), gate=lambda: gates["gate"])
    gates["cost"] = per_step
    return server.test_client(), gates


def test_the_app_serves_the_route():
    client = create_app().server.test_client()
    reply = client.get(download.ROUTE + "?surface=bowl&run=gd(lr=0.1)&steps=5")
    assert reply.status_code == 200 and reply.get_data(as_text=True).count("\n") > 6


def test_the_streamed_file_is_the_buttons_file(served):
    client, _ = served
    state, errors = decode_url(MIXED)
    assert errors == []
    reply = client.get(download.ROUTE + encode_url(state))
    assert reply.status_code == 200 and reply.mimetype == "text/csv" and reply.is_streamed
    assert reply.headers["Content-Disposition"].startswith('attachment; filename="descent-lab-rosenbrock-gd-')
    text, _, _ = csv_text(state)
    assert reply.get_data(as_text=True) == text
    assert text.count("\n") > 4 * 1000  # every run's rows, different columns per optimizer


def test_no_piece_holds_more_than_a_chunk_of_rows():
    state, _ = decode_url(MIXED)
    pieces = list(download.csv_chunks(state, chunk_rows=500))
    assert max(piece.count("\n") for piece in pieces[2:]) <= 500
    rows = [len(download.run_frame(state, i)) for i in range(len(state["runs"]))]
    assert max(rows) > 1000 and len(pieces) == 2 + sum(math.ceil(n / 500) for n in rows)


def test_over_the_budget_is_refused_with_what_to_reduce(served):
    client, gates = served
    gates["cost"] = lambda key, surface, steps, runs=1, batch=False, **hparams: 1e12
    try:
        reply = client.get(download.ROUTE + MIXED + "&seed=7")  # runs not computed yet
    finally:
        gates["cost"] = per_step
    assert reply.status_code == 413 and "Reduce the steps" in reply.get_json()["error"]


def test_runs_already_computed_cost_only_their_rows():
    state, _ = decode_url(MIXED + "&seed=8")
    fresh = download.estimate(state, per_step)
    assert any(name.startswith("run ") for name, _ in fresh.parts)
    for index in range(len(state["runs"])):
        download.engine.trajectory(state, index)
    cached = download.estimate(state, per_step)
    assert [name for name, _ in cached.parts] == [name for name, _ in fresh.parts if not name.startswith("run ")]


def test_a_heavy_export_when_the_slot_is_taken_hears_busy(served):
    client, gates = served
    with gates["gate"].admit(Estimate((("another export", 1e6),))):
        reply = client.get(download.ROUTE + MIXED)
    assert reply.status_code == 503 and "busy" in reply.get_json()["error"]
    assert client.get(download.ROUTE + MIXED).status_code == 200  # free again


def test_an_unreadable_link_gets_400(served):
    client, _ = served
    reply = client.get(download.ROUTE + "?surface=nope&steps=abc")
    assert reply.status_code == 400 and "could not be read" in reply.get_json()["error"]
