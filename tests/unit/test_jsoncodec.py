"""The fast JSON codec gives exactly what the standard library gives (stored hashes depend on it)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from connector import jsoncodec
from connector.sync.model import Assignee


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


@given(values)
def test_loads_reads_back_what_json_reads(obj: Any) -> None:
    escaped = json.dumps(obj).encode("ascii")  # lone surrogates too, as \\ud800 escapes
    assert jsoncodec.loads(escaped) == json.loads(escaped)
    try:
        raw = json.dumps(obj, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return
    assert jsoncodec.loads(raw) == json.loads(raw)


def test_named_tuples_are_arrays_as_json_writes_them() -> None:
    people = [Assignee("ref", "ivanov@example.ru", "Иванов")]
    assert jsoncodec.canonical({"a": people}) == stdlib_canonical({"a": people})
    assert jsoncodec.compact(people) == '[["ref","ivanov@example.ru","Иванов"]]'


def test_inputs_beyond_the_fast_path_take_the_standard_librarys_result() -> None:
    assert jsoncodec.canonical({"big": 2**80}) == stdlib_canonical({"big": 2**80})
    assert jsoncodec.loads(b'{"a": 1e400}') == {"a": float("inf")}
    # orjson alone would give floats here: 1C numbers (Number(38)) may be that long
    assert jsoncodec.loads(b'{"b": 9223372036854775808, "c": -12345678901234567890}') == {
        "b": 9223372036854775808,
        "c": -12345678901234567890,
    }
    assert jsoncodec.loads('{"b": 9223372036854775808}') == {"b": 9223372036854775808}


def test_types_json_refuses_are_refused() -> None:
    with pytest.raises(TypeError, match="datetime"):
        jsoncodec.compact({"when": datetime(2026, 1, 1)})
    with pytest.raises(TypeError, match="set"):
        jsoncodec.canonical({"s": {1, 2}})


def test_a_byte_order_mark_is_read_as_json_reads_bytes() -> None:
    assert jsoncodec.loads(b'\xef\xbb\xbf{"value": []}') == {"value": []}


def test_non_finite_floats_are_null_not_json_s_non_standard_infinity() -> None:
    # JSON has no Infinity (PostgreSQL's json type refuses it); no task field is a float.
    assert jsoncodec.compact({"x": float("inf")}) == '{"x":null}'


@pytest.mark.parametrize("bad", [b"", b"{", b"<html>503</html>", b'{"a": NaN'])
def test_bad_json_raises_the_standard_librarys_error(bad: bytes) -> None:
    with pytest.raises(json.JSONDecodeError):
        jsoncodec.loads(bad)
