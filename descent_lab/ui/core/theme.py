"""The look of the app: run colours and markers, fonts, the contour's colours, number
formatting. The browser receives the same values once (:func:`export`), so the canvas
drawing in ``assets/`` and the figures built here never disagree.
"""

from __future__ import annotations

import math

# Okabe & Ito (2008), "Color Universal Design": distinguishable with the common
# colour-vision deficiencies. Ordered so the first runs get the strongest contrast on
# the pale contour. Okabe-Ito's yellow (#F0E442) all but vanishes on it, so the eighth
# colour is a dark violet instead.
PALETTE = (
    "#D55E00",  # vermillion
    "#0072B2",  # blue
    "#009E73",  # bluish green
    "#CC79A7",  # reddish purple
    "#E69F00",  # orange
    "#56B4E9",  # sky blue
    "#000000",  # black
    "#5D3A9B",  # dark violet
)
# Marker shapes double the colour code (for print and for colour-blind readers).
SYMBOLS = ("circle", "square", "diamond", "triangle-up", "pentagon", "hexagon", "star", "triangle-down")
GLYPHS = {"circle": "●", "square": "■", "diamond": "◆", "triangle-up": "▲", "pentagon": "⬟",
          "hexagon": "⬢", "star": "★", "triangle-down": "▼"}

# A light, neutral colour scale so every palette colour stays readable on it.
CONTOUR_SCALE = [[0.0, "#fdfcf7"], [0.35, "#eeebe2"], [0.7, "#d5d9de"], [1.0, "#a9b2bc"]]
FONT = "Inter, system-ui, -apple-system, Segoe UI, Roboto, Helvetica, Arial, sans-serif"
INK = "#1f2933"
MUTED = "#52606d"
WARN = "#b42318"          # the lines learners must not cross (90 degrees, stability limits)
GHOST_ALPHA = 0.3         # the whole path, drawn faintly: where a run is going

# Numbers: 3 significant digits in fixed notation inside [FIXED_MIN, FIXED_MAX), else
# a short exponent form (1.5e-7). The browser formats hover and live text the same way.
SIGNIFICANT = 3
FIXED_MIN = 1e-4
FIXED_MAX = 1e5


def run_color(run_id: int) -> str:
    """A run's colour, fixed for the run's life by its id."""
    return PALETTE[run_id % len(PALETTE)]


def run_symbol(run_id: int) -> str:
    return SYMBOLS[run_id % len(SYMBOLS)]


def run_glyph(run_id: int) -> str:
    return GLYPHS[run_symbol(run_id)]


def fmt_value(value) -> str:
    """3 significant digits, no exponent for ordinary magnitudes (0.001, 0.9, 150)."""
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, (list, tuple)):  # step counts (a schedule's milestones)
        return ", ".join(fmt_value(v) for v in value)
    value = float(value)
    if value == 0:
        return "0"
    if not math.isfinite(value):
        return str(value)
    if FIXED_MIN <= abs(value) < FIXED_MAX:
        text = f"{value:.{SIGNIFICANT}g}"
        if "e" in text:  # e.g. 1e+04 -> 10000
            text = f"{value:.0f}"
        return text
    mantissa, exponent = f"{value:.{SIGNIFICANT - 1}e}".split("e")
    mantissa = mantissa.rstrip("0").rstrip(".")
    return f"{mantissa}e{int(exponent)}"


def export() -> dict:
    """The theme for the browser (sent once, with the ids)."""
    return {
        "palette": list(PALETTE), "symbols": list(SYMBOLS), "glyphs": GLYPHS, "font": FONT,
        "ink": INK, "muted": MUTED, "warn": WARN, "ghostAlpha": GHOST_ALPHA,
        "number": {"significant": SIGNIFICANT, "fixedMin": FIXED_MIN, "fixedMax": FIXED_MAX},
    }
