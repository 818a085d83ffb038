"""SLA rules: pure functions with an injected clock, then the floor applying them to real rows."""

from datetime import UTC, datetime, timedelta

import pytest
from asgiref.sync import sync_to_async
from django.conf import settings
from django.test import override_settings

from chats.models import Chat, TransactionType
from chats.outbox import Outbox
from chatserver.env import ConfigError, env_seconds_map
from queueing.alerts import RECORD_INTERVAL, due, record_breaches, unanswered_chats
from queueing.assignment import accept_chat
from queueing.consoles import open_socket
from queueing.floor import floor_state
from queueing.models import AgentPresence
from queueing.sla import NEAR, OK, OVER, Limits, agent_alerts, level, queue_alerts, reply_alerts, with_sla
from tests.conftest import open_chat_for
from tests.queueing.helpers import sweep
from transcripts.models import SlaBreach

NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
LIMITS = Limits(wait={"default": 120, "discharge_within_24h": 60, "status_inquiry": 300, "restaff": 40}, reply=90)


def waiting_row(seconds, ttype="add_on", priority="normal", case="CC-00000001"):
    return {"chat_id": "c1", "case_number": case, "transaction_type": ttype, "priority": priority,
            "waiting_seconds": seconds}  # fmt: skip


@pytest.mark.parametrize(
    ("ttype", "discharge", "limit"),
    [
        ("add_on", False, 120),  # default
        ("status_inquiry", False, 300),  # its own limit
        ("status_inquiry", True, 60),  # discharge is stricter than the type
        ("restaff", True, 40),  # the type is stricter than discharge: the strictest wins
        ("add_on", True, 60),
    ],
)
def test_wait_limit_per_type_with_discharge_the_strictest(ttype, discharge, limit):
    assert LIMITS.wait_for(ttype, discharge) == limit


@pytest.mark.parametrize(
    ("seconds", "expected"), [(0, OK), (89, OK), (90, NEAR), (119, NEAR), (120, OVER), (500, OVER)]
)
def test_level_turns_amber_at_three_quarters_and_red_at_the_limit(seconds, expected):
    assert level(seconds, 120) == expected


def test_queue_rows_carry_limit_level_and_words_and_alert_past_three_quarters():
    rows = [with_sla(waiting_row(s, case=f"CC-{s:08d}"), LIMITS) for s in (10, 100, 130)]
    assert [(r["sla_seconds"], r["sla"], r["sla_text"]) for r in rows] == [
        (120, OK, "Within SLA"),
        (120, NEAR, "Near SLA"),
        (120, OVER, "Over SLA"),
    ]
    alerts = queue_alerts(rows)
    assert [(a["kind"], a["level"], a["subject"]) for a in alerts] == [
        ("queue_wait", NEAR, "CC-00000100"),
        ("queue_wait", OVER, "CC-00000130"),
    ]
    assert alerts[1]["text"] == "CC-00000130 has waited 2:10 (SLA 2:00)."
    discharge = with_sla(waiting_row(61, priority="discharge_within_24h"), LIMITS)
    assert queue_alerts([discharge])[0]["text"] == "CC-00000001 has waited 1:01 (SLA 1:00, discharge within 24 h)."


def test_reply_wait_counts_from_the_first_unanswered_message():
    unanswered = [
        ("c1", "CC-1", "ana", NOW - timedelta(seconds=30)),
        ("c2", "CC-2", "ben", NOW - timedelta(seconds=70)),
        ("c3", "CC-3", None, NOW - timedelta(seconds=95)),
    ]
    alerts = reply_alerts(unanswered, LIMITS, now=NOW)
    assert [(a["subject"], a["level"]) for a in alerts] == [("CC-2", NEAR), ("CC-3", OVER)]
    assert alerts[1]["text"] == "The provider on CC-3 has waited 1:35 for a reply from the agent (SLA 1:30)."


def test_agents_over_capacity_or_away_with_chats():
    rows = [
        {"username": "ana", "name": "Ana", "status": "available", "load": 4, "capacity": 3},
        {"username": "ben", "name": "Ben", "status": "away", "load": 1, "capacity": 3},
        {"username": "cy", "name": "Cy", "status": "offline", "load": 2, "capacity": 3},
        {"username": "di", "name": "Di", "status": "away", "load": 0, "capacity": 3},
        {"username": "ed", "name": "Ed", "status": "available", "load": 3, "capacity": 3},
    ]
    assert [(a["kind"], a["subject"], a["text"]) for a in agent_alerts(rows)] == [
        ("over_capacity", "ana", "Ana holds 4 chats, over their capacity of 3."),
        ("away_with_chats", "ben", "Ben is away with 1 chat."),
        ("away_with_chats", "cy", "Cy is offline (console lost) with 2 chats."),
    ]


def test_wait_settings_parse_and_name_every_transaction_type():
    keys = settings.SLA_WAIT_KEYS
    assert keys == {"default", "discharge_within_24h", *TransactionType.values}
    assert env_seconds_map("X", {"default": 120}, keys, environ={"X": "restaff=40, default=90"}) == {
        "default": 90,
        "restaff": 40,
    }
    for bad in ("new_referral=10", "restaff=0", "restaff=ten", "restaff"):
        with pytest.raises(ConfigError, match="X"):
            env_seconds_map("X", {}, keys, environ={"X": bad})


