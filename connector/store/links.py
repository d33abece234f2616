"""Links (1C object ↔ tracker task), the task feed's sequence, cursors and employees.

Every function takes an open ``Session`` and leaves committing to the caller, so a run commits
its links together with the cursor they cover (architecture.md §4 rule 2).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from connector import jsoncodec
from connector.store.db import is_postgresql
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
_IN_CHUNK = 500


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


_LINK_DATA_FEED_FIELDS = tuple(name for name in _FEED_FIELDS if name in LinkData.__dataclass_fields__)


def next_seq(session: Session, name: str) -> int:
    """Increment and return counter ``name``.

    The UPDATE holds the counter's row lock until commit, so on PostgreSQL values become visible
    in the order they were taken: a reader of ``changed_since(n)`` never misses a later commit
    with a smaller number.
    """
    session.execute(insert_ignore(session, Counter, [{"name": name, "value": 0}], ["name"]))
    session.execute(update(Counter).where(Counter.name == name).values(value=Counter.value + 1))
    return int(session.execute(select(Counter.value).where(Counter.name == name)).scalar_one())


def reserve_seq(session: Session, name: str, n: int) -> int:
    """Take ``n`` consecutive values of counter ``name`` at once; returns the first of them.

    One UPDATE for the whole block, with the same row-lock ordering as ``next_seq``.
    """
    if n < 1:
        raise ValueError(f"reserve_seq needs n >= 1, got {n}")
    session.execute(insert_ignore(session, Counter, [{"name": name, "value": 0}], ["name"]))
    session.execute(update(Counter).where(Counter.name == name).values(value=Counter.value + n))
    last = int(session.execute(select(Counter.value).where(Counter.name == name)).scalar_one())
    return last - n + 1


_LINKS_BY_REF = select(Link).where(
    Link.mapping == bindparam("mapping"), Link.onec_ref.in_(bindparam("refs", expanding=True))
)


def links_by_ref(session: Session, mapping: str, refs: Iterable[str]) -> dict[str, Link]:
    """The existing links of ``refs`` under ``mapping`` (one query per 500 refs)."""
    wanted = list(dict.fromkeys(refs))
    found: dict[str, Link] = {}
    for i in range(0, len(wanted), _IN_CHUNK):
        chunk = wanted[i : i + _IN_CHUNK]
        rows = session.execute(_LINKS_BY_REF, {"mapping": mapping, "refs": chunk})
        for link in rows.scalars():
            found[link.onec_ref] = link
    return found


def upsert_links_bulk(
    session: Session,
    items: Sequence[LinkData],
    known: Mapping[tuple[str, str], Link | None] | None = None,
) -> list[bool]:
    """``upsert_link`` for many objects at once: what a page of a sync writes.

    ``known`` holds links the caller read earlier in this transaction (None: known absent);
    the others are read with one query per mapping and 500 refs. New links go to the driver as
    one ``executemany`` with their JSON encoded once (no ORM objects, no per-row type
    processing); changed links are updated through the ORM. The feed sequence numbers of all
    real changes come from one ``reserve_seq`` block (in ``items`` order). As with
    ``upsert_link`` only real changes get a fresh ``feed_seq``; a DataVersion-only change is
    stored without touching the feed. Returns ``changed`` per item. ``(mapping, onec_ref)``
    must be unique within ``items``.
    """
    keys = [(d.mapping, d.onec_ref) for d in items]
    if len(set(keys)) != len(keys):
        raise ValueError("upsert_links_bulk: an object appears twice in one batch")
    existing: dict[tuple[str, str], Link | None] = {}
    by_mapping: dict[str, list[str]] = {}
    for key in keys:
        if known is not None and key in known:
            existing[key] = known[key]
        else:
            by_mapping.setdefault(key[0], []).append(key[1])
    for mapping, refs in by_mapping.items():
        found = links_by_ref(session, mapping, refs)
        for ref in refs:
            existing[(mapping, ref)] = found.get(ref)
    changed: list[bool] = []
    for data, key in zip(items, keys, strict=True):
        old = existing[key]
        changed.append(
            old is None or any(getattr(old, name) != getattr(data, name) for name in _LINK_DATA_FEED_FIELDS)
        )
    n = sum(changed)
    seq = reserve_seq(session, FEED_COUNTER, n) if n else 0
    now = utcnow()
    rows: list[tuple[Any, ...]] = []
    dumps = jsoncodec.compact
    for data, key, is_changed in zip(items, keys, changed, strict=True):
        link = existing[key]
        if link is not None:
            link.data_version = data.data_version
        if not is_changed:
            continue
        if link is None:
            rows.append(
                (
                    data.mapping,
                    data.onec_type,
                    data.onec_ref,
                    data.data_version,
                    data.task_code,
                    data.content_hash,
                    data.status,
                    data.category,
                    data.title,
                    dumps(data.assignees),
                    data.planned_minutes,
                    dumps(data.payload),
                    seq,
                )
            )
        else:
            for name in _LINK_DATA_FEED_FIELDS:
                setattr(link, name, getattr(data, name))
            link.feed_seq = seq
            link.updated_at = now
        seq += 1
    if rows:
        _insert_new_links(session, rows, now)
    session.flush()
    return changed


_NEW_LINK_COLUMNS = (
    "mapping",
    "onec_type",
    "onec_ref",
    "data_version",
    "task_code",
    "content_hash",
    "status",
    "category",
    "title",
    "assignees",
    "planned_minutes",
    "payload",
    "feed_seq",
)
_JSON_COLUMNS = frozenset({"assignees", "payload"})


def _insert_new_links(session: Session, rows: list[tuple[Any, ...]], now: datetime) -> None:
    """One driver-level ``executemany`` of new link rows (JSON already encoded).

    Why not ``insert(Link)``: per-row parameter processing by SQLAlchemy cost as much as the
    database's own work on a full sync. ``updated_at`` is converted once by the column's type
    (UTC, naive on SQLite) and ``actual_minutes`` is 0 as for ``upsert_link``.
    """
    conn = session.connection()
    dialect = conn.dialect
    if dialect.paramstyle == "qmark":
        marks = ["?" for _ in _NEW_LINK_COLUMNS]
        mark = "?"
    elif dialect.paramstyle in ("format", "pyformat"):
        marks = ["%s::json" if c in _JSON_COLUMNS else "%s" for c in _NEW_LINK_COLUMNS]
        mark = "%s"
    else:  # pragma: no cover - the store supports SQLite and psycopg only
        raise RuntimeError(f"unsupported DB-API paramstyle {dialect.paramstyle!r}")
    process = Link.__table__.c.updated_at.type.bind_processor(dialect)
    stamp = process(now) if process is not None else now
    sql = (
        f"INSERT INTO {Link.__tablename__} ({', '.join(_NEW_LINK_COLUMNS)}, actual_minutes, updated_at) "
        f"VALUES ({', '.join(marks)}, 0, {mark})"
    )
    conn.exec_driver_sql(sql, [(*row, stamp) for row in rows])


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


DIRECTORY_COLUMNS = ("email", "name", "onec_employee_ref")
"""What the 1C directory owns on an employee row; ``tracker_employee_id``/``how_matched`` are the match's."""


