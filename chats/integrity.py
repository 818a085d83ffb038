"""Tamper evidence for transcripts: each entry's hash covers the previous hash and the entry.

hash(n) = sha256(hash(n-1) + canonical(entry n)), where the entry's text enters only through its
own sha256. An attachment entry also carries its file's sha256 (`file_sha256`), appended to the
canonical form only when present, so every entry without a file hashes exactly as before. So
retention can blank a purged body while the chain still verifies, and any edit of
a stored row (text, sender, time, order) breaks the chain at that seq.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

GENESIS = "0" * 64


class HashedEntry(Protocol):
    seq: int
    kind: str
    event: str
    sender_role: str
    sender_name: str
    text: str
    text_sha256: str
    file_sha256: str
    at: datetime
    hash: str


def text_digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def canonical_around_seq(
    *,
    chat_key: str,
    kind: str,
    event: str,
    sender_role: str,
    sender_name: str,
    text_sha256: str,
    at: datetime,
    file_sha256: str = "",
) -> tuple[str, str]:
    """An entry's canonical form split around its seq: canonical = head + str(seq) + tail.

    The message store (chats.message_store) sends head and tail and finishes the hash in
    SQL once the chat is locked and the seq known, so the canonical form is defined only here.
    """
    compact = {"separators": (",", ":"), "ensure_ascii": True}
    head = json.dumps([chat_key], **compact)[:-1] + ","  # type: ignore[arg-type]
    rest = [kind, event, sender_role, sender_name, text_sha256, at.astimezone(UTC).isoformat()]
    if file_sha256:
        rest.append(file_sha256)
    tail = "," + json.dumps(rest, **compact)[1:]  # type: ignore[arg-type]
    return head, tail


def chain_hash(prev_hash: str, head: str, seq: int, tail: str) -> str:
    """sha256(previous hash + canonical entry), as hex (ASCII throughout: ensure_ascii)."""
    return hashlib.sha256(f"{prev_hash}{head}{seq}{tail}".encode("ascii")).hexdigest()


def entry_hash(
    prev_hash: str,
    *,
    chat_key: str,
    seq: int,
    kind: str,
    event: str,
    sender_role: str,
    sender_name: str,
    text_sha256: str,
    at: datetime,
    file_sha256: str = "",
) -> str:
    head, tail = canonical_around_seq(
        chat_key=chat_key,
        kind=kind,
        event=event,
        sender_role=sender_role,
        sender_name=sender_name,
        text_sha256=text_sha256,
        at=at,
        file_sha256=file_sha256,
    )
    return chain_hash(prev_hash, head, seq, tail)


@dataclass(frozen=True)
class ChainCheck:
    verified: bool
    head: str
    broken_at_seq: int | None = None


def verify_chain(chat_key: str, entries: Iterable[HashedEntry], expected_head: str | None = None) -> ChainCheck:
    """Recompute the chain over entries in seq order; report the first seq that does not match."""
    prev = GENESIS
    expected_seq = 1
    for entry in entries:
        body_ok = entry.text == "" or text_digest(entry.text) == entry.text_sha256
        recomputed = entry_hash(
            prev,
            chat_key=chat_key,
            seq=entry.seq,
            kind=entry.kind,
            event=entry.event,
            sender_role=entry.sender_role,
            sender_name=entry.sender_name,
            text_sha256=entry.text_sha256,
            at=entry.at,
            file_sha256=getattr(entry, "file_sha256", ""),
        )
        if entry.seq != expected_seq or not body_ok or recomputed != entry.hash:
            return ChainCheck(False, prev, broken_at_seq=entry.seq)
        prev = entry.hash
        expected_seq += 1
    if expected_head is not None and expected_head not in ("", prev):
        return ChainCheck(False, prev, broken_at_seq=expected_seq)
    return ChainCheck(True, prev)
