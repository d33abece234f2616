"""Run-time semantics of 1C's ``$filter``: comparisons, arithmetic and the supported functions.

Everything here is total: a value of the wrong type (or a missing navigation target, ``MISSING``)
yields ``None`` or ``False`` instead of raising, so a compiled predicate never fails mid-query.
Strings compare case-insensitively, as in 1C's query language.
"""

from __future__ import annotations

import functools
import operator
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

Fn = Callable[[Mapping[str, Any], Mapping[str, Any]], Any]


class _Missing:
    """A navigation that found no referenced entity: every comparison with it is false."""

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()

UNSUPPORTED = frozenset({"length", "indexof", "replace", "tolower", "toupper", "trim", "floor", "ceiling"})
ENTITY_TYPE_RE = re.compile(
    r"(Catalog|Document|ExchangePlan|ChartOfCharacteristicTypes|ChartOfAccounts|ChartOfCalculationTypes|"
    r"BusinessProcess|Task|Enum|InformationRegister|AccumulationRegister|AccountingRegister|"
    r"CalculationRegister|Constant)_\w+\Z"
)
_NUMERIC_RE = re.compile(r"-?[0-9]+(?:\.[0-9]+)?\Z")
_INTEGER_RE = re.compile(r"-?[0-9]+\Z")
_GUID_RE = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\Z")
_DATETIME_RE = re.compile(r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})")
_ORDER = {
    "eq": operator.eq,
    "ne": operator.ne,
    "gt": operator.gt,
    "ge": operator.ge,
    "lt": operator.lt,
    "le": operator.le,
}


def _number(value: Any) -> int | float | None:
    """A number, or an Int64/decimal that 1C serialises as a JSON string; None otherwise."""
    cls = value.__class__
    if cls is int or cls is float:
        return value
    if cls is Decimal:
        return float(value)
    if cls is str and _NUMERIC_RE.match(value):
        try:
            return int(value) if "." not in value else float(value)
        except ValueError:  # more digits than Python converts
            return None
    return None


def _comparable(a: Any, b: Any) -> tuple[Any, Any] | None:
    ta, tb = a.__class__, b.__class__
    if ta is str and tb is str:
        return a.casefold(), b.casefold()
    if ta is bool or tb is bool:
        return (a, b) if ta is tb else None
    na, nb = _number(a), _number(b)
    if na is not None and nb is not None:
        return na, nb
    return None


def compare(op: str, a: Any, b: Any) -> bool:
    """1C's comparison: null only equals null, MISSING never matches, mismatched types are unequal."""
    if a is MISSING or b is MISSING:
        return False
    if a is None or b is None:
        both = a is None and b is None
        return both if op == "eq" else (not both if op == "ne" else False)
    pair = _comparable(a, b)
    if pair is None:
        return op == "ne"
    return bool(_ORDER[op](pair[0], pair[1]))


def generic_compare(op: str, lf: Fn, rf: Fn) -> Fn:
    return lambda e, env: compare(op, lf(e, env), rf(e, env))


def fast_compare(op: str, name: str, const: Any) -> Fn:
    """``TopLevelField <op> literal``: the hot path of most 1C filters, one dict lookup per entity."""
    if isinstance(const, str):
        lit = const.casefold()
        order = _ORDER[op]

        def str_cmp(e: Mapping[str, Any], env: Mapping[str, Any]) -> Any:
            v = e.get(name)
            if v.__class__ is str:
                return order(v.casefold(), lit)
            return compare(op, v, const)

        return str_cmp
    return lambda e, env: compare(op, e.get(name), const)


def arith(op: str, lf: Fn, rf: Fn) -> Fn:
    def run(e: Mapping[str, Any], env: Mapping[str, Any]) -> Any:
        a, b = _number(lf(e, env)), _number(rf(e, env))
        if a is None or b is None:
            return None
        try:
            if op == "add":
                return a + b
            if op == "sub":
                return a - b
            if op == "mul":
                return a * b
            return a / b if b != 0 else None
        except (OverflowError, ArithmeticError):
            return None

    return run


def negate(value: Any) -> Any:
    n = _number(value)
    return None if n is None else -n


