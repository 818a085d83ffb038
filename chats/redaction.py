"""Masking Social Security and payment-card numbers in chat text, and nothing else.

In this service long numbers are usually the answer a provider came for (authorization, claim,
tracking, order, policy and member numbers, NPIs), so a number is masked only where the evidence
says SSN or card. The rule (also in docs/masking.md, with the measured rates):

Card — all of:
1. It stands alone: a whitespace-separated token of 13–19 digits, or one dashed token, or a run of
   digit tokens joined by single spaces, with nothing glued to it but surrounding punctuation
   (`(`, `"`, `#` before; `.`, `,`, `)`, `:` … after). Digits joined to letters, to `/`, `=`, `.`,
   `_` or other digits (UUIDs, hex strings, alphanumeric codes, URLs and paths, decimals, dates)
   are never a card. A spaced run is taken whole: a run of more digit groups than a card has
   (a USPS tracking number in groups of four) is not cut into a card.
2. Brand range and length: Visa 4 (13, 16, 19), Mastercard 51–55 and 2221–2720 (16), Amex 34/37
   (15), Discover 6011/644–649/65 (16–19), UnionPay 62 (16–19), JCB 3528–3589 (16–19), Diners
   300–305/309/36/38/39 (14, 16–19), Maestro 5018/5020/5038/5893/6304/6759/6761–6763 (13–19).
3. Luhn.
4. Evidence that it is a card, decided by the nearest label in the same sentence (up to 8 words
   before, else up to 5 after; a sentence ends at a newline (not one right after a ":") or
   `.`/`!`/`?`/`;`, abbreviations such as "no." excepted, and another number of five or more digits
   in between takes the label for itself):
   - a card word (card, credit, debit, visa, mastercard, mc, amex, discover, jcb, diners,
     unionpay, maestro, cc, ccn, cvv, cvc, exp, expiry, expires, expiration, "security code")
     masks it;
   - an identifier word (authorization, auth, claim, tracking, order, invoice, policy, member,
     subscriber, group, npi, medicare, mbi, reference, confirmation, case, ticket, id, phone, fax,
     lot, serial, upc, ndc, rx, referral, …; "card" after member/insurance/id/medicare/medicaid/
     health/benefits/rx/pharmacy/plan — an insurance card) keeps it, whatever else is nearby;
   - with no label, an expiry (`MM/YY` or `MM/YYYY`) as the very next token masks it, and so does
     card grouping: 4-4-4-4 (16), Amex 4-6-5 (15), Diners 4-6-4 (14), 4-4-5 (13), 4-4-4-4-3 (19),
     spaced or dashed. A bare run of digits with no label and no expiry is kept.
   Not masked by design: a card written in another grouping without a card word, and a card
   followed by a bare unlabelled CVV in the same spaced run ("4111 1111 1111 1111 123").

SSN — `ddd-dd-dddd` or `ddd dd dddd` standing alone (no letters, digits, `-`, `/` or `.` glued on;
a spaced one with no digit group next to it), or 9 bare digits after "SSN", "SS#" or "social
security (number|no|#)" (fillers like "is", ":", "#" between). Area 000, 666 and 9xx, group 00 and
serial 0000 are never issued and never matched. A separated one whose nearest label (up to 4 words
before) is an identifier word (member id, claim, order …) is that identifier and kept.

Masked text keeps the last four digits ("[card ending 1111]", "***-**-6789") so the people in the
chat can still refer to it; `Redaction.masked` says what was masked, in text order, for the
sender's `ack`.

Measured on the generated corpora (tests/chats/corpora.py, seeded; tests/chats/test_redaction.py
asserts < 0.1 % false and 100 % true): 0 of 20,000 identifier sentences changed (830 of them hold
a brand-range, Luhn-valid stretch; the old brand-and-Luhn rule changed 336, 1.68 %), and 8,000 of
8,000 cards of eight brands and SSNs masked with the right last four. Per category in
docs/masking.md.

Why not a library: Microsoft Presidio's card recognizer is a regex plus Luhn whose context words
only raise a score (it needs spaCy and a language model we cannot download), and scrubadub's is a
regex; neither vetoes a number that a nearby label names as something else. The Luhn check itself
is python-stdnum's.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from stdnum import luhn


@dataclass(frozen=True)
class Mask:
    """One masked number: what it was taken for and the last four digits left visible."""

    kind: str  # "ssn" | "card"
    last4: str


@dataclass(frozen=True)
class Redaction:
    text: str
    masked: tuple[Mask, ...]  # what was masked, in text order; empty when nothing was

    @property
    def kinds(self) -> tuple[str, ...]:
        return tuple(mask.kind for mask in self.masked)

    @property
    def changed(self) -> bool:
        return bool(self.masked)


CARD_BRANDS: tuple[tuple[re.Pattern[str], frozenset[int]], ...] = tuple(
    (re.compile(prefix), frozenset(lengths))
    for prefix, lengths in (
        (r"4", (13, 16, 19)),  # Visa
        (r"5[1-5]|2(?:22[1-9]|2[3-9]\d|[3-6]\d\d|7[01]\d|720)", (16,)),  # Mastercard
        (r"3[47]", (15,)),  # American Express
        (r"6011|64[4-9]|65", (16, 17, 18, 19)),  # Discover
        (r"62", (16, 17, 18, 19)),  # UnionPay
        (r"35(?:2[89]|[3-8]\d)", (16, 17, 18, 19)),  # JCB
        (r"30[0-5]|309|36|38|39", (14, 16, 17, 18, 19)),  # Diners Club
        (r"5018|5020|5038|5893|6304|6759|676[1-3]", tuple(range(13, 20))),  # Maestro
    )
)
CARD_GROUPINGS = frozenset({(4, 4, 4, 4), (4, 6, 5), (4, 6, 4), (4, 4, 5), (4, 4, 4, 4, 3)})


def words(spaced: str) -> frozenset[str]:
    return frozenset(spaced.split())


CARD_WORDS = words(
    "card cards credit debit visa mastercard mc amex discover jcb diners unionpay maestro cc ccn "
    "cvv cvv2 cvc cvc2 exp expiry expires expiration creditcard debitcard"
)
IDENTIFIER_WORDS = words(
    "authorization authorisation authorizations auth auths reauthorization reauth preauth prior "
    "approval claim claims tracking track shipment package pkg order orders po invoice receipt "
    "policy member members subscriber group npi tin ein tax medicare medicaid mbi hicn reference "
    "ref confirmation conf case ticket id phone fax tel call ext extension lot serial sn upc ndc "
    "icd cpt hcpcs rx prescription referral episode mrn chart ups fedex usps routing"
)
INSURANCE_CARD_WORDS = words(
    "member insurance id medicare medicaid health benefits benefit rx pharmacy plan eligibility"
)
SSN_WORDS = frozenset({"ssn", "ss", "social"})
ABBREVIATIONS = words("no nr num exp acct ref auth conf approx dr mr mrs ms st inc vs ext tel")
LOOK_BEFORE, LOOK_AFTER, SSN_LOOK_BEFORE = 8, 5, 4

TOKEN = re.compile(r"\S+")
CARD_SHAPED = re.compile(r"\d(?:[ -]?\d){12}")  # 13 digits with at most single separators: worth reading closely
GLUED_LABEL = re.compile(r"([A-Za-z]+[#:])(?=\d)")
LEADING = "([{\"'#*"
TRAILING = ")]}\"',;:.!?*#"
SENTENCE_END = frozenset(".!?;")
PURE = re.compile(r"\d+")
DASHED = re.compile(r"\d+(?:-\d+)+")
WORD = re.compile(r"[a-z]+#?\d?")
EXPIRY = re.compile(r"(?:0?[1-9]|1[0-2])/(?:\d{2}|20\d{2})")

# A separated SSN: nothing glued on either side (letters, digits, "-", "/", "." before a digit),
# and, spaced, no digit group next to it (it would be a piece of a longer spaced number).
NEVER_ISSUED = r"(?!000|666|9\d\d)(\d{3})([- ])(?!00)(\d{2})\2(?!0000)(\d{4})"
SSN_SEPARATED = re.compile(r"(?<![\w\-/.])(?<!\d )" + NEVER_ISSUED + r"(?![\w\-/])(?!\.\d)(?! \d)")
SSN_LABELLED = re.compile(
    r"(?i)(?<![\w-])(?:ssn|ss#|social\s+security(?:\s+(?:number|no\.?|num|#))?)"
    r"(?:\s|[:#=]|(?:is|was|number|no|num)\b\.?)*"
    r"(?<![\w-])(?!000|666|9\d\d)(\d{3})(?!00)(\d{2})(?!0000)(\d{4})(?![\w\-/])(?!\.\d)"
)


@dataclass(slots=True)
class Token:
    start: int  # of the core: the token without its surrounding punctuation
    end: int
    core: str
    lead: str
    trail: str
    newline_before: bool  # the gap before this token holds a line break
    single_space_before: bool

    @property
    def word(self) -> str | None:
        """The token as a label word ("card", "cvv2", "ss#"), if it is one."""
        lowered = self.core.lower()
        return lowered if WORD.fullmatch(lowered) else None

    @property
    def names_a_number(self) -> bool:
        """Another number (5 digits or more) stands here: a label beyond it is that number's label."""
        return sum(ch.isdigit() for ch in self.core) >= 5

    @property
    def ends_sentence(self) -> bool:
        return bool(SENTENCE_END.intersection(self.trail)) and self.word not in ABBREVIATIONS


