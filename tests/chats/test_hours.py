"""Tests for chats.hours: weekly chat hours in a time zone, closure dates and US holidays."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from chats.hours import (
    DEFAULT_HOURS,
    HoursError,
    Schedule,
    WeeklyHours,
    parse_closed_dates,
    parse_hours,
    us_federal_holidays,
)

NY = ZoneInfo("America/New_York")
LA = ZoneInfo("America/Los_Angeles")
LONDON = ZoneInfo("Europe/London")
TOKYO = ZoneInfo("Asia/Tokyo")
MICROSECOND = timedelta(microseconds=1)
WEEKDAYS = (((480, 1080),),) * 5 + ((),) * 2  # Mon-Fri 08:00-18:00


def ny(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    """A New York wall-clock instant (fold=0)."""
    return datetime(year, month, day, hour, minute, second, tzinfo=NY)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    """A UTC instant."""
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def in_utc(at: datetime | None) -> datetime | None:
    """`at` converted to UTC (None stays None)."""
    return None if at is None else at.astimezone(UTC)


def schedule(spec: str = DEFAULT_HOURS, tz: ZoneInfo = NY, closed: str = "", us_holidays: bool = False) -> Schedule:
    """A Schedule built from setting strings."""
    return Schedule(tz, parse_hours(spec), parse_closed_dates(closed), us_holidays)


# --- opening boundaries -------------------------------------------------------------------------


@pytest.mark.parametrize("day", [date(2026, 1, 14), date(2026, 7, 15)], ids=["winter-EST", "summer-EDT"])
@pytest.mark.parametrize(
    ("hms", "expected"),
    [((7, 59, 59), False), ((8, 0, 0), True), ((17, 59, 59), True), ((18, 0, 0), False)],
)
def test_weekday_boundaries(day: date, hms: tuple[int, int, int], expected: bool) -> None:
    """Open is half-open [08:00, 18:00) in New York local time, in both EST and EDT."""
    assert schedule().is_open(ny(day.year, day.month, day.day, *hms)) is expected


@pytest.mark.parametrize(
    ("day", "opens_utc", "closes_utc"),
    [
        (date(2026, 3, 6), utc(2026, 3, 6, 13), utc(2026, 3, 6, 23)),  # Fri before spring-forward: EST
        (date(2026, 3, 9), utc(2026, 3, 9, 12), utc(2026, 3, 9, 22)),  # Mon after: EDT
        (date(2026, 10, 30), utc(2026, 10, 30, 12), utc(2026, 10, 30, 22)),  # Fri before fall-back: EDT
        (date(2026, 11, 2), utc(2026, 11, 2, 13), utc(2026, 11, 2, 23)),  # Mon after: EST
    ],
)
def test_weekdays_around_dst(day: date, opens_utc: datetime, closes_utc: datetime) -> None:
    """08:00 and 18:00 local map to the right UTC instants on the weekdays around each DST change."""
    sched = schedule()
    midnight = ny(day.year, day.month, day.day)
    assert sched.next_open(midnight) == opens_utc
    assert sched.closes_at(opens_utc) == closes_utc
    assert sched.is_open(opens_utc) and not sched.is_open(opens_utc - MICROSECOND)
    assert sched.is_open(closes_utc - MICROSECOND) and not sched.is_open(closes_utc)


@pytest.mark.parametrize(
    ("day", "opens_utc", "closes_utc"),
    [
        (date(2026, 3, 8), utc(2026, 3, 8, 12), utc(2026, 3, 8, 22)),  # spring-forward Sunday: EDT
        (date(2026, 11, 1), utc(2026, 11, 1, 13), utc(2026, 11, 1, 23)),  # fall-back Sunday: EST
    ],
)
def test_dst_sundays(day: date, opens_utc: datetime, closes_utc: datetime) -> None:
    """On the DST Sundays themselves, 08:00/18:00 local are read after the change."""
    sched = schedule("Mon-Sun 08:00-18:00")
    assert sched.next_open(ny(day.year, day.month, day.day)) == opens_utc
    assert sched.closes_at(opens_utc) == closes_utc


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (ny(2026, 3, 6, 18), utc(2026, 3, 9, 12)),  # weekend across spring-forward
        (ny(2026, 10, 30, 18), utc(2026, 11, 2, 13)),  # weekend across fall-back
        (ny(2026, 1, 17, 10), ny(2026, 1, 19, 8)),  # Saturday 10:00
        (ny(2026, 1, 18, 23, 59), ny(2026, 1, 19, 8)),  # Sunday night
        (ny(2026, 1, 12, 23), ny(2026, 1, 13, 8)),  # across midnight
        (ny(2026, 1, 13, 7, 59, 59), ny(2026, 1, 13, 8)),  # a second before opening
    ],
)
def test_next_open_when_closed(at: datetime, expected: datetime) -> None:
    """When closed, next_open is the next local 08:00 on a weekday, in the schedule's zone."""
    sched = schedule()
    assert not sched.is_open(at)
    assert sched.closes_at(at) is None
    result = sched.next_open(at)
    assert result == expected
    assert result is not None and result.tzinfo is NY


