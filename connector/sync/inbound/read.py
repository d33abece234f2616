"""Reading changed objects by reference in batches (one request per batch, never per object).

A mapping's ``filter`` is text written by the 1C administrator (validated with the mapping);
refs are parsed as GUIDs before they reach a URL. Objects the filtered read does not return are
told apart with one cheap ``Ref_Key``-only read: still in 1C (out of the mapping's scope) or gone.
A full read is paged with read-ahead: 1C prepares the next page while the current one is applied.
"""

from __future__ import annotations

import itertools
import queue
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import tzinfo
from typing import Any

from connector.mapping.schema import Mapping
from connector.onec.client import ODataClient
from connector.onec.query import Expr, guid


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


def _and(flt: Expr | None, refs: AnyRef) -> Expr:
    return refs if flt is None else flt & refs


def read_refs(
    client: ODataClient,
    entity_set: str,
    refs: Sequence[str],
    flt: Expr | None,
    select: Sequence[str],
    expand: Sequence[str],
) -> tuple[list[dict[str, Any]], list[str], list[str]]:
    """``(objects, filtered_out_refs, missing_refs)`` for one batch of refs."""
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