def tokens_of(text: str) -> list[Token]:
    tokens: list[Token] = []
    previous_end = 0
    for match in TOKEN.finditer(text):
        raw = match.group(0)
        glued = GLUED_LABEL.match(raw)
        if glued:  # "CC#4111…", "card:4111…": the label and the number are two tokens
            gap = text[previous_end : match.start()]
            label = glued.group(1)
            tokens.append(
                Token(match.start(), match.start() + len(label) - 1, label[:-1], "", label[-1], "\n" in gap, gap == " ")
            )
            previous_end = match.start() + len(label)
            raw = raw[len(label) :]
            match_start = previous_end
        else:
            match_start = match.start()
        stripped_lead = raw.lstrip(LEADING)
        core = stripped_lead.rstrip(TRAILING)
        lead, trail = raw[: len(raw) - len(stripped_lead)], stripped_lead[len(core) :]
        gap = text[previous_end:match_start]
        start = match_start + len(lead)
        tokens.append(Token(start, start + len(core), core, lead, trail, "\n" in gap, gap == " "))
        previous_end = match.end()
    return tokens


def label_at(tokens: list[Token], index: int) -> str | None:
    """What the word at `index` names: "card", "identifier", "ssn", or None."""
    word = tokens[index].word
    if word is None:
        return None
    if word in ("card", "cards") and index > 0 and tokens[index - 1].word in INSURANCE_CARD_WORDS:
        return "identifier"  # a member or insurance card's number is a member id
    if word == "code" and index > 0 and tokens[index - 1].word == "security":
        return "card"
    if word in CARD_WORDS:
        return "card"
    if word in SSN_WORDS:
        return "ssn"
    if word in IDENTIFIER_WORDS:
        return "identifier"
    return None


