"""1C's OData v3 ``$filter`` dialect, compiled once into a fast predicate over JSON-shaped entities.

Real 1C accepts Cyrillic identifiers, the v3 literals ``guid'…'`` / ``datetime'…'`` and a fixed set of
functions, and refuses the rest with error codes the client must handle: ``14`` (cannot parse the
query options, including a literal of the wrong shape), ``21`` (unsupported function) and ``10``
(unknown property). The grammar lives in ``odata_filter.lark``.

Semantics, chosen to match 1C's query language rather than generic OData:

* String comparisons (``eq ne gt ge lt le``) and the string functions (``substringof``,
  ``startswith``, ``endswith``, ``like``) are case-INsensitive, as 1C compares strings in queries.
* ``not`` binds looser than comparisons and tighter than ``and``/``or`` (``НЕ`` in 1C).
* ``null``: ``X eq null`` is true when the value is null; ordering comparisons with null are false.
  When a navigation (``Партнер/Description``) finds no referenced entity, every comparison is false.
* Int64 values arrive as JSON strings (``"LineNumber": "1"``) and compare numerically with numbers.
* A plain string literal compared with a reference field (``…_Key``) is refused with code 14;
  reference fields take ``guid'…'`` literals.
* With ``property_type`` (the EDM type of a top-level property), a comparison of that property with
  a literal of another type is refused with code 14, as 1C refuses it: ``datetime'…'`` only for
  ``Edm.DateTime``, ``true``/``false`` only for ``Edm.Boolean``, numbers only for numeric types,
  ``'strings'`` only for ``Edm.String``, ``guid'…'`` only for ``Edm.Guid``; ``null`` fits every type.
* ``Поле eq cast(guid'…','Document_Y')`` on a composite field also checks ``Поле_Type``; on a
  reference (``_Key``) field only the GUID is compared.
* Arithmetic or functions on values of the wrong type give null (a comparison then is false);
  a compiled predicate never raises.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from lark import Lark, Token, Tree
from lark.exceptions import LarkError, UnexpectedCharacters, UnexpectedEOF, UnexpectedToken

from mock_1c import odata_filter_functions as fx
from mock_1c.odata_filter_types import literal_mismatch

__all__ = ["FilterError", "compile_filter", "compile_tree", "parse_filter"]

Entity = Mapping[str, Any]
Env = Mapping[str, Any]
Fn = Callable[[Entity, Env], Any]

MAX_DEPTH = 60
_EMPTY_ENV: Env = {}
_GUID_RE = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\Z")
_DATETIME_RE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\Z")


class FilterError(Exception):
    """A ``$filter`` that 1C refuses: ``code`` is 1C's error code as a string, ``message`` is Russian."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _parse_error(detail: str) -> FilterError:
    return FilterError("14", f"Ошибка разбора параметров запроса $filter: {detail}")


@functools.cache
def _parser() -> Lark:
    grammar = (Path(__file__).parent / "odata_filter.lark").read_text(encoding="utf-8")
    return Lark(grammar, parser="lalr", maybe_placeholders=True)


@dataclass(frozen=True)
class _PropRef:
    """Where a property value lives: the mapping that holds it and the key (for ``_Type``/``_Key``)."""

    parent: Fn
    name: str


@dataclass(frozen=True)
class _Node:
    """A compiled sub-expression: its evaluator plus what compile-time checks need to know."""

    fn: Fn
    kind: str  # bool | str | num | guid | datetime | null | cast | value (not known before run time)
    const: Any = fx.MISSING
    prop: _PropRef | None = None
    top_name: str | None = None  # a simple top-level property: enables the fast comparison path


def _const(value: Any, kind: str) -> _Node:
    return _Node(lambda e, env: value, kind, const=value)


def _default_navigate(entity: Entity, name: str) -> Entity | None:
    value = entity.get(name)
    return value if isinstance(value, Mapping) else None


