"""gunicorn settings for Descent Lab, read from the environment through ui.server.Config
(the same validation as ``python app.py``: a malformed HOST, PORT, WORKERS, THREADS or
LOG_LEVEL stops gunicorn at start with a sentence naming the variable).

Used by ``scripts/serve.sh`` (the Docker image's command): ``gunicorn -c gunicorn.conf.py descent_lab.app:server``.
"""

import os

from descent_lab.ui.server import Config

_config = Config.from_env()

bind = f"[{_config.host}]:{_config.port}" if ":" in _config.host else f"{_config.host}:{_config.port}"
workers = _config.workers
worker_class = "gthread"           # threads per worker: a slow request does not block the others
threads = _config.threads
loglevel = _config.log_level
accesslog = "-"                    # access log on stdout, error log on stderr (docker logs shows both)
errorlog = "-"
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms "%(a)s"'
timeout = 30                       # a worker silent for 30 s is killed and replaced
graceful_timeout = 20              # SIGTERM: finish in-flight requests for up to 20 s
keepalive = 5
# A shared link carries the whole state in its query string (the app accepts up to 8,000
# characters); gunicorn's default request-line limit (4,094) would refuse long ones with a
# bare 400 before the app could answer. 8,190 is gunicorn's maximum.
limit_request_line = 8190
# Heartbeat files in memory: a container's /tmp may be a slow overlay filesystem.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
