"""Change detection of the inbound flow: which objects to (re)read, and reading them in pages.

Cheapest first: the exchange plan (acknowledged only after the commit that covers it), refs
given by webhooks or an operator, the DataVersion scan (refs and versions of the objects the
mapping can keep), a date cursor with overlap, a date range, or the full read of the objects the
mapping can keep. The full read and the scan ask 1C only for those (``KeptObjects``); the
objects of open tasks they do not return are re-read by ref, so leaving the scope still closes.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from connector.mapping.schema import ChangeDetection, Mapping, parse_duration
from connector.onec.changes import DateCursorFeed, ExchangePlanFeed
from connector.onec.query import F
from connector.runtime import Runtime
from connector.store.links import get_cursor, set_cursor
from connector.sync.inbound.apply import LinkWriter
from connector.sync.inbound.items import InboundError, ItemApplier, RunState, mapping_select
from connector.sync.inbound.read import MappingFilter, read_ahead
from connector.sync.inbound.refset import RefSet


class ChangeDetector(ItemApplier):
    """The detections; one instance per process (it caches the exchange-plan node lookup)."""

    def __init__(self, runtime: Runtime, *, read_batch: int = 40, park_after: int = 5) -> None:
        super().__init__(runtime, read_batch=read_batch, park_after=park_after)
        self._feeds: dict[str, ExchangePlanFeed] = {}

    def _full(self, run: RunState, m: Mapping) -> None:
        """Read the objects the mapping can keep in pages and apply them; then re-read, by ref,
        the objects of open tasks that the read did not return (closed, out of scope or deleted
        since), which closes their tasks. Closed history that never had a task is not read."""
        if m.static_tasks:
            self._static(run, m)
        if m.source is None:
            return
        writer = self._writer(run, m)
        seen = RefSet()
        skipped = self._skipped_versions(run.session, m)
        rows = self.kept.rows(self.client, m, mapping_select(m), m.source.expand)
        for page in read_ahead(rows, self.client.page_size):
            seen.add_all(str(o["Ref_Key"]) for o in page)
            self._apply_objects(run, m, writer, page, skipped, remember=not self.kept.exact(m))
            run.rec.flush(run.session)
            self._commit(run)
            writer.forget()
        self._reread_unseen(run, m, writer, seen, skipped)
        for ref in [r for r in skipped if r not in seen]:
            del skipped[ref]
        self._save_skipped(run, m, skipped)
        run.rec.flush(run.session)

    def _scan(self, run: RunState, m: Mapping) -> None:
        """DataVersion scan of the objects the mapping can keep: refs and versions only, page by
        page against the stored versions; changed objects are re-read, and so are the objects of
        open tasks the scan did not see (closed, out of scope or deleted since)."""
        assert m.source is not None
        writer = self._writer(run, m)
        skipped = self._skipped_versions(run.session, m)
        seen = RefSet()
        detected = 0
        rows = self.kept.rows(self.client, m, ["Ref_Key", "DataVersion"], [])
        for page in read_ahead(rows, self.client.page_size):
            refs = [str(r["Ref_Key"]) for r in page]
            seen.add_all(refs)
            known = writer.versions(refs)
            changed = [
                ref
                for ref, row in zip(refs, page, strict=True)
                if (known[ref] if ref in known else skipped.get(ref)) != str(row.get("DataVersion") or "")
            ]
            if changed:
                detected += len(changed)
                self._apply_changes(run, m, writer, [(r, False) for r in changed], skipped)
                run.rec.flush(run.session)
                self._commit(run)
        detected += self._reread_unseen(run, m, writer, seen, skipped)
        for ref in [r for r in skipped if r not in seen]:
            del skipped[ref]
        run.rec.count("detected", detected)
        self._save_skipped(run, m, skipped)

    def _reread_unseen(
        self, run: RunState, m: Mapping, writer: LinkWriter, seen: RefSet, skipped: dict[str, str]
    ) -> int:
        """Re-read (by ref, in batches) the objects of this mapping's open tasks that are not in
        ``seen``; returns how many there were."""
        count = 0
        for page in writer.open_ref_pages():
            unseen = [r for r in page if r not in seen]
            if unseen:
                count += len(unseen)
                self._apply_changes(run, m, writer, [(r, False) for r in unseen], skipped)
                run.rec.flush(run.session)
                self._commit(run)
        return count

    def _date_cursor(self, run: RunState, m: Mapping) -> None:
        assert m.source is not None
        det = next(d for d in m.source.change_detection if d.kind == "date_cursor")
        stream = f"inbound.date_cursor:{m.name}"
        raw = get_cursor(run.session, stream)
        state = datetime.fromisoformat(raw) if raw else None
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

    def _exchange_plan(self, run: RunState, mappings: list[Mapping]) -> None:
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
        readers = [m for m in self.runtime.mappings if m.source is not None and detects(m, "exchange_plan")]
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

    def _sync_refs(self, run: RunState, m: Mapping, refs: list[str]) -> None:
        writer = self._writer(run, m)
        skipped = self._skipped_versions(run.session, m)
        self._apply_changes(run, m, writer, [(r, False) for r in refs], skipped)
        self._save_skipped(run, m, skipped)

    def _sync_range(self, run: RunState, m: Mapping, since: datetime | None, until: datetime | None) -> None:
        """Objects dated in ``[since, until]``: the date-cursor field, else a document's ``Date``.

        A mapping with neither (a catalog without a date cursor) is skipped with its reason."""
        assert m.source is not None
        det = next((d for d in m.source.change_detection if d.kind == "date_cursor"), None)
        date_field = det.field if det else ("Date" if m.source.entity_set.startswith("Document_") else None)
        if not date_field:
            run.rec.note(m.name, "skipped", "no_date_field", "give the mapping a date_cursor field")
            return
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
            m.source.entity_set, filter=flt, select=mapping_select(m), expand=m.source.expand
        )
        for page in read_ahead(rows, self.client.page_size):
            self._apply_objects(run, m, writer, page, skipped)
            self._save_skipped(run, m, skipped)
            run.rec.flush(run.session)
            self._commit(run)
            writer.forget()


def detects(m: Mapping, kind: str) -> bool:
    return m.source is not None and any(d.kind == kind for d in m.source.change_detection)


def scheduled_kind(m: Mapping) -> str:
    if m.source is None:
        return "full"
    scheduled: list[ChangeDetection] = [d for d in m.source.change_detection if d.kind != "webhook"]
    return scheduled[0].kind if scheduled else "scan"
