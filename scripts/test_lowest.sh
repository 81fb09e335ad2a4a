#!/usr/bin/env bash
# The unit and app tests with every direct dependency at its declared minimum
# (constraints/lowest.txt), in a venv of its own: bash scripts/test_lowest.sh [pytest args]
# scripts/test.sh runs it before the main suite. The venv is kept between runs on the same
# machine (under ~/.cache/descent-lab, one per version of constraints/lowest.txt), so only
# the first run installs anything; the tests take well under a minute. The checkout is
# tested, not an install: `python -m pytest` puts it first on sys.path.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/_env.sh

cache="${DESCENT_LAB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/descent-lab}"
key="$(cat constraints/lowest.txt | sha256sum | cut -c1-12)"
venv="$cache/lowest-$key"
mkdir -p "$cache"
exec 9>"$cache/.lowest.lock"
flock 9   # one checkout at a time creates or prunes venvs
if [ ! -f "$venv/.complete" ]; then
    echo "Lowest versions: creating $venv" >&2
    # venvs of older versions of the file, unused for a week (another checkout may use one)
    find "$cache" -maxdepth 1 -name 'lowest-*' -mtime +7 -exec rm -rf {} + 2>/dev/null || true
    rm -rf "$venv"
    "$PY" -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r constraints/lowest.txt
    touch "$venv/.complete"
fi
touch "$venv"   # last used (for the clean-up above)
flock -u 9
# Fail loudly if anything in the venv moved off its pin or conflicts.
"$venv/bin/python" scripts/check_pins.py constraints/lowest.txt
"$venv/bin/python" -m pip check --disable-pip-version-check >/dev/null

export DASH_DISABLE_VERSION_CHECK=true
if [ "$#" -eq 0 ]; then
    set -- tests/unit tests/app tests/package/test_static.py tests/package/test_notebook.py
fi
echo "Lowest versions: $(grep -v '^#' constraints/lowest.txt | tr '\n' ' ')" >&2
exec timeout 900 "$venv/bin/python" -m pytest -q -p no:cacheprovider "$@"
