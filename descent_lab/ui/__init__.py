"""Everything Dash, one room per feature over a shared core.

Rooms (imports point one way: core <- instruments <- race <- page; core <- maps <- page):

* ``core/``         ids, the state (schema, defaults, validation) and its URL form, the
                    instrument registry, the engine's cached results, what the browser
                    receives (codec, payload types), theme, shared plot pieces, widgets
                    built from ``HyperParam`` specs. It imports no feature.
* ``instruments/``  the arrays behind arrows and step charts, the readout, the noise fan,
                    the 3D view; their page parts and callbacks, generated from the registry.
* ``race/``         surface, runs, start and budget, player, step charts, lessons; the event
                    table, the one race callback and the live preview route.
* ``maps/``         hyperparameter map, basin map, fair comparison; they hand a new set-up
                    to the race as an action in the race's action store.
* ``page.py``       assembles the layout; ``server.py`` hardens the Flask server.

How a change travels: a control in the browser (``assets/10_race.js``'s dispatcher, built
from ``race.events.EVENTS``) writes one action ``{"kind", <id fields>, "value"}`` into the
action store; the race callback (``race.callbacks.on_action``) re-validates the page's
state (``core.state``), applies the action (``race.events.apply``) and returns only what
changed (``race.flow.respond``): a Patch of one run's path for a slider, the contour once
per surface, the cards only when runs are added, removed or change optimizer. While a
slider is dragged or stepped with the keyboard, the page reads the thumb's value and asks
``/api/preview`` (``race.preview``) for the moving paths itself, with no Dash callback per
move; once the hand lets go it writes the slider's action into the action store, and the
state, URL and legend settle once. The view toggle redraws at once from the layouts the
paths payload carries for each view; the readout's table comes from ``/api/readout``
(``instruments.route``). The browser draws the runs, arrows and charts on canvases
(``assets/10_race.js``, ``assets/20_instruments.js``) over Plotly's contour and axes.
"""
