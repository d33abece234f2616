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

import json
import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from connector.mapping.schema import ChangeDetection, Mapping, parse_duration
from connector.onec.changes import DataVersionScan, DateCursorFeed, ExchangePlanFeed
from connector.onec.client import ODataClient
from connector.onec.errors import OneCError
from connector.onec.query import F, guid
from connector.runtime import Runtime
from connector.store.history import clear_failure, record_failure
from connector.store.links import get_cursor, set_cursor
from connector.store.models import Failure
from connector.sync.directory import UserDirectory
from connector.sync.inbound_apply import CodeChanged, LinkWriter, static_ref
from connector.sync.inbound_directory import load_directory, persist_directory
from connector.sync.inbound_read import AnyRef, MappingFilter, read_refs
from connector.sync.model import TaskAction, TaskSpec
from connector.sync.runs import ItemNote, RunRecorder
from connector.sync.transform import closed, static_specs, transform

log = logging.getLogger("connector.sync.inbound")

CHANGE_OUTCOMES = ("created", "updated", "closed", "reopened")
_OUTCOME = {"create": "created", "update": "updated", "close": "closed", "reopen": "reopened"}
FAILURE_KIND = "inbound"


class InboundError(ValueError):
    """A run cannot start (unknown mapping, bad refs, change detection not configured)."""


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


@dataclass
class _Run:
    session: Session
    rec: RunRecorder
    dry_run: bool
    directory: UserDirectory | None = None
    failures: set[str] = field(default_factory=set)
    failed_items: int = 0
    published: list[TaskSpec] = field(default_factory=list)
    writers: list[LinkWriter] = field(default_factory=list)


