"""Fault-test harness: a fresh PostgreSQL database, a private Redis, a TCP proxy, server processes
(`python -m chatserver.serve`, as deployed).

Everything speaks the outside contract (CONTRACT.md): management commands, HTTP and websocket
frames; the oracle alone reads PostgreSQL directly. Nothing here disturbs the shared services:
each module gets its own database (dropped afterwards) and its own redis-server on a free port.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psycopg

from chatserver.embedded import EMBEDDED_DATABASE_URL
from tests.support import RedisServer, free_port

# The checkout whose server is run (default: this one). Point it at another tree to try a fix.
PROJECT = Path(os.environ.get("FAULTS_PROJECT_DIR") or Path(__file__).resolve().parents[2])
PY = sys.executable
PASSWORD = "Fault-Tests-Pass!9"
PG_ADMIN_URL = os.environ.get("DATABASE_URL", EMBEDDED_DATABASE_URL)
FIGURES_DIR = Path(os.environ.get("FAULTS_FIGURES_DIR", Path(tempfile.gettempdir()) / "clickchat-faults"))


def record_figures(scenario: str, figures: dict, clients: list | None = None) -> None:
    """Print a scenario's figures and keep them as JSON (docs/deploy.md quotes them), with every
    client's log: each client_id it sent with its ack seq, and each entry it rendered."""
    figures = {**figures, "load_average_1m": round(os.getloadavg()[0], 1), "cpus": os.cpu_count()}
    FIGURES_DIR.mkdir(parents=True, exist_ok=True)
    (FIGURES_DIR / f"{scenario}.json").write_text(json.dumps(figures, indent=2, sort_keys=True, default=str))
    if clients is not None:
        log = [
            {
                "client": c.name,
                "kind": c.kind,
                "chat": v.chat_id,
                "sent": [
                    {"client_id": x.client_id, "ack_seq": x.acked_seq, "refused": x.refused} for x in v.sent.values()
                ],
                "rendered": [
                    {"seq": f["seq"], "client_id": f.get("client_id"), "event": f.get("event")} for f in v.rendered
                ],
            }
            for c in clients
            for v in c.views.values()
        ]
        (FIGURES_DIR / f"{scenario}-clients.json").write_text(json.dumps(log))
    print(f"\nFIGURES {scenario}: {json.dumps(figures, sort_keys=True, default=str)}")


# --- PostgreSQL ---------------------------------------------------------------------------------


def _pg_parts(url: str) -> tuple[str, str, int]:
    m = re.match(r"postgres(?:ql)?://([^@/]+)@([^:/]+)(?::(\d+))?/", url)
    if not m:
        raise RuntimeError(f"unexpected DATABASE_URL {url!r}")
    return m.group(1), m.group(2), int(m.group(3) or 5432)


@dataclass
class PgDatabase:
    """A fresh database on the shared PostgreSQL server, dropped by `drop()`."""

    name: str = field(default_factory=lambda: f"faults_{uuid.uuid4().hex[:10]}")

    def __post_init__(self) -> None:
        self.user, self.host, self.port = _pg_parts(PG_ADMIN_URL)

    def url(self, host: str | None = None, port: int | None = None) -> str:
        return f"postgres://{self.user}@{host or self.host}:{port or self.port}/{self.name}"

    def _admin(self) -> psycopg.Connection:
        return psycopg.connect(host=self.host, port=self.port, user=self.user, dbname="postgres", autocommit=True)

    def create(self) -> PgDatabase:
        with self._admin() as conn:
            conn.execute(f'CREATE DATABASE "{self.name}"')
        return self

    def drop(self) -> None:
        with suppress(Exception), self._admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')

    def connect(self) -> psycopg.Connection:
        return psycopg.connect(host=self.host, port=self.port, user=self.user, dbname=self.name, autocommit=True)


# --- Redis --------------------------------------------------------------------------------------


# --- a TCP proxy that can cut PostgreSQL away from the servers -----------------------------------------


