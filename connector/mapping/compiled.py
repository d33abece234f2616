"""What the engines ask a mapping, as pure functions of (mapping, 1C object dict)."""

from __future__ import annotations

import math
from collections.abc import Mapping as AnyMapping
from datetime import datetime
from typing import Any, Literal

from connector.mapping.crm_model import BUILTIN, EntitySet
from connector.mapping.memo import PerMapping
from connector.mapping.schema import Mapping
from connector.mapping.templates import FULL, TemplateProblem, Uses, evaluate, field_uses, merge_uses, render

EMPTY_REF = "00000000-0000-0000-0000-000000000000"
TaskState = Literal["open", "closed", "ignored"]


def _task(mapping: Mapping) -> Any:
    if mapping.task is None:
        raise ValueError(f"mapping {mapping.name!r} has no `task` (static tasks only)")
    return mapping.task


def render_code(mapping: Mapping, obj: AnyMapping[str, Any]) -> str:
    """The task code of an object (unique across mappings; stable for the object's lifetime)."""
    code = render(_task(mapping).code, obj)
    if not code:
        raise TemplateProblem(f"task code template {_task(mapping).code!r} rendered empty")
    return code


def render_title(mapping: Mapping, obj: AnyMapping[str, Any]) -> str:
    """The task title shown to employees in the tracker."""
    return render(_task(mapping).title, obj)


def render_description(mapping: Mapping, obj: AnyMapping[str, Any]) -> str:
    """The task description ("" when the mapping has none)."""
    return render(_task(mapping).description, obj) if _task(mapping).description else ""


def task_state(mapping: Mapping, obj: AnyMapping[str, Any]) -> TaskState:
    """``closed`` when ``closed_when`` holds; else ``ignored`` when ``open_when`` is false; else ``open``.

    Deleted objects (``DeletionMark``) are closed: their task must disappear from the tracker.
    """
    task = _task(mapping)
    if obj.get("DeletionMark") is True:
        return "closed"
    if task.closed_when and evaluate(task.closed_when, obj):
        return "closed"
    if task.open_when and not evaluate(task.open_when, obj):
        return "ignored"
    return "open"


def assignee_refs(mapping: Mapping, obj: AnyMapping[str, Any]) -> list[str]:
    """1C user GUIDs named by the assignee paths, in order, without duplicates or empty refs."""
    found: list[str] = []
    for path in _task(mapping).assignees:
        if "[]." in path:
            table, column = path.split("[].", 1)
            values = [row.get(column) for row in obj.get(table) or [] if isinstance(row, dict)]
        else:
            values = [obj.get(path)]
        for value in values:
            if isinstance(value, str) and value and value != EMPTY_REF and value not in found:
                found.append(value)
    return found


def planned_minutes(mapping: Mapping, obj: AnyMapping[str, Any]) -> int | None:
    """Planned time in whole minutes (hours × 60, rounded), or None when not planned."""
    plan = _task(mapping).planned_minutes
    if plan is None:
        return None
    if plan.field is not None:
        raw = obj.get(plan.field)
        scale = 60 if plan.unit == "hours" else 1
    else:
        raw = evaluate(plan.expression or "", obj)
        scale = 1
    if raw is None or raw == "":
        return None
    try:
        value = float(raw) * scale
    except (TypeError, ValueError):
        raise TemplateProblem(f"planned time {raw!r} is not a number") from None
    if not math.isfinite(value) or value <= 0:
        return None
    return round(value)


def progress_values(mapping: Mapping, obj: AnyMapping[str, Any]) -> tuple[tuple[str, Any], ...]:
    """The object's progress signal as the early warning reads it from a link's payload:
    ``percent_done`` (0–100) and ``planned_start``/``planned_finish`` (ISO days), each only where
    the mapping names the field and 1C has a value; ``()`` for a mapping without ``progress``."""
    progress = _task(mapping).progress
    if progress is None:
        return ()
    out: list[tuple[str, Any]] = []
    if progress.percent_field:
        raw = obj.get(progress.percent_field)
        if isinstance(raw, int | float) and not isinstance(raw, bool) and math.isfinite(raw):
            out.append(("percent_done", float(raw)))
    for key, name in (("planned_start", progress.start_field), ("planned_finish", progress.finish_field)):
        raw = obj.get(name) if name else None
        # The OData client gives 1C's dates as datetimes (in the base's zone); raw JSON as text.
        day = (
            raw.date().isoformat()
            if isinstance(raw, datetime)
            else str(raw)[:10]
            if isinstance(raw, str)
            else ""
        )
        if len(day) == 10 and not day.startswith(("0001-01-01", "1-01-01")):
            out.append((key, day))
    return tuple(out)


def parent_ref(mapping: Mapping, obj: AnyMapping[str, Any]) -> str | None:
    """GUID of the object's parent (e.g. the project of a stage), None when absent or empty."""
    parent = _task(mapping).parent
    if parent is None:
        return None
    value = obj.get(parent.field)
    return value if isinstance(value, str) and value and value != EMPTY_REF else None


def _nav_name(field: str) -> str:
    return field[:-4] if field.endswith("_Key") else field


