"""The readout's table of numbers: a lean route, so switching the readout on or stepping
while it is on shows the paused step's numbers after one small request, drawn by the page
(``assets/20_instruments.js``), without a trip through the callbacks.

``POST /api/readout`` with ``{"state": <the page's state>}`` answers the table
(:func:`ui.instruments.readout.table_rows`), or ``{"error": sentence}`` with status 400 for
anything malformed, a state the app would not produce, or the readout switched off. The
state is re-validated like every callback's and bounded by its own limits (8 runs, 10,000
steps); the trajectories come from the engine's cache, and runs not cached yet are priced
and admitted by the worker's budget like the race's own (refused with the reason, 503).
"""

from __future__ import annotations

import json

import flask

from descent_lab import optimizers

from ..core import engine
from ..core.state import validate_state
from ..serving import budget, routes
from .readout import table_rows

ROUTE = "/api/readout"


def answer(body: bytes) -> tuple[dict, int]:
    """(reply, status) for a request body."""
    try:
        request = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return {"error": "The readout request was not JSON."}, 400
    if not isinstance(request, dict) or set(request) != {"state"}:
        return {"error": 'The readout request must be {"state": ...}.'}, 400
    state, errors = validate_state(request["state"])
    if errors:
        return {"error": "The page sent settings that were not valid: " + "; ".join(errors[:3])}, 400
    if "readout" not in state["show"]:
        return {"error": "The readout is off."}, 400
    try:
        with budget.gate().admit(engine.runs_work(state)) as ticket:
            return ticket.run(table_rows, state, int(state["frame"])), 200
    except (budget.OverBudget, budget.Busy, optimizers.BudgetExceeded) as exc:
        return {"error": str(exc)}, 503


def register(server: flask.Flask) -> None:
    routes.register_json_post(server, ROUTE, "readout_route", answer)
