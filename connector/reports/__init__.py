"""The reports department heads ask for, built from the store with the sync core's pure helpers.

All four read the rounded labour aggregates (the minutes written to 1C), so a report agrees with
1C to the minute: plan-fact per project/task/participant, timesheet per employee and project by
day/week/month, per-employee output per customer and date, and the sales time structure per
manager and month by category. Each report returns plain rows (dicts) that the API serves as
JSON or CSV and the CLI prints as a table.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from collections.abc import Mapping as Mapping_
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from connector.mapping.rates import work_type_refs
from connector.mapping.schema import Mapping
from connector.store.billing import billed_through
from connector.store.models import Employee, Labour, Link
from connector.sync.core.billing import bill
from connector.sync.core.early_warning import Assessment, RiskRule, assess, ranked, watched_link
from connector.sync.core.estimates import Finished, estimate, template_of
from connector.sync.core.model import LabourAggregate, LabourKey, Plan, Thresholds
from connector.sync.core.planfact import plan_fact as plan_fact_core
from connector.sync.core.timesheet import Period, employee_output, sales_structure, timesheet
from connector.sync.labour.planfact import participant_plans
from connector.sync.labour.state import ADJ
from connector.tables import without_code

ReportName = Literal["plan-fact", "timesheet", "output", "sales"]
REPORTS: tuple[str, ...] = (
    "plan-fact",
    "timesheet",
    "output",
    "sales",
    "early-warning",
    "estimates",
    "billing",
)


class ReportError(ValueError):
    """Bad report parameters (the message says which and how to fix them)."""


@dataclass(frozen=True)
class Window:
    """An inclusive range of local work dates; ``None`` ends are open."""

    first: date | None
    last: date | None

    @classmethod
    def of(cls, first: date | None, last: date | None) -> Window:
        if first is not None and last is not None and first > last:
            raise ReportError(f"`from` ({first.isoformat()}) is after `to` ({last.isoformat()}): swap them")
        return cls(first, last)

    @classmethod
    def month_to_date(cls, today: date) -> Window:
        return cls(today.replace(day=1), today)


def _hours(minutes: int | None) -> float | None:
    return None if minutes is None else round(minutes / 60, 2)


@dataclass
class Directory:
    """Names for the refs in the labour table: employees and 1C objects (through the links)."""

    employees: dict[str, Employee]
    links: dict[str, Link]

    @classmethod
    def load(cls, session: Session, refs: Iterable[str | None] | None = None) -> Directory:
        """Every employee, and the links of ``refs`` (all links when None)."""
        emps = {
            e.onec_employee_ref: e for e in session.execute(select(Employee)).scalars() if e.onec_employee_ref
        }
        if refs is None:
            links = {link.onec_ref: link for link in session.execute(select(Link)).scalars()}
        else:
            links = {
                row.Link.onec_ref: row.Link for row in for_refs(session, select(Link), Link.onec_ref, refs)
            }
        return cls(emps, links)

    def employee(self, ref: str) -> dict[str, Any]:
        e = self.employees.get(ref)
        return {"employee_ref": ref, "employee": e.name if e else ref, "email": e.email if e else None}

    def payload(self, object_ref: str | None) -> dict[str, Any]:
        link = self.links.get(object_ref or "")
        return dict(link.payload or {}) if link else {}


@dataclass(frozen=True)
class HourlyRates:
    """Rates for the output report's money: per 1C work type ref, else ``default``.

    Money is billable hours x rate, summed exactly and rounded to kopecks per line. With no
    rate configured at all the ``money`` column is empty (``None``), not zero.
    """

    default: float | None = None
    by_work_type: dict[str, float] = field(default_factory=dict)

    @classmethod
    def from_settings(cls, settings: Any) -> HourlyRates:
        """``ONEC_BRIDGE_DEFAULT_HOURLY_RATE`` and ``ONEC_BRIDGE_HOURLY_RATES``."""
        return cls(settings.default_hourly_rate, dict(settings.hourly_rates))

    @property
    def configured(self) -> bool:
        return self.default is not None or bool(self.by_work_type)

    def of(self, aggregate: LabourAggregate) -> Decimal:
        rate = self.by_work_type.get(aggregate.key.work_type_ref or "", self.default)
        return Decimal(str(rate or 0))


def for_refs(session: Session, query: Any, column: Any, refs: Iterable[str | None]) -> Iterator[Any]:
    """The rows of ``query`` whose ``column`` is one of ``refs`` (empty refs skipped), asked for
    500 refs at a time so no statement outgrows the database's parameter limit."""
    wanted = sorted({r for r in refs if r})
    for i in range(0, len(wanted), 500):
        yield from session.execute(query.where(column.in_(wanted[i : i + 500])))


