"""Sweeping foreign chat ids and case numbers: zero successes, every refusal audited, throttled."""

import uuid

import pytest
from asgiref.sync import sync_to_async

from tests.chats.test_sockets import active_chat
from tests.conftest import connect, logged_in_client, open_chat_for
from transcripts.denials import DENIAL_LIMIT
from transcripts.models import AccessRecord

pytestmark = pytest.mark.django_db(transaction=True)


async def test_provider_of_another_agency_cannot_open_a_chat_socket_and_is_audited(provider, make_user):
    """4403 for a real chat of another agency, 4404 for invented ids; each refusal audited."""
    chat = await sync_to_async(open_chat_for)(provider)
    intruder = await sync_to_async(make_user)("provider", agency="Other Agency", locations=["B001"])
    assert (await connect(intruder, chat["ws_url"]))[2] == 4403
    assert (await connect(intruder, f"/ws/chat/{uuid.uuid4()}/"))[2] == 4404
    rows = await sync_to_async(list)(AccessRecord.objects.filter(user=intruder).values_list("allowed", "status"))
    assert sorted(rows) == [(False, 4403), (False, 4404)]


async def test_socket_sweep_is_throttled(provider, make_user):
    """After DENIAL_LIMIT refusals in a minute, even a valid own chat is refused 4429 for a while."""
    intruder = await sync_to_async(make_user)("provider", agency="Other Agency", locations=["B001"])
    own = await sync_to_async(open_chat_for)(intruder, location="B001")
    codes = [(await connect(intruder, f"/ws/chat/{uuid.uuid4()}/"))[2] for _ in range(DENIAL_LIMIT)]
    assert set(codes) == {4404}
    assert (await connect(intruder, f"/ws/chat/{uuid.uuid4()}/"))[2] == 4429
    assert (await connect(intruder, own["ws_url"]))[2] == 4429


async def test_agent_frames_for_foreign_chats_are_refused_audited_and_throttled(provider, agent, agent2):
    """An agent who never served a chat gets errors for it, each audited; a sweep closes the socket."""
    chat, p, a = await active_chat(provider, agent)
    b, _, _ = await connect(agent2, "/ws/agent/")
    await b.drain()
    await b.send({"type": "sync", "chat_id": chat["chat_id"], "after": 0})
    assert (await b.type_("error"))["code"] == "not_your_chat"
    for _ in range(DENIAL_LIMIT):
        await b.send({"type": "message", "chat_id": str(uuid.uuid4()), "client_id": str(uuid.uuid4()), "text": "x"})
    closed = None
    while closed is None:
        output = await b.comm.receive_output(timeout=3)
        if output["type"] == "websocket.close":
            closed = output["code"]
    assert closed == 4429
    refusals = await sync_to_async(AccessRecord.objects.filter(user=agent2, allowed=False).count)()
    assert refusals >= DENIAL_LIMIT
    assert await p.nothing()


def test_transcript_reads_by_provider_or_foreign_agent_are_refused_and_throttled(provider, agent, agent2):
    """Providers and agents who never served a chat get 403s (audited); a sweep of case numbers gets 429."""
    chat = open_chat_for(provider)
    case = chat["case_number"]
    assert logged_in_client(provider).get(f"/api/transcripts/{case}/").status_code == 403
    sweeper = logged_in_client(agent2)
    statuses = [sweeper.get(f"/api/transcripts/CC-{n:08d}/").status_code for n in range(1, DENIAL_LIMIT + 5)]
    assert 200 not in statuses and statuses[-1] == 429
    assert AccessRecord.objects.filter(user=agent2, allowed=False).count() == len(statuses)
