"""Tables of the connector's state (architecture.md §3).

Unique constraints carry the idempotency rules: one link per mapping and 1C ref, one task code,
one inbox event per type+ref+DataVersion, one labour aggregate per key, one outbox intent per
target key and version, one failure per kind+key.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from connector.store.types import UTCDateTime, utcnow

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# SQLite only auto-increments INTEGER PRIMARY KEY; BigInteger there would not.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Link(Base):
    """A 1C object turned into a tracker task; ``feed_seq`` orders the task feed (changed_since, ETag)."""

    __tablename__ = "links"
    __table_args__ = (UniqueConstraint("mapping", "onec_ref"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    mapping: Mapped[str] = mapped_column(String(100))
    onec_type: Mapped[str] = mapped_column(String(200))
    onec_ref: Mapped[str] = mapped_column(String(36))
    data_version: Mapped[str | None] = mapped_column(String(64))
    task_code: Mapped[str] = mapped_column(String(200), unique=True)
    tracker_task_id: Mapped[str | None] = mapped_column(String(100))
    content_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="open")
    category: Mapped[str] = mapped_column(String(16), default="service")
    title: Mapped[str] = mapped_column(Text, default="")
    assignees: Mapped[list[str]] = mapped_column(JSON, default=list)
    planned_minutes: Mapped[int | None] = mapped_column(Integer)
    actual_minutes: Mapped[int] = mapped_column(Integer, default=0)
    overrun: Mapped[str | None] = mapped_column(String(16))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    feed_seq: Mapped[int] = mapped_column(BigInteger, index=True)
    written_actual_minutes: Mapped[int | None] = mapped_column(Integer)
    written_overrun: Mapped[bool | None] = mapped_column(Boolean)
    participant_plans: Mapped[dict[str, int] | None] = mapped_column(JSON)
    risk: Mapped[str | None] = mapped_column(String(16))  # early warning: at_risk, on_track, no_plan…
    projected_minutes: Mapped[int | None] = mapped_column(Integer)
    written_risk: Mapped[bool | None] = mapped_column(Boolean)
    written_projected_minutes: Mapped[int | None] = mapped_column(Integer)
    # A task-sink tracker (Kimai, Clockify): the hash of what it was last given, and the last
    # push's error for this task (retried on the next push while set).
    pushed_hash: Mapped[str | None] = mapped_column(String(64))
    push_error: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Counter(Base):
    """Named monotonic counters; the row lock on update orders concurrent writers by commit."""

    __tablename__ = "counters"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)


class Cursor(Base):
    """Position of a change stream (exchange plan, date cursor, time pull) as an opaque string."""

    __tablename__ = "cursors"

    stream: Mapped[str] = mapped_column(String(200), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class InboxEvent(Base):
    """A webhook hint from 1C; duplicates (same type+ref+DataVersion) are refused by the index."""

    __tablename__ = "inbox"
    __table_args__ = (
        UniqueConstraint("type", "ref", "data_version"),
        Index("ix_inbox_state_next_attempt_at", "state", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    type: Mapped[str] = mapped_column(String(200))
    ref: Mapped[str] = mapped_column(String(36))
    data_version: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    state: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Employee(Base):
    """1C user/employee ↔ tracker employee, and how the match was made (email, manual, name)."""

    __tablename__ = "employees"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    onec_user_ref: Mapped[str | None] = mapped_column(String(36), unique=True)
    onec_employee_ref: Mapped[str | None] = mapped_column(String(36))
    email: Mapped[str | None] = mapped_column(String(320), index=True)
    tracker_employee_id: Mapped[str | None] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(300), default="")
    how_matched: Mapped[str | None] = mapped_column(String(32))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TimeRow(Base):
    """The tracker's time for one employee, task code and local day, as last pulled."""

    __tablename__ = "time_rows"
    __table_args__ = (UniqueConstraint("employee", "task_code", "day", "source"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    employee: Mapped[str] = mapped_column(String(100))
    task_code: Mapped[str] = mapped_column(String(200))
    day: Mapped[date] = mapped_column(Date)
    seconds: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(32), default="pull")
    evidence: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Labour(Base):
    """A rounded labour aggregate (employee|object|date|work type) and what 1C holds for it."""

    __tablename__ = "labour"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    key: Mapped[str] = mapped_column(String(400), unique=True)
    employee_ref: Mapped[str] = mapped_column(String(36))
    object_type: Mapped[str] = mapped_column(String(200))
    object_ref: Mapped[str] = mapped_column(String(36))
    work_date: Mapped[date] = mapped_column(Date)
    work_type_ref: Mapped[str] = mapped_column(String(36))
    minutes: Mapped[int] = mapped_column(Integer)
    billable: Mapped[bool] = mapped_column(Boolean, default=True)
    written_minutes: Mapped[int | None] = mapped_column(Integer)
    onec_doc_ref: Mapped[str | None] = mapped_column(String(36))
    customer_ref: Mapped[str | None] = mapped_column(String(36))
    state: Mapped[str] = mapped_column(String(16), default="pending")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class BilledPeriod(Base):
    """A customer's labour billed through ``last_day``: it stays as invoiced in 1C from then on."""

    __tablename__ = "billed_periods"
    __table_args__ = (UniqueConstraint("customer_ref", "last_day"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    customer_ref: Mapped[str] = mapped_column(String(36), index=True)
    customer: Mapped[str] = mapped_column(String(300), default="")
    last_day: Mapped[date] = mapped_column(Date)
    closed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class OutboxIntent(Base):
    """A delivery intent to 1C; versions of one target key are delivered in order, one at a time."""

    __tablename__ = "outbox"
    __table_args__ = (
        UniqueConstraint("target_key", "version"),
        Index("ix_outbox_state_next_attempt_at", "state", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    target_key: Mapped[str] = mapped_column(String(400))
    version: Mapped[int] = mapped_column(Integer)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    state: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Run(Base):
    """One sync run: what triggered it, for which mapping, and counters per outcome/reason."""

    __tablename__ = "runs"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    trigger: Mapped[str] = mapped_column(String(32))
    mapping: Mapped[str | None] = mapped_column(String(100))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16), default="running")
    counters: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    # The process running it (``connector.store.owner``) and when it last wrote progress: a run
    # whose process died (SIGKILL, OOM, power) is closed as ``abandoned`` by the runs sweep.
    owner: Mapped[str | None] = mapped_column(String(200))
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class RunItem(Base):
    """A noteworthy item of a run (skipped, failed, created…) with its named reason."""

    __tablename__ = "run_items"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), index=True)
    ref: Mapped[str] = mapped_column(String(200))
    outcome: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str | None] = mapped_column(String(100))
    detail: Mapped[str | None] = mapped_column(Text)


class Failure(Base):
    """An item that failed: retried until parked, visible and retryable by an operator."""

    __tablename__ = "failures"
    __table_args__ = (UniqueConstraint("kind", "key"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    key: Mapped[str] = mapped_column(String(400))
    reason: Mapped[str] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    parked: Mapped[bool] = mapped_column(Boolean, default=False)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PushedEntry(Base):
    """A time entry pushed by a tracker (``POST /tracker/v1/time-entries``), idempotent by ``entry_id``.

    ``deleted`` tombstones the entry instead of removing the row, so a replayed older version of
    it is recognised; ``received_at`` is the first arrival, ``updated_at`` the last change.
    """

    __tablename__ = "pushed_entries"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    entry_id: Mapped[str] = mapped_column(String(200), unique=True)
    employee_id: Mapped[int] = mapped_column(BigId, ForeignKey("employees.id"), index=True)
    employee_email: Mapped[str | None] = mapped_column(String(320))
    tracker_employee_id: Mapped[str | None] = mapped_column(String(100))
    task_code: Mapped[str] = mapped_column(String(200))
    start_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    end_at: Mapped[datetime] = mapped_column(UTCDateTime)
    seconds: Mapped[int] = mapped_column(Integer)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    evidence_url: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
