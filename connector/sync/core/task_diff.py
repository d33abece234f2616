"""Diff of a desired task against its stored link: create / update / close / reopen / unchanged.

The content hash covers everything the tracker shows, so a change of title, assignees or plan
is an update, while a re-read of an unchanged object (a webhook replay, a reconciliation scan)
is ``unchanged`` and writes nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import fields

from connector import jsoncodec
from connector.sync.core.model import Assignee, Category, LinkState, StaticCategory, TaskAction, TaskSpec


def content_hash(spec: TaskSpec) -> str:
    """A stable SHA-256 of the spec; the order of assignees (and duplicate entries) does not matter.

    The canonical JSON is built from the spec's flat fields directly (no ``dataclasses.asdict``
    deep copy: it was a fifth of a full sync); the bytes hashed, and so the stored hashes, are the
    same as ``asdict`` would give."""
    data = {name: getattr(spec, name) for name in _FIELDS}
    data["assignees"] = sorted(set(spec.assignees))
    return hashlib.sha256(jsoncodec.canonical(data)).hexdigest()


_FIELDS = tuple(f.name for f in fields(TaskSpec) if f.name != "progress")


def diff_task(spec: TaskSpec | None, link: LinkState | None) -> TaskAction:
    """What to do with one task. ``spec=None`` means the object is gone (deleted or marked).

    A closed object that never had a task gets none (``unchanged``, reason
    ``closed_without_task``); a vanished object whose task is already closed is ``unchanged``.
    Closing or reopening carries the current spec, so content changes ride along.
    """
    if spec is None and link is None:
        raise ValueError("diff_task needs a spec, a stored link, or both")
    if spec is None:
        assert link is not None
        if link.status == "closed":
            return TaskAction("unchanged", link.code, None, "already_closed")
        return TaskAction("close", link.code, None, "object_deleted")
    if link is None:
        if spec.status == "closed":
            return TaskAction("unchanged", spec.code, spec, "closed_without_task")
        return TaskAction("create", spec.code, spec, "new_object")
    if link.code != spec.code:
        raise ValueError(f"link of task {link.code!r} compared with spec of {spec.code!r}")
    if link.status == "open" and spec.status == "closed":
        return TaskAction("close", spec.code, spec, "object_closed")
    if link.status == "closed" and spec.status == "open":
        return TaskAction("reopen", spec.code, spec, "object_reopened")
    if content_hash(spec) != link.content_hash:
        return TaskAction("update", spec.code, spec, "content_changed")
    return TaskAction("unchanged", spec.code, spec, "same_content")


def static_task_specs(
    mapping: str,
    categories: Sequence[StaticCategory],
    assignees: Sequence[Assignee],
    *,
    category: Category = "sales",
) -> list[TaskSpec]:
    """Category tasks with no 1C object behind them (e.g. sales: commercial work, administration).

    Every listed person gets every category; the tasks are always open. Codes must be unique.
    """
    seen: set[str] = set()
    specs = []
    people = tuple(sorted(set(assignees)))
    for c in categories:
        if not c.code:
            raise ValueError(f"mapping {mapping!r}: a static category has an empty code")
        if c.code in seen:
            raise ValueError(f"mapping {mapping!r}: static category code {c.code!r} is listed twice")
        seen.add(c.code)
        specs.append(
            TaskSpec(
                mapping=mapping,
                code=c.code,
                title=c.title,
                description=c.description,
                category=category,
                assignees=people,
                status="open",
            )
        )
    return specs