def test_open_means_no_next_open() -> None:
    """next_open is None while open and closes_at is the same day's 18:00 local."""
    sched = schedule()
    assert sched.next_open(ny(2026, 1, 14, 12)) is None
    result = sched.closes_at(ny(2026, 1, 14, 12))
    assert result == ny(2026, 1, 14, 18) and result is not None and result.tzinfo is NY


# --- closures ----------------------------------------------------------------------------------


def test_friday_closure_before_weekend() -> None:
    """A closed Friday followed by the weekend: from Thursday 18:00 chat next opens Monday 08:00."""
    sched = schedule(closed="2026-02-06")
    assert not sched.is_open(ny(2026, 2, 6, 12))
    assert sched.next_open(ny(2026, 2, 5, 18)) == ny(2026, 2, 9, 8)
    assert sched.closes_at(ny(2026, 2, 5, 12)) == ny(2026, 2, 5, 18)


@pytest.mark.parametrize(
    "at",
    [ny(2026, 1, 1), ny(2026, 3, 8, 3), ny(2026, 11, 1, 1, 30), utc(2027, 6, 5, 23, 59), ny(2028, 2, 29, 12)],
)
def test_always_open(at: datetime) -> None:
    """Mon-Sun 00:00-24:00 is open at any instant and never closes within the search window."""
    sched = schedule("Mon-Sun 00:00-24:00")
    assert sched.is_open(at)
    assert sched.closes_at(at) is None
    assert sched.next_open(at) is None


def test_always_open_with_closure_date() -> None:
    """An always-open schedule closes at local midnight starting a closure date, and reopens after it."""
    sched = schedule("Mon-Sun 00:00-24:00", closed="2026-03-10")
    assert sched.closes_at(ny(2026, 3, 1, 12)) == ny(2026, 3, 10)  # merges days across the DST change
    assert sched.closes_at(ny(2026, 3, 1, 12)) == utc(2026, 3, 10, 4)
    assert not sched.is_open(ny(2026, 3, 10, 12))
    assert sched.next_open(ny(2026, 3, 10, 5)) == ny(2026, 3, 11)


def test_never_open() -> None:
    """A schedule with no hours is never open and next_open gives up (None) after the search window."""
    sched = Schedule(NY, WeeklyHours(days=((),) * 7))
    assert not sched.is_open(ny(2026, 1, 14, 12))
    assert sched.next_open(ny(2026, 1, 14, 12)) is None
    assert sched.closes_at(ny(2026, 1, 14, 12)) is None


def test_weekly_hours_needs_seven_days() -> None:
    """WeeklyHours rejects a days tuple that is not one entry per weekday."""
    with pytest.raises(ValueError, match="7 days"):
        WeeklyHours(days=((),) * 6)


@pytest.mark.parametrize(
    ("day", "closed_with_holidays"),
    [
        (date(2026, 7, 3), True),  # Independence Day observed (July 4 is a Saturday)
        (date(2026, 11, 26), True),  # Thanksgiving
        (date(2026, 12, 25), True),  # Christmas
        (date(2026, 1, 19), True),  # Martin Luther King Jr. Day
        (date(2026, 7, 6), False),  # an ordinary Monday
        (date(2026, 12, 24), False),  # Christmas Eve is not a federal holiday
    ],
)
@pytest.mark.parametrize("us_holidays", [True, False])
def test_us_holidays_close_the_day(day: date, closed_with_holidays: bool, us_holidays: bool) -> None:
    """US federal holidays (observed) close the whole day only when us_holidays is True."""
    sched = schedule(us_holidays=us_holidays)
    noon = ny(day.year, day.month, day.day, 12)
    assert sched.is_open(noon) is not (us_holidays and closed_with_holidays)


