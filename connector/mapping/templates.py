"""Jinja2 (sandboxed, strict) templates and conditions over 1C objects, and field discovery.

Templates see the object's fields as top-level names, Cyrillic included
(``[{{ Number }}] {{ Партнер.Description }}: {{ Тема }}``); expanded references are nested dicts.
A missing field is an error, never an empty string: a task titled "[]  : " helps nobody.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from jinja2 import StrictUndefined, TemplateSyntaxError, UndefinedError, meta, nodes
from jinja2.sandbox import SandboxedEnvironment, SecurityError

ENV = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False)
FieldPath = tuple[str, ...]


class TemplateProblem(ValueError):
    """A template that does not compile or cannot be rendered for an object; the message says why."""


def _parse(source: str) -> nodes.Template:
    try:
        return ENV.parse(source)
    except TemplateSyntaxError as exc:
        raise TemplateProblem(f"template syntax error: {exc.message} (template line {exc.lineno})") from None


def check_template(source: str) -> None:
    """Raise ``TemplateProblem`` unless ``source`` compiles."""
    _parse(source)


def check_expression(source: str) -> None:
    """Raise ``TemplateProblem`` unless ``source`` compiles as a Jinja expression."""
    try:
        ENV.compile_expression(source)
    except TemplateSyntaxError as exc:
        raise TemplateProblem(f"expression syntax error: {exc.message}") from None


def referenced_fields(source: str, expression: bool = False) -> set[FieldPath]:
    """Object fields a template (or expression) reads: ``{("Number",), ("Партнер", "Description")}``."""
    ast = _parse("{{ " + source + " }}" if expression else source)
    free = meta.find_undeclared_variables(ast)
    paths: set[FieldPath] = {(name,) for name in free}
    for node in ast.find_all(nodes.Getattr):
        chain = list(_chain(node))
        if chain and chain[0] in free:
            paths.add(tuple(chain))
    return paths


def _chain(node: nodes.Node) -> Iterator[str]:
    if isinstance(node, nodes.Getattr):
        yield from _chain(node.node)
        yield node.attr
    elif isinstance(node, nodes.Name):
        yield node.name


def render(source: str, obj: Mapping[str, Any]) -> str:
    """Render a template against an object's fields; ``TemplateProblem`` names the missing field."""
    try:
        return ENV.from_string(source).render(dict(obj)).strip()
    except UndefinedError as exc:
        raise TemplateProblem(f"{exc.message} in {source!r}") from None
    except SecurityError as exc:
        raise TemplateProblem(f"unsafe template {source!r}: {exc}") from None


def evaluate(expression: str, obj: Mapping[str, Any]) -> Any:
    """Evaluate a Jinja expression (a condition, a number) against an object's fields."""
    try:
        return ENV.compile_expression(expression, undefined_to_none=False)(**dict(obj))
    except UndefinedError as exc:
        raise TemplateProblem(f"{exc.message} in {expression!r}") from None
    except SecurityError as exc:
        raise TemplateProblem(f"unsafe expression {expression!r}: {exc}") from None
