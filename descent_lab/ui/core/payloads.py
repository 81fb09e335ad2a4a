"""What the browser receives, as types: the contract between ``ui/`` and ``assets/``.

Arrays are float32 typed-array specs (:mod:`ui.core.codec`). Per-update arrays (one
value per update) have ``n - 1`` entries; per-point arrays ``n``.
"""

from __future__ import annotations

from typing import NotRequired, TypedDict


class F4(TypedDict):
    dtype: str
    bdata: str


class RunPayload(TypedDict):
    id: int                      # the run's lifelong id (its colour and marker)
    index: int                   # its place in the list
    optimizer: str
    name: str                    # the optimizer's name ("Gradient descent")
    label: str                   # legend text: the optimizer and its key settings
    color: str
    symbol: str
    status: str                  # "max_steps", "converged", "diverged", "stopped"
    at: int | None               # the step it converged, stopped or diverged at
    status_text: str             # the status as a sentence ("converged at step 12", ...)
    n: int                       # points in the path
    x: F4
    y: F4
    loss: F4                     # f - f* (floored) or f, as the loss chart plots it
    dist: NotRequired[F4]        # distance to the nearest minimizer (when the surface has one)
    values: dict[str, str]       # each setting, formatted (the exact-value fields show these)
    positions: dict[str, float]  # each setting's slider position
    inst: NotRequired[dict]      # per-step arrays of the instruments that are on
    fan: NotRequired[dict]       # the noise fan's cloud and mean path
    live: NotRequired[dict]      # the lesson's key number per step: {"values": F4, "text": [...]}


class PathsPayload(TypedDict):
    runs: list[RunPayload]
    steps: int
    start: list[float]
    minimizers: list[list[float]]
    loss_kind: str               # "gap" (f - f*) or "value" (f: unbounded below or unknown)
    loss_title: str
    bounds: list[list[float]]
    twin: NotRequired[dict]      # the same runs on the compared surface: {"runs", "label", "loss_kind"}
    live_label: NotRequired[str]


class SurfacePayload(TypedDict):
    key: str
    params: dict
    box: list[list[float]]       # the plotted window
    contour: dict                # the contour trace (float32 grid)
    minima: dict | None          # the minimizers' star markers
    layout: dict                 # axes and colour axis of the main graph
    colour_title: str
    twin: NotRequired[dict]      # the compared surface's contour and title


class ViewPayload(TypedDict):
    view: str
    frame: int | None
    autoplay: bool
    stop: NotRequired[int | None]  # a lesson pauses here
    reveal: NotRequired[bool]      # scroll the race back into view (a map handed it a set-up)
    nonce: str
