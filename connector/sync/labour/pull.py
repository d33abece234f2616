"""Reading tracked time: the tracker's per-day totals for a window, snapshotted in ``time_rows``.

The whole window is re-read on every pull and replaces the stored snapshot of that window, so
an edit or a deletion in the tracker shows up as a changed or vanished row (pitfall 10). Time
pushed to the intake (``POST /tracker/v1/time-entries``) is added as interval slices when the
intake is installed. Evidence (the first screenshot link of an employee/task/day) rides along.
"""

from __future__ import annotations

import importlib
from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from connector.store.labour import TimeRowData, replace_time_rows, time_rows_between
from connector.sync.core.keys import FOREIGN_TASK_PREFIX
from connector.sync.core.model import TimeSlice
from connector.tracker.base import Tracker

EMAIL_KEY = "@"
"""Pushed entries without a tracker employee id are keyed ``@<e-mail>``."""


def read_window(tracker: Tracker, first: date, last: date) -> list[TimeRowData]:
    """The tracker's per-day totals of ``first..last`` (inclusive local days), with evidence.

    Pure tracker I/O: called with no store transaction open; ``store_window`` records the result.
    """
    end = last + timedelta(days=1)
    totals: dict[tuple[str, str, date], int] = defaultdict(int)
    for t in tracker.time_per_day(first, end):
        code = t.task_code or f"{FOREIGN_TASK_PREFIX}{t.task_id}"
        totals[(t.employee_id, code, t.day)] += t.seconds
    evidence: dict[tuple[str, str, date], str] = {}
    if tracker.capabilities.evidence and totals:
        for ev in tracker.evidence(first, end):
            code = ev.task_code or f"{FOREIGN_TASK_PREFIX}{ev.task_id}"
            key = (ev.employee_id, code, ev.day)
            if ev.urls and key not in evidence:
                evidence[key] = ev.urls[0]
    return [
        TimeRowData(emp, code, day, seconds, "pull", evidence.get((emp, code, day)))
        for (emp, code, day), seconds in sorted(totals.items())
    ]


def store_window(session: Session, first: date, last: date, rows: list[TimeRowData]) -> int:
    """Replace the snapshot of ``first..last`` with ``rows`` read by ``read_window``."""
    return replace_time_rows(session, first, last, rows)


def pull_window(session: Session, tracker: Tracker, first: date, last: date) -> int:
    """Re-read ``first..last`` from the tracker into ``time_rows`` (the read happens before the
    session is first used, so no transaction of ``session`` is open across the tracker's I/O)."""
    return store_window(session, first, last, read_window(tracker, first, last))


def snapshot_slices(session: Session, first: date, last: date) -> list[TimeSlice]:
    """The stored snapshot of ``first..last`` as per-day slices keyed by tracker employee id."""
    return [
        TimeSlice(
            employee_key=r.employee,
            task_code=r.task_code,
            day=r.day,
            seconds=r.seconds,
            evidence_url=r.evidence,
            source_entry_id=f"{r.employee}/{r.task_code}/{r.day.isoformat()}",
        )
        for r in time_rows_between(session, first, last)
    ]


def _intake() -> Callable[..., Iterable[Any]] | None:
    try:
        module = importlib.import_module("connector.store.entries")
    except ImportError:
        return None
    fn = getattr(module, "entries_in_window", None)
    return fn if callable(fn) else None


def intake_slices(session: Session, first: date, last: date, tz: str) -> list[TimeSlice]:
    """Pushed intake entries within ``first..last`` (local days in ``tz``) as interval slices.

    Entries are clipped to the window so their time on days outside it is left to other runs.
    The employee key is the tracker employee id, else ``@<e-mail>`` (see ``EMAIL_KEY``).
    """
    fn = _intake()
    if fn is None:
        return []
    zone_ = ZoneInfo(tz)
    low = datetime.combine(first, time(0), tzinfo=zone_).astimezone(UTC)
    high = datetime.combine(last + timedelta(days=1), time(0), tzinfo=zone_).astimezone(UTC)
    out = []
    for e in fn(session, low, high):
        employee = e.tracker_employee_id or (
            f"{EMAIL_KEY}{e.employee_email.lower()}" if e.employee_email else None
        )
        start, end = max(e.start_at, low), min(e.end_at, high)
        if not employee or end <= start:
            continue
        out.append(
            TimeSlice(
                employee_key=str(employee),
                task_code=e.task_code,
                start=start,
                end=end,
                evidence_url=e.evidence_url,
                source_entry_id=e.entry_id,
            )
        )
    return out
