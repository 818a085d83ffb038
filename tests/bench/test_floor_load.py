"""bench scenario 7 at its quick size, end to end, so the scenario cannot silently rot.

It starts its own redis-server and server processes (one, then two behind Redis) on a database of
its own, opens real consoles and provider sockets, lets routing fill the consoles and has both
sides send; every receiving side must have every message exactly once, each sender's messages in
the order sent, and the chat's whole stream in seq order, on one process and on two.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from chatserver.embedded import EMBEDDED_DATABASE_URL

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.multiprocess, pytest.mark.postgres, pytest.mark.timeout(900)]


def test_quick_floor_loses_duplicates_and_reorders_nothing(tmp_path):
    url = os.environ.get("DATABASE_URL") or EMBEDDED_DATABASE_URL  # the suite's server either way
    assert shutil.which("redis-server"), "the bench starts its own redis-server (scripts/services.sh installs it)"
    out = tmp_path / "floor.json"
    env = dict(os.environ, BENCH_PG=url.rsplit("/", 1)[0] + "/postgres")
    done = subprocess.run(
        [sys.executable, "-m", "bench.floor_load", "--quick", "--no-report", "--out", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=840,
    )
    assert out.exists(), done.stdout[-2000:] + done.stderr[-3000:]
    record = json.loads(out.read_text())
    assert record["errors"] == {}, record["errors"]
    layouts = record["results"]["7"]
    assert set(layouts) == {"one", "two"}
    for layout, shapes in layouts.items():
        for shape, x in shapes.items():
            where = f"{layout} {shape}"
            assert x["sent"] > 0, where
            assert x["chats_per_console"]["max"] <= x["capacity"], where
            assert x["double_assigned"] == 0, where
            assert (x["lost"], x["duplicated"], x["out_of_order_same_sender"]) == (0, 0, 0), (where, x["lost_detail"])
            assert x["delivered"] == x["sent"] == x["acked"], where
            assert (x["seq_mismatch"], x["foreign"], x["errors"]) == (0, 0, 0), (where, x["error_codes"])
            # the chat's whole stream in seq order on every socket, on two processes too: each
            # socket relays in seq order and fills a gap from the database (consumers/heads.py)
            assert x["out_of_order"] == 0, (where, x["out_of_order_examples"])
    assert any(x["cross_process_chats"] for x in layouts["two"].values()), "no chat crossed processes"
    assert done.returncode == 0, done.stdout[-2000:]
