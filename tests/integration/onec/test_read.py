"""Reading through the client against mock-1c: paging, typed values, metadata, bad input."""

from __future__ import annotations

from datetime import datetime

import pytest

from connector.onec.client import ODataClient
from connector.onec.errors import Fatal, NotFound
from connector.onec.query import F
from testbed.mock1c import MockOneC
from tests.integration.onec.conftest import client_for

INTERESTS = "Document_CRM_Интерес"


def test_keyset_paging_streams_every_object_once(client: ODataClient, mock_1c: MockOneC) -> None:
    mock_1c.reset_stats()
    got = list(client.iter_entities(INTERESTS, select=["Number", "Date"], page_size=7))
    assert len(got) == client.count(INTERESTS) == 50
    assert len({g["Ref_Key"] for g in got}) == 50
    assert [g["Ref_Key"] for g in got] == sorted(g["Ref_Key"] for g in got)
    assert all(isinstance(g["Date"], datetime) and g["Date"].tzinfo is not None for g in got)
    assert mock_1c.stats()["total"] == 8 + 1  # ceil(50/7) pages, then $count


def test_skip_paging_returns_the_same_objects(client: ODataClient) -> None:
    keyset = {g["Ref_Key"] for g in client.iter_entities(INTERESTS, select=["Number"], page_size=9)}
    skipped = list(
        client.iter_entities(
            INTERESTS, select=["Ref_Key", "Number"], page_size=9, order_by_ref=False, order_by=["Number"]
        )
    )
    assert [s["Number"] for s in skipped] == sorted(s["Number"] for s in skipped)
    assert {s["Ref_Key"] for s in skipped} == keyset


def test_filter_with_hostile_string_matches_nothing_instead_of_everything(client: ODataClient) -> None:
    hostile = "x' or Number ne 'y"
    assert list(client.iter_entities(INTERESTS, filter=F("Тема") == hostile)) == []
    service = list(
        client.iter_entities(INTERESTS, filter=F("ВидИнтереса") == "Сервис", select=["ВидИнтереса"])
    )
    assert service and all(s["ВидИнтереса"] == "Сервис" for s in service)


def test_get_returns_typed_object_with_tabular_rows(client: ODataClient) -> None:
    first = next(client.iter_entities(INTERESTS, select=["Ref_Key"], page_size=1))
    obj = client.get(INTERESTS, first["Ref_Key"])
    assert obj["Ref_Key"] == first["Ref_Key"]
    assert isinstance(obj["Date"], datetime)
    for row in obj.get("Соисполнители", []):
        assert isinstance(row["LineNumber"], int)


def test_metadata_lists_published_sets_and_fields(client: ODataClient) -> None:
    meta = client.metadata()
    assert meta[INTERESTS].has_field("Тема")
    assert not meta[INTERESTS].has_field("Бюджет")


def test_unknown_entity_set_field_and_object_are_named(client: ODataClient) -> None:
    with pytest.raises(NotFound, match="Catalog_Секретный"):
        list(client.iter_entities("Catalog_Секретный"))
    with pytest.raises(NotFound, match="Бюджет"):
        list(client.iter_entities(INTERESTS, select=["Бюджет"]))
    with pytest.raises(NotFound, match=INTERESTS):
        client.get(INTERESTS, "00000000-0000-0000-0000-000000000001")


def test_wrong_password_is_fatal_and_not_shown(mock_1c: MockOneC) -> None:
    bad = ODataClient(mock_1c.base_url, mock_1c.user, "wrong-Пароль", timezone="UTC")
    with pytest.raises(Fatal, match="credentials") as info:
        bad.count(INTERESTS)
    assert "wrong-Пароль" not in str(info.value)


def test_wrong_publication_path_is_a_clear_error(mock_1c: MockOneC) -> None:
    wrong = client_for(mock_1c)
    wrong.root = mock_1c.base_url.replace("/crm", "/nobase") + "/odata/standard.odata"
    with pytest.raises((NotFound, Fatal), match=INTERESTS):
        list(wrong.iter_entities(INTERESTS))


def test_unreachable_base_is_retriable_then_gives_up(mock_1c: MockOneC) -> None:
    from connector.onec.errors import Retriable
    from connector.onec.retry import RetryPolicy

    dead = ODataClient(
        "http://127.0.0.1:9/crm",
        "u",
        "p",
        timezone="UTC",
        policy=RetryPolicy(base=0.01, cap=0.01, deadline=0.3),
    )
    with pytest.raises(Retriable, match="connection error"):
        dead.count(INTERESTS)
