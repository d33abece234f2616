"""Recording delivery outcomes in the store, many intents per transaction.

A delivery worker writes to 1C intent after intent; recording each outcome in its own
transaction cost more than the write itself. ``Settlement`` collects outcomes and ``flush``
records them together: labour rows marked written (one read per 500 keys), intents completed by
one UPDATE, failures of delivered targets cleared by one DELETE, failed intents retried or
parked. Collecting before committing is safe: an outcome lost with a crash leaves its intent
claimed, it is delivered again after the lease, and both channels write by deterministic keys
(the week's document is looked up when no reference is stored).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from connector.onec.errors import ClosedPeriod, OneCError, Retriable
from connector.store.history import park
from connector.store.models import Failure, Labour, OutboxIntent
from connector.store.queues import fail_outbox
from connector.sync.core.model import Channel, WrittenLabour
from connector.sync.labour.state import labour_key

FAILURE_KIND = "labour"
CHUNK = 500


def _chunks(items: Sequence[str], size: int = CHUNK) -> Iterable[Sequence[str]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _retry_after(exc: OneCError) -> timedelta | None:
    after = getattr(exc, "retry_after", None)
    return timedelta(seconds=float(after)) if after else None


@dataclass
class Settlement:
    """Outcomes of one worker's deliveries, waiting to be recorded by ``flush``."""

    worker: str
    counts: Counter[str]
    _written: dict[str, tuple[int, str | None]] = field(default_factory=dict)
    _done: list[OutboxIntent] = field(default_factory=list)
    _failed: list[tuple[OutboxIntent, OneCError]] = field(default_factory=list)
    _rejected: list[tuple[OutboxIntent, str]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self._done) + len(self._failed) + len(self._rejected)

    def delivered(
        self,
        intent: OutboxIntent,
        channel: Channel,
        entries: Iterable[WrittenLabour],
        removed: Iterable[WrittenLabour],
        doc_ref: str | None = None,
    ) -> None:
        """1C confirmed the intent: ``entries`` hold their minutes, ``removed`` hold nothing."""
        for e in removed:
            self._written.setdefault(labour_key(channel, e), (0, doc_ref))
        for e in entries:
            self._written[labour_key(channel, e)] = (e.minutes, doc_ref)
        self._done.append(intent)
        self.counts["delivered"] += 1

    def failed(self, intent: OutboxIntent, exc: OneCError) -> None:
        """A transient error is retried with backoff; anything else is parked with 1C's message."""
        self._failed.append((intent, exc))

    def rejected(self, intent: OutboxIntent, reason: str) -> None:
        """1C refused part of the intent (e.g. a SOAP row): parked, nothing retries it by itself."""
        self._rejected.append((intent, reason))

    def flush(self, session: Session) -> None:
        """Record everything collected in ``session`` (the caller commits) and start afresh."""
        self._mark_written(session)
        ids = [i.id for i in self._done]
        for chunk in range(0, len(ids), CHUNK):
            session.execute(
                update(OutboxIntent)
                .where(
                    OutboxIntent.id.in_(ids[chunk : chunk + CHUNK]),
                    OutboxIntent.state == "claimed",
                    OutboxIntent.claimed_by == self.worker,
                )
                .values(state="done", last_error=None)
                .execution_options(synchronize_session=False)
            )
        for keys in _chunks(sorted({i.target_key for i in self._done})):
            session.execute(delete(Failure).where(Failure.kind == FAILURE_KIND, Failure.key.in_(keys)))
        for intent, exc in self._failed:
            self._settle_failure(session, intent, exc)
        for intent, reason in self._rejected:
            fail_outbox(session, intent.id, self.worker, reason, max_attempts=0)
            park(session, FAILURE_KIND, intent.target_key, reason, {"intent": intent.id})
            self.counts["parked"] += 1
        self._written.clear()
        self._done.clear()
        self._failed.clear()
        self._rejected.clear()
        session.flush()

    def _mark_written(self, session: Session) -> None:
        changes: list[dict[str, object]] = []
        for keys in _chunks(sorted(self._written)):
            rows = session.execute(select(Labour.id, Labour.key, Labour.minutes).where(Labour.key.in_(keys)))
            for row_id, key, desired in rows:
                minutes, doc_ref = self._written[key]
                change: dict[str, object] = {
                    "id": row_id,
                    "written_minutes": minutes,
                    "state": "written" if desired == minutes else "pending",
                }
                if doc_ref is not None:
                    change["onec_doc_ref"] = doc_ref
                changes.append(change)
        with_ref = [c for c in changes if "onec_doc_ref" in c]
        without = [c for c in changes if "onec_doc_ref" not in c]
        for group in (with_ref, without):
            if group:
                session.execute(update(Labour), group)

    def _settle_failure(self, session: Session, intent: OutboxIntent, exc: OneCError) -> None:
        if isinstance(exc, Retriable):
            state = fail_outbox(session, intent.id, self.worker, str(exc), retry_after=_retry_after(exc))
            self.counts["retrying" if state == "pending" else "parked"] += 1
            if state == "parked":
                park(session, FAILURE_KIND, intent.target_key, str(exc), {"intent": intent.id})
            return
        reason = f"closed_period: {exc}" if isinstance(exc, ClosedPeriod) else str(exc)
        fail_outbox(session, intent.id, self.worker, reason, max_attempts=0)
        park(session, FAILURE_KIND, intent.target_key, reason, {"intent": intent.id})
        self.counts["parked"] += 1
