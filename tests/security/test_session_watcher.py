"""One session watcher per process (consumers/session.py): many sockets' sessions checked in one
call, an ended session closes its socket, and chat activity pushes the session's expiry back."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from django.contrib.sessions.models import Session
from django.utils import timezone

from accounts import sessions as account_sessions
from consumers import session as watch_module
from tests.chats.test_sockets import active_chat
from tests.conftest import connect, logged_in_client, open_chat_for
from tests.security.test_session_sockets import shared_limits  # noqa: F401 - a fixture

pytestmark = pytest.mark.django_db(transaction=True)


def session_scope(user) -> dict:
    client = logged_in_client(user)
    return {"session": client.session}


async def test_many_sockets_are_checked_in_one_call_and_an_ended_session_closes_only_its_socket(make_user, monkeypatch):
    users = [await sync_to_async(make_user)("provider", f"p{i}") for i in range(12)]
    scopes = [await sync_to_async(session_scope)(u) for u in users]
    calls = []
    real = account_sessions.session_expiries

    def counted(watched, *, now):
        calls.append(len(watched))
        return real(watched, now=now)

    monkeypatch.setattr(watch_module, "session_expiries", counted)
    ended = scopes[3]["session"].session_key
    await sync_to_async(Session.objects.filter(session_key=ended).delete)()  # that user logged out
    closed: list[tuple[int, int]] = []

    def closer(i):
        async def close(code):
            closed.append((i, code))

        return close

    watches = [
        watch_module.SessionWatch(s, u.pk, closer(i)) for i, (s, u) in enumerate(zip(scopes, users, strict=True))
    ]
    for w in watches:
        w.start()
    await asyncio.sleep(0.3)
    assert calls == [12]  # one round trip for all of them
    assert closed == [(3, 4401)]
    watcher = watch_module.watcher()
    assert len([e for e in watcher.heap if not e[2].stopped]) == 11  # the others are due again later
    for w in watches:
        w.stop()


async def test_chat_activity_pushes_the_sessions_expiry_back(provider, agent, monkeypatch):
    monkeypatch.setattr(watch_module, "TOUCH_SECONDS", 0)
    monkeypatch.setattr(watch_module, "FLUSH_SECONDS", 0.1)
    chat, p, a = await active_chat(provider, agent)
    soon = timezone.now() + timedelta(minutes=5)
    await sync_to_async(Session.objects.filter(expire_date__gt=timezone.now()).update)(expire_date=soon)
    await p.message("Still here about the claim.")
    await p.type_("ack")
    await asyncio.sleep(0.6)
    expiries = await sync_to_async(list)(Session.objects.values_list("expire_date", flat=True))
    assert max(expiries) > soon + timedelta(minutes=30)  # the provider's session: a new 70 minutes
    await p.close()
    await a.close()


@pytest.mark.usefixtures("shared_limits")
async def test_a_processs_socket_leases_are_renewed_together(provider, settings):
    """The per-user socket cap's leases: one pipelined renewal for all of a process's sockets."""
    from consumers import limits

    chats = [await sync_to_async(open_chat_for)(provider, member_id=f"L{i}") for i in range(3)]
    sockets = [(await connect(provider, c["ws_url"]))[0] for c in chats]
    held = limits.leases()
    assert len([x for x in held.held if x.claimed_in_redis]) == 3
    key = limits.sockets_key(provider.pk)
    client = limits.redis_client()
    before = {m: s for m, s in await client.zrange(key, 0, -1, withscores=True)}
    await asyncio.sleep(0.05)
    assert await held.renew_all() == 3
    after = {m: s for m, s in await client.zrange(key, 0, -1, withscores=True)}
    assert set(after) == set(before) and all(after[m] > before[m] for m in before)
    for s in sockets:
        await s.close()
    assert not held.held
