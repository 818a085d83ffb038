"""The access audit: append-only, and readable by supervisors through GET /api/audit/."""

from datetime import UTC, datetime

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from tests.conftest import logged_in_client
from transcripts.audit import record_access
from transcripts.models import AccessRecord, AppendOnlyError

pytestmark = pytest.mark.django_db


def test_supervisor_filters_the_audit(served_chat, agent, agent2, supervisor):
    """Rows by case and by user, newest first, with who, what, where and why."""
    logged_in_client(agent).get(f"/api/transcripts/{served_chat.case_number}/", {"purpose": "follow-up"})
    logged_in_client(agent2).get(f"/api/transcripts/{served_chat.case_number}/")
    body = logged_in_client(supervisor).get("/api/audit/", {"case": served_chat.case_number}).json()
    assert [(r["user"], r["allowed"], r["status"]) for r in body["results"]] == [
        ("ben", False, 403),
        ("ana", True, 200),
    ]
    ana = body["results"][1]
    assert ana["purpose"] == "follow-up" and ana["ip"] == "127.0.0.1" and ana["action"] == "view"
    assert ana["chat_id"] == str(served_chat.public_id) and ana["case_number"] == served_chat.case_number
    by_user = logged_in_client(supervisor).get("/api/audit/", {"user": "ana"}).json()["results"]
    assert [r["user"] for r in by_user] == ["ana"]


def test_audit_date_range(supervisor):
    """from/to pick rows by the time of access."""
    record_access(supervisor, "view", now=datetime(2026, 1, 5, 15, tzinfo=UTC), allowed=True, status=200)
    record_access(supervisor, "view", now=datetime(2026, 2, 5, 15, tzinfo=UTC), allowed=True, status=200)
    body = logged_in_client(supervisor).get("/api/audit/", {"from": "2026-02-01", "to": "2026-02-28"}).json()
    assert [r["at"][:10] for r in body["results"]] == ["2026-02-05"]


def test_reading_the_audit_is_audited_and_for_supervisors_only(agent, supervisor):
    """An agent is refused (and that is recorded); the supervisor's own read is a row too."""
    assert logged_in_client(agent).get("/api/audit/").status_code == 403
    logged_in_client(supervisor).get("/api/audit/")
    assert list(AccessRecord.objects.order_by("id").values_list("username", "action", "allowed")) == [
        ("ana", "audit", False),
        ("sofia", "audit", True),
    ]


def test_rows_cannot_be_changed_or_deleted(supervisor):
    """The ORM refuses updates and deletes; the database refuses raw updates too."""
    row = record_access(supervisor, "view", now=timezone.now(), allowed=True, status=200)
    row.purpose = "rewritten"
    with pytest.raises(AppendOnlyError):
        row.save()
    with pytest.raises(AppendOnlyError):
        row.delete()
    with pytest.raises(AppendOnlyError):
        AccessRecord.objects.filter(pk=row.pk).update(purpose="x")
    with pytest.raises(AppendOnlyError):
        AccessRecord.objects.all().delete()
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE transcripts_accessrecord SET purpose = 'x' WHERE id = %s", [row.pk])
    assert AccessRecord.objects.get(pk=row.pk).purpose == ""
