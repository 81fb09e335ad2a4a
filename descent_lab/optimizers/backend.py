"""Two numeric backends with one interface, so each update rule is written once.

Update rules use plain arithmetic (``+ - * / **``) plus the few functions below,
taken from an ``ops`` namespace. :data:`FLOAT` runs them on Python floats (one
coordinate of one run: no NumPy per-call overhead, the interactive path);
:data:`ARRAY` runs the very same code on NumPy arrays of any shape (many runs at
once, the batch path).

On floats, overflow and invalid operations raise ``ArithmeticError`` or
``ValueError`` (``math.sqrt(-1.0)``); the runner treats both as divergence, just as
it treats the ``inf``/``nan`` the array backend produces.
"""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np

__all__ = ["FLOAT", "ARRAY", "ARRAY_LEAN", "FLOAT_EXPLAIN", "ARRAY_EXPLAIN"]

_NAN = float("nan")


def _fsign(x: float) -> float:
    # np.sign semantics on a float: -1.0, 0.0 or 1.0, NaN stays NaN.
    return 1.0 if x > 0.0 else (-1.0 if x < 0.0 else x * 0.0)


def _fwhere(cond: bool, a: float, b: float) -> float:
    return a if cond else b


def _fdiv0(a: float, b: float) -> float:
    # a / b, NaN where b == 0 (a diagnostic ratio that is undefined there).
    return a / b if b else _NAN


def _adiv0(a, b):
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(b != 0, np.divide(a, np.where(b != 0, b, 1.0)), np.nan)


def _fmax(a: float, b: float) -> float:
    # np.maximum semantics: NaN propagates.
    return a if a >= b or a != a else b


def _fmin(a: float, b: float) -> float:
    return a if a <= b or a != a else b


FLOAT = SimpleNamespace(
    name="float",
    lr_eff=True,  # rules compute their diagnostic effective learning rate
    explain=False,  # rules skip quantities computed only to explain a step (m_hat)
    sqrt=math.sqrt,
    abs=abs,
    sign=_fsign,
    maximum=_fmax,
    minimum=_fmin,
    where=_fwhere,
    div0=_fdiv0,
)

ARRAY = SimpleNamespace(
    name="array",
    lr_eff=True,
    explain=False,
    sqrt=np.sqrt,
    abs=np.abs,
    sign=np.sign,
    maximum=np.maximum,
    minimum=np.minimum,
    where=np.where,
    div0=_adiv0,
)

ARRAY_LEAN = SimpleNamespace(**{**vars(ARRAY), "name": "array-lean", "lr_eff": False})
"""The array backend for :func:`optimizers.run_batch`, which records positions only:
rules skip their ``lr_eff`` diagnostic where it costs array operations and return
``None`` in its place."""

FLOAT_EXPLAIN = SimpleNamespace(**{**vars(FLOAT), "name": "float-explain", "explain": True})
ARRAY_EXPLAIN = SimpleNamespace(**{**vars(ARRAY), "name": "array-explain", "explain": True})
"""The backends :func:`optimizers.explain` runs one update on: rules also compute the
quantities a reader expects to see but the arithmetic does not need (Adam's
bias-corrected ``m_hat``), under ``if ops.explain``, beside the arithmetic they
explain."""
