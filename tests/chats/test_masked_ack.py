"""The sender is told what masking changed: `ack` carries the stored text and what was masked.

Both sockets, and a resend of the same client_id is answered with the same ack.
"""

import uuid

import pytest
from asgiref.sync import sync_to_async

from chats.models import Entry
from tests.chats.test_sockets import active_chat

pytestmark = pytest.mark.django_db(transaction=True)

TYPED = "Her SSN is 123-45-6789, card 4111 1111 1111 1111 exp 12/28"
STORED = "Her SSN is ***-**-6789, card [card ending 1111] exp 12/28"
MASKED = [{"kind": "ssn", "last4": "6789"}, {"kind": "card", "last4": "1111"}]


async def test_the_provider_is_told_what_was_masked_and_a_resend_gets_the_same_ack(provider, agent):
    """The ack holds the stored text and each masked number; the agent sees that same text."""
    chat, p, a = await active_chat(provider, agent)
    cid = str(uuid.uuid4())
    await p.message(TYPED, client_id=cid)
    ack = await p.type_("ack", client_id=cid)
    assert ack == {"type": "ack", "client_id": cid, "seq": ack["seq"], "text": STORED, "masked": MASKED}
    seen = await a.type_("message", client_id=cid)
    assert seen["text"] == ack["text"]
    stored = await sync_to_async(Entry.objects.get)(client_id=cid)
    assert stored.text == ack["text"]

    await p.message(TYPED, client_id=cid)  # the ack was lost: the page resends
    assert await p.type_("ack", client_id=cid) == ack
    assert await a.nothing()


async def test_the_agent_is_told_too_with_the_chat_named(provider, agent):
    """The console's ack names the chat and carries the same fields; a resend gets the same ack."""
    chat, p, a = await active_chat(provider, agent)
    cid = str(uuid.uuid4())
    await a.message("Amex on file is 378282246310005", chat_id=chat["chat_id"], client_id=cid)
    ack = await a.type_("ack", client_id=cid)
    assert ack == {
        "type": "ack",
        "chat_id": chat["chat_id"],
        "client_id": cid,
        "seq": ack["seq"],
        "text": "Amex on file is [card ending 0005]",
        "masked": [{"kind": "card", "last4": "0005"}],
    }
    assert (await p.type_("message", client_id=cid))["text"] == ack["text"]
    await a.message("Amex on file is 378282246310005", chat_id=chat["chat_id"], client_id=cid)
    assert await a.type_("ack", client_id=cid) == ack


@pytest.mark.parametrize("text", ["Authorization 4111111111111111 is approved", "See you at 10:30"])
async def test_an_unmasked_message_is_acked_without_text_or_masked(provider, agent, text):
    """Nothing masked, nothing added: the ack is the contract's {type, client_id, seq}, resent or not."""
    chat, p, a = await active_chat(provider, agent)
    cid = await p.message(text)
    ack = await p.type_("ack", client_id=cid)
    assert set(ack) == {"type", "client_id", "seq"}
    assert (await a.type_("message", client_id=cid))["text"] == text
    await p.message(text, client_id=cid)
    assert await p.type_("ack", client_id=cid) == ack
    cid = await a.message(text, chat_id=chat["chat_id"])
    assert set(await a.type_("ack", client_id=cid)) == {"type", "chat_id", "client_id", "seq"}
