"""The app's lean JSON routes (the live preview, the readout's table) and its JSON refusals:
one reply shape for all of them (compact strict JSON, never cached)."""

from __future__ import annotations

import json
from collections.abc import Callable

import flask


def json_response(reply: dict, status: int = 200) -> flask.Response:
    """``reply`` as compact JSON (``NaN`` refused), with ``Cache-Control: no-store``."""
    return flask.Response(json.dumps(reply, separators=(",", ":"), allow_nan=False), status=status,
                          mimetype="application/json", headers={"Cache-Control": "no-store"})


def register_json_post(server: flask.Flask, path: str, name: str,
                       answer: Callable[[bytes], tuple[dict, int]]) -> None:
    """``POST path`` answered by ``answer(request body) -> (reply, status)``."""
    def view() -> flask.Response:
        return json_response(*answer(flask.request.get_data(cache=False)))

    server.add_url_rule(path, endpoint=name, view_func=view, methods=["POST"])