def compile_filter(
    text: str,
    *,
    has_property: Callable[[str], bool] | None = None,
    navigate: Callable[[Mapping[str, Any], str], Mapping[str, Any] | None] | None = None,
    property_type: Callable[[str], str | None] | None = None,
) -> Callable[[Mapping[str, Any]], bool]:
    """Compile ``text`` once; the returned predicate answers whether an entity matches.

    ``has_property(name)`` validates top-level property names at compile time (unknown → code "10");
    for a navigation or lambda path, the first segment ``X`` is accepted when ``X`` or ``X_Key``
    exists. ``navigate(entity, "Партнер")`` resolves ``Партнер/…`` to the referenced entity (None
    when there is none); without it only expanded (nested dict) values can be navigated.
    ``property_type(name)`` is the EDM type name of a top-level property (``"Edm.DateTime"``; None
    when unknown or untyped, e.g. a composite value): comparisons of such a property with a literal
    of another type are refused (code "14"). Raises FilterError for anything 1C refuses.
    """
    tree = parse_filter(text)
    return compile_tree(tree, has_property=has_property, navigate=navigate, property_type=property_type)


def parse_filter(text: str) -> Tree[Token]:
    """The parse tree of ``text``; ``FilterError`` (code 14) when 1C could not parse it."""
    if not isinstance(text, str) or not text.strip():
        raise _parse_error("пустое выражение")
    try:
        tree = _parser().parse(text)
    except UnexpectedCharacters as exc:
        raise _parse_error(f"недопустимый символ «{exc.char}» в позиции {exc.column}") from None
    except UnexpectedEOF:
        raise _parse_error("неожиданный конец выражения") from None
    except UnexpectedToken as exc:
        tok = exc.token
        if tok.type == "$END":
            raise _parse_error("неожиданный конец выражения") from None
        raise _parse_error(f"неожиданная лексема «{tok}» в позиции {tok.column}") from None
    except LarkError as exc:  # any other grammar failure is still a parse error for the client
        raise _parse_error(str(exc).splitlines()[0] if str(exc) else "синтаксическая ошибка") from None
    _check_depth(tree)
    return tree


def compile_tree(
    tree: Tree[Token],
    *,
    has_property: Callable[[str], bool] | None = None,
    navigate: Callable[[Mapping[str, Any], str], Mapping[str, Any] | None] | None = None,
    property_type: Callable[[str], str | None] | None = None,
) -> Callable[[Mapping[str, Any]], bool]:
    """``compile_filter`` of an already parsed (and depth-checked) tree."""
    compiler = _Compiler(has_property, navigate or _default_navigate, property_type)
    node = compiler.compile(tree, frozenset())
    _require_boolish(node, "выражение $filter должно быть логическим")
    fn = node.fn

    def predicate(entity: Mapping[str, Any]) -> bool:
        return fn(entity, _EMPTY_ENV) is True

    return predicate


