# newsroom in a container: `docker compose up -d` (see compose.yaml and the README).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# The locked dependencies first, in their own layer: code changes do not reinstall them.
COPY requirements.lock ./
RUN pip install --no-cache-dir -r requirements.lock

COPY pyproject.toml README.md ./
COPY bot ./bot
COPY cogs ./cogs
COPY storage ./storage
RUN pip install --no-cache-dir --no-deps . \
    && groupadd --system --gid 10001 newsroom \
    && useradd --system --uid 10001 --gid 10001 --create-home newsroom \
    && mkdir -p /app/data /app/backups \
    && chown newsroom:newsroom /app/data /app/backups

USER 10001:10001

# The database and the daily backups live in volumes; the web server listens on every
# interface of the container (publish the port on the host's loopback, see compose.yaml).
ENV NEWSROOM_DB=/app/data/newsroom.db \
    NEWSROOM_BACKUP_DIR=/app/backups \
    NEWSROOM_HTTP=0.0.0.0:8080
VOLUME ["/app/data", "/app/backups"]
EXPOSE 8080

# `docker stop` sends SIGTERM: the bot lets messages in flight finish (at most 10 s),
# closes the database and exits 0. Give it more than that before SIGKILL (compose does).
# The health check asks the port NEWSROOM_HTTP names (`docker run --network host -e
# NEWSROOM_HTTP=127.0.0.1:9000` moves it); a 503 or no answer is unhealthy.
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import os, sys, urllib.request; port = os.environ.get('NEWSROOM_HTTP', '').rpartition(':')[2] or '8080'; sys.exit(urllib.request.urlopen(f'http://127.0.0.1:{port}/healthz', timeout=4).status != 200)"]

CMD ["newsroom", "run"]
