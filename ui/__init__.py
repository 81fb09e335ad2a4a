"""Everything Dash: ids, controls built from specs, pure figure builders, layout, callbacks.

The numerical core (``optimizers``, ``surfaces``) never imports this package.
"""
