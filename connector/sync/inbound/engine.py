"""The inbound engine: 1C interests, projects and stages become assignable tasks.

``InboundEngine(runtime).run(mapping, trigger=…)`` is one run: it detects what changed (exchange
plan → given refs → DataVersion scan → date cursor, or a full read), reads the changed objects in
pages with the mapping's ``$select``/``$expand`` (never one request per object on a full sync),
transforms them (pure), diffs them against the stored links and writes the links. Links, run
counters and the cursor they cover commit in one transaction; the exchange plan is acknowledged
only after that commit, so a crash before it means redelivery, never loss.

One bad object never stops a run: it is counted under a named reason, written to ``failures``
(parked after ``park_after`` attempts) and the rest proceed. ``dry_run`` runs the same code with
writes off and reports what would change.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from connector.mapping.schema import Mapping
from connector.onec.errors import OneCError
from connector.onec.query import guid
from connector.runtime import Runtime
from connector.sync.gctuning import fewer_collections
from connector.sync.inbound.detect import ChangeDetector, detects, scheduled_kind
from connector.sync.inbound.items import FAILURE_KIND, InboundError, RunState
from connector.sync.inbound.read import AnyRef
from connector.sync.runs import ItemNote, RunRecorder

log = logging.getLogger("connector.sync.inbound.engine")

CHANGE_OUTCOMES = ("created", "updated", "closed", "reopened")


@dataclass
class RunResult:
    """What one run did (or, in dry-run mode, would do)."""

    run_id: int | None
    trigger: str
    mapping: str | None
    dry_run: bool
    status: str
    counters: dict[str, int]
    items: list[ItemNote] = field(default_factory=list)
    error: str | None = None

    @property
    def changed(self) -> int:
        """Tasks created, updated, closed or reopened."""
        return sum(self.counters.get(k, 0) for k in CHANGE_OUTCOMES)


class InboundEngine(ChangeDetector):
    """Runs of the inbound flow over one :class:`Runtime` (keep one per process: it caches the
    exchange-plan node lookup). ``before_commit`` is a test hook called before each commit."""

    def __init__(self, runtime: Runtime, *, read_batch: int = 40, park_after: int = 5) -> None:
        super().__init__(runtime, read_batch=read_batch, park_after=park_after)

    # ---------------------------------------------------------------------------- entry point

    def run(
        self,
        mapping_name: str | None = None,
        *,
        trigger: str = "manual",
        refs: Sequence[str] | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        dry_run: bool = False,
        entity_set: str | None = None,
    ) -> RunResult:
        """One run. ``refs`` re-reads those objects; ``since``/``until`` a date range; otherwise
        ``trigger`` picks the detection: ``exchange_plan``, ``scan``, ``date_cursor``,
        ``schedule`` (the mapping's first scheduled detection) or anything else = full read.
        ``entity_set`` limits the run to mappings reading that set (webhook refs of one type)."""
        targets = self._targets(mapping_name)
        if entity_set is not None:
            targets = [m for m in targets if m.source is not None and m.source.entity_set == entity_set]
        clean_refs = [self._guid(r) for r in refs] if refs is not None else None
        rec = RunRecorder("inbound", trigger, mapping_name, dry_run=dry_run)
        with fewer_collections(), self.runtime.sessions() as session:
            run = RunState(session, rec, dry_run)
            run.failures = self._known_failures(session)
            rec.start(session)
            self._commit(run)
            try:
                self._dispatch(run, targets, trigger, clean_refs, since, until)
                status = "partial" if run.failed_items else "ok"
                rec.flush(session, status)
                self._commit(run)
            except Exception as exc:  # a systemic failure (1C down, store error): record, do not raise
                session.rollback()
                log.warning("inbound run failed: %s", exc)
                rec.note(mapping_name or "*", "failed", type(exc).__name__, str(exc))
                rec.flush(session, "failed")
                session.commit()
                return self._result(rec, trigger, mapping_name, "failed", str(exc))
        return self._result(rec, trigger, mapping_name, status, None)

    def _dispatch(
        self,
        run: RunState,
        targets: list[Mapping],
        trigger: str,
        refs: list[str] | None,
        since: datetime | None,
        until: datetime | None,
    ) -> None:
        if refs is not None:
            for m in targets:
                if m.source is not None:
                    self._sync_refs(run, m, refs)
            return
        if since is not None or until is not None:
            for m in targets:
                if m.source is not None:
                    self._sync_range(run, m, since, until)
            return
        if trigger == "exchange_plan":
            self._exchange_plan(run, [m for m in targets if detects(m, "exchange_plan")] or targets)
            return
        for m in targets:
            kind = trigger
            if trigger == "schedule":
                kind = scheduled_kind(m)
            if m.source is None or kind not in ("scan", "date_cursor", "exchange_plan"):
                self._full(run, m)
            elif kind == "scan":
                self._scan(run, m)
            elif kind == "date_cursor":
                self._date_cursor(run, m)
            else:
                self._exchange_plan(run, [m])

    def _targets(self, name: str | None) -> list[Mapping]:
        if name is None:
            return list(self.runtime.mappings)
        try:
            return [self.runtime.mapping(name)]
        except KeyError as exc:
            raise InboundError(str(exc.args[0])) from None

    @staticmethod
    def _guid(ref: str) -> str:
        try:
            return guid(ref)
        except ValueError:
            raise InboundError(f"{ref!r} is not a 1C reference (a GUID)") from None

    @staticmethod
    def _result(
        rec: RunRecorder, trigger: str, mapping: str | None, status: str, error: str | None
    ) -> RunResult:
        return RunResult(
            rec.run_id, trigger, mapping, rec.dry_run, status, rec.summary(), list(rec.notes), error
        )


__all__ = ["FAILURE_KIND", "AnyRef", "InboundEngine", "InboundError", "OneCError", "RunResult"]
