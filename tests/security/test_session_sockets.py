"""A login's end reaches its sockets; rate limits and socket caps hold."""

import asyncio
import json

import pytest
from asgiref.sync import sync_to_async
from django.test import Client

from tests.chats.test_sockets import active_chat
from tests.conftest import ORIGIN, PASSWORD, Socket, connect, open_chat_for

pytestmark = pytest.mark.django_db(transaction=True)


async def closed_with(socket: Socket, timeout: float = 3) -> int | None:
    while True:
        output = await socket.comm.receive_output(timeout=timeout)
        if output["type"] == "websocket.close":
            return output.get("code")


async def test_logout_closes_every_socket_of_the_user(provider, agent):
    """Logging out in one tab closes the user's chat sockets with 4401."""
    from channels.testing import WebsocketCommunicator

    from chatserver.asgi import application

    client = Client()
    await sync_to_async(client.post)("/login/", {"username": "paula", "password": PASSWORD})
    chat = await sync_to_async(open_chat_for)(provider)
    cookie = f"sessionid={client.cookies['sessionid'].value}".encode()
    comm = WebsocketCommunicator(application, chat["ws_url"], headers=[(b"origin", ORIGIN), (b"cookie", cookie)])
    assert (await comm.connect())[0]
    socket = Socket(comm)
    await socket.type_("chat.state")
    await sync_to_async(client.post)("/logout/")
    assert await closed_with(socket) == 4401


async def test_deactivating_the_account_closes_its_sockets(provider, agent):
    """An administrator deactivating a user closes their sockets at once."""
    chat, p, a = await active_chat(provider, agent)
    agent.is_active = False
    await sync_to_async(agent.save)()
    assert await closed_with(a) == 4401
    assert await p.nothing()  # the provider's socket is untouched


async def test_session_expiry_closes_the_socket(provider, settings):
    """When the idle session expires, the socket closes with 4401 within seconds."""
    chat = await sync_to_async(open_chat_for)(provider)
    settings.SESSION_COOKIE_AGE = 2  # the 70-minute rule, shortened
    p, _, _ = await connect(provider, chat["ws_url"])
    await p.type_("chat.state")
    assert await closed_with(p, timeout=6) == 4401


async def test_message_flood_is_rate_limited_then_closed(provider, agent, settings):
    """Past the burst: `rate_limited` errors (nothing stored); a sustained flood closes with 1008."""
    settings.CHAT_RATE_BURST, settings.CHAT_RATE_PER_SECOND = 5, 0.01
    chat, p, a = await active_chat(provider, agent)
    from consumers import base, limits

    await limits.reset()  # the settings above apply to new buckets
    p2, _, _ = await connect(provider, chat["ws_url"])
    await p2.drain()
    for i in range(40):
        await p2.message(f"flood {i}")
    frames, close = [], None
    while close is None:
        output = await p2.comm.receive_output(timeout=3)
        if output["type"] == "websocket.close":
            close = output["code"]
        else:
            frames.append(json.loads(output["text"]))
    codes = [f.get("code") for f in frames if f["type"] == "error"]
    acks = [f for f in frames if f["type"] == "ack"]
    assert len(acks) <= 5 and codes.count("rate_limited") == base.FLOOD_REFUSALS and close == 1008


async def test_a_flood_from_one_user_does_not_slow_another(provider, agent, make_user, settings):
    """Limits are per user: another provider's messages go through."""
    settings.CHAT_RATE_BURST, settings.CHAT_RATE_PER_SECOND = 3, 0.01
    from consumers import limits

    await limits.reset()
    other = await sync_to_async(make_user)("provider")
    mine = await sync_to_async(open_chat_for)(provider)
    theirs = await sync_to_async(open_chat_for)(other)
    p, _, _ = await connect(provider, mine["ws_url"])
    o, _, _ = await connect(other, theirs["ws_url"])
    for i in range(10):
        await p.message(f"noise {i}")
    cid = await o.message("mine goes through")
    assert (await o.type_("ack", client_id=cid))["seq"] >= 1


async def test_socket_cap_per_user(provider, settings):
    """More than CHAT_MAX_SOCKETS_PER_USER sockets for one user are refused."""
    settings.CHAT_MAX_SOCKETS_PER_USER = 2
    chat = await sync_to_async(open_chat_for)(provider)
    first, _, c1 = await connect(provider, chat["ws_url"])
    second, _, c2 = await connect(provider, chat["ws_url"])
    third, _, c3 = await connect(provider, chat["ws_url"])
    assert (c1, c2, c3) == (None, None, 4429)
    await first.close()
    fourth, _, c4 = await connect(provider, chat["ws_url"])
    assert c4 is None


def login(username: str, password: str = PASSWORD) -> Client:
    client = Client()
    assert client.post("/login/", {"username": username, "password": password}).status_code == 302
    return client


