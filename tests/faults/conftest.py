"""One cluster per test module: a fresh PostgreSQL database, a private Redis, two server processes (as deployed).

A module configures it with a `CLUSTER` dict: `env` (extra settings for the processes),
`via_proxy` (PostgreSQL reached through a TCP proxy the test can cut), `providers`, `agents`,
`processes` (server processes, default 2), `server_args` (e.g. `("--workers", "2")`).
The finalizer stops every process and drops the database, whatever the test did.
"""

from __future__ import annotations

import shutil

import pytest

from tests.faults.harness import Cluster


def _needs() -> str | None:
    if shutil.which("redis-server") is None:
        return "fault tests start their own redis-server, which is not installed"
    return None


@pytest.fixture(scope="module")
def cluster(request) -> Cluster:
    reason = _needs()
    if reason:
        pytest.skip(reason)
    opts = getattr(request.module, "CLUSTER", {})
    c = Cluster(
        extra_env=opts.get("env", {}), via_proxy=opts.get("via_proxy", False), server_args=opts.get("server_args", ())
    )
    request.addfinalizer(c.close)
    c.start(opts.get("processes", 2))
    c.create_users(opts.get("providers", 5), opts.get("agents", 10))
    return c
