# Two commands on a fresh machine (Python 3.11+):  `make run`  and  `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: install run test lint check clean-data

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

## Run web + worker (every queue) + beat on the embedded PostgreSQL/Redis. Ctrl-C stops all.
run: install
	$(PY) manage.py serve

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
