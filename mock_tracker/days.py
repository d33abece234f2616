"""Local days of the account's time zone: splitting sessions at local midnight, parsing periods.

All arithmetic on instants is done in UTC: subtracting two datetimes that share a ``ZoneInfo``
compares wall clocks, which is wrong across DST changes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


class PeriodError(ValueError):
    """A period parameter the caller must fix; the message is safe to show."""


@dataclass(frozen=True)
class DaySegment:
    day: date
    start: datetime
    end: datetime

    @property
    def seconds(self) -> int:
        return int((self.end - self.start).total_seconds())


def local_midnight(day: date, tz: ZoneInfo) -> datetime:
    """The instant (UTC) at which local ``day`` begins in ``tz``."""
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)


def split_by_local_day(start: datetime, end: datetime, tz: ZoneInfo) -> Iterator[DaySegment]:
    """Pieces of [start, end) per local day; a session crossing midnight counts on both days."""
    cursor = start.astimezone(UTC)
    stop = end.astimezone(UTC)
    day = cursor.astimezone(tz).date()
    while cursor < stop:
        boundary = local_midnight(day + timedelta(days=1), tz)
        piece_end = min(stop, boundary)
        if piece_end > cursor:
            yield DaySegment(day, cursor, piece_end)
        cursor = piece_end
        day += timedelta(days=1)


_COMPACT = re.compile(r"^\d{8}$")
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def parse_day(value: str | None, name: str, *, compact: bool) -> date:
    """Parse ``YYYYMMDD`` (published API) or ``YYYY-MM-DD`` (admin endpoints)."""
    shape = "YYYYMMDD" if compact else "YYYY-MM-DD"
    if value is None or value == "":
        raise PeriodError(f"{name} is required ({shape})")
    pattern = _COMPACT if compact else _ISO
    if not pattern.match(value):
        raise PeriodError(f"{name} must be {shape}")
    try:
        if compact:
            return date(int(value[:4]), int(value[4:6]), int(value[6:]))
        return date.fromisoformat(value)
    except ValueError:
        raise PeriodError(f"{name} is not a valid date") from None


def parse_period(begin: str | None, end: str | None, *, compact: bool, max_days: int) -> tuple[date, date]:
    """A [begin, end) period of local days; end must be after begin and the span bounded."""
    first = parse_day(begin, "begin", compact=compact)
    last = parse_day(end, "end", compact=compact)
    if last <= first:
        raise PeriodError("end must be after begin (end is exclusive)")
    if (last - first).days > max_days:
        raise PeriodError(f"the period must not exceed {max_days} days")
    return first, last


def day_range(first: date, last: date) -> Iterator[date]:
    """Days from ``first`` up to, not including, ``last``."""
    day = first
    while day < last:
        yield day
        day += timedelta(days=1)
