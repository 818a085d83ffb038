#!/usr/bin/env bash
# The service on the embedded default: migrate, seed the demo logins (printed), then Daphne.
# HOST, PORT and the usual variables (DATABASE_URL, CHAT_HOURS, ...) may be set by the caller.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
export DEBUG=${DEBUG:-1}
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-8000}
$PY manage.py migrate --noinput
$PY manage.py seed_demo
echo "Serving on http://$HOST:$PORT/ (log in with a demo login above)"
# Daphne's access log would print query strings (PHI in searches); routing/access_log.py logs without.
exec $PY -m daphne -b "$HOST" -p "$PORT" --access-log /dev/null --websocket-max-message-size 65536 --websocket-max-frame-size 65536 \
  chatserver.asgi:application