def test_due_runs_once_per_interval_with_an_injected_clock():
    assert due("test-clock", now=NOW)
    assert not due("test-clock", now=NOW + RECORD_INTERVAL - timedelta(seconds=1))
    assert due("test-clock", now=NOW + RECORD_INTERVAL)
    assert due("test-clock", now=NOW)  # the clock went back (another test's instant): run


# --- the floor applying the rules to stored rows ---------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_floor_state_colours_the_queue_and_records_a_breach_once_a_day(provider):
    chat = open_chat_for(provider)
    row = Chat.objects.get(public_id=chat["chat_id"])
    state = floor_state(now=row.requested_at + timedelta(seconds=30))
    assert (state["waiting"][0]["sla"], state["alerts"]) == (OK, [])
    late = row.requested_at + timedelta(seconds=125)
    state = floor_state(now=late)
    assert state["waiting"][0]["sla_text"] == "Over SLA"
    assert [(a["kind"], a["level"], a["subject"]) for a in state["alerts"]] == [
        ("queue_wait", OVER, chat["case_number"])
    ]
    floor_state(now=late + timedelta(seconds=60))
    assert list(SlaBreach.objects.values_list("kind", "subject")) == [("queue_wait", chat["case_number"])]
    assert state["today"]["sla_breaches"]["queue_wait"] in (0, 1)  # cached for a few seconds at most
    # another process (nothing remembered) writing the same breach counts it once still
    assert record_breaches([{"kind": "queue_wait", "level": OVER, "subject": "CC-X"}], now=late) == 1
    assert record_breaches([{"kind": "queue_wait", "level": OVER, "subject": "CC-X"}], now=late) == 0
    assert SlaBreach.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_reply_wait_and_away_with_chats_come_from_stored_rows(provider, agent):
    chat = open_chat_for(provider)
    row = Chat.objects.get(public_id=chat["chat_id"])
    accepted_at = row.requested_at + timedelta(seconds=5)
    accept_chat(agent, row.public_id, now=accepted_at, outbox=Outbox())
    # the opening question is the provider's unanswered message; it counts from the offer
    unanswered = unanswered_chats()
    assert [(u[1], u[2]) for u in unanswered] == [(chat["case_number"], "ana")]
    state = floor_state(now=unanswered[0][3] + timedelta(seconds=settings.CHAT_SLA_REPLY_SECONDS + 1))
    kinds = {(a["kind"], a["subject"]) for a in state["alerts"]}
    assert ("reply_wait", chat["case_number"]) in kinds
    assert ("away_with_chats", "ana") in kinds  # the agent accepted while away
    ana = next(r for r in state["agents"] if r["username"] == "ana")
    assert ana["time_in_state_seconds"] >= 0

    second = open_chat_for(provider, member_id="M200")
    accept_chat(agent, second["chat_id"], now=accepted_at, outbox=Outbox())
    AgentPresence.objects.filter(pk=agent.pk).update(status="available", last_seen=state_time(state))
    open_socket(agent, "test-console", now=state_time(state))  # available *with a console open*: not away
    agent.chat_capacity = 1
    agent.save(update_fields=["chat_capacity"])
    kinds = {(a["kind"], a["subject"]) for a in floor_state(now=state_time(state))["alerts"]}
    assert ("over_capacity", "ana") in kinds and ("away_with_chats", "ana") not in kinds


def state_time(state):
    return datetime.fromisoformat(state["at"])


@pytest.mark.django_db(transaction=True)
async def test_the_timer_loop_counts_a_breach_with_no_floor_open(provider):
    """No supervisor watches: the timer pass still records the queue breach, once."""
    chat = await sync_to_async(open_chat_for)(provider)
    requested = await sync_to_async(lambda: Chat.objects.get(public_id=chat["chat_id"]).requested_at)()
    await sweep(requested + timedelta(seconds=settings.CHAT_SLA_WAIT_SECONDS["default"] + 1))
    await sweep(requested + timedelta(seconds=settings.CHAT_SLA_WAIT_SECONDS["default"] + 30))
    rows = await sync_to_async(lambda: list(SlaBreach.objects.values_list("kind", "subject")))()
    assert rows == [("queue_wait", chat["case_number"])]


@pytest.mark.django_db(transaction=True)
@override_settings(CHAT_WRAPUP_SECONDS=60)  # the suite turns wrap-up off
def test_the_floor_shows_an_agents_running_wrap_up(provider, agent):
    """After a close, the agent's row says how long the wrap-up has left; none before."""
    from queueing.handoff import close_chat

    chat = open_chat_for(provider)
    row = Chat.objects.get(public_id=chat["chat_id"])
    at = row.requested_at + timedelta(seconds=5)
    accept_chat(agent, row.public_id, now=at, outbox=Outbox())
    assert next(r for r in floor_state(now=at)["agents"] if r["username"] == "ana")["wrapup_seconds"] is None
    close_chat(agent, row.public_id, "resolved", now=at, outbox=Outbox())
    ana = next(r for r in floor_state(now=at + timedelta(seconds=10))["agents"] if r["username"] == "ana")
    assert ana["wrapup_seconds"] == 50
