# Production image: scripts/serve.sh serves the app on $PORT (8050), as user 10001:10001.
#   docker build -t descent-lab . && docker run --rm -p 8050:8050 descent-lab
# The base is the official Python 3.11 image on Debian 12; any Debian 12 image with python3
# and python3-venv works as well (podman build --from, see README "Deploying").
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_ROOT_USER_ACTION=ignore \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH \
    HOST=0.0.0.0 \
    PORT=8050 \
    WORKERS=2 \
    THREADS=4

# nginx from Debian (scripts/serve.sh puts it in front of gunicorn; it runs unprivileged
# with its files under a temporary prefix) and the numeric user the container runs as.
RUN apt-get update \
 && apt-get install -y --no-install-recommends nginx \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --gid 10001 descent \
 && useradd --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin descent

WORKDIR /app

# 1. Dependencies, in a layer of their own: every package pinned in constraints/lock.txt
#    (scripts/lock.sh writes it from pyproject.toml). Rebuilt only when the lock changes;
#    an edit to the code reuses it.
COPY constraints/lock.txt constraints/lock.txt
RUN python -m venv /opt/venv \
 && pip install --require-virtualenv -r constraints/lock.txt \
 && pip check

# 2. The app itself, built from the source without fetching anything (the lock pins the
#    build backend too), then the source copy removed so only the installed package runs.
COPY . .
RUN pip install --require-virtualenv --no-deps --no-build-isolation . \
 && pip check \
 && rm -rf descent_lab build ./*.egg-info \
 && python -c "import descent_lab.app"

USER 10001:10001
EXPOSE 8050
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD python -c "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '8050'), timeout=4)"
CMD ["/bin/sh", "scripts/serve.sh"]
