# The two commands: `make run` (the service with demo logins) and `make test` (the whole suite).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: run test setup services lint bench

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $@

setup: $(VENV)/.installed

run: setup
	bash scripts/run.sh

services:
	bash scripts/services.sh

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	DEBUG=1 $(VENV)/bin/mypy accounts chatserver chats queueing transcripts consumers routing web
	$(VENV)/bin/lint-imports --no-cache
	DEBUG=1 $(PY) manage.py makemigrations --check --dry-run
	[ -d node_modules ] || npm ci --no-audit --no-fund
	node_modules/.bin/eslint

test: setup services
	bash scripts/test.sh

bench: setup services
	$(PY) -m bench.run
