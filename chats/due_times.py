"""A committed resolution time: read from what an agent typed, shown to people in Eastern time.

Pure: the zone and `now` are arguments. The console sends the wall-clock time it shows
(`YYYY-MM-DDTHH:MM`, Eastern, as `<input type="datetime-local">` writes it); an explicit UTC
offset (`...Z`, `...-05:00`) is accepted too. Refused, with a sentence saying why:
- anything that is not a real date and time (2026-02-30, 25:00);
- a wall-clock time the zone skips (02:30 on the spring-forward Sunday) or repeats (01:30 on the
  fall-back Sunday: which one was meant cannot be known), named as such;
- a time that is not in the future, or further ahead than MAX_AHEAD.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

# A promise further out than this is not a commitment a provider can plan around (and a typo in
# the year, 2062 for 2026, is caught).
MAX_AHEAD = timedelta(days=90)
MAX_INPUT = 40
LOCAL_FORM = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2})?$")
OFFSET_FORM = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2})?(?:Z|[+-]\d{2}:\d{2})$")


class DueTimeError(ValueError):
    """Why a committed time was refused (a sentence for the agent)."""


def parse_due(value: object, *, zone: ZoneInfo, now: datetime) -> datetime:
    """The committed time as an aware UTC datetime; DueTimeError when it is no good."""
    if not isinstance(value, str) or not value.strip():
        raise DueTimeError("Give the committed resolution date and time.")
    text = value.strip()
    if len(text) > MAX_INPUT or not (LOCAL_FORM.match(text) or OFFSET_FORM.match(text)):
        raise DueTimeError("Write the committed resolution time as a date and time, YYYY-MM-DDTHH:MM (Eastern).")
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise DueTimeError(f"{text} is not a real date and time.") from None
    due = parsed.astimezone(UTC) if parsed.tzinfo else local_to_utc(parsed, zone)
    if due <= now:
        raise DueTimeError("The committed resolution time must be in the future.")
    if due - now > MAX_AHEAD:
        raise DueTimeError(f"The committed resolution time must be within {MAX_AHEAD.days} days.")
    return due.replace(microsecond=0)


def local_to_utc(wall: datetime, zone: ZoneInfo) -> datetime:
    """A naive wall-clock time in `zone` as UTC; DueTimeError if the zone skips or repeats it."""
    earlier, later = wall.replace(tzinfo=zone, fold=0), wall.replace(tzinfo=zone, fold=1)
    if earlier.utcoffset() != later.utcoffset():
        round_trip = earlier.astimezone(UTC).astimezone(zone).replace(tzinfo=None)
        when = f"{clock_text(wall)} on {wall:%B} {wall.day}, {wall.year}"
        if round_trip != wall:
            raise DueTimeError(f"{when} does not exist in Eastern time (the clocks go forward): choose another time.")
        raise DueTimeError(f"{when} happens twice in Eastern time (the clocks go back): choose another time.")
    return earlier.astimezone(UTC)


def clock_text(at: datetime) -> str:
    """ "3:05 PM"."""
    return f"{(at.hour + 11) % 12 + 1}:{at:%M} {'AM' if at.hour < 12 else 'PM'}"


def due_text(due: datetime, zone: ZoneInfo) -> str:
    """ "Thursday, December 3, 2026, 3:00 PM EST": the date, time and zone abbreviation people read."""
    local = due.astimezone(zone)
    return f"{local:%A}, {local:%B} {local.day}, {local.year}, {clock_text(local)} {local.tzname()}"


def due_local(due: datetime, zone: ZoneInfo) -> str:
    """ISO 8601 in the zone with its offset: "2026-12-03T15:00:00-05:00"."""
    return due.astimezone(zone).isoformat()
