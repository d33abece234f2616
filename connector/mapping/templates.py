"""Jinja2 (sandboxed, strict) templates and conditions over 1C objects, and field discovery.

Templates see the object's fields as top-level names, Cyrillic included
(``[{{ Number }}] {{ Партнер.Description }}: {{ Тема }}``); expanded references are nested dicts.
A missing field is an error, never an empty string: a task titled "[]  : " helps nobody.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from typing import Any

from jinja2 import StrictUndefined, Template, TemplateSyntaxError, Undefined, UndefinedError, meta, nodes
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
        value = ENV.compile_expression(expression, undefined_to_none=False)(**dict(obj))
        if isinstance(value, Undefined):  # `a or b` gives b itself: an undefined b fails here, not later
            value._fail_with_undefined_error()
        return value
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


FULL: Any = "*"
"""A field used whole (printed, looped over, passed to a filter): every string in it matters."""
Uses = dict[str, Any]
"""What parts of each field a template reads: ``FULL``, or ``{attribute: Uses-or-FULL}`` along
attribute chains, ``{"[]": …}`` for every row of a list; ``{}`` when only its truth is tested."""


def merge_uses(a: Any, b: Any) -> Any:
    """The union of two uses (``FULL`` absorbs everything)."""
    if a is FULL or b is FULL:
        return FULL
    out = dict(a)
    for key, sub in b.items():
        out[key] = merge_uses(out[key], sub) if key in out else sub
    return out


def field_uses(source: str, expression: bool = False, condition: bool = False) -> Uses:
    """The parts of the object's fields a template (or expression) can read, conservatively.

    ``Партнер.Description if Партнер else '-'`` gives ``{"Партнер": {"Description": FULL}}``:
    the partner is only tested for truth (a dict's truth does not depend on its strings) and
    read through one attribute. Anything less obvious (``Партнер['x']``, a loop, a filter, an
    attribute a dict or list has as a method) counts as a use of the whole field. A
    ``condition`` is an expression whose value is only tested for truth.
    """
    if condition:
        source = "{% if " + source + " %}{% endif %}"
    ast = _parse("{{ " + source + " }}" if expression and not condition else source)
    free = meta.find_undeclared_variables(ast)
    uses: Uses = {}
    _walk(ast, free, uses, test=False)
    return uses


_METHODS = frozenset(dir(dict)) | frozenset(dir(list)) | frozenset(dir(str))


def _walk(node: nodes.Node, free: set[str], uses: Uses, test: bool) -> None:
    if isinstance(node, nodes.Name):
        if node.ctx == "load" and node.name in free:
            uses[node.name] = merge_uses(uses.get(node.name, {}), {} if test else FULL)
        return
    if isinstance(node, nodes.Getattr):
        chain: list[str] = []
        inner: nodes.Node = node
        while isinstance(inner, nodes.Getattr):
            chain.append(inner.attr)
            inner = inner.node
        if isinstance(inner, nodes.Name) and inner.ctx == "load" and inner.name in free:
            use: Any = FULL
            for attr in chain:  # innermost attribute last in ``chain``
                use = FULL if attr in _METHODS or attr.startswith("_") else {attr: use}
            uses[inner.name] = merge_uses(uses.get(inner.name, {}), use)
            return
    if isinstance(node, nodes.CondExpr):
        _walk(node.test, free, uses, test=True)
        for branch in (node.expr1, node.expr2):
            if branch is not None:
                _walk(branch, free, uses, test=test)
        return
    if isinstance(node, nodes.If):
        _walk(node.test, free, uses, test=True)
        for child in (*node.body, *node.elif_, *node.else_):
            _walk(child, free, uses, test=False)
        return
    if isinstance(node, nodes.Not):
        _walk(node.node, free, uses, test=True)
        return
    if isinstance(node, nodes.And | nodes.Or):
        _walk(node.left, free, uses, test=test)
        _walk(node.right, free, uses, test=test)
        return
    for child in node.iter_child_nodes():
        _walk(child, free, uses, test=False)
