"""Chat opening hours: a weekly schedule read in a local time zone, minus closure dates.

Pure Python (no Django, never reads the clock): every question takes an aware instant `at`.

Opening boundaries are local wall-clock times on local dates, so "08:00" is 08:00 in both EST and
EDT. Periods are half-open: "08:00-18:00" is open at 08:00:00 and closed at 18:00:00. Internally
all comparisons are made in UTC, because Python compares two datetimes that share a tzinfo by wall
time alone, which is wrong around DST changes.

DST convention: a wall time that does not exist (the spring-forward gap) or occurs twice (the
fall-back hour) is resolved with zoneinfo's default `fold=0`: a skipped time is read with the
offset in force before the change (02:30 on a spring-forward Sunday in New York is 02:30 EST,
i.e. 03:30 EDT) and a repeated time means its first occurrence (the EDT one).

Returned instants are in the schedule's zone. Callers should do arithmetic and `==` in UTC:
`local - timedelta(...)` is wall-clock arithmetic, and (PEP 495) an instant in a repeated hour
never compares equal to a datetime in another zone.
"""

from __future__ import annotations

import functools
import re
import zoneinfo
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import holidays

DEFAULT_HOURS = "Mon-Fri 08:00-18:00"
DEFAULT_TIMEZONE = "America/New_York"
# How far closes_at/next_open look ahead: more than a year, so that any yearly pattern of closures
# (holidays, closure dates) is seen whole, while a schedule that is never open ends the search.
SEARCH_DAYS = 400
MINUTES_PER_DAY = 24 * 60
DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MIN_DAY_ABBREVIATION = 3  # "Mon", "Tue", "Thu"... also "Tues", "Thurs" and the full names
_TIME_RE = re.compile(r"(\d{1,2}):(\d{2})")

Period = tuple[datetime, datetime]  # [start, end) in UTC


class HoursError(ValueError):
    """An hours or closure-date setting is malformed; the message names the bad value."""


@dataclass(frozen=True)
class WeeklyHours:
    """Per weekday (0=Mon..6=Sun) a sorted tuple of disjoint (start_minute, end_minute) in [0, 1440]."""

    days: tuple[tuple[tuple[int, int], ...], ...]

    def __post_init__(self) -> None:
        if len(self.days) != len(DAY_NAMES):
            raise ValueError(f"WeeklyHours needs {len(DAY_NAMES)} days, got {len(self.days)}")


def _parse_day(token: str, spec: str) -> int:
    word = token.lower()
    for index, name in enumerate(DAY_NAMES):
        if len(word) >= MIN_DAY_ABBREVIATION and name.startswith(word):
            return index
    raise HoursError(f"CHAT_HOURS: unknown day {token!r} in {spec!r}")


def _parse_days(token: str, spec: str) -> list[int]:
    first, _, last = token.partition("-")
    start = _parse_day(first, spec)
    end = _parse_day(last, spec) if last else start
    return [(start + i) % 7 for i in range((end - start) % 7 + 1)]  # a span may wrap: Fri-Mon


def _parse_minute(text: str, spec: str) -> int:
    match = _TIME_RE.fullmatch(text)
    hours, minutes = (int(match[1]), int(match[2])) if match else (-1, -1)
    if not (0 <= hours <= 24 and 0 <= minutes <= 59) or (hours == 24 and minutes):
        raise HoursError(f"CHAT_HOURS: bad time {text!r} in {spec!r}")
    return hours * 60 + minutes


def _parse_range(token: str, spec: str) -> tuple[int, int]:
    start_text, dash, end_text = token.partition("-")
    if not dash:
        raise HoursError(f"CHAT_HOURS: bad time range {token!r} in {spec!r}")
    start, end = _parse_minute(start_text, spec), _parse_minute(end_text, spec)
    if start >= MINUTES_PER_DAY:
        raise HoursError(f"CHAT_HOURS: bad time {start_text!r} in {spec!r} (24:00 is only an end)")
    if start >= end:
        raise HoursError(f"CHAT_HOURS: start not before end in {token!r} in {spec!r}")
    return start, end


