"""The inbox worker: webhook hints and operators' resync requests, processed off the request path.

Webhook events are hints: the worker groups claimed events by type and re-reads the objects
through OData (one request per batch of refs), never trusting the body. A run that fails (1C
unreachable) puts its events back with a backoff; they are parked after ``max_attempts``.

Resync requests share the inbox under the synthetic type ``_resync``: the row is unique on
(type, request hash, ``pending``), so identical requests waiting together coalesce into one;
once processed its DataVersion becomes ``done:<id>`` so a later identical request is new work.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select, update

from connector.runtime import Runtime
from connector.store.models import InboxEvent
from connector.store.queues import claim_inbox, complete_inbox, fail_inbox, inbox_add
from connector.sync.inbound.engine import InboundEngine, InboundError, RunResult

log = logging.getLogger("connector.sync.inbox")

RESYNC_TYPE = "_resync"
PENDING = "pending"


@dataclass
class InboxReport:
    """What one pass over the inbox did."""

    claimed: int = 0
    done: int = 0
    retried: int = 0
    runs: list[RunResult] = field(default_factory=list)


def resync_key(request: dict[str, Any]) -> str:
    """A stable 32-hex key of a resync request (the same request → the same key)."""
    canonical = json.dumps(request, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:32]


def enqueue_resync(runtime: Runtime, request: dict[str, Any]) -> tuple[int, bool]:
    """Queue a resync request; ``(request id, coalesced)`` — coalesced when an identical one waits."""
    key = resync_key(request)
    with runtime.sessions() as session:
        created = inbox_add(session, RESYNC_TYPE, key, PENDING, request)
        row_id = session.execute(
            select(InboxEvent.id).where(
                InboxEvent.type == RESYNC_TYPE, InboxEvent.ref == key, InboxEvent.data_version == PENDING
            )
        ).scalar_one()
        session.commit()
    return int(row_id), not created


def process_inbox(
    runtime: Runtime, worker_id: str, limit: int = 200, *, engine: InboundEngine | None = None
) -> InboxReport:
    """Claim up to ``limit`` inbox rows and process them: webhook events by type (one run per
    type), resync requests one run each."""
    engine = engine or InboundEngine(runtime)
    report = InboxReport()
    with runtime.sessions() as session:
        events = claim_inbox(session, worker_id, limit)
        session.commit()
        claimed = [(e.id, e.type, e.ref, dict(e.payload or {})) for e in events]
    report.claimed = len(claimed)
    by_type: dict[str, list[tuple[int, str]]] = {}
    for event_id, type_, ref, payload in claimed:
        if type_ == RESYNC_TYPE:
            _finish(runtime, worker_id, [event_id], _resync(engine, payload), report, resync=True)
        else:
            by_type.setdefault(type_, []).append((event_id, ref))
    for type_, items in by_type.items():
        refs = list(dict.fromkeys(ref for _, ref in items))
        result = engine.run(None, trigger="webhook", refs=refs, entity_set=type_)
        _finish(runtime, worker_id, [i for i, _ in items], result, report)
    return report


def process_resync_requests(runtime: Runtime, worker_id: str = "resync", limit: int = 20) -> InboxReport:
    """Process queued resync requests (and any webhook events claimed with them)."""
    return process_inbox(runtime, worker_id, limit)


def _resync(engine: InboundEngine, request: dict[str, Any]) -> RunResult:
    since = datetime.fromisoformat(request["since"]) if request.get("since") else None
    until = datetime.fromisoformat(request["until"]) if request.get("until") else None
    try:
        return engine.run(
            request.get("mapping"), trigger="resync", refs=request.get("refs"), since=since, until=until
        )
    except InboundError as exc:  # e.g. the mapping was removed after the request was queued
        return RunResult(None, "resync", request.get("mapping"), False, "rejected", {}, [], str(exc))


def _finish(
    runtime: Runtime,
    worker: str,
    ids: list[int],
    result: RunResult,
    report: InboxReport,
    resync: bool = False,
) -> None:
    report.runs.append(result)
    with runtime.sessions() as session:
        for event_id in ids:
            if result.status == "failed":
                fail_inbox(session, event_id, worker, result.error or "run failed")
                report.retried += 1
                continue
            if resync:
                session.execute(
                    update(InboxEvent)
                    .where(InboxEvent.id == event_id)
                    .values(data_version=f"done:{event_id}", payload={"run_id": result.run_id})
                )
            complete_inbox(session, event_id, worker)
            report.done += 1
        session.commit()


class InboxWorker:
    """A background thread draining the inbox; ``wake()`` (called by the webhook route) makes it
    look at once instead of waiting for ``interval``."""

    def __init__(self, runtime: Runtime, worker_id: str = "inbox", interval: float = 1.0) -> None:
        self.runtime = runtime
        self.worker_id = worker_id
        self.interval = interval
        self.engine = InboundEngine(runtime)
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.on_pass: Callable[[InboxReport], None] | None = None

    def wake(self) -> None:
        self._wake.set()

    def start(self) -> InboxWorker:
        self._thread = threading.Thread(target=self._loop, name=f"inbox-{self.worker_id}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(30)

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()
            try:
                report = process_inbox(self.runtime, self.worker_id, engine=self.engine)
            except Exception as exc:  # keep the worker alive; the rows stay claimable after the lease
                log.warning("inbox pass failed: %s", exc)
                report = InboxReport()
            if self.on_pass is not None:
                self.on_pass(report)
            if report.claimed == 0:
                self._wake.wait(self.interval)
