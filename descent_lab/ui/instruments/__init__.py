"""The instruments: arrows, step charts, the readout, the noise fan and the 3D view.

``data`` packs each run's per-step arrays for the instruments that are on; ``readout``
formats each run's update rule with a step's numbers; ``layout`` builds the checklist
and the boxes from the registry (ui.core.registry); ``callbacks`` registers them. The
browser side is ``assets/20_instruments.js``.
"""
