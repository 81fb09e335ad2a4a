"""The race: the surface, the runs, the start and budget, the player, the step charts
and the lessons, and the one callback that turns what a person does into what changes.

``events`` the table of controls -> actions; ``flow`` applies an action to the state and
decides what the page must change (pure); ``runs``, ``surface``, ``start``, ``teach``
their panels and actions; ``preview`` the live route while a slider is dragged;
``export`` the CSV; ``lessons`` the lessons as data (with their tested claims); ``layout``
the race's page parts; ``callbacks`` the registrations.
"""
