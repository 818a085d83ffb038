# The two commands: `make run` (the service with demo logins) and `make test` (the whole suite).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
DEV_ENV := DEBUG=1 CHAT_HOURS="$${CHAT_HOURS:-Mon-Fri 08:00-18:00}"

.PHONY: run test setup services lint bench

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $@

setup: $(VENV)/.installed

run: setup
	$(DEV_ENV) $(PY) manage.py migrate --noinput
	$(DEV_ENV) $(PY) manage.py seed_demo
	@echo "Serving on http://127.0.0.1:8000/ (log in with a demo login above)"
	$(DEV_ENV) $(PY) -m daphne -b 127.0.0.1 -p 8000 chatserver.asgi:application

services:
	bash scripts/services.sh

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	DEBUG=1 $(VENV)/bin/mypy chatserver chats queueing transcripts consumers routing web
	DEBUG=1 $(PY) manage.py makemigrations --check --dry-run

test: setup services
	bash scripts/test.sh

bench: setup services
	$(PY) -m bench.run
