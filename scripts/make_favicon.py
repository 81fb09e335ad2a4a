"""Draw the app's favicon and write ``descent_lab/assets/favicon.ico``.

Run: ``python scripts/make_favicon.py``. Pure Python (zlib and struct): a white rounded
square with three contour rings of a bowl and a vermillion path zig-zagging down to its
minimum, the app's first run colour. The .ico holds 16, 32 and 48 pixel PNG images (PNG
entries in an ICO are read by every current browser); Dash links ``assets/favicon.ico``
from the page by itself.
"""

from __future__ import annotations

import math
import struct
import sys
import zlib
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "descent_lab" / "assets" / "favicon.ico"
SIZES = (16, 32, 48)
SUPERSAMPLE = 4
BACKGROUND = (255, 255, 255)
BORDER = (97, 110, 124)        # the page's secondary text grey
RING = (0, 114, 178)           # palette blue
PATH = (213, 94, 0)            # palette vermillion: the first run
# The path in unit coordinates (0..1, y down): a zig-zag across a ravine to the centre.
POINTS = ((0.16, 0.22), (0.32, 0.74), (0.44, 0.30), (0.52, 0.66), (0.58, 0.44), (0.60, 0.54))


def _segment_distance(px, py, ax, ay, bx, by):
    dx, dy = bx - ax, by - ay
    t = max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)))
    return math.hypot(px - ax - t * dx, py - ay - t * dy)


def _colour_at(u: float, v: float) -> tuple[float, ...]:
    """RGBA (0..1 alpha) of the icon at unit coordinates (u, v)."""
    # rounded square
    r, half = 0.18, 0.5
    qx, qy = max(abs(u - half) - (half - r), 0.0), max(abs(v - half) - (half - r), 0.0)
    edge = math.hypot(qx, qy) - r
    if edge > 0:
        return (0, 0, 0, 0.0)
    if edge > -0.045:
        return (*BORDER, 1.0)
    # path and contour rings of an elongated bowl centred at the minimum
    if min(_segment_distance(u, v, *a, *b) for a, b in zip(POINTS, POINTS[1:])) < 0.045:
        return (*PATH, 1.0)
    cx, cy = POINTS[-1]
    ring = math.hypot((u - cx) / 1.35, v - cy)
    if any(abs(ring - k) < 0.028 for k in (0.09, 0.18, 0.27)):
        return (*RING, 1.0)
    return (*BACKGROUND, 1.0)


def render(size: int) -> bytes:
    """RGBA pixels, row by row, anti-aliased by supersampling."""
    rows = bytearray()
    n = SUPERSAMPLE
    for j in range(size):
        rows.append(0)  # PNG filter type 0 for this row
        for i in range(size):
            acc = [0.0, 0.0, 0.0, 0.0]
            for sj in range(n):
                for si in range(n):
                    c = _colour_at((i + (si + 0.5) / n) / size, (j + (sj + 0.5) / n) / size)
                    for k in range(3):
                        acc[k] += c[k] * c[3]
                    acc[3] += c[3]
            alpha = acc[3] / (n * n)
            rgb = [round(acc[k] / acc[3]) if acc[3] else 0 for k in range(3)]
            rows.extend((*rgb, round(alpha * 255)))
    return bytes(rows)


def png(size: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)  # 8-bit RGBA
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(render(size), 9)) + chunk(b"IEND", b""))


def ico(images: dict[int, bytes]) -> bytes:
    """An ICO file whose entries are PNG images."""
    out = struct.pack("<HHH", 0, 1, len(images))
    offset = 6 + 16 * len(images)
    body = b""
    for size, data in images.items():
        out += struct.pack("<BBBBHHII", size % 256, size % 256, 0, 0, 1, 32, len(data), offset + len(body))
        body += data
    return out + body


def main() -> int:
    data = ico({size: png(size) for size in SIZES})
    OUT.write_bytes(data)
    print(f"wrote {OUT} ({len(data):,} bytes, {', '.join(map(str, SIZES))} px)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