def test_holiday_next_open_skips_long_weekend() -> None:
    """With holidays, from Thursday 2026-07-02 18:00 chat next opens Monday 2026-07-06 08:00."""
    assert schedule(us_holidays=True).next_open(ny(2026, 7, 2, 18)) == ny(2026, 7, 6, 8)
    assert schedule(us_holidays=False).next_open(ny(2026, 7, 2, 18)) == ny(2026, 7, 3, 8)


def test_us_federal_holidays() -> None:
    """us_federal_holidays lists observed and actual dates for the years asked, and only those."""
    days = us_federal_holidays([2026, 2027])
    assert {date(2026, 7, 3), date(2026, 11, 26), date(2026, 12, 25), date(2027, 12, 24)} <= days
    assert date(2026, 7, 6) not in days
    assert all(d.year in (2026, 2027) for d in days)
    assert us_federal_holidays([]) == frozenset()


def test_observed_new_year_in_previous_year() -> None:
    """Saturday 2028-01-01's holiday is observed on Friday 2027-12-31, which closes."""
    assert not schedule(us_holidays=True).is_open(ny(2027, 12, 31, 12))
    assert schedule(us_holidays=False).is_open(ny(2027, 12, 31, 12))


# --- other zones and instants in other zones ----------------------------------------------------


@pytest.mark.parametrize(
    ("tz", "at", "expected"),
    [
        (LA, utc(2026, 1, 14, 15, 59, 59), False),  # 07:59:59 PST
        (LA, utc(2026, 1, 14, 16), True),  # 08:00 PST
        (LA, utc(2026, 7, 15, 15), True),  # 08:00 PDT
        (LA, utc(2026, 7, 16, 1), False),  # 18:00 PDT
        (LONDON, utc(2026, 3, 27, 8), True),  # Fri 08:00 GMT
        (LONDON, utc(2026, 3, 30, 7), True),  # Mon 08:00 BST (UK changes on 2026-03-29)
        (LONDON, utc(2026, 3, 30, 6, 59, 59), False),
        (LONDON, utc(2026, 3, 30, 17), False),  # 18:00 BST
    ],
)
def test_other_zones(tz: ZoneInfo, at: datetime, expected: bool) -> None:
    """Hours are read in the schedule's own zone; the same instant in any zone gives the same answer."""
    sched = schedule(tz=tz)
    for same_instant in (at, at.astimezone(NY), at.astimezone(TOKYO), at.astimezone(tz)):
        assert sched.is_open(same_instant) is expected


@pytest.mark.parametrize("at", [utc(2026, 3, 28, 12), utc(2026, 3, 30, 12), utc(2026, 10, 24, 3)])
def test_answers_do_not_depend_on_the_zone_of_at(at: datetime) -> None:
    """closes_at and next_open are equal for one instant given in UTC, Tokyo or New York, and in tz."""
    sched = schedule(tz=LONDON)
    answers = {(sched.closes_at(x), sched.next_open(x)) for x in (at, at.astimezone(TOKYO), at.astimezone(NY))}
    assert len(answers) == 1
    for result in answers.pop():
        assert result is None or result.tzinfo is LONDON


def test_london_next_open_across_dst() -> None:
    """In London, from Friday 18:00 GMT the next opening is Monday 08:00 BST, i.e. 07:00 UTC."""
    assert schedule(tz=LONDON).next_open(utc(2026, 3, 27, 18)) == utc(2026, 3, 30, 7)


# --- across midnight and DST changes ------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "at", "expected"),
    [
        ("Mon 20:00-24:00; Tue 00:00-02:00", ny(2026, 1, 12, 21), ny(2026, 1, 13, 2)),
        ("Fri-Mon 00:00-24:00", ny(2026, 1, 16, 9), ny(2026, 1, 20)),  # wrapping span, one long period
        ("Sat 20:00-24:00; Sun 00:00-06:00", ny(2026, 3, 7, 21), utc(2026, 3, 8, 10)),  # 9 h, not 10
        ("Sat 20:00-24:00; Sun 00:00-06:00", ny(2026, 10, 31, 21), utc(2026, 11, 1, 11)),  # 11 h
        ("Mon-Fri 08:00-12:00 12:00-18:00", ny(2026, 1, 14, 9), ny(2026, 1, 14, 18)),  # touching ranges
    ],
)
def test_closes_at_merges_periods(spec: str, at: datetime, expected: datetime) -> None:
    """closes_at follows an open period across midnight and DST changes, merging touching ranges."""
    assert schedule(spec).closes_at(at) == expected


