"""The supervisors' list of escalation commitments, and marking one done: both audited.

The list names patients (PHI), so each read is an access-audit row, as transcript searches are;
marking done is an audit row and a transcript event ("commitment_done", chats.commitments).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from django.db import transaction

from chats.commitments import CommitmentError, mark_done, open_commitments
from chats.frames import commitment_json
from chats.models import Commitment, TransactionType
from chats.outbox import Outbox
from transcripts.access import TranscriptAccessError
from transcripts.document import patient_json
from transcripts.models import AccessAction
from transcripts.reading import Requester, check_supervisor_audited

STATUSES = ("open", "done", "all")
MAX_LISTED = 500  # open commitments are few; "done"/"all" show the newest this many
DONE_STATUS = {"not_found": 404, "already_done": 409}


def commitment_row(commitment: Commitment, *, now: datetime) -> dict[str, Any]:
    """A commitment with its case, for the supervisors' list (`overdue`: open and past due)."""
    chat = commitment.chat
    return {
        **commitment_json(commitment),
        "case_number": chat.case_number,
        "chat_id": str(chat.public_id),
        "patient": patient_json(chat),
        "transaction_type": chat.transaction_type,
        "transaction_type_label": TransactionType(chat.transaction_type).label,
        "chat_status": chat.status,
        "overdue": commitment.done_at is None and commitment.due_at <= now,
    }


def list_commitments(who: Requester, status: str, *, now: datetime) -> list[dict[str, Any]]:
    """GET /api/commitments/?status=open|done|all: open ones soonest due first, done ones newest first."""
    query = f"status={status}"[:40]
    check_supervisor_audited(who, AccessAction.COMMITMENTS, now=now, query=query)
    if status not in STATUSES:
        who.record(AccessAction.COMMITMENTS, now=now, status=400, query=query)
        raise TranscriptAccessError(400, "invalid_request", "status must be one of: open, done, all.")
    if status == "open":
        rows = open_commitments()
    else:
        rows = Commitment.objects.select_related("chat", "chat__agent").order_by("-recorded_at", "-id")
        if status == "done":
            rows = rows.filter(done_at__isnull=False)
    with transaction.atomic():
        who.record(AccessAction.COMMITMENTS, now=now, status=200, query=query)
        return [commitment_row(c, now=now) for c in rows[:MAX_LISTED]]


def complete_commitment(who: Requester, commitment_id: uuid.UUID, *, now: datetime, outbox: Outbox) -> dict[str, Any]:
    """POST /api/commitments/<id>/done/: the commitment marked done (once), audited and in the transcript."""
    check_supervisor_audited(who, AccessAction.COMMITMENT_DONE, now=now, query=f"commitment={commitment_id}")
    try:
        with transaction.atomic():
            commitment = mark_done(who.user, commitment_id, now=now, outbox=outbox)
            who.record(AccessAction.COMMITMENT_DONE, now=now, status=200, chat=commitment.chat)
    except CommitmentError as exc:
        status = DONE_STATUS.get(exc.code, 400)
        chat = Commitment.objects.filter(public_id=commitment_id).select_related("chat").first()
        who.record(
            AccessAction.COMMITMENT_DONE, now=now, status=status, chat=chat.chat if chat else None, query=exc.code
        )
        raise TranscriptAccessError(status, exc.code, exc.message) from None
    return commitment_row(commitment, now=now)
