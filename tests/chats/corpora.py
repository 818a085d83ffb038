"""Generated corpora for the masking rule (chats/redaction.py): what must stay, what must go.

`ordinary(n, seed)` — sentences a home-care provider or agent types, each holding identifiers of
this field: authorization, claim, tracking (UPS, FedEx, USPS), order, policy and member numbers,
NPIs (Luhn over 80840 + the number), phone numbers in every common format, dates, ICD-10, CPT and
HCPCS codes, NDCs, UUIDs, Medicare MBIs, tax ids, ZIP+4 — with and without dashes, labelled and
not, sometimes beside a card word in another sentence or naming an insurance card. None may be
masked. The long numbers are random, so about 1 in 10 passes Luhn and about 1 in 50 also falls in a
card brand's range: the rule has to tell them apart by evidence, not by digits.

`sensitive(n, seed)` — card numbers of every brand and length (valid Luhn) with a card word, an
expiry, a CVV or standing alone in card grouping, and SSNs separated or labelled. Each must be
masked, with the right kind and last four digits.

`python -m tests.chats.corpora` prints the rates per category (the figures in docs/masking.md).
"""

from __future__ import annotations

import random
import string
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from stdnum import luhn

Gen = Callable[[random.Random], str]


@dataclass(frozen=True)
class Sample:
    category: str
    text: str
    expect: tuple[tuple[str, str], ...] = ()  # (kind, last4) of each number that must be masked, in order


def digits(rng: random.Random, n: int, first: str = "123456789") -> str:
    return rng.choice(first) + "".join(rng.choice(string.digits) for _ in range(n - 1))


def dashed(rng: random.Random, number: str, sep: str = "-") -> str:
    """`number` cut into 2–4 groups at random places, as back-office systems print them."""
    cuts = sorted(rng.sample(range(2, len(number) - 1), rng.randint(1, min(3, len(number) - 3))))
    parts, last = [], 0
    for cut in cuts:
        if cut - last >= 2:
            parts.append(number[last:cut])
            last = cut
    return sep.join([*parts, number[last:]])


def grouped(number: str, grouping: tuple[int, ...], sep: str) -> str:
    parts, at = [], 0
    for size in grouping:
        parts.append(number[at : at + size])
        at += size
    return sep.join(parts)


def long_number(rng: random.Random) -> str:
    """A random 13–19-digit identifier, printed bare, dashed at random places or in fours."""
    number = digits(rng, rng.randint(13, 19))
    shape = rng.random()
    if shape < 0.55:
        return number
    if shape < 0.85:
        return dashed(rng, number)
    if len(number) == 16:  # some systems print in fours, like a card
        return grouped(number, (4, 4, 4, 4), rng.choice("- "))
    return dashed(rng, number, rng.choice("- "))


# --- this field's identifiers ---------------------------------------------------------------


def authorization(rng: random.Random) -> str:
    return rng.choice(
        [
            long_number(rng),
            "PA" + digits(rng, rng.randint(10, 16)),
            "A" + digits(rng, 12),
            f"{rng.randint(2024, 2027)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}{digits(rng, 6, string.digits)}",
            f"INT-{digits(rng, 5)}",
            f"AUTH-{digits(rng, rng.randint(8, 16))}",
        ]
    )


def claim(rng: random.Random) -> str:
    return rng.choice(
        [
            long_number(rng),
            f"CLM-{digits(rng, rng.randint(10, 16))}",
            f"{digits(rng, 2)}{rng.choice('ABCDEFGH')}{digits(rng, 12)}",
            f"{rng.randint(2024, 2027)}{digits(rng, 11, string.digits)}",
        ]
    )


def ups(rng: random.Random) -> str:
    code = "1Z" + "".join(rng.choice(string.ascii_uppercase + string.digits) for _ in range(6)) + digits(rng, 10)
    if rng.random() < 0.3:
        return " ".join([code[:2], code[2:5], code[5:8], code[8:10], code[10:14], code[14:]])
    return code


def fedex(rng: random.Random) -> str:
    number = digits(rng, rng.choice([12, 14, 15, 20, 22]))
    if rng.random() < 0.4:
        return " ".join(number[i : i + 4] for i in range(0, len(number), 4))
    return number


