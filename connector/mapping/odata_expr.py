"""A condition in 1C's OData ``$filter`` dialect as a small tree: constants fold, negation is
pushed down to the comparisons, and rendering parenthesises every compound part (1C's ``not``
binds looser than in generic OData, so nothing is left to precedence)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Atom:
    """A condition 1C cannot negate by itself (a function call): negated as ``not (…)``."""

    text: str


@dataclass(frozen=True)
class Cmp:
    """``left op right``; negated by flipping the operator (same meaning in 1C, NULLs included)."""

    left: str
    op: str
    right: str


@dataclass(frozen=True)
class Op:
    op: str  # "and" | "or"
    parts: tuple[Cond, ...]


@dataclass(frozen=True)
class Not:
    inner: Cond


Cond = bool | Atom | Cmp | Op | Not
_NEGATED = {"eq": "ne", "ne": "eq", "lt": "ge", "ge": "lt", "gt": "le", "le": "gt"}


def _join(op: str, parts: tuple[Cond, ...]) -> Cond:
    absorbing, neutral = (False, True) if op == "and" else (True, False)
    out: list[Cond] = []
    for p in parts:
        if p is absorbing:
            return absorbing
        if p is neutral:
            continue
        out.extend(p.parts if isinstance(p, Op) and p.op == op else (p,))
    out = list(dict.fromkeys(out))
    return neutral if not out else out[0] if len(out) == 1 else Op(op, tuple(out))


def all_of(*parts: Cond) -> Cond:
    return _join("and", parts)


def any_of(*parts: Cond) -> Cond:
    return _join("or", parts)


def negate(c: Cond) -> Cond:
    """Negation pushed down to the comparisons (De Morgan holds in SQL's logic too)."""
    if isinstance(c, bool):
        return not c
    if isinstance(c, Cmp):
        return Cmp(c.left, _NEGATED[c.op], c.right)
    if isinstance(c, Op):
        return _join("or" if c.op == "and" else "and", tuple(negate(p) for p in c.parts))
    return c.inner if isinstance(c, Not) else Not(c)


def render(c: Cond) -> str:
    """``c`` as ``$filter`` text, every compound part parenthesised (1C's ``not`` binds looser
    than in generic OData, so nothing is left to precedence)."""
    if c is True:
        return "true"
    if c is False:
        return "false"
    if isinstance(c, Atom):
        return c.text
    if isinstance(c, Cmp):
        return f"{c.left} {c.op} {c.right}"
    if isinstance(c, Not):
        return f"not ({render(c.inner)})"
    simple = (Atom, Cmp)
    return f" {c.op} ".join(render(p) if isinstance(p, simple) else f"({render(p)})" for p in c.parts)
