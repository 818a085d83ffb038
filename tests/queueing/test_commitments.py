"""Escalation commitments through the real sockets: recorded on escalate and on an unresolved close,
shown live to the provider, repeated in `ended` with the case number and agent, replayed, listed for
supervisors until marked done (audited, in the transcript), in My chats and in the PDF."""

from __future__ import annotations

import json
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from asgiref.sync import sync_to_async
from django.test import Client
from django.utils import timezone

from chats.integrity import verify_chain
from chats.models import Chat, Commitment, Entry
from chats.outbox import Outbox
from queueing.handoff import close_chat
from tests.chats.test_sockets import active_chat
from tests.conftest import connect, logged_in_client, open_chat_for
from tests.postgres.conftest import at_once
from tests.queueing.test_assignment import available
from tests.transcripts.conftest import pdf_text, serve
from transcripts.access import TranscriptAccessError
from transcripts.commitment_desk import complete_commitment
from transcripts.models import AccessRecord
from transcripts.reading import Requester

pytestmark = pytest.mark.django_db(transaction=True)
EASTERN = ZoneInfo("America/New_York")


def tomorrow_noon() -> str:
    """Noon Eastern tomorrow, as the console's datetime-local field writes it (never a DST gap)."""
    day = (timezone.now().astimezone(EASTERN) + timedelta(days=1)).date()
    return f"{day.isoformat()}T12:00"


def terms(**changes) -> dict:
    return {"due": tomorrow_noon(), "contact_name": "Dana Ruiz", "contact_line": "(800) 555-0142 x12", **changes}


@sync_to_async
def get(user, url: str):
    return logged_in_client(user).get(url)


@sync_to_async
def post(user, url: str, body: dict | None = None):
    return logged_in_client(user).post(url, data=json.dumps(body or {}), content_type="application/json")


async def close_unresolved(provider, agent, **commitment):
    chat, p, a = await active_chat(provider, agent)
    frame = {"type": "close", "chat_id": chat["chat_id"], "disposition": "follow_up", "commitment": terms(**commitment)}
    await a.send(frame)
    return chat, p, a


async def test_close_unresolved_shows_the_commitment_live_and_in_ended(provider, agent):
    """The provider sees the commitment event, then `ended` with case number, agent name and commitment."""
    chat, p, a = await close_unresolved(provider, agent)
    event = await p.type_("event", event="commitment")
    shown = event["commitment"]
    assert shown["contact"] == {"name": "Dana Ruiz", "line": "800-555-0142 ext. 12"}
    assert shown["due_local"].startswith(tomorrow_noon()) and shown["due_text"].split(", ")[-1] in (
        "12:00 PM EST",
        "12:00 PM EDT",
    )
    assert shown["status"] == "open" and shown["recorded_by"] == "Ana Tester" and shown["occasion"] == "closed"
    assert "Dana Ruiz, 800-555-0142 ext. 12" in event["text"] and shown["due_text"] in event["text"]
    ended = await p.type_("ended")
    assert ended["case_number"] == chat["case_number"] and ended["agent"] == "Ana Tester"
    assert ended["commitments"] == [shown] and ended["reason"] == "agent_closed"
    agent_copy = await a.type_("ended", chat_id=chat["chat_id"])
    assert agent_copy["commitments"][0]["id"] == shown["id"]


async def test_the_ended_frame_without_commitment_still_names_the_agent(provider, agent):
    """A resolved close: `agent` is there, `commitments` is empty (old clients ignore both keys)."""
    chat, p, a = await active_chat(provider, agent)
    await a.send({"type": "close", "chat_id": chat["chat_id"], "disposition": "resolved"})
    ended = await p.type_("ended")
    assert (ended["agent"], ended["commitments"], ended["case_number"]) == ("Ana Tester", [], chat["case_number"])


async def test_provider_replay_shows_the_commitment_after_a_reload(provider, agent):
    """Reconnecting to the ended chat (within the replay window) shows the commitment event and `ended` again."""
    chat, p, _ = await close_unresolved(provider, agent)
    await p.type_("ended")
    again, _, _ = await connect(provider, chat["ws_url"])
    assert await again.closed_with() == 4410
    replayed = [f for f in again.pending if f.get("event") == "commitment"]
    ended = [f for f in again.pending if f["type"] == "ended"]
    assert len(replayed) == 1 and replayed[0]["commitment"]["contact"]["name"] == "Dana Ruiz"
    assert ended[0]["commitments"][0]["id"] == replayed[0]["commitment"]["id"] and ended[0]["agent"] == "Ana Tester"


