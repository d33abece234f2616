"""What 1C can filter of a mapping's task conditions: ``open_when`` / ``closed_when`` in ``$filter``.

A full read used to fetch every object of ``source.filter`` and drop, in the connector, those
whose conditions give no open task: after years of use most of a base is closed history read
only to be thrown away. ``server_filter(mapping)`` compiles the conditions (Jinja expressions,
parsed with Jinja's own parser) into 1C's OData dialect where their meaning can be kept, so 1C
returns only the objects that can become open tasks. The connector still evaluates the Jinja
conditions on every object it reads: the filter only narrows what is read, it decides nothing.

Every compiled condition has two bounds over the objects on which it can be evaluated:
``upper`` holds for every object where the condition is true (it may hold for more), ``lower``
only for objects where it is true. The kept objects are ``source.filter``, not deleted,
``open_when`` true and ``closed_when`` false, so 1C gets ``upper(open_when) and not
lower(closed_when)``: never an object the connector would keep is missed. A part 1C cannot be
told exactly (a function, a loop, a field of unknown type, a string compared case-sensitively)
makes its bounds loose (``upper`` true, ``lower`` false) and is reported as checked in the
connector. Where every part is exact, 1C returns exactly the kept objects (``exact``).

Meanings kept (the connector's view of a 1C object: strings right-stripped, an empty reference
or date is None, an expanded reference is a dict or None):
- a boolean field is itself; a number is true unless 0; a date or a reference unless empty; an
  enumeration unless empty; an expanded reference when it is filled (``X_Key`` not empty: a
  reference to an object that no longer exists counts as filled); a string when not blank (an
  upper bound only: 1C does not strip tabs or line breaks);
- ``==``/``!=``/``in``/``not in`` with literals: exact for booleans, numbers, references (GUID
  text), ``none``, and an enumeration's member names (1C's names are unique whatever the case);
  free strings only bound from one side (1C compares strings case-insensitively, and may or may
  not ignore the padding of fixed-length strings, so ``==`` becomes ``startswith``);
  ``< <= > >=`` for numbers; ``is none``, ``is true``, ``is false``;
- a field of an expanded reference (``Owner.Code``) as above, guarded by ``Owner_Key`` being
  filled so that negation means the same with or without SQL's three-valued logic;
- ``and``, ``or``, ``not``, ``true``, ``false``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping as AnyMapping
from dataclasses import dataclass
from typing import Any

from jinja2 import TemplateSyntaxError, nodes

from connector.mapping.crm_model import BUILTIN, EntitySet, FieldKind
from connector.mapping.memo import PerMapping
from connector.mapping.odata_expr import Atom, Cmp, Cond, all_of, any_of, negate, render
from connector.mapping.schema import Mapping
from connector.mapping.templates import ENV, TemplateProblem

EMPTY_GUID = "00000000-0000-0000-0000-000000000000"
EMPTY_DATE = "datetime'0001-01-01T00:00:00'"
_LOWER_GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\Z")
_LIKE_SPECIAL = frozenset("%_[]^\\")


# --- literals ----------------------------------------------------------------------------------


def _string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _number(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return str(value) if isinstance(value, int) else repr(value)


# --- bounds of one Jinja expression ------------------------------------------------------------


@dataclass(frozen=True)
class Bounds:
    """``upper`` holds wherever the expression is true, ``lower`` only where it is true;
    ``exact`` when both are the expression itself (on objects where it can be evaluated)."""

    upper: Cond
    lower: Cond
    exact: bool

    @staticmethod
    def of(c: Cond) -> Bounds:
        return Bounds(c, c, True)


_UNKNOWN = Bounds(True, False, False)
_FLIP = {"eq": "eq", "ne": "ne", "lt": "gt", "lteq": "gteq", "gt": "lt", "gteq": "lteq"}
_ODATA_OP = {"eq": "eq", "ne": "ne", "lt": "lt", "lteq": "le", "gt": "gt", "gteq": "ge"}
_JINJA_OP = {
    "eq": "==",
    "ne": "!=",
    "lt": "<",
    "lteq": "<=",
    "gt": ">",
    "gteq": ">=",
    "in": "in",
    "notin": "not in",
}


@dataclass(frozen=True)
class _Path:
    """A field as 1C's ``$filter`` names it, with what the connector sees there."""

    odata: str  # Стадия, Owner/Code
    kind: FieldKind | None
    members: frozenset[str]
    guard: Cond  # true when the path can be read (an expanded reference is filled)
    shown: str  # Owner.Code


