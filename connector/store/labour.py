"""Tracker time snapshots and labour aggregates (what should be in 1C vs what was written)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from connector.store.models import Labour, TimeRow
from connector.store.types import utcnow


@dataclass(frozen=True)
class TimeRowData:
    """The tracker's total for one employee, task code and local day."""

    employee: str
    task_code: str
    day: date
    seconds: int
    source: str = "pull"
    evidence: str | None = None


def replace_time_rows(session: Session, first_day: date, last_day: date, rows: Iterable[TimeRowData]) -> int:
    """Make the snapshot for ``first_day..last_day`` exactly ``rows`` (a re-pulled window).

    Rows that vanished from the tracker (deleted entries) vanish here too, so the next
    aggregation sees the deletion. Returns the number of rows stored.
    """
    session.execute(delete(TimeRow).where(TimeRow.day >= first_day, TimeRow.day <= last_day))
    now = utcnow()
    stored = [
        TimeRow(
            employee=r.employee,
            task_code=r.task_code,
            day=r.day,
            seconds=r.seconds,
            source=r.source,
            evidence=r.evidence,
            updated_at=now,
        )
        for r in rows
    ]
    session.add_all(stored)
    session.flush()
    return len(stored)


def time_rows_between(session: Session, first_day: date, last_day: date) -> Sequence[TimeRow]:
    """The snapshot rows of a window, ordered by day, employee and task code."""
    return (
        session.execute(
            select(TimeRow)
            .where(TimeRow.day >= first_day, TimeRow.day <= last_day)
            .order_by(TimeRow.day, TimeRow.employee, TimeRow.task_code)
        )
        .scalars()
        .all()
    )


@dataclass(frozen=True)
class LabourData:
    """A rounded aggregate per employee|object|date|work type (``key`` is that deterministic key)."""

    key: str
    employee_ref: str
    object_type: str
    object_ref: str
    work_date: date
    work_type_ref: str
    minutes: int
    billable: bool = True


def upsert_labour(session: Session, data: LabourData) -> tuple[Labour, bool]:
    """Store the aggregate; returns ``(row, needs_write)``.

    ``needs_write`` is True when 1C does not yet hold these minutes (new, changed, or never
    confirmed); the row's state becomes ``pending`` until ``mark_labour_written``.
    """
    row = session.execute(select(Labour).where(Labour.key == data.key)).scalar_one_or_none()
    if row is None:
        row = Labour(key=data.key, written_minutes=None, onec_doc_ref=None)
        session.add(row)
    for name in (
        "employee_ref",
        "object_type",
        "object_ref",
        "work_date",
        "work_type_ref",
        "minutes",
        "billable",
    ):
        setattr(row, name, getattr(data, name))
    needs_write = row.written_minutes != data.minutes
    row.state = "pending" if needs_write else "written"
    row.updated_at = utcnow()
    session.flush()
    return row, needs_write


def mark_labour_written(session: Session, key: str, minutes: int, onec_doc_ref: str | None) -> bool:
    """Record 1C's confirmation of ``minutes`` for ``key``; False if the aggregate is unknown."""
    row = session.execute(select(Labour).where(Labour.key == key)).scalar_one_or_none()
    if row is None:
        return False
    row.written_minutes = minutes
    row.onec_doc_ref = onec_doc_ref
    row.state = "written" if row.minutes == minutes else "pending"
    row.updated_at = utcnow()
    session.flush()
    return True


def labour_between(session: Session, first_day: date, last_day: date) -> Sequence[Labour]:
    """Aggregates of a window (to find ones that disappeared and must be written as 0)."""
    return (
        session.execute(
            select(Labour)
            .where(Labour.work_date >= first_day, Labour.work_date <= last_day)
            .order_by(Labour.work_date, Labour.key)
        )
        .scalars()
        .all()
    )