def _merge(ranges: Iterable[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(ranges):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return tuple(merged)


def parse_hours(spec: str) -> WeeklyHours:
    """Parse CHAT_HOURS, e.g. "Mon-Fri 08:00-12:00 13:00-18:00; Sat 09:00-13:00"."""
    per_day: list[list[tuple[int, int]]] = [[] for _ in DAY_NAMES]
    pieces = [p for p in re.split(r"[;,]", spec) if p.strip()]
    if not pieces:
        raise HoursError(f"CHAT_HOURS: empty schedule {spec!r}")
    for piece in pieces:
        tokens = re.sub(r"\s*-\s*", "-", piece.strip()).split()  # "Mon - Fri" == "Mon-Fri"
        if len(tokens) < 2:
            raise HoursError(f"CHAT_HOURS: expected 'DAYS HH:MM-HH:MM' but got {piece.strip()!r} in {spec!r}")
        days = _parse_days(tokens[0], spec)
        ranges = [_parse_range(token, spec) for token in tokens[1:]]
        for day in days:
            per_day[day].extend(ranges)
    return WeeklyHours(days=tuple(_merge(ranges) for ranges in per_day))


def parse_closed_dates(spec: str) -> frozenset[date]:
    """Parse comma-separated ISO dates ("2026-12-24,2026-12-31"); empty or blank gives no dates."""
    closed = set()
    for item in (part.strip() for part in spec.split(",")):
        if not item:
            continue
        try:
            closed.add(date.fromisoformat(item))
        except ValueError:
            raise HoursError(f"CHAT_CLOSED_DATES: bad date {item!r} in {spec!r}") from None
    return frozenset(closed)


@functools.lru_cache(maxsize=64)
def _us_holidays_in(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("US", years=year, observed=True))


def us_federal_holidays(years: Iterable[int]) -> frozenset[date]:
    """US federal holidays of `years`: each holiday's date and, when it falls on a weekend, its
    observed weekday (e.g. 2026-07-03 for Saturday 2026-07-04)."""
    return frozenset().union(*(_us_holidays_in(year) for year in years))


def _utc(at: datetime) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"need a timezone-aware datetime, got naive {at.isoformat()}")
    return at.astimezone(UTC)


@dataclass(frozen=True)
class Schedule:
    """When chat is open: `weekly` hours in `timezone`, closed on `closed_dates` (local dates)."""

    timezone: zoneinfo.ZoneInfo
    weekly: WeeklyHours
    closed_dates: frozenset[date] = frozenset()
    us_holidays: bool = False  # when True, US federal holidays (and their observed days) close too

    def is_closed_day(self, day: date) -> bool:
        """True when the whole local `day` is closed by a closure date or (if enabled) a holiday."""
        # `holidays` files an observed day under its own year (Sat 2022-01-01 -> Fri 2021-12-31 in 2021).
        return day in self.closed_dates or (self.us_holidays and day in _us_holidays_in(day.year))

    def _instant(self, day: date, minute: int) -> datetime:
        # fold=0 (datetime's default) resolves skipped and repeated wall times; see module docstring.
        days, minute = divmod(minute, MINUTES_PER_DAY)  # 24:00 is the next day's 00:00
        wall = time(minute // 60, minute % 60)
        return datetime.combine(day + timedelta(days=days), wall, tzinfo=self.timezone).astimezone(UTC)

    def _day_periods(self, day: date) -> list[Period]:
        """The open periods of local `day` in UTC, sorted; empty on a closed day."""
        if self.is_closed_day(day):
            return []
        periods = [(self._instant(day, s), self._instant(day, e)) for s, e in self.weekly.days[day.weekday()]]
        return sorted(p for p in periods if p[0] < p[1])  # a range inside a DST gap can vanish

    def _periods(self, first_day: date) -> Iterator[Period]:
        """Merged open periods from local `first_day` on, for SEARCH_DAYS days; touching periods
        (e.g. Mon 00:00-24:00 and Tue 00:00-24:00) are one."""
        current: Period | None = None
        for offset in range(SEARCH_DAYS + 2):
            for start, end in self._day_periods(first_day + timedelta(days=offset)):
                if current and start <= current[1]:
                    current = (min(current[0], start), max(current[1], end))
                else:
                    if current:
                        yield current
                    current = (start, end)
        if current:
            yield current

    def _search_start(self, at: datetime) -> tuple[datetime, date]:
        """`at` in UTC, and the local day before it, where the search starts."""
        return _utc(at), at.astimezone(self.timezone).date() - timedelta(days=1)

    def is_open(self, at: datetime) -> bool:
        """True when chat is open at the aware instant `at`."""
        at_utc, yesterday = self._search_start(at)
        days = (yesterday + timedelta(days=i) for i in range(3))
        return any(start <= at_utc < end for day in days for start, end in self._day_periods(day))

    def closes_at(self, at: datetime) -> datetime | None:
        """When open: the end of the open period containing `at`; None when closed or when it does not
        close within SEARCH_DAYS."""
        at_utc, first_day = self._search_start(at)
        search_end = self._instant(first_day, (SEARCH_DAYS + 2) * MINUTES_PER_DAY)
        for start, end in self._periods(first_day):
            if end > at_utc:
                if start > at_utc or end >= search_end:
                    return None
                return end.astimezone(self.timezone)
        return None

    def next_open(self, at: datetime) -> datetime | None:
        """When closed: the next instant chat opens; None when open or when it does not open within
        SEARCH_DAYS."""
        at_utc, first_day = self._search_start(at)
        for start, end in self._periods(first_day):
            if end > at_utc:
                return start.astimezone(self.timezone) if start > at_utc else None
        return None