class _Compiler:
    def __init__(self, es: EntitySet, sets: AnyMapping[str, EntitySet], expand: frozenset[str]) -> None:
        self.es, self.sets, self.expand = es, sets, expand
        self.client: list[str] = []

    def loose(self, node: nodes.Node, why: str) -> Bounds:
        self.client.append(f"{show(node)} ({why})")
        return _UNKNOWN

    def bounds(self, node: nodes.Node) -> Bounds:
        if isinstance(node, nodes.And | nodes.Or):
            a, b = self.bounds(node.left), self.bounds(node.right)
            join = all_of if isinstance(node, nodes.And) else any_of
            return Bounds(join(a.upper, b.upper), join(a.lower, b.lower), a.exact and b.exact)
        if isinstance(node, nodes.Not):
            inner = self.bounds(node.node)
            return Bounds(negate(inner.lower), negate(inner.upper), inner.exact)
        if isinstance(node, nodes.Const):
            if isinstance(node.value, bool) or node.value is None:
                return Bounds.of(bool(node.value))
            return self.loose(node, "a constant other than true, false or none")
        if isinstance(node, nodes.Name | nodes.Getattr):
            path = self.path(node)
            if path is None:
                return self.loose(node, "not a field 1C knows the type of")
            return self.truth(path)
        if isinstance(node, nodes.Compare):
            return self.compare(node)
        if isinstance(node, nodes.Test):
            return self.test(node)
        return self.loose(node, f"{type(node).__name__.lower()} is evaluated in the connector only")

    # fields ------------------------------------------------------------------------------------

    def path(self, node: nodes.Node) -> _Path | None:
        if isinstance(node, nodes.Name) and node.ctx == "load":
            name = node.name
            if name in self.expand and name in self.es.navigation:
                return _Path(name, None, frozenset(), True, name)  # the expanded reference itself
            kind = self.es.kinds.get(name)
            return _Path(name, kind, self.es.members.get(name, frozenset()), True, name) if kind else None
        if isinstance(node, nodes.Getattr) and isinstance(node.node, nodes.Name):
            nav = node.node.name
            target = self.sets.get(self.es.navigation.get(nav, "")) if nav in self.expand else None
            kind = target.kinds.get(node.attr) if target is not None else None
            if target is None or kind is None or f"{nav}_Key" not in self.es.fields:
                return None
            guard = Cmp(f"{nav}_Key", "ne", f"guid'{EMPTY_GUID}'")
            members = target.members.get(node.attr, frozenset())
            return _Path(f"{nav}/{node.attr}", kind, members, guard, f"{nav}.{node.attr}")
        return None

    def truth(self, p: _Path) -> Bounds:
        """Where the field's value is truthy for Jinja."""
        if p.kind is None:  # an expanded reference: filled
            return Bounds.of(Cmp(f"{p.odata}_Key", "ne", f"guid'{EMPTY_GUID}'"))
        atom: Cond
        if p.kind == "bool":
            atom = Cmp(p.odata, "eq", "true")
        elif p.kind == "number":
            atom = Cmp(p.odata, "ne", "0")
        elif p.kind == "date":
            atom = Cmp(p.odata, "ne", EMPTY_DATE)
        elif p.kind == "ref":
            atom = Cmp(p.odata, "ne", f"guid'{EMPTY_GUID}'")
        elif p.kind == "key":
            atom = True
        elif p.kind == "enum":
            atom = Cmp(p.odata, "ne", "''")
        else:  # a string: blank after stripping is false; 1C strips spaces at most
            self.client.append(f"{p.shown} (a string that is only white space counts as empty)")
            return Bounds(all_of(p.guard, Cmp(p.odata, "ne", "''")), False, False)
        return Bounds.of(all_of(p.guard, atom))

    # comparisons -------------------------------------------------------------------------------

    def compare(self, node: nodes.Compare) -> Bounds:
        if len(node.ops) != 1:
            return self.loose(node, "chained comparisons are checked in the connector")
        left, op, right = node.expr, node.ops[0].op, node.ops[0].expr
        if self.path(left) is None and self.path(right) is not None and op in _FLIP:
            left, right, op = right, left, _FLIP[op]
        p = self.path(left)
        if p is None:
            return self.loose(node, "no field of known type on either side")
        if op in ("in", "notin"):
            if not isinstance(right, nodes.List | nodes.Tuple):
                return self.loose(node, "`in` needs a list of literals")
            values = [self.literal(item) for item in right.items]
            if any(v is _NOT_LITERAL for v in values):
                return self.loose(node, "`in` needs a list of literals")
            each = [self.equal(p, v, node) for v in values]
            hit = Bounds(
                any_of(*(b.upper for b in each)), any_of(*(b.lower for b in each)), all(b.exact for b in each)
            )
            return hit if op == "in" else Bounds(negate(hit.lower), negate(hit.upper), hit.exact)
        value = self.literal(right)
        if value is _NOT_LITERAL:
            return self.loose(node, "compared with something other than a literal")
        if op in ("eq", "ne"):
            hit = self.equal(p, value, node)
            return hit if op == "eq" else Bounds(negate(hit.lower), negate(hit.upper), hit.exact)
        if p.kind == "number" and _number(value) is not None:
            return Bounds.of(all_of(p.guard, Cmp(p.odata, _ODATA_OP[op], str(_number(value)))))
        return self.loose(node, "an ordering comparison of anything but a number and a number literal")

    def equal(self, p: _Path, value: Any, node: nodes.Node) -> Bounds:
        """Bounds of ``field == value`` (``value`` a literal)."""
        kind = p.kind
        if kind is None:  # the expanded reference itself: only `== none` is meaningful
            if value is None:
                return Bounds.of(Cmp(f"{p.odata}_Key", "eq", f"guid'{EMPTY_GUID}'"))
            return self.loose(node, "an expanded reference compared with a literal")
        if value is None:
            empty = {"date": EMPTY_DATE, "ref": f"guid'{EMPTY_GUID}'"}.get(kind)
            return Bounds.of(all_of(p.guard, Cmp(p.odata, "eq", empty)) if empty else False)
        if kind == "bool" and isinstance(value, bool):
            return Bounds.of(all_of(p.guard, Cmp(p.odata, "eq", "true" if value else "false")))
        if kind == "number" and _number(value) is not None:
            return Bounds.of(all_of(p.guard, Cmp(p.odata, "eq", str(_number(value)))))
        if kind in ("ref", "key") and isinstance(value, str) and _LOWER_GUID.match(value):
            return Bounds.of(all_of(p.guard, Cmp(p.odata, "eq", f"guid'{value}'")))
        if kind == "enum" and isinstance(value, str) and (value in p.members or value == ""):
            return Bounds.of(all_of(p.guard, Cmp(p.odata, "eq", _string(value))))
        if kind in ("string", "enum") and isinstance(value, str):
            if value != value.rstrip():  # the connector's value is stripped: never equal
                return Bounds.of(False)
            if not value or _LIKE_SPECIAL & set(value):
                return self.loose(node, "a string 1C cannot be asked to match exactly")
            self.client.append(f"{show(node)} (1C compares strings case-insensitively)")
            starts = Atom(f"startswith({p.odata},{_string(value)})")
            return Bounds(all_of(p.guard, starts), False, False)
        return self.loose(node, f"a {kind} field compared with {type(value).__name__}")

    def test(self, node: nodes.Test) -> Bounds:
        p = self.path(node.node)
        if p is None or node.args or node.kwargs:
            return self.loose(node, "a test 1C cannot evaluate")
        if node.name == "none":
            return self.equal(p, None, node)
        if node.name in ("true", "false") and p.kind == "bool":
            return self.equal(p, node.name == "true", node)
        if node.name in ("true", "false") and p.kind is not None:  # `is true` is identity with True
            return Bounds.of(False)
        return self.loose(node, f"the test `{node.name}` is checked in the connector")

    @staticmethod
    def literal(node: nodes.Node) -> Any:
        if isinstance(node, nodes.Const) and (
            node.value is None or isinstance(node.value, str | int | float)
        ):
            return node.value
        if isinstance(node, nodes.Neg) and isinstance(node.node, nodes.Const):
            inner = node.node.value
            if isinstance(inner, int | float) and not isinstance(inner, bool):
                return -inner
        return _NOT_LITERAL