def usps(rng: random.Random) -> str:
    number = rng.choice(["9400", "9205", "9407", "9303", "9270", "9361", "9202"]) + digits(rng, 18, string.digits)
    shape = rng.random()
    if shape < 0.4:
        return " ".join(number[i : i + 4] for i in range(0, len(number), 4))
    if shape < 0.5:
        return f"{rng.choice(['EA', 'LZ', 'RR', 'CP'])}{digits(rng, 9)}US"
    if shape < 0.6:
        return "420" + digits(rng, 5, string.digits) + number  # with the ZIP routing prefix
    return number


def tracking(rng: random.Random) -> str:
    return rng.choice([ups, fedex, usps])(rng)


def order(rng: random.Random) -> str:
    return rng.choice(
        [
            long_number(rng),
            f"{digits(rng, 3)}-{digits(rng, 7, string.digits)}-{digits(rng, 7, string.digits)}",
            "#" + digits(rng, rng.randint(13, 17)),
            f"SO{digits(rng, 10)}",
            f"PO-{digits(rng, rng.randint(6, 14))}",
        ]
    )


def policy(rng: random.Random) -> str:
    return rng.choice(
        [
            long_number(rng),
            rng.choice("HRSU") + digits(rng, 11),
            f"POL-{digits(rng, 13)}",
            "".join(rng.choice(string.ascii_uppercase) for _ in range(3)) + digits(rng, rng.randint(9, 14)),
        ]
    )


def member(rng: random.Random) -> str:
    return rng.choice(
        [
            digits(rng, 9),
            digits(rng, 11),
            digits(rng, rng.randint(13, 17)),
            rng.choice("WXYZ") + digits(rng, 9),
            "".join(rng.choice(string.ascii_uppercase) for _ in range(3)) + digits(rng, 12),
            f"{digits(rng, 9)} {digits(rng, 2, string.digits)}",
            f"{digits(rng, 9)}-{digits(rng, 2, string.digits)}",
            digits(rng, 9) + rng.choice("ABCDM"),  # a legacy HICN
            f"{digits(rng, 3)}-{digits(rng, 2)}-{digits(rng, 4)}{rng.choice('AB')}",  # a legacy HICN, dashed
        ]
    )


def npi(rng: random.Random) -> str:
    base = rng.choice("12") + digits(rng, 8, string.digits)
    number = base + luhn.calc_check_digit("80840" + base)
    return rng.choice([number, number, "80840" + number])


def phone(rng: random.Random) -> str:
    area, exchange, line = digits(rng, 3, "23456789"), digits(rng, 3, "23456789"), digits(rng, 4, string.digits)
    toll = rng.choice(["800", "888", "877", "866"])
    return rng.choice(
        [
            f"({area}) {exchange}-{line}",
            f"{area}-{exchange}-{line}",
            f"{area}.{exchange}.{line}",
            f"{area} {exchange} {line}",
            f"{area}{exchange}{line}",
            f"+1 {area} {exchange} {line}",
            f"+1-{area}-{exchange}-{line}",
            f"+1{area}{exchange}{line}",
            f"1-{toll}-{exchange}-{line}",
            f"1 ({area}) {exchange}-{line}",
            f"1{area}{exchange}{line}",
            f"{area}-{exchange}-{line} ext. {rng.randint(1, 9999)}",
            f"{area}-{exchange}-{line} x{rng.randint(1, 999)}",
            f"{area}-{exchange}-{line} / {digits(rng, 3, '23456789')}-{exchange}-{line}",
            f"{area} {exchange} {line} {rng.randint(1, 99)}",
        ]
    )


def date(rng: random.Random) -> str:
    y, m, d = rng.randint(1930, 2027), rng.randint(1, 12), rng.randint(1, 28)
    return rng.choice(
        [
            f"{m:02d}/{d:02d}/{y}",
            f"{m}/{d}/{y % 100:02d}",
            f"{m}/{d}",
            f"{m:02d}/{y % 100:02d}",
            f"{y}-{m:02d}-{d:02d}",
            f"{m:02d}-{d:02d}-{y}",
            f"{m:02d}.{d:02d}.{y}",
            f"{y}{m:02d}{d:02d}",
            f"{m:02d}{d:02d}{y}",
            f"{m:02d}/{d:02d}/{y} - {m:02d}/{d:02d}/{y + 1}",
            f"{y}-{m:02d}-{d:02d}T{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:00Z",
        ]
    )


