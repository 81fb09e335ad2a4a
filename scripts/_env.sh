# Sourced by scripts/test.sh and scripts/run.sh (bash, set -euo pipefail, cwd = repo root).
# Defines apt_install and PY, the Python to install into and run with.

apt_install() {
    local sudo=""
    if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
    echo "Installing $* with apt..." >&2
    $sudo apt-get update
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y "$@"
}

PY="${PYTHON:-$(command -v python || command -v python3 || true)}"
[ -n "$PY" ] || { echo "No python or python3 on PATH (need Python >= 3.11)." >&2; exit 1; }

# Debian's own python3 refuses system-wide pip installs (PEP 668): use ./.venv then.
if ! "$PY" -c 'import os, sys, sysconfig
marker = os.path.join(sysconfig.get_path("stdlib"), "EXTERNALLY-MANAGED")
sys.exit(sys.prefix == sys.base_prefix and os.path.exists(marker))'; then
    if [ ! -x .venv/bin/python ]; then
        "$PY" -c 'import ensurepip' 2>/dev/null || apt_install python3-venv
        "$PY" -m venv .venv
    fi
    PY=.venv/bin/python
fi
