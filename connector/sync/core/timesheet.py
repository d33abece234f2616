"""Report helpers over labour aggregates: timesheets, per-employee output, sales time structure.

Pure grouping of the same rounded minutes that are written to 1C, so a report and 1C agree.
The caller supplies the lookups that need reference data (project of an object, hourly rate,
category of a work type) as plain functions.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

from connector.sync.core.model import EmployeeRef, LabourAggregate
from connector.sync.core.timeutil import week_of

Period = Literal["day", "week", "month"]


def period_start(d: date, period: Period) -> date:
    """The first day of the day/ISO week/month holding ``d``."""
    if period == "day":
        return d
    if period == "week":
        return week_of(d)[0]
    if period == "month":
        return d.replace(day=1)
    raise ValueError(f"period must be day, week or month, got {period!r}")


@dataclass(frozen=True)
class TimesheetLine:
    employee_ref: EmployeeRef
    project: str | None
    period_start: date
    minutes: int
    billable_minutes: int


def timesheet(
    labour: Iterable[LabourAggregate],
    period: Period,
    project_of: Callable[[LabourAggregate], str | None] | None = None,
) -> list[TimesheetLine]:
    """Minutes per employee, project and period; ``project_of`` defaults to the 1C object ref."""
    project = project_of or (lambda a: a.key.object_ref)
    sums: dict[tuple[str, str | None, date], list[int]] = defaultdict(lambda: [0, 0])
    for a in labour:
        s = sums[(a.key.employee_ref, project(a), period_start(a.key.work_date, period))]
        s[0] += a.minutes
        s[1] += a.minutes if a.billable else 0
    return [
        TimesheetLine(emp, proj, start, m, b)
        for (emp, proj, start), (m, b) in sorted(
            sums.items(), key=lambda kv: (kv[0][0], kv[0][2], kv[0][1] or "")
        )
    ]


@dataclass(frozen=True)
class OutputLine:
    """Per-employee output ("выработка"): hours and money per customer per day."""

    employee_ref: EmployeeRef
    customer_ref: str | None
    work_date: date
    minutes: int
    billable_minutes: int
    amount: Decimal


def employee_output(
    labour: Iterable[LabourAggregate], hourly_rate: Callable[[LabourAggregate], Decimal] | None = None
) -> list[OutputLine]:
    """Minutes and billed amount per employee, customer and date; only billable time earns money.

    ``hourly_rate`` gives the rate of an aggregate (by employee, work type...); without it the
    amount is 0. Amounts are summed exactly and rounded to kopecks once per line.
    """
    sums: dict[tuple[str, str | None, date], list[Decimal]] = defaultdict(lambda: [Decimal(0)] * 3)
    for a in labour:
        s = sums[(a.key.employee_ref, a.customer_ref, a.key.work_date)]
        s[0] += a.minutes
        if a.billable:
            s[1] += a.minutes
            if hourly_rate is not None:
                s[2] += Decimal(a.minutes) * hourly_rate(a) / 60
    return [
        OutputLine(emp, cust, day, int(m), int(b), amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))
        for (emp, cust, day), (m, b, amount) in sorted(
            sums.items(), key=lambda kv: (kv[0][0], kv[0][2], kv[0][1] or "")
        )
    ]


@dataclass(frozen=True)
class StructureLine:
    """A manager's month by category: minutes and the share of that month's categorised time."""

    employee_ref: EmployeeRef
    month: date
    category: str
    minutes: int
    share: float


def sales_structure(
    labour: Iterable[LabourAggregate], category_of: Callable[[LabourAggregate], str | None]
) -> list[StructureLine]:
    """Time structure per employee per month by category (commercial, administration, ...).

    ``category_of`` names an aggregate's category (typically by work type); ``None`` leaves it out
    (time that is not sales-category time). Shares are of the categorised total, 3 decimals.
    """
    sums: dict[tuple[str, date], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for a in labour:
        category = category_of(a)
        if category is not None:
            sums[(a.key.employee_ref, a.key.work_date.replace(day=1))][category] += a.minutes
    lines = []
    for (emp, month), by_cat in sorted(sums.items()):
        total = sum(by_cat.values())
        for category in sorted(by_cat):
            minutes = by_cat[category]
            lines.append(
                StructureLine(emp, month, category, minutes, round(minutes / total, 3) if total else 0.0)
            )
    return lines