def clinical_code(rng: random.Random) -> str:
    letter = rng.choice("ABCDEFGHIJKLMNOPQRSTZ")
    return rng.choice(
        [
            f"{letter}{rng.randint(0, 99):02d}.{rng.randint(0, 999)}",
            f"{letter}{rng.randint(0, 99):02d}.{rng.randint(0, 99):02d}{rng.choice('ADS')}",
            f"{letter}{rng.randint(0, 99):02d}",
            f"{rng.randint(10000, 99999)}",  # CPT
            f"{rng.randint(1000, 9999)}F",  # CPT category II
            f"{rng.choice('AEKLBJ')}{rng.randint(0, 9999):04d}",  # HCPCS
            f"{rng.choice('AEKL')}{rng.randint(0, 9999):04d}-{rng.choice(['RR', 'NU', 'KX', 'UE'])}",
            f"{rng.randint(10000, 99999)} {rng.randint(10000, 99999)} {rng.randint(10000, 99999)}",  # CPT list
            f"{digits(rng, 5)}-{digits(rng, 4, string.digits)}-{digits(rng, 2, string.digits)}",  # NDC
            f"{digits(rng, 11)}",  # NDC, 11 digits bare
        ]
    )


def an_uuid(rng: random.Random) -> str:
    value = uuid.UUID(int=rng.getrandbits(128), version=4)
    return rng.choice([str(value), value.hex, str(value).upper(), "{" + str(value) + "}", f"urn:uuid:{value}"])


def mbi(rng: random.Random) -> str:
    alpha = "ACDEFGHJKMNPQRTUVWXY"  # no S, L, O, I, B, Z
    c, a, n = "123456789", alpha, string.digits
    an = alpha + string.digits
    picks = [c, a, an, n, a, an, n, a, a, n, n]
    value = "".join(rng.choice(p) for p in picks)
    return f"{value[:4]}-{value[4:7]}-{value[7:]}" if rng.random() < 0.5 else value


def numeric_id_in_url(rng: random.Random) -> str:
    number = digits(rng, rng.randint(13, 19))
    return rng.choice(
        [
            f"https://portal.example.com/orders/{number}",
            f"https://track.example.com/?tracknum={number}",
            f"/claims/{number}/status",
            f"C:\\exports\\{number}.pdf",
            f"claim_{number}.pdf",
            f"ref:{number}:v2",
            f"{number}.{rng.randint(0, 99)}",
        ]
    )


def alphanumeric_code(rng: random.Random) -> str:
    number = digits(rng, rng.randint(13, 19))
    return rng.choice(
        [
            f"{rng.choice(string.ascii_uppercase)}{number}",
            f"{number}{rng.choice(string.ascii_uppercase)}",
            f"{number[:6]}{rng.choice(string.ascii_uppercase)}{number[6:]}",
            "".join(rng.choice("0123456789abcdef") for _ in range(rng.choice([16, 24, 32, 40, 64]))),
            f"0x{number}",
            f"{number}-{rng.choice(['A', 'B', '01', 'X1'])}",
            f"{rng.choice(['ORD', 'TRK', 'REF', 'INV'])}{number}",
        ]
    )


def amount(rng: random.Random) -> str:
    return rng.choice(
        [
            f"${rng.randint(1, 999999):,}.{rng.randint(0, 99):02d}",
            f"{rng.randint(1, 99)} units",
            f"{rng.randint(10000, 99999)}-{rng.randint(1000, 9999)}",  # ZIP+4
            f"{rng.randint(10, 99)}-{rng.randint(1000000, 9999999)}",  # EIN
            f"{rng.randint(1, 12)}:{rng.randint(0, 59):02d}",
        ]
    )


