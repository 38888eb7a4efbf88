# Remix — one command per task. `make help` lists them.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8000
HOST ?= 127.0.0.1
export DATABASE_URL ?= $(shell scripts/pg.sh url)
# Our own cluster unless DATABASE_URL was given from outside.
OWN_DB := $(if $(filter command line environment,$(origin DATABASE_URL)),,yes)

.PHONY: help install db migrate messages static data run stop test test-fast bench lint format clean

help: ## List the commands
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  \033[1mmake %-10s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

install: ## Install missing Debian packages and the Python virtual environment
	@scripts/bootstrap.sh

db: install ## Start the project's PostGIS cluster (skipped when DATABASE_URL is set)
	@scripts/secrets.sh
	@$(if $(OWN_DB),scripts/pg.sh start,echo "[remix] using DATABASE_URL from the environment")

migrate: db ## Apply database migrations (as the database owner)
	@$(PY) manage.py migrate --no-input -v 0
	@$(PY) manage.py createcachetable

messages: install ## Compile the Italian/English translations
	@$(PY) manage.py compilemessages -v 0 --ignore '.venv' --ignore 'var'

static: install
	@$(PY) manage.py collectstatic --no-input -v 0

data: migrate ## Load the bundled datasets through the ETL (a no-op when nothing changed)
	@$(PY) manage.py etl run --all --quiet
	@$(PY) manage.py layers sync
	@$(PY) manage.py indicatori refresh >/dev/null
	@$(PY) manage.py layers mapfile >/dev/null

run: migrate messages static data ## Set everything up, serve the app on http://127.0.0.1:8000 and start the worker
	@$(if $(OWN_DB),REMIX_WORKER_DATABASE_URL="$(DATABASE_URL)" DATABASE_URL=$$(scripts/pg.sh app-url)) scripts/serve.sh start $(HOST) $(PORT)

stop: ## Stop what `make run` started (app server, background worker, the project's PostGIS)
	@scripts/serve.sh stop || true
	@$(if $(OWN_DB),scripts/pg.sh stop,true)

test: lint migrate messages static ## Set everything up, then run the linters and the whole test suite
	@$(PY) -m pytest $(PYTEST_ARGS)

test-fast: migrate messages static ## The suite without the browser tests
	@$(PY) -m pytest -m "not browser" $(PYTEST_ARGS)

bench: data ## Run the benchmarks: project vs anchor, ratios in var/bench/results.json
	@$(PY) -m bench $(BENCH_ARGS)

lint: install ## ruff (lint and formatting) and djhtml (templates): the same checks as .pre-commit-config.yaml
	@$(VENV)/bin/ruff check --quiet .
	@$(VENV)/bin/ruff format --check --quiet .
	@$(VENV)/bin/djhtml --check templates */templates 2>/dev/null

format: install ## Format with ruff and djhtml
	@$(VENV)/bin/ruff check --fix .
	@$(VENV)/bin/ruff format .
	@$(VENV)/bin/djhtml templates */templates

clean: stop ## Remove the database cluster, caches and the virtual environment
	rm -rf var $(VENV) staticfiles
