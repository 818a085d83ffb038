"""Query-string parsing shared by the supervisor APIs: date ranges and pages.

Dates are read in CHAT_TIMEZONE (Eastern): `from=2026-03-02` means that local midnight, and
`to=2026-03-02` includes the whole of that day. Full ISO-8601 times are taken as given (a time
without an offset is local too). Ranges are half-open [start, end).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
MAX_PAGE = 1_000_000  # an OFFSET past this overflows databases' integers long before it means anything
MIN_YEAR, MAX_YEAR = 1900, 2200


class ParamError(ValueError):
    """A query parameter a person can fix; the message says how."""


def local_zone() -> ZoneInfo:
    return ZoneInfo(settings.CHAT_TIMEZONE)


def parse_moment(name: str, text: str, *, end_of_day: bool) -> datetime:
    text = text.strip()
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            if end_of_day:
                day += timedelta(days=1)
            moment = datetime.combine(day, time.min, tzinfo=local_zone())
        else:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
            moment = moment if moment.tzinfo else moment.replace(tzinfo=local_zone())
        if not MIN_YEAR <= moment.astimezone(UTC).year <= MAX_YEAR:
            raise ValueError("out of range")
    except (ValueError, OverflowError):  # far years overflow when shifted to a day's end or to UTC
        raise ParamError(
            f"'{name}' must be a date (YYYY-MM-DD) or an ISO-8601 time, between {MIN_YEAR} and {MAX_YEAR}."
        ) from None
    return moment


def parse_range(start_text: str | None, end_text: str | None) -> tuple[datetime | None, datetime | None]:
    start = parse_moment("from", start_text, end_of_day=False) if start_text else None
    end = parse_moment("to", end_text, end_of_day=True) if end_text else None
    if start and end and end <= start:
        raise ParamError("'to' must be after 'from'.")
    return start, end


@dataclass(frozen=True)
class Page:
    number: int
    size: int

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size


def parse_page(number_text: str | None, size_text: str | None) -> Page:
    try:
        number = int(number_text or 1)
        size = int(size_text or DEFAULT_PAGE_SIZE)
    except ValueError:
        raise ParamError("'page' and 'page_size' must be whole numbers.") from None
    if not 1 <= number <= MAX_PAGE or not 1 <= size <= MAX_PAGE_SIZE:
        raise ParamError(f"'page' is 1 to {MAX_PAGE}; 'page_size' is 1 to {MAX_PAGE_SIZE}.")
    return Page(number, size)
