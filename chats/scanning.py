"""The malware check of a new attachment (CHAT_ATTACHMENT_SCANNER): a command, or clamd's socket.

A command gets the path of a private temporary copy of the file as its last argument (never the
uploader's file name) and answers by exit status: 0 clean, 1 infected (ClamAV's `clamscan` and
`clamdscan` use the same codes), anything else or a timeout: no verdict, try again later.
`clamd:/path/to/clamd.sock` streams the bytes to clamd with its INSTREAM command. That protocol
is a dozen lines; the PyPI `clamd` client has had no release since 2017, so it is written here.
"""

from __future__ import annotations

import enum
import logging
import shlex
import socket
import struct
import subprocess
import tempfile

log = logging.getLogger(__name__)

CLAMD_PREFIX = "clamd:"
CHUNK = 64 * 1024


class Verdict(enum.StrEnum):
    CLEAN = "clean"
    INFECTED = "infected"
    UNKNOWN = "unknown"  # the scanner failed or timed out: the file stays quarantined, checked again later


def scan_bytes(data: bytes, scanner: str, *, timeout: float) -> Verdict:
    """Run `scanner` over `data`. Never raises: a broken scanner is a missing verdict, logged (no file name)."""
    try:
        if scanner.startswith(CLAMD_PREFIX):
            return clamd_instream(scanner[len(CLAMD_PREFIX) :], data, timeout=timeout)
        return run_command(shlex.split(scanner), data, timeout=timeout)
    except (OSError, ValueError, subprocess.SubprocessError) as exc:
        log.warning("attachment scanner failed: %s", type(exc).__name__)
        return Verdict.UNKNOWN


def run_command(argv: list[str], data: bytes, *, timeout: float) -> Verdict:
    with tempfile.NamedTemporaryFile(prefix="clickchat-scan-", suffix=".bin") as copy:
        copy.write(data)
        copy.flush()
        result = subprocess.run(  # noqa: S603 (the operator's configured command, no shell)
            [*argv, copy.name], capture_output=True, timeout=timeout, check=False
        )
    if result.returncode == 0:
        return Verdict.CLEAN
    if result.returncode == 1:
        return Verdict.INFECTED
    log.warning("attachment scanner exited with status %s", result.returncode)
    return Verdict.UNKNOWN


def clamd_instream(path: str, data: bytes, *, timeout: float) -> Verdict:
    """clamd's INSTREAM: length-prefixed chunks, a zero length, then `stream: OK` or `stream: <name> FOUND`."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout)
        sock.connect(path)
        sock.sendall(b"zINSTREAM\0")
        for start in range(0, len(data), CHUNK):
            chunk = data[start : start + CHUNK]
            sock.sendall(struct.pack("!L", len(chunk)) + chunk)
        sock.sendall(struct.pack("!L", 0))
        reply = b""
        while not reply.endswith(b"\0"):
            part = sock.recv(4096)
            if not part:
                break
            reply += part
    answer = reply.rstrip(b"\0").decode("ascii", "replace").strip()
    if answer.endswith(" OK"):
        return Verdict.CLEAN
    if answer.endswith(" FOUND"):
        return Verdict.INFECTED
    log.warning("clamd gave no verdict")  # e.g. "INSTREAM size limit exceeded. ERROR"
    return Verdict.UNKNOWN
