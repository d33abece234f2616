"""OData v3 query building in 1C's dialect, with values rendered as typed literals.

Values never become filter text: strings are quoted with embedded quotes doubled, GUIDs are
parsed as UUIDs, datetimes are rendered naive in the base's time zone, numbers and booleans are
typed. Field and entity-set names are checked against an identifier pattern, so nothing that
arrives from outside (a webhook body, a mapping value) can change a query's structure.
"""

from __future__ import annotations

import re
import uuid
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from decimal import Decimal
from urllib.parse import quote

_NAME = re.compile(r"^[^\W\d]\w*\Z")
_PATH = re.compile(r"^[^\W\d]\w*(/[^\W\d]\w*)*\Z")
_QUERY_SAFE = "$'(),:/*"


class QueryError(ValueError):
    """A query cannot be built from the given names or values (a programming or mapping error)."""


def check_name(name: str, what: str = "name") -> str:
    """``name`` if it is a plain 1C/OData identifier (Cyrillic allowed), else ``QueryError``."""
    if not isinstance(name, str) or not _NAME.match(name):
        raise QueryError(f"invalid {what} {name!r}: expected an identifier such as Document_CRM_Интерес")
    return name


def check_field_path(path: str) -> str:
    """``path`` if it is a field or a navigation path (``Партнер/Description``)."""
    if not isinstance(path, str) or not _PATH.match(path):
        raise QueryError(f"invalid field {path!r}: expected a name such as Партнер_Key or Партнер/Name")
    return path


def guid(value: object) -> str:
    """The canonical lower-case GUID text of ``value`` (a UUID or a GUID string), else ``QueryError``."""
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, str):
        try:
            return str(uuid.UUID(value.strip()))
        except ValueError:
            pass
    raise QueryError(f"{value!r} is not a GUID")


@dataclass(frozen=True)
class Guid:
    """Marks a value as an OData ``guid'…'`` literal."""

    value: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "value", guid(self.value))


Value = None | bool | int | float | Decimal | str | uuid.UUID | Guid | datetime | date


def literal(value: Value, tz: tzinfo) -> str:
    """Render one value as a 1C OData literal. Aware datetimes are converted to the base's zone
    ``tz``; naive ones are taken as already in that zone (1C's own convention)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise QueryError(f"{value!r} cannot be an OData literal")
        return repr(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise QueryError(f"{value!r} cannot be an OData literal")
        return format(value, "f")
    if isinstance(value, uuid.UUID | Guid):
        return f"guid'{guid(value.value if isinstance(value, Guid) else value)}'"
    if isinstance(value, datetime):
        local = value.astimezone(tz).replace(tzinfo=None) if value.tzinfo else value
        return f"datetime'{local.replace(microsecond=0).isoformat()}'"
    if isinstance(value, date):
        return f"datetime'{value.isoformat()}T00:00:00'"
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    raise QueryError(f"unsupported literal type {type(value).__name__}")


class Expr(ABC):
    """A ``$filter`` expression tree; combine with ``&``, ``|`` and ``~``."""

    @abstractmethod
    def render(self, tz: tzinfo) -> str:
        """The expression as 1C's ``$filter`` text, literals rendered in the base's zone ``tz``."""

    def __and__(self, other: Expr) -> Expr:
        return _Bool("and", self, other)

    def __or__(self, other: Expr) -> Expr:
        return _Bool("or", self, other)

    def __invert__(self) -> Expr:
        return _Not(self)


@dataclass(frozen=True)
class _Compare(Expr):
    path: str
    op: str
    value: Value

    def render(self, tz: tzinfo) -> str:
        return f"{self.path} {self.op} {literal(self.value, tz)}"


@dataclass(frozen=True)
class _Bool(Expr):
    op: str
    left: Expr
    right: Expr

    def render(self, tz: tzinfo) -> str:
        return f"({self.left.render(tz)}) {self.op} ({self.right.render(tz)})"


@dataclass(frozen=True)
class _Not(Expr):
    inner: Expr

    def render(self, tz: tzinfo) -> str:
        return f"not ({self.inner.render(tz)})"


@dataclass(frozen=True)
class _Call(Expr):
    name: str
    args: tuple[str | tuple[Value], ...]

    def render(self, tz: tzinfo) -> str:
        parts = [a if isinstance(a, str) else literal(a[0], tz) for a in self.args]
        return f"{self.name}({','.join(parts)})"


class F:
    """A field in a filter: ``F("Партнер_Key") == Guid(ref)``, ``F("Date") >= since``."""

    def __init__(self, path: str) -> None:
        self.path = check_field_path(path)

    def __eq__(self, value: object) -> Expr:  # type: ignore[override]
        return _Compare(self.path, "eq", value)  # type: ignore[arg-type]

    def __ne__(self, value: object) -> Expr:  # type: ignore[override]
        return _Compare(self.path, "ne", value)  # type: ignore[arg-type]

    def __gt__(self, value: Value) -> Expr:
        return _Compare(self.path, "gt", value)

    def __ge__(self, value: Value) -> Expr:
        return _Compare(self.path, "ge", value)

    def __lt__(self, value: Value) -> Expr:
        return _Compare(self.path, "lt", value)

    def __le__(self, value: Value) -> Expr:
        return _Compare(self.path, "le", value)

    def __hash__(self) -> int:
        return hash(self.path)

    def startswith(self, prefix: str) -> Expr:
        return _Call("startswith", (self.path, (prefix,)))

    def contains(self, needle: str) -> Expr:
        """1C's ``substringof(needle, field)`` (needle first)."""
        return _Call("substringof", ((needle,), self.path))


