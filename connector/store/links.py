"""Links (1C object ↔ tracker task), the task feed's sequence, cursors and employees.

Every function takes an open ``Session`` and leaves committing to the caller, so a run commits
its links together with the cursor they cover (architecture.md §4 rule 2).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from connector.store.dialect import insert_ignore
from connector.store.models import Counter, Cursor, Employee, Link
from connector.store.types import utcnow

FEED_COUNTER = "links.feed_seq"
_FEED_FIELDS = (
    "onec_type",
    "task_code",
    "tracker_task_id",
    "content_hash",
    "status",
    "category",
    "title",
    "assignees",
    "planned_minutes",
    "actual_minutes",
    "overrun",
    "payload",
)


@dataclass
class LinkData:
    """What the inbound flow knows about one 1C object after transform (input to ``upsert_link``)."""

    mapping: str
    onec_type: str
    onec_ref: str
    task_code: str
    content_hash: str
    data_version: str | None = None
    status: str = "open"
    category: str = "service"
    title: str = ""
    assignees: list[str] = field(default_factory=list)
    planned_minutes: int | None = None
    payload: dict[str, Any] = field(default_factory=dict)


def next_seq(session: Session, name: str) -> int:
    """Increment and return counter ``name``.

    The UPDATE holds the counter's row lock until commit, so on PostgreSQL values become visible
    in the order they were taken: a reader of ``changed_since(n)`` never misses a later commit
    with a smaller number.
    """
    session.execute(insert_ignore(session, Counter, [{"name": name, "value": 0}], ["name"]))
    session.execute(update(Counter).where(Counter.name == name).values(value=Counter.value + 1))
    return int(session.execute(select(Counter.value).where(Counter.name == name)).scalar_one())


def get_link(session: Session, mapping: str, onec_ref: str) -> Link | None:
    """The link of a 1C object under a mapping, or None when it was never synced."""
    return session.execute(
        select(Link).where(Link.mapping == mapping, Link.onec_ref == onec_ref)
    ).scalar_one_or_none()


def get_link_by_code(session: Session, task_code: str) -> Link | None:
    """The link that owns a task code (codes are unique across mappings)."""
    return session.execute(select(Link).where(Link.task_code == task_code)).scalar_one_or_none()


def upsert_link(session: Session, data: LinkData) -> tuple[Link, bool]:
    """Create or update the link of ``(data.mapping, data.onec_ref)``.

    Returns ``(link, changed)``; ``changed`` is True when the feed must show something new, and
    only then the link gets a fresh ``feed_seq`` and ``updated_at``. A DataVersion-only change
    is stored without touching the feed.
    """
    link = get_link(session, data.mapping, data.onec_ref)
    values = {name: getattr(data, name) for name in _FEED_FIELDS if hasattr(data, name)}
    if link is None:
        link = Link(
            mapping=data.mapping,
            onec_ref=data.onec_ref,
            data_version=data.data_version,
            actual_minutes=0,
            feed_seq=next_seq(session, FEED_COUNTER),
            updated_at=utcnow(),
            **values,
        )
        session.add(link)
        session.flush()
        return link, True
    link.data_version = data.data_version
    changed = any(getattr(link, name) != value for name, value in values.items())
    if changed:
        for name, value in values.items():
            setattr(link, name, value)
        link.feed_seq = next_seq(session, FEED_COUNTER)
        link.updated_at = utcnow()
    session.flush()
    return link, changed


def set_link_actuals(session: Session, link: Link, actual_minutes: int, overrun: str | None) -> bool:
    """Record actual minutes and the overrun level on a link; bumps the feed only when they change."""
    if link.actual_minutes == actual_minutes and link.overrun == overrun:
        return False
    link.actual_minutes = actual_minutes
    link.overrun = overrun
    link.feed_seq = next_seq(session, FEED_COUNTER)
    link.updated_at = utcnow()
    session.flush()
    return True


def links_changed_since(session: Session, seq: int = 0, limit: int = 500) -> Sequence[Link]:
    """Links whose feed state changed after ``seq``, oldest change first (the feed's paging)."""
    return (
        session.execute(select(Link).where(Link.feed_seq > seq).order_by(Link.feed_seq).limit(limit))
        .scalars()
        .all()
    )


def feed_position(session: Session) -> int:
    """The newest ``feed_seq`` (0 for an empty feed); serves as the feed's ETag."""
    return int(session.execute(select(func.coalesce(func.max(Link.feed_seq), 0))).scalar_one())


def get_cursor(session: Session, stream: str) -> str | None:
    """The stored position of a change stream, or None before its first run."""
    return session.execute(select(Cursor.value).where(Cursor.stream == stream)).scalar_one_or_none()


def set_cursor(session: Session, stream: str, value: str) -> None:
    """Store a stream position; call it in the same transaction as the work it covers."""
    cursor = session.get(Cursor, stream)
    if cursor is None:
        session.add(Cursor(stream=stream, value=value, updated_at=utcnow()))
    else:
        cursor.value = value
        cursor.updated_at = utcnow()
    session.flush()


def upsert_employee(
    session: Session,
    *,
    onec_user_ref: str,
    email: str | None,
    name: str,
    how_matched: str | None,
    tracker_employee_id: str | None = None,
    onec_employee_ref: str | None = None,
) -> Employee:
    """Create or update the employee row of a 1C user; e-mails are stored lower-case."""
    emp = session.execute(
        select(Employee).where(Employee.onec_user_ref == onec_user_ref)
    ).scalar_one_or_none()
    if emp is None:
        emp = Employee(onec_user_ref=onec_user_ref)
        session.add(emp)
    emp.email = email.strip().lower() if email else None
    emp.name = name
    emp.how_matched = how_matched
    emp.tracker_employee_id = tracker_employee_id
    emp.onec_employee_ref = onec_employee_ref
    emp.updated_at = utcnow()
    session.flush()
    return emp


def employee_by_tracker_id(session: Session, tracker_employee_id: str) -> Employee | None:
    """The employee a tracker id was matched to, or None (unmatched: report, never guess)."""
    return session.execute(
        select(Employee).where(Employee.tracker_employee_id == tracker_employee_id)
    ).scalar_one_or_none()
