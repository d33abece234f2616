"""Reading objects: only those a mapping keeps (``KeptObjects``), or by reference in batches (one
request per batch, never per object).

A mapping's ``filter`` is text written by the 1C administrator (validated with the mapping);
refs are parsed as GUIDs before they reach a URL. Objects the filtered read does not return are
told apart with one cheap ``Ref_Key``-only read: still in 1C (out of the mapping's scope) or gone.
A full read is paged with read-ahead: 1C prepares the next page while the current one is applied.
"""

from __future__ import annotations

import itertools
import logging
import queue
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import tzinfo
from typing import Any

from connector.mapping.conditions import ServerFilter, server_filter
from connector.mapping.crm_model import EntitySet
from connector.mapping.online import entity_sets
from connector.mapping.schema import Mapping
from connector.onec.client import ODataClient
from connector.onec.errors import OneCError
from connector.onec.query import Expr, Query, guid

log = logging.getLogger("connector.sync.inbound.read")


@dataclass(frozen=True)
class MappingFilter(Expr):
    """The mapping's ``$filter`` text as an expression (trusted configuration, not input)."""

    text: str

    def render(self, tz: tzinfo) -> str:
        return self.text

    @classmethod
    def of(cls, mapping: Mapping) -> Expr | None:
        text = mapping.source.filter if mapping.source is not None else None
        return cls(text) if text else None


@dataclass(frozen=True)
class AnyRef(Expr):
    """``Ref_Key eq guid'…' or …`` for a batch of refs, flat (no nesting 1C would have to unwind)."""

    refs: tuple[str, ...]

    def render(self, tz: tzinfo) -> str:
        return " or ".join(f"Ref_Key eq guid'{guid(r)}'" for r in self.refs)


# 1C refuses a filter it cannot evaluate with: 10 property not found (an unpublished field),
# 14 query options parse error (a literal of the wrong type), 21 unsupported function.
REFUSED_CODES = frozenset({"10", "14", "21"})


class KeptObjects:
    """Reading only the objects a mapping can keep: ``source.filter`` plus what 1C can evaluate
    of the task conditions (``connector.mapping.conditions``), the conditions still checked by
    the connector on every object read.

    The conditions are compiled against the built-in 1C:CRM model. When 1C refuses the result
    (a field this base does not publish, a type it sees otherwise), they are compiled again
    against the base's own ``$metadata`` (one request per process); when 1C refuses that too,
    the mapping is read with ``source.filter`` alone for the rest of the process. Each step is
    one warning; which parts stay in the connector is logged once per mapping. Never a failed
    run. One instance per process (an engine keeps it)."""

    def __init__(self) -> None:
        self._published: dict[str, EntitySet] | None = None
        self._refused: set[str] = set()
        self._told: set[str] = set()
        self._lock = threading.Lock()

    def server_filter(self, mapping: Mapping) -> ServerFilter | None:
        """What 1C is asked for ``mapping`` now (None: ``source.filter`` alone)."""
        if mapping.name in self._refused:
            return None
        sets = self._published
        return server_filter(mapping) if sets is None else server_filter(mapping, sets)

    def exact(self, mapping: Mapping) -> bool:
        """Whether 1C returns exactly the objects the conditions keep (the connector's check then
        drops only objects whose conditions cannot be evaluated)."""
        sf = self.server_filter(mapping)
        return sf is not None and sf.exact

    def filter(self, mapping: Mapping) -> Expr | None:
        """The ``$filter`` of a full read or a scan of ``mapping``."""
        sf = self.server_filter(mapping)
        if sf is None or sf.compiled is None:
            return MappingFilter.of(mapping)
        self._tell(sf)
        return MappingFilter(sf.text or "")

    def rows(
        self,
        client: ODataClient,
        mapping: Mapping,
        select: Sequence[str],
        expand: Sequence[str],
        page_size: int | None = None,
    ) -> Iterator[dict[str, Any]]:
        """The kept objects of ``mapping``, paged (see the class for what happens on a refusal,
        which can only come with the first page: later pages differ in ``Ref_Key`` alone)."""
        assert mapping.source is not None
        while True:
            flt = self.filter(mapping)
            rows = client.iter_entities(
                mapping.source.entity_set, filter=flt, select=select, expand=expand, page_size=page_size
            )
            try:
                first = next(rows)
            except StopIteration:
                return
            except OneCError as exc:
                if exc.code not in REFUSED_CODES or flt == MappingFilter.of(mapping):
                    raise
                self._refuse(client, mapping, exc)
                continue
            yield first
            yield from rows
            return

    def _tell(self, sf: ServerFilter) -> None:
        with self._lock:
            if sf.mapping in self._told:
                return
            self._told.add(sf.mapping)
        if sf.in_connector:
            log.info(
                "mapping %s: 1C filters %s; checked in the connector only: %s",
                sf.mapping,
                "; ".join(sf.in_1c) or "nothing",
                "; ".join(sf.in_connector),
            )

    def _refuse(self, client: ODataClient, mapping: Mapping, exc: OneCError) -> None:
        if self._published is None:
            log.warning(
                "mapping %s: 1C refused the task conditions as a $filter (%s); compiling them "
                "again against the base's $metadata",
                mapping.name,
                exc,
            )
            try:
                published = entity_sets(client.metadata())
            except OneCError as meta_exc:
                log.warning("1C $metadata could not be read (%s)", meta_exc)
                published = {}
            with self._lock:
                self._published = published
                self._told.clear()
            return
        with self._lock:
            self._refused.add(mapping.name)
        log.warning(
            "mapping %s: 1C refused the task conditions as a $filter (%s); they are checked in the "
            "connector only, every object of source.filter is read",
            mapping.name,
            exc,
        )


