"""Transform (pure): a mapping + one 1C object (with expanded references) + the user directory →
the ``TaskSpec`` the tracker should show, or a skip with a named reason.

Reasons a caller counts:
- ``template_error``: a template or condition cannot be evaluated for this object (the message
  names the field); the object gets no task until the mapping or the data is fixed;
- ``filtered_out``: ``open_when`` is false (e.g. a stage that is not planned yet); an existing
  task of such an object is closed, a missing one is not created;
- ``unmapped_assignee``: not a skip: the task is created with the assignees that have an e-mail,
  and ``unmapped`` lists the 1C users that could not be mapped (no e-mail, unknown or inactive).

1C serves fixed-length strings space-padded (``"ПР-0001  "``); string values are right-stripped
before templates see them, so codes and titles carry no padding.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Mapping as AnyMapping
from dataclasses import dataclass, replace
from typing import Any

from jinja2 import Template, TemplateSyntaxError, Undefined, UndefinedError
from jinja2.sandbox import SecurityError

from connector.mapping.compiled import assignee_refs, parent_ref, planned_minutes, progress_values, read_plan
from connector.mapping.schema import Mapping
from connector.mapping.templates import ENV, FULL, TemplateProblem, render_reusing_context
from connector.sync.core.directory import UserDirectory
from connector.sync.core.model import Assignee, StaticCategory, TaskSpec
from connector.sync.core.task_diff import static_task_specs

# 1C's metadata class names in navigation links (e1cib/data/<Class>.<Name>?ref=…).
_CLASS_NAMES = {
    "Document_": "Документ",
    "Catalog_": "Справочник",
    "Task_": "Задача",
    "BusinessProcess_": "БизнесПроцесс",
    "ExchangePlan_": "ПланОбмена",
    "ChartOfCharacteristicTypes_": "ПланВидовХарактеристик",
}


@dataclass(frozen=True)
class Transformed:
    """The outcome for one object: a spec (possibly closed), or ``skip`` with ``detail``.

    ``ignored`` marks a spec whose object is filtered out by ``open_when``: its status is
    ``closed`` so an existing task gets closed, and the caller skips it when there is none.
    """

    ref: str
    spec: TaskSpec | None = None
    skip: str | None = None
    detail: str = ""
    unmapped: tuple[str, ...] = ()
    ignored: bool = False


def onec_url(entity_set: str, ref: str) -> str | None:
    """A 1C navigation link for the object, e.g. ``e1cib/data/Документ.CRM_Интерес?ref=<32 hex>``."""
    head = _url_head(entity_set)
    if head is None:
        return None
    hex_ref = _ref_hex(ref)
    return head + hex_ref if hex_ref else None


@functools.lru_cache(maxsize=256)
def _url_head(entity_set: str) -> str | None:
    for prefix, cls in _CLASS_NAMES.items():
        if entity_set.startswith(prefix):
            return f"e1cib/data/{cls}.{entity_set[len(prefix) :]}?ref="
    return None


_HEX = frozenset("0123456789abcdefABCDEF")


def _ref_hex(ref: str) -> str | None:
    """``uuid.UUID(ref).hex``, with 1C's canonical 8-4-4-4-12 form checked without building a UUID."""
    if len(ref) == 36 and ref[8] == ref[13] == ref[18] == ref[23] == "-":
        digits = ref.replace("-", "")
        return digits.lower() if len(digits) == 32 and _HEX.issuperset(digits) else None
    try:
        return uuid.UUID(ref).hex
    except ValueError:
        return None


def unpadded(value: Any) -> Any:
    """Right-strip every string (recursively): 1C pads fixed-length strings with spaces."""
    kind = type(value)
    if kind is dict:  # the hot case first: an object's fields, most of them flat
        out = {}
        for k, v in value.items():
            t = type(v)
            out[k] = v.rstrip() if t is str else v if t in _FLAT else unpadded(v)
        return out
    if isinstance(value, str):
        return value.rstrip()
    if isinstance(value, dict):
        return {k: unpadded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unpadded(v) for v in value]
    return value


_FLAT = frozenset({int, float, bool, type(None)})


@functools.lru_cache(maxsize=512)
def _template(source: str) -> Template:
    try:
        return ENV.from_string(source)
    except TemplateSyntaxError as exc:
        raise TemplateProblem(f"template syntax error: {exc.message}") from None


@functools.lru_cache(maxsize=512)
def _expression(source: str) -> Any:
    try:
        return ENV.compile_expression(source, undefined_to_none=False)
    except TemplateSyntaxError as exc:
        raise TemplateProblem(f"expression syntax error: {exc.message}") from None


def render(source: str, obj: AnyMapping[str, Any]) -> str:
    """Like ``connector.mapping.templates.render`` with the compiled template cached (hot path)."""
    try:
        return _template(source).render(obj).strip()
    except UndefinedError as exc:
        raise TemplateProblem(f"{exc.message} in {source!r}") from None
    except SecurityError as exc:
        raise TemplateProblem(f"unsafe template {source!r}: {exc}") from None