def load_labour(session: Session, window: Window, refs: Sequence[str] | None = None) -> list[LabourAggregate]:
    """The current rounded aggregates of the window (customer from the object's link).

    Plain column rows, not ORM objects (a quarter of a large base is tens of thousands of rows),
    and only the links the labour names are read for their customer."""
    query = select(
        Labour.employee_ref,
        Labour.object_type,
        Labour.object_ref,
        Labour.work_date,
        Labour.work_type_ref,
        Labour.minutes,
        Labour.billable,
    ).order_by(Labour.work_date, Labour.key)
    if window.first is not None:
        query = query.where(Labour.work_date >= window.first)
    if window.last is not None:
        query = query.where(Labour.work_date <= window.last)
    if refs is None:
        rows = [r for r in session.execute(query) if r.minutes > 0]
    else:  # only these objects' labour (a page of a report)
        rows = [r for r in for_refs(session, query, Labour.object_ref, refs) if r.minutes > 0]
    customer = Link.payload["customer"].as_string()  # read by the database, not json.loads here
    found = for_refs(session, select(Link.onec_ref, customer), Link.onec_ref, (r.object_ref for r in rows))
    customers: dict[str, Any] = {ref: name for ref, name in found}
    return [
        LabourAggregate(
            LabourKey(
                r.employee_ref, r.object_type or None, r.object_ref or None, r.work_date, r.work_type_ref
            ),
            r.minutes * 60,
            r.minutes,
            r.billable,
            None,
            customers.get(r.object_ref),
        )
        for r in rows
    ]


def plan_fact_report(
    session: Session, mappings: Sequence[Mapping], window: Window, refs: Sequence[str] | None = None
) -> list[dict[str, Any]]:
    """Per task (then per participant) planned vs actual hours, percent and overrun state.

    A participant's plan is their share of a project task (``labour_planfact.participant_plans``);
    assignees without a share are listed with no plan.

    Fact is the labour of ``window`` (all recorded labour when open); the plan is the task's.
    A ``project`` line sums its tasks. ``refs`` limits the report to those objects (a page of it);
    its project lines then sum only them.
    """
    directory = Directory.load(session, refs)
    thresholds = {m.name: m.labour.thresholds for m in mappings if m.labour is not None}
    by_object: dict[str | None, list[LabourAggregate]] = {}
    for a in load_labour(session, window, refs):
        by_object.setdefault(a.key.object_ref, []).append(a)
    shares = participant_plans(session)
    user_to_emp = {
        e.onec_user_ref: e.onec_employee_ref for e in directory.employees.values() if e.onec_user_ref
    }
    rows: list[dict[str, Any]] = []
    projects: dict[str, list[int]] = {}
    links = sorted(
        (lk for lk in directory.links.values() if lk.onec_type and lk.category in ("service", "project")),
        key=lambda lk: (lk.mapping, lk.task_code),
    )
    for link in links:
        payload = dict(link.payload or {})
        share = shares.get(link.onec_ref, {})
        assigned = [
            emp
            for a in payload.get("assignees") or []
            if (emp := user_to_emp.get(a.get("user_ref"))) is not None
        ]
        participants = tuple(sorted(share.items())) + tuple(
            (emp, None) for emp in dict.fromkeys(assigned) if emp not in share
        )
        plan = Plan(link.onec_type, link.onec_ref, link.planned_minutes, participants)
        t = thresholds.get(link.mapping)
        core = Thresholds(t.warn, t.alert) if t else Thresholds()
        mine = by_object.get(link.onec_ref, [])
        for line in plan_fact_core([plan], mine, core):
            if line.employee_ref is not None and not participants:
                continue
            person = directory.employee(line.employee_ref) if line.employee_ref else {"employee": None}
            rows.append(
                {
                    "level": "participant" if line.employee_ref else "task",
                    "mapping": link.mapping,
                    "project": payload.get("project"),
                    "task_code": link.task_code,
                    "title": link.title,
                    "employee": person["employee"],
                    "planned_hours": _hours(line.planned_minutes),
                    "actual_hours": _hours(line.actual_minutes),
                    "planned_minutes": line.planned_minutes,
                    "actual_minutes": line.actual_minutes,
                    "percent": line.percent,
                    "overrun": line.state,
                }
            )
            if line.employee_ref is None and payload.get("project"):
                acc = projects.setdefault(str(payload["project"]), [0, 0])
                acc[0] += line.planned_minutes or 0
                acc[1] += line.actual_minutes
    for name, (planned, actual) in sorted(projects.items()):
        rows.append(
            {
                "level": "project",
                "mapping": None,
                "project": name,
                "task_code": None,
                "title": name,
                "employee": None,
                "planned_hours": _hours(planned),
                "actual_hours": _hours(actual),
                "planned_minutes": planned,
                "actual_minutes": actual,
                "percent": round(100 * actual / planned, 1) if planned else None,
                "overrun": None,
            }
        )
    return rows


