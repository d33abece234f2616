"""JSON on the hot paths (1C pages, content hashes, link rows): orjson, byte-compatible with ``json``.

A full sync decodes every page 1C sends and encodes three JSON texts per task; orjson does
both several times faster than the standard library. Each function gives exactly what the
standard-library call it names would give, and falls back to that call for the few inputs
orjson refuses (integers beyond 64 bits, lone surrogates, ``1e400``), so stored hashes and
error behaviour never depend on which one ran.
"""

from __future__ import annotations

import json
from typing import Any

import orjson

_CANONICAL = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"))
_COMPACT = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
# Types orjson would write but json refuses go to ``default`` and so to json's own error.
_STRICT = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


def loads(data: bytes | str) -> Any:
    """``json.loads(data)``: raises ``json.JSONDecodeError`` (a ``ValueError``) on bad JSON."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return json.loads(data)  # its result where it accepts more, its error message where not


def canonical(obj: Any) -> bytes:
    """UTF-8 of ``json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":"))``.

    The text hashed into content hashes: it must not change between releases. Tuples (and
    named tuples) are written as JSON arrays, as ``json`` does."""
    try:
        return orjson.dumps(obj, option=_STRICT | orjson.OPT_SORT_KEYS, default=_array)
    except TypeError:
        return _CANONICAL.encode(obj).encode("utf-8")


def compact(obj: Any) -> str:
    """``json.dumps(obj, ensure_ascii=False, separators=(",", ":"))``: JSON text for a column."""
    try:
        return orjson.dumps(obj, option=_STRICT, default=_array).decode("utf-8")
    except TypeError:
        return _COMPACT.encode(obj)


def _array(obj: Any) -> list[Any]:
    """Named tuples (``Assignee``), which orjson leaves to ``default``: arrays, as json writes them."""
    if isinstance(obj, tuple):
        return list(obj)
    raise TypeError(f"{type(obj).__name__} is not JSON serializable")
