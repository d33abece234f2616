"""Change detection of the inbound flow: which objects to (re)read, and reading them in pages.

Cheapest first: the exchange plan (acknowledged only after the commit that covers it), refs
given by webhooks or an operator, the DataVersion scan (refs and versions only; vanished
objects close), a date cursor with overlap, a date range, or the whole filtered set (the full
read, which also closes links of objects that left the set).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from connector.mapping.schema import ChangeDetection, Mapping, parse_duration
from connector.onec.changes import DataVersionScan, DateCursorFeed, ExchangePlanFeed
from connector.onec.query import F
from connector.runtime import Runtime
from connector.store.links import get_cursor, set_cursor
from connector.sync.inbound.items import InboundError, ItemApplier, RunState, mapping_select
from connector.sync.inbound.read import MappingFilter, read_ahead


class ChangeDetector(ItemApplier):
    """The detections; one instance per process (it caches the exchange-plan node lookup)."""

    def __init__(self, runtime: Runtime, *, read_batch: int = 40, park_after: int = 5) -> None:
        super().__init__(runtime, read_batch=read_batch, park_after=park_after)
        self._feeds: dict[str, ExchangePlanFeed] = {}

    def _full(self, run: RunState, m: Mapping) -> None:
        """Read the whole filtered set in pages, apply, then close links of objects that left it."""
        if m.static_tasks:
            self._static(run, m)
        if m.source is None:
            return
        writer = self._writer(run, m)
        seen: set[str] = set()
        skipped = self._skipped_versions(run.session, m)
        for page in read_ahead(self._read_all(m), self.client.page_size):
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

    def _scan(self, run: RunState, m: Mapping) -> None:
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

    def _read_all(self, m: Mapping) -> Iterator[dict[str, Any]]:
        assert m.source is not None
        return self.client.iter_entities(
            m.source.entity_set, filter=MappingFilter.of(m), select=mapping_select(m), expand=m.source.expand
        )


def detects(m: Mapping, kind: str) -> bool:
    return m.source is not None and any(d.kind == kind for d in m.source.change_detection)


def scheduled_kind(m: Mapping) -> str:
    if m.source is None:
        return "full"
    scheduled: list[ChangeDetection] = [d for d in m.source.change_detection if d.kind != "webhook"]
    return scheduled[0].kind if scheduled else "scan"