LABELLED: dict[str, tuple[Gen, tuple[str, ...]]] = {
    "authorization": (
        authorization,
        (
            "The authorization number is {}.",
            "Auth # {} approved for 12 visits",
            "prior auth {} covers the wheelchair",
            "Reauthorization {} was faxed over yesterday",
            "Can you confirm auth {}? The card reader says pending.",
            "Approval {} for the hospital bed, thanks",
            "I paid by card. The authorization is {}",
            "Our credit department has authorization {} on file",
        ),
    ),
    "claim": (
        claim,
        (
            "Claim {} was denied",
            "Please check claim number {} for the DOS",
            "claim# {} resubmitted",
            "The claim {} and the card on file: which one is short?",
        ),
    ),
    "tracking": (
        tracking,
        (
            "Tracking {} shows delivered",
            "UPS tracking number {}",
            "FedEx {} left the depot",
            "USPS tracking {} for the supplies",
            "shipped, tracking {}.",
        ),
    ),
    "order": (
        order,
        (
            "Order {} is on backorder",
            "order number {} for the oxygen concentrator",
            "Our PO {} was sent",
            "Invoice {} is paid by credit card",
        ),
    ),
    "policy": (
        policy,
        (
            "Policy number {} is active",
            "policy {} through 12/31",
            "Group {} changed in January",
        ),
    ),
    "member": (
        member,
        (
            "Member id {} needs a reauthorization",
            "Member ID: {}",
            "Subscriber {} is the patient's spouse",
            "Her member card number is {}",
            "insurance card {} front and back",
            "Medicaid id {} and Medicare card {}",
        ),
    ),
    "npi": (
        npi,
        (
            "NPI {}",
            "Ordering physician NPI {} signed",
            "npi: {} for Dr. Osei",
        ),
    ),
    "phone": (
        phone,
        (
            "Call {} please",
            "Call me back at {}",
            "fax {} attn: intake",
            "Phone {} or email",
            "you can reach the patient at {}",
            "cell {}",
        ),
    ),
    "date": (
        date,
        (
            "DOB {}",
            "Start of care {}",
            "Visits on {} at 10:30",
            "discharged {} from St. Mary's",
            "valid from {}",
        ),
    ),
    "clinical code": (
        clinical_code,
        (
            "ICD-10 {} primary",
            "CPT {} billed",
            "HCPCS {} rental month 3",
            "Dx {} and {}",
            "NDC {} dispensed",
        ),
    ),
    "uuid": (
        an_uuid,
        (
            "Request id {} from the portal",
            "{}",
            "Document {} uploaded",
            "card scan upload {} failed",
        ),
    ),
    "mbi": (
        mbi,
        (
            "Medicare MBI {}",
            "MBI: {} (new card)",
            "The Medicare number is {}",
        ),
    ),
    "url or path": (
        numeric_id_in_url,
        (
            "See {}",
            "card details are at {} per the billing team",
            "link: {}",
        ),
    ),
    "alphanumeric code": (
        alphanumeric_code,
        (
            "Reference {}",
            "Code {} from the card reader",
            "Confirmation {}",
            "{}",
        ),
    ),
    "amount, zip, tax id": (
        amount,
        (
            "Amount {} approved",
            "Zip {}",
            "Tax id {}",
            "paid {} by debit card",
        ),
    ),
    "unlabelled long number": (
        lambda rng: digits(rng, rng.randint(13, 19)),
        (
            "{}",
            "It's {}, thanks",
            "Here you go: {}",
            "got it {} ok",
            "the number on the form is {}",
        ),
    ),
}


def fill(rng: random.Random, template: str, gen: Gen) -> str:
    return template.format(*(gen(rng) for _ in range(template.count("{}"))))


def ordinary(n: int, seed: int = 2026) -> Iterator[Sample]:
    """n sentences of ordinary identifiers, spread evenly over the categories; none may be masked."""
    rng = random.Random(seed)
    categories = list(LABELLED)
    for i in range(n):
        category = categories[i % len(categories)]
        gen, templates = LABELLED[category]
        text = fill(rng, rng.choice(templates), gen)
        if rng.random() < 0.15:  # a second sentence with another identifier
            other = rng.choice(categories)
            other_gen, other_templates = LABELLED[other]
            text = f"{text} {fill(rng, rng.choice(other_templates), other_gen)}"
        yield Sample(category, text)


# --- what must be masked --------------------------------------------------------------------

