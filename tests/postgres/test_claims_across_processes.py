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


def test_fifty_claimers_in_two_processes_never_exceed_capacity_or_double_assign(provider, make_user, settings):
    """25 agents per process, 200 waiting chats: each agent ends with exactly CAPACITY, no chat twice."""
    agents = [make_user("agent") for _ in range(50)]
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
        for i in range(200)
    )
    db = connection.settings_dict
    env = dict(
        os.environ,
        DATABASE_URL=f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        CHAT_AGENT_CAPACITY=str(CAPACITY),
    )
    start_at = time.time() + 3
    halves = [agents[:25], agents[25:]]
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.postgres.claimers", ",".join(a.username for a in half), str(start_at)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for half in halves
    ]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), [err[-2000:] for _, err in outputs]
    reports = [json.loads(out.strip().splitlines()[-1]) for out, _ in outputs]

    loads = [Chat.objects.filter(agent=a, status="active").count() for a in agents]
    assert loads == [CAPACITY] * 50, ([r["results"] for r in reports], [err[-3000:] for _, err in outputs])
    assert Chat.objects.filter(status="active").count() == 150
    assert Chat.objects.filter(status="waiting").count() == 50
    joined = Entry.objects.filter(event="agent_joined").values_list("chat_id", flat=True)
    assert len(joined) == len(set(joined)) == 150  # zero double assignments
    claims = sum(r["results"].get("claimed", 0) for r in reports)
    assert claims == 150
    latencies = sorted(x for r in reports for x in r["latencies"])
    elapsed = max(r["elapsed"] for r in reports)
    p99 = latencies[int(len(latencies) * 0.99) - 1]
    print(
        f"\nclaims: {claims} in {elapsed:.2f}s = {claims / elapsed:.0f}/s with 50 agents in 2 processes; "
        f"p50 {statistics.median(latencies) * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms"
    )
