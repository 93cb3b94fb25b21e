# SoulSeer — `make run` serves the whole platform, `make test` runs every check. Both install what is missing.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# Parallel test workers (pytest-xdist). Each has its own PostgreSQL test database and its own Redis database
# (REDIS_URL's database, then the next ones). `make test PYTEST_WORKERS=0` runs the suite in one process.
PYTEST_WORKERS ?= auto
# Python keeps the bytecode of what it compiles (and pytest its rewritten test modules), even where the
# environment turned that off: the check, every test worker and every process a test starts would otherwise
# compile the project's modules again each time.
export PYTHONDONTWRITEBYTECODE :=

.PHONY: run test lint format deps assets services browser bench migrate clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is required")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

deps: $(VENV)/.installed node_modules/.installed

assets: node_modules/.installed
	npm run --silent build

# Without DATABASE_URL both use the embedded PostgreSQL under var/ (scripts/embedded_db.py).
migrate: deps
	$(BIN)/python scripts/embedded_db.py $(BIN)/python manage.py migrate --noinput

run: deps assets
	$(BIN)/python scripts/serve.py --host $(HOST) --port $(PORT)

services:
	bash scripts/ensure-services.sh

browser:
	@command -v chromium >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium)

lint: deps
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: deps
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

test: deps assets services browser lint
	DJANGO_SETTINGS_MODULE=config.settings.test $(BIN)/python manage.py check --fail-level WARNING
	@# --create-db: a fresh test database every run, whatever an earlier, interrupted run left behind.
	@# -n: tests go to the workers one at a time, in the collection order (slow tests first within each of
	@# pytest-django's groups, see conftest.py), so no worker is left holding a queue of long tests.
	$(BIN)/pytest --create-db -n $(PYTEST_WORKERS) --dist load --maxschedchunk 1 $(PYTEST_ARGS)

bench: deps services
	bash bench/run.sh

clean:
	rm -rf $(VENV) node_modules static/build staticfiles var/celery