_NOT_LITERAL: Any = object()


def show(node: nodes.Node) -> str:
    """A Jinja expression node written back as text (for reports; not necessarily the source)."""
    if isinstance(node, nodes.Name):
        return node.name
    if isinstance(node, nodes.Getattr):
        return f"{show(node.node)}.{node.attr}"
    if isinstance(node, nodes.Const):
        return repr(node.value) if not isinstance(node.value, bool) else str(node.value).lower()
    if isinstance(node, nodes.List | nodes.Tuple):
        return "[" + ", ".join(show(i) for i in node.items) + "]"
    if isinstance(node, nodes.Not):
        return f"not {show(node.node)}"
    if isinstance(node, nodes.And | nodes.Or):
        word = "and" if isinstance(node, nodes.And) else "or"
        return f"{show(node.left)} {word} {show(node.right)}"
    if isinstance(node, nodes.Compare):
        return show(node.expr) + "".join(f" {_JINJA_OP.get(o.op, o.op)} {show(o.expr)}" for o in node.ops)
    if isinstance(node, nodes.Test):
        return f"{show(node.node)} is {node.name}"
    if isinstance(node, nodes.Filter):
        return f"{show(node.node) if node.node is not None else ''}|{node.name}"
    if isinstance(node, nodes.Call):
        return f"{show(node.node)}(…)"
    if isinstance(node, nodes.Neg):
        return f"-{show(node.node)}"
    return type(node).__name__


