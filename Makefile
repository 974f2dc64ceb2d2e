# Two commands on a fresh machine (Python 3.11+):  `make run`  and  `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: install run test check bench-help clean-data

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

check: install
	$(PY) manage.py check

## Remove the embedded databases and generated dev secrets (var/).
clean-data:
	rm -rf var
