"""Starting and watching the servers under test: ours (Daphne), the peers, a private Redis.

Every server runs pinned to SERVER_CPUS with `taskset` (when there is more than one core) and the
generator pins itself to the others, so the two do not share a core.
"""

from __future__ import annotations

import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

import httpx
import psutil
import psycopg

from tests.support import RedisServer, free_port

ROOT = Path(__file__).resolve().parent.parent
PY = str(ROOT / ".venv" / "bin" / "python") if (ROOT / ".venv" / "bin" / "python").exists() else sys.executable
SERVER_DIR = ROOT  # the checkout whose server is measured (run.py --server-dir changes it)
PG_ADMIN = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432/postgres")
NCPU = os.cpu_count() or 1
SERVER_CPUS = "0" if NCPU > 1 else ""
GENERATOR_CPUS = set(range(1, NCPU)) if NCPU > 1 else {0}
PASSWORD = "Bench-Pass-0123!"
LOGDIR = Path(tempfile.mkdtemp(prefix="bench-logs-"))


def pin_generator() -> str:
    if NCPU > 1 and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, GENERATOR_CPUS)
    return ",".join(map(str, sorted(os.sched_getaffinity(0)))) if hasattr(os, "sched_getaffinity") else "any"


def raise_nofile() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    with suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def pg_url(db: str) -> str:
    return PG_ADMIN.rsplit("/", 1)[0] + "/" + db


def pg_admin(*sql: str) -> None:
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        for statement in sql:
            conn.execute(statement)


def pg_recreate(db: str, template: str | None = None) -> None:
    pg_admin(
        f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{db}' AND pid <> pg_backend_pid()",
        f"DROP DATABASE IF EXISTS {db}",
        f"CREATE DATABASE {db}" + (f" TEMPLATE {template}" if template else ""),
    )


class Redis(RedisServer):
    """The run's private redis-server (other engineers' tests share the default one); the shared
    one on 6379 where redis-server is not installed."""

    def start(self) -> Redis:
        if not shutil.which("redis-server"):
            self.port = 6379
            return self
        super().start()
        return self


def wait_port(port: int, timeout: float) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        with suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listening on {port}")


def _preexec() -> None:
    raise_nofile()
    os.setsid()


@dataclass
class Proc:
    """One server process under test, pinned, with its CPU and RSS watched through psutil."""

    name: str
    argv: list[str]
    env: dict[str, str]
    cwd: Path
    port: int
    health: str | None = None  # an HTTP path that answers when ready, else the port is enough
    proc: subprocess.Popen | None = None
    cpus: str | None = None  # taskset's CPU list; None: SERVER_CPUS (one core)

    def start(self, timeout: float = 60) -> Proc:
        cpus = SERVER_CPUS if self.cpus is None else self.cpus
        argv = (["taskset", "-c", cpus] if cpus and shutil.which("taskset") else []) + self.argv
        self.log = open(LOGDIR / f"{self.name}-{self.port}.log", "w")  # noqa: SIM115
        self.proc = subprocess.Popen(
            argv, cwd=self.cwd, env=self.env, stdout=self.log, stderr=subprocess.STDOUT, preexec_fn=_preexec
        )
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited: {self.log_tail()}")
            with suppress(Exception):
                if self.health:
                    if httpx.get(f"http://127.0.0.1:{self.port}{self.health}", timeout=2).status_code == 200:
                        break
                else:
                    wait_port(self.port, 0.2)
                    break
            time.sleep(0.2)
        else:
            raise RuntimeError(f"{self.name} did not start: {self.log_tail()}")
        self.ps = psutil.Process(self.proc.pid)
        return self

    def log_tail(self, n: int = 3000) -> str:
        with suppress(Exception):
            return (LOGDIR / f"{self.name}-{self.port}.log").read_text()[-n:]
        return ""

    def procs(self) -> list[psutil.Process]:
        with suppress(psutil.Error):
            return [self.ps, *self.ps.children(recursive=True)]
        return []

    def cpu_seconds(self) -> float:
        total = 0.0
        for p in self.procs():
            with suppress(psutil.Error):
                t = p.cpu_times()
                total += t.user + t.system
        return total

    def rss(self) -> int:
        total = 0
        for p in self.procs():
            with suppress(psutil.Error):
                total += p.memory_info().rss
        return total

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            with suppress(ProcessLookupError):
                os.killpg(self.proc.pid, 15)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, 9)
                self.proc.wait(5)
        with suppress(Exception):
            self.log.close()


class CpuWindow:
    """Server CPU (% of one core) and RSS over a measurement window."""

    def __init__(self, proc: Proc):
        self.proc = proc
        self.t0, self.c0 = time.monotonic(), proc.cpu_seconds()

    def result(self) -> dict[str, float]:
        dt = max(time.monotonic() - self.t0, 1e-6)
        return {
            "cpu_pct": round(100 * (self.proc.cpu_seconds() - self.c0) / dt, 1),
            "rss_mib": round(self.proc.rss() / 2**20, 1),
        }


# --- ours ------------------------------------------------------------------------------------

OURS_DB, OURS_TEMPLATE = "bench_clickchat", "bench_clickchat_tmpl"