async def test_escalation_records_the_commitment_before_the_hand_off(provider, agent, supervisor):
    """Escalate with a commitment: event, then escalated, then the supervisor joins; the chat goes on."""
    chat, p, a = await active_chat(provider, agent)
    s = await available(supervisor)
    await a.send({"type": "escalate", "chat_id": chat["chat_id"], "commitment": terms(contact_line="ext. 4021")})
    event = await p.type_("event", event="commitment")
    assert event["commitment"]["occasion"] == "escalated" and event["commitment"]["contact"]["line"] == "ext. 4021"
    assert (await p.type_("agent.joined"))["name"] == "Sofia Tester"
    assigned = await s.type_("assigned")
    events = [e["event"] for e in assigned["chat"]["entries"] if e["type"] == "event"]
    assert events.index("commitment") < events.index("escalated")
    await s.send({"type": "close", "chat_id": chat["chat_id"], "disposition": "resolved"})
    ended = await p.type_("ended")
    assert ended["agent"] == "Sofia Tester" and ended["commitments"][0]["status"] == "open"


async def test_a_bad_commitment_is_refused_and_nothing_changes(provider, agent):
    """Past time, bad line or name, resolved disposition: a clear error, the chat still held, nothing stored."""
    chat, p, a = await active_chat(provider, agent)
    yesterday = (timezone.now().astimezone(EASTERN) - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    cases = [
        ({"type": "close", "disposition": "unresolved", "commitment": terms(due=yesterday)}, "in the future"),
        ({"type": "close", "disposition": "unresolved", "commitment": terms(contact_line="soon")}, "10-digit"),
        ({"type": "close", "disposition": "unresolved", "commitment": terms(contact_name="")}, "contact's name"),
        ({"type": "close", "disposition": "unresolved", "commitment": "tomorrow"}, "must be an object"),
        ({"type": "close", "disposition": "resolved", "commitment": terms()}, "needs no commitment"),
        ({"type": "escalate", "commitment": terms(due="2026-02-30T10:00")}, "real date"),
    ]
    for frame, why in cases:
        await a.send({**frame, "chat_id": chat["chat_id"]})
        error = await a.type_("error")
        assert why in error["message"] and error["chat_id"] == chat["chat_id"], (frame, error)
    assert await p.nothing()
    assert await sync_to_async(Commitment.objects.count)() == 0
    stored = await sync_to_async(Chat.objects.get)(public_id=chat["chat_id"])
    assert stored.status == "active" and stored.agent_id == agent.pk


async def test_supervisors_list_open_commitments_and_mark_them_done(provider, agent, supervisor, make_user):
    """Open ones are listed (audited) until marked done; done is audited, in the transcript, chain intact."""
    chat, p, _ = await close_unresolved(provider, agent)
    await p.type_("ended")
    listed = await get(supervisor, "/api/commitments/")
    assert listed.status_code == 200 and listed["Cache-Control"].startswith("max-age=0")
    [row] = listed.json()["commitments"]
    assert row["case_number"] == chat["case_number"] and row["patient"]["last_name"] == "Lovelace"
    assert row["status"] == "open" and row["overdue"] is False and row["contact"]["name"] == "Dana Ruiz"

    done = await post(supervisor, f"/api/commitments/{row['id']}/done/")
    assert done.status_code == 200 and done.json()["commitment"]["status"] == "done"
    assert done.json()["commitment"]["done_by"] == "Sofia Tester"
    again = await post(supervisor, f"/api/commitments/{row['id']}/done/")
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_done"
    assert (await get(supervisor, "/api/commitments/")).json()["commitments"] == []
    assert [r["id"] for r in (await get(supervisor, "/api/commitments/?status=done")).json()["commitments"]] == [
        row["id"]
    ]
    assert (await get(supervisor, "/api/commitments/?status=later")).status_code == 400

    stored = await sync_to_async(Chat.objects.get)(public_id=chat["chat_id"])
    entries = await sync_to_async(list)(Entry.objects.filter(chat=stored).order_by("seq"))
    assert entries[-1].event == "commitment_done" and "Sofia Tester marked done" in entries[-1].text
    assert verify_chain(str(stored.public_id), entries, expected_head=stored.head_hash).verified
    actions = await sync_to_async(list)(
        AccessRecord.objects.filter(username="sofia").order_by("id").values_list("action", "status", "case_number")
    )
    assert ("commit_done", 200, chat["case_number"]) in actions and ("commit_done", 409, chat["case_number"]) in actions
    assert ("commitments", 200, "") in actions

    transcript = (await get(supervisor, f"/api/transcripts/{chat['case_number']}/")).json()
    [recorded] = [e for e in transcript["entries"] if "commitment" in e and "committed to resolve" in e["text"]]
    assert recorded["commitment"]["status"] == "done" and recorded["commitment"]["id"] == row["id"]


async def test_only_supervisors_see_or_close_commitments(provider, agent, supervisor):
    """Agents and providers get 403 (audited), anonymous 401; an unknown id is 404."""
    chat, p, _ = await close_unresolved(provider, agent)
    await p.type_("ended")
    commitment = await sync_to_async(Commitment.objects.get)()
    for user in (agent, provider):
        assert (await get(user, "/api/commitments/")).status_code == 403
        assert (await post(user, f"/api/commitments/{commitment.public_id}/done/")).status_code == 403
    assert (await sync_to_async(Client().get)("/api/commitments/")).status_code == 401
    assert (await post(supervisor, "/api/commitments/00000000-0000-0000-0000-000000000000/done/")).status_code == 404
    refusals = AccessRecord.objects.filter(allowed=False, action__in=["commitments", "commit_done"])
    assert await sync_to_async(refusals.count)() >= 4
    await sync_to_async(commitment.refresh_from_db)()
    assert commitment.done_at is None


async def test_marking_done_on_an_open_chat_reaches_the_provider_live(provider, agent, supervisor):
    """An escalated chat still open: the provider's page sees the commitment marked done."""
    chat, p, a = await active_chat(provider, agent)
    await available(supervisor)
    await a.send({"type": "escalate", "chat_id": chat["chat_id"], "commitment": terms()})
    recorded = (await p.type_("event", event="commitment"))["commitment"]
    assert (await post(supervisor, f"/api/commitments/{recorded['id']}/done/")).status_code == 200
    done = await p.type_("event", event="commitment_done")
    assert done["commitment"]["id"] == recorded["id"] and done["commitment"]["status"] == "done"


async def test_my_chats_and_the_pdf_carry_the_commitment(provider, agent, supervisor):
    """The provider's My chats row lists it; the PDF prints it in the timeline and the Commitments table."""
    chat, p, _ = await close_unresolved(provider, agent)
    await p.type_("ended")
    rows = (await get(provider, "/api/chats/?status=all")).json()["chats"]
    [row] = [r for r in rows if r["chat_id"] == chat["chat_id"]]
    assert row["commitments"][0]["contact"] == {"name": "Dana Ruiz", "line": "800-555-0142 ext. 12"}
    text = pdf_text((await get(supervisor, f"/api/transcripts/{chat['case_number']}/export.pdf")).content)
    flat = " ".join(text.split())
    assert "Commitments" in flat and "Dana Ruiz, 800-555-0142 ext. 12" in flat and "Open" in flat
    assert row["commitments"][0]["due_text"] in flat


@pytest.mark.postgres
def test_two_supervisors_marking_the_same_commitment_done_have_one_winner(provider, agent, make_user):
    """Concurrent marks: one 200, the rest already_done (409); one commitment_done event, the chain intact."""
    chat = Chat.objects.get(public_id=open_chat_for(provider)["chat_id"])
    serve(chat, agent, "I will ask the authorizations team.")
    close_chat(agent, chat.public_id, "follow_up", now=timezone.now(), outbox=Outbox(), commitment=terms())
    commitment = Commitment.objects.get(chat=chat)
    supervisors = [make_user("supervisor") for _ in range(6)]
    results = at_once(
        [
            lambda s=s: complete_commitment(Requester(s), commitment.public_id, now=timezone.now(), outbox=Outbox())
            for s in supervisors
        ]
    )
    winners = [r for r in results if isinstance(r, dict)]
    losers = [r for r in results if isinstance(r, TranscriptAccessError)]
    assert len(winners) == 1 and len(losers) == 5, results
    assert {(e.status, e.code) for e in losers} == {(409, "already_done")}
    chat.refresh_from_db()
    entries = list(Entry.objects.filter(chat=chat).order_by("seq"))
    assert [e.event for e in entries].count("commitment_done") == 1
    assert verify_chain(str(chat.public_id), entries, expected_head=chat.head_hash).verified