def _plan_parts(mapping: Mapping) -> tuple[Uses, Uses]:
    """``(named, implied)``: what the mapping names itself (templates, conditions, planned time,
    assignee paths, the parent field, a ``Nav/Field`` customer path) and what transform reads
    when present without being named (the ``Description`` of an expanded parent, customer or
    ``Партнер`` reference, a ``Ref_Key``, ``DeletionMark``)."""
    task = _task(mapping)
    named: Uses = {}
    implied: Uses = {}

    def add(uses: Uses, name: str, use: Any) -> None:
        uses[name] = merge_uses(uses.get(name, {}), use)

    for name in ("Ref_Key", "DeletionMark", "Партнер_Key"):
        add(implied, name, FULL)
    add(implied, "Партнер", {"Description": FULL})
    for source in (task.code, task.title, task.description):
        if source:
            for name, use in field_uses(source).items():
                add(named, name, use)
    plan = task.planned_minutes
    for source, condition in (
        (task.closed_when, True),
        (task.open_when, True),
        (plan and plan.expression, False),
    ):
        if source:
            for name, use in field_uses(source, expression=True, condition=condition).items():
                add(named, name, use)
    if plan is not None and plan.field:
        add(named, plan.field, FULL)
    for path in task.assignees:
        table, sep, column = path.partition("[].")
        add(named, table, {"[]": {column: FULL}} if sep else FULL)
    if task.parent is not None:
        add(named, task.parent.field, FULL)
        add(implied, _nav_name(task.parent.field), {"Description": FULL})
    if task.progress is not None:
        for name in task.progress.fields():
            add(named, name, FULL)
    customer = mapping.labour.customer_field if mapping.labour is not None else None
    if customer:
        head, _, inner = customer.partition("/")
        if inner:
            add(named, head, {inner: FULL})
            add(implied, head, {_nav_name(inner): {"Description": FULL}})
        else:
            add(named, head, FULL)
            add(implied, _nav_name(head), {"Description": FULL})
    return named, implied


def read_plan(mapping: Mapping) -> Uses:
    """Every part of a 1C object that the task of ``mapping`` depends on (``field_uses`` form).

    The templates' and conditions' uses, the planned-time field or expression, the assignee
    paths (``T[].col`` is column ``col`` of every row of ``T``), the progress fields, the parent
    and customer fields with the ``Description`` of their expanded navigation properties,
    ``Партнер``/``Партнер_Key`` (the default customer), ``DeletionMark`` and ``Ref_Key``.
    Transform reads exactly these, so it may right-strip just these parts and get what stripping
    the whole object would give.
    """
    named, implied = _plan_parts(mapping)
    uses: Uses = dict(implied)
    for name, use in named.items():
        uses[name] = merge_uses(uses.get(name, {}), use)
    return uses


def fields_read(mapping: Mapping) -> frozenset[str]:
    """The top-level fields ``read_plan`` names."""
    return frozenset(read_plan(mapping))


NavFields = dict[str, tuple[str, ...] | None]


def expand_select(mapping: Mapping, sets: AnyMapping[str, EntitySet] = BUILTIN) -> NavFields:
    """For each expanded navigation property of ``mapping``, the fields of the referenced object
    to ask 1C for (``$select=Nav/Field``), or ``None`` to keep the whole expansion.

    Why: 1C otherwise sends every field of the referenced object inside every row, while a task
    reads one or two. The result holds exactly the fields ``read_plan`` says transform reads, so
    rendered tasks stay the same: the fields the mapping names, plus the implied ``Description``
    when the referenced set (``sets``, the model the mapping was validated against) has one.
    ``None`` wherever the analysis cannot tell: the reference used whole (``{{ Партнер }}``, a
    loop, a filter), a referenced set or field the model does not know, a tabular section.
    Fields of a reference of the referenced object are dropped (1C expands one level, so they
    are never there). When nothing is read but the reference's truth, ``Ref_Key`` keeps the
    expanded object non-empty. Cached per mapping object.
    """
    return _NAV_FIELDS(mapping, sets)


def _expand_select(mapping: Mapping, sets: AnyMapping[str, EntitySet]) -> NavFields:
    source = mapping.source
    if source is None or not source.expand:
        return {}
    if mapping.task is None:
        return {nav: None for nav in source.expand}
    named, implied = _plan_parts(mapping)
    es = sets.get(source.entity_set)
    out: NavFields = {}
    for nav in source.expand:
        target = sets.get(es.navigation.get(nav, "")) if es is not None else None
        out[nav] = None if target is None else _nav_fields(target, named.get(nav, {}), implied.get(nav, {}))
    return out


_NAV_FIELDS: PerMapping[NavFields] = PerMapping(_expand_select)


def _nav_fields(target: EntitySet, named: Any, implied: Any) -> tuple[str, ...] | None:
    if named is FULL or implied is FULL:
        return None
    fields: list[str] = []
    for key in named:
        if key in target.fields:
            fields.append(key)
        elif key not in target.navigation:  # "[]", a tabular section, a field the model lacks
            return None
    fields += [key for key in implied if key in target.fields]
    return tuple(dict.fromkeys(fields)) or ("Ref_Key",)
