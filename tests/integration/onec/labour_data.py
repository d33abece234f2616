"""Helpers building labour documents for the mock's seeded base."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from connector.onec.client import ODataClient
from connector.onec.query import F

TIMESHEET = "Document_УчетВремени"


def employee_and_work_type(client: ODataClient, index: int = 0) -> tuple[str, str]:
    employees = client.iter_entities("Catalog_Сотрудники", select=["Ref_Key"], page_size=50)
    employee = [e["Ref_Key"] for _, e in zip(range(index + 1), employees, strict=False)][-1]
    work = client.find_by("Catalog_Номенклатура", "Description", "Разработка", select=["Ref_Key"])
    assert work is not None
    return employee, work["Ref_Key"]


def timesheet(employee: str, work_type: str, monday: date, hours: float, comment: str = "") -> dict[str, Any]:
    return {
        "Date": monday,
        "ДатаС": monday,
        "ДатаПо": monday + timedelta(days=6),
        "Сотрудник_Key": employee,
        "Комментарий": comment,
        "Операции": [{"LineNumber": 1, "ВидРабот_Key": work_type, "ПнДлительность": hours, "Всего": hours}],
    }


def find_timesheet(client: ODataClient, comment: str) -> dict[str, Any] | None:
    return client.find_by(TIMESHEET, "Комментарий", comment)


__all__ = ["F", "TIMESHEET", "employee_and_work_type", "find_timesheet", "timesheet"]
