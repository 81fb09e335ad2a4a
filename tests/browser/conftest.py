"""Fixtures for the browser tests (the Chromium options live in tests/conftest.py)."""

import pytest


@pytest.fixture(scope="module")
def descent_app():
    from descent_lab.app import app

    return app
