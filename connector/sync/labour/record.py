"""The labour run's record: counters per outcome and reason, a capped list of noteworthy items.

Counters are never capped; item rows are (``max_items``) so a large sync cannot flood the
history. Written through ``store.history`` in the caller's transaction.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from connector.store.history import finish_run, heartbeat, start_run
from connector.store.models import Run, RunItem


@dataclass
class LabourRecord:
    trigger: str
    mapping: str | None = None
    dry_run: bool = False
    max_items: int = 500
    counters: Counter[str] = field(default_factory=Counter)
    run_id: int | None = None
    _items: list[RunItem] = field(default_factory=list)
    _kept: int = 0

    def note(self, ref: str, outcome: str, reason: str | None = None, detail: str | None = None) -> None:
        """Count one item under ``outcome`` and ``outcome:reason`` and keep it (up to the cap)."""
        self.counters[outcome] += 1
        if reason:
            self.counters[f"{outcome}:{reason}"] += 1
        if self._kept >= self.max_items:
            self.counters["items_not_kept"] += 1
            return
        self._kept += 1
        self._items.append(RunItem(ref=ref[:200], outcome=outcome, reason=reason, detail=detail))

    def count(self, name: str, n: int = 1) -> None:
        self.counters[name] += n

    def start(self, session: Session) -> None:
        if not self.dry_run:
            self.run_id = start_run(session, "labour", self.trigger, self.mapping).id

    def flush(self, session: Session, status: str | None = None) -> None:
        """Write pending items and counters (and with ``status`` finish the run)."""
        if self.dry_run or self.run_id is None:
            return
        run = session.get(Run, self.run_id)
        assert run is not None
        for item in self._items:
            item.run_id = run.id
            session.add(item)
        self._items.clear()
        run.counters = dict(self.counters)
        heartbeat(run)
        if status is not None:
            finish_run(session, run, status)
        session.flush()

    def summary(self) -> dict[str, int]:
        return dict(sorted(self.counters.items()))
