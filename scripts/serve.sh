#!/bin/sh
# The production stack (the Docker image's command): nginx on $HOST:$PORT in front of
# gunicorn (descent_lab.app:server) on a private unix socket.
#
#   sh scripts/serve.sh                    # http://127.0.0.1:8050
#   FRONT=none sh scripts/serve.sh         # gunicorn alone on $HOST:$PORT (behind your own proxy)
#
# Every setting (HOST, PORT, WORKERS, THREADS, LOG_LEVEL, MAX_BODY_BYTES,
# CLIENT_CONNECTIONS, TRUSTED_PROXIES, ...) comes from the environment through
# descent_lab.ui.serving.server.Config; a malformed value stops it at start with a sentence.
# nginx is installed with apt when missing (as root or with sudo). Signals:
#   SIGTERM / SIGINT  graceful stop: nginx finishes what is in flight, then gunicorn stops
#   SIGHUP            graceful reload: gunicorn replaces its workers (new code), nginx
#                     re-reads a fresh configuration; requests in flight finish
# Extra arguments go to gunicorn.
set -eu
cd "$(dirname "$0")/.."

PY="${PYTHON:-$(command -v python3 || command -v python)}"
say() { echo "serve.sh: $*" >&2; }
RUN_DIR=""
GUNICORN_PID=""
NGINX_PID=""
STATUS=0

stop() {
    trap '' TERM INT HUP
    # nginx first: it stops accepting, lets the requests it holds finish (gunicorn is
    # still up to answer them), then exits; gunicorn's own graceful stop follows.
    if [ -n "$NGINX_PID" ] && kill -0 "$NGINX_PID" 2>/dev/null; then
        kill -QUIT "$NGINX_PID" 2>/dev/null || true
        wait "$NGINX_PID" 2>/dev/null || true
    fi
    if [ -n "$GUNICORN_PID" ] && kill -0 "$GUNICORN_PID" 2>/dev/null; then
        kill -TERM "$GUNICORN_PID" 2>/dev/null || true
        wait "$GUNICORN_PID" 2>/dev/null || true
    fi
    if [ -n "$RUN_DIR" ]; then rm -rf "$RUN_DIR"; fi
    exit "$STATUS"
}

reload() {
    if [ -z "$NGINX_PID" ]; then say "SIGHUP ignored: still starting."; return 0; fi
    say "reloading: gunicorn replaces its workers, nginx re-reads its configuration"
    kill -HUP "$GUNICORN_PID" 2>/dev/null || true
    # a fresh configuration (new cache generation: static files served by new code)
    "$PY" deploy/render.py "$RUN_DIR" && kill -HUP "$NGINX_PID" 2>/dev/null || true
}

trap stop TERM INT
trap reload HUP

# glibc gives each thread that allocates its own heap arena and keeps freed memory in
# them: with 4 threads and NumPy's large arrays a worker's memory crept up under a soak of
# distinct requests (peaks ~385 MB); two arenas held it near 305 MB (loadtest/soak.py).
export MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-2}"

FRONT=$("$PY" -c 'from descent_lab.ui.serving.server import Config; print(Config.from_env().front)') || exit 1
if [ "$FRONT" = none ]; then
    exec gunicorn --config gunicorn.conf.py "$@" descent_lab.app:server
fi

# --- nginx --------------------------------------------------------------------------
find_nginx() {
    for candidate in "$(command -v nginx 2>/dev/null || true)" /usr/sbin/nginx /usr/local/sbin/nginx; do
        if [ -n "$candidate" ] && [ -x "$candidate" ]; then echo "$candidate"; return 0; fi
    done
    return 1
}
NGINX=$(find_nginx) || {
    if [ "$(id -u)" -eq 0 ]; then SUDO=""; elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO=sudo
    else say "nginx is not installed and this user cannot install it: install nginx (apt-get install nginx) or run with FRONT=none behind your own proxy."; exit 1; fi
    say "installing nginx with apt..."
    $SUDO apt-get update -qq >&2
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx >&2
    NGINX=$(find_nginx) || { say "nginx is still missing after apt-get install."; exit 1; }
}

# One descriptor per connection: take what the hard limit allows.
HARD=$(ulimit -Hn)
if [ "$HARD" = unlimited ]; then ulimit -n 65536 2>/dev/null || true; else ulimit -n "$HARD" 2>/dev/null || true; fi

RUN_DIR=$(mktemp -d "${TMPDIR:-/tmp}/descent-lab.XXXXXX")
SOCKET="$RUN_DIR/app.sock"
"$PY" deploy/render.py "$RUN_DIR" || { rm -rf "$RUN_DIR"; exit 1; }
"$NGINX" -t -q -p "$RUN_DIR" -c "$RUN_DIR/nginx.conf" -g 'daemon off;' || { rm -rf "$RUN_DIR"; exit 1; }


gunicorn --config gunicorn.conf.py --bind "unix:$SOCKET" "$@" descent_lab.app:server &
GUNICORN_PID=$!
echo "$GUNICORN_PID" > "$RUN_DIR/gunicorn.pid"
# nginx starts once gunicorn listens (it binds before its workers start; they warm up
# before accepting, and connections wait in the socket's backlog meanwhile).
while [ ! -S "$SOCKET" ]; do
    if ! kill -0 "$GUNICORN_PID" 2>/dev/null; then
        wait "$GUNICORN_PID" || STATUS=$?
        say "gunicorn exited before listening (status $STATUS)."
        STATUS=${STATUS:-1}; [ "$STATUS" -ne 0 ] || STATUS=1
        stop
    fi
    sleep 0.1
done

"$NGINX" -p "$RUN_DIR" -c "$RUN_DIR/nginx.conf" -g 'daemon off;' &
NGINX_PID=$!
say "nginx on ${HOST:-127.0.0.1}:${PORT:-8050} in front of gunicorn (unix:$SOCKET); run directory $RUN_DIR"

# Wait; a signal interrupts the sleep and runs its trap. If either process dies on its
# own, stop the other and exit non-zero so a supervisor restarts the whole stack.
while kill -0 "$GUNICORN_PID" 2>/dev/null && kill -0 "$NGINX_PID" 2>/dev/null; do
    sleep 1 &
    wait $! 2>/dev/null || true
done
say "$(kill -0 "$GUNICORN_PID" 2>/dev/null && echo nginx || echo gunicorn) exited unexpectedly; stopping."
STATUS=1
stop
