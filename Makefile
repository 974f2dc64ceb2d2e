# Two commands on a fresh machine (Python 3.11+):  `make run`  and  `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: install run demo test lint check clean-data

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

## Run web + worker (every queue) + beat on the embedded PostgreSQL/Redis. Ctrl-C stops all.
## With no TMDB or Trakt credentials in the environment it runs the keyless demo instead (docs/demo.md).
run: install
	@if [ -z "$$TMDB_API_KEY$$TMDB_READ_ACCESS_TOKEN$$TMDB_READ_TOKEN$$TRAKT_CLIENT_ID" ]; then \
	  echo "================================================================================"; \
	  echo " No TMDB or Trakt credentials set: running the KEYLESS DEMO against a local sandbox"; \
	  echo " (its own data in var/demo/; nothing reaches the real TMDB or Trakt)."; \
	  echo " To run the real thing: set TMDB_API_KEY and TRAKT_CLIENT_ID/TRAKT_CLIENT_SECRET"; \
	  echo " (docs/configuration.md), then make run again."; \
	  echo "================================================================================"; \
	  DJANGO_SETTINGS_MODULE=sandbox.settings $(PY) manage.py demo; \
	else \
	  $(PY) manage.py serve; \
	fi

## The keyless demo: sandbox TMDB + Trakt, demo viewers, the whole pipeline on real workers (docs/demo.md).
demo: install
	DJANGO_SETTINGS_MODULE=sandbox.settings $(PY) manage.py demo

## The test suite (embedded PostgreSQL, no network).
test: install
	$(PY) -m pytest

## Linters: ruff (lint + format), mypy, import-linter contracts, no missing migrations. Runs every
## check and fails if any failed.
lint: install
	@status=0; \
	$(VENV)/bin/ruff check . || status=1; \
	$(VENV)/bin/ruff format --check . || status=1; \
	$(VENV)/bin/mypy . || status=1; \
	$(VENV)/bin/lint-imports --no-logo || status=1; \
	$(PY) manage.py makemigrations --check --dry-run || status=1; \
	exit $$status

check: install
	$(PY) manage.py check

## Remove the embedded databases and generated dev secrets (var/).
clean-data:
	rm -rf var
