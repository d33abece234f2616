"""``KeptObjects``: a full read asks 1C for the compiled conditions; a refusal recompiles them
against the base's ``$metadata``, a second one reads ``source.filter`` alone — never an error."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from connector.mapping import load_mappings
from connector.onec.errors import Fatal, NotFound
from connector.onec.metadata import EntitySetInfo
from connector.sync.inbound.read import KeptObjects, MappingFilter

SERVICE = next(
    m for m in load_mappings(Path(__file__).resolve().parents[3] / "mappings") if m.name == "service"
)
TZ = ZoneInfo("Europe/Moscow")


class FakeClient:
    """Refuses (code 10) any filter naming a field in ``unknown``; records the filters asked."""

    def __init__(self, unknown: tuple[str, ...], metadata: dict[str, EntitySetInfo] | Exception) -> None:
        self.unknown, self._metadata = unknown, metadata
        self.asked: list[str | None] = []
        self.metadata_reads = 0

    def iter_entities(self, entity_set: str, *, filter: Any = None, **_: Any) -> Iterator[dict[str, Any]]:
        text = filter.render(TZ) if filter is not None else None
        self.asked.append(text)
        if text and any(u in text for u in self.unknown):
            raise NotFound("property not found", code="10", entity_set=entity_set)
        yield {"Ref_Key": "a"}

    def metadata(self) -> dict[str, EntitySetInfo]:
        self.metadata_reads += 1
        if isinstance(self._metadata, Exception):
            raise self._metadata
        return self._metadata


def published(*, with_state: bool) -> dict[str, EntitySetInfo]:
    props = {"Ref_Key": "Edm.Guid", "DeletionMark": "Edm.Boolean", "ВидИнтереса": "Edm.String"}
    if with_state:
        props["Состояние_Key"] = "Edm.Guid"
    states = {"Ref_Key": "Edm.Guid", "Завершен": "Edm.Boolean"}
    return {
        "Document_CRM_Интерес": EntitySetInfo(
            "Document_CRM_Интерес", "T", props, frozenset({"Состояние"} if with_state else ())
        ),
        "Catalog_CRM_СостоянияИнтересов": EntitySetInfo("Catalog_CRM_СостоянияИнтересов", "S", states),
    }


def read(kept: KeptObjects, client: FakeClient) -> list[dict[str, Any]]:
    return list(kept.rows(client, SERVICE, ["Ref_Key"], ["Состояние"]))  # type: ignore[arg-type]


def test_a_refused_filter_is_compiled_again_against_the_metadata(caplog: pytest.LogCaptureFixture) -> None:
    kept = KeptObjects()
    client = FakeClient(("Завершен",), published(with_state=False))
    with caplog.at_level(logging.WARNING, logger="connector.sync.inbound.read"):
        assert read(kept, client) == [{"Ref_Key": "a"}]
        assert read(kept, client) == [{"Ref_Key": "a"}]
    assert client.metadata_reads == 1
    first, second, third = client.asked
    assert "Состояние/Завершен" in (first or "") and second == third == SERVICE.source.filter  # type: ignore[union-attr]
    assert not kept.exact(SERVICE), "the state is no longer known to 1C: the connector checks it"
    assert len(caplog.records) == 1


def test_a_second_refusal_reads_the_source_filter_alone(caplog: pytest.LogCaptureFixture) -> None:
    kept = KeptObjects()
    client = FakeClient(("Завершен",), published(with_state=True))
    with caplog.at_level(logging.WARNING, logger="connector.sync.inbound.read"):
        assert read(kept, client) == [{"Ref_Key": "a"}]
    assert client.asked[-1] == SERVICE.source.filter  # type: ignore[union-attr]
    assert kept.filter(SERVICE) == MappingFilter.of(SERVICE)
    assert [r.getMessage().split(":")[0] for r in caplog.records] == ["mapping service"] * 2


def test_unreadable_metadata_leaves_the_conditions_to_the_connector() -> None:
    kept = KeptObjects()
    client = FakeClient(("Завершен",), Fatal("no rights"))
    assert read(kept, client) == [{"Ref_Key": "a"}]
    assert client.asked[-1] == SERVICE.source.filter  # type: ignore[union-attr]


def test_other_errors_are_raised() -> None:
    class Down(FakeClient):
        def iter_entities(self, entity_set: str, **_: Any) -> Iterator[dict[str, Any]]:
            raise Fatal("rights", code="20")
            yield {}

    with pytest.raises(Fatal):
        read(KeptObjects(), Down((), {}))


def test_reads_by_ref_are_cut_to_the_longest_query_string_1c_takes() -> None:
    import uuid

    from connector.onec.query import Query
    from connector.sync.inbound.items import mapping_select
    from connector.sync.inbound.read import MAX_QUERY_STRING, AnyRef, _within_limit

    class Client:
        tz = TZ

    refs = [str(uuid.uuid4()) for _ in range(40)]
    assert SERVICE.source is not None
    flt, select, expand = MappingFilter.of(SERVICE), mapping_select(SERVICE), SERVICE.source.expand
    parts = list(_within_limit(Client(), SERVICE.source.entity_set, refs, flt, select, expand))  # type: ignore[arg-type]
    assert [r for p in parts for r in p] == refs and max(map(len, parts)) - min(map(len, parts)) <= 1
    for part in parts:
        query = Query(
            SERVICE.source.entity_set,
            filter=flt & AnyRef(tuple(part)),  # type: ignore[operator]
            select=("Ref_Key", *select),
            expand=tuple(expand),
            order_by=("Ref_Key",),
            top=len(part) + 1,
        )
        assert len(query.query_string(TZ)) <= MAX_QUERY_STRING
    assert len(parts) == 3
