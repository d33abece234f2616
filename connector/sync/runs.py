"""Run recording shared by the engines: one run per trigger, counters per outcome and per reason.

A run's counters answer "what happened" at a glance (``created: 12``, ``skipped: 3``,
``skipped:unmapped_assignee: 2``); run items keep the noteworthy cases (everything except plain
``unchanged``) with their reason, so an operator can find the object behind a number. Item rows
are capped per run (``max_items``) so a 20,000-object sync cannot flood the history; counters are
never capped. In dry-run mode nothing is written: the recorder only tallies.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from connector.store.history import finish_run, heartbeat, start_run
from connector.store.models import Run, RunItem

QUIET_OUTCOMES = frozenset({"unchanged"})


@dataclass
class ItemNote:
    """One noteworthy item of a run (kept in memory for the caller's report)."""

    ref: str
    outcome: str
    reason: str | None = None
    detail: str | None = None


@dataclass
class RunRecorder:
    """Counts outcomes of one run and writes them to ``runs``/``run_items`` on ``flush``.

    The caller decides the transaction: ``flush(session)`` adds pending items and the counters to
    the session, so they commit together with the work they describe (links, cursors).
    """

    kind: str
    trigger: str
    mapping: str | None = None
    dry_run: bool = False
    max_items: int = 1000
    counters: Counter[str] = field(default_factory=Counter)
    notes: list[ItemNote] = field(default_factory=list)
    run_id: int | None = None
    _pending: list[ItemNote] = field(default_factory=list)
    _kept: int = 0

    def note(self, ref: str, outcome: str, reason: str | None = None, detail: str | None = None) -> None:
        """Count one item under ``outcome`` and ``outcome:reason``; keep it unless it is quiet."""
        self.counters[outcome] += 1
        if reason:
            self.counters[f"{outcome}:{reason}"] += 1
        if outcome in QUIET_OUTCOMES:
            return
        if self._kept >= self.max_items:
            self.counters["items_not_kept"] += 1
            return
        self._kept += 1
        item = ItemNote(ref, outcome, reason, (detail or None) and str(detail)[:2000])
        self.notes.append(item)
        self._pending.append(item)

    def count(self, name: str, n: int = 1) -> None:
        """A counter that is not tied to one item (e.g. ``onec_requests``)."""
        self.counters[name] += n

    def start(self, session: Session) -> int | None:
        """Open the run record (``running``) so operators see work in progress."""
        if self.dry_run:
            return None
        run = start_run(session, self.kind, self.trigger, self.mapping)
        self.run_id = run.id
        return run.id

    def flush(self, session: Session, status: str | None = None) -> None:
        """Write pending items and the current counters; with ``status`` the run is finished."""
        if self.dry_run:
            return
        if self.run_id is None:
            self.start(session)
        run = session.get(Run, self.run_id)
        assert run is not None
        if self._pending:
            rows = [
                {"run_id": run.id, "ref": i.ref, "outcome": i.outcome, "reason": i.reason, "detail": i.detail}
                for i in self._pending
            ]
            session.execute(insert(RunItem), rows)
        self._pending.clear()
        run.counters = dict(self.counters)
        heartbeat(run)
        if status is not None:
            finish_run(session, run, status)
        else:
            session.flush()

    def summary(self) -> dict[str, Any]:
        """Counters as a plain dict (what the API and the CLI print)."""
        return dict(sorted(self.counters.items()))
