"""What the tracker lacks, said to the people who can fix it.

- **Pending tasks**: open tasks the tracker does not have yet, by code. For Bitcop, whose API
  cannot create tasks, this is the admin's to-do list: the exact name to give each task
  (``[CODE] title``, so its time is matched back by the bracketed code) and who to assign. A
  task drops off the list as soon as the tracker lists a task with its code, whoever made it.
  For a task-sink tracker it lists what the push could not create yet.
- **Unmatched time**: time the tracker holds on tasks whose code matches no 1C object (a task
  made by hand without a code, a typo in the code, a task of another system), per employee and
  task with its hours — never silently dropped.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from connector.store.models import Employee, Link, TimeRow
from connector.sync.core.keys import FOREIGN_TASK_PREFIX
from connector.tracker.base import TrackerTask


@dataclass(frozen=True)
class PendingTask:
    code: str
    name: str
    assignees: tuple[str, ...]
    assignee_names: tuple[str, ...]
    category: str
    customer: str | None
    planned_hours: float | None
    onec_url: str | None
    push_error: str | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "assignees": list(self.assignees),
            "assignee_names": list(self.assignee_names),
            "category": self.category,
            "customer": self.customer,
            "planned_hours": self.planned_hours,
            "onec_url": self.onec_url,
            "push_error": self.push_error,
        }


def task_name(code: str, title: str) -> str:
    """The name a task must have in the tracker: its code in brackets, then the 1C title."""
    return f"[{code}] {title}".strip()


def pending_tasks(session: Session, in_tracker: Iterable[TrackerTask]) -> list[PendingTask]:
    """Open tasks whose code no tracker task carries, by category and code."""
    have = {t.code for t in in_tracker if t.code}
    rows = session.execute(
        select(
            Link.task_code,
            Link.title,
            Link.category,
            Link.assignees,
            Link.planned_minutes,
            Link.payload,
            Link.push_error,
        )
        .where(Link.status == "open")
        .order_by(Link.category, Link.task_code)
    )
    out = []
    for code, title, category, assignees, planned, payload, error in rows:
        if code in have:
            continue
        data = payload or {}
        people = [p for p in data.get("assignees") or [] if isinstance(p, dict)]
        out.append(
            PendingTask(
                code=code,
                name=task_name(code, title or ""),
                assignees=tuple(sorted(assignees or [])),
                assignee_names=tuple(sorted(str(p.get("name") or p.get("email") or "") for p in people)),
                category=category,
                customer=data.get("customer"),
                planned_hours=None if planned is None else round(planned / 60, 2),
                onec_url=data.get("onec_url"),
                push_error=error,
            )
        )
    return out


def unmatched_time(session: Session, first: date, last: date) -> list[dict[str, Any]]:
    """Tracked time of ``first..last`` on tasks no 1C object stands behind, per employee and
    task: the tracker's task (its code, or ``#<tracker id>`` for a task without one), hours and
    days, biggest first."""
    known = set(session.execute(select(Link.task_code)).scalars())
    people = {
        e.tracker_employee_id: (e.name, e.email)
        for e in session.execute(select(Employee)).scalars()
        if e.tracker_employee_id
    }
    totals: dict[tuple[str, str], list[Any]] = defaultdict(lambda: [0, set()])
    rows = session.execute(
        select(TimeRow.employee, TimeRow.task_code, TimeRow.day, TimeRow.seconds).where(
            TimeRow.day >= first, TimeRow.day <= last, TimeRow.seconds > 0
        )
    )
    for employee, code, day, seconds in rows:
        if code in known:
            continue
        total = totals[(employee, code)]
        total[0] += seconds
        total[1].add(day)
    out = []
    for (employee, code), (seconds, days) in totals.items():
        name, email = people.get(employee, (None, None))
        foreign = code.startswith(FOREIGN_TASK_PREFIX)
        out.append(
            {
                "employee": name or employee,
                "email": email,
                "tracker_employee_id": employee,
                "task_code": None if foreign else code,
                "tracker_task_id": code[len(FOREIGN_TASK_PREFIX) :] if foreign else None,
                "reason": "task without a code" if foreign else "code matches no 1C object",
                "hours": round(seconds / 3600, 2),
                "days": len(days),
                "first_day": min(days).isoformat(),
                "last_day": max(days).isoformat(),
            }
        )
    out.sort(key=lambda r: (-r["hours"], r["employee"], r["task_code"] or r["tracker_task_id"]))
    return out


def assignees_missing_in_tracker(session: Session, people: Iterable[Any]) -> list[dict[str, Any]]:
    """1C assignees of open tasks the tracker has no user for (by e-mail, any case): a task-sink
    tracker gets those tasks without them. Each with the codes of their tasks (first ten)."""
    known = {str(p.email).strip().lower() for p in people if getattr(p, "email", None)}
    tasks: dict[str, list[str]] = defaultdict(list)
    rows = session.execute(select(Link.task_code, Link.assignees).where(Link.status == "open"))
    for code, assignees in rows:
        for email in assignees or []:
            if email and str(email).strip().lower() not in known:
                tasks[str(email).strip().lower()].append(code)
    return [
        {"email": email, "reason": "no tracker user with this e-mail", "tasks": sorted(codes)[:10]}
        for email, codes in sorted(tasks.items())
    ]
