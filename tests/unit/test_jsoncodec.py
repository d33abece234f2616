"""The fast JSON codec gives exactly what the standard library gives (stored hashes depend on it)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from connector import jsoncodec
from connector.sync.core.model import Assignee


def json_values(scalars: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.recursive(
        scalars,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
        max_leaves=20,
    )


float_free = json_values(st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.text())
values = json_values(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.text()
    | st.floats(allow_nan=False, allow_infinity=False)
)


def stdlib_canonical(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


@given(float_free)
def test_canonical_is_the_standard_librarys_bytes(obj: Any) -> None:
    try:
        expected = stdlib_canonical(obj)
    except UnicodeEncodeError:  # a lone surrogate: json writes it, UTF-8 cannot; the codec refuses too
        with pytest.raises(UnicodeEncodeError):
            jsoncodec.canonical(obj)
        return
    assert jsoncodec.canonical(obj) == expected


@given(float_free)
def test_compact_is_the_standard_librarys_text(obj: Any) -> None:
    assert jsoncodec.compact(obj) == json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


@given(values)
def test_compact_with_floats_reads_back_as_the_same_value(obj: Any) -> None:
    assert json.loads(jsoncodec.compact(obj)) == obj


def test_named_tuples_are_arrays_as_json_writes_them() -> None:
    people = [Assignee("ref", "ivanov@example.ru", "Иванов")]
    assert jsoncodec.canonical({"a": people}) == stdlib_canonical({"a": people})
    assert jsoncodec.compact(people) == '[["ref","ivanov@example.ru","Иванов"]]'


def test_inputs_beyond_the_fast_path_take_the_standard_librarys_result() -> None:
    assert jsoncodec.canonical({"big": 2**80}) == stdlib_canonical({"big": 2**80})
    assert jsoncodec.compact([-(2**70)]) == "[-1180591620717411303424]"


def test_types_json_refuses_are_refused() -> None:
    with pytest.raises(TypeError, match="datetime"):
        jsoncodec.compact({"when": datetime(2026, 1, 1)})
    with pytest.raises(TypeError, match="set"):
        jsoncodec.canonical({"s": {1, 2}})


def test_non_finite_floats_are_null_not_json_s_non_standard_infinity() -> None:
    # JSON has no Infinity (PostgreSQL's json type refuses it); no task field is a float.
    assert jsoncodec.compact({"x": float("inf")}) == '{"x":null}'