def expression_node(source: str) -> nodes.Node:
    """The AST of a Jinja expression, from Jinja's own parser."""
    try:
        body = ENV.parse("{{ " + source + " }}").body
    except TemplateSyntaxError as exc:
        raise TemplateProblem(f"expression syntax error: {exc.message}") from None
    if len(body) != 1 or not isinstance(body[0], nodes.Output) or len(body[0].nodes) != 1:
        raise TemplateProblem(f"{source!r} is not a single expression")
    return body[0].nodes[0]


def condition_bounds(
    source: str,
    es: EntitySet,
    sets: AnyMapping[str, EntitySet] = BUILTIN,
    expand: frozenset[str] = frozenset(),
) -> tuple[Bounds, list[str]]:
    """The bounds of one condition over ``es`` and the parts left to the connector (with why)."""
    compiler = _Compiler(es, sets, expand)
    return compiler.bounds(expression_node(source)), compiler.client


# --- the filter of a mapping -------------------------------------------------------------------


@dataclass(frozen=True)
class ServerFilter:
    """What 1C is asked for on a full read or a scan of ``mapping``.

    ``text`` is the whole ``$filter`` (None: no filter), ``compiled`` the part added from the
    conditions (None: nothing could be), ``exact`` whether 1C then returns exactly the objects
    the conditions keep, ``in_1c`` and ``in_connector`` what is filtered where, for people."""

    mapping: str
    text: str | None
    compiled: str | None
    exact: bool
    in_1c: tuple[str, ...]
    in_connector: tuple[str, ...]