class TcpProxy:
    """Forward 127.0.0.1:port to target; `cut()` drops every connection and refuses new ones."""

    def __init__(self, target_host: str, target_port: int):
        self.target = (target_host, target_port)
        self.port = free_port()
        self.up = True
        self.loop = asyncio.new_event_loop()
        self.writers: set[asyncio.StreamWriter] = set()
        self.connections = 0
        self.thread = threading.Thread(target=self._run, daemon=True, name="pg-proxy")
        self._ready = threading.Event()

    def start(self) -> TcpProxy:
        self.thread.start()
        if not self._ready.wait(5):
            raise RuntimeError("proxy did not start")
        return self

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.server = self.loop.run_until_complete(asyncio.start_server(self._client, "127.0.0.1", self.port))
        self._ready.set()
        self.loop.run_forever()

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if not self.up:
            writer.transport.abort()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()
            return
        self.connections += 1
        self.writers.update({writer, up_writer})

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            try:
                while data := await src.read(65536):
                    if not self.up:
                        break
                    dst.write(data)
                    await dst.drain()
            except (OSError, asyncio.IncompleteReadError):
                pass
            finally:
                dst.transport.abort()
                self.writers.discard(dst)

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))

    def _abort_all(self) -> None:
        for w in list(self.writers):
            w.transport.abort()
        self.writers.clear()

    def cut(self) -> None:
        self.up = False
        self.loop.call_soon_threadsafe(self._abort_all)

    def restore(self) -> None:
        self.up = True

    def close(self) -> None:
        self.up = False
        with suppress(RuntimeError):
            self.loop.call_soon_threadsafe(self._abort_all)
            self.loop.call_soon_threadsafe(self.server.close)
            self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


# --- server processes ------------------------------------------------------------------------------


BASE_ENV = {
    "DJANGO_SETTINGS_MODULE": "chatserver.settings",
    "SECRET_KEY": "fault-tests-" + "k" * 50,
    "DEBUG": "1",
    "ALLOWED_HOSTS": "127.0.0.1,localhost",
    "CHAT_HOURS": "Mon-Sun 00:00-24:00",
    "CHAT_TIMERS": "1",
    "CHAT_AGENT_CAPACITY": "10",
    # The scenarios test delivery, not flood control: a scripted client sends faster than a person.
    "CHAT_RATE_BURST": "10000",
    "CHAT_RATE_PER_SECOND": "10000",
    "CHAT_MAX_SOCKETS_PER_USER": "500",
    "CHAT_REQUESTS_PER_USER": "100000",  # the scenarios open many chats per provider at once
    "CHAT_REQUESTS_PER_AGENCY": "100000",
    "CHAT_MAX_OPEN_PER_PROVIDER": "100000",
    "PYTHONUNBUFFERED": "1",
    "LOG_LEVEL": "WARNING",
}


