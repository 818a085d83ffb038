"""A chat about one patient, and its append-only transcript of numbered entries.

The database is the only truth: every message and event is an Entry with a gapless per-chat
`seq` and a hash chained to the one before it. The channel layer only rings the doorbell.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Upper

CASE_PREFIX = "CC-"


class TransactionType(models.TextChoices):
    ADD_ON = "add_on", "Add-on"
    CANCELLATION = "cancellation", "Cancellation"
    RESTAFF = "restaff", "Restaff"
    AUTHORIZATION_EDIT = "authorization_edit", "Authorization edit"
    REAUTHORIZATION = "reauthorization", "Reauthorization"
    STATUS_INQUIRY = "status_inquiry", "Status inquiry"


class Status(models.TextChoices):
    HELD = "held", "Message left"  # after hours: not in the queue until the next opening (queueing.left_messages)
    WAITING = "waiting", "Waiting"
    ACTIVE = "active", "Active"
    ENDED = "ended", "Ended"


OPEN_STATUSES = (Status.HELD, Status.WAITING, Status.ACTIVE)
AGENT_JOINED = "agent_joined"  # the transcript event that makes someone the chat's agent (they served it)


class CloseReason(models.TextChoices):
    IDLE_TIMEOUT = "idle_timeout", "Idle timeout"
    AGENT_CLOSED = "agent_closed", "Closed by agent"
    CHATTER_ENDED = "chatter_ended", "Ended by provider"


class Disposition(models.TextChoices):
    RESOLVED = "resolved", "Resolved"
    UNRESOLVED = "unresolved", "Unresolved"
    ESCALATED = "escalated", "Escalated"
    TRANSFERRED_OUT = "transferred_out", "Transferred out"
    FOLLOW_UP = "follow_up", "Follow-up needed"
    DUPLICATE = "duplicate", "Duplicate"


class ChatQuerySet(models.QuerySet["Chat"]):
    def waiting_in_queue_order(self) -> ChatQuerySet:
        """Waiting chats as the queue serves them: discharge-within-24h first, then oldest."""
        return self.filter(status=Status.WAITING).order_by("-discharge_within_24h", "queued_at", "id")

    def active_for_agent(self, agent_id: int) -> ChatQuerySet:
        return self.filter(status=Status.ACTIVE, agent_id=agent_id)

    def holding_slot(self, agent_id: int, *, now: datetime) -> ChatQuerySet:
        """The chats that take one of the agent's capacity slots: active ones and those in wrap-up."""
        return self.filter(slot_taken(now), agent_id=agent_id)


def slot_taken(now: datetime, prefix: str = "") -> Q:
    """A chat takes its agent's slot while active or in wrap-up; `prefix` for a related lookup."""
    return Q(**{f"{prefix}status": Status.ACTIVE}) | Q(
        **{f"{prefix}status": Status.ENDED, f"{prefix}wrapup_until__gt": now}
    )


