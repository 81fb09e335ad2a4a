"""Descent Lab: watch gradient-based optimizers race on 2-D loss surfaces.

The engine needs only NumPy and SymPy (pandas for ``to_frame``)::

    from descent_lab import optimizers, surfaces

    s = surfaces.get("valley", condition=50, angle=30)
    tr = optimizers.run("adam", s, s.start, 500, lr=0.1)
    tr.to_frame()          # pandas DataFrame, one row per iterate

The web app (Dash) is ``descent_lab.app``; ``descent-lab`` or ``python -m descent_lab``
serves it, and ``descent_lab.show()`` shows it in a Jupyter notebook
(:mod:`descent_lab.notebook`). Importing this package imports neither Dash nor the
engine: each loads when first used.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.2.0"

__all__ = ["__version__", "optimizers", "surfaces", "show"]


def __getattr__(name: str) -> Any:
    # ``descent_lab.show`` without importing Dash at ``import descent_lab``.
    if name == "show":
        from descent_lab.notebook import show

        return show
    if name in ("optimizers", "surfaces"):
        return importlib.import_module(f"descent_lab.{name}")
    raise AttributeError(f"module 'descent_lab' has no attribute {name!r}")
