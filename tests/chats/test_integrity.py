"""The hash chain's canonical form: fixed, so stored chains verify forever, and split-able around seq."""

import hashlib
import json
from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from chats.integrity import GENESIS, canonical_around_seq, entry_hash

AT = datetime(2026, 3, 8, 7, 30, 0, 123456, tzinfo=UTC)


def test_the_canonical_form_is_the_documented_json_array():
    """sha256(prev + compact ASCII JSON of [chat, seq, kind, event, role, name, text sha256, UTC time])."""
    fields = {"kind": "message", "event": "", "sender_role": "provider", "sender_name": "Nguyễn Thị", "at": AT}
    got = entry_hash(GENESIS, chat_key="c1", seq=7, text_sha256="ab" * 32, **fields)
    canonical = (
        '["c1",7,"message","","provider","Nguy\\u1ec5n Th\\u1ecb","'
        + "ab" * 32
        + '","2026-03-08T07:30:00.123456+00:00"]'
    )
    assert got == hashlib.sha256((GENESIS + canonical).encode("ascii")).hexdigest()


@given(
    chat_key=st.uuids().map(str),
    seq=st.integers(min_value=1, max_value=10**9),
    kind=st.sampled_from(["message", "event"]),
    event=st.text(max_size=30),
    sender_role=st.sampled_from(["provider", "agent", "supervisor", "system"]),
    sender_name=st.text(max_size=150),
    at=st.datetimes(timezones=st.just(UTC)),
)
def test_head_seq_tail_is_the_canonical_form(chat_key, seq, kind, event, sender_role, sender_name, at):
    """What the PostgreSQL store finishes in SQL (head || seq || tail) is exactly the canonical JSON."""
    digest = hashlib.sha256(sender_name.encode("utf-8", "surrogatepass")).hexdigest()
    fields = dict(kind=kind, event=event, sender_role=sender_role, sender_name=sender_name, text_sha256=digest, at=at)
    head, tail = canonical_around_seq(chat_key=chat_key, **fields)
    whole = json.dumps(
        [chat_key, seq, kind, event, sender_role, sender_name, digest, at.isoformat()], separators=(",", ":")
    )
    assert head + str(seq) + tail == whole
    assert (head + tail).isascii()
