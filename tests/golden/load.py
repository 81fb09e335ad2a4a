"""Load the committed torch golden iterates (no torch needed).

``torch_golden.json`` is produced by ``make_torch_golden.py`` (which needs
torch only to regenerate it).  Layout: ``{"meta", "defaults",
"non_torch_defaults", "cases": [...]}``; see that script's docstring.
"""

from __future__ import annotations

import json
from pathlib import Path

GOLDEN_PATH = Path(__file__).with_name("torch_golden.json")


def load_golden() -> dict:
    """Return the parsed golden JSON."""
    with GOLDEN_PATH.open(encoding="utf-8") as fh:
        return json.load(fh)
