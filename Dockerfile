# Porch for operators: the web image; the same image runs the RQ worker and rq cron (see compose.yaml).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONPATH=/srv/porch \
    PORCH_STORAGE_DIR=/data/documents \
    PORCH_INSTANCE_PATH=/srv/porch/instance

RUN groupadd --system --gid 10001 porch \
    && useradd --system --uid 10001 --gid porch --home-dir /srv/porch --shell /usr/sbin/nologin porch

# The code runs from /srv/porch (PYTHONPATH), where the templates, static files and migrations sit beside it;
# `pip install .[scale]` brings in the dependencies.
WORKDIR /srv/porch
COPY pyproject.toml README.md LICENSE ./
COPY app ./app
COPY jobs ./jobs
COPY migrations ./migrations
COPY wsgi.py ./
RUN pip install '.[scale]' \
    && mkdir -p /srv/porch/instance /data/documents \
    && chown porch:porch /srv/porch/instance /data/documents

USER porch
VOLUME ["/data/documents"]
EXPOSE 8000

HEALTHCHECK --interval=30s --timeout=3s --start-period=20s \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2)"]

# Two gevent workers hold thousands of live sockets each; run more containers for more. Never --preload.
CMD ["gunicorn", "--worker-class", "gevent", "--workers", "2", "--worker-connections", "5000", \
     "--graceful-timeout", "10", "--bind", "0.0.0.0:8000", "wsgi:app"]
