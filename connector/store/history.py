"""Run history (runs, run items with named reasons) and parked failures."""

from __future__ import annotations

from collections import Counter as Tally
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from connector.store.models import Failure, Run, RunItem
from connector.store.owner import owner_alive, process_owner
from connector.store.types import utcnow


def start_run(session: Session, kind: str, trigger: str, mapping: str | None = None) -> Run:
    """Open a run record (status ``running``, owned by this process) so an operator sees work
    in progress."""
    now = utcnow()
    run = Run(
        kind=kind,
        trigger=trigger,
        mapping=mapping,
        started_at=now,
        status="running",
        counters={},
        owner=process_owner(),
        heartbeat_at=now,
    )
    session.add(run)
    session.flush()
    return run


def heartbeat(run: Run) -> None:
    """Note that the run's process is alive and making progress (on every flush of its counters).

    A run the sweep took for dead (a long silence on another host) is ``running`` again."""
    run.heartbeat_at = utcnow()
    if run.status == "abandoned":
        run.status, run.finished_at = "running", None


def abandon_dead_runs(
    session: Session,
    stale_after: timedelta,
    *,
    now: datetime | None = None,
    alive: Callable[[str], bool | None] = owner_alive,
) -> list[Run]:
    """Close as ``abandoned`` the runs left ``running`` by a process that died.

    A run is abandoned when its owner is a process of this host that no longer exists
    (``abandoned:owner_gone``), or when it has shown no sign of life for ``stale_after``
    (``abandoned:no_heartbeat``; runs of other hosts, and runs from before owners were
    recorded, are judged this way only). Work a run committed stays; only its record closes.
    """
    now = now or utcnow()
    closed: list[Run] = []
    for run in session.execute(select(Run).where(Run.status == "running")).scalars():
        verdict = alive(run.owner) if run.owner else None
        last = run.heartbeat_at or run.started_at
        if verdict is False:
            reason = "owner_gone"
        elif verdict is None and last is not None and now - last > stale_after:
            reason = "no_heartbeat"
        else:
            continue
        finish_run(session, run, "abandoned", {f"abandoned:{reason}": 1})
        closed.append(run)
    return closed


def record_run_item(
    session: Session, run: Run, ref: str, outcome: str, reason: str | None = None, detail: str | None = None
) -> RunItem:
    """Note one item of a run and count it under ``outcome`` (and ``outcome:reason``)."""
    item = RunItem(run_id=run.id, ref=ref, outcome=outcome, reason=reason, detail=detail)
    session.add(item)
    tally = Tally(run.counters or {})
    tally[outcome] += 1
    if reason:
        tally[f"{outcome}:{reason}"] += 1
    run.counters = dict(tally)
    session.flush()
    return item


def finish_run(
    session: Session, run: Run, status: str = "ok", counters: Mapping[str, int] | None = None
) -> Run:
    """Close a run with its final status; ``counters`` are added to those counted per item."""
    tally = Tally(run.counters or {})
    tally.update(counters or {})
    run.counters = dict(tally)
    run.status = status
    run.finished_at = utcnow()
    session.flush()
    return run


def recent_runs(session: Session, limit: int = 50) -> Sequence[Run]:
    """The newest runs first."""
    return session.execute(select(Run).order_by(Run.id.desc()).limit(limit)).scalars().all()


def record_failure(
    session: Session,
    kind: str,
    key: str,
    reason: str,
    payload: dict[str, Any] | None = None,
    park_after: int = 5,
) -> Failure:
    """Count a failure of item ``kind``/``key``; it is parked once it failed ``park_after`` times."""
    failure = session.execute(
        select(Failure).where(Failure.kind == kind, Failure.key == key)
    ).scalar_one_or_none()
    if failure is None:
        failure = Failure(kind=kind, key=key, attempts=0, parked=False, payload={})
        session.add(failure)
    failure.attempts += 1
    failure.reason = reason
    failure.payload = payload or failure.payload or {}
    failure.parked = failure.parked or failure.attempts >= park_after
    failure.updated_at = utcnow()
    session.flush()
    return failure


def park(
    session: Session, kind: str, key: str, reason: str, payload: dict[str, Any] | None = None
) -> Failure:
    """Park an item at once (e.g. a closed period): it waits for an operator, nothing retries it."""
    failure = record_failure(session, kind, key, reason, payload, park_after=1)
    return failure


def clear_failure(session: Session, kind: str, key: str) -> bool:
    """Forget a failure after the item succeeded or an operator retried it; False if none."""
    failure = session.execute(
        select(Failure).where(Failure.kind == kind, Failure.key == key)
    ).scalar_one_or_none()
    if failure is None:
        return False
    session.delete(failure)
    session.flush()
    return True


def list_failures(session: Session, parked: bool | None = None, limit: int = 100) -> Sequence[Failure]:
    """Failures for the operator's list, newest first; ``parked`` filters when given."""
    query = select(Failure).order_by(Failure.updated_at.desc(), Failure.id.desc()).limit(limit)
    if parked is not None:
        query = query.where(Failure.parked == parked)
    return session.execute(query).scalars().all()
