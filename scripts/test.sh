#!/usr/bin/env bash
# The whole suite: lint (Python and the page scripts), types, migrations, the SQLite pass, the PostgreSQL pass, the contract smoke.
# Exits non-zero on the first failure. Extra arguments go to both pytest passes.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
export PG_URL=${PG_URL:-postgres://postgres@127.0.0.1:5432/test}

echo "== lint, types, migrations"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
DEBUG=1 .venv/bin/mypy accounts chatserver chats queueing transcripts consumers routing web
.venv/bin/lint-imports --no-cache  # the dependency ladder (pyproject.toml [tool.importlinter])
DEBUG=1 $PY manage.py makemigrations --check --dry-run >/dev/null
[ -d node_modules ] || npm ci --no-audit --no-fund  # eslint, pinned in package-lock.json
node_modules/.bin/eslint  # the page scripts (eslint.config.mjs)

echo "== tests on SQLite (the embedded default)"
$PY -m pytest -m "not postgres" -q -p no:cacheprovider "$@"

echo "== tests on PostgreSQL"
# Test databases of earlier runs whose process is gone (a session can outlive pytest's teardown).
for db in $(psql "$PG_URL" -tAc "select datname from pg_database where datname ~ '^test_clickchat_[0-9]+$'"); do
  kill -0 "${db##*_}" 2>/dev/null || psql "$PG_URL" -qc "drop database if exists $db" || true
done
DATABASE_URL=$PG_URL $PY -m pytest -m "postgres or postgres_too" -q -p no:cacheprovider "$@"

echo "== dependency audit (fails on a known vulnerability; says so when the service is unreachable)"
bash scripts/audit.sh

echo "== contract smoke"
if [ -f ../shared/contract-smoke/smoke.py ]; then $PY ../shared/contract-smoke/smoke.py; else echo "(no ../shared/contract-smoke here: skipped)"; fi
