"""Canned replies: the few sentences agents insert with a keystroke; supervisors keep the list."""

from __future__ import annotations

from queueing.models import CannedReply

DEMO_CANNED_REPLIES = [
    ("Greeting", "/hi", "Hello, thank you for contacting the Care and Service Center. How can I help you today?"),
    ("One moment", "/wait", "Thank you for your patience; I am checking that for you now."),
    ("Authorization approved", "/auth", "The authorization is approved; the details are in the patient's record."),
    ("Anything else", "/else", "Is there anything else I can help you with about this patient?"),
    ("Closing", "/bye", "Thank you for contacting us. Have a good day."),
]


def seed_demo_replies() -> int:
    """The demo's canned replies (idempotent by title); how many were created."""
    created = 0
    for title, shortcut, text in DEMO_CANNED_REPLIES:
        _, made = CannedReply.objects.get_or_create(title=title, defaults={"shortcut": shortcut, "text": text})
        created += made
    return created
