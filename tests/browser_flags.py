"""Chromium command-line flags shared by every browser driver in this project.

dash_duo (selenium, via ``tests/conftest.py``), Playwright scripts and the
browser benchmark all launch the system Chromium with these flags, so they all
run headless, work as root and make no outside network requests at start-up
(see /work/shared/BROWSER_TESTING.md for how each flag was checked).

Playwright example::

    from tests.browser_flags import chromium_flags, chromium_path
    browser = p.chromium.launch(executable_path=chromium_path, args=chromium_flags)
"""

chromium_path = "/usr/bin/chromium"
chromedriver_path = "/usr/bin/chromedriver"

chromium_flags = [
    "--headless=new",
    "--no-sandbox",  # needed when running as root
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--window-size=1280,900",
    # No calls to Google services: the test machines have no outside network.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--disable-domain-reliability",
    "--disable-client-side-phishing-detection",
    "--disable-field-trial-config",
    "--metrics-recording-only",
    "--no-first-run",
    "--no-default-browser-check",
    "--no-pings",
    "--disable-quic",
    "--disable-features=OptimizationHints,NetworkTimeServiceQuerying,MediaRouter,"
    "Translate,AutofillServerCommunication,AimEnabled,PreconnectToSearch",
    # The on-device model component asks an update server even with
    # --disable-component-update; a missing local manifest stops it.
    "--optimization-guide-manifest-override=/nonexistent",
]
