"""Attaching a file to a chat: stored whole or not at all, chained into the transcript, then checked.

The file is written to the `attachments` storage first (outside any transaction: no lock is
held during file I/O), then the transcript entry and the Attachment row are inserted in one
transaction under the chat's lock; if that transaction fails the file is deleted. So a row
never points at a missing file, and a file without a row exists only for the moment between.
Storage names are made of ids only (`<chat uuid>/<attachment uuid>`), never of the user's name.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import Storage, storages
from django.db import transaction

from accounts.models import Role, User
from chats.frames import attachment_status_frame
from chats.messaging import ChatAccessError, record_activity
from chats.models import Attachment, AttachmentState, Chat, EntryKind, Status
from chats.outbox import Outbox
from chats.scanning import Verdict
from chats.transcript import append_entry, lock_chat
from chats.uploads import CleanFile

REJECTED_MESSAGE = "The file did not pass the malware check and cannot be downloaded."


def attachment_storage() -> Storage:
    return storages["attachments"]


def storage_name(chat_id: uuid.UUID, attachment_id: uuid.UUID) -> str:
    return f"chats/{chat_id.hex}/{attachment_id.hex}"


def check_may_attach(user: User, chat: Chat | None) -> Chat:
    """The chat if `user` may attach to it now: its provider or its agent (or a supervisor), while active.

    Whose chat it is comes first, so someone else's chat answers `forbidden` whatever its state.
    """
    if chat is None:
        raise ChatAccessError("not_found", "There is no such chat.")
    if user.role == Role.PROVIDER:
        if chat.provider_id != user.pk or not user.may_chat_as_provider:
            raise ChatAccessError("forbidden", "This chat belongs to someone else.")
    elif not (user.is_supervisor or chat.agent_id == user.pk):
        raise ChatAccessError("not_your_chat", "You are not serving this chat.")
    if chat.status == Status.ENDED:
        raise ChatAccessError("chat_ended", f"Chat {chat.case_number} has ended; files can no longer be attached.")
    if chat.status != Status.ACTIVE:
        raise ChatAccessError("chat_not_active", "Files can be attached once an agent has joined the chat.")
    return chat


def check_room_for_file(chat: Chat) -> None:
    if Attachment.objects.filter(chat=chat).count() >= settings.CHAT_MAX_ATTACHMENTS:
        raise ChatAccessError("too_many_attachments", f"A chat can hold at most {settings.CHAT_MAX_ATTACHMENTS} files.")


def find_chat(chat_id: uuid.UUID) -> Chat | None:
    return Chat.objects.filter(public_id=chat_id).first()


def attach_file(
    user: User, chat_id: uuid.UUID, upload: CleanFile, *, now: datetime, outbox: Outbox, checking: bool
) -> Attachment:
    """Store `upload` as the chat's next entry (type `attachment`) and queue its frame.

    `checking`: a scanner is configured, so the file starts quarantined ("being checked").
    ChatAccessError (nothing stored) if the user may not attach here now or the chat is full.
    """
    check_room_for_file(check_may_attach(user, find_chat(chat_id)))  # refuse before writing anything
    public_id = uuid.uuid4()
    storage = attachment_storage()
    stored_as = storage.save(storage_name(chat_id, public_id), ContentFile(upload.data))
    try:
        with transaction.atomic():
            chat = check_may_attach(user, lock_chat(public_id=chat_id))
            check_room_for_file(chat)
            attachment = Attachment(
                public_id=public_id,
                chat=chat,
                uploader=user,
                name=upload.name,
                content_type=upload.content_type,
                size=upload.size,
                sha256=upload.sha256,
                storage_name=stored_as,
                state=AttachmentState.CHECKING if checking else AttachmentState.CLEAN,
                uploaded_at=now,
            )

            def save_attachment(entry):
                attachment.entry = entry
                attachment.save(force_insert=True)

            append_entry(
                chat,
                kind=EntryKind.ATTACHMENT,
                sender_role=user.role,
                sender_id=user.pk,
                sender_name=user.display_name,
                text=upload.name,
                file_sha256=upload.sha256,
                now=now,
                outbox=outbox,
                with_entry=save_attachment,
            )
            record_activity(user, chat, now=now, outbox=outbox)
    except BaseException:
        storage.delete(stored_as)
        raise
    return attachment


def read_file(attachment: Attachment) -> bytes:
    with attachment_storage().open(attachment.storage_name, "rb") as handle:
        return handle.read()


def record_verdict(attachment_pk: int, verdict: Verdict, *, now: datetime, outbox: Outbox) -> Attachment | None:
    """A check's verdict: clean files become downloadable, infected ones stay quarantined for good.

    No verdict (scanner down) leaves the file "being checked" for `manage.py scan_attachments`.
    Returns the attachment if its state changed, None if it was no longer being checked.
    """
    if verdict == Verdict.UNKNOWN:
        return None
    state = AttachmentState.CLEAN if verdict == Verdict.CLEAN else AttachmentState.REJECTED
    with transaction.atomic():
        changed = Attachment.objects.filter(pk=attachment_pk, state=AttachmentState.CHECKING).update(
            state=state, checked_at=now
        )
        if not changed:
            return None
        attachment = Attachment.objects.select_related("chat", "entry").get(pk=attachment_pk)
        message = REJECTED_MESSAGE if state == AttachmentState.REJECTED else ""
        outbox.chat_frame(attachment.chat, attachment_status_frame(attachment, attachment.entry.seq, message))
    return attachment


def awaiting_check() -> list[int]:
    """Attachments still being checked (the scanner was down, or a process died mid-check), oldest first."""
    return list(
        Attachment.objects.filter(state=AttachmentState.CHECKING).order_by("uploaded_at").values_list("pk", flat=True)
    )