def server_filter(mapping: Mapping, sets: AnyMapping[str, EntitySet] = BUILTIN) -> ServerFilter:
    """The ``$filter`` of a full read of ``mapping``: ``source.filter`` and what 1C can evaluate of
    ``not DeletionMark and open_when and not closed_when`` (see the module's docstring). Cached
    per mapping object."""
    return _SERVER_FILTERS(mapping, sets)


def _server_filter(mapping: Mapping, sets: AnyMapping[str, EntitySet]) -> ServerFilter:
    source, task = mapping.source, mapping.task
    if source is None or task is None:
        raise ValueError(f"mapping {mapping.name!r} has no `source` and `task`")
    in_1c = [f"source.filter: {source.filter}"] if source.filter else []
    es = sets.get(source.entity_set)
    if es is None:
        why = f"conditions (the type of {source.entity_set}'s fields is not known)"
        return ServerFilter(mapping.name, source.filter, None, False, tuple(in_1c), (why,))
    expand = frozenset(source.expand)
    parts: list[Cond] = []
    exact = True
    client: list[str] = []
    if es.kinds.get("DeletionMark") == "bool":
        if not _has_conjunct(source.filter, "DeletionMark eq false"):
            parts.append(Cmp("DeletionMark", "eq", "false"))
            in_1c.append("DeletionMark eq false (a deleted object closes its task)")
    else:
        exact = False
        client.append("DeletionMark (not a known field of this set)")
    for key, negated in (("open_when", False), ("closed_when", True)):
        text = getattr(task, key)
        if not text:
            continue
        try:
            bounds, loose = condition_bounds(text, es, sets, expand)
        except TemplateProblem:
            exact = False
            client.append(f"{key}: {text}")
            continue
        part = negate(bounds.lower) if negated else bounds.upper
        exact = exact and bounds.exact
        client.extend(f"{key}: {item}" for item in loose)
        if part is not True:
            parts.append(part)
            shown = f"not ({text})" if negated else text
            in_1c.append(f"{key}: {shown}" + ("" if bounds.exact else " (in part)"))
    compiled = all_of(*parts)
    if compiled is False:  # nothing can be kept: still a filter 1C evaluates cheaply
        compiled_text: str | None = "Ref_Key eq guid'" + EMPTY_GUID + "'"
    else:
        compiled_text = None if compiled is True else render(compiled)
    text = source.filter
    if compiled_text is not None:
        text = f"({source.filter}) and ({compiled_text})" if source.filter else compiled_text
    return ServerFilter(mapping.name, text, compiled_text, exact, tuple(in_1c), tuple(client))


_SERVER_FILTERS: PerMapping[ServerFilter] = PerMapping(_server_filter)


def describe(sf: ServerFilter) -> list[str]:
    """Where each part of a mapping's filter is evaluated, for people (``validate --online``)."""
    exact = " (1C returns exactly the objects the conditions keep)" if sf.exact else ""
    return [
        "filtered in 1C: " + ("; ".join(sf.in_1c) or "nothing"),
        "checked in the connector only: " + ("; ".join(sf.in_connector) or "nothing" + exact),
    ]


def _has_conjunct(flt: str | None, conjunct: str) -> bool:
    """Whether the plain ``a and b and …`` filter ``flt`` has ``conjunct`` as one of its terms."""
    if not flt or any(t in flt for t in ("(", " or ", "not ")):
        return False
    return any(part.strip() == conjunct for part in flt.split(" and "))


__all__ = [
    "EMPTY_GUID",
    "Bounds",
    "ServerFilter",
    "condition_bounds",
    "describe",
    "render",
    "server_filter",
    "show",
]
