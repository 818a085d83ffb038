"""Helpers shared by the tests and the benchmarks (`bench/` imports this module too): a free TCP
port, a private redis-server, and starting/stopping a server process (the browser and IdP tests'
servers). Plain Python, no Django, so a benchmark can import it."""

from __future__ import annotations

import signal
import socket
import subprocess
import time
import urllib.request
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class RedisServer:
    """A private redis-server on a free port (never the shared one), without persistence: stop and
    start it at will (the fault tests cut Redis away; the benchmarks keep others' traffic off theirs)."""

    port: int = field(default_factory=free_port)
    proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with suppress(OSError), socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                s.sendall(b"PING\r\n")
                if s.recv(16).startswith(b"+PONG"):
                    return self
            time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self, sig: int = signal.SIGKILL) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            with suppress(subprocess.TimeoutExpired):
                self.proc.wait(5)

    def version(self) -> str:
        out = subprocess.run(["redis-server", "--version"], capture_output=True, text=True).stdout
        return out.split("v=")[1].split()[0] if "v=" in out else out.strip()


def log_tail(path: Path, n: int = 3000) -> str:
    with suppress(OSError):
        return path.read_text()[-n:]
    return ""


def start_server(
    args: list[str], *, cwd: Path, env: dict[str, str], log_path: Path, ready_url: str, what: str, timeout: float = 40
) -> subprocess.Popen:
    """Start a server process (its own session, its output in `log_path`); return once `ready_url`
    answers 2xx. Raises with the log's tail if it exits first or stays silent for `timeout` s."""
    with open(log_path, "w") as log:  # the child keeps its own copy of the descriptor
        proc = subprocess.Popen(args, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited: {log_tail(log_path)}")
        with suppress(Exception), urllib.request.urlopen(ready_url, timeout=2):  # noqa: S310 - our own 127.0.0.1
            return proc
        time.sleep(0.25)
    stop_server(proc)
    raise RuntimeError(f"{what} did not answer {ready_url}: {log_tail(log_path)}")


def stop_server(proc: subprocess.Popen | None) -> None:
    """SIGTERM, up to 10 s to exit, then SIGKILL."""
    if proc and proc.poll() is None:
        proc.terminate()
        with suppress(subprocess.TimeoutExpired):
            proc.wait(10)
        if proc.poll() is None:
            proc.kill()