def timesheet_report(session: Session, window: Window, period: Period = "day") -> list[dict[str, Any]]:
    """Minutes per employee, project (the task code for objects outside projects) and period."""
    labour = load_labour(session, window)
    directory = Directory.load(session, ())
    project = Link.payload["project"].as_string()
    rows = for_refs(
        session,
        select(Link.onec_ref, Link.task_code, project),
        Link.onec_ref,
        (a.key.object_ref for a in labour),
    )
    projects: dict[str, str | None] = {ref: name or code for ref, code, name in rows}

    def project_of(a: LabourAggregate) -> str | None:
        return projects.get(a.key.object_ref or "")

    return [
        {
            **directory.employee(line.employee_ref),
            "project": line.project,
            "period": period,
            "period_start": line.period_start.isoformat(),
            "minutes": line.minutes,
            "hours": _hours(line.minutes),
            "billable_minutes": line.billable_minutes,
        }
        for line in timesheet(labour, period, project_of)
    ]


def timesheet_grid(session: Session, window: Window) -> dict[str, dict[date, int]]:
    """Minutes per employee (name) and day, summed by the database (the console's grid)."""
    names = {
        e.onec_employee_ref: e.name
        for e in session.execute(select(Employee)).scalars()
        if e.onec_employee_ref
    }
    query = (
        select(Labour.employee_ref, Labour.work_date, func.sum(Labour.minutes))
        .where(Labour.minutes > 0)
        .group_by(Labour.employee_ref, Labour.work_date)
    )
    if window.first is not None:
        query = query.where(Labour.work_date >= window.first)
    if window.last is not None:
        query = query.where(Labour.work_date <= window.last)
    grid: dict[str, dict[date, int]] = {}
    for ref, day, minutes in session.execute(query):
        row = grid.setdefault(names.get(ref) or ref, {})
        row[day] = row.get(day, 0) + int(minutes or 0)
    return grid


def output_totals(
    session: Session, window: Window, rates: HourlyRates | None = None
) -> dict[tuple[str, str], tuple[int, int, Decimal | None]]:
    """(employee name, customer) → minutes, billable minutes and amount, as ``output_report``
    gives them summed over days (amounts rounded per employee, customer and day, as there), with
    the rows grouped by the database instead of read one by one (the console's output page)."""
    rates = rates or HourlyRates()
    names = {
        e.onec_employee_ref: e.name
        for e in session.execute(select(Employee)).scalars()
        if e.onec_employee_ref
    }
    customer_of = (
        select(Link.onec_ref.label("ref"), func.max(Link.payload["customer"].as_string()).label("customer"))
        .group_by(Link.onec_ref)
        .subquery()
    )
    query = (
        select(
            Labour.employee_ref,
            customer_of.c.customer,
            Labour.work_date,
            Labour.work_type_ref,
            Labour.billable,
            func.sum(Labour.minutes),
        )
        .join(customer_of, customer_of.c.ref == Labour.object_ref, isouter=True)
        .where(Labour.minutes > 0)
        .group_by(
            Labour.employee_ref,
            customer_of.c.customer,
            Labour.work_date,
            Labour.work_type_ref,
            Labour.billable,
        )
    )
    if window.first is not None:
        query = query.where(Labour.work_date >= window.first)
    if window.last is not None:
        query = query.where(Labour.work_date <= window.last)
    lines: dict[tuple[str, str | None, date], list[Decimal]] = {}
    for emp, customer, day, work_type, billable, minutes in session.execute(query):
        line = lines.setdefault((emp, customer, day), [Decimal(0), Decimal(0), Decimal(0)])
        line[0] += minutes
        if billable:
            line[1] += minutes
            if rates.configured:  # no rate at all: no money to count (the column stays empty)
                rate = rates.by_work_type.get(work_type or "", rates.default)
                line[2] += Decimal(minutes) * Decimal(str(rate or 0)) / 60
    out: dict[tuple[str, str], list[Any]] = {}
    for (emp, customer, _), (minutes, billable_minutes, amount) in lines.items():
        total = out.setdefault((names.get(emp) or emp, customer or "—"), [0, 0, Decimal(0)])
        total[0] += int(minutes)
        total[1] += int(billable_minutes)
        total[2] += amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return {k: (m, b, a if rates.configured else None) for k, (m, b, a) in out.items()}


