"""Jinja2 (sandboxed, strict) templates and conditions over 1C objects, and field discovery.

Templates see the object's fields as top-level names, Cyrillic included
(``[{{ Number }}] {{ Партнер.Description }}: {{ Тема }}``); expanded references are nested dicts.
A missing field is an error, never an empty string: a task titled "[]  : " helps nobody.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from typing import Any

from jinja2 import StrictUndefined, Template, TemplateSyntaxError, UndefinedError, meta, nodes
from jinja2.runtime import Context
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


_LOCAL = threading.local()
_MAX_CONTEXTS = 128


def render_reusing_context(template: Template, data: dict[str, Any]) -> str:
    """``template.render(data)`` (unstripped) without building a Jinja ``Context`` per call.

    Why: ``render`` copies ``data`` twice and builds a ``Context`` and an ``EvalContext`` per call,
    which costs more than rendering a short task template; a full sync renders once per object.
    Contract: ``data`` is the caller's own dict holding every name the template reads (it becomes
    the context's parent as is; names it lacks, Jinja's globals included, are undefined). One
    context per template and thread is reset before each render (template-level ``set``
    variables, autoescape state), so renders never see each other. Raises what ``render`` raises.
    """
    contexts: dict[Template, Context] | None = getattr(_LOCAL, "contexts", None)
    if contexts is None:
        contexts = _LOCAL.contexts = {}
    ctx = contexts.get(template)
    if ctx is None:
        if len(contexts) >= _MAX_CONTEXTS:
            contexts.clear()
        ctx = contexts[template] = template.new_context({}, shared=True)
    ctx.parent = data
    ctx.vars = {}
    ctx.exported_vars = set()
    ctx.eval_ctx.autoescape = False
    ctx.eval_ctx.volatile = False
    return ENV.concat(template.root_render_func(ctx))
