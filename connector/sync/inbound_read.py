"""Reading changed objects by reference in batches (one request per batch, never per object).

A mapping's ``filter`` is text written by the 1C administrator (validated with the mapping);
refs are parsed as GUIDs before they reach a URL. Objects the filtered read does not return are
told apart with one cheap ``Ref_Key``-only read: still in 1C (out of the mapping's scope) or gone.
"""

from __future__ import annotations

from collections.abc import Sequence
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
