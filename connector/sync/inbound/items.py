"""Applying objects of one inbound run: transform, diff, write links, count, park failures.

``ItemApplier`` holds what every detection shares: per-item isolation (a bad object is counted
under a named reason, written to ``failures`` and parked after ``park_after`` attempts; the rest
proceed), link writers whose buffered writes are flushed in bulk before each commit, the user
directory loaded once per run, and the skipped-versions memory that keeps the DataVersion scan
from re-reading objects that are known to give no task.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from connector.mapping.compiled import expand_select
from connector.mapping.schema import Mapping
from connector.onec.client import ODataClient
from connector.runtime import Runtime
from connector.store.history import clear_failure, record_failure
from connector.store.links import get_cursor, set_cursor
from connector.store.models import Failure
from connector.sync.core.directory import UserDirectory
from connector.sync.core.model import TaskAction
from connector.sync.core.transform import closed, static_specs, transform
from connector.sync.inbound.apply import CodeChanged, LinkWriter, static_ref
from connector.sync.inbound.read import KeptObjects, MappingFilter, read_refs
from connector.sync.people import load_directory, persist_directory
from connector.sync.runs import RunRecorder

FAILURE_KIND = "inbound"
_OUTCOME = {"create": "created", "update": "updated", "close": "closed", "reopen": "reopened"}


class InboundError(ValueError):
    """A run cannot start (unknown mapping, bad refs, change detection not configured)."""


@dataclass
class RunState:
    """The state of one run: its transaction, recorder and what it learned so far. (Tasks reach
    a task-sink tracker through the task push, which reads the committed links.)"""

    session: Session
    rec: RunRecorder
    dry_run: bool
    directory: UserDirectory | None = None
    failures: set[str] = field(default_factory=set)
    failed_items: int = 0
    writers: list[LinkWriter] = field(default_factory=list)


class ItemApplier:
    """Per-object work shared by every detection. ``before_commit`` is a test hook called before
    each commit."""

    def __init__(self, runtime: Runtime, *, read_batch: int = 40, park_after: int = 5) -> None:
        self.runtime = runtime
        self.read_batch = read_batch
        self.park_after = park_after
        self.before_commit: Callable[[], None] | None = None
        self.kept = KeptObjects()

    @property
    def client(self) -> ODataClient:
        return self.runtime.onec

    def _apply_changes(
        self,
        run: RunState,
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
                self.client,
                m.source.entity_set,
                chunk,
                MappingFilter.of(m),
                mapping_select(m),
                m.source.expand,
            )
            writer.prefetch(chunk)
            self._apply_objects(run, m, writer, found, skipped, remember=not self.kept.exact(m))
            for ref in filtered:
                skipped.pop(ref, None)
                self._gone(run, m, writer, ref, "out_of_scope", skip_reason="filtered_out")
            for ref in missing:
                skipped.pop(ref, None)
                self._gone(run, m, writer, ref, "object_deleted", skip_reason="not_found")

    def _apply_objects(
        self,
        run: RunState,
        m: Mapping,
        writer: LinkWriter,
        objects: Sequence[dict[str, Any]],
        skipped: dict[str, str],
        *,
        remember: bool = True,
    ) -> None:
        """Transform, diff and write ``objects``. ``remember``: note the versions of objects that
        give no task in ``skipped`` (so a scan does not re-read them); pointless when 1C filters
        the scan by the exact conditions, which such objects fail."""
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
                    if remember:
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
                if remember:
                    skipped[t.ref] = dv or ""
                else:
                    skipped.pop(t.ref, None)
            else:
                skipped.pop(t.ref, None)
            if unmapped:
                run.rec.note(t.ref, "warning", "unmapped_assignee", ", ".join(u["ref"] for u in unmapped))
            if key in run.failures and not run.dry_run:
                clear_failure(run.session, FAILURE_KIND, key)
                run.failures.discard(key)

    def _gone(
        self,
        run: RunState,
        m: Mapping,
        writer: LinkWriter,
        ref: str,
        reason: str,
        skip_reason: str | None = None,
    ) -> None:
        action = writer.close_gone(ref, reason)
        if action is None:
            run.rec.note(ref, "skipped", skip_reason or reason)
        else:
            self._noted(run, ref, action)

    def _static(self, run: RunState, m: Mapping) -> None:
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

    def _noted(self, run: RunState, ref: str, action: TaskAction) -> None:
        if action.kind == "unchanged":
            run.rec.note(ref, "unchanged", action.reason)
            return
        run.rec.note(ref, _OUTCOME[action.kind], action.reason, action.code)

    def _fail(
        self, run: RunState, key: str, ref: str, reason: str, detail: str, skipped: dict[str, str], dv: Any
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

    def _directory(self, run: RunState) -> UserDirectory:
        if run.directory is None:
            run.directory = load_directory(self.client)
            if not run.dry_run:
                persist_directory(run.session, run.directory)
        return run.directory

    @staticmethod
    def _known_failures(session: Session) -> set[str]:
        return set(session.execute(select(Failure.key).where(Failure.kind == FAILURE_KIND)).scalars())

    @staticmethod
    def _skipped_versions(session: Session, m: Mapping) -> dict[str, str]:
        raw = get_cursor(session, f"inbound.skipped:{m.name}")
        return dict(json.loads(raw)) if raw else {}

    @staticmethod
    def _save_skipped(run: RunState, m: Mapping, skipped: dict[str, str]) -> None:
        if run.dry_run:
            return
        stream = f"inbound.skipped:{m.name}"
        text = json.dumps(skipped, sort_keys=True, separators=(",", ":"))
        if get_cursor(run.session, stream) != text:
            set_cursor(run.session, stream, text)

    @staticmethod
    def _writer(run: RunState, m: Mapping) -> LinkWriter:
        writer = LinkWriter(run.session, m.name, dry_run=run.dry_run)
        run.writers.append(writer)
        return writer

    def _commit(self, run: RunState) -> None:
        if run.dry_run:
            run.session.rollback()
            return
        for writer in run.writers:
            writer.flush()
        if self.before_commit is not None:
            self.before_commit()
        run.session.commit()
        for writer in run.writers:  # what was read in a finished transaction is not trusted again
            writer.forget()


def _unmapped(ref: str, directory: UserDirectory) -> dict[str, Any]:
    user = directory.get(ref)
    if user is not None:
        return {"ref": ref, "name": user.name, "reason": "no_email"}
    return {"ref": ref, "name": "", "reason": directory.excluded.get(ref, "unknown_user")}


def mapping_select(m: Mapping) -> list[str]:
    """``$select`` of the mapping, each expanded reference narrowed to the fields the mapping
    reads (``Nav/Field``, see ``expand_select``) or, where that cannot be told, named whole
    (1C drops expanded references that ``$select`` does not name). ``[]`` (every field) when
    the mapping selects nothing."""
    assert m.source is not None
    if not m.source.select:
        return []
    navs = expand_select(m)
    narrowed = {nav for nav, fields in navs.items() if fields is not None}
    out = [name for name in m.source.select if name not in narrowed]
    for nav in m.source.expand:
        fields = navs.get(nav)
        out += [nav] if fields is None else [f"{nav}/{f}" for f in fields]
    return list(dict.fromkeys(out))