def output_report(session: Session, window: Window, rates: HourlyRates | None = None) -> list[dict[str, Any]]:
    """Per-employee output ("выработка"): hours, billable hours and money per customer and date."""
    directory = Directory.load(session, ())
    rates = rates or HourlyRates()
    pricing = rates.of if rates.configured else None
    return [
        {
            **directory.employee(line.employee_ref),
            "customer": line.customer_ref,
            "date": line.work_date.isoformat(),
            "minutes": line.minutes,
            "hours": _hours(line.minutes),
            "billable_minutes": line.billable_minutes,
            "billable_hours": _hours(line.billable_minutes),
            "money": float(line.amount) if pricing is not None else None,
        }
        for line in employee_output(load_labour(session, window), pricing)
    ]


def sales_report(session: Session, mappings: Sequence[Mapping], window: Window) -> list[dict[str, Any]]:
    """A manager's month by category (the sales mappings' static tasks, by work type)."""
    categories = {
        t.work_type.ref: t.title
        for m in mappings
        if m.category == "sales"
        for t in m.static_tasks
        if t.work_type.ref is not None
    }
    directory = Directory.load(session, ())
    lines = sales_structure(load_labour(session, window), lambda a: categories.get(a.key.work_type_ref))
    return [
        {
            **directory.employee(line.employee_ref),
            "month": line.month.strftime("%Y-%m"),
            "category": line.category,
            "minutes": line.minutes,
            "hours": _hours(line.minutes),
            "share_percent": round(line.share * 100, 1),
        }
        for line in lines
    ]


def build_report(
    name: str,
    session: Session,
    mappings: Sequence[Mapping],
    first: date | None = None,
    last: date | None = None,
    period: str = "day",
    today: date | None = None,
    rates: HourlyRates | None = None,
    work_type: str | None = None,
    stage: str | None = None,
    min_samples: int = 5,
    billing_rates: Mapping_[tuple[str, str | None], Decimal] | None = None,
    customer: str | None = None,
) -> list[dict[str, Any]]:
    """Dispatch by report name; open windows default to the current month (plan-fact: all time;
    early warning: today; estimates: all finished work, narrowed by ``work_type``/``stage``)."""
    if name not in REPORTS:
        raise ReportError(f"unknown report {name!r}; choose one of: {', '.join(REPORTS)}")
    if period not in ("day", "week", "month"):
        raise ReportError(f"period must be day, week or month, got {period!r}")
    window = Window.of(first, last)
    if name == "plan-fact":
        return plan_fact_report(session, mappings, window)
    if name == "early-warning":
        return early_warning_report(session, today or date.today(), mappings=mappings)
    if name == "estimates":
        return estimates_report(session, mappings, work_type, stage, min_samples)
    if first is None and last is None:
        window = Window.month_to_date(today or date.today())
    elif first is None and last is not None:
        window = Window(last.replace(day=1), last)
    elif last is None and first is not None:
        window = Window(first, max(first, today or date.today()))
    if name == "timesheet":
        return timesheet_report(session, window, period)  # type: ignore[arg-type]
    if name == "billing":
        return billing_report(session, mappings, window, billing_rates or {}, customer)
    if name == "output":
        return output_report(session, window, rates)
    return sales_report(session, mappings, window)


