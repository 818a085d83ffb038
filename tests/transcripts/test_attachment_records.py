"""Attachments in the record: the transcript API and PDF list them; retention deletes files unless on hold."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path

import httpx
import pypdf
import pytest
from asgiref.sync import sync_to_async
from django.test import override_settings
from django.utils import timezone

from chats.models import Attachment, Chat
from chats.outbox import Outbox
from queueing.handoff import close_chat
from tests.attachment_files import (
    active_chat,
    image_bytes,
    pdf_bytes,
    stored_files,
    upload,
)
from tests.conftest import logged_in_client
from transcripts.pdf import render_transcript_pdf
from transcripts.retention import purge_expired

pytestmark = pytest.mark.django_db

PAYLOADS = [
    line for line in (Path(__file__).parent.parent / "security" / "xss_payloads.txt").read_text().splitlines() if line
]


def ended_chat_with_files(provider, agent) -> tuple[Chat, list[dict]]:
    chat = active_chat(provider, agent)
    files = [
        upload(provider, chat, pdf_bytes(), "Authorization 2026.pdf").json(),
        upload(agent, chat, image_bytes("PNG"), "wound photo.png", "image/png").json(),
    ]
    close_chat(agent, chat.public_id, "resolved", now=timezone.now(), outbox=Outbox())
    return Chat.objects.get(pk=chat.pk), files


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(content)).pages)


def test_the_transcript_lists_attachments_in_json_and_pdf(provider, agent, supervisor):
    chat, files = ended_chat_with_files(provider, agent)
    body = logged_in_client(supervisor).get(f"/api/transcripts/{chat.case_number}/").json()
    listed = [e for e in body["entries"] if e["kind"] == "attachment"]
    assert [e["attachment"]["name"] for e in listed] == ["Authorization 2026.pdf", "wound photo.png"]
    assert body["integrity"]["verified"]
    text = pdf_text(render_transcript_pdf(chat)).replace("\n", " ")
    assert "Attachments" in text
    for sent in files:
        assert sent["attachment"]["name"] in text and sent["attachment"]["sha256"][:32] in text.replace(" ", "")
    assert "PDF" in text and "PNG image" in text and f"{files[0]['attachment']['size']:,} bytes" in text


def test_retention_deletes_files_and_names_but_the_chain_still_verifies(
    provider, agent, supervisor, attachment_root, django_capture_on_commit_callbacks
):
    chat, files = ended_chat_with_files(provider, agent)
    Chat.objects.filter(pk=chat.pk).update(closed_at=timezone.now() - timedelta(days=40))
    assert len(stored_files(attachment_root)) == 2
    with override_settings(CHAT_RETENTION_DAYS=30), django_capture_on_commit_callbacks(execute=True):
        report = purge_expired(now=timezone.now(), days=30)
    assert report.purged_chats == 1 and stored_files(attachment_root) == []  # deleted once the purge committed
    assert set(Attachment.objects.values_list("state", "name")) == {("purged", "")}
    body = logged_in_client(supervisor).get(f"/api/transcripts/{chat.case_number}/").json()
    assert body["integrity"]["verified"] and all(e["text"] == "" for e in body["entries"] if e["kind"] == "attachment")
    assert logged_in_client(supervisor).get(files[0]["attachment"]["url"]).status_code == 410
    assert "removed under the retention policy" in pdf_text(render_transcript_pdf(chat))


def test_legal_hold_keeps_the_files(provider, agent, attachment_root, django_capture_on_commit_callbacks):
    chat, _ = ended_chat_with_files(provider, agent)
    Chat.objects.filter(pk=chat.pk).update(closed_at=timezone.now() - timedelta(days=40), legal_hold=True)
    with django_capture_on_commit_callbacks(execute=True):
        report = purge_expired(now=timezone.now(), days=30)
    assert report.held == 1 and len(stored_files(attachment_root)) == 2
    assert set(Attachment.objects.values_list("state", flat=True)) == {"clean"}


@pytest.mark.django_db(transaction=True)
async def test_xss_corpus_as_file_names_through_the_asgi_app(provider, agent, supervisor, settings):
    """Every payload as a file name, sent by httpx as a browser encodes it: stored as text, served safely."""
    from chatserver.asgi import application

    settings.CHAT_MAX_ATTACHMENTS = len(PAYLOADS) + 1
    chat = await sync_to_async(active_chat)(provider, agent)
    cookie = (await sync_to_async(logged_in_client)(provider)).cookies["sessionid"].value
    png = image_bytes("PNG")
    names = []
    transport = httpx.ASGITransport(app=application)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http:
        http.cookies.set("sessionid", cookie)
        await http.get("/chat/")  # the page sets the CSRF cookie; the upload sends it back as X-CSRFToken
        csrf = {"X-CSRFToken": http.cookies["csrftoken"]}
        for payload in PAYLOADS:
            response = await http.post(
                f"/api/chats/{chat.public_id}/attachments/", files={"file": (payload, png, "image/png")}, headers=csrf
            )
            assert response.headers["content-type"] == "application/json"
            if response.status_code == 400:  # a name ending in a path separator: Django sees no file at all
                assert response.json()["error"]["code"] == "invalid_request" and ("/" in payload or "\\" in payload)
                continue
            assert response.status_code == 201, (payload, response.text)
            name = response.json()["attachment"]["name"]
            assert name.endswith(".png") and not set(name) & set('/\\<>"\r\n\x00') and len(name) <= 120
            names.append(name)
        for sent in (await sync_to_async(list)(Attachment.objects.filter(chat=chat)))[:40]:
            got = await http.get(f"/api/attachments/{sent.public_id}/")
            assert got.status_code == 200 and got.headers["x-content-type-options"] == "nosniff"
            disposition = got.headers["content-disposition"]
            assert disposition.startswith("attachment;") and "\r" not in disposition and "\n" not in disposition
            assert got.headers["content-security-policy"] == "default-src 'none'; sandbox"
    await sync_to_async(close_chat)(agent, chat.public_id, "resolved", now=timezone.now(), outbox=Outbox())
    chat = await sync_to_async(Chat.objects.select_related("provider", "agency", "location", "agent").get)(pk=chat.pk)
    text = pdf_text(await sync_to_async(render_transcript_pdf)(chat))
    assert "Attachments" in text and len(names) > len(PAYLOADS) * 0.9