class Chat(models.Model):
    id = models.BigAutoField(primary_key=True)  # the case number is derived from it
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)

    provider = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="chats")
    agency = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT, related_name="chats")
    location = models.ForeignKey("accounts.Location", on_delete=models.PROTECT, related_name="chats")
    transaction_type = models.CharField(max_length=30, choices=TransactionType.choices)
    member_id = models.CharField(max_length=40)
    patient_first_name = models.CharField(max_length=100)
    patient_last_name = models.CharField(max_length=100)
    patient_dob = models.DateField()
    reference = models.CharField(max_length=100, blank=True)
    discharge_within_24h = models.BooleanField(default=False)
    question = models.TextField(blank=True)

    status = models.CharField(max_length=10, choices=Status.choices, default=Status.WAITING)
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="served_chats"
    )
    requested_at = models.DateTimeField()
    queued_at = models.DateTimeField(help_text="Place in the queue; an unanswered offer puts it back at the front")
    first_accepted_at = models.DateTimeField(null=True, blank=True)
    offered_at = models.DateTimeField(null=True, blank=True, help_text="When the current agent got the chat")
    answered_at = models.DateTimeField(null=True, blank=True, help_text="When the current agent answered")
    delivered_at = models.DateTimeField(
        null=True, blank=True, help_text="When a console of the current agent received the chat (then: joined)"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    close_reason = models.CharField(max_length=20, choices=CloseReason.choices, blank=True)
    disposition = models.CharField(max_length=20, choices=Disposition.choices, blank=True)
    transfer_count = models.PositiveSmallIntegerField(default=0)
    # Wrap-up: after the end, the agent's slot stays taken until `wrapup_until` (queueing.wrapup).
    wrapup_until = models.DateTimeField(null=True, blank=True, help_text="End of the agent's wrap-up after the chat")
    wrapup_extended = models.BooleanField(default=False)
    wrapup_note = models.TextField(blank=True, help_text="The agent's optional wrap-up note")
    returned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Who last sent the chat back to the queue: it is not offered straight back to them",
    )

    # Idle ladder: the chatter's idle clock and how many steps of it have fired.
    idle_since = models.DateTimeField(null=True, blank=True)
    idle_steps_done = models.PositiveSmallIntegerField(default=0)

    # Leave a message (after hours, or a long wait): the provider need not be online for the answer.
    message_left_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the provider left this chat as a message (its requested_at is when it entered the queue)",
    )
    provider_seen_seq = models.PositiveIntegerField(
        default=0, help_text="The last seq the provider's page was shown: agents' messages after it are unread"
    )

    last_seq = models.PositiveIntegerField(default=0)
    head_hash = models.CharField(max_length=64, blank=True)

    legal_hold = models.BooleanField(default=False)
    purged_at = models.DateTimeField(null=True, blank=True)

    objects = ChatQuerySet.as_manager()

    class Meta:
        constraints = [
            # One chat per patient: a second open chat about the same member id (in any letter case:
            # m100 and M100 are one member) cannot exist.
            models.UniqueConstraint(
                F("provider"),
                Upper("member_id"),
                condition=Q(status__in=["held", "waiting", "active"]),
                name="one_open_chat_per_patient_any_case",
            )
        ]
        indexes = [
            # in queue order (`waiting_in_queue_order`), so the head is one index entry: with the
            # mixed directions unindexed, every routing pass sorted all waiting chats (3.7 ms at 10,000)
            models.Index(fields=["status", "-discharge_within_24h", "queued_at", "id"], name="chat_queue_order_idx"),
            models.Index(fields=["status", "idle_since"], name="chat_idle_idx"),
            models.Index(fields=["status", "offered_at"], name="chat_offer_idx"),
            models.Index(fields=["agent", "status"], name="chat_agent_idx"),
            models.Index(fields=["member_id"], name="chat_member_idx"),
            models.Index(fields=["requested_at"], name="chat_requested_idx"),
        ]

    def __str__(self) -> str:
        return self.case_number

    @property
    def case_number(self) -> str:
        return format_case_number(self.id)

    @property
    def group(self) -> str:
        from chats.groups import chat_group

        return chat_group(self.public_id)


def format_case_number(chat_pk: int) -> str:
    return f"{CASE_PREFIX}{chat_pk:08d}"


def parse_case_number(text: str) -> int | None:
    """The chat's primary key for a case number such as CC-00001234, or None if malformed."""
    text = text.strip().upper()
    digits = text[len(CASE_PREFIX) :]
    # ASCII digits only: str.isdigit() is also true for '²' (int() refuses it) and '٠' (int() reads it).
    if not text.startswith(CASE_PREFIX) or not digits.isascii() or not digits.isdigit():
        return None
    value = int(text[len(CASE_PREFIX) :])
    return value if 0 < value < 2**63 else None


class EntryKind(models.TextChoices):
    MESSAGE = "message", "Message"
    EVENT = "event", "Event"
    ATTACHMENT = "attachment", "Attachment"  # a file; its row is Entry.attachment (chats.attachments)
    # Internal entries (docs/record.md): part of the case record and its hash chain, shown to staff
    # only, never to the provider (chats.frames.for_provider is the one filter).
    NOTE = "note", "Internal note"  # written by the chat's agent or a supervisor
    WHISPER = "whisper", "Supervisor whisper"  # a supervisor to the agent, in whisper mode
    INTERNAL_EVENT = "internal", "Internal event"  # e.g. a supervisor started whispering


INTERNAL_KINDS = frozenset({EntryKind.NOTE, EntryKind.WHISPER, EntryKind.INTERNAL_EVENT})


class SenderRole(models.TextChoices):
    PROVIDER = "provider", "Provider"
    AGENT = "agent", "Agent"
    SUPERVISOR = "supervisor", "Supervisor"
    SYSTEM = "system", "System"


class Entry(models.Model):
    """One line of a transcript. Inserted once, never updated (retention may blank `text`)."""

    chat = models.ForeignKey(Chat, on_delete=models.PROTECT, related_name="entries")
    seq = models.PositiveIntegerField()
    kind = models.CharField(max_length=10, choices=EntryKind.choices)
    event = models.CharField(max_length=30, blank=True, help_text="For events: what happened")
    sender = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT)
    sender_role = models.CharField(max_length=12, choices=SenderRole.choices)
    sender_name = models.CharField(max_length=150, blank=True)
    text = models.TextField(blank=True)
    text_sha256 = models.CharField(max_length=64)
    # Attachments only: the stored file's SHA-256, part of the hash chain (chats.integrity).
    # db_default: the PostgreSQL message function inserts entries without naming this column.
    file_sha256 = models.CharField(max_length=64, blank=True, default="", db_default="")
    client_id = models.UUIDField(null=True, blank=True)
    at = models.DateTimeField()
    hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["chat_id", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["chat", "seq"], name="entry_seq_unique"),
            models.UniqueConstraint(
                fields=["chat", "client_id"], condition=Q(client_id__isnull=False), name="entry_client_id_unique"
            ),
        ]
        verbose_name_plural = "entries"

    def __str__(self) -> str:
        return f"{self.chat_id}#{self.seq} {self.kind}"


