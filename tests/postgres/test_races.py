"""Concurrency on PostgreSQL: one winner per claim, one chat per patient, gapless seqs, timers once."""

import time
import uuid
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from chats.integrity import verify_chain
from chats.message_store import post_message_sync
from chats.models import Chat, Entry
from chats.outbox import Outbox
from queueing.assignment import QueueError, accept_chat, accept_next, route_waiting
from queueing.consoles import open_socket
from queueing.idle import sweep_idle
from queueing.intake import request_chat
from queueing.offers import record_delivery, return_unanswered_offers
from queueing.presence import set_status
from tests.conftest import chat_body
from tests.postgres.conftest import at_once

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def open_console(agent):
    """What an agent's console does on connect: its socket row, so routing may offer them chats."""
    open_socket(agent, f"test.console.{agent.pk}", now=timezone.now())


def new_chat(provider, member_id):
    chat, _ = request_chat(provider, chat_body(member_id=member_id), now=timezone.now(), outbox=Outbox())
    return chat


def test_twenty_agents_accepting_the_same_chat_have_exactly_one_winner(provider, make_user, settings):
    """Concurrent targeted accepts: one `assigned`, every other `already_taken`."""
    settings.CHAT_AGENT_CAPACITY = 10  # one agent may win every round
    agents = [make_user("agent") for _ in range(20)]
    for round_ in range(5):
        chat = new_chat(provider, f"R{round_}")
        results = at_once(
            [lambda a=a, c=chat: accept_chat(a, c.public_id, now=timezone.now(), outbox=Outbox()) for a in agents]
        )
        winners = [r for r in results if isinstance(r, Chat)]
        losers = [r for r in results if isinstance(r, QueueError)]
        assert len(winners) == 1 and len(losers) == 19, results
        assert {e.code for e in losers} == {"already_taken"}
        # every console "delivers" at once: only the winner's counts, once
        delivered = at_once(
            [lambda a=a, c=chat: record_delivery(a, c.public_id, now=timezone.now(), outbox=Outbox()) for a in agents]
        )
        assert delivered.count(True) == 1
        assert Entry.objects.filter(chat=chat, event="agent_joined").count() == 1


def test_ten_simultaneous_requests_for_one_patient_create_one_chat(provider):
    """Two tabs, ten clicks: exactly one chat about the patient, every caller gets it."""
    results = at_once(
        [
            lambda: request_chat(provider, chat_body(member_id="SAME"), now=timezone.now(), outbox=Outbox())
            for _ in range(10)
        ]
    )
    assert all(isinstance(r, tuple) for r in results), results
    assert len({chat.pk for chat, _ in results}) == 1
    assert sum(created for _, created in results) == 1
    assert Chat.objects.filter(member_id="SAME").count() == 1


def test_concurrent_writers_get_gapless_seqs_and_an_unforked_chain(provider, agent):
    """Provider and agent writing at once: seqs 1..N, each client_id once, the chain verifies."""
    chat = new_chat(provider, "W1")
    accept_chat(agent, chat.public_id, now=timezone.now(), outbox=Outbox())
    client_ids = [uuid.uuid4() for _ in range(20)]
    writers = [provider if i % 2 else agent for i in range(20)]
    calls = [
        lambda u=u, c=c: post_message_sync(u, chat.public_id, c, f"line {c}", now=timezone.now(), outbox=Outbox())
        for u, c in zip(writers, client_ids, strict=True)
    ]
    # each client id twice (a resend racing the original): stored once, same seq for both
    results = at_once(calls + calls)
    assert not [r for r in results if isinstance(r, Exception)], results
    seq_by_client = {}
    for r in results:
        assert seq_by_client.setdefault(r.entry.client_id, r.entry.seq) == r.entry.seq
    chat.refresh_from_db()
    seqs = list(chat.entries.order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, chat.last_seq + 1))
    assert Entry.objects.filter(chat=chat, client_id__in=client_ids).count() == 20
    assert verify_chain(str(chat.public_id), chat.entries.order_by("seq"), chat.head_hash).verified


