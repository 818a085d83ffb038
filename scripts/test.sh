#!/usr/bin/env bash
# The whole suite: lint (Python and the page scripts), types, migrations, the tests (one pass,
# on PostgreSQL: the embedded default or DATABASE_URL), the dependency audit, the contract smoke.
# Exits non-zero on the first failure; prints how long it took. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
SECONDS=0
trap 'echo "== make test took $((SECONDS / 60)) min $((SECONDS % 60)) s"' EXIT

bash scripts/database.sh  # the embedded default PostgreSQL (nothing to do with DATABASE_URL set)

echo "== lint, types, migrations"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
DEBUG=1 .venv/bin/mypy accounts chatserver chats queueing transcripts consumers routing web
.venv/bin/lint-imports --no-cache  # the dependency ladder (pyproject.toml [tool.importlinter])
DEBUG=1 $PY manage.py makemigrations --check --dry-run >/dev/null
[ -d node_modules ] || npm ci --no-audit --no-fund  # eslint, pinned in package-lock.json
node_modules/.bin/eslint  # the page scripts (eslint.config.mjs)

echo "== tests (PostgreSQL: ${DATABASE_URL:-the embedded default})"
url=${DATABASE_URL:-$($PY -c 'from chatserver.embedded import EMBEDDED_DATABASE_URL as u; print(u)')}
admin_url="${url%/*}/postgres"
# Test databases of earlier runs whose process is gone (a session can outlive pytest's teardown).
for db in $(psql "$admin_url" -tAc "select datname from pg_database where datname ~ '^test_clickchat_[0-9]+$'"); do
  kill -0 "${db##*_}" 2>/dev/null || psql "$admin_url" -qc "drop database if exists $db" || true
done
$PY -m pytest -q -p no:cacheprovider "$@"

echo "== dependency audit (fails on a known vulnerability; says so when the service is unreachable)"
bash scripts/audit.sh

echo "== contract smoke"
if [ -f ../shared/contract-smoke/smoke.py ]; then $PY ../shared/contract-smoke/smoke.py; else echo "(no ../shared/contract-smoke here: skipped)"; fi