# --- functions --------------------------------------------------------------------------------
def _str_args(fn: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(fn)
    def wrapper(*args: Any) -> Any:
        if all(a.__class__ is str for a in args):
            return fn(*args)
        return None

    return wrapper


@_str_args
def _substringof(needle: str, haystack: str) -> bool:
    return needle.casefold() in haystack.casefold()


@_str_args
def _startswith(text: str, prefix: str) -> bool:
    return text.casefold().startswith(prefix.casefold())


@_str_args
def _endswith(text: str, suffix: str) -> bool:
    return text.casefold().endswith(suffix.casefold())


@_str_args
def _concat(*parts: str) -> str:
    return "".join(parts)


def _substring(text: Any, start: Any, *length: Any) -> Any:
    """OData's 0-based ``substring(s, start[, length])``; None on a bad argument."""
    begin = _number(start)
    if text.__class__ is not str or begin.__class__ is not int or begin < 0:
        return None
    if not length:
        return text[begin:]
    size = _number(length[0])
    if size.__class__ is not int or size < 0:
        return None
    return text[begin : begin + size]


@functools.lru_cache(maxsize=256)
def like_regex(pattern: str) -> re.Pattern[str]:
    """1C's ``ПОДОБНО`` template: ``%`` any run of characters, ``_`` one character, case-insensitive."""
    parts = [".*" if ch == "%" else "." if ch == "_" else re.escape(ch) for ch in pattern]
    return re.compile("".join(parts), re.IGNORECASE | re.DOTALL)


@_str_args
def _like(text: str, pattern: str) -> bool:
    return like_regex(pattern).fullmatch(text) is not None


def _date_part(index: int) -> Callable[[Any], Any]:
    def part(value: Any) -> Any:
        if value.__class__ is not str:
            return None
        m = _DATETIME_RE.match(value)
        return int(m.group(index)) if m else None

    return part


@dataclass(frozen=True)
class FunctionSpec:
    """A supported function: arity, static argument kinds, result kind and implementation."""

    min_args: int
    max_args: int
    kinds: tuple[str, ...]
    result: str
    impl: Callable[..., Any]

    def arg_kinds(self, n: int) -> tuple[str, ...]:
        return tuple(self.kinds[i] if i < len(self.kinds) else self.kinds[-1] for i in range(n))

    def build(self, fns: Sequence[Fn], consts: Sequence[Any]) -> Fn:
        impl = self.impl
        if impl is _like and len(consts) == 2 and isinstance(consts[1], str):
            rx, f0 = like_regex(consts[1]), fns[0]

            def like_const(e: Mapping[str, Any], env: Mapping[str, Any]) -> Any:
                v = f0(e, env)
                return rx.fullmatch(v) is not None if v.__class__ is str else None

            return like_const
        if len(fns) == 1:
            g0 = fns[0]
            return lambda e, env: impl(_plain(g0(e, env)))
        if len(fns) == 2:
            h0, h1 = fns
            return lambda e, env: impl(_plain(h0(e, env)), _plain(h1(e, env)))
        return lambda e, env: impl(*(_plain(f(e, env)) for f in fns))


def _plain(value: Any) -> Any:
    return None if value is MISSING else value


FUNCTIONS: dict[str, FunctionSpec] = {
    "substringof": FunctionSpec(2, 2, ("str", "str"), "bool", _substringof),
    "startswith": FunctionSpec(2, 2, ("str", "str"), "bool", _startswith),
    "endswith": FunctionSpec(2, 2, ("str", "str"), "bool", _endswith),
    "like": FunctionSpec(2, 2, ("str", "str"), "bool", _like),
    "concat": FunctionSpec(2, 16, ("str",), "str", _concat),
    "substring": FunctionSpec(2, 3, ("str", "num", "num"), "str", _substring),
    **{
        name: FunctionSpec(1, 1, ("datetime",), "num", _date_part(i))
        for i, name in enumerate(("year", "month", "day", "hour", "minute", "second"), start=1)
    },
}


def edm_converter(type_name: str) -> Callable[[Any], Any] | None:
    """``cast(x, 'Edm.T')``: the converted value or None when ``x`` does not convert."""

    def to_int(v: Any) -> Any:
        n = _number(_plain(v))
        return int(n) if n is not None and n == n and abs(n) != float("inf") else None

    def to_float(v: Any) -> Any:
        n = _number(_plain(v))
        try:
            return None if n is None else float(n)
        except OverflowError:
            return None

    def to_str(v: Any) -> Any:
        v = _plain(v)
        if v is None or isinstance(v, list | dict):
            return None
        return ("true" if v else "false") if isinstance(v, bool) else str(v)

    table: dict[str, Callable[[Any], Any]] = {
        "Edm.String": to_str,
        "Edm.Int16": to_int,
        "Edm.Int32": to_int,
        "Edm.Int64": to_int,
        "Edm.Byte": to_int,
        "Edm.Decimal": to_float,
        "Edm.Double": to_float,
        "Edm.Single": to_float,
        "Edm.Boolean": lambda v: v if isinstance(v, bool) else None,
        "Edm.Guid": lambda v: v.lower() if isinstance(v, str) and _GUID_RE.match(v) else None,
        "Edm.DateTime": lambda v: v if isinstance(v, str) and _DATETIME_RE.fullmatch(v) else None,
    }
    return table.get(type_name)


def edm_checker(type_name: str) -> Callable[[Any], bool] | None:
    """``isof(x, 'Edm.T')`` on the JSON shape of a 1C value (Int64 arrives as a string)."""

    def is_number(v: Any) -> bool:
        return v.__class__ in (int, float, Decimal)

    table: dict[str, Callable[[Any], bool]] = {
        "Edm.String": lambda v: isinstance(v, str),
        "Edm.Boolean": lambda v: isinstance(v, bool),
        "Edm.Int16": lambda v: v.__class__ is int,
        "Edm.Int32": lambda v: v.__class__ is int,
        "Edm.Int64": lambda v: v.__class__ is int or (isinstance(v, str) and bool(_INTEGER_RE.match(v))),
        "Edm.Decimal": is_number,
        "Edm.Double": is_number,
        "Edm.Guid": lambda v: isinstance(v, str) and bool(_GUID_RE.match(v)),
        "Edm.DateTime": lambda v: isinstance(v, str) and bool(_DATETIME_RE.fullmatch(v)),
    }
    return table.get(type_name)
