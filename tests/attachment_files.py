"""Files and fixtures for the attachment tests: real PDF/PNG/JPEG/HEIC/TIFF bytes, a private storage root."""

from __future__ import annotations

import io
import uuid

import pillow_heif
import pytest
from django.utils import timezone
from PIL import Image

from accounts.models import User
from chats.models import Chat
from chats.outbox import Outbox
from queueing.assignment import accept_chat
from tests.conftest import logged_in_client, open_chat_for

pillow_heif.register_heif_opener()

GPS_IFD = 0x8825
MAKE = 0x010F
MARKER = b"CLICKCHAT-TEST-MALWARE-MARKER"


def pdf_bytes(extra: bytes = b"") -> bytes:
    """A small valid PDF (reportlab), optionally with a comment carrying `extra` (the scanner's marker)."""
    from reportlab.pdfgen.canvas import Canvas

    buffer = io.BytesIO()
    canvas = Canvas(buffer)
    canvas.drawString(72, 720, "Order for oxygen")
    canvas.save()
    data = buffer.getvalue()
    return data.replace(b"\n", b"\n%" + extra + b"\n", 1) if extra else data


def image_bytes(fmt: str, size: tuple[int, int] = (64, 48), gps: bool = False, mode: str = "RGB") -> bytes:
    image = Image.new(mode, size, "red" if mode == "RGB" else 0)
    kwargs: dict = {}
    if gps:
        exif = Image.Exif()
        exif[MAKE] = "PhoneCam"
        exif[GPS_IFD] = {1: "N", 2: (40.0, 44.0, 54.36), 3: "W", 4: (73.0, 59.0, 8.5)}
        kwargs["exif"] = exif.tobytes()
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **kwargs)
    return buffer.getvalue()


ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 200  # an executable, named like a PDF in the tests


@pytest.fixture(autouse=True)
def attachment_root(settings, tmp_path):
    """Every test stores files under its own empty directory."""
    root = tmp_path / "attachments"
    settings.STORAGES = {
        **settings.STORAGES,
        "attachments": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(root)}},
    }
    settings.CHAT_ATTACHMENT_SCANNER = ""
    return root


def stored_files(root) -> list:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def active_chat(provider: User, agent: User, **body) -> Chat:
    """A chat the provider requested and the agent accepted (through the real domain functions)."""
    reply = open_chat_for(provider, **body)
    accept_chat(agent, uuid.UUID(reply["chat_id"]), now=timezone.now(), outbox=Outbox())
    return Chat.objects.get(public_id=reply["chat_id"])


def upload(user: User, chat: Chat | str, data: bytes, name: str = "file.pdf", content_type: str = "application/pdf"):
    """POST the file as a browser would (multipart, field `file`); the response."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    chat_id = chat if isinstance(chat, str) else str(chat.public_id)
    return logged_in_client(user).post(
        f"/api/chats/{chat_id}/attachments/", {"file": SimpleUploadedFile(name, data, content_type=content_type)}
    )