def to_csv(rows: Iterable[dict[str, Any]]) -> str:
    """Rows as CSV with a header (columns of the first row; empty text for no rows)."""
    rows = list(rows)
    if not rows:
        return ""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(rows[0]), extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: "" if v is None else v for k, v in row.items()})
    return buf.getvalue()


def _early_warning_ranked(
    session: Session, today: date, rule: RiskRule | None, mappings: Sequence[Mapping]
) -> tuple[list[Assessment], dict[str, float | None]]:
    """Every open object assessed by its mapping's rule, ranked; and each code's plan."""
    rules = {m.name: RiskRule(m.labour.risk.points, m.labour.risk.tolerance) for m in mappings if m.labour}
    progress = [Link.payload[k] for k in ("percent_done", "planned_start", "planned_finish")]
    links = session.execute(
        select(
            Link.mapping,
            Link.onec_ref,
            Link.task_code,
            Link.title,
            Link.planned_minutes,
            Link.actual_minutes,
            progress[0].as_float(),
            progress[1].as_string(),
            progress[2].as_string(),
        ).where(Link.status == "open", Link.onec_type != "static")
    )
    fallback = rule or RiskRule()
    planned: dict[str, float | None] = {}
    assessed = []
    for mapping, ref, code, title, plan, fact, percent, start, finish in links:
        payload = {"percent_done": percent, "planned_start": start, "planned_finish": finish}
        planned[code] = plan
        assessed.append(
            assess(watched_link(ref, code, title, plan, fact, payload), today, rules.get(mapping, fallback))
        )
    return ranked(assessed), planned


def _early_warning_row(a: Assessment, planned: dict[str, float | None]) -> dict[str, Any]:
    return {
        "task_code": a.code,
        "title": a.title,
        "verdict": a.verdict,
        "planned_hours": _hours_f(planned.get(a.code)),
        "burn_percent": None if a.burn is None else round(a.burn * 100, 1),
        "progress_percent": None if a.progress is None else round(a.progress * 100, 1),
        "progress_source": a.source,
        "projected_hours": _hours_f(a.projected_minutes),
        "reason": a.reason,
        "onec_ref": a.ref,
    }


def early_warning_report(
    session: Session, today: date, rule: RiskRule | None = None, mappings: Sequence[Mapping] = ()
) -> list[dict[str, Any]]:
    """Open objects with their burn, progress and projection; at risk first. Progress comes from
    the link's payload (``percent_done``, or ``planned_start``/``planned_finish``) where the
    mapping carries it; without it the object is listed as having no progress signal. Each
    object is judged by its mapping's thresholds (``labour.risk``), else by ``rule``."""
    assessed, planned = _early_warning_ranked(session, today, rule, mappings)
    return [_early_warning_row(a, planned) for a in assessed]


def early_warning_page(
    session: Session, today: date, mappings: Sequence[Mapping], offset: int, limit: int
) -> tuple[list[dict[str, Any]], int]:
    """Rows ``offset … offset + limit`` of ``early_warning_report`` and how many it has in all
    (only the page's rows are turned into dicts)."""
    assessed, planned = _early_warning_ranked(session, today, None, mappings)
    return [_early_warning_row(a, planned) for a in assessed[offset : offset + limit]], len(assessed)


def estimates_report(
    session: Session,
    mappings: Sequence[Mapping],
    work_type: str | None = None,
    stage: str | None = None,
    min_samples: int = 5,
) -> list[dict[str, Any]]:
    """Suggested hours from finished (closed) objects: one row for the asked stage template, or
    one per template when none is asked. ``work_type`` is the work type of the object's mapping
    (its GUID or description as the mapping gives it)."""
    kinds = {m.name: _work_type_name(m) for m in mappings}
    closed = session.execute(
        select(Link).where(Link.status == "closed", Link.onec_type != "static")
    ).scalars()
    history = [
        Finished(
            without_code(link.title, link.task_code),
            kinds.get(link.mapping),
            link.planned_minutes,
            float(link.actual_minutes or 0),
        )
        for link in closed
        if link.actual_minutes
    ]
    templates = [stage] if stage else sorted({template_of(h) for h in history if template_of(h)})
    rows: list[dict[str, Any]] = []
    for template in templates:
        e = estimate(history, work_type, template, min_samples)
        rows.append(
            {
                "stage": e.template,
                "work_type": work_type,
                "samples": e.samples,
                "suggested_hours": _hours_f(e.suggestion_minutes),
                "median_hours": _hours_f(e.median_minutes),
                "p80_hours": _hours_f(e.p80_minutes),
                "low_hours": _hours_f(e.low_minutes),
                "high_hours": _hours_f(e.high_minutes),
                "overrun_ratio": None if e.overrun_ratio is None else round(e.overrun_ratio, 2),
                "note": e.note,
            }
        )
    rows.sort(key=lambda r: (-int(r["samples"]), str(r["stage"] or "")))
    return rows