def _and(flt: Expr | None, refs: AnyRef) -> Expr:
    return refs if flt is None else flt & refs


MAX_QUERY_STRING = 2048
"""Longest query string a read by refs sends: IIS, which 1C is often published on, refuses longer
ones by default (``maxQueryString``); Apache allows 8,190 for the whole request line."""


def read_refs(
    client: ODataClient,
    entity_set: str,
    refs: Sequence[str],
    flt: Expr | None,
    select: Sequence[str],
    expand: Sequence[str],
) -> tuple[list[dict[str, Any]], list[str], list[str]]:
    """``(objects, filtered_out_refs, missing_refs)`` for a batch of refs, read with as few
    requests as ``MAX_QUERY_STRING`` allows (one, for a few dozen refs and a plain mapping)."""
    found: list[dict[str, Any]] = []
    filtered: list[str] = []
    missing: list[str] = []
    for part in _within_limit(client, entity_set, list(refs), flt, select, expand):
        objects, out, gone = _read_refs(client, entity_set, part, flt, select, expand)
        found += objects
        filtered += out
        missing += gone
    return found, filtered, missing


def _within_limit(
    client: ODataClient,
    entity_set: str,
    refs: list[str],
    flt: Expr | None,
    select: Sequence[str],
    expand: Sequence[str],
) -> Iterator[list[str]]:
    """``refs`` in consecutive parts whose reads stay within ``MAX_QUERY_STRING`` (at least one
    ref per part). Every GUID has the same length, so one more ref adds the same to the query."""
    if len(refs) <= 1:
        if refs:
            yield refs
        return

    def length(n: int) -> int:
        batch = AnyRef(tuple(refs[:n]))
        query = Query(
            entity_set,
            filter=_and(flt, batch),
            select=tuple(["Ref_Key", *select] if select and "Ref_Key" not in select else select),
            expand=tuple(expand),
            order_by=("Ref_Key",),
            top=n + 1,
        )
        return len(query.query_string(client.tz))

    one, two = length(1), length(2)
    most = max(1, 1 + (MAX_QUERY_STRING - one) // max(1, two - one))
    base, extra = divmod(len(refs), -(-len(refs) // most))  # even parts: 40 → 14, 13, 13, not 18, 18, 4
    start = 0
    while start < len(refs):
        size = base + (1 if extra > 0 else 0)
        extra -= 1
        yield refs[start : start + size]
        start += size


def _read_refs(
    client: ODataClient,
    entity_set: str,
    refs: Sequence[str],
    flt: Expr | None,
    select: Sequence[str],
    expand: Sequence[str],
) -> tuple[list[dict[str, Any]], list[str], list[str]]:
    if not refs:
        return [], [], []
    batch = AnyRef(tuple(refs))
    found = list(
        client.iter_entities(
            entity_set, filter=_and(flt, batch), select=select, expand=expand, page_size=len(refs) + 1
        )
    )
    got = {str(o.get("Ref_Key")) for o in found}
    absent = [r for r in refs if r not in got]
    if not absent:
        return found, [], []
    if flt is None:
        return found, [], absent
    still = {
        str(o.get("Ref_Key"))
        for o in client.iter_entities(
            entity_set, filter=AnyRef(tuple(absent)), select=["Ref_Key"], page_size=len(absent) + 1
        )
    }
    return found, [r for r in absent if r in still], [r for r in absent if r not in still]


READ_AHEAD_DEPTH = 2
"""Pages of a full read in memory at once: the one being applied and the one being read."""


def read_ahead(
    rows: Iterable[dict[str, Any]], size: int, depth: int = READ_AHEAD_DEPTH
) -> Iterator[list[dict[str, Any]]]:
    """``rows`` in pages of ``size``, the next page read by a helper thread meanwhile.

    Why: on a full sync the time 1C takes to answer a page and the time we take to apply one are
    of the same order; overlapping them hides one of the two. Memory: at most ``depth`` pages
    are held (the caller's current page counts): the helper starts reading a page only when
    fewer than ``depth`` are out, so with the default 2 it reads page n + 1 while page n is
    applied and waits for the caller to ask for page n + 1 before it reads page n + 2 (a decoded
    page of 1,000 interests is several MB). ``depth=1`` reads only on demand. Requests go out in
    the same order and number as without read-ahead. An error while reading is raised here, at
    the page where it happened (the pages before it are applied first). When the caller stops
    early, the helper stops after its current request and is joined before this generator
    returns.
    """
    if size < 1:
        raise ValueError("read_ahead needs size >= 1")
    if depth < 1:
        raise ValueError("read_ahead needs depth >= 1")
    handoff: queue.Queue[tuple[str, Any]] = queue.Queue()
    slots = threading.Semaphore(depth)
    stop = threading.Event()

    def take_slot() -> bool:
        while not stop.is_set():
            if slots.acquire(timeout=0.05):
                return True
        return False

    def produce() -> None:
        it = iter(rows)
        try:
            while take_slot():
                page = list(itertools.islice(it, size))
                if not page:
                    handoff.put(("end", None))
                    return
                handoff.put(("page", page))
                del page
        except BaseException as exc:  # handed to the caller's thread, raised there
            handoff.put(("error", exc))

    helper = threading.Thread(target=produce, name="inbound-read-ahead", daemon=True)
    helper.start()
    held = False
    try:
        while True:
            if held:  # the caller is back for more: the page it had is done
                slots.release()
            kind, item = handoff.get()
            if kind == "end":
                return
            if kind == "error":
                raise item
            held = True
            yield item
            del item
    finally:
        stop.set()
        helper.join()
