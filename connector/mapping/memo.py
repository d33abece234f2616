"""Derived facts of a mapping, computed once per mapping object and model (both immutable in use).

Keyed by the objects' identity and checked against them, so a new mapping loaded under a reused
``id`` is never served another's result; bounded, so reloads cannot grow it without end.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Mapping as AnyMapping
from typing import Generic, TypeVar

from connector.mapping.crm_model import EntitySet
from connector.mapping.schema import Mapping

T = TypeVar("T")
LIMIT = 256


class PerMapping(Generic[T]):
    """``cache(mapping, sets)`` → ``compute(mapping, sets)``, remembered per mapping object."""

    def __init__(self, compute: Callable[[Mapping, AnyMapping[str, EntitySet]], T]) -> None:
        self._compute = compute
        self._seen: dict[int, tuple[Mapping, AnyMapping[str, EntitySet], T]] = {}

    def __call__(self, mapping: Mapping, sets: AnyMapping[str, EntitySet]) -> T:
        hit = self._seen.get(id(mapping))
        if hit is not None and hit[0] is mapping and hit[1] is sets:
            return hit[2]
        result = self._compute(mapping, sets)
        if len(self._seen) > LIMIT:
            self._seen.clear()
        self._seen[id(mapping)] = (mapping, sets, result)
        return result

    def clear(self) -> None:
        self._seen.clear()


__all__ = ["PerMapping"]