def make_superuser(make_user):
    from accounts.models import User

    user = make_user("supervisor", "root")
    User.objects.filter(pk=user.pk).update(is_staff=True, is_superuser=True)
    return user


async def socket_of(client: Client, path: str) -> Socket:
    from channels.testing import WebsocketCommunicator

    from chatserver.asgi import application

    cookie = f"sessionid={client.cookies['sessionid'].value}".encode()
    comm = WebsocketCommunicator(application, path, headers=[(b"origin", ORIGIN), (b"cookie", cookie)])
    assert (await comm.connect())[0]
    return Socket(comm)


async def test_a_password_change_from_another_session_closes_the_supervisors_socket(supervisor, make_user):
    """Issue 19 item 2: the socket of session A closes (4401) when the password is changed from
    session B (here an administrator's, through the admin's password form); B stays logged in."""
    a = await sync_to_async(login)("sofia")
    socket = await socket_of(a, "/ws/supervisor/")
    await socket.type_("floor.state")
    admin = await sync_to_async(make_superuser)(make_user)
    b = await sync_to_async(login)(admin.username)
    response = await sync_to_async(b.post)(
        f"/admin/accounts/user/{supervisor.pk}/password/",
        {"password1": "An0ther-Secret!", "password2": "An0ther-Secret!", "usable_password": "true"},
    )
    assert response.status_code == 302, response.content[:500]
    assert await socket.closed_with(timeout=5) == 4401
    assert (await sync_to_async(a.get)("/api/transcripts/")).status_code == 401  # session A is over on HTTP too
    assert (await sync_to_async(b.get)("/admin/")).status_code == 200  # the changing session stays


async def test_changing_your_own_password_keeps_that_session_and_ends_the_others(make_user):
    """The session that changes the password stays logged in; the user's other session's socket closes."""
    root = await sync_to_async(make_superuser)(make_user)
    a, b = await sync_to_async(login)("root"), await sync_to_async(login)("root")
    socket = await socket_of(a, "/ws/supervisor/")
    await socket.type_("floor.state")
    response = await sync_to_async(b.post)(
        f"/admin/accounts/user/{root.pk}/password/",
        {"password1": "An0ther-Secret!", "password2": "An0ther-Secret!", "usable_password": "true"},
    )
    assert response.status_code == 302
    assert await socket.closed_with(timeout=5) == 4401
    assert (await sync_to_async(b.get)("/admin/")).status_code == 200


@pytest.mark.parametrize("change", ["role", "locations", "agency"])
async def test_a_role_location_or_agency_change_closes_the_users_sockets(provider, change):
    """What a login may do changed: every socket of the user closes (4401), and its HTTP session is over."""
    from accounts.models import Agency, Location, Role

    client = await sync_to_async(login)("paula")
    chat = await sync_to_async(open_chat_for)(provider)
    socket = await socket_of(client, chat["ws_url"])
    await socket.type_("chat.state")

    def apply() -> None:
        if change == "role":
            provider.role = Role.AGENT
            provider.login_source = ""
            provider.save()
        elif change == "locations":
            provider.locations.remove(Location.objects.get(agency=provider.agency, code="A002"))
        else:
            provider.agency = Agency.objects.create(name="Other agency")
            provider.save()

    await sync_to_async(apply)()
    assert await socket.closed_with(timeout=5) == 4401
    assert (await sync_to_async(client.get)("/api/hours/")).status_code == 200
    assert (await sync_to_async(client.post)("/api/chats/", "{}", content_type="application/json")).status_code == 401


async def test_a_login_or_a_display_change_leaves_the_sockets_open(provider):
    """Saving the user for anything else (a new login elsewhere, a name) closes nothing."""
    chat = await sync_to_async(open_chat_for)(provider)
    p, _, _ = await connect(provider, chat["ws_url"])
    await p.type_("chat.state")
    await sync_to_async(login)("paula")
    provider.first_name = "Paulina"
    await sync_to_async(provider.save)()
    await p.send({"type": "ping"})
    assert await p.type_("pong")


@pytest.fixture
async def shared_limits(settings):
    """Limits kept in the shared Redis (namespaced by this run's test database)."""
    from consumers import limits

    settings.REDIS_URL = "redis://127.0.0.1:6379/0"
    await limits.reset()
    yield limits
    await limits.reset()
    await limits.redis_client().aclose()


def forget_this_process(limits) -> None:
    """What another server process knows about this user: nothing (its own memory is empty)."""
    limits.open_sockets.clear()
    limits.rate_buckets.clear()
    limits.grants.clear()


