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
INK = "#1f2933"           # text
MUTED = "#52606d"         # secondary text: hints, captions, references, the status line
WARN = "#b42318"          # the lines learners must not cross (90 degrees, stability limits)
ACCENT = "#0b6bcb"        # primary buttons, focus rings, the checked instruments
LINK = "#0a5aa8"          # text buttons (formula toggles) and the lesson's tag
# Backgrounds text sits on: the page, panels and cards, the lesson banner.
PAGE = "#f5f7fa"
PANEL = "#ffffff"
LESSON = "#f0f6fd"
LINE = "#e4e7eb"          # borders (not text)

# WCAG 2's AA level for body text; every text colour above reaches it on every background
# (tests/unit/test_theme.py). The runs' colours mark lines, markers and borders, never text.
MIN_TEXT_CONTRAST = 4.5
TEXT_COLORS = {"ink": INK, "muted": MUTED, "warn": WARN, "accent": ACCENT, "link": LINK}
BACKGROUNDS = {"page": PAGE, "panel": PANEL, "lesson": LESSON}
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


def relative_luminance(color: str) -> float:
    """WCAG 2's relative luminance of a ``#rrggbb`` colour (0 black to 1 white)."""
    channels = [int(color.lstrip("#")[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast_ratio(foreground: str, background: str) -> float:
    """WCAG 2's contrast ratio of two ``#rrggbb`` colours, from 1 (none) to 21."""
    high, low = sorted((relative_luminance(foreground), relative_luminance(background)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def css_variables() -> str:
    """The page's colours as CSS custom properties (``--ink``, ``--muted``, ...), written
    into the page's head (``descent_lab/app.py``) so the stylesheets in ``assets/`` and
    the figures built here share one source."""
    values = {"--font": FONT, "--ink": INK, "--muted": MUTED, "--danger": WARN, "--accent": ACCENT,
              "--accent-ink": PANEL, "--link": LINK, "--bg": PAGE, "--panel": PANEL, "--lesson": LESSON,
              "--line": LINE}
    return ":root{" + "".join(f"{name}:{value};" for name, value in values.items()) + "}"


def export() -> dict:
    """The theme for the browser (sent once, with the ids)."""
    return {
        "palette": list(PALETTE), "symbols": list(SYMBOLS), "glyphs": GLYPHS, "font": FONT,
        "ink": INK, "muted": MUTED, "warn": WARN, "ghostAlpha": GHOST_ALPHA,
        "number": {"significant": SIGNIFICANT, "fixedMin": FIXED_MIN, "fixedMax": FIXED_MAX},
    }
