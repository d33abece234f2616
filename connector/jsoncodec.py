"""JSON on the hot paths (1C pages, content hashes, link rows): orjson, checked against ``json``.

A full sync decodes every page 1C sends and encodes three JSON texts per task; orjson does
both several times faster than the standard library. What each function promises, relative
to the standard-library call it names:

- ``loads``: the same Python value. orjson would turn an integer beyond 64 bits into a float,
  so any text holding a run of 19 digits (the shortest such integer; GUIDs, dates and phone
  numbers have none) is decoded by ``json``, as is anything orjson refuses (``1e400``, a UTF-8
  byte order mark);
- ``canonical`` (the bytes hashed into content hashes; they must never change): the same
  bytes for values without floats — a task's fields have none;
- ``compact`` (JSON text for a column): the same text, except that floats are written in
  their shortest round-trip form (``0.00001`` for ``1e-05``) — the same value when read back.

Integers beyond 64 bits and types orjson writes but ``json`` refuses (datetimes, dataclasses)
take the ``json`` path, so they give ``json``'s text or ``json``'s error.
"""

from __future__ import annotations

import json
import re
from typing import Any

import orjson

_CANONICAL = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"))
_COMPACT = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
_STRICT = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
_LONG_DIGITS = re.compile(rb"[0-9]{19}")
_LONG_DIGITS_TEXT = re.compile(r"[0-9]{19}")


def loads(data: bytes | str) -> Any:
    """``json.loads(data)``: raises ``json.JSONDecodeError`` (a ``ValueError``) on bad JSON."""
    long_digits = _LONG_DIGITS.search(data) if isinstance(data, bytes) else _LONG_DIGITS_TEXT.search(data)
    if long_digits is None:
        try:
            return orjson.loads(data)
        except orjson.JSONDecodeError:
            pass  # json's result where it accepts more, json's error message where not
    return json.loads(data)


def canonical(obj: Any) -> bytes:
    """UTF-8 of ``json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":"))``
    for values without floats. Tuples (and named tuples) are arrays, as ``json`` writes them."""
    try:
        return orjson.dumps(obj, option=_STRICT | orjson.OPT_SORT_KEYS, default=_array)
    except TypeError:
        return _CANONICAL.encode(obj).encode("utf-8")


def compact(obj: Any) -> str:
    """``json.dumps(obj, ensure_ascii=False, separators=(",", ":"))`` (floats: see the module)."""
    try:
        return orjson.dumps(obj, option=_STRICT, default=_array).decode("utf-8")
    except TypeError:
        return _COMPACT.encode(obj)


def _array(obj: Any) -> list[Any]:
    """Named tuples (``Assignee``), which orjson leaves to ``default``: arrays, as json writes them."""
    if isinstance(obj, tuple):
        return list(obj)
    raise TypeError(f"{type(obj).__name__} is not JSON serializable")
