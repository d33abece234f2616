"""Deterministic keys: the connector's ownership marker in 1C and the unit of serialised delivery.

A row key (``ТТ_КлючСтроки`` on a document row, ``RowKey`` in the SOAP service) is built from the
labour grain only, so re-sending the same labour finds and overwrites the same row instead of
appending a duplicate. The parts are GUIDs, dates and codes; a ``|`` inside a part would make two
different rows share a key, so it is refused.
"""

from __future__ import annotations

from datetime import date

from connector.sync.core.timeutil import week_of

NO_OBJECT = "-"
FOREIGN_TASK_PREFIX = "#"
"""Time on a tracker task without one of our codes is keyed ``#<tracker task id>``."""


def _part(name: str, value: str | None) -> str:
    if value is None or value == "":
        return NO_OBJECT
    if "|" in value:
        raise ValueError(f"{name} {value!r} contains '|', which row keys use as a separator")
    return value


def iso_week_label(d: date) -> str:
    """``2024-W05`` for any day of that ISO week."""
    year, week, _ = d.isocalendar()
    return f"{year}-W{week:02d}"


def row_key(employee_ref: str, object_ref: str | None, period: date | str, work_type_ref: str) -> str:
    """``employee|object|period|work type``; ``period`` is a date (SOAP) or a week label (OData)."""
    label = period.isoformat() if isinstance(period, date) else _part("period", period)
    return "|".join(
        (
            _part("employee", employee_ref),
            _part("object", object_ref),
            label,
            _part("work type", work_type_ref),
        )
    )


def week_row_key(employee_ref: str, object_ref: str | None, day: date, work_type_ref: str) -> str:
    """The row key of a weekly document row (one row per object and work type per ISO week)."""
    return row_key(employee_ref, object_ref, iso_week_label(day), work_type_ref)


def adjustment_row_key(base_row_key: str, original_date: date) -> str:
    """A separate row for a correction of a closed day, so it never merges with that day's own row."""
    return f"{base_row_key}|adj:{original_date.isoformat()}"


def week_target(employee_ref: str, day: date) -> str:
    """The OData delivery target: one writer per employee-week (``employee|monday``)."""
    return f"{_part('employee', employee_ref)}|{week_of(day)[0].isoformat()}"
