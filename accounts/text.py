"""One check for every piece of text that enters from outside: frames, JSON bodies, query strings
and upload names.

- A lone surrogate (`"\\ud800"` is valid JSON) cannot be encoded as UTF-8: hashing, storing or
  logging it raises `UnicodeEncodeError` deep inside the stack. It is refused at the door.
- Control characters other than tab and line breaks (NUL above all: PostgreSQL text cannot hold
  it) are refused everywhere.
- Identifiers and names people read (patient names, member ids, display names, upload names) also
  refuse zero-width and bidirectional-control characters, which make one value look like
  another on screen (Unicode TR 36, "Bidirectional text spoofing"; CVE-2021-42574 "Trojan Source").

`text_problem` says what is wrong (or None); `check_text` raises `UnsafeText`, a DomainError
with code `invalid_text`.
"""

from __future__ import annotations

import re
from typing import Any

from accounts.errors import DomainError

SURROGATES = re.compile("[\ud800-\udfff]")
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Zero-width and invisible formatting (U+00AD soft hyphen, U+180E, U+200B-U+200D, U+2060-U+2064,
# U+FEFF) and the bidi controls (U+061C, U+200E/F marks, U+202A-U+202E embeddings and overrides,
# U+2066-U+2069 isolates).
INVISIBLE = re.compile("[\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")
LINE_BREAKS = re.compile("[\t\n\r\u2028\u2029\x85]")
MAX_UPLOAD_NAME = 200


class UnsafeText(DomainError):
    def __init__(self, field: str, problem: str):
        super().__init__("invalid_text", f"{field} {problem}.")
        self.field = field


def text_problem(value: str, *, identifier: bool = False) -> str | None:
    """What is wrong with `value` as text from outside, or None if nothing is."""
    if SURROGATES.search(value):
        return "is not valid Unicode text (it holds a lone surrogate, which cannot be stored)"
    if CONTROL.search(value):
        return "must not contain control characters"
    if identifier and (INVISIBLE.search(value) or LINE_BREAKS.search(value)):
        return "must not contain invisible, line-break or text-direction characters"
    return None


def check_text(value: str, field: str, *, identifier: bool = False) -> str:
    """`value` unchanged, or UnsafeText naming `field`."""
    problem = text_problem(value, identifier=identifier)
    if problem:
        raise UnsafeText(field, problem)
    return value


def unencodable(value: Any) -> bool:
    """Does a decoded JSON value hold a lone surrogate in any string, key or value, at any depth?"""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if SURROGATES.search(item):
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def check_upload_name(name: str) -> str:
    """An uploaded file's name, checked for the attachments code: text rules, no paths, bounded."""
    check_text(name, "The file name", identifier=True)
    if not name.strip() or name in {".", ".."} or "/" in name or "\\" in name:
        raise UnsafeText("The file name", "must be a plain name without folders")
    if len(name) > MAX_UPLOAD_NAME:
        raise UnsafeText("The file name", f"must be at most {MAX_UPLOAD_NAME} characters")
    return name
