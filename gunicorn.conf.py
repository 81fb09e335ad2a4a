"""gunicorn settings for Descent Lab, read from the environment through ui.serving.server.Config
(the same validation as ``python app.py``: a malformed HOST, PORT, WORKERS, THREADS or
LOG_LEVEL stops gunicorn at start with a sentence naming the variable).

Used by ``scripts/serve.sh`` (the Docker image's command). Behind its nginx (the
default) gunicorn listens on a private unix socket given with ``--bind`` and nginx
writes the access log; with ``FRONT=none`` gunicorn binds HOST:PORT itself and logs
each request.
"""

import json
import os

from gunicorn import util

from descent_lab.ui.serving.server import Config, error_headers, warm

_config = Config.from_env()

bind = f"[{_config.host}]:{_config.port}" if ":" in _config.host else f"{_config.host}:{_config.port}"
workers = _config.workers
worker_class = "gthread"           # threads per worker: a slow request does not block the others
threads = _config.threads
loglevel = _config.log_level
# Behind nginx its access log has every request with the client's address; here only
# errors (on stderr). Alone, gunicorn logs the requests on stdout.
accesslog = "-" if _config.front == "none" else None
errorlog = "-"
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms "%(a)s"'
timeout = 30                       # a worker silent for 30 s is killed and replaced
graceful_timeout = 20              # SIGTERM / SIGHUP: in-flight requests get up to 20 s
keepalive = 5
# A shared link carries the whole state in its query string (the app accepts up to 8,000
# characters); gunicorn's default request-line limit (4,094) would refuse long ones with a
# bare 400 before the app could answer. 8,190 is gunicorn's maximum.
limit_request_line = 8190
# A safety net under the bounded caches: each worker is replaced (warmed up first, its
# requests finished, nginx sending the others elsewhere) after about 50,000 requests, so
# heap fragmentation cannot creep on for days. Hours apart in class use.
max_requests = 50_000
max_requests_jitter = 5_000
# Heartbeat files in memory: a container's /tmp may be a slow overlay filesystem.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None


# Imported by the app only when first needed; imported before serving (ui/serving/server.py, warm).
LAZY_IMPORTS = ("pandas",)


def post_worker_init(worker):
    """Serve the page and its scripts once before this worker accepts a connection:
    Dash finishes setting itself up on its first request, and requests arriving together
    at a fresh worker could otherwise get a 404 for a core script (or a half-imported
    pandas)."""
    results = warm(worker.wsgi, imports=LAZY_IMPORTS)
    failed = [(path, status) for path, status in results if status != 200]
    if failed:
        worker.log.error("Warm-up of worker %s: %s answered %s", worker.pid,
                         ", ".join(p for p, _ in failed), ", ".join(str(s) for _, s in failed))
    else:
        worker.log.info("Worker %s warmed up: %d paths served", worker.pid, len(results))


def _write_error_with_headers(sock, status_int, reason, mesg):
    """gunicorn's reply to malformed HTTP (an over-long request line, oversized headers)
    as a one-line JSON body with the security headers every other reply carries.
    ``mesg`` may echo the request; it is left to the log, not sent back."""
    body = json.dumps({"error": reason}).encode() + b"\n"
    head = [f"HTTP/1.1 {status_int} {reason}", "Connection: close", "Content-Type: application/json",
            f"Content-Length: {len(body)}"]
    head += [f"{name}: {value}" for name, value in error_headers().items()]
    util.write_nonblock(sock, ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body)


def post_fork(server, worker):
    util.write_error = _write_error_with_headers