def all_of(exprs: Iterable[Expr]) -> Expr | None:
    """The conjunction of ``exprs`` (``None`` when empty)."""
    result: Expr | None = None
    for e in exprs:
        result = e if result is None else result & e
    return result


def entity_path(entity_set: str) -> str:
    """The percent-encoded path segment of an entity set."""
    return quote(check_name(entity_set, "entity set"), safe="")


def key_segment(ref: object) -> str:
    """``(guid'…')`` for an object reference."""
    return f"(guid'{guid(ref)}')"


def register_key(parts: Mapping[str, Value], tz: tzinfo) -> str:
    """``(Period=datetime'…',Валюта_Key=guid'…')`` for a register record set."""
    if not parts:
        raise QueryError("a register key needs at least one part")
    rendered = ",".join(f"{check_name(k, 'key part')}={literal(v, tz)}" for k, v in parts.items())
    return f"({rendered})"


@dataclass(frozen=True)
class Query:
    """One OData read request: entity set, optional key, and query options."""

    entity_set: str
    key: str = ""
    filter: Expr | None = None
    select: tuple[str, ...] = ()
    expand: tuple[str, ...] = ()
    order_by: tuple[str, ...] = ()
    top: int | None = None
    skip: int | None = None
    extra: tuple[tuple[str, str], ...] = field(default=())

    def path(self) -> str:
        return entity_path(self.entity_set) + self.key

    def query_string(self, tz: tzinfo, *, json: bool = True) -> str:
        """The encoded query string (without ``?``); parameter order is stable."""
        params: list[tuple[str, str]] = []
        if json:
            params.append(("$format", "json"))
        if self.filter is not None:
            params.append(("$filter", self.filter.render(tz)))
        if self.select:
            params.append(("$select", ",".join(check_field_path(s) for s in self.select)))
        if self.expand:
            params.append(("$expand", ",".join(check_field_path(s) for s in self.expand)))
        if self.order_by:
            params.append(("$orderby", ",".join(_order_term(o) for o in self.order_by)))
        if self.top is not None:
            params.append(("$top", str(_non_negative(self.top, "$top"))))
        if self.skip:
            params.append(("$skip", str(_non_negative(self.skip, "$skip"))))
        params.extend(self.extra)
        return "&".join(f"{n}={quote(v, safe=_QUERY_SAFE)}" for n, v in params)

    def url(self, service_root: str, tz: tzinfo, *, json: bool = True) -> str:
        qs = self.query_string(tz, json=json)
        return f"{service_root.rstrip('/')}/{self.path()}" + (f"?{qs}" if qs else "")


def _order_term(term: str) -> str:
    name, _, direction = term.partition(" ")
    if direction not in ("", "asc", "desc"):
        raise QueryError(f"invalid order direction {direction!r} in {term!r}")
    return check_field_path(name) + (f" {direction}" if direction else "")


def _non_negative(n: int, what: str) -> int:
    if not isinstance(n, int) or isinstance(n, bool) or n < 0:
        raise QueryError(f"{what} must be a non-negative integer, got {n!r}")
    return n
