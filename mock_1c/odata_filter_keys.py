"""How a ``$filter`` reaches rows through the ``Ref_Key`` index, as 1C's query planner sees it.

1C keeps objects in a clustered index on the reference: a top-level conjunct
``Ref_Key gt guid'…'`` (keyset paging) starts the scan at that key, and a top-level disjunction of
``Ref_Key eq guid'…'`` (a batch read by reference) seeks each key; either way a page costs the same
wherever it lies in the set. ``key_access`` splits a parsed filter into that access and the rest.
"""

from __future__ import annotations

from dataclasses import dataclass

from lark import Token, Tree

from mock_1c.odata_filter import _GUID_RE, _only_token, _path_names

__all__ = ["KeyAccess", "key_access"]


@dataclass(frozen=True)
class KeyAccess:
    """What a filter asks of the ``Ref_Key`` index: rows after ``after`` (from it when
    ``inclusive``), or the rows of ``refs``; ``rest`` holds the other top-level conjuncts (their
    conjunction is what rows are checked against), ``rest_key`` names it for caching."""

    after: str | None = None
    inclusive: bool = False
    refs: frozenset[str] | None = None
    rest: Tree[Token] | Token | None = None
    rest_key: str = ""


def key_access(tree: Tree[Token]) -> KeyAccess:
    """Split ``tree`` into its index access (see ``KeyAccess``) and the remaining conjuncts."""
    conjuncts = _flatten(tree, "and_")
    after: tuple[str, bool] | None = None
    refs: frozenset[str] | None = None
    rest: list[Tree[Token] | Token] = []
    for item in conjuncts:
        bound = _ref_compare(item, ("gt", "ge"))
        if bound is not None and after is None:
            after = (bound[1], bound[0] == "ge")
            continue
        if refs is None and isinstance(item, Tree):
            keys = [_ref_compare(d, ("eq",)) for d in _flatten(item, "or_")]
            if keys and all(k is not None for k in keys):
                refs = frozenset(k[1] for k in keys if k is not None)
                continue
        rest.append(item)
    rest_tree: Tree[Token] | Token | None = None
    for item in rest:
        rest_tree = item if rest_tree is None else Tree("and_", [rest_tree, item])
    return KeyAccess(
        after=after[0] if after else None,
        inclusive=after[1] if after else False,
        refs=refs,
        rest=rest_tree,
        rest_key=repr(rest_tree) if rest_tree is not None else "",
    )


def _flatten(item: Tree[Token] | Token, rule: str) -> list[Tree[Token] | Token]:
    if isinstance(item, Tree) and item.data == rule:
        return [leaf for child in item.children for leaf in _flatten(child, rule)]
    return [item]


def _ref_compare(item: Tree[Token] | Token, ops: tuple[str, ...]) -> tuple[str, str] | None:
    """``(op, guid)`` when ``item`` is ``Ref_Key <op> guid'…'`` (either side) with ``op`` in ``ops``."""
    if not isinstance(item, Tree) or item.data != "compare":
        return None
    left, op_t, right = item.children
    op = str(_only_token(op_t))
    if isinstance(left, Token) and isinstance(right, Tree):
        left, right = right, left
        op = {"gt": "lt", "ge": "le", "lt": "gt", "le": "ge"}.get(op, op)
    if op not in ops or not isinstance(right, Token) or right.type != "GUID":
        return None
    if not isinstance(left, Tree) or left.data != "path" or _path_names(left) != ["Ref_Key"]:
        return None
    body = str(right)[5:-1]
    return (op, body.lower()) if _GUID_RE.match(body) else None
