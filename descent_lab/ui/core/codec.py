"""How arrays travel to the browser: float32 typed-array specs.

``{"dtype": "f4", "bdata": <base64 of little-endian float32>}`` is the format Plotly.js
reads natively and ``assets/00_core.js`` decodes, so 8 runs x 1000 steps is about
130 kB instead of about 400 kB of decimal text. Values beyond float32's range are
clipped; nothing non-finite is produced by the app's own payloads.
"""

from __future__ import annotations

import base64

import numpy as np

F32_MAX = float(np.finfo(np.float32).max)


def encode_f4(values) -> dict:
    """A float32 typed-array spec of ``values`` (flattened), clipped to float32's range."""
    array = np.asarray(values, dtype=np.float64).clip(-F32_MAX, F32_MAX)
    return {"dtype": "f4", "bdata": base64.b64encode(np.ascontiguousarray(array, dtype="<f4").tobytes())
            .decode("ascii")}


def decode_f4(spec: dict) -> np.ndarray:
    """Inverse of :func:`encode_f4` (tests and server-side exports)."""
    return np.frombuffer(base64.b64decode(spec["bdata"]), dtype="<f4")


def encode_grid(values) -> dict:
    """A 2-D float32 array as a typed-array spec with its shape (rows, columns)."""
    array = np.asarray(values, dtype=np.float32)
    spec = encode_f4(array.ravel())
    spec["shape"] = f"{array.shape[0]}, {array.shape[1]}"
    return spec