def _hours_f(minutes: float | None) -> float | None:
    return None if minutes is None else round(minutes / 60, 2)


def _work_type_name(mapping: Mapping) -> str | None:
    wt = mapping.labour.work_type if mapping.labour else None
    if wt is None:
        return None
    return wt.description or wt.ref or wt.field


def billing_report(
    session: Session,
    mappings: Sequence[Mapping],
    window: Window,
    rates: Mapping_[tuple[str, str | None], Decimal],
    customer: str | None = None,
) -> list[dict[str, Any]]:
    """Billable labour by customer → object → work type → employee → day with rate and amount
    (``level: line``), then one ``level: total`` row per customer (its unpriced hours too)."""
    labour = load_labour(session, window)
    directory = Directory.load(session, ())
    tasks = _task_names(session, (a.key.object_ref for a in labour))
    names = _work_type_names(mappings)
    after = after_billing(session)
    lines, totals = bill(
        labour,
        rates,
        aliases=lambda ref: names.get(ref, ()),
        customer=customer,
    )
    out: list[dict[str, Any]] = []
    for line in lines:
        code, title = tasks.get(line.object_ref or "", (None, None))
        out.append(
            {
                "level": "line",
                "customer": line.customer,
                "task_code": code,
                "title": title,
                "work_type": (names.get(line.work_type) or (line.work_type,))[0],
                **directory.employee(line.employee_ref),
                "date": line.day.isoformat(),
                "minutes": line.minutes,
                "hours": _hours(line.minutes),
                "rate": None if line.rate is None else float(line.rate),
                "amount": None if line.amount is None else float(line.amount),
                "evidence_url": line.evidence_url,
                # a correction of a day already billed: it belongs to this invoice, marked
                "after_billing": after.get((line.employee_ref, line.object_ref, line.day, line.work_type)),
            }
        )
    for total in totals:
        out.append(
            {
                "level": "total",
                "customer": total.customer,
                "minutes": total.minutes,
                "hours": _hours(total.minutes),
                "amount": float(total.amount),
                "unpriced_hours": _hours(total.unpriced_minutes),
            }
        )
    return out


def _task_names(session: Session, refs: Iterable[str | None]) -> dict[str, tuple[str, str]]:
    """1C object ref → (task code, title), for ``refs`` only (plain columns)."""
    rows = for_refs(session, select(Link.onec_ref, Link.task_code, Link.title), Link.onec_ref, refs)
    return {ref: (code, title) for ref, code, title in rows}


def after_billing(session: Session) -> dict[tuple[str, str | None, date, str], str]:
    """Adjustment rows that correct a day already billed to their customer: (employee, object,
    day written, work type) → the corrected day (ISO)."""
    billed = billed_through(session)
    out: dict[tuple[str, str | None, date, str], str] = {}
    rows = session.execute(select(Labour).where(Labour.key.contains(ADJ), Labour.minutes != 0)).scalars()
    for row in rows:
        original = date.fromisoformat(row.key.rsplit(ADJ, 1)[1])
        until = billed.get(row.customer_ref or "")
        if until is not None and original <= until:
            out[(row.employee_ref, row.object_ref or None, row.work_date, row.work_type_ref)] = (
                original.isoformat()
            )
    return out


def _work_type_names(mappings: Sequence[Mapping]) -> dict[str, tuple[str, ...]]:
    """Work type GUID → the names the mappings give it (description first where known)."""
    out: dict[str, tuple[str, ...]] = {}
    for ref in work_type_refs(mappings):
        guid = getattr(ref, "ref", None)
        if guid:
            described = getattr(ref, "description", None)
            out[guid] = (described, guid) if described else (guid,)
    return out