async def test_the_socket_cap_is_shared_by_every_process_through_redis(provider, settings, shared_limits):
    """Issue 19 item 8: with REDIS_URL the cap counts the user's sockets in all processes."""
    settings.CHAT_MAX_SOCKETS_PER_USER = 2
    chat = await sync_to_async(open_chat_for)(provider)
    first, _, c1 = await connect(provider, chat["ws_url"])
    _, _, c2 = await connect(provider, chat["ws_url"])
    forget_this_process(shared_limits)
    _, _, c3 = await connect(provider, chat["ws_url"])
    assert (c1, c2, c3) == (None, None, 4429)
    await first.close()
    _, _, c4 = await connect(provider, chat["ws_url"])
    assert c4 is None  # a closed socket gives its place back


async def test_the_rate_bucket_is_shared_by_every_process_through_redis(provider, agent, settings, shared_limits):
    settings.CHAT_RATE_BURST, settings.CHAT_RATE_PER_SECOND = 3, 0.01
    chat = await sync_to_async(open_chat_for)(provider)
    p, _, _ = await connect(provider, chat["ws_url"])
    await p.drain()
    for _ in range(3):
        await p.send({"type": "ping"})
        await p.type_("pong")
    forget_this_process(shared_limits)
    await p.send({"type": "ping"})
    assert (await p.type_("error"))["code"] == "rate_limited"


async def test_a_busy_socket_takes_its_tokens_from_redis_in_grants(provider, settings, shared_limits, monkeypatch):
    """12 frames in a burst: 4 Redis calls (grants of 1, 2, 4, 8). The 3 unspent tokens go back with
    the next call once the grant lapses: 13 frames have cost exactly 13 tokens of the shared bucket."""
    settings.CHAT_RATE_BURST, settings.CHAT_RATE_PER_SECOND = 20, 0.01
    chat = await sync_to_async(open_chat_for)(provider)
    p, _, _ = await connect(provider, chat["ws_url"])
    await p.drain()
    client, takes = shared_limits.redis_client(), []
    real_eval = client.eval

    async def counted(script, *args):
        takes.append(script == shared_limits.TAKE)
        return await real_eval(script, *args)

    monkeypatch.setattr(client, "eval", counted)
    key = shared_limits.bucket_key(provider.pk)
    for _ in range(12):
        await p.send({"type": "ping"})
        await p.type_("pong")
    assert takes.count(True) == 4
    assert 4.9 < float(await client.hget(key, "tokens")) < 5.1  # 15 taken, 3 of them not spent yet
    await asyncio.sleep(shared_limits.GRANT_SECONDS + 0.1)
    await p.send({"type": "ping"})
    await p.type_("pong")
    assert 6.9 < float(await client.hget(key, "tokens")) < 7.1  # 20 - 13 frames


def test_a_grant_grows_while_spent_in_time_and_starts_over_after_a_pause():
    from consumers.limits import GRANT_MAX, GRANT_SECONDS, Grant

    grant, sizes, now = Grant(), [], 100.0
    for _ in range(6):
        while grant.spend(now):
            now += 0.01
        sizes.append(grant.size)
        grant.got(grant.size, now)
    assert sizes == [1, 2, 4, GRANT_MAX, GRANT_MAX, GRANT_MAX]
    assert grant.tokens == GRANT_MAX - 1
    assert not grant.spend(now + GRANT_SECONDS + 0.1)  # the grant lapsed: its tokens go back
    assert grant.unspent == GRANT_MAX - 1 and grant.tokens == 0
    grant.got(1, now + GRANT_SECONDS + 0.1)
    assert grant.unspent == 0
    assert grant.size == 1  # after a pause: one token at a time again


async def test_two_thousand_sockets_closing_at_once_all_give_their_places_back(settings, shared_limits, caplog):
    """A mass disconnect queues its releases on the limits' bounded pool: none fails, no lease is left."""
    settings.CHAT_MAX_SOCKETS_PER_USER = 5000
    held = [shared_limits.UserLimits(7, f"bench.socket.{i}") for i in range(2000)]
    assert all(await asyncio.gather(*(limits.claim() for limits in held)))
    client = shared_limits.redis_client()
    assert await client.zcard(shared_limits.sockets_key(7)) == 2000
    await asyncio.gather(*(limits.release() for limits in held))
    assert await client.zcard(shared_limits.sockets_key(7)) == 0
    assert "could not release" not in caplog.text


async def test_without_redis_limits_fall_back_to_this_process(provider, settings):
    """No REDIS_URL (one process, in-memory layer): the cap is counted here, as before."""
    from consumers import limits

    settings.REDIS_URL = ""
    settings.CHAT_MAX_SOCKETS_PER_USER = 1
    await limits.reset()
    chat = await sync_to_async(open_chat_for)(provider)
    _, _, c1 = await connect(provider, chat["ws_url"])
    _, _, c2 = await connect(provider, chat["ws_url"])
    assert (c1, c2) == (None, 4429)
