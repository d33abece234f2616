"""The mapping file schema: one file describes one mapping from 1C objects to tracker tasks.

Unknown keys are errors (``extra="forbid"``): a misspelt key silently ignored is how a mapping
ends up doing nothing. ``mapping_json_schema()`` is what ``onec-bridge validate --schema`` prints.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

GUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
ASSIGNEE_RE = re.compile(r"^[^\W\d]\w*(\[\]\.[^\W\d]\w*)?$")
_DURATION_RE = re.compile(r"^(\d+)\s*(s|m|h|d)?$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, None: 1}


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def parse_duration(value: str | int) -> int:
    """``30s``, ``10m``, ``1h``, ``1d`` or a number of seconds → seconds (> 0)."""
    match = _DURATION_RE.match(str(value).strip())
    if not match or int(match.group(1)) <= 0:
        raise ValueError(f"{value!r} is not a positive duration; write e.g. 30s, 10m, 1h or 1d")
    return int(match.group(1)) * _UNIT_SECONDS[match.group(2)]


class ChangeDetection(Strict):
    """One way to notice changed objects; several may be combined (cheapest first)."""

    kind: Literal["exchange_plan", "webhook", "scan", "date_cursor"]
    interval: str | int | None = Field(default=None, description="e.g. 30s, 10m, 1h")
    cron: str | None = Field(default=None, description="crontab line, e.g. '*/15 8-20 * * 1-5'")
    field: str | None = Field(default=None, description="date_cursor: the datetime field, e.g. Date")
    overlap: str | int = Field(default="5m", description="date_cursor: re-read window before the cursor")

    @field_validator("interval", "overlap")
    @classmethod
    def _duration(cls, value: str | int | None) -> str | int | None:
        if value is not None:
            parse_duration(value)
        return value

    @field_validator("cron")
    @classmethod
    def _cron(cls, value: str | None) -> str | None:
        if value is not None:
            from apscheduler.triggers.cron import CronTrigger

            try:
                CronTrigger.from_crontab(value)
            except ValueError as exc:
                raise ValueError(
                    f"{value!r} is not a crontab line (minute hour day month weekday): {exc}"
                ) from None
        return value

    @model_validator(mode="after")
    def _schedule(self) -> ChangeDetection:
        if self.kind == "webhook":
            if self.interval is not None or self.cron is not None:
                raise ValueError("webhook detection is event-driven: remove interval/cron")
        elif self.interval is None and self.cron is None:
            raise ValueError(f"{self.kind} detection needs an interval (e.g. 5m) or a cron line")
        if self.kind == "date_cursor" and not self.field:
            raise ValueError("date_cursor detection needs `field`, the datetime field to follow (e.g. Date)")
        return self

    @property
    def interval_seconds(self) -> int | None:
        return None if self.interval is None else parse_duration(self.interval)


class Source(Strict):
    """Where the objects come from in 1C's OData interface."""

    entity_set: str = Field(description="OData entity set, e.g. Document_CRM_Интерес")
    filter: str | None = Field(default=None, description="OData $filter, e.g. ВидИнтереса eq 'Сервис'")
    select: list[str] = Field(default_factory=list, description="$select; empty = all fields")
    expand: list[str] = Field(default_factory=list, description="$expand navigation properties")
    change_detection: list[ChangeDetection] = Field(min_length=1)


class PlannedMinutes(Strict):
    """Planned time: a numeric field (with its unit) or a Jinja expression yielding minutes."""

    field: str | None = None
    unit: Literal["hours", "minutes"] = "hours"
    expression: str | None = Field(default=None, description="Jinja expression in minutes")

    @model_validator(mode="after")
    def _one(self) -> PlannedMinutes:
        if (self.field is None) == (self.expression is None):
            raise ValueError("give exactly one of `field` or `expression`")
        return self


class Parent(Strict):
    """The object's parent in 1C (e.g. the project of a stage: ``Owner_Key`` → Catalog_Проекты)."""

    field: str
    entity_set: str


class Progress(Strict):
    """Where 1C keeps an object's progress: a completion percentage, else its planned dates (the
    elapsed share of them is the progress). Feeds the early warning; never part of the task."""

    percent_field: str | None = Field(default=None, description="e.g. ПроцентВыполнения (0–100)")
    start_field: str | None = Field(default=None, description="planned start, e.g. ПлановаяДатаНачала")
    finish_field: str | None = Field(default=None, description="planned finish, e.g. ДатаОкончания")

    @model_validator(mode="after")
    def _signal(self) -> Progress:
        if self.percent_field is None and (self.start_field is None or self.finish_field is None):
            raise ValueError("give percent_field, or both start_field and finish_field")
        return self

    def fields(self) -> list[str]:
        return [f for f in (self.percent_field, self.start_field, self.finish_field) if f]


class TaskTemplate(Strict):
    """How an object becomes a task. Templates are Jinja2 (sandboxed, strict undefined)."""

    code: str = Field(description="unique task code template, e.g. SRV-{{ Number }}")
    title: str
    description: str = ""
    assignees: list[str] = Field(
        min_length=1,
        description="ref fields or tabular paths: Ответственный_Key, Соисполнители[].Пользователь_Key",
    )
    planned_minutes: PlannedMinutes | None = None
    open_when: str | None = Field(default=None, description="Jinja expression; false → not a task (yet)")
    closed_when: str | None = Field(default=None, description="Jinja expression; true → the task is closed")
    parent: Parent | None = None
    progress: Progress | None = None

    @field_validator("assignees")
    @classmethod
    def _paths(cls, value: list[str]) -> list[str]:
        for path in value:
            if not ASSIGNEE_RE.match(path):
                raise ValueError(f"{path!r} is not an assignee path; write Field_Key or Table[].Field_Key")
        return value


