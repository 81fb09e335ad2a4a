#!/usr/bin/env bash
# Install everything the tests need, then run them: scripts/test.sh [pytest args...]
# Works on a fresh Debian 12 with Python 3.11; fast when everything is already there.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/_env.sh

# Browser tests drive the system Chromium through Debian's chromedriver; the server
# tests run the production stack (scripts/serve.sh: nginx in front of gunicorn).
missing=()
if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then
    missing+=(chromium chromium-driver)
fi
if ! command -v nginx >/dev/null 2>&1 && [ ! -x /usr/sbin/nginx ]; then
    missing+=(nginx)
fi
if [ "${#missing[@]}" -gt 0 ]; then
    apt_install "${missing[@]}"
fi

"$PY" -m pip install --quiet --disable-pip-version-check --root-user-action=ignore -e ".[test,serve,notebook]"

# A full run (no arguments, as CI does) first runs the unit and app tests with every
# dependency at its declared minimum, in a cached venv of its own (scripts/test_lowest.sh).
# DESCENT_LAB_LOWEST=0 leaves it out, =1 runs it before a partial run too.
if [ "${DESCENT_LAB_LOWEST:-$([ "$#" -eq 0 ] && echo 1 || echo 0)}" = "1" ]; then
    bash scripts/test_lowest.sh
fi

export DASH_DISABLE_VERSION_CHECK=true
exec "$PY" -m pytest "$@"
