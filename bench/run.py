"""Run the benchmark suite: `python -m bench.run [--quick] [--scenarios 1,2,...] [--profile]`.

Every scenario runs against our server and, at the same offered load, against the peers in
bench/peers (F1 bare relay, F3 relay + INSERT, N0 Channels tutorial). Raw figures go to
bench/results/<stamp>.json and the tables into docs/benchmarks.md (between its markers).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import subprocess
import sys
import time
import traceback
from contextlib import suppress
from importlib import metadata
from pathlib import Path

import psycopg

from bench import floor_load, servers
from bench import scenarios as sc
from bench.report import write_report
from bench.servers import (
    LOGDIR,
    NCPU,
    OUR_SERVERS,
    OURS_DB,
    PEERS_DB,
    PG_ADMIN,
    PY,
    ROOT,
    SERVER_CPUS,
    Redis,
    ours_prepare,
    ours_server,
    peer_server,
    peers_prepare,
    pin_generator,
    raise_nofile,
)

RESULTS = ROOT / "bench" / "results"

SIZES = {
    "quick": {
        "s1_count": 200,
        "s2_sizes": [20, 50],
        "s2_duration": 15,
        "s3_chats": 40,
        "s3_steps": [10, 25, 50, 100, 200, 400, 600, 800, 1000, 1200, 1600, 2000, 3000],
        "s3_step_seconds": 5,
        "s4_sockets": 300,
        "s4_storm": 150,
        "s4_idle": 5,
        "s5_agents": [5, 10],
        "s5_chats": 60,
        "s5_rate": 20,
        "s5_steady_rate": 5,
        "s6_watchers": 200,
        "s6_trials": 5,
        "providers": 4,
        "agents": 20,
        "s7": floor_load.SIZES["quick"],
    },
    "full": {  # the sizes
        "s1_count": 1000,
        "s2_sizes": [100, 500, 1000],
        "s2_duration": 60,
        "s3_chats": 200,
        "s3_steps": [10, 25, 50, 100, 250, 500, 1000, 1500, 2000, 2500, 3000, 4000, 5000],
        "s3_step_seconds": 10,
        "s4_sockets": 10000,
        "s4_storm": 2000,
        "s4_idle": 10,
        "s5_agents": [10, 50, 200],
        "s5_chats": 300,
        "s5_rate": 50,
        "s5_steady_rate": 10,
        "s6_watchers": 1000,
        "s6_trials": 10,
        "providers": 50,
        "agents": 334,  # 1,000 chats at 3 per agent console
        "s7": floor_load.SIZES["full"],
    },
}

TARGETS = {
    1: ["ours", "ours-2p", "ours-daphne", "F1", "F3", "N0"],
    2: ["ours", "ours-2p", "ours-daphne", "F1", "F3", "N0"],
    3: ["ours", "ours-2p", "ours-daphne", "F1", "F3", "N0"],
    4: ["ours", "ours-2p", "ours-daphne", "F1", "N0"],
    5: ["ours", "ours-2p"],
    6: ["ours", "ours-2p", "ours-daphne", "F1", "N0"],
    floor_load.NUMBER: floor_load.TARGETS,  # its own servers: one process, two behind Redis
}


def versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for pkg in (
        "Django",
        "channels",
        "daphne",
        "uvicorn",
        "channels-redis",
        "redis",
        "websockets",
        "psycopg",
        "uvloop",
        "psutil",
        "twisted",
    ):
        with suppress(metadata.PackageNotFoundError):
            out[pkg] = metadata.version(pkg)
    with suppress(Exception), psycopg.connect(PG_ADMIN) as conn:
        out["postgresql"] = conn.execute("SHOW server_version").fetchone()[0]
    with suppress(Exception):
        out["git"] = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "chats", "consumers", "queueing", "chatserver", "routing"],
            cwd=ROOT,
            capture_output=True,
            text=True,
        ).stdout.strip()
        out["server_code_dirty"] = "yes" if dirty else "no"
    return out


def _snapshot_note(path: Path) -> str:
    note = path / "BENCH-SNAPSHOT"
    return note.read_text().strip() if note.exists() else "working tree"


def machine() -> dict[str, str]:
    model = ""
    with suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    load = os.getloadavg() if hasattr(os, "getloadavg") else (0, 0, 0)
    return {
        "nproc": str(NCPU),
        "cpu": model,
        "kernel": platform.release(),
        "loadavg_at_start": " ".join(f"{x:.2f}" for x in load),
        "server_cpus": SERVER_CPUS or "any",
        "taskset": "yes" if shutil.which("taskset") and SERVER_CPUS else "no",
    }


async def run_one(num: int, target_name: str, size: dict, redis, profile: bool) -> dict:
    if num == floor_load.NUMBER:
        return await floor_load.run_target(target_name, size["s7"], redis.url)
    ours = target_name in OUR_SERVERS
    proc = ours_server(redis.url, target_name) if ours else peer_server(target_name, redis.url)
    CONN_MAX.clear()
    proc.start()
    target = sc.Target(
        target_name, proc, [f"bp{i}" for i in range(size["providers"])], [f"ba{i}" for i in range(size["agents"])]
    )
    spies: list[subprocess.Popen] = []
    if profile and num in PROFILED and target_name == "ours" and (Path(PY).parent / "py-spy").exists():
        if num in (3, 4, 6):  # from the first throughput step, trial or idle window, not the set-up
            seconds = int(size["s4_idle"]) if num == 4 else None  # scenario 4: the idle window, not the storm
            target.on_load = lambda: spies.append(start_profile(proc.proc.pid, num, seconds))
            if num == 4:  # the storm in a file of its own: resumes, not idle pings
                target.on_storm = lambda: spies.append(start_profile(proc.proc.pid, STORM))
        else:
            spies.append(start_profile(proc.proc.pid, num))
    db = OURS_DB if ours else PEERS_DB
    watch = asyncio.get_running_loop().create_task(watch_connections(db))
    try:
        return {**(await scenario(num, target, size)), "pg_connections_max": watch_max(watch)}
    finally:
        watch.cancel()
        for spy in spies:
            spy.send_signal(2)
            with suppress(subprocess.TimeoutExpired):
                spy.wait(60)
        proc.stop()


async def watch_connections(db: str) -> int:
    """The most PostgreSQL connections the target held at once (sampled every 0.5 s)."""
    top = 0
    try:
        while True:
            with suppress(Exception):
                n = await asyncio.to_thread(_count_connections, db)
                top = max(top, n)
                CONN_MAX[db] = top
            await asyncio.sleep(0.5)
    except asyncio.CancelledError:
        return top


CONN_MAX: dict[str, int] = {}


def watch_max(task: asyncio.Task) -> int:
    """The running maximum (the task keeps sampling until cancelled)."""
    return max(CONN_MAX.values(), default=0)


def _count_connections(db: str) -> int:
    with psycopg.connect(PG_ADMIN) as conn:
        return conn.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s", (db,)).fetchone()[0]


async def scenario(num: int, target: sc.Target, size: dict) -> dict:
    if num == 1:
        return await sc.s1_single(target, size["s1_count"])
    if num == 2:
        return await sc.s2_human(target, size["s2_sizes"], size["s2_duration"])
    if num == 3:
        return await sc.s3_throughput(target, size["s3_chats"], size["s3_steps"], size["s3_step_seconds"])
    if num == 4:
        return await sc.s4_idle(target, size["s4_sockets"], size["s4_storm"], size["s4_idle"])
    if num == 5:
        return await sc.s5_claims(
            target, size["s5_agents"], size["s5_chats"], size["s5_rate"], size.get("s5_steady_rate")
        )
    if num == 6:
        return await sc.s6_fanout(target, size["s6_watchers"], size["s6_trials"])
    raise ValueError(num)


PROFILED = (3, 4, 5, 6)  # the scenarios `--profile` records ours in
STORM = "4-storm"  # scenario 4's reconnect storm, profiled apart from its idle window
PROFILE_RATES = {4: 1000, 6: 1000}  # samples a second: scenario 6's trials are short bursts, 4's idle CPU is a few %
PROFILE_STAMP = time.strftime("%Y%m%d-%H%M%S")


def profile_out(num: int | str) -> Path:
    return RESULTS / f"profile-s{num}-ours-{PROFILE_STAMP}.txt"


def start_profile(pid: int, num: int | str, seconds: int | None = None) -> subprocess.Popen:
    """py-spy on the server, for `seconds` or until it exits."""
    spy = str(Path(PY).parent / "py-spy")
    return subprocess.Popen(
        [
            spy,
            "record",
            "-p",
            str(pid),
            "-r",
            str(PROFILE_RATES.get(num, 100)),
            "--format",
            "raw",
            "-o",
            str(profile_out(num)),
            "--nonblocking",
            "--threads",
            *(["--duration", str(seconds)] if seconds else []),
        ],
        stdout=subprocess.DEVNULL,
        stderr=open(LOGDIR / "py-spy.log", "w"),
    )


async def main_async(args) -> int:
    size_name = "quick" if args.quick else "full"
    size = SIZES[size_name]
    nums = [int(x) for x in args.scenarios.split(",")] if args.scenarios else [1, 2, 3, 4, 5, 6, 7]
    if args.server_dir:
        servers.SERVER_DIR = Path(args.server_dir).resolve()
    pinned = pin_generator()
    raise_nofile()
    redis = Redis().start()
    record = {
        "command": " ".join(["python -m bench.run", *sys.argv[1:]]),
        "size": size_name,
        "sizes": size,
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {**machine(), "generator_cpus": pinned},
        "versions": {**versions(), "redis-server": redis.version()},
        "server_dir": str(servers.SERVER_DIR),
        "server_snapshot": _snapshot_note(servers.SERVER_DIR),
        "results": {},
        "errors": {},
    }
    print(f"logs: {LOGDIR}", flush=True)
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"{time.strftime('%Y%m%d-%H%M%S')}-{size_name}.json"

    def save() -> None:  # after every target, so an interrupted run keeps what it measured
        out.write_text(json.dumps(record, indent=1))

    try:
        print("preparing databases and accounts…", flush=True)
        ours_prepare(redis.url, size["providers"], size["agents"])
        peers_prepare(redis.url)
        for num in nums:
            for name in TARGETS[num]:
                if args.only and name not in args.only.split(","):
                    continue
                print(f"scenario {num}: {name}…", flush=True)
                t = time.monotonic()
                try:
                    res = await run_one(num, name, size, redis, args.profile)
                    record["results"].setdefault(str(num), {})[name] = res
                except Exception as exc:
                    traceback.print_exc()
                    record["errors"][f"{num}/{name}"] = f"{type(exc).__name__}: {exc}"[:500]
                print(f"  done in {time.monotonic() - t:.0f}s", flush=True)
                save()
    finally:
        redis.stop()
    record["finished"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    if args.profile:
        from bench.profile import summarize

        for num in (*PROFILED, STORM):
            if profile_out(num).exists():
                record[f"profile_s{num}_ours"] = summarize(profile_out(num))
    save()
    print(f"raw results: {out.relative_to(ROOT)}")
    if not args.no_report:
        write_report(record, out)
        print("tables: docs/benchmarks.md")
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="reduced sizes (the issue's sizes otherwise)")
    parser.add_argument("--scenarios", default="", help="comma-separated, e.g. 1,3 (default: all)")
    parser.add_argument("--only", default="", help="targets to run, e.g. ours,N0 (default: all)")
    parser.add_argument("--profile", action="store_true", help="py-spy our server during scenarios 3, 5 and 6")
    parser.add_argument(
        "--server-dir", default="", help="measure the server in this directory (default: this checkout)"
    )
    parser.add_argument("--no-report", action="store_true", help="write the JSON only")
    args = parser.parse_args()
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    sys.exit(asyncio.run(main_async(args)))


if __name__ == "__main__":
    main()
