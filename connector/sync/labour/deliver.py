"""The delivery worker: claims labour intents from the outbox and writes them to 1C.

One writer per target: the outbox hands out only the lowest open version of a target key, and a
claim is a lease, so a crashed worker's intent is delivered again later — harmlessly, because
both channels write by deterministic keys (the week's document found by its marker; SOAP rows
by row key in a batch whose id is derived from the intents). Each intent has its own outcome,
recorded for many intents per transaction (``labour_settle``): delivered → labour marked
written; closed period, a rejected row or a 1C business rule → parked with 1C's message
(nothing half-written, other intents go on); a transient error → retried with backoff,
honouring Retry-After.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Sequence
from datetime import date, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from connector.onec.errors import OneCError
from connector.store.models import Labour, OutboxIntent
from connector.store.queues import claim_outbox
from connector.sync.core.labour_diff import week_rows
from connector.sync.core.model import WrittenLabour
from connector.sync.core.timeutil import week_of
from connector.sync.gctuning import fewer_collections
from connector.sync.labour.deliver_odata import WeekWriter
from connector.sync.labour.settle import FAILURE_KIND, Settlement
from connector.sync.labour.state import OUTBOX_PREFIX, entry_from_json

if TYPE_CHECKING:
    from connector.onec.soap import LabourRow
    from connector.runtime import Runtime

EMPTY_REF = "00000000-0000-0000-0000-000000000000"
SETTLE_EVERY = 100
__all__ = ["FAILURE_KIND", "batch_id", "deliver_all", "deliver_pending"]


def _entries(payload: dict[str, object], name: str) -> list[WrittenLabour]:
    items = payload.get(name) or []
    assert isinstance(items, list)
    return [entry_from_json(d) for d in items]


def _parts(payload: dict[str, object]) -> tuple[list[WrittenLabour], list[WrittenLabour]]:
    """An intent's rows to hold and the previously written rows it removes."""
    entries = _entries(payload, "entries")
    keep = {(e.key, e.adjusts) for e in entries}
    return entries, [e for e in _entries(payload, "previous") if (e.key, e.adjusts) not in keep]


Week = tuple[str, date]


def _week(intent: OutboxIntent) -> Week:
    return str(intent.payload["employee"]), date.fromisoformat(str(intent.payload["week_start"]))


def _doc_refs(session: Session, weeks: Sequence[Week]) -> dict[Week, str]:
    """The documents the store remembers for ``weeks`` (one query per 500 employees)."""
    wanted = set(weeks)
    employees = sorted({e for e, _ in weeks})
    low, high = min(m for _, m in weeks), max(m for _, m in weeks) + timedelta(days=6)
    out: dict[Week, str] = {}
    for start in range(0, len(employees), 500):
        rows = session.execute(
            select(Labour.employee_ref, Labour.work_date, Labour.onec_doc_ref).where(
                Labour.key.startswith("odata_timesheet|"),
                Labour.employee_ref.in_(employees[start : start + 500]),
                Labour.work_date.between(low, high),
                Labour.onec_doc_ref.is_not(None),
            )
        )
        for employee, day, ref in rows:
            week = (employee, week_of(day)[0])
            if week in wanted and ref:
                out.setdefault(week, ref)
    return out


def _deliver_weeks(
    runtime: Runtime, intents: Sequence[OutboxIntent], worker: str, counts: Counter[str]
) -> None:
    """Write the claimed employee-weeks; outcomes are recorded every ``SETTLE_EVERY`` intents.

    A week whose document the store does not know is looked up first, all such weeks of the
    batch together, so a new week costs a create and a Post; a known document is read (for its
    DataVersion and hand-made rows), PATCHed and posted.
    """
    writer = WeekWriter(runtime.onec)
    weeks = [_week(i) for i in intents]
    with runtime.sessions() as session:
        known = _doc_refs(session, weeks)
    missing = [w for w in weeks if w not in known]
    found, lookups = writer.find_many(missing) if missing else ({}, 0)
    counts["onec_requests"] += lookups
    settle = Settlement(worker, counts)
    for intent, (employee, monday) in zip(intents, weeks, strict=True):
        entries, removed = _parts(intent.payload)
        ref = known.get((employee, monday)) or found.get((employee, monday))
        try:
            outcome = writer.write_week(employee, monday, week_rows(entries), ref, looked_up=True)
        except OneCError as exc:
            settle.failed(intent, exc)
        else:
            settle.delivered(intent, "odata_timesheet", entries, removed, outcome.doc_ref)
            counts["written" if outcome.written else "unchanged"] += 1
            counts["onec_requests"] += outcome.requests
        if len(settle) >= SETTLE_EVERY:
            with runtime.sessions.begin() as session:
                settle.flush(session)
    if len(settle):
        with runtime.sessions.begin() as session:
            settle.flush(session)


