"""Who may write to a chat, and the frames around messages (stored by `chats.message_store`).

The write rule has one statement: `chats_write_refusal()` in chats/message_store.sql, which the
message function applies under the chat's lock. Everything else that asks "may this user write
here?" (typing, ending, closing) asks the same function, and a refusal's wording is derived from
its answer code here. Likewise chatter activity (the idle ladder, answering an offer) is
`chats_after_activity()`, for messages and for a provider's typing.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime

from django.db import connection
from django.db.models import CharField, F, Func, QuerySet, Value

from accounts.errors import DomainError
from accounts.models import Role, User
from chats.frames import idle_cleared_frame, typing_frame
from chats.models import Chat, Entry, Status, format_case_number
from chats.outbox import Outbox
from chats.redaction import Mask

log = logging.getLogger(__name__)


class ChatAccessError(DomainError):
    """The user may not act on this chat (now); `code` goes to the client as is."""


REFUSAL_WORDING = {  # chats_write_refusal()'s answers (and not_found), as the client reads them
    "not_found": "There is no such chat.",
    "chat_ended": "Chat {case_number} has ended.",
    "forbidden": "This chat belongs to someone else.",
    "not_your_chat": "You are not serving this chat.",
}
WRITE_REFUSAL = "SELECT chats_write_refusal(%s, %s, %s, %s, %s)"
AFTER_ACTIVITY = (  # chats_after_activity(), the activity rule in message_store.sql, applied to the row
    "UPDATE chats_chat c SET (idle_since, idle_steps_done, answered_at) ="
    " (SELECT (a).idle_since, (a).idle_steps_done, (a).answered_at"
    " FROM (SELECT chats_after_activity(c, %s, %s) AS a) AS after)"
    " WHERE c.id = %s"
)


def refusal(code: str, chat_pk: int | None) -> ChatAccessError:
    """The error for a refusal code of the write rule, worded for the client."""
    wording = REFUSAL_WORDING.get(code)
    if wording is None:
        log.error("unknown refusal code %s from chats_write_refusal()", code)
        wording = "That message could not be posted."
    return ChatAccessError(code, wording.format(case_number=format_case_number(chat_pk) if chat_pk else ""))


def with_write_refusal(chats: QuerySet[Chat], user: User) -> QuerySet[Chat]:
    """`chats` with the write rule's answer for `user` read in the same query (`write_refusal`)."""
    rule = Func(
        F("status"),
        F("provider_id"),
        F("agent_id"),
        Value(user.pk),
        Value(user.role),
        function="chats_write_refusal",
        output_field=CharField(),
    )
    return chats.annotate(write_refusal=rule)


def check_may_write(user: User, chat: Chat | None) -> Chat:
    """The chat if `user` may write to it now: its provider while open, or its current agent."""
    if chat is None:
        raise refusal("not_found", None)
    if hasattr(chat, "write_refusal"):  # read along with the chat (`with_write_refusal`)
        code = chat.write_refusal
    else:
        with connection.cursor() as cursor:
            cursor.execute(WRITE_REFUSAL, (chat.status, chat.provider_id, chat.agent_id, user.pk, user.role))
            (code,) = cursor.fetchone()
    if code is not None:
        raise refusal(code, chat.pk)
    return chat


@dataclass(frozen=True)
class Posted:
    entry: Entry  # as stored: seq, client_id and the (masked) text
    duplicate: bool
    masked: tuple[Mask, ...] = ()  # what masking took out of the text (the sender's ack says so)


def relay_typing(user: User, chat_id: uuid.UUID, *, now: datetime, outbox: Outbox) -> None:
    """Relay a typing frame (never stored); a provider's typing restarts their idle clock."""
    chat = check_may_write(user, with_write_refusal(Chat.objects.filter(public_id=chat_id), user).first())
    if user.role == Role.PROVIDER and chat.status == Status.ACTIVE:  # typing is activity for providers only
        record_activity(user, chat, now=now, outbox=outbox)
    outbox.chat_frame(chat, typing_frame(user.role))


def record_activity(user: User, chat: Chat, *, now: datetime, outbox: Outbox) -> None:
    """Chatter activity other than a message (typing, a file): the activity rule applied to the row."""
    with connection.cursor() as cursor:
        cursor.execute(AFTER_ACTIVITY, (user.role, now, chat.pk))
    if user.role == Role.PROVIDER:
        announce_idle_cleared(chat, outbox)


def confirm_active(user: User, chat_id: uuid.UUID, *, now: datetime, outbox: Outbox) -> None:
    """The provider's "I'm still here" (an `active` frame): activity for the idle ladder, like typing.

    Nothing is relayed or stored but the restarted idle clock (and `idle.cleared` after a warning).
    """
    chat = check_may_write(user, with_write_refusal(Chat.objects.filter(public_id=chat_id), user).first())
    if user.role == Role.PROVIDER and chat.status == Status.ACTIVE:
        record_activity(user, chat, now=now, outbox=outbox)


def announce_idle_cleared(chat: Chat, outbox: Outbox) -> None:
    """After a warning, chatter activity clears it: say so, so pages drop their countdown."""
    if chat.idle_steps_done:
        outbox.chat_frame(chat, idle_cleared_frame())
