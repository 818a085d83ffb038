"""The masking rule (chats/redaction.py): examples, the generated corpora's rates, properties."""

import re
import uuid

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from chats.redaction import CARD_BRANDS, Mask, card_brand_accepts, luhn_valid, redact, what_was_masked
from tests.chats import corpora

MUST_MASK = [
    ("My SSN is 123-45-6789", "My SSN is ***-**-6789"),
    ("ssn 123 45 6789 thanks", "ssn ***-**-6789 thanks"),
    ("SSN: 123456789", "SSN: ***-**-6789"),
    ("SSN is 123456789", "SSN is ***-**-6789"),
    ("social security number 219099999", "social security number ***-**-9999"),
    ("123-45-6789", "***-**-6789"),
    ("card 4111 1111 1111 1111 exp 12/28", "card [card ending 1111] exp 12/28"),
    ("4111-1111-1111-1111", "[card ending 1111]"),  # card grouping, standing alone
    ("4111 1111 1111 1111 12/28", "[card ending 1111] 12/28"),
    ("my visa 5500005555555559", "my visa [card ending 5559]"),
    ("5500005555555559 exp 09/27", "[card ending 5559] exp 09/27"),
    ("5500005555555559 09/27", "[card ending 5559] 09/27"),  # an expiry right after
    ("5500005555555559 cvv 123", "[card ending 5559] cvv 123"),
    ("amex 378282246310005", "amex [card ending 0005]"),
    ("3782 822463 10005", "[card ending 0005]"),  # Amex grouping 4-6-5
    ("3056 930902 5904", "[card ending 5904]"),  # Diners 4-6-4
    ("discover 6011111111111117.", "discover [card ending 1117]."),
    ("mc 2223000048400011", "mc [card ending 0011]"),
    ("CC#4111111111111111", "CC#[card ending 1111]"),
    (
        "card ending 1111, the full number is 4111111111111111",
        "card ending 1111, the full number is [card ending 1111]",
    ),
    ("SSN 123-45-6789, card 4111 1111 1111 1111", "SSN ***-**-6789, card [card ending 1111]"),
    ("Card number:\n4111111111111111", "Card number:\n[card ending 1111]"),
]

MUST_KEEP = [
    "Member id 123456789 needs a reauthorization",  # 9 digits, not labelled: a member id
    "Member id 123-45-6789 is on the card",  # SSN-shaped, but labelled a member id
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
    "Authorization 4111111111111111 approved",  # brand and Luhn, but an authorization number
    "The card was declined, authorization 4111111111111111",  # the nearest label decides
    "Paid by card. 4111111111111111 is the reference",  # another sentence, and labelled
    "Paid by card\n4111111111111111",  # a line of its own, unlabelled
    "Her member card number is 4111111111111111",  # an insurance card's number is a member id
    "4111111111111111",  # bare, unlabelled, no grouping or expiry: not enough evidence
    "Claim 4111-1111-1111-1111 was denied",  # card grouping, but labelled a claim
    "9400 1111 1111 1111 1111 11",  # USPS in fours: not cut into a card
    "4111 1111 1111 1111 1111 11",  # nor when its first 16 digits would pass
    "card upload 123e4567-e89b-12d3-a456-426614174000 failed",
    "card A4111111111111111 and 4111111111111111B and 4111111111111111.5",  # glued to letters, a decimal
    "card at https://pay.example.com/4111111111111111 or /cards/4111111111111111/",
    "card 4111-1111-1111-1111-22",  # a longer dashed token
    "visa ref:4111111111111111:v2",
    "SSN-shaped claim CLM-123-45-6789 and A123-45-6789 and 123-45-6789A",
    "Tracking 1234 123 45 6789 and 123 45 6789 12",  # a piece of a longer spaced number
]


@pytest.mark.parametrize("text, masked", MUST_MASK)
def test_numbers_that_look_like_ssns_or_cards_are_masked(text, masked):
    """Each SSN or card with evidence is masked, keeping the last four digits."""
    result = redact(text)
    assert result.text == masked and result.changed


@pytest.mark.parametrize("text", MUST_KEEP)
def test_ordinary_numbers_are_left_alone(text):
    """Member ids, phones, dates, authorization numbers, codes inside tokens are not touched."""
    assert redact(text).text == text


def test_what_was_masked_is_listed_in_text_order():
    """The sender's ack lists each masked number's kind and last four digits, in order."""
    result = redact("card 4111 1111 1111 1111, her SSN 123-45-6789 and amex 378282246310005")
    assert result.masked == (Mask("card", "1111"), Mask("ssn", "6789"), Mask("card", "0005"))
    assert result.kinds == ("card", "ssn", "card")


