"""The queue head is one index entry: routing reads it on every pass, twice a second per process."""

import pytest
from django.db import connection

from chats.models import Chat
from tests.conftest import open_chat_for

pytestmark = pytest.mark.django_db


def test_the_queue_head_is_read_in_index_order_without_sorting_the_queue(provider):
    for n in range(3):
        open_chat_for(provider, member_id=f"M-ORDER-{n}")
    head = Chat.objects.waiting_in_queue_order().values_list("pk", "returned_by_id")[:1]
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # a few rows: make the planner show its index choice
    plan = head.explain()
    assert "chat_queue_order_idx" in plan
    assert "Sort" not in plan  # the old (status, discharge, queued_at) index still sorted every waiting chat
