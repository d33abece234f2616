"""What the engines ask a mapping, as pure functions of (mapping, 1C object dict)."""

from __future__ import annotations

import math
from collections.abc import Mapping as AnyMapping
from typing import Any, Literal

from connector.mapping.schema import Mapping
from connector.mapping.templates import TemplateProblem, evaluate, referenced_fields, render

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


def parent_ref(mapping: Mapping, obj: AnyMapping[str, Any]) -> str | None:
    """GUID of the object's parent (e.g. the project of a stage), None when absent or empty."""
    parent = _task(mapping).parent
    if parent is None:
        return None
    value = obj.get(parent.field)
    return value if isinstance(value, str) and value and value != EMPTY_REF else None


def _nav_name(field: str) -> str:
    return field[:-4] if field.endswith("_Key") else field


def fields_read(mapping: Mapping) -> frozenset[str]:
    """Every top-level field of a 1C object that the task of ``mapping`` depends on.

    The templates' and conditions' free names, the planned-time field or expression, the heads
    of the assignee paths, the parent and customer fields with their expanded navigation
    properties, ``Партнер``/``Партнер_Key`` (the default customer), ``DeletionMark`` and
    ``Ref_Key``. What transform reads is exactly this set, so it may unpad just these fields.
    """
    task = _task(mapping)
    names: set[str] = {"Ref_Key", "DeletionMark", "Партнер", "Партнер_Key"}
    for source in (task.code, task.title, task.description):
        if source:
            names.update(path[0] for path in referenced_fields(source))
    plan = task.planned_minutes
    expressions = [task.closed_when, task.open_when, plan.expression if plan is not None else None]
    for source in expressions:
        if source:
            names.update(path[0] for path in referenced_fields(source, expression=True))
    if plan is not None and plan.field:
        names.add(plan.field)
    names.update(path.split("[].", 1)[0] for path in task.assignees)
    if task.parent is not None:
        names.update((task.parent.field, _nav_name(task.parent.field)))
    customer = mapping.labour.customer_field if mapping.labour is not None else None
    if customer:
        head = customer.split("/", 1)[0]
        names.update((head, _nav_name(head)))
    return frozenset(names)
