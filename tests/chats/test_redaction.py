"""Redaction patterns and their false-positive rate on a corpus of what providers really type."""

import pytest

from chats.redaction import luhn_valid, redact

MUST_MASK = [
    ("My SSN is 123-45-6789", "My SSN is ***-**-6789"),
    ("ssn 123 45 6789 thanks", "ssn ***-**-6789 thanks"),
    ("SSN: 123456789", "SSN: ***-**-6789"),
    ("social security number 219099999", "social security number ***-**-9999"),
    ("card 4111 1111 1111 1111 exp 12/28", "card [card ending 1111] exp 12/28"),
    ("4111-1111-1111-1111", "[card ending 1111]"),
    ("5500005555555559", "[card ending 5559]"),
    ("amex 378282246310005", "amex [card ending 0005]"),
    ("discover 6011111111111117.", "discover [card ending 1117]."),
    ("mc 2223000048400011", "mc [card ending 0011]"),
]

MUST_KEEP = [
    "Member id 123456789 needs a reauthorization",  # 9 digits, not labelled: a member id
    "Call 1-800-555-0199 or (212) 555-0147",
    "Authorization INT-55501, intake 2026-11-23",
    "DOB 1945-01-23, zip 10001-1234",
    "Invoice 4111111111111112 was paid",  # fails Luhn
    "NPI 1234567893 and tax id 12-3456789",
    "Order 000-12-3456 and 666-12-3456 and 900-12-3456",  # never-issued SSN areas
    "Ticket 123-00-4567 and 123-45-0000",  # never-issued group / serial
    "Amount $1,234,567.89 approved for 12 visits",
    "Reference 20261123-000451-7788",
    "Phone 212 555 0147 ext 12",
    "Account 1234 5678 9012 3456",  # no card prefix, fails Luhn
    "Visits on 11/23, 11/24 and 11/25 at 10:30",
    "Medicare MBI 1EG4-TE5-MK73",
    "Case CC-00001234 follow-up",
    "Member M100 Ada Lovelace",
    "ICD-10 code E11.9 and CPT 99213",
    "Lot 123-456-7890 delivered",
    "Fax 646-555-0123 please",
    "UPC 036000291452 on the box",
]


@pytest.mark.parametrize("text, masked", MUST_MASK)
def test_numbers_that_look_like_ssns_or_cards_are_masked(text, masked):
    """Each SSN or card-like number is masked, keeping the last four digits."""
    result = redact(text)
    assert result.text == masked and result.changed


@pytest.mark.parametrize("text", MUST_KEEP)
def test_ordinary_numbers_are_left_alone(text):
    """Member ids, phones, dates, authorization numbers and amounts are not touched."""
    assert redact(text).text == text


def test_false_positive_rate_on_the_corpus():
    """0 of the ordinary texts are masked; every sensitive one is (the figures docs/security.md quotes)."""
    false_positives = sum(redact(t).changed for t in MUST_KEEP)
    misses = sum(not redact(t).changed for t, _ in MUST_MASK)
    assert (false_positives, misses) == (0, 0)


def test_luhn():
    """The Luhn check accepts real test numbers and rejects a changed digit."""
    assert luhn_valid("4111111111111111") and not luhn_valid("4111111111111112")


@pytest.mark.django_db(transaction=True)
async def test_masked_in_storage_and_broadcast_and_recoverable_by_a_supervisor_only(provider, agent, supervisor):
    """The agent sees the masked number; a supervisor recovers it with a purpose, and that is audited."""
    from asgiref.sync import sync_to_async

    from chats.models import Entry
    from tests.chats.test_sockets import active_chat
    from tests.conftest import logged_in_client
    from transcripts.integrity import verify_chain
    from transcripts.models import AccessRecord

    chat, p, a = await active_chat(provider, agent)
    await p.message("Her SSN is 123-45-6789, card 4111 1111 1111 1111")
    ack = await p.type_("ack")
    seen = await a.type_("message")
    assert seen["text"] == "Her SSN is ***-**-6789, card [card ending 1111]"
    stored = await sync_to_async(Entry.objects.select_related("chat").get)(
        chat__public_id=chat["chat_id"], seq=ack["seq"]
    )
    assert "6789" in stored.text and "123-45" not in stored.text
    assert (
        await sync_to_async(
            lambda: verify_chain(str(stored.chat.public_id), stored.chat.entries.order_by("seq"), stored.chat.head_hash)
        )()
    ).verified

    def unmask(user, body):
        import json

        return logged_in_client(user).post(
            f"/api/transcripts/{chat['case_number']}/unmask/", json.dumps(body), content_type="application/json"
        )

    assert (await sync_to_async(unmask)(agent, {"seq": ack["seq"], "purpose": "x"})).status_code == 403
    assert (await sync_to_async(unmask)(supervisor, {"seq": ack["seq"]})).status_code == 400
    response = await sync_to_async(unmask)(supervisor, {"seq": ack["seq"], "purpose": "Fraud review 77"})
    assert response.status_code == 200 and response.json()["text"] == "Her SSN is 123-45-6789, card 4111 1111 1111 1111"
    record = await sync_to_async(AccessRecord.objects.filter(action="unmask", allowed=True).get)()
    assert record.purpose == "Fraud review 77" and record.username == "sofia"
