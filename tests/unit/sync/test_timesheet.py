"""Report helpers group the same rounded minutes that are written to 1C."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from connector.sync.core.model import LabourAggregate, LabourKey
from connector.sync.core.timesheet import employee_output, period_start, sales_structure, timesheet


def labour(
    emp: str,
    obj: str | None,
    day: date,
    minutes: int,
    wt: str = "wt-dev",
    billable: bool = True,
    cust: str | None = "c1",
) -> LabourAggregate:
    return LabourAggregate(
        LabourKey(emp, "T", obj, day, wt), minutes * 60, minutes, billable, customer_ref=cust
    )


def test_period_start_for_day_week_and_month() -> None:
    d = date(2024, 3, 6)
    assert (period_start(d, "day"), period_start(d, "week"), period_start(d, "month")) == (
        d,
        date(2024, 3, 4),
        date(2024, 3, 1),
    )
    with pytest.raises(ValueError, match="day, week or month"):
        period_start(d, "year")  # type: ignore[arg-type]


def test_timesheet_groups_by_employee_project_and_period() -> None:
    rows = [
        labour("a", "o1", date(2024, 3, 4), 60),
        labour("a", "o2", date(2024, 3, 5), 30, billable=False),
        labour("a", "o1", date(2024, 3, 11), 15),
    ]
    projects = {"o1": "P1", "o2": "P1"}
    weekly = timesheet(rows, "week", project_of=lambda r: projects[r.key.object_ref or ""])
    assert [(t.period_start, t.project, t.minutes, t.billable_minutes) for t in weekly] == [
        (date(2024, 3, 4), "P1", 90, 60),
        (date(2024, 3, 11), "P1", 15, 15),
    ]
    monthly = timesheet(rows, "month")
    assert [(t.project, t.minutes) for t in monthly] == [("o1", 75), ("o2", 30)]


def test_employee_output_bills_only_billable_time_per_customer_and_day() -> None:
    rows = [
        labour("a", "o1", date(2024, 3, 4), 90),
        labour("a", "o2", date(2024, 3, 4), 20, billable=False),
        labour("a", "o3", date(2024, 3, 4), 10, cust="c2"),
    ]
    out = employee_output(rows, hourly_rate=lambda _r: Decimal("2000"))
    assert [(o.customer_ref, o.minutes, o.billable_minutes, o.amount) for o in out] == [
        ("c1", 110, 90, Decimal("3000.00")),
        ("c2", 10, 10, Decimal("333.33")),
    ]
    assert employee_output(rows)[0].amount == Decimal("0.00")


def test_sales_structure_per_manager_per_month_by_category() -> None:
    categories = {"wt-comm": "Коммерческая деятельность", "wt-admin": "Администрирование"}
    rows = [
        labour("m", None, date(2024, 3, 4), 90 * 60, wt="wt-comm"),
        labour("m", None, date(2024, 3, 20), 60 * 60, wt="wt-comm"),
        labour("m", None, date(2024, 3, 21), 15 * 60, wt="wt-admin"),
        labour("m", "o1", date(2024, 3, 21), 600, wt="wt-dev"),
        labour("m", None, date(2024, 4, 1), 60, wt="wt-admin"),
    ]
    lines = sales_structure(rows, lambda r: categories.get(r.key.work_type_ref))
    assert [(s.month, s.category, s.minutes // 60, s.share) for s in lines] == [
        (date(2024, 3, 1), "Администрирование", 15, 0.091),
        (date(2024, 3, 1), "Коммерческая деятельность", 150, 0.909),
        (date(2024, 4, 1), "Администрирование", 1, 1.0),
    ]
