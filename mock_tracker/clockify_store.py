"""Clockify's objects in the mock: one workspace with clients, projects and their tasks.

Each **Clockify task is one account task**: code from the bracketed prefix of its name, the
assignees (``assigneeIds``) are who may book, it is active while its status is ACTIVE and its
project is not archived, and its ``estimate`` is the planned time. Task ids are the account's
task ids; every object is addressed by a 24-hex id as Clockify's are (:func:`oid`).

Clockify refuses a second client with the same name, a second project with the same name for
the same client, and a second task with the same name in a project (case-insensitive); the
mock does too, which is what makes a retried create visible to the client.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from mock_tracker.model import AccountState, Task, code_and_title

USER, CLIENT, PROJECT, TASK, ENTRY = 1, 2, 3, 4, 5
_OID_PREFIX = "64a687e2"
_DURATION = re.compile(r"^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$")


def oid(kind: int, number: int) -> str:
    """A Clockify-looking id (24 hex digits) for object ``number`` of ``kind``."""
    return f"{_OID_PREFIX}{kind:04x}{number:012x}"


def parse_oid(text: str, kind: int) -> int | None:
    """The number inside an id of ``kind``; None for anything else (foreign or malformed)."""
    if len(text) != 24 or not text.startswith(_OID_PREFIX) or text[8:12] != f"{kind:04x}":
        return None
    try:
        return int(text[12:], 16)
    except ValueError:
        return None


def iso_duration(seconds: int) -> str:
    """Java's ``Duration.toString()``: ``PT1H30M``, ``PT26H``, ``PT0S``."""
    hours, rest = divmod(int(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    text = "".join(f"{v}{u}" for v, u in ((hours, "H"), (minutes, "M"), (secs, "S")) if v)
    return f"PT{text or '0S'}"


def parse_iso_duration(text: Any) -> int | None:
    """Seconds of an ISO 8601 duration (``PT1H30M``, ``P1DT2H``); None if it is not one."""
    if not isinstance(text, str) or text in ("P", "PT"):
        return None
    found = _DURATION.match(text.strip().upper())
    if found is None:
        return None
    days, hours, minutes, secs = found.groups()
    return int(days or 0) * 86400 + int(hours or 0) * 3600 + int(minutes or 0) * 60 + round(float(secs or 0))


@dataclass
class Client:
    n: int
    name: str
    archived: bool = False
    address: str | None = None
    note: str | None = None
    email: str | None = None


@dataclass
class Project:
    n: int
    name: str
    client: int | None = None
    archived: bool = False
    billable: bool = True
    public: bool = False
    color: str = "#03A9F4"
    note: str = ""


@dataclass
class ClockifyTask:
    id: int
    project: int
    name: str
    assignees: list[int] = field(default_factory=list)
    estimate: int = 0
    status: str = "ACTIVE"
    billable: bool = True


class ClockifyStore:
    """The workspace's objects; callers hold the account's lock. ``version`` moves with every
    change so sorted listings can be cached."""

    def __init__(self) -> None:
        self.clients: dict[int, Client] = {}
        self.projects: dict[int, Project] = {}
        self.tasks: dict[int, ClockifyTask] = {}
        self.next_client = 1
        self.next_project = 1
        self.version = 0
        self._project_tasks: dict[int, list[int]] = {}
        self._task_names: dict[tuple[int, str], int] = {}
        self._project_names: dict[tuple[int | None, str], int] = {}
        self._sorted: dict[tuple[Any, ...], tuple[int, list[Any]]] = {}

    def to_dict(self) -> dict[str, Any]:
        return {
            "clients": [asdict(c) for c in self.clients.values()],
            "projects": [asdict(p) for p in self.projects.values()],
            "tasks": [asdict(t) for t in self.tasks.values()],
            "next": [self.next_client, self.next_project],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> ClockifyStore:
        store = cls()
        if data:
            store.clients = {c["n"]: Client(**c) for c in data["clients"]}
            for p in data["projects"]:
                store.put_project(Project(**p))
            for t in data["tasks"]:
                store.add_task(ClockifyTask(**t))
            store.next_client, store.next_project = data["next"]
        return store

    def changed(self) -> None:
        self.version += 1

    def add_task(self, task: ClockifyTask) -> None:
        self.tasks[task.id] = task
        self._project_tasks.setdefault(task.project, []).append(task.id)
        self._task_names.setdefault((task.project, task.name.casefold()), task.id)
        self.changed()

    def put_project(self, project: Project) -> None:
        """Store a new or edited project (its name or client may have changed)."""
        old = self.projects.get(project.n)
        if old is not None and self._project_names.get((old.client, old.name.casefold())) == old.n:
            del self._project_names[(old.client, old.name.casefold())]
        self.projects[project.n] = project
        self._project_names.setdefault((project.client, project.name.casefold()), project.n)
        self.changed()

    def replace_task(self, task: ClockifyTask) -> None:
        """Store an edited task (its name may have changed)."""
        old = self.tasks[task.id]
        if self._task_names.get((old.project, old.name.casefold())) == task.id:
            del self._task_names[(old.project, old.name.casefold())]
        self.tasks[task.id] = task
        self._task_names.setdefault((task.project, task.name.casefold()), task.id)
        self.changed()

    def project_tasks(self, project: int) -> list[ClockifyTask]:
        return [self.tasks[i] for i in self._project_tasks.get(project, [])]

    def sorted_view(
        self, name: str, items: Callable[[], Iterable[Any]], key: Callable[[Any], Any], descending: bool
    ) -> list[Any]:
        """``items()`` sorted by ``key``, cached until the next change (listings page cheaply)."""
        cache_key = (name, descending)
        cached = self._sorted.get(cache_key)
        if cached is None or cached[0] != self.version:
            cached = (self.version, sorted(items(), key=key, reverse=descending))
            self._sorted[cache_key] = cached
        return cached[1]

    # -- uniqueness (Clockify refuses duplicates, case-insensitively) ---------------------------

    def client_named(self, name: str, other_than: int | None = None) -> Client | None:
        wanted = name.casefold()
        return next(
            (c for c in self.clients.values() if c.name.casefold() == wanted and c.n != other_than), None
        )

    def project_named(self, name: str, client: int | None, other_than: int | None = None) -> Project | None:
        found = self._project_names.get((client, name.casefold()))
        if found is None:
            return None
        if found != other_than:
            return self.projects[found]
        wanted = name.casefold()
        return next(
            (
                p
                for p in self.projects.values()
                if p.client == client and p.name.casefold() == wanted and p.n != other_than
            ),
            None,
        )

    def task_named(self, project: int, name: str, other_than: int | None = None) -> ClockifyTask | None:
        wanted = name.casefold()
        return next(
            (t for t in self.project_tasks(project) if t.name.casefold() == wanted and t.id != other_than),
            None,
        )

    # -- the account's tasks ------------------------------------------------------------------

    def sync_task(self, state: AccountState, task: ClockifyTask) -> Task:
        code, title = code_and_title(task.name, f"(task {task.id})")
        project = self.projects.get(task.project)
        active = task.status == "ACTIVE" and project is not None and not project.archived
        assignees = [u for u in task.assignees if u in state.employees]
        planned = task.estimate / 60 if task.estimate > 0 else None
        mirror = state.tasks.get(task.id)
        if mirror is None:
            mirror = Task(task.id, code, title, active, assignees, None, planned)
            state.add_task(mirror)
            return mirror
        state.recode_task(mirror, code)
        mirror.title, mirror.active, mirror.employee_ids, mirror.planned_minutes = (
            title,
            active,
            assignees,
            planned,
        )
        return mirror
