"""Retention: purge_transcripts blanks old message bodies, keeps the chain, skips legal holds."""

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from chats.models import Chat, Entry
from tests.conftest import logged_in_client, open_chat_for
from tests.transcripts.conftest import serve
from transcripts.retention import purge_expired, retention_days

pytestmark = pytest.mark.django_db


def age(chat: Chat, days: int) -> None:
    Chat.objects.filter(pk=chat.pk).update(closed_at=timezone.now() - timedelta(days=days))


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("purge_transcripts", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_old_ended_chats_lose_bodies_but_still_verify(served_chat, supervisor):
    """After the period: texts blank, case and chain head kept, integrity still verified."""
    age(served_chat, 40)
    with override_settings(CHAT_RETENTION_DAYS=30):
        output = run()
    assert "Purged message bodies of 1 chat(s)" in output and "3 message(s) blanked" in output
    body = logged_in_client(supervisor).get(f"/api/transcripts/{served_chat.case_number}/").json()
    assert [e["text"] for e in body["entries"] if e["kind"] == "message"] == ["", "", ""]
    assert any(e["text"].startswith("Chat closed by the agent") for e in body["entries"] if e["kind"] == "event")
    assert body["integrity"] == {"head": served_chat.head_hash, "verified": True, "broken_at_seq": None}
    chat = Chat.objects.get(pk=served_chat.pk)
    assert chat.purged_at is not None and chat.question == "" and chat.member_id == "M100"


def test_recent_open_and_held_chats_are_kept(served_chat, provider, agent, supervisor):
    """A recent chat, an open one and one on legal hold keep every word."""
    other = Chat.objects.get(public_id=open_chat_for(provider, member_id="M200")["chat_id"])
    serve(other, agent, "Still talking")
    age(served_chat, 40)
    hold = logged_in_client(supervisor).post(
        f"/api/transcripts/{served_chat.case_number}/legal-hold/", {"legal_hold": True}, content_type="application/json"
    )
    assert hold.json() == {"case_number": served_chat.case_number, "legal_hold": True}
    output = run("--days", "30")
    assert "0 chat(s)" in output and "1 chat(s) on legal hold kept" in output
    assert Entry.objects.filter(text="Thanks!").exists() and Entry.objects.filter(text="Still talking").exists()
    assert Chat.objects.get(pk=served_chat.pk).purged_at is None


def test_only_supervisors_set_legal_holds(served_chat, agent):
    """The serving agent may read the chat but not put it on hold."""
    response = logged_in_client(agent).post(
        f"/api/transcripts/{served_chat.case_number}/legal-hold/", {"legal_hold": True}, content_type="application/json"
    )
    assert response.status_code == 403 and not Chat.objects.get(pk=served_chat.pk).legal_hold


def test_default_is_keep(served_chat):
    """Without CHAT_RETENTION_DAYS nothing is purged, and the command says so."""
    age(served_chat, 4000)
    assert "transcripts are kept" in run()
    assert Entry.objects.filter(text="Thanks!").exists()


def test_dry_run_changes_nothing(served_chat):
    """--dry-run reports what it would do and leaves the texts."""
    age(served_chat, 40)
    assert "Would purge message bodies of 1 chat(s)" in run("--days", "30", "--dry-run")
    assert Entry.objects.filter(text="Thanks!").exists()


def test_large_runs_show_a_progress_bar(served_chat):
    """--progress draws a bar that ends at done/total."""
    age(served_chat, 40)
    err = io.StringIO()
    call_command("purge_transcripts", "--days", "30", "--progress", stdout=io.StringIO(), stderr=err)
    assert "[" + "#" * 30 + "] 1/1 chats" in err.getvalue()


def test_purging_twice_is_harmless(served_chat):
    """A second run finds nothing due: purged chats are not counted again."""
    age(served_chat, 40)
    now = timezone.now()
    assert purge_expired(now=now, days=30).purged_chats == 1
    assert purge_expired(now=now, days=30).due == 0


def test_retention_days_come_from_settings(settings):
    """CHAT_RETENTION_DAYS=30 turns retention on; unset (None) means keep."""
    settings.CHAT_RETENTION_DAYS = 30
    assert retention_days() == 30
    settings.CHAT_RETENTION_DAYS = None
    assert retention_days() is None
