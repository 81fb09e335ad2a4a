"""Shared pytest configuration: browser tests run headless in the system Chromium."""

import os
import shutil
from pathlib import Path

import pytest

try:  # tests/ is a plain directory, which pytest puts on sys.path
    from browser_flags import chromedriver_path, chromium_flags, chromium_path
except ImportError:  # tests/ is a package: the repository root is on sys.path
    from tests.browser_flags import chromedriver_path, chromium_flags, chromium_path

# Property-based tests draw the same examples on every run (CI and here): a failure is a
# finding to fix, never a roll of the dice. HYPOTHESIS_PROFILE=explore draws new ones.
try:
    from hypothesis import settings as _hypothesis_settings

    _hypothesis_settings.register_profile("repeatable", derandomize=True, database=None)
    _hypothesis_settings.register_profile("explore", derandomize=False)
    _hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))
except ImportError:  # hypothesis is a test extra
    pass

# Dash in debug mode otherwise asks an outside host for its newest version.
os.environ["DASH_DISABLE_VERSION_CHECK"] = "true"

BROWSER_DIR = Path(__file__).parent / "browser"


def pytest_configure(config):
    # dash's plugin reads `config.getoption("headless")`, a store_true option that
    # defaults to False; make headless the default so plain `pytest` works here.
    # (The browser is headless anyway through --headless=new in chromium_flags;
    # this also turns on dash's headless-only set-up such as downloads.)
    if hasattr(config.option, "headless"):
        config.option.headless = True
    # selenium 4.2 (pinned by dash[testing]) calls a urllib3 1.26 API that warns
    # about its own removal, about 20 times per browser test.
    config.addinivalue_line(
        "filterwarnings",
        r"ignore:HTTPResponse.getheader\(\) is deprecated:DeprecationWarning:selenium",
    )


@pytest.hookimpl(optionalhook=True)  # the hook exists only with dash[testing]
def pytest_setup_options():
    """Selenium options for dash_duo / dash_br (dash adds a few flags of its own)."""
    from selenium.webdriver.chrome.options import Options

    # Without these dash_duo retries silently for 30 s and fails with a timeout.
    if not os.path.exists(chromium_path) or not shutil.which("chromedriver"):
        raise RuntimeError(
            f"browser tests need {chromium_path} and chromedriver on PATH "
            f"({chromedriver_path}); scripts/test.sh installs them with apt"
        )
    options = Options()
    for flag in chromium_flags:
        options.add_argument(flag)
    options.binary_location = chromium_path
    return options


def pytest_collection_modifyitems(config, items):
    for item in items:
        if BROWSER_DIR in item.path.parents:
            item.add_marker(pytest.mark.browser)


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(autouse=True)
def _dash_free_port():
    """dash_duo serves on 8050, 8051... by default: two test sessions on one machine would
    collide, so each test's server gets a port the OS says is free."""
    try:
        from dash.testing.application_runners import BaseDashRunner
    except ImportError:  # dash[testing] not installed: no browser tests either
        yield
        return
    BaseDashRunner._next_port = _free_port()
    yield
