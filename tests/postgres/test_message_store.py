"""The message store (chats.message_store): the core's guarantees.

Messages race each other, their own resends and the ORM's writers (events appended by sweepers,
handoffs) on the same chat row; seqs stay gapless, each client_id is stored once, the chain
verifies, every situation gets the write rule's answer, and an outage is a retryable error that
committed nothing.
"""

import asyncio
import uuid
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from django.utils import timezone

from chats import message_store
from chats.integrity import verify_chain
from chats.messaging import ChatAccessError
from chats.models import Chat, Entry, Status
from chats.outbox import Outbox
from queueing.assignment import accept_chat
from queueing.handoff import close_chat
from queueing.idle import sweep_idle
from queueing.intake import request_chat
from tests.conftest import chat_body

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@sync_to_async
def accepted_chat(provider, agent, member_id: str) -> Chat:
    chat, _ = request_chat(provider, chat_body(member_id=member_id), now=timezone.now(), outbox=Outbox())
    accept_chat(agent, chat.public_id, now=timezone.now(), outbox=Outbox())
    return Chat.objects.get(pk=chat.pk)


async def post(user, chat: Chat, client_id: uuid.UUID, text: str, outbox: Outbox | None = None):
    return await message_store.post_message(
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


async def test_messages_interleave_with_events_written_by_the_orm(provider, agent, settings):
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
        agent = people["its agent"]
        message_store.post_message_sync(agent, chat.public_id, uuid.uuid4(), "hi", now=now, outbox=Outbox())
    if state == "ended":
        close_chat(people["its agent"], chat.public_id, "resolved", now=now, outbox=Outbox())
    return Chat.objects.get(pk=chat.pk), people


def settings_idle_first() -> int:
    from django.conf import settings

    return settings.CHAT_IDLE_WARNINGS[0]


async def outcome_of(user, chat: Chat, client_id, text, now):
    outbox = Outbox()
    try:
        posted = await message_store.post_message(user, chat.public_id, client_id, text, now=now, outbox=outbox)
    except ChatAccessError as exc:
        return ("refused", exc.code, exc.message), []
    return ("stored", posted.entry.seq), [event["frame"]["type"] for _, event in outbox.pending]


@sync_to_async
def what_was_stored(chat: Chat) -> dict:
    chat = Chat.objects.get(pk=chat.pk)  # a copy: the caller compares before and after
    last = chat.entries.order_by("seq").last()
    original = getattr(last, "original", None)
    return {
        "chat": chat,
        "entry": last,
        "original": original.text if original else None,
        "chain": verify_chain(str(chat.public_id), chat.entries.order_by("seq"), chat.head_hash).verified,
    }


def expected_outcome(state: str, writer: str) -> str:
    """The write rule: the chat's provider while it is open, its current agent while active."""
    if state == "ended":
        return "chat_ended"
    if writer == "its provider":
        return "stored"
    if writer == "another provider":
        return "forbidden"
    return "stored" if writer == "its agent" and state != "waiting" else "not_your_chat"


@pytest.mark.parametrize(("state", "writer"), SITUATIONS)
async def test_every_situation_gets_the_write_rules_answer_and_the_rows_it_implies(state, writer, make_user):
    chat, people = await chat_in(state, make_user, f"CMP{uuid.uuid4().hex[:8]}")
    before = await what_was_stored(chat)
    now = timezone.now()
    text = "Card 4111 1111 1111 1111, thanks"  # masked, original kept aside
    outcome, frames = await outcome_of(people[writer], chat, uuid.uuid4(), text, now)
    after = await what_was_stored(chat)
    expected = expected_outcome(state, writer)
    assert after["chain"]
    if expected != "stored":
        wording = {
            "chat_ended": f"Chat {chat.case_number} has ended.",
            "forbidden": "This chat belongs to someone else.",
            "not_your_chat": "You are not serving this chat.",
        }
        assert outcome == ("refused", expected, wording[expected]) and frames == []
        assert after["chat"].last_seq == before["chat"].last_seq  # nothing stored
        return
    entry, updated = after["entry"], after["chat"]
    assert outcome == ("stored", before["chat"].last_seq + 1) and entry.seq == updated.last_seq
    assert entry.at == now and entry.sender_name == people[writer].display_name
    assert "4111" not in entry.text and after["original"] == text
    active = state != "waiting"
    provider_spoke = writer == "its provider"
    assert (updated.idle_since == now) == (active and provider_spoke)
    assert updated.idle_steps_done == (0 if active and provider_spoke else before["chat"].idle_steps_done)
    first_answer = active and not provider_spoke and before["chat"].answered_at is None
    assert (updated.answered_at == now) == first_answer
    assert frames == (["message", "idle.cleared"] if state == "warned" and provider_spoke else ["message"])


async def test_refusals_name_the_rule_and_store_nothing(provider, agent, make_user):
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
    await message_store.close_pools(reopen=True)
    unreachable = {**message_store.connection_kwargs(), "port": 1, "connect_timeout": 1}
    monkeypatch.setattr(message_store, "connection_kwargs", lambda: unreachable)
    with pytest.raises(message_store.StoreUnavailable):
        await post(provider, chat, uuid.uuid4(), "lost in the outage?")
    await message_store.close_pools(reopen=True)
    monkeypatch.undo()
    client_id = uuid.uuid4()
    posted = await post(provider, chat, client_id, "lost in the outage?")  # the client's resend
    assert posted.entry.seq == len(seqs_before) + 1 and not posted.duplicate


async def test_messages_arriving_together_are_stored_in_one_statement_gapless_and_in_order(provider, agent, settings):
    """Group commit: a burst over several chats goes in few statements; each chat's seqs are gapless,
    its hash chain verifies, and a chat's messages keep the order they arrived in."""
    settings.CHAT_AGENT_CAPACITY = 10
    chats = [await accepted_chat(provider, agent, f"GC{i}") for i in range(4)]
    batcher = message_store.group_commit()
    before = (batcher.batches, batcher.messages)
    sends = [(chats[i % 4], uuid.uuid4(), f"burst {i}") for i in range(40)]
    results = await asyncio.gather(
        *(post(provider if i % 2 else agent, c, cid, t) for i, (c, cid, t) in enumerate(sends))
    )
    statements, messages = batcher.batches - before[0], batcher.messages - before[1]
    assert messages == 40 and statements <= 3  # the first alone, the rest together (at most a straggler)
    for chat in chats:
        seqs, verified, by_client = await stored(chat)
        assert seqs == list(range(1, len(seqs) + 1)) and verified
        mine = [cid for c, cid, _ in sends if c.pk == chat.pk]
        assert [by_client[cid] for cid in mine] == sorted(by_client[cid] for cid in mine)  # arrival order kept
    assert all(not r.duplicate for r in results)


async def test_a_refused_message_in_a_batch_fails_only_itself(provider, agent, make_user):
    chat = await accepted_chat(provider, agent, "GC9")
    seqs_before, _, _ = await stored(chat)
    stranger = await sync_to_async(make_user)("agent", "sam")
    outcomes = await asyncio.gather(
        post(provider, chat, uuid.uuid4(), "first"),
        post(stranger, chat, uuid.uuid4(), "not mine"),
        post(agent, chat, uuid.uuid4(), "second"),
        return_exceptions=True,
    )
    assert isinstance(outcomes[1], ChatAccessError)
    seqs, verified, by_client = await stored(chat)
    assert seqs == list(range(1, len(seqs) + 1)) and verified
    assert (
        sorted(o.entry.seq for o in (outcomes[0], outcomes[2]))
        == seqs[-2:]
        == [len(seqs_before) + 1, len(seqs_before) + 2]
    )
