"""Session facts the sockets need: is this login still alive, and until when."""

from __future__ import annotations

from datetime import datetime

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.contrib.sessions.models import Session

from accounts.models import User


def user_group(user_id: int) -> str:
    """The channel-layer group every socket of one user joins (named here, the bottom rung, so that
    logout and deactivation can close the sockets; `chats.groups` lists it with the other groups)."""
    return f"user-{int(user_id)}"


def session_expiry(session_key: str | None, user_id: int, *, now: datetime) -> datetime | None:
    """When this session expires, or None if it is gone, expired, or its user was deactivated."""
    if not session_key or not User.objects.filter(pk=user_id, is_active=True).exists():
        return None
    expiry = Session.objects.filter(session_key=session_key).values_list("expire_date", flat=True).first()
    return expiry if expiry and expiry > now else None


def close_user_sockets(user_id: int) -> None:
    """Close every open socket of the user, in every process (logout, deactivation)."""
    async_to_sync(get_channel_layer().group_send)(user_group(user_id), {"type": "session.ended"})
