"""The PostgreSQL message store (chats.pg_store): the core's guarantees on the event-loop path.

Messages race each other, their own resends and the portable path's writers (events appended by
sweepers, handoffs) on the same chat row; seqs stay gapless, each client_id is stored once, the
chain verifies, and an outage is a retryable error that committed nothing.
"""

import asyncio
import uuid
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from django.utils import timezone

from chats import messaging, pg_store
from chats.integrity import verify_chain
from chats.messaging import ChatAccessError
from chats.models import Chat, Entry, Status
from chats.outbox import Outbox
from queueing.handoff import close_chat
from queueing.idle import sweep_idle
from queueing.intake import request_chat
from queueing.routing import accept_chat
from tests.conftest import chat_body

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@sync_to_async
def accepted_chat(provider, agent, member_id: str) -> Chat:
    chat, _ = request_chat(provider, chat_body(member_id=member_id), now=timezone.now(), outbox=Outbox())
    accept_chat(agent, chat.public_id, now=timezone.now(), outbox=Outbox())
    return Chat.objects.get(pk=chat.pk)


async def post(user, chat: Chat, client_id: uuid.UUID, text: str, outbox: Outbox | None = None):
    return await pg_store.post_message(
        user, chat.public_id, client_id, text, now=timezone.now(), outbox=outbox or Outbox()
    )


@sync_to_async
def stored(chat: Chat) -> tuple[list[int], bool, dict]:
    chat.refresh_from_db()
    entries = chat.entries.order_by("seq")
    verified = verify_chain(str(chat.public_id), entries, chat.head_hash).verified
    by_client = dict(entries.exclude(client_id=None).values_list("client_id", "seq"))
    return list(entries.values_list("seq", flat=True)), verified, by_client


async def test_concurrent_messages_and_their_resends_are_gapless_stored_once_and_chained(provider, agent):
    chat = await accepted_chat(provider, agent, "PG1")
    client_ids = [uuid.uuid4() for _ in range(30)]
    sends = [post(provider if i % 2 else agent, chat, c, f"line {i}") for i, c in enumerate(client_ids)]
    resends = [post(provider if i % 2 else agent, chat, c, f"line {i}") for i, c in enumerate(client_ids)]
    results = await asyncio.gather(*sends, *resends)
    seqs, verified, by_client = await stored(chat)
    assert seqs == list(range(1, len(seqs) + 1)) and verified
    assert set(client_ids) <= set(by_client)  # all there, each once (client_id is unique per chat)
    for result in results:  # the original and its resend got the same seq, one of them flagged duplicate
        assert result.entry.seq == by_client[result.entry.client_id]
    assert sum(result.duplicate for result in results) == len(client_ids)


async def test_messages_interleave_with_events_written_by_the_portable_path(provider, agent, settings):
    """Idle sweeps (the ORM path, another thread) append events while messages stream in."""
    chat = await accepted_chat(provider, agent, "PG2")
    later = timezone.now() + timedelta(seconds=settings.CHAT_IDLE_WARNINGS[0] + 1)
    sweeps = [sync_to_async(sweep_idle, thread_sensitive=False)(now=later, outbox=Outbox()) for _ in range(3)]
    messages = [post(agent, chat, uuid.uuid4(), f"agent line {i}") for i in range(20)]
    await asyncio.gather(*sweeps, *messages)
    seqs, verified, _ = await stored(chat)
    assert seqs == list(range(1, len(seqs) + 1)) and verified
    assert await Entry.objects.filter(chat=chat, event="idle_warning").acount() == 1


async def test_provider_message_clears_the_idle_ladder_and_an_agents_first_answers(provider, agent, settings):
    chat = await accepted_chat(provider, agent, "PG3")
    later = timezone.now() + timedelta(seconds=settings.CHAT_IDLE_WARNINGS[0] + 1)
    await sync_to_async(sweep_idle)(now=later, outbox=Outbox())
    outbox = Outbox()
    await post(provider, chat, uuid.uuid4(), "still here", outbox)
    await post(agent, chat, uuid.uuid4(), "hello")
    await chat.arefresh_from_db()
    assert chat.idle_steps_done == 0 and chat.idle_since is not None and chat.answered_at is not None
    frames = [event["frame"]["type"] for _, event in outbox.pending]
    assert frames == ["message", "idle.cleared"]  # the countdown goes away on both pages


SITUATIONS = [  # (chat state, who writes)
    (state, writer)
    for state in ("waiting", "active", "warned", "answered", "ended")
    for writer in ("its provider", "another provider", "its agent", "another agent", "a supervisor")
]


@sync_to_async
def chat_in(state: str, make_user, member_id: str) -> tuple[Chat, dict]:
    """A chat in `state` with everyone who might try to write to it."""
    people = {
        "its provider": make_user("provider"),
        "another provider": make_user("provider"),
        "its agent": make_user("agent"),
        "another agent": make_user("agent"),
        "a supervisor": make_user("supervisor"),
    }
    now = timezone.now()
    chat, _ = request_chat(people["its provider"], chat_body(member_id=member_id), now=now, outbox=Outbox())
    if state != "waiting":
        accept_chat(people["its agent"], chat.public_id, now=now, outbox=Outbox())
    if state == "warned":
        sweep_idle(now=now + timedelta(seconds=settings_idle_first() + 1), outbox=Outbox())
    if state == "answered":
        messaging.post_message(people["its agent"], chat.public_id, uuid.uuid4(), "hi", now=now, outbox=Outbox())
    if state == "ended":
        close_chat(people["its agent"], chat.public_id, "resolved", now=now, outbox=Outbox())
    return Chat.objects.get(pk=chat.pk), people


