"""Capacity and exclusivity under 50 concurrent claimers in two OS processes on PostgreSQL."""

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from chats.models import Chat, Entry

pytestmark = [pytest.mark.postgres, pytest.mark.multiprocess, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parents[2]
CAPACITY = 3


def claim_in_two_processes(provider, agents, chats: int, capacity: int) -> list[dict]:
    """`chats` waiting, the agents split over two claimer processes racing accept_next: their reports."""
    location = provider.locations.get(code="A001")
    now = timezone.now()
    Chat.objects.bulk_create(
        Chat(
            provider=provider,
            agency=provider.agency,
            location=location,
            transaction_type="status_inquiry",
            member_id=f"X{i}",
            patient_first_name="A",
            patient_last_name="B",
            patient_dob="1950-01-01",
            requested_at=now,
            queued_at=now,
        )
        for i in range(chats)
    )
    db = connection.settings_dict
    env = dict(
        os.environ,
        DATABASE_URL=f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        CHAT_AGENT_CAPACITY=str(capacity),
        DB_POOL_MAX="20",
        # 100 threads share each process's 20 connections: on a slow CI box a thread can wait
        # longer than the default 3 s for one. The test is about claims, not pool waits.
        DB_POOL_TIMEOUT="60",
    )
    start_at = time.time() + 3
    half = len(agents) // 2
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.postgres.claimers", ",".join(a.username for a in part), str(start_at)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for part in (agents[:half], agents[half:])
    ]
    outputs = [p.communicate(timeout=150) for p in procs]
    assert all(p.returncode == 0 for p in procs), [err[-2000:] for _, err in outputs]
    return [json.loads(out.strip().splitlines()[-1]) for out, _ in outputs]


def report(reports: list[dict], agents: int) -> None:
    claims = sum(r["results"].get("claimed", 0) for r in reports)
    latencies = sorted(x for r in reports for x in r["latencies"])
    elapsed = max(r["elapsed"] for r in reports)
    p99 = latencies[int(len(latencies) * 0.99) - 1]
    print(
        f"\nclaims: {claims} in {elapsed:.2f}s = {claims / elapsed:.0f}/s with {agents} agents in 2 processes; "
        f"p50 {statistics.median(latencies) * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms"
    )


def test_fifty_claimers_in_two_processes_never_exceed_capacity_or_double_assign(provider, make_user, settings):
    """25 agents per process, 200 waiting chats: each agent ends with exactly CAPACITY, no chat twice."""
    agents = [make_user("agent") for _ in range(50)]
    reports = claim_in_two_processes(provider, agents, 200, CAPACITY)
    loads = [Chat.objects.filter(agent=a, status="active").count() for a in agents]
    assert loads == [CAPACITY] * 50, [r["results"] for r in reports]
    assert Chat.objects.filter(status="active").count() == 150
    assert Chat.objects.filter(status="waiting").count() == 50
    joined = Entry.objects.filter(event="agent_joined").values_list("chat_id", flat=True)
    assert len(joined) == len(set(joined)) == 150  # zero double assignments
    assert sum(r["results"].get("claimed", 0) for r in reports) == 150
    report(reports, 50)


def test_two_hundred_racing_agents_claim_every_chat_exactly_once(provider, make_user, settings):
    """100 agents per process race for 400 chats (room for 600): every chat claimed, each by one agent."""
    agents = [make_user("agent") for _ in range(200)]
    reports = claim_in_two_processes(provider, agents, 400, CAPACITY)
    assert Chat.objects.filter(status="waiting").count() == 0, [r["results"] for r in reports]
    assert Chat.objects.filter(status="active").count() == 400
    assert max(Chat.objects.filter(agent=a, status="active").count() for a in agents) <= CAPACITY
    joined = Entry.objects.filter(event="agent_joined").values_list("chat_id", flat=True)
    # each chat's one claim delivered once; the processes' counts name what stopped a delivery
    assert len(joined) == len(set(joined)) == 400, [r["results"] for r in reports]
    assert sum(r["results"].get("claimed", 0) for r in reports) == 400
    report(reports, 200)
