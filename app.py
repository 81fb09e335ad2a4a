"""Development entry: ``python app.py`` serves Descent Lab on http://127.0.0.1:8050.

The app lives in the ``descent_lab`` package (``descent_lab/app.py``); this file only
lets ``python app.py`` and ``gunicorn app:server`` work from a checkout.
"""

from descent_lab.app import app, main, server  # noqa: F401

if __name__ == "__main__":
    main()
