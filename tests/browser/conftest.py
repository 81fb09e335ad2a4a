"""Fixtures for the browser tests (the Chromium options live in tests/conftest.py)."""

import pytest


@pytest.fixture(scope="module")
def descent_app():
    from app import app

    return app
