"""Inbox (webhook hints from 1C) and outbox (delivery intents to 1C) with safe claiming.

Claiming uses ``FOR UPDATE SKIP LOCKED`` on PostgreSQL so N workers share the queue without
taking the same row; on SQLite (one process, one worker) a conditional UPDATE is the guard.
A claim has a lease: a row claimed by a worker that died becomes claimable again after it.
Outbox versions of one target key are delivered strictly in order and never concurrently:
only the lowest undelivered version of a key is claimable.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session, aliased

from connector.store.db import is_postgresql
from connector.store.dialect import insert_ignore
from connector.store.models import InboxEvent, OutboxIntent
from connector.store.types import utcnow

DEFAULT_LEASE = timedelta(minutes=5)
Backoff = Callable[[int], timedelta]
Q = TypeVar("Q", InboxEvent, OutboxIntent)


def exponential_backoff(attempt: int, base: float = 2.0, cap: float = 3600.0) -> timedelta:
    """Capped exponential delay before attempt ``attempt + 1`` (2 s, 4 s, 8 s … one hour)."""
    return timedelta(seconds=min(cap, base ** max(1, attempt)))


def inbox_add(
    session: Session, type_: str, ref: str, data_version: str, payload: dict[str, Any] | None = None
) -> bool:
    """Record a webhook event; False when the same type+ref+DataVersion was already received."""
    row = {
        "type": type_,
        "ref": ref,
        "data_version": data_version,
        "payload": payload or {},
        "received_at": utcnow(),
        "state": "pending",
        "attempts": 0,
        "next_attempt_at": utcnow(),
    }
    stmt = insert_ignore(session, InboxEvent, [row], ["type", "ref", "data_version"])
    return session.execute(stmt.returning(InboxEvent.id)).first() is not None


def outbox_add(session: Session, target_key: str, version: int, payload: dict[str, Any]) -> bool:
    """Record a delivery intent; False when this target key already has this version."""
    row = {
        "target_key": target_key,
        "version": version,
        "payload": payload,
        "state": "pending",
        "attempts": 0,
        "next_attempt_at": utcnow(),
        "created_at": utcnow(),
    }
    stmt = insert_ignore(session, OutboxIntent, [row], ["target_key", "version"])
    return session.execute(stmt.returning(OutboxIntent.id)).first() is not None


def next_outbox_version(session: Session, target_key: str) -> int:
    """One more than the highest version recorded for ``target_key`` (1 for a new key)."""
    top = session.execute(
        select(func.max(OutboxIntent.version)).where(OutboxIntent.target_key == target_key)
    ).scalar_one()
    return int(top or 0) + 1


def _claimable(model: type[Q], now: datetime, lease: timedelta) -> Any:
    return or_(
        and_(model.state == "pending", model.next_attempt_at <= now),
        and_(model.state == "claimed", model.claimed_at < now - lease),
    )


def _claim(session: Session, model: type[Q], where: Any, worker: str, limit: int, now: datetime) -> list[Q]:
    query = select(model.id).where(where).order_by(model.next_attempt_at, model.id).limit(limit)
    if is_postgresql(session):
        query = query.with_for_update(skip_locked=True)
    ids = list(session.execute(query).scalars())
    if not ids:
        return []
    # The repeated predicate makes the UPDATE a no-op for rows another writer took meanwhile.
    session.execute(
        update(model)
        .where(model.id.in_(ids), where)
        .values(state="claimed", claimed_by=worker, claimed_at=now, attempts=model.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    rows = session.execute(
        select(model)
        .where(model.id.in_(ids), model.claimed_by == worker, model.claimed_at == now)
        .order_by(model.id)
        .execution_options(populate_existing=True)
    )
    return list(rows.scalars())


def claim_inbox(
    session: Session, worker: str, limit: int = 50, lease: timedelta = DEFAULT_LEASE
) -> list[InboxEvent]:
    """Claim due inbox events for ``worker``; commit right after so other workers skip them."""
    now = utcnow()
    return _claim(session, InboxEvent, _claimable(InboxEvent, now, lease), worker, limit, now)


def claim_outbox(
    session: Session,
    worker: str,
    limit: int = 50,
    lease: timedelta = DEFAULT_LEASE,
    prefix: str | None = None,
) -> list[OutboxIntent]:
    """Claim due outbox intents for ``worker``: at most the lowest open version per target key.

    ``prefix`` restricts the claim to target keys starting with it, so a worker that delivers
    one kind of intent never claims (and spends an attempt of) another kind.
    """
    now = utcnow()
    older = aliased(OutboxIntent)
    lowest_open = (
        ~select(older.id)
        .where(
            older.target_key == OutboxIntent.target_key,
            older.version < OutboxIntent.version,
            older.state.in_(("pending", "claimed")),
        )
        .exists()
    )
    where = and_(_claimable(OutboxIntent, now, lease), lowest_open)
    if prefix:
        where = and_(where, OutboxIntent.target_key.startswith(prefix, autoescape=True))
    return _claim(session, OutboxIntent, where, worker, limit, now)


def _finish(session: Session, model: type[Q], row_id: int, worker: str, values: dict[str, Any]) -> bool:
    result = session.execute(
        update(model)
        .where(model.id == row_id, model.state == "claimed", model.claimed_by == worker)
        .values(**values)
        .execution_options(synchronize_session="fetch")
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def complete_outbox(session: Session, intent_id: int, worker: str) -> bool:
    """Mark an intent delivered; False when ``worker`` no longer holds the claim (lease expired)."""
    return _finish(session, OutboxIntent, intent_id, worker, {"state": "done", "last_error": None})


def complete_inbox(session: Session, event_id: int, worker: str) -> bool:
    """Mark an inbox event processed; False when ``worker`` no longer holds the claim."""
    return _finish(session, InboxEvent, event_id, worker, {"state": "done", "last_error": None})


def _fail(
    session: Session,
    model: type[Q],
    row_id: int,
    worker: str,
    error: str,
    backoff: Backoff,
    max_attempts: int,
    retry_after: timedelta | None,
) -> str | None:
    row = session.get(model, row_id, populate_existing=True)
    if row is None or row.state != "claimed" or row.claimed_by != worker:
        return None
    if row.attempts >= max_attempts:
        values: dict[str, Any] = {"state": "parked", "last_error": error}
    else:
        delay = max(backoff(row.attempts), retry_after or timedelta(0))
        values = {"state": "pending", "last_error": error, "next_attempt_at": utcnow() + delay}
    return values["state"] if _finish(session, model, row_id, worker, values) else None


def fail_outbox(
    session: Session,
    intent_id: int,
    worker: str,
    error: str,
    backoff: Backoff = exponential_backoff,
    max_attempts: int = 8,
    retry_after: timedelta | None = None,
) -> str | None:
    """Record a failed delivery: back to ``pending`` after a backoff (at least ``retry_after``),
    or ``parked`` after ``max_attempts``. Returns the new state, None if the claim was lost."""
    return _fail(session, OutboxIntent, intent_id, worker, error, backoff, max_attempts, retry_after)


def fail_inbox(
    session: Session,
    event_id: int,
    worker: str,
    error: str,
    backoff: Backoff = exponential_backoff,
    max_attempts: int = 8,
) -> str | None:
    """Like ``fail_outbox`` for an inbox event."""
    return _fail(session, InboxEvent, event_id, worker, error, backoff, max_attempts, None)


def retry_parked_outbox(session: Session, intent_id: int) -> bool:
    """An operator's retry: a parked intent becomes pending now with a fresh attempt budget."""
    result = session.execute(
        update(OutboxIntent)
        .where(OutboxIntent.id == intent_id, OutboxIntent.state == "parked")
        .values(state="pending", attempts=0, next_attempt_at=utcnow())
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def outbox_by_state(session: Session, state: str, limit: int = 100) -> Sequence[OutboxIntent]:
    """Intents in a state (e.g. ``parked`` for the failed-items list), oldest first."""
    return (
        session.execute(
            select(OutboxIntent).where(OutboxIntent.state == state).order_by(OutboxIntent.id).limit(limit)
        )
        .scalars()
        .all()
    )
