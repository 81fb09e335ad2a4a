"""The shared core every feature builds on; it imports no feature.

``ids`` every component id; ``state`` the state's schema, defaults and validation;
``url`` its link form; ``registry`` the instruments as data; ``engine`` the engine's
cached results; ``codec`` and ``payloads`` what the browser receives; ``theme`` colours,
markers, fonts, number formatting; ``plot`` layouts and traces shared by the figures;
``widgets`` controls built from ``HyperParam`` specs.
"""
