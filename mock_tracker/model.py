"""The state of one simulated tracker account: employees, tasks, work entries and running timers.

Plain dataclasses, serialisable to a JSON-compatible dict so ``--db`` can keep the state
across restarts. Instants are stored as aware UTC datetimes; local days are derived from the
account's time zone only when reporting. Lookups by e-mail and by task code go through dict
indexes (a benchmark account has thousands of tasks); the dialects' own objects (Kimai
customers, Clockify projects…) travel in ``dialects`` as their modules serialise them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

CODE_IN_NAME = re.compile(r"^\s*\[\s*([A-Za-zА-Яа-яЁё0-9_.\-]+)\s*\]\s*(.*)$", re.DOTALL)


def code_and_title(name: str, fallback: str) -> tuple[str, str]:
    """(code, title) of a tracker task's name ``[CODE] title``; ``fallback`` is the code of a
    name without one (``(activity 5012)``: counted in the truth, never a 1C code)."""
    found = CODE_IN_NAME.match(name)
    if found is None:
        return fallback, name.strip()
    return found.group(1), found.group(2).strip()


@dataclass
class Employee:
    id: int
    email: str
    first_name: str
    last_name: str
    active: bool = True
    from_feed: bool = True
    simulated: bool = True
    """False for the API user of a Kimai/Clockify account: it exists, but the simulation never
    books work for it."""


@dataclass
class Task:
    id: int
    code: str
    title: str
    active: bool
    employee_ids: list[int]
    description: str | None = None
    planned_minutes: float | None = None

    @property
    def name(self) -> str:
        return f"[{self.code}] {self.title}"


@dataclass
class Entry:
    """One work session of an employee on a task; ``sim_day`` marks simulated entries."""

    id: int
    employee_id: int
    task_id: int
    start: datetime
    end: datetime
    sim_day: date | None = None
    modified: datetime | None = None
    """When the entry was last written (UTC); what Kimai's ``modified_after`` compares."""

    @property
    def seconds(self) -> int:
        return int((self.end - self.start).total_seconds())


@dataclass
class Timer:
    """A running timer: work under way, with no end yet. Never part of the ground truth; stopping
    it turns it into an :class:`Entry` with the same id."""

    id: int
    employee_id: int
    task_id: int
    start: datetime
    modified: datetime | None = None


@dataclass
class AccountState:
    employees: dict[int, Employee] = field(default_factory=dict)
    tasks: dict[int, Task] = field(default_factory=dict)
    entries: dict[int, Entry] = field(default_factory=dict)
    next_employee_id: int = 101
    next_task_id: int = 5001
    next_entry_id: int = 1
    feed_employees_seen: int = 0
    feed_etag: str | None = None
    timers: dict[int, Timer] = field(default_factory=dict)
    dialects: dict[str, Any] = field(default_factory=dict)
    """Serialised objects of the published dialect (``{"kimai": {...}}``), kept for ``--db``."""
    work_version: int = 0
    """Bumped on every change of entries or timers, so derived orderings can be cached."""
    _by_email: dict[str, int] = field(default_factory=dict, repr=False)
    _by_code: dict[str, int] = field(default_factory=dict, repr=False)
    _indexed: tuple[int, int] = (-1, -1)

    def _reindex(self) -> None:
        self._by_email = {}
        for emp in sorted(self.employees.values(), key=lambda e: e.id):
            self._by_email.setdefault(emp.email.strip().lower(), emp.id)
        self._by_code = {}
        for task in sorted(self.tasks.values(), key=lambda t: t.id):
            self._by_code.setdefault(task.code, task.id)
        self._indexed = (len(self.employees), len(self.tasks))

    def _fresh_index(self) -> None:
        if self._indexed != (len(self.employees), len(self.tasks)):
            self._reindex()

    def employee_by_email(self, email: str) -> Employee | None:
        """E-mails are matched case-insensitively, as an account admin would."""
        self._fresh_index()
        emp_id = self._by_email.get(email.strip().lower())
        emp = self.employees.get(emp_id) if emp_id is not None else None
        if emp is not None and emp.email.strip().lower() == email.strip().lower():
            return emp
        return None

    def task_by_code(self, code: str) -> Task | None:
        """The task with this code (the oldest one if a tracker holds duplicates)."""
        self._fresh_index()
        task_id = self._by_code.get(code)
        task = self.tasks.get(task_id) if task_id is not None else None
        if task is not None and task.code == code:
            return task
        if task is not None:  # renamed behind the index's back
            self._reindex()
            return self.task_by_code(code) if code in self._by_code else None
        return None

    def add_employee(self, emp: Employee) -> None:
        self._fresh_index()
        self.employees[emp.id] = emp
        self._by_email.setdefault(emp.email.strip().lower(), emp.id)
        self._indexed = (len(self.employees), len(self.tasks))

    def add_task(self, task: Task) -> None:
        self._fresh_index()
        self.tasks[task.id] = task
        self._by_code.setdefault(task.code, task.id)
        self._indexed = (len(self.employees), len(self.tasks))

    def recode_task(self, task: Task, code: str) -> None:
        """Change a task's code (a Kimai activity or Clockify task was renamed)."""
        if task.code == code:
            return
        task.code = code
        self._reindex()

    def to_dict(self) -> dict[str, Any]:
        return {
            "employees": [vars(e) for e in self.employees.values()],
            "tasks": [vars(t) for t in self.tasks.values()],
            "entries": [
                {
                    "id": e.id,
                    "employee_id": e.employee_id,
                    "task_id": e.task_id,
                    "start": e.start.isoformat(),
                    "end": e.end.isoformat(),
                    "sim_day": e.sim_day.isoformat() if e.sim_day else None,
                    "modified": e.modified.isoformat() if e.modified else None,
                }
                for e in self.entries.values()
            ],
            "timers": [
                {
                    "id": t.id,
                    "employee_id": t.employee_id,
                    "task_id": t.task_id,
                    "start": t.start.isoformat(),
                    "modified": t.modified.isoformat() if t.modified else None,
                }
                for t in self.timers.values()
            ],
            "dialects": self.dialects,
            "next_employee_id": self.next_employee_id,
            "next_task_id": self.next_task_id,
            "next_entry_id": self.next_entry_id,
            "feed_employees_seen": self.feed_employees_seen,
            "feed_etag": self.feed_etag,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AccountState:
        state = cls(
            next_employee_id=data["next_employee_id"],
            next_task_id=data["next_task_id"],
            next_entry_id=data["next_entry_id"],
            feed_employees_seen=data["feed_employees_seen"],
            feed_etag=data.get("feed_etag"),
        )
        for e in data["employees"]:
            state.employees[e["id"]] = Employee(**e)
        for t in data["tasks"]:
            state.tasks[t["id"]] = Task(**t)
        for n in data["entries"]:
            state.entries[n["id"]] = Entry(
                id=n["id"],
                employee_id=n["employee_id"],
                task_id=n["task_id"],
                start=datetime.fromisoformat(n["start"]).astimezone(UTC),
                end=datetime.fromisoformat(n["end"]).astimezone(UTC),
                sim_day=date.fromisoformat(n["sim_day"]) if n["sim_day"] else None,
                modified=_instant(n.get("modified")),
            )
        for t in data.get("timers", []):
            start = _instant(t["start"])
            assert start is not None
            state.timers[t["id"]] = Timer(
                t["id"], t["employee_id"], t["task_id"], start, _instant(t.get("modified"))
            )
        state.dialects = dict(data.get("dialects") or {})
        return state


def _instant(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text).astimezone(UTC) if text else None