def evaluate(source: str, obj: AnyMapping[str, Any]) -> Any:
    """Like ``connector.mapping.templates.evaluate`` with the compiled expression cached."""
    try:
        value = _expression(source)(**obj)
        if isinstance(value, Undefined):  # `a or b` gives b itself: an undefined b fails here, not later
            value._fail_with_undefined_error()
        return value
    except UndefinedError as exc:
        raise TemplateProblem(f"{exc.message} in {source!r}") from None
    except SecurityError as exc:
        raise TemplateProblem(f"unsafe expression {source!r}: {exc}") from None
    except (TypeError, ValueError, ArithmeticError) as exc:
        raise TemplateProblem(f"{type(exc).__name__}: {exc} in {source!r}") from None


_SEP = "\x1f"  # unit separator: joins the parts of the combined template of a mapping


@functools.lru_cache(maxsize=64)
def _combined(code: str, title: str, description: str, closed_when: str, open_when: str) -> Template:
    """One template rendering code, title, description and both conditions of a task at once.

    The hot path of a full sync: one Jinja render per object instead of five. Any problem with
    it (an error, a separator inside the data) falls back to rendering the parts one by one,
    which gives exactly the per-part results and error messages.
    """
    parts = [code, title, description or ""]
    parts += [f"{{{{ 1 if ({c}) else 0 }}}}" if c else "0" for c in (closed_when, open_when)]
    return ENV.from_string(_SEP.join(parts))


def _fast_parts(task: Any, data: dict[str, Any]) -> tuple[str, str, str, bool, bool] | None:
    try:
        template = _combined(
            task.code, task.title, task.description, task.closed_when or "", task.open_when or ""
        )
        out = render_reusing_context(template, data).split(_SEP)
    except Exception:  # the exact per-part path reports the problem
        return None
    if len(out) != 5:
        return None
    code, title, description, closed_flag, open_flag = (p.strip() for p in out)
    return code, title, description, closed_flag == "1", open_flag == "1" or not task.open_when


def _description_of(obj: AnyMapping[str, Any], key_field: str | None) -> str | None:
    if not key_field:
        return None
    nav = obj.get(key_field[:-4] if key_field.endswith("_Key") else key_field)
    if isinstance(nav, dict):
        text = nav.get("Description")
        return str(text) if text else None
    return None


def _code_of(obj: AnyMapping[str, Any], key_field: str | None) -> str | None:
    """The 1C code of an expanded reference (a project task's ``Owner``), trimmed; None if absent."""
    if not key_field:
        return None
    nav = obj.get(key_field[:-4] if key_field.endswith("_Key") else key_field)
    if isinstance(nav, dict):
        code = str(nav.get("Code") or "").strip()
        return code or None
    return None


def customer_of(obj: AnyMapping[str, Any], path: str | None) -> str | None:
    """The customer a mapping's ``labour.customer_field`` names: its Description when the
    reference is expanded (``Партнер_Key`` with ``Партнер`` expanded), else the reference itself;
    ``Nav/Field_Key`` looks inside an expanded reference (a project task's
    ``Owner/Контрагент_Key``: 1C expands one level, so that gives the customer's reference)."""
    if not path:
        return None
    if "/" in path:
        head, _, sub = path.partition("/")
        nav = obj.get(head)
        return customer_of(nav, sub) if isinstance(nav, dict) else None
    name = _description_of(obj, path)
    if name:
        return name
    value = obj.get(path)
    return value if isinstance(value, str) and value and value != _EMPTY_REF else None


_EMPTY_REF = "00000000-0000-0000-0000-000000000000"


def map_assignees(refs: list[str], directory: UserDirectory) -> tuple[tuple[Assignee, ...], tuple[str, ...]]:
    """1C user refs → (assignees with an e-mail, refs that could not be mapped)."""
    mapped: list[Assignee] = []
    unmapped: list[str] = []
    users = directory.users
    for ref in refs:
        user = users.get(ref)
        if user is None or not user.email:
            unmapped.append(ref)
        else:
            mapped.append(Assignee(user.ref, user.email, user.name))
    return tuple(mapped), tuple(unmapped)


def _slow_parts(task: Any, data: AnyMapping[str, Any]) -> tuple[str, bool, str, str, str]:
    """Status, ``ignored``, code, title, description, part by part (precise error messages)."""
    if data.get("DeletionMark") is True or (task.closed_when and evaluate(task.closed_when, data)):
        status, ignored = "closed", False
    elif task.open_when and not evaluate(task.open_when, data):
        status, ignored = "closed", True
    else:
        status, ignored = "open", False
    code = render(task.code, data)
    if not code:
        raise TemplateProblem(f"task code template {task.code!r} rendered empty")
    title = render(task.title, data)
    description = render(task.description, data) if task.description else ""
    return status, ignored, code, title, description


_Plan = tuple[Mapping, tuple[tuple[str, Any], ...], tuple[tuple[str, Any], ...]]
_PLANS: dict[int, _Plan] = {}


def _plan(mapping: Mapping) -> _Plan:
    """The mapping's ``read_plan`` and Jinja's globals (``range``…), cached per mapping."""
    plan = _PLANS.get(id(mapping))
    if plan is None or plan[0] is not mapping:
        if len(_PLANS) > 256:
            _PLANS.clear()
        uses = tuple(read_plan(mapping).items())
        plan = _PLANS[id(mapping)] = (mapping, uses, tuple(ENV.globals.items()))
    return plan