def batch_id(intents: Sequence[OutboxIntent]) -> str:
    """The same intents always form the same batch id, so a replayed batch is a no-op in 1C."""
    text = "\n".join(sorted(f"{i.target_key}#{i.version}" for i in intents))
    return "tt-" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def _soap_rows(entries: list[WrittenLabour], removed: list[WrittenLabour]) -> list[LabourRow]:
    from connector.onec.soap import LabourRow

    rows: list[LabourRow] = []
    for e, minutes in [(e, e.minutes) for e in entries] + [(e, 0) for e in removed]:
        rows.append(
            LabourRow(
                row_key=e.row_key,
                employee=e.key.employee_ref,
                object_type=e.key.object_type or "",
                object_ref=e.key.object_ref or EMPTY_REF,
                work_date=e.key.work_date,
                work_type=e.key.work_type_ref,
                minutes=minutes,
                billable=e.billable,
                comment=e.comment or "",
                evidence_url=e.evidence_url or "",
            )
        )
    return rows


def _deliver_soap(
    runtime: Runtime, intents: Sequence[OutboxIntent], worker: str, counts: Counter[str]
) -> None:
    """PutLabour batches of about ``batch_size`` rows; per-row verdicts recorded per batch."""
    service = runtime.soap
    size = max(1, service.batch_size)
    chunks: list[list[OutboxIntent]] = [[]]
    rows_of: dict[int, list[LabourRow]] = {}
    parts = {i.id: _parts(i.payload) for i in intents}
    filled = 0
    for intent in intents:
        rows_of[intent.id] = _soap_rows(*parts[intent.id])
        if chunks[-1] and filled + len(rows_of[intent.id]) > size:
            chunks.append([])
            filled = 0
        chunks[-1].append(intent)
        filled += len(rows_of[intent.id])
    for chunk in chunks:
        settle = Settlement(worker, counts)
        rows = [r for i in chunk for r in rows_of[i.id]]
        try:
            results = service.put_labour(batch_id(chunk), rows)
            counts["onec_requests"] += -(-len(rows) // size)
        except OneCError as exc:
            for i in chunk:
                settle.failed(i, exc)
        else:
            verdict = {r.row_key: r for r in results}
            for i in chunk:
                rejected = [
                    verdict[r.row_key]
                    for r in rows_of[i.id]
                    if r.row_key in verdict and verdict[r.row_key].rejected
                ]
                if rejected:
                    settle.rejected(i, "; ".join(f"{r.row_key}: {r.message}" for r in rejected))
                    continue
                settle.delivered(i, "soap", *parts[i.id])
                counts["written"] += 1
        with runtime.sessions.begin() as session:
            settle.flush(session)


def deliver_pending(runtime: Runtime, worker_id: str, limit: int = 200) -> dict[str, int]:
    """Claim up to ``limit`` due labour intents and deliver them; returns counters
    (``claimed``, ``delivered``, ``written``, ``unchanged``, ``retrying``, ``parked``, ``onec_requests``)."""
    with fewer_collections():
        return _deliver_claimed(runtime, worker_id, limit)


def _deliver_claimed(runtime: Runtime, worker_id: str, limit: int) -> dict[str, int]:
    counts: Counter[str] = Counter()
    with runtime.sessions.begin() as session:
        claimed = claim_outbox(session, worker_id, limit, prefix=OUTBOX_PREFIX)
        session.expunge_all()
    labour = [i for i in claimed if i.target_key.startswith(OUTBOX_PREFIX)]
    counts["claimed"] = len(labour)
    soap = [i for i in labour if i.payload.get("channel") == "soap"]
    weeks = [i for i in labour if i.payload.get("channel") != "soap"]
    if weeks:
        _deliver_weeks(runtime, weeks, worker_id, counts)
    if soap:
        _deliver_soap(runtime, soap, worker_id, counts)
    return dict(counts)


def deliver_all(
    runtime: Runtime, worker_id: str, limit: int = 200, max_rounds: int = 10_000
) -> dict[str, int]:
    """Deliver until no due intent is left (or ``max_rounds``); summed counters."""
    total: Counter[str] = Counter()
    for _ in range(max_rounds):
        counts = deliver_pending(runtime, worker_id, limit)
        total.update(counts)
        if not counts.get("claimed"):
            break
        if not (counts.get("delivered") or counts.get("parked")):
            break
    return dict(total)