def upsert_employees(session: Session, rows: Sequence[dict[str, Any]]) -> int:
    """The one writer of employee rows: ``INSERT … ON CONFLICT (onec_user_ref) DO UPDATE``.

    Each row holds ``onec_user_ref`` and the columns to set (any of ``DIRECTORY_COLUMNS``,
    ``tracker_employee_id``, ``how_matched``); columns a row leaves out keep their stored value,
    so the directory refresh never clears a match. Two replicas upserting the same users at once
    both succeed (no read-then-insert race on the unique ``onec_user_ref``). E-mails are stored
    lower-case. Rows go as one executemany per set of columns, each in ``onec_user_ref`` order, so
    concurrent writers (each passing one set of columns, as the directory and the matcher do)
    lock alike.
    """
    now = utcnow()
    merged: dict[str, dict[str, Any]] = {}  # a user twice: as if written one after the other
    for row in rows:
        merged.setdefault(str(row["onec_user_ref"]), {}).update(row)
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for _, row in sorted(merged.items()):
        values = dict(row)
        if "email" in values:
            email = values["email"]
            values["email"] = email.strip().lower() if email else None
        values.setdefault("name", "")
        values["updated_at"] = now
        groups.setdefault(tuple(k for k in row if k != "onec_user_ref"), []).append(values)
    dialect = postgresql if is_postgresql(session) else sqlite
    table = Employee.__table__
    for columns, params in groups.items():
        # One statement per set of columns, sent as one executemany (a directory of a few
        # hundred users is one round trip, not one per user).
        stmt = dialect.insert(table)
        set_ = {name: stmt.excluded[name] for name in (*columns, "updated_at")}
        session.execute(stmt.on_conflict_do_update(index_elements=["onec_user_ref"], set_=set_), params)
    return len(merged)


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
    """Create or update every column of the employee row of a 1C user (``upsert_employees``)."""
    upsert_employees(
        session,
        [
            {
                "onec_user_ref": onec_user_ref,
                "email": email,
                "name": name,
                "how_matched": how_matched,
                "tracker_employee_id": tracker_employee_id,
                "onec_employee_ref": onec_employee_ref,
            }
        ],
    )
    query = select(Employee).where(Employee.onec_user_ref == onec_user_ref)
    return session.execute(query.execution_options(populate_existing=True)).scalar_one()


def employee_by_tracker_id(session: Session, tracker_employee_id: str) -> Employee | None:
    """The employee a tracker id was matched to, or None (unmatched: report, never guess)."""
    return session.execute(
        select(Employee).where(Employee.tracker_employee_id == tracker_employee_id)
    ).scalar_one_or_none()
