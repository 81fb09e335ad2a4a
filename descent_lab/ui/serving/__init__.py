"""Serving the app: what every request passes through, beneath the page's rooms.

* ``server``  configuration from the environment, security headers, body limits, error
  pages, the protocol's edges (``Config``, ``harden``);
* ``static``  compression and HTTP caching of the page's files, robots.txt, the favicon;
* ``budget``  each request's work estimated and admitted before it starts, a deadline
  for the engine, heavy work on lower-priority threads;
* ``cache``   caches of pure results bounded in bytes.

It imports no room of ``ui/``; ``core`` (the engine's caches) builds on it.
"""