def settings_idle_first() -> int:
    from django.conf import settings

    return settings.CHAT_IDLE_WARNINGS[0]


@sync_to_async
def outcome_of_portable(user, chat: Chat, client_id, text, now):
    outbox = Outbox()
    try:
        posted = messaging.post_message(user, chat.public_id, client_id, text, now=now, outbox=outbox)
    except ChatAccessError as exc:
        return ("refused", exc.code, exc.message), []
    return ("stored", posted.entry.seq), [event["frame"]["type"] for _, event in outbox.pending]


async def outcome_of_pg_store(user, chat: Chat, client_id, text, now):
    outbox = Outbox()
    try:
        posted = await pg_store.post_message(user, chat.public_id, client_id, text, now=now, outbox=outbox)
    except ChatAccessError as exc:
        return ("refused", exc.code, exc.message), []
    return ("stored", posted.entry.seq), [event["frame"]["type"] for _, event in outbox.pending]


@sync_to_async
def what_was_stored(chat: Chat) -> dict:
    """The rows a post leaves, minus identities that differ between two chats."""
    chat.refresh_from_db()
    last = chat.entries.order_by("seq").last()
    entry = {f: getattr(last, f) for f in ("seq", "kind", "sender_role", "sender_name", "text", "text_sha256", "at")}
    original = getattr(last, "original", None)
    fields = ("status", "last_seq", "idle_since", "idle_steps_done", "answered_at")
    return {
        "chat": {f: getattr(chat, f) for f in fields},
        "entry": entry,
        "original": original.text if original else None,
        "chain": verify_chain(str(chat.public_id), chat.entries.order_by("seq"), chat.head_hash).verified,
    }


@pytest.mark.parametrize(("state", "writer"), SITUATIONS)
async def test_both_paths_give_the_same_answer_and_leave_the_same_rows(state, writer, make_user):
    """The SQL function mirrors check_may_write and activity_updates: every situation, both paths."""
    results = []
    for index, post_with in enumerate((outcome_of_portable, outcome_of_pg_store)):
        chat, people = await chat_in(state, make_user, f"CMP{index}{uuid.uuid4().hex[:6]}")
        now = timezone.now()
        text = "Card 4111 1111 1111 1111, thanks"  # masked, original kept aside
        outcome, frames = await post_with(people[writer], chat, uuid.uuid4(), text, now)
        rows = await what_was_stored(chat)
        if rows["chat"]["idle_since"] == now:
            rows["chat"]["idle_since"] = "now"
        if rows["chat"]["answered_at"] == now:
            rows["chat"]["answered_at"] = "now"
        rows["chat"]["idle_since"] = rows["chat"]["idle_since"] if rows["chat"]["idle_since"] == "now" else "kept"
        rows["chat"]["answered_at"] = rows["chat"]["answered_at"] if rows["chat"]["answered_at"] == "now" else "kept"
        if rows["entry"]["at"] != now:  # not this post's entry: only where the transcript stands
            rows["entry"] = {"seq": rows["entry"]["seq"]}
        else:
            rows["entry"]["sender_name"] = rows["entry"]["sender_name"] == people[writer].display_name
            rows["entry"]["at"] = "now"
        outcome = tuple(str(part).replace(chat.case_number, "<case>") for part in outcome)
        results.append((outcome, frames, rows))
    portable, pg = results
    assert pg == portable
    assert portable[2]["chain"]


async def test_refusals_match_the_portable_path(provider, agent, make_user):
    chat = await accepted_chat(provider, agent, "PG4")
    stranger = await sync_to_async(make_user)("provider")
    other_agent = await sync_to_async(make_user)("agent")
    cases = [
        (stranger, chat, "forbidden"),
        (other_agent, chat, "not_your_chat"),
        (provider, Chat(public_id=uuid.uuid4()), "not_found"),
    ]
    _, _, before = await stored(chat)
    for user, target, code in cases:
        with pytest.raises(ChatAccessError) as refused:
            await post(user, target, uuid.uuid4(), "hi")
        assert refused.value.code == code
    await sync_to_async(close_chat)(agent, chat.public_id, "resolved", now=timezone.now(), outbox=Outbox())
    with pytest.raises(ChatAccessError) as refused:
        await post(provider, chat, uuid.uuid4(), "after the end")
    assert refused.value.code == "chat_ended"
    seqs, verified, by_client = await stored(chat)
    assert verified and by_client == before  # nothing refused was stored
    assert (await Chat.objects.aget(pk=chat.pk)).status == Status.ENDED


async def test_an_unreachable_database_is_a_retryable_error_that_stored_nothing(provider, agent, monkeypatch):
    chat = await accepted_chat(provider, agent, "PG5")
    seqs_before, _, _ = await stored(chat)
    await pg_store.close_pools()
    unreachable = {**pg_store.connection_kwargs(), "port": 1, "connect_timeout": 1}
    monkeypatch.setattr(pg_store, "connection_kwargs", lambda: unreachable)
    with pytest.raises(pg_store.StoreUnavailable):
        await post(provider, chat, uuid.uuid4(), "lost in the outage?")
    await pg_store.close_pools()
    monkeypatch.undo()
    client_id = uuid.uuid4()
    posted = await post(provider, chat, client_id, "lost in the outage?")  # the client's resend
    assert posted.entry.seq == len(seqs_before) + 1 and not posted.duplicate
