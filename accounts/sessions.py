"""Session facts the sockets need: is this login still alive, and until when."""

from __future__ import annotations

from datetime import datetime

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.contrib.auth import HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.models import Session
from django.utils.crypto import constant_time_compare

from accounts.models import User


def user_group(user_id: int) -> str:
    """The channel-layer group every socket of one user joins (named here, the bottom rung, so that
    logout and deactivation can close the sockets; `chats.groups` lists it with the other groups)."""
    return f"user-{int(user_id)}"


def hash_verifies(user: User, session_hash: str) -> bool:
    """Django's own test (django.contrib.auth.get_user): the current hash, or one made with a fallback key."""
    if constant_time_compare(session_hash, user.get_session_auth_hash()):
        return True
    return any(constant_time_compare(session_hash, h) for h in user.get_session_auth_fallback_hash())


def session_expiry(session_key: str | None, user_id: int, *, now: datetime) -> datetime | None:
    """When this session expires, or None if it is gone, expired, its user was deactivated, or its
    credentials changed since it logged in (password, role, agency, locations: the session hash)."""
    user = User.objects.filter(pk=user_id, is_active=True).first() if session_key else None
    session = Session.objects.filter(session_key=session_key).first() if user else None
    if user is None or session is None or session.expire_date <= now:
        return None
    data = session.get_decoded()
    if str(data.get(SESSION_KEY)) != str(user_id) or not hash_verifies(user, str(data.get(HASH_SESSION_KEY, ""))):
        return None
    return session.expire_date


def session_expiries(watched: list[tuple[str | None, int]], *, now: datetime) -> list[datetime | None]:
    """`session_expiry` of many (session key, user id) pairs in two queries (a process's socket checks)."""
    keys = {key for key, _ in watched if key}
    sessions = {s.session_key: s for s in Session.objects.filter(session_key__in=keys, expire_date__gt=now)}
    wanted = {user_id for key, user_id in watched if key in sessions}
    users = {u.pk: u for u in User.objects.filter(pk__in=wanted, is_active=True)}
    decoded: dict[str, dict] = {}
    answers: list[datetime | None] = []
    for key, user_id in watched:
        session, user = sessions.get(key or ""), users.get(user_id)
        if session is None or user is None:
            answers.append(None)
            continue
        data = decoded.get(session.session_key)
        if data is None:
            data = decoded[session.session_key] = session.get_decoded()
        session_hash = str(data.get(HASH_SESSION_KEY, ""))
        verified = str(data.get(SESSION_KEY)) == str(user_id) and hash_verifies(user, session_hash)
        answers.append(session.expire_date if verified else None)
    return answers


def extend_sessions(session_keys: set[str], until: datetime, *, now: datetime) -> int:
    """Chat activity on sockets: these live sessions now expire at `until` (never earlier than
    before); only the expiry is written, so the session's data (and a logout) are left as they are."""
    return Session.objects.filter(session_key__in=session_keys, expire_date__gt=now, expire_date__lt=until).update(
        expire_date=until
    )


def close_user_sockets(user_id: int) -> None:
    """Close every open socket of the user, in every process (logout, deactivation)."""
    async_to_sync(get_channel_layer().group_send)(user_group(user_id), {"type": "session.ended"})


def recheck_user_sockets(user_id: int) -> None:
    """Every open socket of the user re-checks its session now, in every process (credential change)."""
    async_to_sync(get_channel_layer().group_send)(user_group(user_id), {"type": "session.check"})
