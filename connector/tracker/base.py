"""What the connector needs from any time tracker, as plain data and one protocol.

The sync engines speak only these types, so a company's choice of tracker stays an adapter
detail. Capabilities are declared by each adapter, never guessed from failures: Bitcop's API
is read-only, so it reports ``publish_tasks=False`` and tasks reach it through our task feed.

Identifiers are strings whatever the tracker uses (Bitcop's are integers): the store keys on
them and never does arithmetic. Days are the tracker's local days (its account time zone).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Protocol, runtime_checkable


@dataclass(frozen=True)
class Capabilities:
    """What an adapter can do; engines consult this instead of catching ``NotSupported``."""

    publish_tasks: bool
    time_per_day: bool
    evidence: bool
    push_time: bool


@dataclass(frozen=True)
class TrackerEmployee:
    id: str
    email: str | None
    name: str
    active: bool


@dataclass(frozen=True)
class TrackerTask:
    """A task as the tracker knows it; ``code`` is our stable code recovered from its name."""

    id: str
    name: str
    code: str | None
    active: bool
    employee_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class DayTime:
    """Seconds one employee spent on one tracker task during one local day (a per-day total)."""

    employee_id: str
    task_id: str
    task_code: str | None
    day: date
    seconds: int


@dataclass(frozen=True)
class Evidence:
    """Screenshot links for one employee, task and local day (``task_id`` None: no task)."""

    employee_id: str
    task_id: str | None
    task_code: str | None
    day: date
    urls: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class TaskPublication:
    """A task to create, update or close in a tracker whose API accepts it."""

    code: str
    title: str
    description: str = ""
    assignee_emails: tuple[str, ...] = ()
    open: bool = True


@runtime_checkable
class Tracker(Protocol):
    """The connector's view of a time tracker.

    ``time_per_day`` and ``evidence`` take a half-open period ``[begin, end)`` of local days and
    stream their results (bounded memory); ``employee_ids=None`` means every employee.
    """

    @property
    def capabilities(self) -> Capabilities: ...

    def employees(self) -> list[TrackerEmployee]: ...

    def tasks(self) -> list[TrackerTask]: ...

    def time_per_day(
        self, begin: date, end: date, employee_ids: Sequence[str] | None = None
    ) -> Iterator[DayTime]: ...

    def evidence(
        self, begin: date, end: date, employee_ids: Sequence[str] | None = None
    ) -> Iterator[Evidence]: ...

    def publish_tasks(self, specs: Sequence[TaskPublication]) -> None:
        """Create/update/close tasks; raises ``NotSupported`` unless ``capabilities.publish_tasks``."""
        ...


_CODE_IN_NAME = re.compile(r"^\s*\[\s*([A-Za-zА-Яа-яЁё0-9_.\-]+)\s*\]")


def task_code_from_name(name: str | None) -> str | None:
    """The code a task name starts with: ``"[CRM-000512] Внедрение склада"`` → ``"CRM-000512"``.

    Only a leading bracketed code counts (whitespace around it tolerated), so a title that
    merely mentions ``[x]`` later is not mistaken for one of our tasks. Anything else → None.
    """
    if not name:
        return None
    match = _CODE_IN_NAME.match(name)
    return match.group(1) if match else None
