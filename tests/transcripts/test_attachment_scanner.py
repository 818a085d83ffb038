"""CHAT_ATTACHMENT_SCANNER: a fake scanner that rejects a marker file; quarantine until a file passes."""

from __future__ import annotations

import io
import logging
import sys

import pytest
from django.core.management import call_command
from django.utils import timezone

from chats.models import Attachment
from chats.outbox import Outbox
from tests.attachment_files import (
    MARKER,
    active_chat,
    pdf_bytes,
    upload,
)
from tests.conftest import logged_in_client
from transcripts.attachments import recheck_waiting

pytestmark = pytest.mark.django_db

FAKE_SCANNER = f"""
import sys
data = open(sys.argv[-1], "rb").read()
sys.exit(1 if {MARKER!r} in data else 0)
"""


@pytest.fixture
def scanner(tmp_path, settings):
    """Point CHAT_ATTACHMENT_SCANNER at a script (exit 0 clean, 1 infected, 2 broken)."""

    def use(source: str) -> None:
        script = tmp_path / "scanner.py"
        script.write_text(source)
        settings.CHAT_ATTACHMENT_SCANNER = f"{sys.executable} {script}"

    return use


def test_a_clean_file_passes_and_can_be_downloaded(provider, agent, scanner):
    scanner(FAKE_SCANNER)
    chat = active_chat(provider, agent)
    body = upload(provider, chat, pdf_bytes(), "order.pdf").json()
    assert body["attachment"]["status"] == "clean" and "message" not in body
    assert logged_in_client(agent).get(body["attachment"]["url"]).status_code == 200


def test_a_file_that_fails_is_quarantined_for_good_and_the_uploader_told(provider, agent, scanner):
    scanner(FAKE_SCANNER)
    chat = active_chat(provider, agent)
    response = upload(provider, chat, pdf_bytes(MARKER), "order.pdf")
    assert response.status_code == 201
    body = response.json()
    assert body["attachment"]["status"] == "rejected" and "malware" in body["message"]
    for user in (agent, provider):
        got = logged_in_client(user).get(body["attachment"]["url"])
        assert got.status_code == 410 and got.json()["error"]["code"] == "quarantined"
    # Quarantined for good: a later check that would pass changes nothing.
    scanner("import sys; sys.exit(0)")
    assert recheck_waiting(now=timezone.now(), outbox=Outbox()) == {"clean": 0, "infected": 0, "unknown": 0}
    assert Attachment.objects.get().state == "rejected"


def test_without_a_verdict_the_file_stays_being_checked_until_it_passes(provider, agent, scanner, caplog):
    scanner("import sys; sys.exit(2)")  # the scanner is broken (e.g. its signatures are missing)
    chat = active_chat(provider, agent)
    with caplog.at_level(logging.INFO):
        body = upload(provider, chat, pdf_bytes(), "Ada Lovelace wound.pdf").json()
    assert body["attachment"]["status"] == "checking" and "being checked" in body["message"]
    got = logged_in_client(agent).get(body["attachment"]["url"])
    assert got.status_code == 409 and got.json()["error"]["code"] == "being_checked"
    assert "Ada Lovelace" not in caplog.text and "wound" not in caplog.text  # file names are PHI
    scanner(FAKE_SCANNER)
    call_command("scan_attachments", stdout=io.StringIO())
    assert logged_in_client(agent).get(body["attachment"]["url"]).status_code == 200


def test_scanning_is_off_by_default(provider, agent, settings):
    assert settings.CHAT_ATTACHMENT_SCANNER == ""
    chat = active_chat(provider, agent)
    assert upload(provider, chat, pdf_bytes(MARKER)).json()["attachment"]["status"] == "clean"


def test_clamd_socket(provider, agent, settings, tmp_path):
    """clamd:/path speaks INSTREAM to a (fake) clamd on a Unix socket."""
    import socket
    import struct
    import threading

    path = str(tmp_path / "clamd.sock")
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen(4)

    def serve():
        for _ in range(2):
            conn, _ = server.accept()
            with conn:
                buffer = b""
                while not buffer.startswith(b"zINSTREAM\0"):
                    buffer += conn.recv(4096)
                buffer = buffer[len(b"zINSTREAM\0") :]
                data = b""
                while True:
                    while len(buffer) < 4:
                        buffer += conn.recv(65536)
                    (size,) = struct.unpack("!L", buffer[:4])
                    buffer = buffer[4:]
                    if size == 0:
                        break
                    while len(buffer) < size:
                        buffer += conn.recv(65536)
                    data, buffer = data + buffer[:size], buffer[size:]
                conn.sendall(b"stream: Eicar-Test-Signature FOUND\0" if MARKER in data else b"stream: OK\0")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    settings.CHAT_ATTACHMENT_SCANNER = f"clamd:{path}"
    chat = active_chat(provider, agent)
    assert upload(provider, chat, pdf_bytes()).json()["attachment"]["status"] == "clean"
    assert upload(provider, chat, pdf_bytes(MARKER)).json()["attachment"]["status"] == "rejected"
    thread.join(timeout=5)
    server.close()
