"""Time entries pushed by trackers: idempotent upsert by entry id, and reads by time window.

Functions take an open ``Session`` and leave committing to the caller. Writing the same entry
again changes nothing (and reports ``unchanged``); a changed entry with the same id replaces
the stored one; ``deleted`` keeps a tombstone row so the outbound engine sees the time vanish.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from connector.store.models import Employee, Link, PushedEntry
from connector.store.types import utcnow

WriteOutcome = Literal["accepted", "unchanged"]
MAX_ENTRY_SECONDS = 24 * 3600
_IN_CHUNK = 500


@dataclass(frozen=True)
class EntryValues:
    """What to store for one entry id (instants aware; ``employee_id`` is ``employees.id``)."""

    entry_id: str
    employee_id: int
    employee_email: str | None
    tracker_employee_id: str | None
    task_code: str
    start_at: datetime
    end_at: datetime
    seconds: int
    deleted: bool = False
    evidence_url: str | None = None


@dataclass(frozen=True)
class StoredEntry:
    """A pushed entry as the outbound engine reads it, with the 1C identities of its employee."""

    entry_id: str
    employee_id: int
    onec_user_ref: str | None
    onec_employee_ref: str | None
    employee_email: str | None
    tracker_employee_id: str | None
    task_code: str
    start_at: datetime
    end_at: datetime
    seconds: int
    deleted: bool
    evidence_url: str | None
    received_at: datetime
    updated_at: datetime


_COMPARED = (
    "employee_id",
    "employee_email",
    "tracker_employee_id",
    "task_code",
    "start_at",
    "end_at",
    "seconds",
    "deleted",
    "evidence_url",
)


def _chunks(values: Iterable[str]) -> Iterable[list[str]]:
    items = sorted(set(values))
    for i in range(0, len(items), _IN_CHUNK):
        yield items[i : i + _IN_CHUNK]


def employee_lookup(
    session: Session, emails: Collection[str], tracker_ids: Collection[str]
) -> tuple[dict[str, int], dict[str, int]]:
    """``(by lower-cased e-mail, by tracker employee id)`` → ``employees.id`` for the given keys."""
    by_email: dict[str, int] = {}
    by_tracker: dict[str, int] = {}
    for chunk in _chunks(e.lower() for e in emails):
        stmt = select(func.lower(Employee.email), Employee.id).where(func.lower(Employee.email).in_(chunk))
        for email, row_id in session.execute(stmt.order_by(Employee.id)):
            by_email.setdefault(str(email), int(row_id))
    for chunk in _chunks(tracker_ids):
        stmt2 = select(Employee.tracker_employee_id, Employee.id).where(
            Employee.tracker_employee_id.in_(chunk)
        )
        for tracker_id, row_id in session.execute(stmt2):
            by_tracker[str(tracker_id)] = int(row_id)
    return by_email, by_tracker


def linked_task_codes(session: Session, codes: Collection[str]) -> set[str]:
    """Those of ``codes`` that a link owns (a task the feed publishes or published)."""
    found: set[str] = set()
    for chunk in _chunks(codes):
        found.update(session.execute(select(Link.task_code).where(Link.task_code.in_(chunk))).scalars())
    return found


def _stored(session: Session, entry_ids: Collection[str]) -> dict[str, PushedEntry]:
    rows: dict[str, PushedEntry] = {}
    for chunk in _chunks(entry_ids):
        for row in session.execute(select(PushedEntry).where(PushedEntry.entry_id.in_(chunk))).scalars():
            rows[row.entry_id] = row
    return rows


def upsert_entries(session: Session, entries: Sequence[EntryValues]) -> list[WriteOutcome]:
    """Store each entry by id; per entry ``accepted`` (new or changed) or ``unchanged`` (replay).

    A later entry with an id seen earlier in the same batch is applied on top of it. Concurrent
    first inserts of one id meet the unique index: the caller retries the batch, which then sees
    the row and compares against it.
    """
    existing = _stored(session, [e.entry_id for e in entries])
    outcomes: list[WriteOutcome] = []
    now = utcnow()
    for values in entries:
        row = existing.get(values.entry_id)
        if row is None:
            row = PushedEntry(received_at=now, updated_at=now, **_fields(values))
            session.add(row)
            existing[values.entry_id] = row
            outcomes.append("accepted")
            continue
        wanted = _fields(values)
        if all(getattr(row, name) == wanted[name] for name in _COMPARED):
            outcomes.append("unchanged")
            continue
        for name in _COMPARED:
            setattr(row, name, wanted[name])
        row.updated_at = now
        outcomes.append("accepted")
    session.flush()
    return outcomes


def tombstone_entries(session: Session, entry_ids: Sequence[str]) -> list[WriteOutcome]:
    """Mark stored entries deleted by id alone; unknown or already deleted ids are ``unchanged``."""
    existing = _stored(session, entry_ids)
    outcomes: list[WriteOutcome] = []
    now = utcnow()
    for entry_id in entry_ids:
        row = existing.get(entry_id)
        if row is None or row.deleted:
            outcomes.append("unchanged")
            continue
        row.deleted = True
        row.updated_at = now
        outcomes.append("accepted")
    session.flush()
    return outcomes


def _fields(values: EntryValues) -> dict[str, object]:
    return {
        "entry_id": values.entry_id,
        "employee_id": values.employee_id,
        "employee_email": values.employee_email,
        "tracker_employee_id": values.tracker_employee_id,
        "task_code": values.task_code,
        "start_at": values.start_at,
        "end_at": values.end_at,
        "seconds": values.seconds,
        "deleted": values.deleted,
        "evidence_url": values.evidence_url,
    }


def entries_in_window(
    session: Session, begin_utc: datetime, end_utc: datetime, *, include_deleted: bool = False
) -> list[StoredEntry]:
    """Entries overlapping ``[begin_utc, end_utc)`` (zero-length ones when they start inside it).

    Ordered by start and entry id. Tombstones are left out unless ``include_deleted``. Entries
    last at most 24 h, which bounds the index range scanned on ``start_at``.
    """
    if begin_utc.tzinfo is None or end_utc.tzinfo is None:
        raise ValueError("entries_in_window needs aware instants (UTC)")
    stmt = (
        select(PushedEntry, Employee.onec_user_ref, Employee.onec_employee_ref)
        .join(Employee, Employee.id == PushedEntry.employee_id)
        .where(
            PushedEntry.start_at < end_utc,
            PushedEntry.start_at >= begin_utc - timedelta(seconds=MAX_ENTRY_SECONDS),
            or_(PushedEntry.end_at > begin_utc, PushedEntry.start_at >= begin_utc),
        )
        .order_by(PushedEntry.start_at, PushedEntry.entry_id)
    )
    if not include_deleted:
        stmt = stmt.where(PushedEntry.deleted.is_(False))
    return [
        StoredEntry(
            entry_id=row.entry_id,
            employee_id=row.employee_id,
            onec_user_ref=user_ref,
            onec_employee_ref=employee_ref,
            employee_email=row.employee_email,
            tracker_employee_id=row.tracker_employee_id,
            task_code=row.task_code,
            start_at=row.start_at,
            end_at=row.end_at,
            seconds=row.seconds,
            deleted=row.deleted,
            evidence_url=row.evidence_url,
            received_at=row.received_at,
            updated_at=row.updated_at,
        )
        for row, user_ref, employee_ref in session.execute(stmt)
    ]
