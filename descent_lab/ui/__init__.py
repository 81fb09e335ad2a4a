"""Everything Dash: ids, controls built from specs, pure figure builders, layout, callbacks.

The numerical core (``optimizers``, ``surfaces``) never imports this package.

How a change travels (read this before adding an instrument or a panel):

* ``state.py``    the app state, a plain JSON dict, re-validated on every request
                  (``validate_state``) and mirrored in the URL (``encode_url`` /
                  ``decode_url``). New settings go here first, with a default, a
                  validator and a URL form; tests/app/test_app_state.py has the
                  hostile-value table to extend.
* ``actions.py``  one pure function per control: ``(state, value) -> (state, errors)``.
* ``callbacks.py`` ``on_input`` turns "which control fired" into an event and calls
                  ``respond`` (pure), which decides what is sent: the contour only on
                  a surface change, all paths on a start/surface/budget change, a
                  ``Patch`` of just the changed runs on a slider, run cards only when
                  runs are added, removed or change optimizer.
* ``simulate.py`` runs the engine (cached, pure) and packs each run as float32
                  base64 arrays plus colour, marker, label and status. Per-step data
                  an instrument needs (gradients, moments, effective learning rates)
                  belongs here, as more arrays per run.
* ``figures.py``  Plotly figures and layouts from plain data. In the browser Plotly
                  draws only the contour and axes; ``assets/descent.js`` draws the
                  runs on canvas layers (a frame or a slider never re-renders the
                  contour) and owns the animation, pointer readouts and PNG export.
* instruments (issue 4): ``instruments.py`` computes the numbers behind the arrows,
                  charts, readout, fan and 3D view (pure; packed per run by
                  ``simulate.py`` only for the instruments in ``state["show"]``);
                  ``instrument_actions.py`` (their controls), ``instrument_layout.py``
                  and ``instrument_callbacks.py``; ``assets/instruments.js`` draws them
                  from ``descent.js``' hooks (``ctl.hooks``), so they follow the frame.
"""
