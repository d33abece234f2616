"""Domain types of the sync engines: plain frozen dataclasses passed in and out of the pure core.

Nothing here performs I/O. The orchestration builds these from 1C objects, tracker time and the
store, hands them to the pure functions (transform, diff, aggregate, rounding, plan-fact) and
applies what comes back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal, NamedTuple

Category = Literal["service", "project", "sales"]
TaskStatus = Literal["open", "closed"]
TaskActionKind = Literal["create", "update", "close", "reopen", "unchanged"]
RoundingMode = Literal["up", "nearest", "down"]
Channel = Literal["odata_timesheet", "soap"]
ClosedPeriodPolicy = Literal["park", "adjust"]
IntentKind = Literal["upsert", "remove"]
OverrunState = Literal["none", "warn", "alert"]

EmployeeRef = str
"""The GUID of a 1C employee (``Catalog_Сотрудники``): labour is recorded per employee."""


class Assignee(NamedTuple):
    """A person a task is assigned to: the 1C user, the e-mail the tracker knows, a display name."""

    user_ref: str
    email: str
    name: str


# --------------------------------------------------------------------------- inbound (tasks)


@dataclass(frozen=True)
class TaskSpec:
    """What an assignable task should look like, derived from a 1C object (or a static category).

    ``code`` is stable for the life of the object (e.g. ``CRM-000512``) and is what the tracker's
    time is matched back by. ``onec_type``/``onec_ref``/``onec_url`` are ``None`` for static
    category tasks that no 1C object stands behind.
    """

    mapping: str
    code: str
    title: str
    description: str = ""
    category: Category = "service"
    customer: str | None = None
    project: str | None = None
    assignees: tuple[Assignee, ...] = ()
    planned_minutes: int | None = None
    status: TaskStatus = "open"
    onec_type: str | None = None
    onec_ref: str | None = None
    onec_url: str | None = None
    parent_code: str | None = None
    # The early warning's progress signal (percent_done, planned_start/finish) as 1C has it now.
    # Stored with the link, never sent to the tracker: not part of the content hash.
    progress: tuple[tuple[str, Any], ...] = ()


@dataclass(frozen=True)
class LinkState:
    """What the store remembers about a task it has published."""

    code: str
    content_hash: str
    data_version: str | None = None
    status: TaskStatus = "open"


@dataclass(frozen=True)
class TaskAction:
    """The decision for one task: what to do, on which spec (``None`` when the object is gone), why."""

    kind: TaskActionKind
    code: str
    spec: TaskSpec | None
    reason: str


@dataclass(frozen=True)
class StaticCategory:
    """A category task that exists without a 1C object (sales: commercial work, break...)."""

    code: str
    title: str
    description: str = ""


# --------------------------------------------------------------------------- outbound (labour)


@dataclass(frozen=True)
class TimeSlice:
    """A piece of tracked time as the tracker reports it.

    Either an interval (``start``/``end``, timezone-aware) or a per-day total (``day`` +
    ``seconds``, the day being already local to the tracker, as Bitcop's per-day totals are).
    ``billable`` overrides the target's default when the tracker knows better.
    """

    employee_key: str
    task_code: str
    start: datetime | None = None
    end: datetime | None = None
    day: date | None = None
    seconds: int | None = None
    evidence_url: str | None = None
    source_entry_id: str | None = None
    billable: bool | None = None

    def __post_init__(self) -> None:
        interval = self.start is not None or self.end is not None
        total = self.day is not None or self.seconds is not None
        if interval == total:
            raise ValueError(
                f"time slice {self.source_entry_id or self.task_code!r}: give either start and end, "
                "or day and seconds"
            )
        if interval:
            if self.start is None or self.end is None:
                raise ValueError(f"time slice {self.source_entry_id!r}: start and end are both required")
            for name, value in (("start", self.start), ("end", self.end)):
                if value.tzinfo is None or value.utcoffset() is None:
                    raise ValueError(
                        f"time slice {self.source_entry_id!r}: {name} {value.isoformat()} has no time zone"
                    )
        elif self.day is None or self.seconds is None:
            raise ValueError(f"time slice {self.source_entry_id!r}: day and seconds are both required")


@dataclass(frozen=True)
class Target:
    """Where time on one tracker task goes in 1C: the object, the work type, customer, billability.

    ``object_type``/``object_ref`` are ``None`` for static category tasks; such time is recorded
    by work type alone (sales categories), and needs a work type.
    """

    object_type: str | None
    object_ref: str | None
    work_type_ref: str | None
    customer_ref: str | None = None
    billable: bool = True
    mapping: str = ""


@dataclass(frozen=True)
class LabourKey:
    """The grain of actual labour in 1C: employee, object, local work date, work type."""

    employee_ref: EmployeeRef
    object_type: str | None
    object_ref: str | None
    work_date: date
    work_type_ref: str

    def sort_key(self) -> tuple[str, str, str, date, str]:
        """A total order (``None`` objects first) for deterministic output."""
        return (
            self.employee_ref,
            self.object_type or "",
            self.object_ref or "",
            self.work_date,
            self.work_type_ref,
        )


@dataclass(frozen=True)
class LabourAggregate:
    """The summed time of one :class:`LabourKey`, rounded once (never per entry)."""

    key: LabourKey
    seconds_raw: int
    minutes: int
    billable: bool
    evidence_url: str | None = None
    customer_ref: str | None = None


@dataclass(frozen=True)
class RoundingRule:
    """The company's rounding of an aggregate: to ``unit_minutes``, ``up``/``nearest``/``down``."""

    unit_minutes: int = 1
    mode: RoundingMode = "nearest"

    def __post_init__(self) -> None:
        if not isinstance(self.unit_minutes, int) or self.unit_minutes < 1:
            raise ValueError(
                f"rounding unit must be a whole number of minutes >= 1, got {self.unit_minutes!r}"
            )
        if self.mode not in ("up", "nearest", "down"):
            raise ValueError(f"rounding mode must be up, nearest or down, got {self.mode!r}")


@dataclass(frozen=True)
class WrittenLabour:
    """One day of labour as written (or to be written) to 1C, and the delivery target it belongs to.

    ``target`` is the key one writer works on: the employee-week for the OData channel, the row
    key for SOAP. ``adjusts`` is set on adjustment rows: the closed-period date they correct.
    """

    key: LabourKey
    minutes: int
    target: str
    row_key: str = ""
    billable: bool = True
    customer_ref: str | None = None
    evidence_url: str | None = None
    adjusts: date | None = None
    comment: str | None = None

    def compared(self) -> tuple[object, ...]:
        """The part of a row whose change requires a write (evidence and comments ride along)."""
        return (self.key, self.adjusts, self.minutes, self.billable, self.customer_ref)


@dataclass(frozen=True)
class WeekRow:
    """One row of a weekly ``Document_УчетВремени``: per-day minutes Monday..Sunday."""

    row_key: str
    object_type: str | None
    object_ref: str | None
    work_type_ref: str
    customer_ref: str | None
    billable: bool
    day_minutes: tuple[int, int, int, int, int, int, int]
    evidence_url: str | None = None
    comment: str | None = None

    @property
    def total_minutes(self) -> int:
        return sum(self.day_minutes)


@dataclass(frozen=True)
class LabourIntent:
    """A delivery intent for one target: write ``entries`` in place of ``previous``.

    ``upsert`` carries the full desired state of the target (for OData: the whole week, also as
    ``week_rows``); ``remove`` means the target must end up empty (the week unposted and emptied,
    the SOAP row sent with 0 minutes).
    """

    target_key: str
    channel: Channel
    kind: IntentKind
    employee_ref: EmployeeRef
    entries: tuple[WrittenLabour, ...]
    previous: tuple[WrittenLabour, ...] = ()
    week_start: date | None = None
    week_rows: tuple[WeekRow, ...] = ()


@dataclass(frozen=True)
class ClosedPeriodChange:
    """A difference that falls on or before 1C's closing date and is therefore never forced.

    ``policy`` says what happened: ``park`` (reported, nothing written) or ``adjust`` (the delta
    written on ``adjusted_on`` in the first open week, with a comment naming ``key.work_date``).
    """

    key: LabourKey
    written_minutes: int
    desired_minutes: int
    policy: ClosedPeriodPolicy
    closing_date: date
    adjusted_on: date | None = None
    # Why an ``adjust`` could not be written (the change is then parked like under ``park``).
    not_adjustable: str | None = None
    # The day lies in a period billed to its customer (``closing_date`` is then the billed-through
    # date): the invoice already sent stands, the change goes to the first open day as an adjustment.
    billed: bool = False

    @property
    def delta_minutes(self) -> int:
        return self.desired_minutes - self.written_minutes

    @property
    def reason(self) -> str:
        day, limit = self.key.work_date.isoformat(), self.closing_date.isoformat()
        closed = (
            f"billed_period: {day} was billed to the customer through {limit}"
            if self.billed
            else f"closed_period: {day} is on or before {limit}"
        )
        return f"{closed}; {self.not_adjustable}" if self.not_adjustable else closed


@dataclass(frozen=True)
class Thresholds:
    """Plan-fact ratios: ``warn`` and ``alert`` as actual/planned; what an absent plan means."""

    warn: float = 0.8
    alert: float = 1.0
    no_plan: Literal["none", "alert"] = "none"

    def __post_init__(self) -> None:
        if not (0 < self.warn <= self.alert):
            raise ValueError(f"thresholds need 0 < warn <= alert, got warn={self.warn}, alert={self.alert}")


@dataclass(frozen=True)
class Plan:
    """Planned minutes of one 1C object, and per participant (employee) for project tasks."""

    object_type: str
    object_ref: str
    planned_minutes: int | None
    participants: tuple[tuple[EmployeeRef, int | None], ...] = ()


@dataclass(frozen=True)
class PlanFact:
    """Plan vs actual for one object (``employee_ref`` ``None``) or one participant of it."""

    object_type: str
    object_ref: str
    employee_ref: EmployeeRef | None
    planned_minutes: int | None
    actual_minutes: int
    percent: float | None
    state: OverrunState