def _check_depth(tree: Tree[Token]) -> None:
    stack: list[tuple[Any, int]] = [(tree, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise _parse_error(f"выражение слишком сложное (вложенность больше {MAX_DEPTH})")
        if isinstance(item, Tree):
            stack.extend((child, depth + 1) for child in item.children)


def _require_boolish(node: _Node, why: str) -> None:
    if node.kind not in ("bool", "value"):
        raise _parse_error(why)


class _Compiler:
    """Turns the parse tree into closures ``fn(entity, env)``; ``env`` holds lambda variables."""

    def __init__(
        self,
        has_property: Callable[[str], bool] | None,
        navigate: Callable[[Mapping[str, Any], str], Mapping[str, Any] | None],
        property_type: Callable[[str], str | None] | None = None,
    ) -> None:
        self.has_property = has_property
        self.navigate = navigate
        self.property_type = property_type

    def compile(self, item: Tree[Token] | Token, scope: frozenset[str]) -> _Node:
        if isinstance(item, Token):
            return self.literal(item)
        handler = getattr(self, f"rule_{item.data}")
        result: _Node = handler(item, scope)
        return result

    # --- literals -------------------------------------------------------------------------------
    def literal(self, tok: Token) -> _Node:
        text = str(tok)
        if tok.type == "STRING":
            return _const(text[1:-1].replace("''", "'"), "str")
        if tok.type == "GUID":
            body = text[5:-1]
            if not _GUID_RE.match(body):
                raise _parse_error(f"неверный литерал {text} в позиции {tok.column}")
            return _const(body.lower(), "guid")
        if tok.type == "DATETIME":
            body = text[9:-1]
            try:
                if not _DATETIME_RE.match(body):
                    raise ValueError(body)
                datetime.strptime(body, "%Y-%m-%dT%H:%M:%S")
            except ValueError:
                raise _parse_error(
                    f"неверный литерал {text} в позиции {tok.column}, ожидается datetime'ГГГГ-ММ-ДДTЧЧ:ММ:СС'"
                ) from None
            return _const(body, "datetime")
        if tok.type == "NUMBER":
            digits = text.rstrip("mMdDfFlL")
            try:
                number: int | float = int(digits)
            except ValueError:
                number = float(digits)
            return _const(number, "num")
        if tok.type == "TRUE":
            return _const(True, "bool")
        if tok.type == "FALSE":
            return _const(False, "bool")
        if tok.type == "NULL":
            return _const(None, "null")
        raise _parse_error(f"неожиданная лексема «{text}» в позиции {tok.column}")

    # --- logic ----------------------------------------------------------------------------------
    def rule_or_(self, tree: Tree[Token], scope: frozenset[str]) -> _Node:
        left, right = (self.compile(c, scope) for c in tree.children)
        for side in (left, right):
            _require_boolish(side, "операнды 'or' должны быть логическими")
        lf, rf = left.fn, right.fn
        return _Node(lambda e, env: lf(e, env) is True or rf(e, env) is True, "bool")

    def rule_and_(self, tree: Tree[Token], scope: frozenset[str]) -> _Node:
        left, right = (self.compile(c, scope) for c in tree.children)
        for side in (left, right):
            _require_boolish(side, "операнды 'and' должны быть логическими")
        lf, rf = left.fn, right.fn
        return _Node(lambda e, env: lf(e, env) is True and rf(e, env) is True, "bool")

    def rule_not_(self, tree: Tree[Token], scope: frozenset[str]) -> _Node:
        inner = self.compile(tree.children[0], scope)
        _require_boolish(inner, "операнд 'not' должен быть логическим")
        f = inner.fn
        return _Node(lambda e, env: f(e, env) is not True, "bool")

    # --- comparison and arithmetic --------------------------------------------------------------
    def rule_compare(self, tree: Tree[Token], scope: frozenset[str]) -> _Node:
        left_t, op_t, right_t = tree.children
        op = str(_only_token(op_t))
        left, right = self.compile(left_t, scope), self.compile(right_t, scope)
        for a, b in ((left, right), (right, left)):
            if a.kind == "str" and b.prop is not None and b.prop.name.endswith("_Key"):
                raise _parse_error(
                    f"строковый литерал '{a.const}' нельзя сравнивать со ссылочным полем "
                    f"«{b.prop.name}»: используйте guid'…'"
                )
            if a.kind == "cast":
                return self.compare_cast(op, b, a)
            self.check_literal_type(b, a)
        if left.top_name is not None and right.const is not fx.MISSING:
            return _Node(fx.fast_compare(op, left.top_name, right.const), "bool")
        return _Node(fx.generic_compare(op, left.fn, right.fn), "bool")

    def check_literal_type(self, prop: _Node, lit: _Node) -> None:
        """Refuse ``Свойство op литерал`` when the literal does not fit the property's EDM type."""
        if self.property_type is None or prop.top_name is None or lit.const is fx.MISSING:
            return
        why = literal_mismatch(prop.top_name, self.property_type(prop.top_name), lit.kind, lit.const)
        if why is not None:
            raise _parse_error(why)

    def compare_cast(self, op: str, field: _Node, cast: _Node) -> _Node:
        if op not in ("eq", "ne"):
            raise _parse_error(f"оператор '{op}' неприменим к cast(guid'…', '…')")
        guid, type_name = cast.const
        want_type = f"StandardODATA.{type_name}"
        vf = field.fn
        ref = field.prop
        if ref is None or ref.name.endswith("_Key"):

            def same(e: Entity, env: Env) -> Any:
                v = vf(e, env)
                return fx.MISSING if v is fx.MISSING else isinstance(v, str) and v.lower() == guid

        else:
            parent, type_key = ref.parent, f"{ref.name}_Type"

            def same(e: Entity, env: Env) -> Any:
                holder = parent(e, env)
                if not isinstance(holder, Mapping):
                    return fx.MISSING
                v = holder.get(ref.name)
                return isinstance(v, str) and v.lower() == guid and holder.get(type_key) == want_type

        if op == "eq":
            return _Node(lambda e, env: same(e, env) is True, "bool")
        return _Node(lambda e, env: same(e, env) is False, "bool")

    def rule_arith(self, tree: Tree[Token], scope: frozenset[str]) -> _Node:
        left_t, op_t, right_t = tree.children
        op = str(_only_token(op_t))
        left, right = self.compile(left_t, scope), self.compile(right_t, scope)
        for side in (left, right):
            if side.kind not in ("num", "value"):
                raise _parse_error(f"операнды '{op}' должны быть числами")
        return _Node(fx.arith(op, left.fn, right.fn), "num")

    def rule_neg(self, tree: Tree[Token], scope: frozenset[str]) -> _Node:
        inner = self.compile(tree.children[0], scope)
        if inner.kind not in ("num", "value"):
            raise _parse_error("унарный минус применим только к числам")
        if inner.kind == "num" and inner.const is not fx.MISSING:
            return _const(-inner.const, "num")
        f = inner.fn
        return _Node(lambda e, env: fx.negate(f(e, env)), "num")

    # --- properties, navigation, lambdas --------------------------------------------------------
    def rule_path(self, tree: Tree[Token], scope: frozenset[str]) -> _Node:
        names = _path_names(tree)
        first = names[0]
        if first in scope:
            if len(names) == 1:
                return _Node(lambda e, env: env[first], "value")
            parent = self.walk(lambda e, env: env[first], names[1:-1])
        else:
            self.check_property(first, navigation=len(names) > 1)
            if len(names) == 1:
                return _Node(
                    lambda e, env: e.get(first),
                    "value",
                    prop=_PropRef(lambda e, env: e, first),
                    top_name=first,
                )
            parent = self.walk(lambda e, env: e, names[:-1])
        last = names[-1]

        def value(e: Entity, env: Env) -> Any:
            holder = parent(e, env)
            return holder.get(last) if isinstance(holder, Mapping) else fx.MISSING

        return _Node(value, "value", prop=_PropRef(parent, last))

    def walk(self, start: Fn, hops: list[str]) -> Fn:
        """The entity reached from ``start`` through the reference fields ``hops`` (MISSING if none)."""
        navigate = self.navigate
        fn = start
        for hop in hops:

            def step(e: Entity, env: Env, prev: Fn = fn, hop: str = hop) -> Any:
                holder = prev(e, env)
                if not isinstance(holder, Mapping):
                    return fx.MISSING
                target = navigate(holder, hop)
                return target if target is not None else fx.MISSING

            fn = step
        return fn

    def check_property(self, name: str, *, navigation: bool) -> None:
        if self.has_property is None or self.has_property(name):
            return
        if navigation and self.has_property(f"{name}_Key"):
            return
        raise FilterError("10", f"Не найдено свойство «{name}»")

    def rule_lambda_(self, tree: Tree[Token], scope: frozenset[str]) -> _Node:
        path_t, op_t, var_t, body_t = tree.children
        op = str(_only_token(op_t))
        coll = self.rule_path(path_t, scope).fn  # type: ignore[arg-type]
        if var_t is None:
            if op == "all":
                raise _parse_error("all() требует условие: all(d: …)")
            return _Node(lambda e, env: isinstance(v := coll(e, env), list) and len(v) > 0, "bool")
        var = str(var_t)
        body = self.compile(body_t, scope | {var})
        _require_boolish(body, f"условие {op}() должно быть логическим")
        bf = body.fn
        if op == "any":

            def anyf(e: Entity, env: Env) -> bool:
                rows = coll(e, env)
                return isinstance(rows, list) and any(bf(e, {**env, var: row}) is True for row in rows)

            return _Node(anyf, "bool")

        def allf(e: Entity, env: Env) -> bool:
            rows = coll(e, env)
            return isinstance(rows, list) and all(bf(e, {**env, var: row}) is True for row in rows)

        return _Node(allf, "bool")

    # --- functions ------------------------------------------------------------------------------
    def rule_call(self, tree: Tree[Token], scope: frozenset[str]) -> _Node:
        name_t, args_t = tree.children
        name = str(name_t)
        arg_trees = list(args_t.children) if isinstance(args_t, Tree) else []
        if name in fx.UNSUPPORTED or name not in fx.FUNCTIONS and name not in ("cast", "isof"):
            raise FilterError("21", f"Функция «{name}» не поддерживается")
        args = [self.compile(a, scope) for a in arg_trees]
        if name == "cast":
            return self.cast(args)
        if name == "isof":
            return self.isof(args)
        spec = fx.FUNCTIONS[name]
        if not spec.min_args <= len(args) <= spec.max_args:
            raise _parse_error(f"неверное число аргументов функции {name}: {len(args)}")
        for i, (arg, want) in enumerate(zip(args, spec.arg_kinds(len(args)), strict=True), start=1):
            if arg.kind not in (want, "value", "null"):
                raise _parse_error(f"аргумент {i} функции {name} имеет неверный тип")
        return _Node(spec.build([a.fn for a in args], [a.const for a in args]), spec.result)

    def cast(self, args: list[_Node]) -> _Node:
        if len(args) != 2 or args[1].kind != "str":
            raise _parse_error("cast ожидает (значение, 'ИмяТипа')")
        value, type_name = args[0], str(args[1].const).removeprefix("StandardODATA.")
        if type_name.startswith("Edm."):
            convert = fx.edm_converter(type_name)
            if convert is None:
                raise _parse_error(f"неизвестный тип {type_name} в cast")
            f = value.fn
            return _Node(lambda e, env: convert(f(e, env)), "value")
        if not fx.ENTITY_TYPE_RE.match(type_name):
            raise _parse_error(f"неверное имя типа '{type_name}' в cast")
        if value.kind != "guid":
            raise _parse_error("cast к ссылочному типу ожидает литерал guid'…'")
        return _Node(lambda e, env: value.const, "cast", const=(value.const, type_name))

    def isof(self, args: list[_Node]) -> _Node:
        if len(args) != 2 or args[1].kind != "str":
            raise _parse_error("isof ожидает (поле, 'ИмяТипа')")
        field, type_name = args[0], str(args[1].const).removeprefix("StandardODATA.")
        if type_name.startswith("Edm."):
            check = fx.edm_checker(type_name)
            if check is None:
                raise _parse_error(f"неизвестный тип {type_name} в isof")
            f = field.fn
            return _Node(lambda e, env: check(f(e, env)), "bool")
        if not fx.ENTITY_TYPE_RE.match(type_name) or field.prop is None:
            raise _parse_error("isof ожидает составное поле и имя типа вида 'Catalog_Имя'")
        parent, type_key, want = field.prop.parent, f"{field.prop.name}_Type", f"StandardODATA.{type_name}"

        def isof_fn(e: Entity, env: Env) -> bool:
            holder = parent(e, env)
            return isinstance(holder, Mapping) and holder.get(type_key) == want

        return _Node(isof_fn, "bool")


def _only_token(item: Tree[Token] | Token) -> Token:
    return item.children[0] if isinstance(item, Tree) else item  # type: ignore[return-value]


def _path_names(tree: Tree[Token]) -> list[str]:
    names: list[str] = []
    node: Any = tree
    while isinstance(node, Tree):
        children = node.children
        names.append(str(children[-1]))
        node = children[0] if len(children) == 2 else None
    return names[::-1]
