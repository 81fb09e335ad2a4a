"""The live preview: a lean route that answers "what would the paths be if this slider
stood here?" while the hand is still moving it.

``POST /api/preview`` with ``{"state": <the page's state>, "action": <the slider's
action>}`` answers ``{"runs": {index: run payload}, "all": bool, "controls": ...,
"surface"?: contour}`` (the same payloads the race's callback sends), or
``{"error": sentence}`` for a refused value. Nothing is committed: the state, the URL and
the legend settle once, when the slider is released (its action goes through the race's
callback). The request is validated like every callback (:func:`ui.race.flow.preview`)
and bounded like them (the state's own limits: 8 runs, 10,000 steps).
"""

from __future__ import annotations

import json

import flask

from ..serving import routes
from . import flow

ROUTE = "/api/preview"


def answer(body: bytes) -> tuple[dict, int]:
    """(reply, status) for a request body: 400 with a sentence for anything malformed."""
    try:
        request = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return {"error": "The preview request was not JSON."}, 400
    if not isinstance(request, dict) or set(request) != {"state", "action"}:
        return {"error": "The preview request must be {\"state\": ..., \"action\": ...}."}, 400
    try:
        return flow.preview(request["state"], request["action"]), 200
    except ValueError as exc:
        return {"error": str(exc)}, 400


def register(server: flask.Flask) -> None:
    routes.register_json_post(server, ROUTE, "preview_route", answer)