def boundary_between(left: Token, right: Token) -> bool:
    """A sentence ends between these tokens: "." "!" "?" ";" or a line break (not after "card:")."""
    return left.ends_sentence or (right.newline_before and not left.trail.endswith(":"))


def nearest_label(tokens: list[Token], first: int, last: int, before: int, after: int) -> str | None:
    """The nearest label in the sentence around tokens first..last: before it first, then after it."""
    for index in range(first - 1, max(first - 1 - before, -1), -1):
        if boundary_between(tokens[index], tokens[index + 1]) or tokens[index].names_a_number:
            break
        if label := label_at(tokens, index):
            return label
    for index in range(last + 1, min(last + 1 + after, len(tokens))):
        if boundary_between(tokens[index - 1], tokens[index]) or tokens[index].names_a_number:
            break
        if label := label_at(tokens, index):
            return label
    return None


def card_brand_accepts(digits: str) -> bool:
    return any(prefix.match(digits) and len(digits) in lengths for prefix, lengths in CARD_BRANDS)


def luhn_valid(digits: str) -> bool:
    return luhn.is_valid(digits)


Candidate = tuple[int, int, str, tuple[int, ...] | None]  # first token, last token, digits, grouping
Span = tuple[int, int, str, Mask]  # start, end, replacement, what it masks


