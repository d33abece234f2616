"""The state of one simulated Bitcop account: employees, tasks and work entries.

Plain dataclasses, serialisable to a JSON-compatible dict so ``--db`` can keep the state
across restarts. Instants are stored as aware UTC datetimes; local days are derived from the
account's time zone only when reporting.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any


@dataclass
class Employee:
    id: int
    email: str
    first_name: str
    last_name: str
    active: bool = True
    from_feed: bool = True


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

    @property
    def seconds(self) -> int:
        return int((self.end - self.start).total_seconds())


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

    def employee_by_email(self, email: str) -> Employee | None:
        """E-mails are matched case-insensitively, as an account admin would."""
        wanted = email.strip().lower()
        for emp in self.employees.values():
            if emp.email.lower() == wanted:
                return emp
        return None

    def task_by_code(self, code: str) -> Task | None:
        for task in self.tasks.values():
            if task.code == code:
                return task
        return None

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
                }
                for e in self.entries.values()
            ],
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
            )
        return state
