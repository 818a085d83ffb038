"""The embedded default database: a real PostgreSQL on this machine, not a stand-in.

With DATABASE_URL unset, `make run` and the test suite use this URL; `scripts/database.sh` makes
sure the server behind it runs and the database exists (Debian's `postgresql` package: installed
with apt when missing, its cluster started with `pg_ctlcluster`). Production sets DATABASE_URL.
"""

EMBEDDED_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/clickchat"
