"""The race as a CSV file, streamed: ``GET /download.csv?<the page's link>``.

A Dash callback would build the whole file in memory, then a JSON reply holding it
(for 8 runs x 10,000 steps, 28 MB of text copied four or five times: about 180 MB of a
worker's memory per export, so four at once took a worker past 600 MB). This route writes the same file (``ui.race.export``'s header and columns, byte for
byte) one run and :data:`CHUNK_ROWS` rows at a time, so an export holds one run's
table at most, whatever the race; the link in the query is the page's own (its whole
state); the page's CSV button fetches it and says a refusal beside the button.

Every export goes through the request budget (``ui.serving.budget``): its rows and the runs not
yet cached are estimated first; over the budget it is refused with a sentence, and a
heavy one waits its turn among the worker's heavy requests ("busy" after a short wait).
"""

from __future__ import annotations

from typing import Iterator

import flask

from ..serving import budget, routes
from ..core import engine
from ..core.url import decode_url
from . import export

ROUTE = "/download.csv"
CHUNK_ROWS = 2_000
# A file download may wait this long for a heavy slot (a browser waits for a download;
# four students exporting at once get their files one after the other, not "busy").
EXPORT_WAIT = 20.0
# Cost units per CSV row (a table row formatted as text; ``loadtest/export_memory.py``
# measured ~12 microseconds a row, ~5 units).
ROW_UNITS = 5.0


def run_frame(state: dict, index: int):
    """Run ``index``'s table, as in the whole race's (``export.trajectories_frame``)."""
    frame = export.trajectories_frame({**state, "runs": [state["runs"][index]]})
    frame["run"] = index + 1
    return frame


def columns(state: dict) -> list[str]:
    """The columns of the whole race's table, in its order: each run's, in turn."""
    out: list[str] = []
    for index in range(len(state["runs"])):
        out += [c for c in run_frame(state, index).columns if c not in out]
    return out


def csv_chunks(state: dict, chunk_rows: int = CHUNK_ROWS) -> Iterator[str]:
    """The file's text in pieces: the header lines, then each run's rows."""
    yield export.header(state)
    if not state["runs"]:
        yield "run,optimizer,label,status,step,x,y,loss\n"
        return
    names = columns(state)
    yield ",".join(names) + "\n"
    for index in range(len(state["runs"])):
        frame = run_frame(state, index).reindex(columns=names)
        for start in range(0, len(frame), chunk_rows):
            yield frame.iloc[start:start + chunk_rows].to_csv(index=False, header=False)


def estimate(state: dict, cost) -> budget.Estimate:
    """The export's work: the runs the engine has not cached yet, then every row."""
    runs = engine.runs_work(state, cost=cost)
    rows = len(state["runs"]) * (int(state["steps"]) + 1)
    return runs + budget.Estimate(((f"{rows:,} rows of the file", rows * ROW_UNITS),))


def _refusal(status: int, message: str) -> flask.Response:
    return routes.json_response({"error": message}, status)


def register(server: flask.Flask, cost, gate=budget.gate) -> None:
    """Add the route to the Flask server; ``cost`` is ``optimizers.cost``'s interface."""

    @server.route(ROUTE, methods=["GET"])
    def download_csv():
        state, errors = decode_url("?" + flask.request.query_string.decode("latin-1"))
        if errors:
            return _refusal(400, "The link could not be read: " + "; ".join(errors))
        work = estimate(state, cost)
        try:
            gate().check(work)
        except budget.OverBudget as exc:
            return _refusal(413, str(exc))

        def body() -> Iterator[str]:
            with gate().admit(work, wait=EXPORT_WAIT):
                yield from csv_chunks(state)

        chunks = body()
        try:
            first = next(chunks)  # admitted (or busy) before the reply starts
        except budget.Busy as exc:
            return _refusal(503, str(exc))
        response = flask.Response(_prepend(first, chunks), mimetype="text/csv")
        response.headers["Content-Disposition"] = f'attachment; filename="{export.filename(state, "csv")}"'
        response.headers["Cache-Control"] = "no-store"
        return response


def _prepend(first: str, rest: Iterator[str]) -> Iterator[str]:
    yield first
    yield from rest
