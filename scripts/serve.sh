#!/bin/sh
# Production server: gunicorn serving app:server (the Docker image's command).
# HOST, PORT, WORKERS and THREADS come from the environment; extra args go to gunicorn.
set -eu
cd "$(dirname "$0")/.."
exec gunicorn app:server \
    --bind "${HOST:-127.0.0.1}:${PORT:-8050}" \
    --workers "${WORKERS:-2}" \
    --threads "${THREADS:-4}" \
    "$@"