def test_what_was_masked_is_told_again_for_a_stored_message():
    """A resend's ack recomputes the list from the kept original; if the rule changed, from the stored marks."""
    original = "card 4111 1111 1111 1111 and SSN 123-45-6789"
    stored = redact(original).text
    assert what_was_masked(original, stored) == (Mask("card", "1111"), Mask("ssn", "6789"))
    assert what_was_masked("nothing masked 12", "nothing masked 12") == ()
    stored_by_an_older_rule = "Authorization [card ending 1111] and ***-**-6789"
    assert what_was_masked("Authorization 4111111111111111 and 123-45-6789", stored_by_an_older_rule) == (
        Mask("card", "1111"),
        Mask("ssn", "6789"),
    )


def card_shaped(text: str) -> bool:
    """Whether `text` holds a digit run (separators dropped) in a card brand's range that passes Luhn."""
    runs = re.findall(r"\d(?:[ -]?\d)*", text)
    return any(
        card_brand_accepts(digits[i:j]) and luhn_valid(digits[i:j])
        for run in runs
        for digits in [re.sub(r"\D", "", run)]
        for i in range(len(digits))
        for j in range(i + 13, min(i + 19, len(digits)) + 1)
    )


@pytest.fixture(scope="module")
def ordinary() -> list[corpora.Sample]:
    return list(corpora.ordinary(20_000))


@pytest.fixture(scope="module")
def sensitive() -> list[corpora.Sample]:
    return list(corpora.sensitive(8_000))


def test_the_ordinary_corpus_is_hard(ordinary):
    """The corpus bites: hundreds of its samples hold a brand-range, Luhn-valid number of 13–19 digits."""
    hard = sum(card_shaped(sample.text) for sample in ordinary)
    assert hard >= 500, hard
    assert {s.category for s in ordinary} >= {"authorization", "claim", "tracking", "npi", "phone", "uuid", "mbi"}


def test_false_positive_rate_on_the_ordinary_corpus_is_below_a_tenth_of_a_percent(ordinary):
    """Fewer than 0.1 % of 20,000 generated identifier sentences are changed (measured: 0)."""
    changed = [s for s in ordinary if redact(s.text).changed]
    rate = len(changed) / len(ordinary)
    print(f"false positives: {len(changed)} of {len(ordinary)} ({rate:.3%})")
    assert rate < 0.001, [s.text for s in changed[:10]]


def test_every_card_and_ssn_of_the_sensitive_corpus_is_masked(sensitive):
    """100 % of 8,000 generated cards (every brand) and SSNs are masked, with the right kind and last four."""
    missed = [s for s in sensitive if tuple((m.kind, m.last4) for m in redact(s.text).masked) != s.expect]
    print(f"missed: {len(missed)} of {len(sensitive)}")
    assert not missed, [s.text for s in missed[:10]]
    assert {s.category for s in sensitive} == {f"card {brand}" for brand in corpora.BRANDS} | {"ssn"}
    assert len(corpora.BRANDS) == len(CARD_BRANDS)


def test_luhn():
    """The Luhn check accepts real test numbers and rejects a changed digit."""
    assert luhn_valid("4111111111111111") and not luhn_valid("4111111111111112")


@given(st.text(alphabet=st.characters(blacklist_categories=("Nd",))))
@example("card cvv exp SSN ***-**- [card ending ]")
def test_text_without_a_digit_is_never_changed(text):
    """No digit, nothing to mask: the text comes back as it went in."""
    result = redact(text)
    assert result.text == text and not result.changed


@given(st.text(), st.uuids(), st.text(), st.sampled_from([str, lambda u: u.hex, lambda u: str(u).upper()]))
@example("card 4111 1111 1111 1111 ", uuid.UUID("12345678-1234-1234-1234-123456789012"), " SSN 123-45-", str)
def test_a_uuid_is_never_altered(before, value, after, spell):
    """Whatever surrounds it, every character of a UUID survives masking."""
    token = spell(value)
    text = f"{before} {token} {after}"
    assert token in redact(text).text


@given(st.text(alphabet="0123456789 -/:#.abcdSN\n", max_size=80))
def test_masking_is_idempotent_and_keeps_text_without_a_match(text):
    """Masked text masks to itself; unchanged text is reported unchanged."""
    once = redact(text)
    assert redact(once.text).text == once.text
    assert once.changed == (once.text != text)


@pytest.mark.django_db(transaction=True)
async def test_masked_in_storage_and_broadcast_and_recoverable_by_a_supervisor_only(provider, agent, supervisor):
    """The agent sees the masked number; a supervisor recovers it with a purpose, and that is audited."""
    from asgiref.sync import sync_to_async

    from chats.integrity import verify_chain
    from chats.models import Entry
    from tests.chats.test_sockets import active_chat
    from tests.conftest import logged_in_client
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
