"""JSON written on the hot path of a sync (content hashes, link rows): orjson, checked against ``json``.

A full sync encodes three JSON texts per task; orjson does it several times faster than the
standard library. (Decoding stays with ``json``: orjson would read an integer beyond 64 bits,
which a 1C Number(38) can hold, as a float, and ruling that out costs what it saves.) What
each function promises, relative to the standard-library call it names:

- ``canonical`` (the bytes hashed into content hashes; they must never change): the same
  bytes for values without floats — a task's fields have none;
- ``compact`` (JSON text for a column): the same text, except that floats are written in
  their shortest round-trip form (``0.00001`` for ``1e-05``) — the same value when read back.

Integers beyond 64 bits and types orjson writes but ``json`` refuses (datetimes, dataclasses)
take the ``json`` path, so they give ``json``'s text or ``json``'s error.
"""

from __future__ import annotations

import json
from typing import Any

import orjson

_CANONICAL = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"))
_COMPACT = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
_STRICT = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


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
