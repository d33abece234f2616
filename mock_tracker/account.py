"""The account's behaviour: importing the feed, recording work, simulating days.

One :class:`Account` owns the state behind a lock; every change is persisted when ``--db``
is given. Reports (``reports.py``) read the state under the same lock. The published dialects
(Kimai, Clockify) keep their own objects beside the state and map them onto the account's
tasks; they register a serialiser (:meth:`Account.extend`) and a task refresher
(``task_sync``) that runs before every simulation.
"""

from __future__ import annotations

import random
import re
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from mock_tracker.days import day_range
from mock_tracker.feed import FeedTask
from mock_tracker.model import AccountState, Employee, Entry, Task, Timer
from mock_tracker.persist import SnapshotStore
from mock_tracker.simulate import simulate_day, task_budgets
from mock_tracker.timeline import Timeline

MAX_ENTRY = timedelta(hours=24)
MAX_SIMULATED_DAYS = 366

# People the account has that 1C does not know (contractors); the last one has left.
_OUTSIDERS = [
    ("Дарья", "Смирнова", "d.smirnova@outsource.example"),
    ("Олег", "Кузнецов", "o.kuznetsov@outsource.example"),
    ("Анна", "Белова", "a.belova@outsource.example"),
]


class EntryError(ValueError):
    """A work entry the admin endpoint must refuse; the message is safe to show."""


class EntryNotFound(LookupError):
    pass


def vary_case(email: str) -> str:
    """The same address as a person might have typed it: ``ivanov.i@x`` → ``Ivanov.I@x``."""
    local, _, domain = email.partition("@")
    varied = "".join(part[:1].upper() + part[1:] for part in re.split(r"([._-])", local))
    if varied == local:
        varied = local.swapcase()
    return f"{varied}@{domain}" if domain else varied


def split_name(name: str | None, email: str) -> tuple[str, str]:
    """(firstName, lastName) from a 1C-style "Фамилия Имя Отчество"; the e-mail if no name."""
    parts = (name or "").split()
    if not parts:
        return email.partition("@")[0], ""
    if len(parts) == 1:
        return parts[0], ""
    return " ".join(parts[1:]), parts[0]