def ours_env(port: int, redis_url: str, db: str = OURS_DB, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL")}
    env.update(
        {
            "DATABASE_URL": pg_url(db),
            "REDIS_URL": redis_url,
            "SECRET_KEY": "bench-only-secret-" + "x" * 40,
            # Production settings (DEBUG off: no query logging), minus TLS, which the loopback bench lacks.
            "DEBUG": "0",
            "SECURE_COOKIES": "0",
            "SECURE_SSL_REDIRECT": "0",
            "SECURE_HSTS_SECONDS": "0",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "CSRF_TRUSTED_ORIGINS": f"http://127.0.0.1:{port}",
            "CHAT_HOURS": "Mon-Sun 00:00-24:00",
            "CHAT_RATE_BURST": "100000",  # the generator, not the per-socket limiter, sets the pace
            "CHAT_RATE_PER_SECOND": "100000",
            "CHAT_IDLE_WARNINGS": "36000,37000",
            "CHAT_IDLE_DISCONNECT": "38000",
            "CHAT_OFFER_TIMEOUT": "36000",
            "CHAT_AGENT_CAPACITY": "100000",
            "CHAT_MAX_SOCKETS_PER_USER": "100000",  # scenario 4 opens thousands of sockets per account
            "CHAT_REQUESTS_PER_USER": "100000",  # the scenarios open hundreds of chats per provider at once
            "CHAT_REQUESTS_PER_AGENCY": "100000",
            "CHAT_MAX_OPEN_PER_PROVIDER": "100000",
            "LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(extra)
    return env


def ours_manage(env: dict[str, str], *args: str, stdin: str | None = None) -> str:
    done = subprocess.run(
        [PY, "manage.py", *args], cwd=SERVER_DIR, env=env, input=stdin, capture_output=True, text=True, timeout=900
    )
    if done.returncode != 0:
        raise RuntimeError(f"manage.py {args[0]} failed: {done.stderr[-2000:]}")
    return done.stdout


def ours_prepare(redis_url: str, providers: int, agents: int) -> None:
    """Migrate a template database and create the accounts through `create_chat_user`."""
    prepare_template(redis_url, OURS_TEMPLATE, providers, agents, prefix="b")


def prepare_template(redis_url: str, template: str, providers: int, agents: int, *, prefix: str) -> None:
    """Migrate `template`, collect static files, create `<prefix>p<i>` providers and `<prefix>a<i>` agents."""
    pg_recreate(template)
    env = ours_env(0, redis_url, template)
    ours_manage(env, "migrate", "--noinput")
    ours_manage(env, "collectstatic", "--noinput")  # DEBUG off serves hashed static names
    # One process calls the real management command for every account (a process each is slow).
    script = (
        "import io, sys\n"
        "from django.core.management import call_command\n"
        f"P = {PASSWORD!r}\n"
        "def make(name, *args):\n"
        "    sys.stdin = io.StringIO(P + '\\n')\n"
        "    call_command('create_chat_user', name, *args, '--password-stdin')\n"
        f"for i in range({providers}):\n"
        f"    make(f'{prefix}p{{i}}', '--role', 'provider', '--source', 'portal',"
        " '--agency', 'Bench', '--locations', 'A001')\n"
        f"for i in range({agents}):\n"
        f"    make(f'{prefix}a{{i}}', '--role', 'agent')\n"
    )
    ours_manage(env, "shell", "-c", script)


# The same app under two servers: "ours" as deployed (the Procfile's `python -m chatserver.serve`,
# Uvicorn) and "ours-daphne" (Daphne, the supported alternative), each one process on one core;
# "ours-2p" is the two-process deployment (`chatserver.serve --workers 2`, SO_REUSEPORT, behind
# Redis) on both cores, which it shares with the generator (pinned to the second core).
OUR_SERVERS = ("ours", "ours-daphne", "ours-2p")
ALL_CPUS = ",".join(str(i) for i in range(NCPU)) if NCPU > 1 else ""


def ours_server(redis_url: str, name: str = "ours", **extra: str) -> Proc:
    pg_recreate(OURS_DB, OURS_TEMPLATE)
    port = free_port()
    if name == "ours-daphne":
        argv = [PY, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "chatserver.asgi:application"]
    else:
        argv = [PY, "-m", "chatserver.serve", "--host", "127.0.0.1", "--port", str(port)]
    if name == "ours-2p":
        argv += ["--workers", "2"]
    cpus = ALL_CPUS if name == "ours-2p" else None
    return Proc(name, argv, ours_env(port, redis_url, **extra), SERVER_DIR, port, health="/healthz", cpus=cpus)


# --- peers -----------------------------------------------------------------------------------

PEERS_DB = "bench_peers"
N0_DIR = ROOT / "bench" / "peers" / "n0"


def peers_prepare(redis_url: str) -> None:
    pg_recreate(PEERS_DB)
    env = dict(os.environ, DATABASE_URL=pg_url(PEERS_DB), REDIS_URL=redis_url)
    done = subprocess.run(
        [PY, "manage.py", "migrate", "--noinput"], cwd=N0_DIR, env=env, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise RuntimeError(f"N0 migrate failed: {done.stderr[-2000:]}")


def peer_server(name: str, redis_url: str) -> Proc:
    port = free_port()
    env = dict(os.environ, PYTHONUNBUFFERED="1", PYTHONPATH=str(ROOT))
    if name == "F1":
        return Proc(name, [PY, "-m", "bench.peers.f1", "--port", str(port)], env, ROOT, port)
    if name == "F3":
        argv = [PY, "-m", "bench.peers.f3", "--port", str(port), "--dsn", pg_url(PEERS_DB)]
        return Proc(name, argv, env, ROOT, port)
    if name == "N0":
        env.update(DATABASE_URL=pg_url(PEERS_DB), REDIS_URL=redis_url, PYTHONPATH=str(N0_DIR))
        argv = [PY, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "n0proj.asgi:application"]
        return Proc(name, argv, env, N0_DIR, port)
    raise ValueError(name)
