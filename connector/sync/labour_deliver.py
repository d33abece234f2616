"""The delivery worker: claims labour intents from the outbox and writes them to 1C.

One writer per target: the outbox hands out only the lowest open version of a target key, and a
claim is a lease, so a crashed worker's intent is delivered again later — harmlessly, because
both channels write by deterministic keys (the week's document found by its marker; SOAP rows
by row key in a batch whose id is derived from the intents). Each intent's outcome is recorded
separately: delivered → labour marked written; closed period, a rejected row or a 1C business
rule → parked with 1C's message (nothing half-written, other intents go on); a transient error
→ retried with backoff, honouring Retry-After.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Sequence
from datetime import date, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from connector.onec.errors import ClosedPeriod, OneCError, Retriable
from connector.store.history import clear_failure, park
from connector.store.models import Labour, OutboxIntent
from connector.store.queues import claim_outbox, complete_outbox, fail_outbox
from connector.sync.labour_deliver_odata import WeekWriter
from connector.sync.labour_diff import week_rows
from connector.sync.labour_state import OUTBOX_PREFIX, entry_from_json, mark_written
from connector.sync.model import WrittenLabour

if TYPE_CHECKING:
    from connector.onec.soap import LabourRow
    from connector.runtime import Runtime

FAILURE_KIND = "labour"
EMPTY_REF = "00000000-0000-0000-0000-000000000000"
SOAP_BATCH = 500


def _entries(payload: dict[str, object], name: str) -> list[WrittenLabour]:
    items = payload.get(name) or []
    assert isinstance(items, list)
    return [entry_from_json(d) for d in items]


def _removed(payload: dict[str, object]) -> list[WrittenLabour]:
    keep = {(e.key, e.adjusts) for e in _entries(payload, "entries")}
    return [e for e in _entries(payload, "previous") if (e.key, e.adjusts) not in keep]


def _retry_after(exc: OneCError) -> timedelta | None:
    after = getattr(exc, "retry_after", None)
    return timedelta(seconds=float(after)) if after else None


def _settle_failure(
    session: Session, intent: OutboxIntent, worker: str, exc: OneCError, counts: Counter[str]
) -> None:
    if isinstance(exc, Retriable):
        state = fail_outbox(session, intent.id, worker, str(exc), retry_after=_retry_after(exc))
        counts["retrying" if state == "pending" else "parked"] += 1
        if state == "parked":
            park(session, FAILURE_KIND, intent.target_key, str(exc), {"intent": intent.id})
        return
    reason = f"closed_period: {exc}" if isinstance(exc, ClosedPeriod) else str(exc)
    fail_outbox(session, intent.id, worker, reason, max_attempts=0)
    park(session, FAILURE_KIND, intent.target_key, reason, {"intent": intent.id})
    counts["parked"] += 1


def _doc_ref(session: Session, employee: str, monday: date) -> str | None:
    return session.execute(
        select(Labour.onec_doc_ref)
        .where(
            Labour.key.startswith(f"odata_timesheet|{employee}|"),
            Labour.work_date.between(monday, monday + timedelta(days=6)),
            Labour.onec_doc_ref.is_not(None),
        )
        .limit(1)
    ).scalar_one_or_none()


def _deliver_week(runtime: Runtime, intent: OutboxIntent, worker: str, counts: Counter[str]) -> None:
    payload = intent.payload
    employee, monday = str(payload["employee"]), date.fromisoformat(str(payload["week_start"]))
    entries = _entries(payload, "entries")
    with runtime.sessions() as session:
        known = _doc_ref(session, employee, monday)
    try:
        outcome = WeekWriter(runtime.onec).write_week(employee, monday, week_rows(entries), known)
    except OneCError as exc:
        with runtime.sessions.begin() as session:
            _settle_failure(session, intent, worker, exc, counts)
        return
    with runtime.sessions.begin() as session:
        mark_written(session, "odata_timesheet", entries, _removed(payload), outcome.doc_ref)
        complete_outbox(session, intent.id, worker)
        clear_failure(session, FAILURE_KIND, intent.target_key)
    counts["delivered"] += 1
    counts["written" if outcome.written else "unchanged"] += 1
    counts["onec_requests"] += outcome.requests


def batch_id(intents: Sequence[OutboxIntent]) -> str:
    """The same intents always form the same batch id, so a replayed batch is a no-op in 1C."""
    text = "\n".join(sorted(f"{i.target_key}#{i.version}" for i in intents))
    return "tt-" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def _soap_rows(intent: OutboxIntent) -> list[LabourRow]:
    from connector.onec.soap import LabourRow

    rows: list[LabourRow] = []
    for e, minutes in [(e, e.minutes) for e in _entries(intent.payload, "entries")] + [
        (e, 0) for e in _removed(intent.payload)
    ]:
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
    for start in range(0, len(intents), SOAP_BATCH):
        chunk = intents[start : start + SOAP_BATCH]
        rows_of = {i.id: _soap_rows(i) for i in chunk}
        rows = [r for i in chunk for r in rows_of[i.id]]
        try:
            results = runtime.soap.put_labour(batch_id(chunk), rows)
            counts["onec_requests"] += 1
        except OneCError as exc:
            with runtime.sessions.begin() as session:
                for i in chunk:
                    _settle_failure(session, i, worker, exc, counts)
            continue
        verdict = {r.row_key: r for r in results}
        with runtime.sessions.begin() as session:
            for i in chunk:
                rejected = [
                    verdict[r.row_key]
                    for r in rows_of[i.id]
                    if r.row_key in verdict and verdict[r.row_key].rejected
                ]
                if rejected:
                    reason = "; ".join(f"{r.row_key}: {r.message}" for r in rejected)
                    fail_outbox(session, i.id, worker, reason, max_attempts=0)
                    park(session, FAILURE_KIND, i.target_key, reason, {"intent": i.id})
                    counts["parked"] += 1
                    continue
                mark_written(session, "soap", _entries(i.payload, "entries"), _removed(i.payload))
                complete_outbox(session, i.id, worker)
                clear_failure(session, FAILURE_KIND, i.target_key)
                counts["delivered"] += 1
                counts["written"] += 1


def deliver_pending(runtime: Runtime, worker_id: str, limit: int = 200) -> dict[str, int]:
    """Claim up to ``limit`` due labour intents and deliver them; returns counters
    (``claimed``, ``delivered``, ``written``, ``unchanged``, ``retrying``, ``parked``, ``onec_requests``)."""
    counts: Counter[str] = Counter()
    with runtime.sessions.begin() as session:
        claimed = claim_outbox(session, worker_id, limit, prefix=OUTBOX_PREFIX)
        session.expunge_all()
    labour = [i for i in claimed if i.target_key.startswith(OUTBOX_PREFIX)]
    counts["claimed"] = len(labour)
    soap = []
    for intent in labour:
        if intent.payload.get("channel") == "soap":
            soap.append(intent)
        else:
            _deliver_week(runtime, intent, worker_id, counts)
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
