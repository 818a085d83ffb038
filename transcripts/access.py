"""Who may read a stored transcript: supervisors, and agents who served that chat.

An agent served a chat when the transcript holds an `agent_joined` event they sent; holding it
now is not required (a transferred or closed chat stays readable to everyone who worked it).
Providers get their copy through the service center, never through the API.
"""

from __future__ import annotations

from accounts.models import User
from chats.models import Chat, parse_case_number
from chats.snapshots import served_by


class TranscriptAccessError(Exception):
    """Refused: `status` and `code` go to the client as is; `chat` is kept for the audit row."""

    def __init__(self, status: int, code: str, message: str, chat: Chat | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.chat = status, code, message, chat


def check_supervisor(user: User) -> None:
    if not user.is_supervisor:
        raise TranscriptAccessError(403, "forbidden", "Only supervisors can do this.")


def access_transcript(user: User, case_number: str) -> Chat:
    """The chat behind `case_number` if `user` may read its transcript; TranscriptAccessError if not."""
    if not user.is_chat_staff:
        raise TranscriptAccessError(
            403, "forbidden", "Providers get a transcript copy through the care and service center."
        )
    pk = parse_case_number(case_number)
    chat = (
        Chat.objects.select_related("provider", "agency", "location", "agent").filter(pk=pk).first()
        if pk is not None
        else None
    )
    if chat is None:
        raise TranscriptAccessError(404, "not_found", f"There is no case {case_number[:20]}.")
    if not user.is_supervisor and not served_by(chat, user):
        raise TranscriptAccessError(
            403, "forbidden", "Only supervisors and agents who served this chat can read it.", chat
        )
    return chat