@pytest.mark.parametrize(
    ("spec", "at", "expected"),
    [
        ("Sun 03:00-05:00", ny(2026, 10, 31, 22), utc(2026, 11, 1, 8)),  # 03:00 EST after fall-back
        ("Sun 03:00-05:00", ny(2026, 3, 7, 22), utc(2026, 3, 8, 7)),  # 03:00 EDT after spring-forward
        ("Mon-Fri 08:00-12:00 13:00-18:00", ny(2026, 1, 14, 12), ny(2026, 1, 14, 13)),  # lunch break
    ],
)
def test_next_open_across_midnight_and_dst(spec: str, at: datetime, expected: datetime) -> None:
    """next_open finds the next local opening across midnight and a DST change."""
    assert schedule(spec).next_open(at) == expected


def test_nonexistent_and_ambiguous_wall_times() -> None:
    """Wall times in the DST gap or the repeated hour resolve with fold=0 and never crash."""
    gap = schedule("Sun 02:30-04:00")  # 02:30 does not exist on 2026-03-08: read as 02:30 EST
    assert gap.next_open(ny(2026, 3, 8)) == utc(2026, 3, 8, 7, 30)
    assert gap.closes_at(utc(2026, 3, 8, 7, 30)) == utc(2026, 3, 8, 8)
    vanished = schedule("Sun 02:30-03:00")  # 02:30 EST is after 03:00 EDT: no opening that Sunday
    assert vanished.next_open(ny(2026, 3, 8)) == ny(2026, 3, 15, 2, 30)
    repeated = schedule("Sun 01:30-02:00")  # 01:30 occurs twice on 2026-11-01: the first (EDT) one
    # An instant in a repeated hour never == one in another zone (PEP 495), so compare in UTC.
    assert in_utc(repeated.next_open(ny(2026, 11, 1))) == utc(2026, 11, 1, 5, 30)
    assert in_utc(repeated.closes_at(utc(2026, 11, 1, 5, 30))) == utc(2026, 11, 1, 7)
    assert repeated.is_open(utc(2026, 11, 1, 6, 30))  # the second 01:30 (EST) is inside the period


@pytest.mark.parametrize("method", ["is_open", "closes_at", "next_open"])
def test_naive_datetime_raises(method: str) -> None:
    """Every question needs an aware instant; a naive datetime raises ValueError."""
    with pytest.raises(ValueError, match="naive"):
        getattr(schedule(), method)(datetime(2026, 1, 14, 12))


# --- parsing ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("Mon-Fri 08:00-18:00", WEEKDAYS),
        ("  mon - FRI   08:00 - 18:00 ; ", WEEKDAYS),
        ("Monday 08:00-18:00, Tuesday-Friday 08:00-18:00", WEEKDAYS),
        ("Mon-Sun 00:00-24:00", (((0, 1440),),) * 7),
        (
            "Mon-Fri 08:00-12:00 13:00-18:00; Sat 09:00-13:00",
            (((480, 720), (780, 1080)),) * 5 + (((540, 780),), ()),
        ),
        ("Fri-Mon 10:00-11:00", (((600, 660),), (), (), (), ((600, 660),), ((600, 660),), ((600, 660),))),
        ("Mon 09:00-12:00 08:00-10:00; Mon 11:00-13:00 15:00-16:00", (((480, 780), (900, 960)),) + ((),) * 6),
        ("Tues 0:00-9:30", ((), ((0, 570),), (), (), (), (), ())),
    ],
)
def test_parse_hours_good(spec: str, expected: tuple[tuple[tuple[int, int], ...], ...]) -> None:
    """Good CHAT_HOURS strings parse to sorted, merged minute ranges per weekday."""
    assert parse_hours(spec) == WeeklyHours(days=expected)


@pytest.mark.parametrize(
    ("spec", "bad"),
    [
        ("", "''"),
        (" ; , ", "' ; , '"),
        ("Mun 08:00-18:00", "'Mun'"),
        ("Mon-Fro 08:00-18:00", "'Fro'"),
        ("Mo 08:00-18:00", "'Mo'"),
        ("Mon-Fri 08:00-25:00", "'25:00'"),
        ("Mon 08:60-09:00", "'08:60'"),
        ("Mon 24:30-24:00", "'24:30'"),
        ("Mon 24:00-24:00", "'24:00'"),
        ("Mon 8am-5pm", "'8am'"),
        ("Mon 08:00-", "''"),
        ("Mon 08:00", "'08:00'"),
        ("Mon 18:00-08:00", "'18:00-08:00'"),
        ("Mon 08:00-08:00", "'08:00-08:00'"),
        ("Mon-Fri", "'Mon-Fri'"),
        ("Mon 08:00-18:00; Sat", "'Sat'"),
    ],
)
def test_parse_hours_bad(spec: str, bad: str) -> None:
    """Bad CHAT_HOURS raise HoursError (a ValueError) quoting the bad piece and the whole spec."""
    with pytest.raises(HoursError) as caught:
        parse_hours(spec)
    message = str(caught.value)
    assert isinstance(caught.value, ValueError)
    assert message.startswith("CHAT_HOURS: ")
    assert bad in message
    assert repr(spec) in message


