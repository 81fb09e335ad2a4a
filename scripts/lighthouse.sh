#!/usr/bin/env bash
# Lighthouse (desktop preset) against this checkout, served by gunicorn on a free loopback
# port: prints each run's four scores with its layout shift (CLS) and total blocking time
# (TBT), then the median of the runs and the machine's load average.
#
#   scripts/lighthouse.sh [RUNS] [PATH_AND_QUERY]      (defaults: 3 runs, "/")
#
# Lighthouse 12 is installed from npm under $LIGHTHOUSE_HOME (default
# ~/.cache/descent-lab/lighthouse) the first time; the system Chromium (/usr/bin/chromium,
# CHROME_PATH overrides) runs with the project's flags (tests/browser_flags.py: headless,
# no outside network). Not part of CI: it needs npm, and its timings (TBT above all) grow
# with the machine's load, which is printed beside them. JSON reports stay in $OUT_DIR
# (default a temporary folder, printed at the end).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT="$PWD"
RUNS="${1:-3}"
PAGE="${2:-/}"
PY="${PYTHON:-$(command -v python || command -v python3)}"
LIGHTHOUSE_HOME="${LIGHTHOUSE_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/descent-lab/lighthouse}"
export CHROME_PATH="${CHROME_PATH:-/usr/bin/chromium}"
OUT_DIR="${OUT_DIR:-$(mktemp -d /tmp/descent-lighthouse.XXXXXX)}"
mkdir -p "$OUT_DIR"

if [ ! -x "$LIGHTHOUSE_HOME/node_modules/.bin/lighthouse" ]; then
    command -v npm >/dev/null || { echo "npm is needed (apt-get install npm)" >&2; exit 1; }
    echo "Installing lighthouse@12 under $LIGHTHOUSE_HOME ..." >&2
    mkdir -p "$LIGHTHOUSE_HOME"
    (cd "$LIGHTHOUSE_HOME" && { [ -f package.json ] || npm init -y >/dev/null; } \
        && npm install --no-audit --no-fund --silent lighthouse@12)
fi
LIGHTHOUSE="$LIGHTHOUSE_HOME/node_modules/.bin/lighthouse"

PORT="$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
FLAGS="$(PYTHONPATH="$ROOT" "$PY" -c 'from tests.browser_flags import chromium_flags; print(" ".join(chromium_flags))')"

LOG="$OUT_DIR/server.log"
# One worker: one browser asks, and a fresh worker that has not rendered the page yet can
# answer Dash's bundles with 404 (Dash registers them when it renders the page).
HOST=127.0.0.1 PORT="$PORT" WORKERS="${WORKERS:-1}" PYTHONPATH="$ROOT" DASH_DISABLE_VERSION_CHECK=true \
    "$PY" -m gunicorn --config gunicorn.conf.py descent_lab.app:server >"$LOG" 2>&1 &
SERVER=$!
trap 'kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true' EXIT
for _ in $(seq 1 120); do
    curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break
    kill -0 "$SERVER" 2>/dev/null || { cat "$LOG" >&2; exit 1; }
    sleep 0.5
done
curl -sf "http://127.0.0.1:$PORT/" >/dev/null  # the first request builds the page once

for i in $(seq 1 "$RUNS"); do
    "$LIGHTHOUSE" "http://127.0.0.1:$PORT$PAGE" --preset=desktop --quiet \
        --chrome-flags="$FLAGS" --only-categories=performance,accessibility,best-practices,seo \
        --output=json --output-path="$OUT_DIR/run$i.json"
    echo "run $i done; load: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
done

"$PY" - "$OUT_DIR" "$RUNS" <<'EOF'
import json, statistics, sys
from pathlib import Path

out, runs = Path(sys.argv[1]), int(sys.argv[2])
rows = []
for i in range(1, runs + 1):
    report = json.loads((out / f"run{i}.json").read_text())
    cats, audits = report["categories"], report["audits"]
    row = {key: round(100 * cats[key]["score"]) for key in ("performance", "accessibility", "best-practices", "seo")}
    row["CLS"] = round(audits["cumulative-layout-shift"]["numericValue"], 3)
    for name, audit in (("TBT", "total-blocking-time"), ("FCP", "first-contentful-paint"),
                        ("LCP", "largest-contentful-paint"), ("SI", "speed-index")):
        row[name + " ms"] = round(audits[audit]["numericValue"])
    rows.append(row)
    failed = [a for ref in cats["accessibility"]["auditRefs"] if ref["weight"]
              and (a := audits[ref["id"]])["score"] is not None and a["score"] < 1]
    print(f"run {i}: " + "  ".join(f"{k} {v}" for k, v in row.items()))
    for audit in failed:
        print(f"        accessibility audit failing: {audit['id']}")
    errors = (audits["errors-in-console"].get("details") or {}).get("items") or []
    if errors:
        print(f"        {len(errors)} console errors (the page did not load as it should): "
              + "; ".join(e.get("description", "")[:120] for e in errors[:3]))
median = {k: statistics.median(r[k] for r in rows) for k in rows[0]}
print(f"median of {runs}: " + "  ".join(f"{k} {v:g}" for k, v in median.items()))
EOF
echo "load average (1, 5, 15 min): $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores; reports in $OUT_DIR"
