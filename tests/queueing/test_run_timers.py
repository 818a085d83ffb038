"""manage.py run_timers: the timer loop as a process of its own fires due steps."""

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from chats.models import Chat, Entry
from chats.outbox import Outbox
from queueing.assignment import accept_chat
from tests.conftest import open_chat_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.multiprocess]
ROOT = Path(__file__).resolve().parents[2]


def database_url(db: dict) -> str:
    """This test's database, for the timer process."""
    return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def test_run_timers_fires_an_overdue_warning(provider, agent):
    """A chat idle past warning 1 gets exactly one warning from the separate timer process."""
    chat = Chat.objects.get(public_id=open_chat_for(provider)["chat_id"])
    accept_chat(agent, chat.public_id, now=timezone.now(), outbox=Outbox())
    Chat.objects.filter(pk=chat.pk).update(idle_since=timezone.now() - timedelta(seconds=301))
    env = dict(
        os.environ,
        DATABASE_URL=database_url(connection.settings_dict),
        CHAT_TIMERS="1",
        CHAT_SWEEP_INTERVAL="0.2",
    )
    proc = subprocess.Popen(
        [sys.executable, "manage.py", "run_timers", "--settings", "tests.settings"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.time() + 20
        while time.time() < deadline and not Entry.objects.filter(chat=chat, event="idle_warning").exists():
            time.sleep(0.2)
        time.sleep(1)  # several more sweeps
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(10)
    assert Entry.objects.filter(chat=chat, event="idle_warning").count() == 1
