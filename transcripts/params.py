"""Query-string parsing shared by the supervisor APIs: date ranges and pages.

Dates are read in CHAT_TIMEZONE (Eastern): `from=2026-03-02` means that local midnight, and
`to=2026-03-02` includes the whole of that day. Full ISO-8601 times are taken as given (a time
without an offset is local too). Ranges are half-open [start, end).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200


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
            return datetime.combine(day, time.min, tzinfo=local_zone())
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ParamError(f"'{name}' must be a date (YYYY-MM-DD) or an ISO-8601 time.") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=local_zone())


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
    if number < 1 or not 1 <= size <= MAX_PAGE_SIZE:
        raise ParamError(f"'page' starts at 1; 'page_size' is 1 to {MAX_PAGE_SIZE}.")
    return Page(number, size)
