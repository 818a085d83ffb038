#!/usr/bin/env bash
# The service on the embedded default: PostgreSQL made ready (scripts/database.sh), migrate, seed
# the demo logins (printed), then serve. HOST, PORT and the usual variables (DATABASE_URL,
# CHAT_HOURS, ...) may be set by the caller; with DATABASE_URL set, that database is used as is.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
export DEBUG=${DEBUG:-1}
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-8000}
bash scripts/database.sh
$PY manage.py migrate --noinput
$PY manage.py seed_demo
echo "Serving on http://$HOST:$PORT/ (log in with a demo login above)"
# The production server (Uvicorn, chatserver/serve.py).
exec $PY -m chatserver.serve --host "$HOST" --port "$PORT"
