#!/usr/bin/env bash
# Install Descent Lab and serve it on http://127.0.0.1:8050 (HOST / PORT override).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/_env.sh

"$PY" -m pip install --quiet --disable-pip-version-check --root-user-action=ignore -e .
exec "$PY" -m descent_lab "$@"
