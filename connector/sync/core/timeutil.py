"""Calendar helpers for labour: ISO weeks, local work days, 1C's naive datetimes.

Every function takes the zone explicitly and works on aware datetimes through ``zoneinfo``, so
the result never depends on the process time zone (``TZ``) of the machine running the connector.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

Zone = ZoneInfo | str


def zone(tz: Zone) -> ZoneInfo:
    """A ``ZoneInfo`` from a zone or an IANA name; an unknown name is a clear ``ValueError``."""
    if isinstance(tz, ZoneInfo):
        return tz
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {tz!r}; use an IANA name such as Europe/Moscow") from exc


def week_of(d: date) -> tuple[date, date]:
    """The ISO week holding ``d``: (Monday, Sunday) — the period of one ``Document_УчетВремени``."""
    monday = d - timedelta(days=d.weekday())
    return monday, monday + timedelta(days=6)


def _require_aware(value: datetime, name: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} {value.isoformat()} has no time zone; an instant must be timezone-aware")


def local_day(instant: datetime, tz: Zone) -> date:
    """The work date an instant falls on in the company's (or the employee's) zone."""
    _require_aware(instant, "instant")
    return instant.astimezone(zone(tz)).date()


def _local_midnight_utc(day: date, tz: ZoneInfo) -> datetime:
    # Where midnight does not exist (a DST gap at 00:00) fold=0 resolves it to the transition
    # instant itself, which is exactly where the new day starts.
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)


def split_by_local_day(start: datetime, end: datetime, tz: Zone) -> list[tuple[date, int]]:
    """Split ``[start, end)`` into whole seconds per local day; an interval over midnight counts on both.

    The pieces sum to the whole seconds of ``end - start`` (fractions are floored cumulatively).
    Days that receive zero seconds are omitted; ``start == end`` gives ``[]``; ``end < start`` is a
    ``ValueError`` (the aggregator reports such entries as ``negative_duration`` before calling).
    """
    _require_aware(start, "start")
    _require_aware(end, "end")
    if end < start:
        raise ValueError(f"interval ends before it starts: {start.isoformat()} .. {end.isoformat()}")
    zi = zone(tz)
    start_utc, end_utc = start.astimezone(UTC), end.astimezone(UTC)
    pieces: list[tuple[date, int]] = []
    day = start_utc.astimezone(zi).date()
    cursor = start_utc
    counted = 0
    while cursor < end_utc:
        boundary = min(_local_midnight_utc(day + timedelta(days=1), zi), end_utc)
        whole = int((boundary - start_utc).total_seconds())
        if whole > counted:
            pieces.append((day, whole - counted))
            counted = whole
        cursor = boundary
        day += timedelta(days=1)
    return pieces


def naive_1c_to_utc(naive: datetime, base_tz: Zone) -> datetime:
    """A 1C datetime (naive, in the base's zone) as an aware UTC instant.

    An ambiguous wall time (the repeated hour when clocks go back) is read as its first
    occurrence; 1C stores no offset, so nothing better is knowable.
    """
    if naive.tzinfo is not None:
        raise ValueError(f"1C datetimes are naive; got {naive.isoformat()} with an offset")
    return naive.replace(tzinfo=zone(base_tz), fold=0).astimezone(UTC)


def utc_to_naive_1c(instant: datetime, base_tz: Zone) -> datetime:
    """The inverse of :func:`naive_1c_to_utc`: an instant as 1C's naive wall time of the base."""
    _require_aware(instant, "instant")
    return instant.astimezone(zone(base_tz)).replace(tzinfo=None)
