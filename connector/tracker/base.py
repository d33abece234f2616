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
from typing import Literal, Protocol, runtime_checkable


@dataclass(frozen=True)
class Capabilities:
    """What an adapter can do; engines consult this instead of catching ``NotSupported``.

    Three roles: a **task sink** (``publish_tasks``: create, update, close and reopen tasks with
    assignees and planned time), a **time source** (``time_per_day``, with ``evidence`` where the
    tracker keeps screenshots) and a **directory** (``directory``: users and their e-mails).
    Bitcop is time source + directory; Kimai and Clockify are all three.
    """

    publish_tasks: bool
    time_per_day: bool
    evidence: bool
    push_time: bool
    directory: bool = True

    @property
    def roles(self) -> tuple[str, ...]:
        """The roles this tracker plays, as named in logs and ``doctor``."""
        named = (
            ("task sink", self.publish_tasks),
            ("time source", self.time_per_day),
            ("directory", self.directory),
        )
        return tuple(name for name, has in named if has)


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
    """A task to create, update, close or reopen in a tracker whose API accepts it.

    ``code`` is the stable key: the adapter keeps it in the tracker's names (``[CODE] title``,
    shortened to the tracker's limit with the code kept) and finds an existing object by it
    before creating one. ``parent_code``/``parent_title`` name the 1C object the task hangs
    under (a project for a project stage), ``customer`` the 1C customer's name. ``known_id`` is
    the tracker id stored on the link by an earlier push (``None`` the first time).
    """

    code: str
    title: str
    description: str = ""
    assignee_emails: tuple[str, ...] = ()
    open: bool = True
    customer: str | None = None
    parent_code: str | None = None
    parent_title: str | None = None
    planned_minutes: int | None = None
    known_id: str | None = None


PublishAction = Literal["created", "updated", "unchanged", "failed"]


@dataclass(frozen=True)
class PublishOutcome:
    """What a push did with one ``TaskPublication``.

    ``task_id`` is the tracker's id of the object time is booked on (a Kimai activity, a
    Clockify task); ``None`` only when ``action == "failed"``, with ``error`` saying why.
    ``unmatched_emails`` are assignees the tracker has no user for: the task is created
    without them and they are reported, never dropped silently.
    """

    code: str
    action: PublishAction
    task_id: str | None = None
    unmatched_emails: tuple[str, ...] = ()
    error: str | None = None


class Directory(Protocol):
    """The tracker's users, matched to 1C users by e-mail."""

    def employees(self) -> list[TrackerEmployee]: ...


class TimeSource(Protocol):
    """Tracked time as per-day totals per employee and task, plus evidence links.

    ``time_per_day`` and ``evidence`` take a half-open period ``[begin, end)`` of local days and
    stream their results (bounded memory); ``employee_ids=None`` means every employee. A running
    timer (an entry without an end) is not counted until it stops.
    """

    def tasks(self) -> list[TrackerTask]: ...

    def time_per_day(
        self, begin: date, end: date, employee_ids: Sequence[str] | None = None
    ) -> Iterator[DayTime]: ...

    def evidence(
        self, begin: date, end: date, employee_ids: Sequence[str] | None = None
    ) -> Iterator[Evidence]: ...


class TaskSink(Protocol):
    """Creates, updates, closes and reopens tasks; idempotent by ``TaskPublication.code``.

    A push finds each object by its code before creating it, and after a timeout on a create it
    reads back before retrying, so no object is ever created twice. One outcome per spec, in
    order; a failure of one spec is its outcome's ``error``, not an exception, unless the
    tracker as a whole is unreachable or refuses the credentials.
    """

    def publish_tasks(self, specs: Sequence[TaskPublication]) -> list[PublishOutcome]: ...


@runtime_checkable
class Tracker(Directory, TimeSource, TaskSink, Protocol):
    """The connector's view of a time tracker: directory + time source (+ task sink).

    ``capabilities`` says which roles the adapter plays; engines use a role only when it is
    there (``publish_tasks`` raises ``NotSupported`` on a tracker that is no task sink).
    """

    @property
    def capabilities(self) -> Capabilities: ...


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
