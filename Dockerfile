# Production image: gunicorn serving descent_lab.app:server on port 8050.
#   docker build -t descent-lab . && docker run --rm -p 8050:8050 descent-lab
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HOST=0.0.0.0 \
    PORT=8050 \
    WORKERS=2 \
    THREADS=4

RUN useradd --create-home --uid 10001 descent
WORKDIR /app

# Runtime dependencies only: no test extra, no browser.
COPY . .
RUN pip install --no-cache-dir ".[serve]"

USER descent
EXPOSE 8050
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:${PORT}/healthz', timeout=4)"
CMD ["/bin/sh", "scripts/serve.sh"]
