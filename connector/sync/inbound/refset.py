"""A set of 1C references held in 16 bytes each: what a full read or a scan has seen.

Why: finding the linked objects a read did not return needs the refs it did return, and a
``set`` of GUID strings costs ≈ 120 bytes per ref — 14 MB for a base of 117,000 open tasks,
enough to make a full sync's memory grow with the base. Refs are kept as two arrays of 64-bit
halves, appended page by page with each page sorted; the first membership test merges the
sorted runs once, then each test is a binary search. A ref that is not a GUID (never seen in 1C)
is kept as text.
"""

from __future__ import annotations

import heapq
from array import array
from bisect import bisect_left
from collections.abc import Iterable, Iterator

_MASK = (1 << 64) - 1


def _key(ref: str) -> int | None:
    if len(ref) != 36 or ref[8] != "-" or ref[13] != "-" or ref[18] != "-" or ref[23] != "-":
        return None
    try:
        return int(ref.replace("-", ""), 16)
    except ValueError:
        return None


class RefSet:
    """Add refs in batches (``add_all``), then ask ``ref in refs``; adding after asking is allowed."""

    def __init__(self) -> None:
        self._hi = array("Q")
        self._lo = array("Q")
        self._runs: list[int] = [0]
        self._other: set[str] = set()

    def __len__(self) -> int:
        return len(self._hi) + len(self._other)

    def add_all(self, refs: Iterable[str]) -> None:
        keys: list[int] = []
        for ref in refs:
            key = _key(ref)
            if key is None:
                self._other.add(ref)
            else:
                keys.append(key)
        keys.sort()
        for key in keys:
            self._hi.append(key >> 64)
            self._lo.append(key & _MASK)
        if keys:
            self._runs.append(len(self._hi))

    def __contains__(self, ref: object) -> bool:
        if not isinstance(ref, str):
            return False
        key = _key(ref)
        if key is None:
            return ref in self._other
        self._merge()
        hi, lo = key >> 64, key & _MASK
        i = bisect_left(self._hi, hi)
        while i < len(self._hi) and self._hi[i] == hi:
            if self._lo[i] == lo:
                return True
            i += 1
        return False

    def _merge(self) -> None:
        if len(self._runs) <= 2:
            return
        hi, lo = array("Q"), array("Q")
        for key in heapq.merge(*(self._run(a, b) for a, b in zip(self._runs, self._runs[1:], strict=False))):
            hi.append(key >> 64)
            lo.append(key & _MASK)
        self._hi, self._lo, self._runs = hi, lo, [0, len(hi)]

    def _run(self, start: int, end: int) -> Iterator[int]:
        hi, lo = self._hi, self._lo
        for i in range(start, end):
            yield hi[i] << 64 | lo[i]
