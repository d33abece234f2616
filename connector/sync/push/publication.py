"""What a task-sink tracker is given for one link, and the hash that says whether it changed.

Pure: a stored link's columns in, a ``TaskPublication`` and its hash out. The hash covers what
is sent (title, description, customer, parent, plan, assignees, open/closed) and the tracker it
was sent to, so pointing the connector at another tracker pushes everything again (found by
code there first, never duplicated); the link's actual minutes, overrun and risk are not sent
and do not count.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from connector import jsoncodec
from connector.tracker.base import TaskPublication


@dataclass(frozen=True)
class LinkRow:
    """The columns of a link the push reads."""

    id: int
    task_code: str
    title: str
    status: str
    assignees: list[str]
    planned_minutes: int | None
    payload: Mapping[str, Any]
    tracker_task_id: str | None
    pushed_hash: str | None
    push_error: str | None


def _emails(row: LinkRow) -> tuple[str, ...]:
    """The assignees' e-mails (payload's assignee records, else the stored list), sorted, unique."""
    people = row.payload.get("assignees")
    found = [p.get("email") for p in people if isinstance(p, dict)] if isinstance(people, list) else []
    emails = {str(e).strip().lower() for e in (found or row.assignees) if e and "@" in str(e)}
    return tuple(sorted(emails))


def publication_of(row: LinkRow) -> TaskPublication:
    """The task a link stands for, as a task-sink tracker is given it."""
    payload = row.payload
    parent_code = payload.get("parent_code") or None
    parent_title = payload.get("project") or None
    return TaskPublication(
        code=row.task_code,
        title=row.title,
        description=str(payload.get("description") or ""),
        assignee_emails=_emails(row),
        open=row.status == "open",
        customer=payload.get("customer") or None,
        parent_code=str(parent_code) if parent_code else None,
        parent_title=str(parent_title) if parent_title else None,
        planned_minutes=row.planned_minutes,
        known_id=row.tracker_task_id,
    )


def publication_hash(publication: TaskPublication, tracker: str) -> str:
    """SHA-256 of what is sent and to which tracker (``known_id`` excluded: it is ours)."""
    data = {
        "tracker": tracker,
        "code": publication.code,
        "title": publication.title,
        "description": publication.description,
        "assignees": list(publication.assignee_emails),
        "open": publication.open,
        "customer": publication.customer,
        "parent_code": publication.parent_code,
        "parent_title": publication.parent_title,
        "planned_minutes": publication.planned_minutes,
    }
    return hashlib.sha256(jsoncodec.canonical(data)).hexdigest()


Decision = str  # "push" | "skip_unchanged" | "skip_closed_never_pushed"


def decide(row: LinkRow, digest: str) -> Decision:
    """Whether a link goes to the tracker: changed or failed last time → push; a closed object
    the tracker never had → nothing to create; otherwise unchanged."""
    if row.push_error is None and row.pushed_hash == digest:
        return "skip_unchanged"
    if (
        row.status != "open"
        and row.tracker_task_id is None
        and row.pushed_hash is None
        and not row.push_error
    ):
        return "skip_closed_never_pushed"
    return "push"
