"""Set-up data made beside a running server, through the domain's own functions."""

from __future__ import annotations

import json

from bench.servers import ours_env, ours_manage

BULK_CHATS = """
import json
from django.utils import timezone
from accounts.models import User
from chats.outbox import Outbox
from chats.requests import check_chat_request, open_chat
from queueing.schedule import current_schedule
by_name = {{u.username: u for u in User.objects.filter(username__in={providers!r})}}
providers = [by_name[name] for name in {providers!r}]  # chat i is the i-th name's, as the bench opens it
ids = []
for i in range({n}):
    patient = {{"member_id": f"S{{i}}", "first_name": "Ada", "last_name": "Lovelace", "dob": "1945-01-23"}}
    body = {{"transaction_type": "status_inquiry", "location": "A001", "reference": "INT-55501",
            "question": "Is the authorization approved?", "patient": patient}}
    provider = providers[i % len(providers)]
    request = check_chat_request(provider, body, now=timezone.now(), schedule=current_schedule())
    chat, _ = open_chat(provider, request, now=timezone.now(), outbox=Outbox())
    ids.append(str(chat.public_id))
print(json.dumps(ids))
"""


def bulk_chats(providers: list[str], n: int) -> list[str]:
    """`n` waiting chats opened by the domain's own `open_chat` in one process beside the server: the
    same rows as POST /api/chats/ makes, minus routing and the HTTP round trips (scenario 4's set-up,
    which is not what it measures, took 20-34 minutes through the API at 10,000 chats)."""
    script = BULK_CHATS.format(providers=providers, n=n)
    return json.loads(ours_manage(ours_env(0, ""), "shell", "-c", script).strip().splitlines()[-1])
