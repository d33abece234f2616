"""Query building: literals are typed and escaped so no value can change a filter's structure."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from urllib.parse import parse_qsl, unquote, urlsplit
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from connector.onec.query import (
    F,
    Guid,
    Query,
    QueryError,
    all_of,
    entity_path,
    key_segment,
    literal,
    register_key,
)

MSK = ZoneInfo("Europe/Moscow")
REF = "8d04ce3c-6360-11e9-dd92-fa163e8ba11d"


def test_string_literal_doubles_embedded_quotes() -> None:
    assert literal("O'Brien", MSK) == "'O''Brien'"
    assert literal("", MSK) == "''"


def test_hostile_string_stays_one_literal() -> None:
    hostile = "x' or Ref_Key ne guid'00000000-0000-0000-0000-000000000000') or ('1'='1"
    rendered = (F("Тема") == hostile).render(MSK)
    assert rendered == "Тема eq '" + hostile.replace("'", "''") + "'"


def test_guid_literal_is_validated_and_canonical() -> None:
    assert literal(Guid(REF.upper()), MSK) == f"guid'{REF}'"
    assert literal(uuid.UUID(REF), MSK) == f"guid'{REF}'"
    with pytest.raises(QueryError, match="not a GUID"):
        Guid("8d04ce3c') or true or ('")


def test_aware_datetime_is_rendered_naive_in_the_base_zone() -> None:
    moment = datetime(2025, 1, 21, 7, 15, 36, 999, tzinfo=UTC)
    assert literal(moment, MSK) == "datetime'2025-01-21T10:15:36'"


def test_naive_datetime_is_taken_as_base_local_and_date_as_midnight() -> None:
    assert literal(datetime(2025, 1, 21, 10, 15), MSK) == "datetime'2025-01-21T10:15:00'"
    assert literal(date(2025, 1, 21), MSK) == "datetime'2025-01-21T00:00:00'"


def test_numbers_booleans_null_are_typed() -> None:
    assert literal(True, MSK) == "true"
    assert literal(False, MSK) == "false"
    assert literal(None, MSK) == "null"
    assert literal(42, MSK) == "42"
    assert literal(Decimal("1.50"), MSK) == "1.50"
    assert literal(2.5, MSK) == "2.5"
    with pytest.raises(QueryError):
        literal(float("nan"), MSK)
    with pytest.raises(QueryError):
        literal(object(), MSK)  # type: ignore[arg-type]


def test_field_names_are_identifiers_only() -> None:
    assert F("Партнер/Description").path == "Партнер/Description"
    for bad in ("Тема eq 'x' or 1", "a)", "", "1abc", "a//b", "Тема'"):
        with pytest.raises(QueryError):
            F(bad)


def test_combinators_parenthesise() -> None:
    expr = (F("Posted") == True) & ~(F("Тема").startswith("Сер") | F("Тема").contains("x"))  # noqa: E712
    assert expr.render(MSK) == (
        "(Posted eq true) and (not ((startswith(Тема,'Сер')) or (substringof('x',Тема))))"
    )
    assert all_of([]) is None
    combined = all_of([F("a") == 1, F("b") == 2])
    assert combined is not None and combined.render(MSK) == "(a eq 1) and (b eq 2)"


def test_entity_set_is_percent_encoded_and_keys_rendered() -> None:
    assert entity_path("Document_CRM_Интерес") == "Document_CRM_%D0%98%D0%BD%D1%82%D0%B5%D1%80%D0%B5%D1%81"
    with pytest.raises(QueryError, match="entity set"):
        entity_path("Catalog_X(guid'1')")
    assert key_segment(REF) == f"(guid'{REF}')"
    key = register_key({"Period": datetime(2024, 1, 1), "Валюта_Key": Guid(REF)}, MSK)
    assert key == f"(Period=datetime'2024-01-01T00:00:00',Валюта_Key=guid'{REF}')"


def test_query_url_has_all_options_in_stable_order() -> None:
    q = Query(
        "Catalog_Проекты",
        filter=F("Завершен") == False,  # noqa: E712
        select=("Ref_Key", "Description"),
        expand=("Контрагент",),
        order_by=("Ref_Key", "Code desc"),
        top=10,
        skip=20,
    )
    url = q.url("http://h/crm/odata/standard.odata/", MSK)
    parts = urlsplit(url)
    assert unquote(parts.path) == "/crm/odata/standard.odata/Catalog_Проекты"
    assert parse_qsl(parts.query) == [
        ("$format", "json"),
        ("$filter", "Завершен eq false"),
        ("$select", "Ref_Key,Description"),
        ("$expand", "Контрагент"),
        ("$orderby", "Ref_Key,Code desc"),
        ("$top", "10"),
        ("$skip", "20"),
    ]
    with pytest.raises(QueryError):
        Query("Catalog_X", order_by=("Code sideways",)).url("http://h", MSK)
    with pytest.raises(QueryError):
        Query("Catalog_X", top=-1).url("http://h", MSK)


@given(st.text())
def test_no_string_value_changes_the_filter_structure(value: str) -> None:
    expr = (F("Тема") == value) & (F("Posted") == True)  # noqa: E712
    url = Query("Document_CRM_Интерес", filter=expr).url("http://h/crm/odata/standard.odata", MSK)
    params = parse_qsl(urlsplit(url).query, keep_blank_values=True)
    assert [name for name, _ in params] == ["$format", "$filter"]
    rendered = params[1][1]
    prefix, suffix = "(Тема eq '", "') and (Posted eq true)"
    assert rendered.startswith(prefix) and rendered.endswith(suffix)
    inner = rendered[len(prefix) : -len(suffix)]
    assert inner.replace("''", "").count("'") == 0
    assert inner.replace("''", "'") == value
