"""Hostile values rendered into OData ``$filter`` never change the query's structure.

A filter built with ``connector.onec.query`` from a hostile value is compiled by the mock 1C's
filter compiler (1C's dialect) with only the intended field known: it must compile (no other
property, no syntax break-out) and behave as one equality on that field. The query string must
carry exactly one ``$filter`` whose decoded text is the rendered filter.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from urllib.parse import parse_qs
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from connector.onec.query import F, Guid, Query
from mock_1c.odata_filter import compile_filter
from tests.hostile.support import HOSTILE, hostile_text

TZ = ZoneInfo("Europe/Moscow")
FIELD = "Description"
OTHER = "Code"


def only(*names: str) -> Callable[[str], bool]:
    return lambda name: name in names


@HOSTILE
@given(value=hostile_text)
def test_string_value_stays_one_equality(value: str) -> None:
    text = (F(FIELD) == value).render(TZ)
    matches = compile_filter(text, has_property=only(FIELD))
    assert matches({FIELD: value})
    assert not matches({FIELD: value + "x"})
    assert not matches({FIELD: "x" + value})
    assert not matches({FIELD: None})


@HOSTILE
@given(left=hostile_text, right=hostile_text)
def test_two_hostile_values_stay_two_equalities(left: str, right: str) -> None:
    text = ((F(FIELD) == left) & (F(OTHER) == right)).render(TZ)
    matches = compile_filter(text, has_property=only(FIELD, OTHER))
    assert matches({FIELD: left, OTHER: right})
    assert not matches({FIELD: left, OTHER: right + "x"})
    assert not matches({FIELD: left + "x", OTHER: right})


@HOSTILE
@given(value=hostile_text)
def test_function_arguments_stay_literals(value: str) -> None:
    matches = compile_filter(F(FIELD).startswith(value).render(TZ), has_property=only(FIELD))
    assert matches({FIELD: value + "tail"})
    if value:
        assert not matches({FIELD: value[:-1]})
    contains = compile_filter(F(FIELD).contains(value).render(TZ), has_property=only(FIELD))
    assert contains({FIELD: "head" + value + "tail"})


@HOSTILE
@given(value=hostile_text)
def test_query_string_carries_one_filter(value: str) -> None:
    query = Query("Catalog_Пользователи", filter=F(FIELD) == value, select=("Ref_Key",), top=5)
    params = parse_qs(query.query_string(TZ), keep_blank_values=True, strict_parsing=True)
    assert params["$filter"] == [(F(FIELD) == value).render(TZ)]
    assert sorted(params) == ["$filter", "$format", "$select", "$top"]
    assert params["$top"] == ["5"]


@HOSTILE
@given(ref=st.uuids(), stamp=st.datetimes(timezones=st.just(UTC)), number=st.integers())
def test_typed_values_stay_typed(ref: uuid.UUID, stamp: datetime, number: int) -> None:
    expr = (F("Ref_Key") == Guid(str(ref))) & (F("Date") >= stamp) & (F("Number") == number)
    matches = compile_filter(expr.render(TZ), has_property=only("Ref_Key", "Date", "Number"))
    local = stamp.astimezone(TZ).replace(tzinfo=None, microsecond=0).isoformat()
    assert matches({"Ref_Key": str(ref), "Date": local, "Number": number})
    assert not matches({"Ref_Key": str(uuid.uuid4()), "Date": local, "Number": number})


@HOSTILE
@given(value=hostile_text)
def test_hostile_text_is_never_a_guid_or_a_name(value: str) -> None:
    """GUID parsing and name checks refuse whatever is not exactly a GUID or an identifier."""
    import pytest

    from connector.onec.query import QueryError, check_name, guid

    try:
        uuid.UUID(value.strip())
        is_uuid = True
    except ValueError:
        is_uuid = False
    if not is_uuid:
        with pytest.raises(QueryError):
            guid(value)
    if not re.fullmatch(r"[^\W\d]\w*", value):
        with pytest.raises(QueryError):
            check_name(value)
    if not re.fullmatch(r"[^\W\d]\w*(/[^\W\d]\w*)*", value):
        with pytest.raises(QueryError):
            F(value)
