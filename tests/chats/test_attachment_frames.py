"""The attachment event frame: broadcast to the other side when a file is stored, replayed on resume and sync."""

from __future__ import annotations

import sys

import httpx
import pytest
from asgiref.sync import sync_to_async

from tests.attachment_files import (
    MARKER,
    active_chat,
    image_bytes,
    pdf_bytes,
)
from tests.conftest import connect, logged_in_client

pytestmark = pytest.mark.django_db(transaction=True)


async def http_as(user) -> httpx.AsyncClient:
    """An httpx client on the real ASGI app with the user's session and CSRF cookies, as a page has them."""
    from chatserver.asgi import application

    client = await sync_to_async(logged_in_client)(user)
    transport = httpx.ASGITransport(app=application)
    cookies = {"sessionid": client.cookies["sessionid"].value}
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1", cookies=cookies) as first:
        await first.get("/chat/" if user.role == "provider" else "/agent/")
        cookies["csrftoken"] = first.cookies["csrftoken"]
    return httpx.AsyncClient(
        transport=transport, base_url="http://127.0.0.1", cookies=cookies, headers={"X-CSRFToken": cookies["csrftoken"]}
    )


async def test_the_other_side_receives_the_attachment_frame_and_resume_replays_it(provider, agent):
    chat = await sync_to_async(active_chat)(provider, agent)
    ws_url = f"/ws/chat/{chat.public_id}/"
    p, accepted, _ = await connect(provider, ws_url)
    a, _, _ = await connect(agent, "/ws/agent/")
    assert accepted
    await p.type_("chat.state")
    await a.type_("agent.state")

    http = await http_as(agent)
    async with http:
        response = await http.post(
            f"/api/chats/{chat.public_id}/attachments/",
            files={"file": ("Authorization.png", image_bytes("PNG"), "image/png")},
        )
    assert response.status_code == 201, response.text
    sent = response.json()
    frame = await p.type_("event", event="attachment")
    assert frame["seq"] == sent["seq"] and frame["sender_role"] == "agent" and frame["sender"] == "Ana Tester"
    assert frame["attachment"] == sent["attachment"]
    assert frame["attachment"]["name"] == "Authorization.png" and frame["attachment"]["status"] == "clean"
    # `text` is what pages that know nothing of files show
    assert frame["text"].startswith("Ana Tester attached Authorization.png (PNG image, ")
    own = await a.type_("event", event="attachment")
    assert own["chat_id"] == str(chat.public_id) and own["seq"] == sent["seq"]
    await p.close()

    # A provider who missed it gets it on resume (?after) and on sync, from the database.
    again, _, _ = await connect(provider, f"{ws_url}?after={sent['seq'] - 1}")
    replayed = await again.type_("event", event="attachment")
    assert replayed["seq"] == sent["seq"] and replayed["attachment"]["id"] == sent["attachment"]["id"]
    await again.send({"type": "sync", "after": sent["seq"] - 1})
    assert (await again.type_("event", event="attachment"))["attachment"]["sha256"] == sent["attachment"]["sha256"]
    await again.close()
    await a.close()


async def test_the_chat_sees_a_file_being_checked_then_its_verdict(provider, agent, settings, tmp_path):
    script = tmp_path / "scanner.py"
    script.write_text(f"import sys\nsys.exit(1 if {MARKER!r} in open(sys.argv[-1], 'rb').read() else 0)\n")
    settings.CHAT_ATTACHMENT_SCANNER = f"{sys.executable} {script}"
    chat = await sync_to_async(active_chat)(provider, agent)
    a, _, _ = await connect(agent, "/ws/agent/")
    await a.type_("agent.state")
    http = await http_as(provider)
    async with http:
        bad = await http.post(
            f"/api/chats/{chat.public_id}/attachments/", files={"file": ("order.pdf", pdf_bytes(MARKER))}
        )
    assert bad.json()["attachment"]["status"] == "rejected"
    shown = await a.type_("event", event="attachment")
    assert shown["attachment"]["status"] == "checking"  # "being checked" until the scanner answers
    verdict = await a.type_("attachment.status")
    assert verdict["attachment_id"] == shown["attachment"]["id"] and verdict["status"] == "rejected"
    assert verdict["seq"] == shown["seq"] and "malware" in verdict["message"]
    await a.send({"type": "sync", "chat_id": str(chat.public_id), "after": shown["seq"] - 1})
    replayed = await a.type_("event", event="attachment")
    assert replayed["attachment"]["status"] == "rejected"  # replays show the state now
    await a.close()