BRANDS: dict[str, tuple[tuple[str, ...], tuple[int, ...]]] = {
    "visa": (("4",), (13, 16, 19)),
    "mastercard": (("51", "52", "53", "54", "55", "2221", "2500", "2720"), (16,)),
    "amex": (("34", "37"), (15,)),
    "discover": (("6011", "644", "649", "65"), (16, 19)),
    "unionpay": (("62",), (16, 17, 18, 19)),
    "jcb": (("3528", "3589"), (16, 19)),
    "diners": (("300", "305", "36", "38"), (14, 16)),
    "maestro": (("5018", "6304", "6759", "6763"), (13, 16, 19)),
}
PRINTED = {13: (4, 4, 5), 14: (4, 6, 4), 15: (4, 6, 5), 16: (4, 4, 4, 4), 19: (4, 4, 4, 4, 3)}
CARD_CONTEXT = (
    "My card number is {}",
    "card: {}",
    "Visa {} please",
    "charge the copay to my credit card {}",
    "cc {} thanks",
    "debit {}",
    "Use the Amex, {}",
    "{} is my card",
    "{} exp 12/28",
    "{} 09/27",
    "{} cvv 123",
    "her card # is {} and the security code 456",
    "Card on file: {}.",
    "mastercard {}, expires 03/2029",
    "CC#{}",
)
CARD_GROUPED = (
    "{}",
    "please use {} for the copay",
    "({})",
    "the number is {} thanks",
)


def card_number(rng: random.Random, prefix: str, length: int) -> str:
    body = prefix + "".join(rng.choice(string.digits) for _ in range(length - len(prefix) - 1))
    return body + luhn.calc_check_digit(body)


def ssn_number(rng: random.Random) -> tuple[str, str, str]:
    area = rng.choice([a for a in range(1, 900) if a != 666])
    return f"{area:03d}", f"{rng.randint(1, 99):02d}", f"{rng.randint(1, 9999):04d}"


SSN_SEPARATED = (
    "SSN {}",
    "My SSN is {}",
    "{}",
    "social security {} for the application",
    "Her social is {}, DOB 01/23/1945",
    "patient ss# {}",
    "{} is the SSN",
)
SSN_BARE = (
    "SSN {}",
    "SSN: {}",
    "ssn#{}",
    "SSN is {}",
    "social security number {}",
    "Social Security No. {}",
    "SS# {}",
    "the patient's SSN {} on the form",
)


def sensitive(n: int, seed: int = 1187) -> Iterator[Sample]:
    """n sentences each holding one card or SSN (every brand, length and shape); all must be masked."""
    rng = random.Random(seed)
    brands = list(BRANDS)
    for i in range(n):
        if i % 4 == 3:
            area, group, serial = ssn_number(rng)
            if rng.random() < 0.6:
                sep = rng.choice("- ")
                yield Sample(
                    "ssn", rng.choice(SSN_SEPARATED).format(sep.join((area, group, serial))), (("ssn", serial),)
                )
            else:
                yield Sample("ssn", rng.choice(SSN_BARE).format(area + group + serial), (("ssn", serial),))
            continue
        brand = brands[(i - i // 4) % len(brands)]  # the i-th card sample, brands in turn
        prefixes, lengths = BRANDS[brand]
        length = rng.choice(lengths)
        number = card_number(rng, rng.choice(prefixes), length)
        if length in PRINTED and rng.random() < 0.5:
            text = rng.choice(CARD_GROUPED + CARD_CONTEXT).format(grouped(number, PRINTED[length], rng.choice(" -")))
        else:
            text = rng.choice(CARD_CONTEXT).format(number)
        yield Sample(f"card {brand}", text, (("card", number[-4:]),))


def rates(redact: Callable[[str], object], n_ordinary: int = 20_000, n_sensitive: int = 8_000) -> dict:
    """Per category: how many samples, how many were masked wrongly (ordinary) or not right (sensitive)."""
    wrong: dict[str, list[int]] = {}
    for sample in ordinary(n_ordinary):
        counts = wrong.setdefault(sample.category, [0, 0])
        counts[0] += 1
        counts[1] += redact(sample.text).changed  # type: ignore[attr-defined]
    missed: dict[str, list[int]] = {}
    for sample in sensitive(n_sensitive):
        counts = missed.setdefault(sample.category, [0, 0])
        result = redact(sample.text)
        got = tuple((m.kind, m.last4) for m in result.masked)  # type: ignore[attr-defined]
        counts[0] += 1
        counts[1] += got != sample.expect
    return {"ordinary": wrong, "sensitive": missed}


if __name__ == "__main__":
    from chats.redaction import redact

    measured = rates(redact)
    for corpus, table in measured.items():
        total = sum(c[0] for c in table.values())
        bad = sum(c[1] for c in table.values())
        print(
            f"{corpus}: {bad} of {total} {'masked' if corpus == 'ordinary' else 'not masked right'} ({bad / total:.3%})"
        )
        for category, (count, errors) in sorted(table.items()):
            print(f"  {category:24} {errors:5} / {count:6}")
