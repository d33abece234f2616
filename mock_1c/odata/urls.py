"""Decoding of 1C OData URLs: the resource path (sets, keys, operations) and the query options.

Clients send both percent-encoded forms (``%24filter=…%27…%27``, parameter names included) and
raw ones (``$filter=…'…'`` with ``%20``); both decode to the same options. ``+`` stays a
literal plus unless the plus-as-space switch is on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, unquote_plus

from mock_1c.errors import OneCError

GUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
DATETIME_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$")
NUMBER_RE = re.compile(r"^-?\d+(\.\d+)?$")
SYSTEM_OPTIONS = {"$filter", "$select", "$expand", "$orderby", "$top", "$skip", "$inlinecount", "$format"}


@dataclass(frozen=True)
class Literal:
    """A typed URL literal: kind is guid, datetime, string, number, bool or null."""

    kind: str
    value: Any


@dataclass
class Resource:
    """``Set[(key)][/segment]`` of a request path below ``standard.odata/``."""

    entity_set: str = ""
    key: dict[str, Literal] | None = None
    segment: str = ""
    special: str = ""  # "metadata" or "service" for $metadata and the service document


@dataclass
class QueryOptions:
    options: dict[str, str] = field(default_factory=dict)

    def get(self, name: str) -> str | None:
        return self.options.get(name)


def parse_literal(text: str) -> Literal:
    """One literal as 1C writes it in keys and filters; anything else is error 6."""
    t = text.strip()
    for prefix, kind in (("guid'", "guid"), ("datetime'", "datetime")):
        if t.startswith(prefix) and t.endswith("'") and len(t) > len(prefix):
            inner = t[len(prefix) : -1]
            if (kind == "guid" and GUID_RE.match(inner)) or (kind == "datetime" and DATETIME_RE.match(inner)):
                return Literal(kind, inner.lower() if kind == "guid" else inner)
            raise OneCError("6", f"Неверный литерал {kind}: {t}")
    if len(t) >= 2 and t[0] == "'" and t[-1] == "'":
        inner = t[1:-1]
        if re.search(r"(?<!')'(?!')", inner.replace("''", "")):
            raise OneCError("6", f"Неверный строковый литерал: {t}")
        return Literal("string", inner.replace("''", "'"))
    if t in ("true", "false"):
        return Literal("bool", t == "true")
    if t == "null":
        return Literal("null", None)
    if NUMBER_RE.match(t):
        return Literal("number", float(t) if "." in t else int(t))
    raise OneCError("6", f"Неверный литерал в ключе: {t}")


def _split_top_level(text: str, sep: str) -> list[str]:
    """Split on ``sep`` outside quoted literals (quotes doubled inside)."""
    parts: list[str] = []
    buf: list[str] = []
    quoted = False
    for ch in text:
        if ch == "'":
            quoted = not quoted
        if ch == sep and not quoted:
            parts.append("".join(buf))
            buf = []
        else:
            buf.append(ch)
    parts.append("".join(buf))
    return parts


def parse_key(text: str) -> dict[str, Literal]:
    """``guid'…'`` → {"Ref_Key": …}; ``A=lit,B=lit`` → named key parts."""
    if not text.strip():
        raise OneCError("7", "Не указан ключ сущности.")
    parts = _split_top_level(text, ",")
    if len(parts) == 1 and "=" not in parts[0].split("'")[0]:
        return {"Ref_Key": parse_literal(parts[0])}
    out: dict[str, Literal] = {}
    for part in parts:
        name, eq, value = part.partition("=")
        if not eq or not name.strip():
            raise OneCError("6", f"Неверный элемент ключа: {part}")
        out[name.strip()] = parse_literal(value)
    return out


def parse_path(path: str) -> Resource:
    """The decoded path below ``standard.odata/`` → Resource (error 6 when malformed)."""
    if path in ("", "/"):
        return Resource(special="service")
    if path.rstrip("/") == "$metadata":
        return Resource(special="metadata")
    head, quoted, i = [], False, 0
    while i < len(path):
        ch = path[i]
        if ch == "'":
            quoted = not quoted
        if ch == "/" and not quoted:
            break
        head.append(ch)
        i += 1
    first, rest = "".join(head), path[i + 1 :]
    res = Resource()
    if "(" in first:
        if not first.endswith(")"):
            raise OneCError("6", f"Неверный адрес ресурса: {first}")
        res.entity_set, key_text = first[:-1].split("(", 1)
        if key_text.strip():
            res.key = parse_key(key_text)
    else:
        res.entity_set = first
    rest = rest.rstrip("/")
    if rest:
        if "/" in rest:
            raise OneCError("6", f"Неверный адрес ресурса: {path}")
        res.segment = rest[:-2] if rest.endswith("()") else rest
    if not res.entity_set:
        raise OneCError("6", f"Неверный адрес ресурса: {path}")
    return res


def parse_query(raw: bytes | str, *, plus_as_space: bool = False) -> QueryOptions:
    """Split the raw query string and percent-decode names and values (UTF-8)."""
    text = raw.decode("latin-1") if isinstance(raw, bytes) else raw
    decode = unquote_plus if plus_as_space else unquote
    out: dict[str, str] = {}
    for part in text.split("&"):
        if not part:
            continue
        name, _, value = part.partition("=")
        try:
            name = decode(name, encoding="utf-8", errors="strict")
            value = decode(value, encoding="utf-8", errors="strict")
        except UnicodeDecodeError:
            raise OneCError("14", f"Неверная кодировка параметра {name}.") from None
        if name.startswith("$") and name not in SYSTEM_OPTIONS and name != "$count":
            raise OneCError("14", f"Неизвестный параметр запроса {name}.")
        out[name] = value
    return QueryOptions(out)


def non_negative_int(opts: QueryOptions, name: str) -> int | None:
    value = opts.get(name)
    if value is None:
        return None
    if not value.strip().isdigit():
        raise OneCError("14", f"Неверное значение параметра {name}: {value}")
    return int(value)
