"""Masking numbers that look like Social Security or payment-card numbers in chat text.

Patterns (documented with their false-positive rate in tests/chats/test_redaction.py):
- SSN: `ddd-dd-dddd` or `ddd dd dddd`, or 9 bare digits right after "SSN"/"social security";
  area 000, 666 and 9xx, group 00 and serial 0000 are never issued, so they are not matched.
- Card: 13–19 digits (spaces or dashes allowed between groups) that pass the Luhn check and
  start like a real card (Visa 4, Mastercard 51–55/2221–2720, Amex 34/37, Discover 6011/65,
  JCB 35, Diners 36/38).
Masked text keeps the last four digits so the people in the chat can still refer to it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

SSN_SEPARATED = re.compile(r"(?<![\d-])(?!000|666|9\d\d)(\d{3})([- ])(?!00)(\d{2})\2(?!0000)(\d{4})(?![\d-])")
SSN_LABELLED = re.compile(
    r"(?i)(\b(?:ssn|social security(?: number| no\.?| #)?)\s*[:#]?\s*)"
    r"(?!000|666|9\d\d)(\d{3})(?!00)(\d{2})(?!0000)(\d{4})\b"
)
CARD_CANDIDATE = re.compile(r"(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])")
CARD_PREFIXES = re.compile(r"^(4|5[1-5]|2(2[2-9][1-9]|2[3-9]\d|[3-6]\d\d|7[01]\d|720)|3[47]|6011|65|35|3[68])")


@dataclass(frozen=True)
class Redaction:
    text: str
    kinds: tuple[str, ...]  # what was masked, in order ("ssn", "card"); empty when nothing was

    @property
    def changed(self) -> bool:
        return bool(self.kinds)


def luhn_valid(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def redact(text: str) -> Redaction:
    kinds: list[str] = []

    def card(match: re.Match[str]) -> str:
        digits = re.sub(r"\D", "", match.group(0))
        if not (13 <= len(digits) <= 19 and CARD_PREFIXES.match(digits) and luhn_valid(digits)):
            return match.group(0)
        kinds.append("card")
        return f"[card ending {digits[-4:]}]"

    def ssn(match: re.Match[str]) -> str:
        kinds.append("ssn")
        return f"***-**-{match.group(4)}"

    def labelled_ssn(match: re.Match[str]) -> str:
        kinds.append("ssn")
        return f"{match.group(1)}***-**-{match.group(4)}"

    masked = CARD_CANDIDATE.sub(card, text)
    masked = SSN_SEPARATED.sub(ssn, masked)
    masked = SSN_LABELLED.sub(labelled_ssn, masked)
    return Redaction(masked, tuple(kinds))
