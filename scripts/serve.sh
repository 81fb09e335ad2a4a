#!/bin/sh
# Production server: gunicorn serving descent_lab.app:server (the Docker image's command).
# Every setting (HOST, PORT, WORKERS, THREADS, LOG_LEVEL, ...) comes from the environment
# through gunicorn.conf.py, which validates it with ui.server.Config; access log on stdout.
# Extra arguments go to gunicorn.
set -eu
cd "$(dirname "$0")/.."
exec gunicorn --config gunicorn.conf.py "$@" descent_lab.app:server