class Account:
    """A Bitcop-like account: seeded, in one time zone, optionally persisted."""

    def __init__(
        self,
        seed: int,
        tz: ZoneInfo,
        store: SnapshotStore | None = None,
        shares: Mapping[str, float] | None = None,
        *,
        follow_plan: bool = False,
    ) -> None:
        self.seed = seed
        self.tz = tz
        self.shares = dict(shares or {})
        self.follow_plan = follow_plan
        self._store = store
        self._lock = threading.RLock()
        self._extensions: dict[str, Callable[[], Any]] = {}
        self._timeline: tuple[int, Timeline] | None = None
        self.task_sync: Callable[[AccountState], None] | None = None
        """Refreshes tasks derived from a dialect's objects (who may book, active) before a
        simulation; set by the Kimai dialect, whose permissions come from teams."""
        self.created: Counter[str] = Counter()
        """Objects created through the published API, by kind (``projects``, ``activities``…)."""
        loaded = store.load() if store else None
        self.state = AccountState.from_dict(loaded) if loaded else self._fresh_state()
        if loaded is None:
            self._save()

    def _fresh_state(self) -> AccountState:
        state = AccountState()
        count = 2 + random.Random(f"{self.seed}|outsiders").randrange(2)
        for index, (first, last, email) in enumerate(_OUTSIDERS[:count]):
            emp_id = state.next_employee_id
            state.next_employee_id += 1
            active = index < count - 1
            state.employees[emp_id] = Employee(emp_id, email, first, last, active=active, from_feed=False)
        return state

    def _save(self) -> None:
        if self._store is not None:
            for name, dump in self._extensions.items():
                self.state.dialects[name] = dump()
            self._store.save(self.state.to_dict())

    def extend(self, name: str, dump: Callable[[], Any]) -> Any:
        """Register a dialect's serialiser; answers what ``--db`` had kept for it (or None)."""
        with self._lock:
            self._extensions[name] = dump
            return self.state.dialects.get(name)

    @contextmanager
    def reading(self) -> Iterator[AccountState]:
        """The state, consistent for the duration of the block."""
        with self._lock:
            yield self.state

    @contextmanager
    def writing(self) -> Iterator[AccountState]:
        """The state for a change; persisted when the block ends without an exception."""
        with self._lock:
            yield self.state
            self._save()

    def timeline(self) -> Timeline:
        """All work in start order; call it while holding :meth:`reading` or :meth:`writing`."""
        with self._lock:
            version = self.state.work_version
            if self._timeline is None or self._timeline[0] != version:
                self._timeline = (version, Timeline.of(self.state))
            return self._timeline[1]

    def _touched(self) -> None:
        self.state.work_version += 1

    # -- people -------------------------------------------------------------------------------

    def add_users(self, people: Iterable[tuple[str, str | None]]) -> dict[str, Any]:
        """Invite people by e-mail (idempotent, case-insensitive): how a Kimai or Clockify
        account gets its users before any task exists."""
        created = existing = 0
        users = []
        with self.writing() as state:
            for email, name in people:
                emp = state.employee_by_email(email)
                if emp is None:
                    first, last = split_name(name, email)
                    emp = Employee(state.next_employee_id, email.strip(), first, last, from_feed=False)
                    state.next_employee_id += 1
                    state.add_employee(emp)
                    created += 1
                else:
                    existing += 1
                users.append(emp)
        return {"created": created, "existing": existing, "users": users}

    def ensure_api_user(self, email: str, first: str, last: str) -> Employee:
        """The account's API user: listed like anyone, never simulated."""
        with self.writing() as state:
            emp = state.employee_by_email(email)
            if emp is None:
                emp = Employee(state.next_employee_id, email, first, last, from_feed=False, simulated=False)
                state.next_employee_id += 1
                state.add_employee(emp)
            return emp

    # -- feed ---------------------------------------------------------------------------------

    def _employee_for(self, email: str, name: str | None, index: dict[str, Employee]) -> Employee:
        found = index.get(email.lower())
        if found is not None:
            return found
        state = self.state
        ordinal = state.feed_employees_seen
        state.feed_employees_seen += 1
        offset = random.Random(f"{self.seed}|case").randrange(3)
        stored_email = vary_case(email) if ordinal % 6 == offset else email
        first, last = split_name(name, email)
        emp = Employee(state.next_employee_id, stored_email, first, last)
        state.next_employee_id += 1
        state.add_employee(emp)
        index[email.lower()] = emp
        return emp

    def apply_feed(self, items: list[FeedTask], etag: str | None) -> dict[str, int]:
        """Create or update a task per feed item, inviting every assignee as an employee."""
        counts = {"tasks_created": 0, "tasks_updated": 0, "employees_created": 0, "assignees_skipped": 0}
        with self._lock:
            state = self.state
            index = {e.email.lower(): e for e in state.employees.values()}
            by_code = {t.code: t for t in state.tasks.values()}
            for item in items:
                employee_ids: list[int] = []
                for assignee in item.assignees or []:
                    email = assignee.email.strip()
                    if "@" not in email or " " in email:
                        counts["assignees_skipped"] += 1
                        continue
                    before = len(state.employees)
                    emp = self._employee_for(email, assignee.name, index)
                    counts["employees_created"] += len(state.employees) - before
                    if emp.id not in employee_ids:
                        employee_ids.append(emp.id)
                active = item.status == "open"
                task = by_code.get(item.code)
                if task is None:
                    task = Task(
                        state.next_task_id,
                        item.code,
                        item.title,
                        active,
                        employee_ids,
                        item.description,
                        item.planned_minutes,
                    )
                    state.next_task_id += 1
                    state.add_task(task)
                    by_code[task.code] = task
                    counts["tasks_created"] += 1
                    continue
                new = (item.title, active, employee_ids, item.description, item.planned_minutes)
                old = (task.title, task.active, task.employee_ids, task.description, task.planned_minutes)
                if old != new:
                    task.title, task.active, task.employee_ids, task.description, task.planned_minutes = new
                    counts["tasks_updated"] += 1
            state.feed_etag = etag
            self._save()
        return counts

    # -- entries ------------------------------------------------------------------------------

    def _resolve(self, email: str, code: str) -> tuple[Employee, Task]:
        emp = self.state.employee_by_email(email)
        if emp is None:
            raise EntryError("unknown employee e-mail")
        task = self.state.task_by_code(code)
        if task is None:
            raise EntryError("unknown task code")
        return emp, task

    @staticmethod
    def _check_times(start: datetime, end: datetime) -> tuple[datetime, datetime]:
        if start.tzinfo is None or end.tzinfo is None:
            raise EntryError("start and end must carry a UTC offset")
        start = start.astimezone(UTC).replace(microsecond=0)
        end = end.astimezone(UTC).replace(microsecond=0)
        if end <= start:
            raise EntryError("end must be after start")
        if end - start > MAX_ENTRY:
            raise EntryError("an entry must not be longer than 24 hours")
        return start, end

    def add_entry(self, email: str, code: str, start: datetime, end: datetime) -> Entry:
        with self._lock:
            emp, task = self._resolve(email, code)
            return self.add_entry_for(emp.id, task.id, start, end)

    def add_entry_for(self, employee_id: int, task_id: int, start: datetime, end: datetime) -> Entry:
        """Record finished work of a known employee on a known task (ids)."""
        with self._lock:
            start, end = self._check_times(start, end)
            entry = Entry(self.state.next_entry_id, employee_id, task_id, start, end, modified=_now())
            self.state.next_entry_id += 1
            self.state.entries[entry.id] = entry
            self._touched()
            self._save()
            return entry

    def update_entry(self, entry_id: int, changes: dict[str, Any]) -> Entry:
        """Apply any of ``employee_email``, ``task_code``, ``start``, ``end`` to an entry."""
        with self._lock:
            entry = self.state.entries.get(entry_id)
            if entry is None:
                raise EntryNotFound(entry_id)
            emp_email = changes.get("employee_email") or self.state.employees[entry.employee_id].email
            code = changes.get("task_code") or self.state.tasks[entry.task_id].code
            emp, task = self._resolve(emp_email, code)
            start, end = self._check_times(
                changes.get("start") or entry.start, changes.get("end") or entry.end
            )
            entry.employee_id, entry.task_id, entry.start, entry.end = emp.id, task.id, start, end
            entry.modified = _now()
            self._touched()
            self._save()
            return entry

    def delete_entry(self, entry_id: int) -> None:
        with self._lock:
            if self.state.entries.pop(entry_id, None) is None:
                raise EntryNotFound(entry_id)
            self._touched()
            self._save()

    # -- running timers -----------------------------------------------------------------------

    def start_timer(self, email: str, code: str, start: datetime | None = None) -> Timer:
        """Start a timer (work under way, no end); the employee's running timer, if any, stops
        at the new start, as trackers allow one running timer per person."""
        with self._lock:
            emp, task = self._resolve(email, code)
            return self.start_timer_for(emp.id, task.id, start)

    def start_timer_for(self, employee_id: int, task_id: int, start: datetime | None = None) -> Timer:
        if start is not None and start.tzinfo is None:
            raise EntryError("start must carry a UTC offset")
        with self._lock:
            begin = (start or _now()).astimezone(UTC).replace(microsecond=0)
            for running in [t for t in self.state.timers.values() if t.employee_id == employee_id]:
                if running.start < begin:
                    self.stop_timer(running.id, begin)
                else:
                    del self.state.timers[running.id]
            timer = Timer(self.state.next_entry_id, employee_id, task_id, begin, _now())
            self.state.next_entry_id += 1
            self.state.timers[timer.id] = timer
            self._touched()
            self._save()
            return timer

    def stop_timer(self, timer_id: int, end: datetime | None = None) -> Entry:
        """Stop a running timer: it becomes an entry with the same id (and counts from now on)."""
        with self._lock:
            timer = self.state.timers.get(timer_id)
            if timer is None:
                raise EntryNotFound(timer_id)
            start, stop = self._check_times(timer.start, end or _now())
            del self.state.timers[timer_id]
            entry = Entry(timer.id, timer.employee_id, timer.task_id, start, stop, modified=_now())
            self.state.entries[entry.id] = entry
            self._touched()
            self._save()
            return entry

    def delete_timer(self, timer_id: int) -> None:
        with self._lock:
            if self.state.timers.pop(timer_id, None) is None:
                raise EntryNotFound(timer_id)
            self._touched()
            self._save()

    # -- simulation ---------------------------------------------------------------------------

    def simulate(self, start: date, days: int) -> dict[str, int]:
        """(Re)generate work for the local days [start, start+days): earlier simulated entries of
        those days are replaced, entries added through the admin API are kept."""
        if not 1 <= days <= MAX_SIMULATED_DAYS:
            raise EntryError(f"days must be between 1 and {MAX_SIMULATED_DAYS}")
        stop = start + timedelta(days=days)
        created = seconds = 0
        with self._lock:
            state = self.state
            if self.task_sync is not None:
                self.task_sync(state)
            self._touched()
            now = _now()
            for entry_id in [e.id for e in state.entries.values() if e.sim_day and start <= e.sim_day < stop]:
                del state.entries[entry_id]
            by_code = {t.code: t for t in state.tasks.values()}
            budgets = (
                task_budgets(self.seed, state.tasks.values(), state.entries.values())
                if self.follow_plan
                else {}
            )
            employees = sorted(state.employees.values(), key=lambda e: e.email.lower())
            assigned: dict[int, list[Task]] = {}
            for task in state.tasks.values():
                if task.active:
                    for emp_id in dict.fromkeys(task.employee_ids):
                        assigned.setdefault(emp_id, []).append(task)
            for emp in employees:
                if not emp.active or not emp.simulated:
                    continue
                mine = assigned.get(emp.id, [])
                codes = [t.code for t in mine]
                left = {t.code: budgets[t.id] // len(t.employee_ids) for t in mine if t.id in budgets}
                for day in day_range(start, stop):
                    sessions = simulate_day(
                        self.seed, emp.email, day, codes, self.tz, budgets=left, shares=self.shares
                    )
                    for session in sessions:
                        entry = Entry(
                            state.next_entry_id,
                            emp.id,
                            by_code[session.task_code].id,
                            session.start,
                            session.end,
                            sim_day=day,
                            modified=now,
                        )
                        state.next_entry_id += 1
                        state.entries[entry.id] = entry
                        created += 1
                        seconds += entry.seconds
            self._save()
        return {"entries": created, "seconds": seconds}


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)