def service_env(db_url: str, redis_url: str, extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CHAT_", "DJANGO_"))}
    env.update(BASE_ENV)
    env.update({"DATABASE_URL": db_url, "REDIS_URL": redis_url})
    env.update(extra or {})
    return env


@dataclass
class Server:
    name: str
    env: dict[str, str]
    workdir: Path
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen | None = None
    args: tuple[str, ...] = ("--ping-interval", "5", "--ping-timeout", "30")  # dead peers found sooner

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_base(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.workdir / f"server-{self.name}-{self.port}.log"

    def start(self) -> Server:
        log = open(self.log_path, "a")  # noqa: SIM115 (the child owns it)
        self.proc = subprocess.Popen(
            # the production server, as the Procfile runs it
            [PY, "-m", "chatserver.serve", "--host", "127.0.0.1", "--port", str(self.port), *self.args],
            cwd=PROJECT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        deadline = time.time() + 40
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server {self.name} exited: {self.log_tail()}")
            with suppress(Exception):
                if httpx.get(self.base + "/healthz", timeout=2).status_code in (200, 503):
                    return self
            time.sleep(0.2)
        raise RuntimeError(f"server {self.name} did not answer /healthz: {self.log_tail()}")

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.alive():
            with suppress(ProcessLookupError):
                os.killpg(self.proc.pid, sig)
            with suppress(subprocess.TimeoutExpired):
                self.proc.wait(10)

    def stop(self) -> None:
        self.kill(signal.SIGTERM)
        if self.alive():
            self.kill(signal.SIGKILL)

    def log_tail(self, n: int = 3000) -> str:
        with suppress(Exception):
            return self.log_path.read_text()[-n:]
        return ""

    def health(self) -> int | None:
        try:
            return httpx.get(self.base + "/healthz", timeout=3).status_code
        except httpx.HTTPError:
            return None


# --- the cluster: database, Redis, two processes, users -------------------------------------------


@dataclass
class Cluster:
    """Everything one test module needs; `close()` stops every process and drops the database."""

    extra_env: dict[str, str] = field(default_factory=dict)
    via_proxy: bool = False
    server_args: tuple[str, ...] = ()  # more arguments for every server (e.g. --workers 2)
    workdir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="faults-")))

    def __post_init__(self) -> None:
        self.db = PgDatabase()
        self.redis = RedisServer()
        self.proxy: TcpProxy | None = None
        self.servers: list[Server] = []
        self.cookies: dict[str, str] = {}
        self.patients = 0  # member ids already used (one open chat per patient and provider)

    def start(self, processes: int = 2) -> Cluster:
        try:
            self.db.create()
            self.redis.start()
            db_url = self.db.url()
            self.manage_env = service_env(db_url, self.redis.url, self.extra_env)
            self.manage("migrate", "--noinput")
            if self.via_proxy:
                self.proxy = TcpProxy(self.db.host, self.db.port).start()
                db_url = self.db.url(host="127.0.0.1", port=self.proxy.port)
            env = service_env(db_url, self.redis.url, self.extra_env)
            names = "ABCDEFGH"
            self.servers = [Server(names[i], env, self.workdir) for i in range(processes)]
            for server in self.servers:
                server.args = (*server.args, *self.server_args)
            with ThreadPoolExecutor(processes) as pool:
                list(pool.map(Server.start, self.servers))
        except BaseException:
            self.close()
            raise
        return self

    @property
    def a(self) -> Server:
        return self.servers[0]

    @property
    def b(self) -> Server:
        return self.servers[1]

    def close(self) -> None:
        for server in self.servers:
            server.stop()
        self.redis.stop()
        if self.proxy:
            self.proxy.close()
        if not os.environ.get("FAULTS_KEEP_DB"):  # keep it to look at a failure; drop it by hand
            self.db.drop()

    def manage(self, *args: str, stdin: str | None = None) -> str:
        done = subprocess.run(
            [PY, "manage.py", *args],
            cwd=PROJECT,
            env=self.manage_env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=120,
        )
        if done.returncode != 0:
            raise RuntimeError(f"manage.py {' '.join(args)} failed: {done.stderr[-2000:]}")
        return done.stdout

    def create_users(self, providers: int, agents: int) -> tuple[list[str], list[str]]:
        """Providers p0.. and agents a0.., created through `manage.py create_chat_user` in parallel."""
        p_names = [f"prov{i}" for i in range(providers)]
        a_names = [f"agent{i}" for i in range(agents)]
        jobs = [
            ("create_chat_user", n, "--role", "provider", "--password-stdin", "--source", "portal")
            + ("--agency", "Fault Home Care", "--locations", "A001")
            for n in p_names
        ] + [("create_chat_user", n, "--role", "agent", "--password-stdin") for n in a_names]
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda args: self.manage(*args, stdin=PASSWORD + "\n"), jobs))
        with ThreadPoolExecutor(8) as pool:
            for name, cookie in zip(p_names + a_names, pool.map(self.login, p_names + a_names), strict=True):
                self.cookies[name] = cookie
        return p_names, a_names

    def login(self, username: str) -> str:
        """A session cookie header for `username` (sessions live in the database: valid everywhere)."""
        with httpx.Client(base_url=self.a.base, timeout=15) as client:
            page = client.get("/login/")
            m = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
            token = m.group(1) if m else client.cookies.get("csrftoken", "")
            r = client.post(
                "/login/",
                data={"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token},
                headers={"Referer": self.a.base + "/login/"},
            )
            assert r.status_code in (200, 302), r.text[:500]
            assert client.cookies.get("sessionid"), f"login of {username} failed"
            return "; ".join(f"{c.name}={c.value}" for c in client.cookies.jar)

    async def open_chats(self, provider_names: list[str], count: int) -> list[tuple[str, str]]:
        """`count` chats spread over the providers, each about its own patient: [(provider, chat_id)]."""
        sem = asyncio.Semaphore(10)
        first, self.patients = self.patients, self.patients + count

        async def one(i: int) -> tuple[str, str]:
            name = provider_names[i % len(provider_names)]
            cookie = self.cookies[name]
            csrf = re.search(r"csrftoken=([^;]+)", cookie)
            body = {
                "transaction_type": "status_inquiry",
                "patient": {
                    "member_id": f"M{first + i:05d}",
                    "first_name": "Ada",
                    "last_name": "Lovelace",
                    "dob": "1945-01-23",
                },
                "location": "A001",
                "reference": f"REF-{i}",
                "question": "Is the authorization approved?",
            }
            async with sem, httpx.AsyncClient(base_url=self.a.base, timeout=20) as client:
                r = await client.post(
                    "/api/chats/",
                    content=json.dumps(body),
                    headers={
                        "Cookie": cookie,
                        "Content-Type": "application/json",
                        "X-CSRFToken": csrf.group(1) if csrf else "",
                        "Referer": self.a.base + "/chat/",
                    },
                )
            assert r.status_code == 201, r.text[:500]
            return name, r.json()["chat_id"]

        return list(await asyncio.gather(*(one(i) for i in range(count))))

    def logs(self) -> str:
        return "\n".join(f"--- {s.name}\n{s.log_tail()}" for s in self.servers)