class InboundEngine:
    """Runs of the inbound flow over one :class:`Runtime` (keep one per process: it caches the
    exchange-plan node lookup). ``before_commit`` is a test hook called before each commit."""

    def __init__(self, runtime: Runtime, *, read_batch: int = 40, park_after: int = 5) -> None:
        self.runtime = runtime
        self.read_batch = read_batch
        self.park_after = park_after
        self.before_commit: Callable[[], None] | None = None
        self._feeds: dict[str, ExchangePlanFeed] = {}
        self._publish_off = False

    @property
    def client(self) -> ODataClient:
        return self.runtime.onec

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
        with self.runtime.sessions() as session:
            run = _Run(session, rec, dry_run)
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
        self._publish(run)
        return self._result(rec, trigger, mapping_name, status, None)

    def _dispatch(
        self,
        run: _Run,
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
            self._exchange_plan(run, [m for m in targets if _detects(m, "exchange_plan")] or targets)
            return
        for m in targets:
            kind = trigger
            if trigger == "schedule":
                kind = _scheduled_kind(m)
            if m.source is None or kind not in ("scan", "date_cursor", "exchange_plan"):
                self._full(run, m)
            elif kind == "scan":
                self._scan(run, m)
            elif kind == "date_cursor":
                self._date_cursor(run, m)
            else:
                self._exchange_plan(run, [m])

    # ---------------------------------------------------------------------------- detections

    def _full(self, run: _Run, m: Mapping) -> None:
        """Read the whole filtered set in pages, apply, then close links of objects that left it."""
        if m.static_tasks:
            self._static(run, m)
        if m.source is None:
            return
        writer = self._writer(run, m)
        seen: set[str] = set()
        skipped = self._skipped_versions(run.session, m)
        for page in _pages(self._read_all(m), self.client.page_size):
            self._apply_objects(run, m, writer, page, skipped)
            seen.update(str(o["Ref_Key"]) for o in page)
            run.rec.flush(run.session)
            self._commit(run)
            writer.forget()
        for ref in writer.open_refs():
            if ref not in seen:
                self._gone(run, m, writer, ref, "object_gone")
        for ref in [r for r in skipped if r not in seen]:
            del skipped[ref]
        self._save_skipped(run, m, skipped)
        run.rec.flush(run.session)

    def _scan(self, run: _Run, m: Mapping) -> None:
        """DataVersion scan: refs + versions only; changed objects are re-read, vanished ones closed."""
        assert m.source is not None
        writer = self._writer(run, m)
        skipped = self._skipped_versions(run.session, m)
        state = {**skipped, **writer.known_versions()}
        flt = MappingFilter.of(m)
        batch = DataVersionScan(self.client, m.source.entity_set, filter=flt).changes(state)
        run.rec.count("detected", len(batch.items))
        self._apply_changes(run, m, writer, [(c.ref, c.deleted) for c in batch.items], skipped)
        self._save_skipped(run, m, skipped)

    def _date_cursor(self, run: _Run, m: Mapping) -> None:
        assert m.source is not None
        det = next(d for d in m.source.change_detection if d.kind == "date_cursor")
        stream = f"inbound.date_cursor:{m.name}"
        raw = get_cursor(run.session, stream)
        state = datetime.fromisoformat(raw) if raw else None
        from datetime import timedelta

        feed = DateCursorFeed(
            self.client,
            m.source.entity_set,
            date_field=det.field or "Date",
            overlap=timedelta(seconds=parse_duration(det.overlap)),
            filter=MappingFilter.of(m),
        )
        batch = feed.changes(state)
        run.rec.count("detected", len(batch.items))
        writer = self._writer(run, m)
        skipped = self._skipped_versions(run.session, m)
        self._apply_changes(run, m, writer, [(c.ref, False) for c in batch.items], skipped)
        self._save_skipped(run, m, skipped)
        if not run.dry_run and batch.new_state is not None:
            set_cursor(run.session, stream, batch.new_state.isoformat())

    def _exchange_plan(self, run: _Run, mappings: list[Mapping]) -> None:
        """Changes registered on the connector's node; acknowledged only after the commit."""
        node = self.runtime.settings.onec_exchange_node
        if not node:
            raise InboundError("exchange-plan detection needs ONEC_BRIDGE_ONEC_EXCHANGE_NODE (the node code)")
        feed = self._feeds.get(node)
        if feed is None:
            feed = self._feeds[node] = ExchangePlanFeed(self.client, node)
        stream = f"inbound.exchange_plan:{node}"
        state = int(get_cursor(run.session, stream) or 0)
        batch = feed.changes(state)
        run.rec.count("detected", len(batch.items))
        readers = [m for m in self.runtime.mappings if m.source is not None and _detects(m, "exchange_plan")]
        readers = readers or [m for m in mappings if m.source is not None]
        by_set: dict[str, list[tuple[str, bool]]] = {}
        for change in batch.items:
            by_set.setdefault(change.entity_set, []).append((change.ref, change.deleted))
        for entity_set, changes in by_set.items():
            interested = [m for m in readers if m.source is not None and m.source.entity_set == entity_set]
            if not interested:
                run.rec.count("ignored_type", len(changes))
            for m in interested:
                writer = self._writer(run, m)
                skipped = self._skipped_versions(run.session, m)
                self._apply_changes(run, m, writer, changes, skipped)
                self._save_skipped(run, m, skipped)
        if run.dry_run or not batch.items:
            return
        set_cursor(run.session, stream, str(batch.new_state))
        run.rec.flush(run.session, "ok" if not run.failed_items else "partial")
        self._commit(run)
        if batch.ack is not None:
            batch.ack()
        run.rec.count("acknowledged", len(batch.items))

    def _sync_refs(self, run: _Run, m: Mapping, refs: list[str]) -> None:
        writer = self._writer(run, m)
        skipped = self._skipped_versions(run.session, m)
        self._apply_changes(run, m, writer, [(r, False) for r in refs], skipped)
        self._save_skipped(run, m, skipped)

    def _sync_range(self, run: _Run, m: Mapping, since: datetime | None, until: datetime | None) -> None:
        assert m.source is not None
        det = next((d for d in m.source.change_detection if d.kind == "date_cursor"), None)
        date_field = (det.field if det else None) or "Date"
        flt = MappingFilter.of(m)
        for bound in (
            (F(date_field) >= since) if since else None,
            (F(date_field) <= until) if until else None,
        ):
            if bound is not None:
                flt = bound if flt is None else flt & bound
        writer = self._writer(run, m)
        skipped = self._skipped_versions(run.session, m)
        rows = self.client.iter_entities(
            m.source.entity_set, filter=flt, select=_select(m), expand=m.source.expand
        )
        for page in _pages(rows, self.client.page_size):
            self._apply_objects(run, m, writer, page, skipped)
            self._save_skipped(run, m, skipped)
            run.rec.flush(run.session)
            self._commit(run)
            writer.forget()

    # ---------------------------------------------------------------------------- applying

    def _apply_changes(
        self,
        run: _Run,
        m: Mapping,
        writer: LinkWriter,
        changes: Sequence[tuple[str, bool]],
        skipped: dict[str, str],
    ) -> None:
        """Re-read changed refs through OData in batches; tombstones and vanished objects close."""
        assert m.source is not None
        alive: list[str] = []
        for ref, deleted in dict.fromkeys(changes):
            if deleted:
                skipped.pop(ref, None)
                self._gone(run, m, writer, ref, "object_deleted")
            else:
                alive.append(ref)
        alive = list(dict.fromkeys(alive))
        for i in range(0, len(alive), self.read_batch):
            chunk = alive[i : i + self.read_batch]
            found, filtered, missing = read_refs(
                self.client, m.source.entity_set, chunk, MappingFilter.of(m), _select(m), m.source.expand
            )
            writer.prefetch(chunk)
            self._apply_objects(run, m, writer, found, skipped)
            for ref in filtered:
                skipped.pop(ref, None)
                self._gone(run, m, writer, ref, "out_of_scope", skip_reason="filtered_out")
            for ref in missing:
                skipped.pop(ref, None)
                self._gone(run, m, writer, ref, "object_deleted", skip_reason="not_found")

    def _apply_objects(
        self,
        run: _Run,
        m: Mapping,
        writer: LinkWriter,
        objects: Sequence[dict[str, Any]],
        skipped: dict[str, str],
    ) -> None:
        if not objects:
            return
        directory = self._directory(run)
        refs = [str(o.get("Ref_Key")) for o in objects]
        writer.prefetch(refs)
        results = [transform(m, o, directory) for o in objects]
        writer.prefetch_codes([t.spec.code for t in results if t.spec is not None])
        for obj, t in zip(objects, results, strict=True):
            dv = obj.get("DataVersion")
            key = f"{m.name}:{t.ref}"
            if t.skip is not None or t.spec is None:
                self._fail(run, key, t.ref, t.skip or "template_error", t.detail, skipped, dv)
                continue
            spec = t.spec
            if t.ignored:
                if writer.link(t.ref) is None:
                    run.rec.note(t.ref, "skipped", "filtered_out", spec.code)
                    skipped[t.ref] = dv or ""
                    continue
                spec = closed(spec)
            unmapped = [_unmapped(ref, directory) for ref in t.unmapped]
            try:
                action = writer.apply(spec, t.ref, dv, unmapped)
            except CodeChanged as exc:
                self._fail(run, key, t.ref, "code_conflict", str(exc), skipped, dv)
                continue
            self._noted(run, t.ref, action)
            if action.kind == "unchanged" and writer.link(t.ref) is None:
                skipped[t.ref] = dv or ""
            else:
                skipped.pop(t.ref, None)
            if unmapped:
                run.rec.note(t.ref, "warning", "unmapped_assignee", ", ".join(u["ref"] for u in unmapped))
            if key in run.failures and not run.dry_run:
                clear_failure(run.session, FAILURE_KIND, key)
                run.failures.discard(key)

    def _gone(
        self, run: _Run, m: Mapping, writer: LinkWriter, ref: str, reason: str, skip_reason: str | None = None
    ) -> None:
        action = writer.close_gone(ref, reason)
        if action is None:
            run.rec.note(ref, "skipped", skip_reason or reason)
        else:
            self._noted(run, ref, action)

    def _static(self, run: _Run, m: Mapping) -> None:
        result = static_specs(m, self._directory(run))
        writer = self._writer(run, m)
        for dep in result.missing_departments:
            run.rec.note(dep, "warning", "unknown_department")
        unmapped = [_unmapped(ref, self._directory(run)) for ref in result.unmapped]
        for spec in result.specs:
            ref = static_ref(m.name, spec.code)
            action = writer.apply(spec, ref, None, unmapped)
            self._noted(run, spec.code, action)
        for item in unmapped:
            run.rec.note(item["ref"], "warning", "unmapped_assignee", item["name"])

    def _noted(self, run: _Run, ref: str, action: TaskAction) -> None:
        if action.kind == "unchanged":
            run.rec.note(ref, "unchanged", action.reason)
            return
        run.rec.note(ref, _OUTCOME[action.kind], action.reason, action.code)
        if action.spec is not None:
            run.published.append(action.spec)

    def _fail(
        self, run: _Run, key: str, ref: str, reason: str, detail: str, skipped: dict[str, str], dv: Any
    ) -> None:
        run.rec.note(ref, "skipped", reason, detail)
        run.failed_items += 1
        if run.dry_run:
            return
        failure = record_failure(
            run.session, FAILURE_KIND, key, f"{reason}: {detail}", {"ref": ref}, park_after=self.park_after
        )
        run.failures.add(key)
        if failure.parked:
            skipped[ref] = str(dv or "")
            run.rec.count("parked")

    # ---------------------------------------------------------------------------- helpers

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

    def _directory(self, run: _Run) -> UserDirectory:
        if run.directory is None:
            run.directory = load_directory(self.client)
            if not run.dry_run:
                persist_directory(run.session, run.directory)
        return run.directory

    def _read_all(self, m: Mapping) -> Iterator[dict[str, Any]]:
        assert m.source is not None
        return self.client.iter_entities(
            m.source.entity_set, filter=MappingFilter.of(m), select=_select(m), expand=m.source.expand
        )

    @staticmethod
    def _known_failures(session: Session) -> set[str]:
        from sqlalchemy import select

        return set(session.execute(select(Failure.key).where(Failure.kind == FAILURE_KIND)).scalars())

    @staticmethod
    def _skipped_versions(session: Session, m: Mapping) -> dict[str, str]:
        raw = get_cursor(session, f"inbound.skipped:{m.name}")
        return dict(json.loads(raw)) if raw else {}

    @staticmethod
    def _save_skipped(run: _Run, m: Mapping, skipped: dict[str, str]) -> None:
        if run.dry_run:
            return
        stream = f"inbound.skipped:{m.name}"
        text = json.dumps(skipped, sort_keys=True, separators=(",", ":"))
        if get_cursor(run.session, stream) != text:
            set_cursor(run.session, stream, text)

    @staticmethod
    def _writer(run: _Run, m: Mapping) -> LinkWriter:
        writer = LinkWriter(run.session, m.name, dry_run=run.dry_run)
        run.writers.append(writer)
        return writer

    def _commit(self, run: _Run) -> None:
        if run.dry_run:
            run.session.rollback()
            return
        for writer in run.writers:
            writer.flush()
        if self.before_commit is not None:
            self.before_commit()
        run.session.commit()

    def _publish(self, run: _Run) -> None:
        """Push changed tasks to trackers whose API accepts them (Bitcop does not: feed only)."""
        if run.dry_run or not run.published or self._publish_off:
            return
        try:
            tracker = self.runtime.tracker
            if not tracker.capabilities.publish_tasks:
                return
            from connector.tracker.base import TaskPublication

            tracker.publish_tasks(
                [
                    TaskPublication(
                        code=s.code,
                        title=s.title,
                        description=s.description,
                        assignee_emails=tuple(a.email for a in s.assignees),
                        open=s.status == "open",
                    )
                    for s in run.published
                ]
            )
        except Exception as exc:  # the feed already has the tasks; a push failure is reported only
            log.warning("publishing tasks to the tracker failed (the feed still serves them): %s", exc)
            self._publish_off = "API key is empty" in str(exc)

    @staticmethod
    def _result(
        rec: RunRecorder, trigger: str, mapping: str | None, status: str, error: str | None
    ) -> RunResult:
        return RunResult(
            rec.run_id, trigger, mapping, rec.dry_run, status, rec.summary(), list(rec.notes), error
        )


def _detects(m: Mapping, kind: str) -> bool:
    return m.source is not None and any(d.kind == kind for d in m.source.change_detection)


def _scheduled_kind(m: Mapping) -> str:
    if m.source is None:
        return "full"
    scheduled: list[ChangeDetection] = [d for d in m.source.change_detection if d.kind != "webhook"]
    return scheduled[0].kind if scheduled else "scan"


def _select(m: Mapping) -> list[str]:
    """``$select`` of the mapping plus its expanded navigation properties (1C drops them otherwise)."""
    assert m.source is not None
    if not m.source.select:
        return []
    return list(dict.fromkeys([*m.source.select, *m.source.expand]))


def _unmapped(ref: str, directory: UserDirectory) -> dict[str, Any]:
    user = directory.get(ref)
    if user is not None:
        return {"ref": ref, "name": user.name, "reason": "no_email"}
    return {"ref": ref, "name": "", "reason": directory.excluded.get(ref, "unknown_user")}


def _pages(rows: Iterable[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    page: list[dict[str, Any]] = []
    for row in rows:
        page.append(row)
        if len(page) >= size:
            yield page
            page = []
    if page:
        yield page


__all__ = ["AnyRef", "InboundEngine", "InboundError", "OneCError", "RunResult"]
