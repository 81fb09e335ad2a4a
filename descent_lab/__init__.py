"""Descent Lab: watch gradient-based optimizers race on 2-D loss surfaces.

The engine needs only NumPy and SymPy::

    from descent_lab import optimizers, surfaces

    s = surfaces.get("valley", condition=50, angle=30)
    tr = optimizers.run("adam", s, s.start, 500, lr=0.1)
    tr.to_frame()          # pandas DataFrame, one row per iterate

The web app (Dash) is ``descent_lab.app``; ``python -m descent_lab`` serves it.
"""

__version__ = "0.2.0"
