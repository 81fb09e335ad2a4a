"""Two numeric backends with one interface, so each update rule is written once.

Update rules use plain arithmetic (``+ - * / **``) plus the few functions below,
taken from an ``ops`` namespace (``f32`` and ``bf16`` round to float32 and
bfloat16, for a rule whose reference computes in those: torch's Muon). :data:`FLOAT` runs them on Python floats (one
coordinate of one run: no NumPy per-call overhead, the interactive path);
:data:`ARRAY` runs the very same code on NumPy arrays of any shape (many runs at
once, the batch path).

On floats, overflow and invalid operations raise ``ArithmeticError`` or
``ValueError`` (``math.sqrt(-1.0)``); the runner treats both as divergence, just as
it treats the ``inf``/``nan`` the array backend produces.
"""

from __future__ import annotations

import math
import struct
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


_F32_MIN, _F32_MAX = 2.0**-126, 2.0**128


def _round_bits(x: float, bits: int) -> float:
    """``x`` rounded to ``bits`` significant bits, to nearest, ties to even (Python's
    ``round``), exactly: ``frexp`` splits off the exponent, the mantissa is scaled
    to an integer part of ``bits`` bits. For normal float32 magnitudes."""
    m, e = math.frexp(x)
    return math.ldexp(round(m * (1 << bits)), e - bits)


def _f32_exact(x: float) -> float:
    return struct.unpack("f", struct.pack("f", x))[0]


def _ff32(x: float) -> float:
    """``x`` rounded to float32 (returned as a float), as a C cast does."""
    try:
        return _f32_exact(x)
    except OverflowError:
        return math.copysign(math.inf, x)


_F32 = struct.Struct("f")
_U32 = struct.Struct("I")


def _fbf16(x: float) -> float:
    """``x`` rounded to bfloat16 the way torch converts: to float32 first (the C cast
    of ``struct``), then to bfloat16 by rounding its bits to nearest, ties to even."""
    try:
        i = _U32.unpack(_F32.pack(x))[0]
    except OverflowError:
        return math.copysign(math.inf, x)
    if (i & 0x7F800000) != 0x7F800000:  # not inf or NaN
        i = ((i + 0x7FFF + ((i >> 16) & 1)) >> 16) << 16
    return _F32.unpack(_U32.pack(i & 0xFFFFFFFF))[0]


def _af32(x):
    with np.errstate(over="ignore"):  # beyond float32: inf, as a cast gives
        return np.asarray(x, dtype=np.float64).astype(np.float32).astype(np.float64)


def _abf16(x):
    # float64 -> float32 -> bfloat16 (round to nearest even on the float32 bits)
    with np.errstate(over="ignore"):
        f = np.asarray(x, dtype=np.float64).astype(np.float32)
    bits = f.view(np.uint32).astype(np.uint64)
    finite = np.isfinite(f)
    # uint64 constants: NumPy 1.x would promote uint64 with a Python int to float64
    one, half, shift = np.uint64(1), np.uint64(0x7FFF), np.uint64(16)
    rounded = ((bits + half + ((bits >> shift) & one)) >> shift) << shift
    out = np.where(finite, rounded, bits).astype(np.uint32).view(np.float32)
    return out.astype(np.float64)


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
    f32=_ff32,
    bf16=_fbf16,
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
    f32=_af32,
    bf16=_abf16,
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