class RefByGuidOrName(Strict):
    """A 1C catalog item named by GUID (``ref``) or by its Description (``description``)."""

    ref: str | None = None
    description: str | None = None

    @field_validator("ref")
    @classmethod
    def _guid(cls, value: str | None) -> str | None:
        if value is not None and not GUID_RE.match(value):
            raise ValueError(f"{value!r} is not a GUID (8-4-4-4-12 hex digits)")
        return value

    @model_validator(mode="after")
    def _one(self) -> RefByGuidOrName:
        if (self.ref is None) == (self.description is None):
            raise ValueError("give exactly one of `ref` (GUID) or `description`")
        return self


class WorkType(RefByGuidOrName):
    """Work type of labour rows: a Catalog_Номенклатура item, or a field of the object holding it."""

    field: str | None = None

    @model_validator(mode="after")
    def _one(self) -> WorkType:
        if sum(x is not None for x in (self.ref, self.description, self.field)) != 1:
            raise ValueError("give exactly one of `ref` (GUID), `description` or `field`")
        return self


class StaticTask(Strict):
    """A task that exists without a 1C object (sales categories), assigned to a whole department."""

    code: str
    title: str
    work_type: RefByGuidOrName
    department: RefByGuidOrName


class Rounding(Strict):
    """Rounding of each employee-object-day aggregate (never of single entries)."""

    unit_minutes: int = Field(gt=0, le=1440, description="e.g. 15; must be > 0")
    mode: Literal["up", "nearest", "down"] = "up"


class Thresholds(Strict):
    """Plan-fact ratios: ``warn`` and ``alert`` (e.g. 0.8 and 1.0 of the planned time)."""

    warn: float = Field(default=0.8, gt=0)
    alert: float = Field(default=1.0, gt=0)

    @model_validator(mode="after")
    def _order(self) -> Thresholds:
        if self.warn > self.alert:
            raise ValueError(f"warn ({self.warn}) must not exceed alert ({self.alert})")
        return self


class Risk(Strict):
    """Early warning of overruns: at risk when burn (fact ÷ plan) runs ahead of progress by
    ``points`` or the projected fact exceeds the plan by more than ``tolerance``; the verdict and
    the projection are written to 1C where the fields are named."""

    points: float = Field(default=25.0, gt=0, le=100, description="burn − progress, in points")
    tolerance: float = Field(default=0.10, ge=0, description="projected over plan, 0.10 = 10 %")
    flag_field: str | None = Field(default=None, description="e.g. ТТ_ПодУгрозой (bool)")
    forecast_field: str | None = Field(default=None, description="e.g. ТТ_ПрогнозТрудозатрат (hours)")


class Labour(Strict):
    """How tracked time is written back to 1C for objects of this mapping."""

    channel: Literal["odata_timesheet", "soap"] = "odata_timesheet"
    work_type: WorkType | None = None
    customer_field: str | None = Field(
        default=None,
        description="the customer reference: a field (Партнер_Key) or a field of an expanded "
        "reference (Owner/Контрагент_Key)",
    )
    rounding: Rounding = Rounding(unit_minutes=1)
    billable: bool = True
    totals_field: str | None = Field(default=None, description="e.g. ТТ_ФактическиеТрудозатраты (hours)")
    overrun_field: str | None = Field(default=None, description="e.g. ТТ_ПревышениеПлана (bool)")
    thresholds: Thresholds = Thresholds()
    risk: Risk = Risk()


MatchRule = Literal["email", "manual", "name"]


def _default_match() -> list[MatchRule]:
    return ["email", "manual"]


class Employees(Strict):
    """How 1C users are matched to tracker employees, in the order given by ``match``."""

    match: list[MatchRule] = Field(
        default_factory=_default_match, description="name = normalised full name, last resort"
    )
    email_fields: list[str] = Field(
        default_factory=lambda: ["CRM_ЕмейлДляСинхронизации", "КонтактнаяИнформация"],
        description="where a user's e-mail is looked up, in order (compared case-insensitively)",
    )
    manual: dict[str, str] = Field(default_factory=dict, description="e-mail → 1C user GUID")

    @field_validator("manual")
    @classmethod
    def _guids(cls, value: dict[str, str]) -> dict[str, str]:
        for email, ref in value.items():
            if "@" not in email:
                raise ValueError(f"{email!r} is not an e-mail address")
            if not GUID_RE.match(ref):
                raise ValueError(f"{ref!r} (for {email}) is not a 1C user GUID")
        return {email.strip().lower(): ref for email, ref in value.items()}


class Mapping(Strict):
    """One mapping file."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_-]*$", description="unique id, lower-case, e.g. service")
    category: Literal["service", "project", "sales"]
    source: Source | None = None
    task: TaskTemplate | None = None
    static_tasks: list[StaticTask] = Field(default_factory=list)
    labour: Labour | None = None
    employees: Employees = Employees()

    @model_validator(mode="after")
    def _shape(self) -> Mapping:
        if (self.source is None) != (self.task is None):
            raise ValueError("`source` and `task` go together: give both or neither")
        if self.source is None and not self.static_tasks:
            raise ValueError("a mapping needs `source` + `task`, or `static_tasks`")
        if self.labour and self.task and self.labour.work_type is None:
            raise ValueError("labour needs `work_type` for tasks from 1C objects")
        return self


def mapping_json_schema() -> dict[str, Any]:
    """JSON Schema of a mapping file (for editors' autocompletion and review)."""
    schema = Mapping.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "onec-bridge mapping file"
    return schema
