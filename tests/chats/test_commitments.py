"""Escalation commitments, the rules: the committed time (injected clock, Eastern across DST) and the contact."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from chats.commitments import CommitmentError, check_commitment, check_contact_line, check_contact_name
from chats.due_times import MAX_AHEAD, DueTimeError, due_local, due_text, parse_due

pytestmark = pytest.mark.django_db  # the suite's session teardown needs its test database

EASTERN = ZoneInfo("America/New_York")
NOW = datetime(2026, 3, 5, 15, 0, tzinfo=UTC)  # Thursday 10:00 EST


def due(text: str, now: datetime = NOW) -> datetime:
    return parse_due(text, zone=EASTERN, now=now)


@pytest.mark.parametrize(
    ("typed", "utc", "shown"),
    [
        ("2026-03-06T15:00", datetime(2026, 3, 6, 20, 0, tzinfo=UTC), "Friday, March 6, 2026, 3:00 PM EST"),
        # after the spring-forward Sunday (March 8, 2026) the same wall clock is an hour earlier in UTC
        ("2026-03-09T15:00", datetime(2026, 3, 9, 19, 0, tzinfo=UTC), "Monday, March 9, 2026, 3:00 PM EDT"),
        ("2026-03-08T03:00", datetime(2026, 3, 8, 7, 0, tzinfo=UTC), "Sunday, March 8, 2026, 3:00 AM EDT"),
        ("2026-03-08T01:59", datetime(2026, 3, 8, 6, 59, tzinfo=UTC), "Sunday, March 8, 2026, 1:59 AM EST"),
        ("2026-03-06 09:05", datetime(2026, 3, 6, 14, 5, tzinfo=UTC), "Friday, March 6, 2026, 9:05 AM EST"),
        ("2026-03-06T12:00:00", datetime(2026, 3, 6, 17, 0, tzinfo=UTC), "Friday, March 6, 2026, 12:00 PM EST"),
        ("2026-03-06T17:30Z", datetime(2026, 3, 6, 17, 30, tzinfo=UTC), "Friday, March 6, 2026, 12:30 PM EST"),
        ("2026-03-06T12:30-05:00", datetime(2026, 3, 6, 17, 30, tzinfo=UTC), "Friday, March 6, 2026, 12:30 PM EST"),
        ("2026-03-07T00:15", datetime(2026, 3, 7, 5, 15, tzinfo=UTC), "Saturday, March 7, 2026, 12:15 AM EST"),
    ],
)
def test_eastern_wall_clock_is_read_and_shown_across_dst(typed, utc, shown):
    """What the agent types is Eastern wall-clock time, EST or EDT as that day has it."""
    assert due(typed) == utc
    assert due_text(due(typed), EASTERN) == shown


def test_fall_back_shows_the_right_abbreviation_and_offset():
    """November 2, 2026 is EST (-05:00); October 30 still EDT (-04:00)."""
    now = datetime(2026, 10, 28, 12, 0, tzinfo=UTC)
    before, after = due("2026-10-30T10:00", now), due("2026-11-02T10:00", now)
    assert due_local(before, EASTERN) == "2026-10-30T10:00:00-04:00" and due_text(before, EASTERN).endswith("EDT")
    assert due_local(after, EASTERN) == "2026-11-02T10:00:00-05:00" and due_text(after, EASTERN).endswith("EST")


def test_a_skipped_or_repeated_wall_clock_time_is_refused_by_name():
    """02:30 on the spring-forward Sunday does not exist; 01:30 on the fall-back Sunday happens twice."""
    with pytest.raises(DueTimeError, match="does not exist in Eastern time"):
        due("2026-03-08T02:30")
    with pytest.raises(DueTimeError, match="happens twice in Eastern time"):
        due("2026-11-01T01:30", datetime(2026, 10, 28, tzinfo=UTC))


@pytest.mark.parametrize(
    ("typed", "why"),
    [
        ("2026-03-05T09:59", "in the future"),  # 14:59 UTC: a minute ago
        ("2026-03-05T10:00", "in the future"),  # exactly now is not the future
        ("2025-12-01T10:00", "in the future"),
        ("2026-02-30T10:00", "not a real date"),
        ("2026-03-06T25:00", "not a real date"),
        ("2026-03-06T10:61", "not a real date"),
        ("2062-03-06T10:00", "within 90 days"),
        ("tomorrow at 3", "YYYY-MM-DDTHH:MM"),
        ("2026-03-06", "YYYY-MM-DDTHH:MM"),
        ("2026-03-06T10:00+99:99", "not a real date"),
        ("", "Give the committed"),
        (None, "Give the committed"),
        (20260306, "Give the committed"),
        ("2026-03-06T10:00:00" + "0" * 30, "YYYY-MM-DDTHH:MM"),
    ],
)
def test_bad_times_are_refused_with_a_reason(typed, why):
    with pytest.raises(DueTimeError, match=why):
        due(typed)


def test_the_horizon_is_inclusive_of_its_last_minute():
    """Ninety days ahead is accepted; a minute more is not."""
    edge = NOW + MAX_AHEAD
    assert due(edge.isoformat()) == edge
    with pytest.raises(DueTimeError):
        due((edge + timedelta(minutes=1)).isoformat())


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("800-555-0142", "800-555-0142"),
        ("(800) 555-0142", "800-555-0142"),
        ("+1 800 555 0142", "800-555-0142"),
        ("1-800-555-0142 ext. 12", "800-555-0142 ext. 12"),
        ("800.555.0142 x 4021", "800-555-0142 ext. 4021"),
        ("8005550142, extension 7", "800-555-0142 ext. 7"),
        ("ext. 4021", "ext. 4021"),
        ("x4021", "ext. 4021"),
        ("4021", "ext. 4021"),
    ],
)
def test_contact_lines_are_written_one_way(typed, stored):
    assert check_contact_line(typed) == stored


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "   ",
        "555-0142",
        "123-555-0142",
        "800-155-0142",
        "call me",
        "ext. 1",
        "ext. 1234567",
        "800-555-0142 ext",
        "<script>alert(1)</script>",
        "800-555-0142\x00",
        "800-555-0142 ext. 12 or 13",
        None,
        8005550142,
        "1" * 41,
    ],
)
def test_bad_contact_lines_are_refused(typed):
    with pytest.raises(CommitmentError) as refused:
        check_contact_line(typed)
    assert refused.value.field == "contact_line" and refused.value.code == "invalid_commitment"


@pytest.mark.parametrize(
    ("typed", "why"),
    [
        ("", "Give the escalation contact"),
        ("Dana\u202eRuiz", "text-direction"),
        ("Dana\nRuiz", "line-break"),
        ("Dana\x07", "control characters"),
        ("\ud800Dana", "lone surrogate"),
        ("x" * 101, "at most 100"),
        ("12345", "letters"),
        (["Dana"], "Give the escalation contact"),
    ],
)
def test_bad_contact_names_are_refused(typed, why):
    with pytest.raises(CommitmentError, match=why):
        check_contact_name(typed)


def test_contact_name_keeps_markup_as_text_and_squeezes_spaces():
    """Names are free text (text-checked, not filtered): pages show them as text."""
    assert check_contact_name("  Dana   Ruiz ") == "Dana Ruiz"
    assert check_contact_name("<b>Dana</b>") == "<b>Dana</b>"


def test_the_commitment_object_is_checked_whole(settings):
    settings.CHAT_TIMEZONE = "America/New_York"
    terms = check_commitment(
        {"due": "2026-03-06T15:00", "contact_name": "Dana Ruiz", "contact_line": "800-555-0142 x12"}, now=NOW
    )
    assert (terms.due_at, terms.contact_name, terms.contact_line) == (
        datetime(2026, 3, 6, 20, tzinfo=UTC),
        "Dana Ruiz",
        "800-555-0142 ext. 12",
    )
    for bad in ("soon", ["2026-03-06T15:00"], {"due": "2026-03-06T15:00", "contact_name": "D", "extra": 1}):
        with pytest.raises(CommitmentError, match="must be an object"):
            check_commitment(bad, now=NOW)
    with pytest.raises(CommitmentError) as refused:
        check_commitment({"due": "2026-03-04T15:00", "contact_name": "Dana", "contact_line": "ext. 12"}, now=NOW)
    assert refused.value.field == "due"


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=60),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=12), inner, max_size=3),
    max_leaves=8,
)
COMMITMENT_LIKE = st.fixed_dictionaries(
    {},
    optional={
        "due": st.one_of(JSON, st.from_regex(r"\A20\d\d-\d\d-\d\d[T ]\d\d:\d\d(:\d\d)?(Z|[+-]\d\d:\d\d)?\Z")),
        "contact_name": st.one_of(JSON, st.text(max_size=120)),
        "contact_line": st.one_of(JSON, st.from_regex(r"\A[\d\s().+x-]{0,30}\Z")),
    },
)


@hsettings(max_examples=300, deadline=None)
@given(raw=st.one_of(JSON, COMMITMENT_LIKE))
def test_any_json_is_a_commitment_or_a_clear_refusal(raw):
    """Whatever a frame holds, the check returns terms or a CommitmentError with a sentence: never a crash."""
    try:
        terms = check_commitment(raw, now=NOW)
    except CommitmentError as exc:
        assert exc.code == "invalid_commitment" and exc.message.endswith(".")
    else:
        assert NOW < terms.due_at <= NOW + MAX_AHEAD and terms.contact_name and terms.contact_line