def test_parse_hours_error_message_example() -> None:
    """The error for an hour past 24 reads exactly as documented."""
    with pytest.raises(HoursError, match=r"^CHAT_HOURS: bad time '25:00' in 'Mon-Fri 08:00-25:00'$"):
        parse_hours("Mon-Fri 08:00-25:00")


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("", frozenset()),
        ("   ", frozenset()),
        ("2026-12-24", frozenset({date(2026, 12, 24)})),
        (" 2026-12-24 , 2026-12-31 ,", frozenset({date(2026, 12, 24), date(2026, 12, 31)})),
        ("2026-12-24,2026-12-24", frozenset({date(2026, 12, 24)})),
    ],
)
def test_parse_closed_dates_good(spec: str, expected: frozenset[date]) -> None:
    """Comma-separated ISO dates parse to a frozenset; blank gives the empty set."""
    assert parse_closed_dates(spec) == expected


@pytest.mark.parametrize(
    ("spec", "bad"),
    [
        ("2026-13-01", "2026-13-01"),
        ("2026-12-24, tomorrow", "tomorrow"),
        ("2026-02-30,2026-03-01", "2026-02-30"),
    ],
)
def test_parse_closed_dates_bad(spec: str, bad: str) -> None:
    """A bad closure date raises HoursError naming it and the whole setting."""
    with pytest.raises(HoursError) as caught:
        parse_closed_dates(spec)
    assert repr(bad) in str(caught.value) and repr(spec) in str(caught.value)


# --- property -----------------------------------------------------------------------------------

LONDON_DST_DAYS = [
    "2026-03-29",
    "2026-10-25",
    "2027-03-28",
    "2027-10-31",
    "2028-03-26",
    "2028-10-29",
    "2029-03-25",
]
PROPERTY_SCHEDULES = [
    schedule(),
    schedule(us_holidays=True, closed="2026-12-24,2027-12-24,2028-06-30"),
    schedule("Mon-Fri 08:00-12:00 13:00-18:00; Sat 09:00-13:00", tz=LA),
    schedule("Sat 20:00-24:00; Sun 00:00-06:00 02:30-03:15; Wed 01:15-01:45", tz=NY),
    # London DST days, each less than SEARCH_DAYS after the last, so closes_at is never None.
    schedule("Mon-Sun 00:00-24:00", closed=",".join(LONDON_DST_DAYS), tz=LONDON),
]


@settings(max_examples=300, deadline=None)
@example(sched=PROPERTY_SCHEDULES[3], at=utc(2026, 11, 1, 5, 59))  # inside the repeated hour
@example(sched=PROPERTY_SCHEDULES[3], at=utc(2026, 3, 8, 7, 10))  # just after spring-forward
@example(sched=PROPERTY_SCHEDULES[4], at=utc(2026, 3, 28, 23, 59, 59))  # before a closed DST day
@example(sched=PROPERTY_SCHEDULES[0], at=utc(2026, 11, 1, 6, 30))
@given(
    sched=st.sampled_from(PROPERTY_SCHEDULES),
    at=st.datetimes(
        min_value=datetime(2026, 1, 1),
        max_value=datetime(2028, 12, 31, 23, 59, 59),
        timezones=st.sampled_from([NY, LA, LONDON, TOKYO, UTC]),
    ),
)
def test_answers_are_consistent(sched: Schedule, at: datetime) -> None:
    """is_open agrees with closes_at and next_open at their boundaries, for any instant in 2026-2028."""
    # Step back 1 µs in UTC: arithmetic on a local datetime is wall-clock arithmetic and keeps `fold`.
    if sched.is_open(at):
        assert sched.next_open(at) is None
        end = in_utc(sched.closes_at(at))
        assert end is not None and end > at
        assert sched.is_open(end - MICROSECOND) and not sched.is_open(end)
    else:
        assert sched.closes_at(at) is None
        start = in_utc(sched.next_open(at))
        assert start is not None and start > at
        assert sched.is_open(start) and not sched.is_open(start - MICROSECOND)