class Refusal(models.Model):
    """A chat request the rules refused (closed hours, new referral, location…), for the metrics."""

    provider = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    code = models.CharField(max_length=40)
    transaction_type = models.CharField(max_length=30, blank=True)
    at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["at"], name="refusal_at_idx")]


class RedactedOriginal(models.Model):
    """The unmasked text of an entry whose stored text was redacted; read only by supervisors, audited."""

    entry = models.OneToOneField(Entry, on_delete=models.CASCADE, primary_key=True, related_name="original")
    text = models.TextField()


class AttachmentState(models.TextChoices):
    CHECKING = "checking", "Being checked"  # stored, waiting for the scanner (CHAT_ATTACHMENT_SCANNER)
    CLEAN = "clean", "Available"
    REJECTED = "rejected", "Failed the malware check"  # quarantined for good, never downloadable
    PURGED = "purged", "Removed under the retention policy"


# How each stored type is named to people (frames, the PDF).
CONTENT_TYPE_LABELS = {
    "application/pdf": "PDF",
    "image/png": "PNG image",
    "image/jpeg": "JPEG image",
    "image/tiff": "TIFF image",
}


class Attachment(models.Model):
    """A file attached to a chat: one transcript entry, one stored object (chats.attachments).

    The file lives in the `attachments` storage under a name made of ids only; `name` is the
    sanitised name the uploader gave (PHI: shown to the chat's people, never logged).
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    chat = models.ForeignKey(Chat, on_delete=models.PROTECT, related_name="attachments")
    entry = models.OneToOneField(Entry, on_delete=models.PROTECT, related_name="attachment")
    uploader = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=40)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    storage_name = models.CharField(max_length=200)
    state = models.CharField(max_length=10, choices=AttachmentState.choices)
    uploaded_at = models.DateTimeField()
    checked_at = models.DateTimeField(null=True, blank=True)
    purged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["state", "uploaded_at"], name="attachment_state_idx")]

    def __str__(self) -> str:
        return f"{self.chat_id}#{self.public_id}"


class PostChatCheck(models.Model):
    """The provider's answer after a chat: was the question resolved (and an optional 1-5 rating).

    Once per chat; no free text and no PHI. Feeds the metrics beside FCR (transcripts/metrics.py).
    """

    chat = models.OneToOneField(Chat, on_delete=models.CASCADE, primary_key=True, related_name="post_chat_check")
    resolved = models.BooleanField()
    rating = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    at = models.DateTimeField()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5), name="post_chat_check_rating_1_5"
            )
        ]


class CommitmentOccasion(models.TextChoices):
    ESCALATED = "escalated", "On escalation"
    CLOSED = "closed", "On closing unresolved"


class Commitment(models.Model):
    """What an agent promised a provider they could not help at first contact (docs/escalations.md):
    a committed resolution time and the escalation contact. Open until a supervisor marks it done.

    Recorded by one transcript event (`entry`, event "commitment") and closed by another
    (`done_entry`, event "commitment_done"); the events' text holds every field, so the hash
    chain covers them. The contact is a staff person, not PHI.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    chat = models.ForeignKey(Chat, on_delete=models.PROTECT, related_name="commitments")
    entry = models.OneToOneField(Entry, on_delete=models.PROTECT, related_name="commitment")
    occasion = models.CharField(max_length=10, choices=CommitmentOccasion.choices)
    due_at = models.DateTimeField(help_text="The committed resolution time (shown in the service center's zone)")
    contact_name = models.CharField(max_length=100)
    contact_line = models.CharField(max_length=40, help_text="Direct line and/or extension, normalised")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_by_name = models.CharField(max_length=150)
    recorded_at = models.DateTimeField()
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    done_by_name = models.CharField(max_length=150, blank=True)
    done_entry = models.OneToOneField(
        Entry, null=True, blank=True, on_delete=models.PROTECT, related_name="commitment_done"
    )

    class Meta:
        indexes = [
            models.Index(fields=["due_at"], condition=Q(done_at__isnull=True), name="commitment_open_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.chat_id}#{self.public_id}"