def _stripped(value: Any, use: Any) -> Any:
    """``unpadded(value)`` as far as ``use`` (a ``field_uses`` entry) can tell; other parts as is."""
    kind = type(value)
    if kind is str:
        return value.rstrip()
    if kind in _FLAT:
        return value
    if use is FULL:
        return unpadded(value)
    if not use:  # only tested for truth: a dict's or list's truth does not depend on its strings
        return value
    if kind is dict:  # only the keys read: no template or condition can name another one
        out = {key: _stripped(value[key], sub) for key, sub in use.items() if key in value}
        return out or value  # none of them present: nothing to strip, and the truth is kept
    if kind is list and "[]" in use:
        rows = use["[]"]
        return [_stripped(row, rows) for row in value]
    return unpadded(value)


def _read_fields(mapping: Mapping, obj: AnyMapping[str, Any]) -> dict[str, Any]:
    """The parts of the object the mapping reads (``read_plan``), right-stripped, plus Jinja's
    globals (as ``Template.render`` gives them, fields first). Templates and conditions cannot
    name any other field, so the result is the same as unpadding the whole object."""
    _, uses, jinja_globals = _plan(mapping)
    data: dict[str, Any] = {}
    for name, use in uses:
        if name in obj:
            v = obj[name]
            t = type(v)
            data[name] = v.rstrip() if t is str else v if t in _FLAT else _stripped(v, use)
    for name, value in jinja_globals:
        data.setdefault(name, value)
    return data


def transform(mapping: Mapping, obj: AnyMapping[str, Any], directory: UserDirectory) -> Transformed:
    """The task an object should be; never raises for bad data (a skip says why instead)."""
    if mapping.source is None or mapping.task is None:
        raise ValueError(f"mapping {mapping.name!r} has no source/task (static tasks only)")
    ref = str(obj.get("Ref_Key") or "")
    data = _read_fields(mapping, obj)
    task = mapping.task
    fast = _fast_parts(task, data) if data.get("DeletionMark") is not True else None
    try:
        if fast is not None and fast[0]:
            code, title, description, is_closed, is_open = fast
            status, ignored = (
                ("closed", False) if is_closed else ("open", False) if is_open else ("closed", True)
            )
        else:
            status, ignored, code, title, description = _slow_parts(task, data)
        planned = planned_minutes(mapping, data)
        progress = progress_values(mapping, data)
        people = assignee_refs(mapping, data)
    except TemplateProblem as exc:
        return Transformed(ref, skip="template_error", detail=str(exc))
    assignees, unmapped = map_assignees(people, directory)
    entity_set = mapping.source.entity_set
    has_parent = bool(task.parent and parent_ref(mapping, data))
    project = _description_of(data, task.parent.field) if task.parent and has_parent else None
    parent_code = _code_of(data, task.parent.field) if task.parent and has_parent else None
    spec = TaskSpec(
        mapping=mapping.name,
        code=code,
        title=title,
        description=description,
        category=mapping.category,
        customer=customer_of(data, mapping.labour.customer_field if mapping.labour else None)
        or _description_of(data, "Партнер_Key"),
        project=project,
        parent_code=parent_code,
        assignees=assignees,
        planned_minutes=planned,
        status="closed" if status == "closed" else "open",
        onec_type=entity_set,
        onec_ref=ref,
        onec_url=onec_url(entity_set, ref),
        progress=progress,
    )
    return Transformed(ref, spec=spec, unmapped=unmapped, ignored=ignored)


def closed(spec: TaskSpec) -> TaskSpec:
    """The same task, closed (for an object that left the mapping's scope)."""
    return replace(spec, status="closed")


@dataclass(frozen=True)
class StaticResult:
    """Static category tasks of a mapping and the department users without an e-mail."""

    specs: list[TaskSpec]
    unmapped: tuple[str, ...]
    missing_departments: tuple[str, ...]


def static_specs(mapping: Mapping, directory: UserDirectory) -> StaticResult:
    """Category tasks (sales) assigned to every active user of their department who has an e-mail."""
    specs: list[TaskSpec] = []
    unmapped: list[str] = []
    missing: list[str] = []
    groups: dict[tuple[str | None, str | None], list[StaticCategory]] = {}
    for st in mapping.static_tasks:
        key = (st.department.ref, st.department.description)
        groups.setdefault(key, []).append(StaticCategory(st.code, st.title))
    for (dep_ref, dep_name), categories in groups.items():
        known = dep_ref in directory.departments if dep_ref else dep_name in directory.departments.values()
        if not known:
            missing.append(dep_ref or dep_name or "")
        users = directory.in_department(ref=dep_ref, name=dep_name)
        people, lost = map_assignees([u.ref for u in users], directory)
        unmapped.extend(r for r in lost if r not in unmapped)
        specs.extend(static_task_specs(mapping.name, categories, people, category=mapping.category))
    return StaticResult(specs, tuple(unmapped), tuple(missing))