def card_candidates(tokens: list[Token]) -> list[Candidate]:
    """Numbers standing alone: (first token, last token, digits, grouping or None when bare)."""
    found: list[Candidate] = []
    index = 0
    while index < len(tokens):
        token = tokens[index]
        if DASHED.fullmatch(token.core):
            groups = token.core.split("-")
            found.append((index, index, "".join(groups), tuple(len(g) for g in groups)))
            index += 1
            continue
        if not PURE.fullmatch(token.core):
            index += 1
            continue
        last = index  # a spaced run: digit tokens joined by single spaces, punctuation only outside
        while (
            last + 1 < len(tokens)
            and not tokens[last].trail
            and tokens[last + 1].single_space_before
            and not tokens[last + 1].lead
            and PURE.fullmatch(tokens[last + 1].core)
        ):
            last += 1
        run = tokens[index : last + 1]
        digits = "".join(t.core for t in run)
        grouping = tuple(len(t.core) for t in run) if len(run) > 1 else None
        found.append((index, last, digits, grouping))
        index = last + 1
    return found


def card_spans(tokens: list[Token]) -> list[Span]:
    spans: list[Span] = []
    for first, last, digits, grouping in card_candidates(tokens):
        if not (13 <= len(digits) <= 19 and luhn_valid(digits) and card_brand_accepts(digits)):
            continue
        if grouping is not None and grouping not in CARD_GROUPINGS:
            continue  # separated, but not as a card is printed: some other number
        label = nearest_label(tokens, first, last, LOOK_BEFORE, LOOK_AFTER)
        if label == "identifier":
            continue
        expiry_next = (
            last + 1 < len(tokens)
            and not tokens[last + 1].newline_before
            and not tokens[last + 1].lead
            and EXPIRY.fullmatch(tokens[last + 1].core) is not None
        )
        if label == "card" or grouping is not None or expiry_next:
            mask = Mask("card", digits[-4:])
            spans.append((tokens[first].start, tokens[last].end, f"[card ending {mask.last4}]", mask))
    return spans


def ssn_spans(text: str, tokens: list[Token]) -> list[Span]:
    spans: list[Span] = []
    starts = [t.start for t in tokens]
    for match in SSN_SEPARATED.finditer(text):
        at = max(bisect.bisect_right(starts, match.start()) - 1, 0)  # the token it starts in
        if tokens and nearest_label(tokens, at, at, SSN_LOOK_BEFORE, 0) == "identifier":
            continue
        mask = Mask("ssn", match.group(4))
        spans.append((match.start(), match.end(), f"***-**-{mask.last4}", mask))
    for match in SSN_LABELLED.finditer(text):
        mask = Mask("ssn", match.group(3))
        spans.append((match.start(1), match.end(3), f"***-**-{mask.last4}", mask))
    return spans


def redact(text: str) -> Redaction:
    """`text` with SSNs and card numbers masked (the rule in this module's docstring)."""
    if not any(ch.isdigit() for ch in text):
        return Redaction(text, ())
    card_shaped = CARD_SHAPED.search(text) is not None
    if not (card_shaped or SSN_SEPARATED.search(text) or SSN_LABELLED.search(text)):
        return Redaction(text, ())  # most messages: no word-by-word reading needed
    tokens = tokens_of(text)
    chosen: list[Span] = []
    for span in (card_spans(tokens) if card_shaped else []) + ssn_spans(text, tokens):
        if all(span[1] <= other[0] or span[0] >= other[1] for other in chosen):
            chosen.append(span)
    chosen.sort()
    pieces, position = [], 0
    for start, end, replacement, _ in chosen:
        pieces += [text[position:start], replacement]
        position = end
    pieces.append(text[position:])
    return Redaction("".join(pieces), tuple(span[3] for span in chosen))


MASK_MARKS = re.compile(r"\[card ending (\d{4})\]|\*\*\*-\*\*-(\d{4})")


def what_was_masked(original: str, stored: str) -> tuple[Mask, ...]:
    """What masking `original` took out, given the text that was stored (none if it is unchanged).

    Used for the sender's `ack`, fresh or resent: masking is deterministic, so the original
    (kept apart for supervisors) gives the same answer every time it is asked. Should the rule
    have changed since the message was stored, the marks in the stored text say what was masked.
    """
    if original == stored:
        return ()
    redaction = redact(original)
    if redaction.text == stored:
        return redaction.masked
    return tuple(Mask("card", card) if card else Mask("ssn", ssn) for card, ssn in MASK_MARKS.findall(stored))