def test_concurrent_sweepers_fire_each_idle_step_once(provider, agent, make_user):
    """Four processes' sweepers at the same instant: one warning per chat, not four."""
    chats = []
    for i in range(10):
        chat = new_chat(provider, f"I{i}")
        accept_chat(make_user("agent"), chat.public_id, now=timezone.now(), outbox=Outbox())
        chats.append(chat)
    for seconds in (300, 480, 600):
        at = timezone.now() + timedelta(seconds=seconds + 1)
        at_once([lambda at=at: sweep_idle(now=at, outbox=Outbox()) for _ in range(4)])
    for chat in chats:
        events = list(chat.entries.filter(event__in=["idle_warning", "ended"]).values_list("event", flat=True))
        assert events == ["idle_warning", "idle_warning", "ended"]


def test_concurrent_sweepers_return_an_unanswered_offer_once(provider, agent, settings):
    """An unanswered offer goes back to the queue once, whatever the number of sweepers."""
    open_console(agent)
    set_status(agent, "available", now=timezone.now())
    chat = new_chat(provider, "O1")
    chat.refresh_from_db()
    assert chat.agent_id == agent.pk and chat.answered_at is None
    at = timezone.now() + timedelta(seconds=settings.CHAT_OFFER_TIMEOUT + 1)
    results = at_once([lambda: return_unanswered_offers(now=at, outbox=Outbox()) for _ in range(4)])
    assert sum(results) == 1
    assert Entry.objects.filter(chat=chat, event="offer_returned").count() == 1


def test_concurrent_auto_routing_never_exceeds_capacity(provider, make_user, settings):
    """Many routers at once over 30 chats and 5 agents of capacity 3: 15 assigned, none over."""
    settings.CHAT_AGENT_CAPACITY = 3
    agents = [make_user("agent") for _ in range(5)]
    for a in agents:
        open_console(a)
        set_status(a, "available", now=timezone.now())
    for i in range(30):
        Chat.objects.create(
            provider=provider,
            agency=provider.agency,
            location=provider.locations.first(),
            transaction_type="status_inquiry",
            member_id=f"C{i}",
            patient_first_name="A",
            patient_last_name="B",
            patient_dob="1950-01-01",
            requested_at=timezone.now(),
            queued_at=timezone.now(),
        )
    at_once([lambda: route_waiting(now=timezone.now(), outbox=Outbox()) for _ in range(8)])
    loads = [Chat.objects.filter(agent=a, status="active").count() for a in agents]
    assert loads == [3, 3, 3, 3, 3]
    assert Chat.objects.filter(status="waiting").count() == 15


def hold_then(chat, *, claim_for=None, seconds=0.6):
    """Another claimer's transaction: lock `chat`, wait, then give it to `claim_for` or roll back."""

    def run():
        with transaction.atomic():
            Chat.objects.select_for_update().get(pk=chat.pk)
            time.sleep(seconds)
            if claim_for is None:
                transaction.set_rollback(True)  # that claim failed: the chat is still waiting
            else:
                Chat.objects.filter(pk=chat.pk).update(status="active", agent=claim_for)
        return "held"

    return run


def accept_next_after(agent, seconds=0.2):
    def run():
        time.sleep(seconds)  # the holder has its lock by now
        return accept_next(agent, now=timezone.now(), outbox=Outbox())

    return run


def test_accept_next_waits_for_a_claimer_that_rolls_back_instead_of_saying_the_queue_is_empty(provider, agent):
    """The only waiting chat is held by a claim that fails: 'accept next' gets it, not 'No chat is waiting'."""
    chat = new_chat(provider, "HELD")
    held, taken = at_once([hold_then(chat), accept_next_after(agent)])
    assert held == "held"
    assert isinstance(taken, Chat) and taken.pk == chat.pk, taken
    chat.refresh_from_db()
    assert chat.status == "active" and chat.agent_id == agent.pk


def test_accept_next_behind_a_claimer_that_takes_the_last_chat_says_the_queue_is_empty(provider, agent, make_user):
    """The holder commits its claim: the waiting agent is told the queue is empty, and nothing is taken twice."""
    other = make_user("agent")
    chat = new_chat(provider, "LAST")
    held, taken = at_once([hold_then(chat, claim_for=other), accept_next_after(agent)])
    assert isinstance(taken, QueueError) and taken.code == "queue_empty", taken
    chat.refresh_from_db()
    assert chat.agent_id == other.pk
