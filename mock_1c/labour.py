"""Business rules of ``Document_УчетВремени`` that a real base enforces, and its posting.

The InfoBase calls these inside its write lock, so the checks see a consistent base. Every
failure is 1C's exception: code -1, HTTP 500, a Russian message naming the offending value.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from mock_1c.errors import OneCError
from mock_1c.schema import DAY_FIELDS, EMPTY_REF, TIMESHEET

MAX_HOURS_PER_DAY = 24.0
_CUSTOMER_TYPE = "StandardODATA.Catalog_Контрагенты"


@dataclass(frozen=True)
class WriteMode:
    """How one write runs.

    ``load``: 1C's data-exchange load mode (``ОбменДанными.Загрузка = Истина``, asked for with the
    ``1C_OData-DataLoadMode: true`` header): object event handlers do not run, so the rules that are
    handlers (24 h per employee-day) are skipped; structural checks (Monday…Sunday week, row
    numbers, value types) still apply. ``closing_date``: whether the closing date is enforced —
    always for ordinary writes; for loads it depends on the base's settings (a switch).
    """

    load: bool = False
    closing_date: bool = True


NORMAL_WRITE = WriteMode()


def parse_day(value: object) -> date:
    """The calendar day of a 1C datetime string (``YYYY-MM-DDTHH:MM:SS``)."""
    try:
        return datetime.strptime(str(value), "%Y-%m-%dT%H:%M:%S").date()
    except ValueError as exc:
        raise OneCError("4", f"Неверное значение даты: {value}") from exc


def ru(d: date) -> str:
    return d.strftime("%d.%m.%Y")


def check_closing_date(doc: Mapping[str, Any], closing: str, action: str) -> None:
    """Refuse a labour document dated (or whose week starts) on or before the closing date."""
    if not closing or closing.startswith("0001-01-01"):
        return
    limit = parse_day(closing)
    for name in ("Date", "ДатаС"):
        value = doc.get(name)
        if value and not str(value).startswith("0001-01-01") and parse_day(value) <= limit:
            raise OneCError(
                "-1",
                f"Нельзя {action} документ «Учет времени» {doc.get('Number') or ''} с датой "
                f"{ru(parse_day(value))}: дата запрета изменения данных {ru(limit)}.",
            )


def check_timesheet(
    doc: Mapping[str, Any],
    others: Iterable[Mapping[str, Any]],
    closing: str,
    mode: WriteMode = NORMAL_WRITE,
) -> None:
    """All write-time rules that ``mode`` leaves on; ``others`` are the employee's other labour documents."""
    start, end = parse_day(doc["ДатаС"]), parse_day(doc["ДатаПо"])
    if start.weekday() != 0:
        raise OneCError("-1", f"Дата начала периода ({ru(start)}) должна быть понедельником.")
    if end != start + timedelta(days=6):
        raise OneCError(
            "-1", f"Дата окончания периода ({ru(end)}) должна быть воскресеньем той же недели ({ru(start)})."
        )
    if mode.closing_date:
        check_closing_date(doc, closing, "записать")
    if mode.load:
        return
    totals = day_hours(doc)
    for other in others:
        for day, hours in day_hours(other).items():
            totals[day] = totals.get(day, 0.0) + hours
    for day in sorted(totals):
        if totals[day] > MAX_HOURS_PER_DAY + 1e-9:
            raise OneCError(
                "-1",
                f"Сотрудник {doc.get('Сотрудник_Key')}: за {ru(day)} указано {totals[day]:g} ч, "
                f"а в сутках не больше {MAX_HOURS_PER_DAY:g} ч.",
            )


def day_hours(doc: Mapping[str, Any]) -> dict[date, float]:
    """Hours per calendar day over all rows of one document."""
    start = parse_day(doc["ДатаС"])
    out: dict[date, float] = {}
    for row in doc.get("Операции") or []:
        for i, d in enumerate(DAY_FIELDS):
            hours = float(row.get(d + "Длительность") or 0)
            if hours:
                day = start + timedelta(days=i)
                out[day] = out.get(day, 0.0) + hours
    return out


def movements(doc: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Register records of a posted document: one per row per day with hours."""
    start = parse_day(doc["ДатаС"])
    out: list[dict[str, Any]] = []
    for row in doc.get("Операции") or []:
        customer = row.get("Заказчик") if row.get("Заказчик_Type") == _CUSTOMER_TYPE else EMPTY_REF
        for i, d in enumerate(DAY_FIELDS):
            hours = float(row.get(d + "Длительность") or 0)
            if not hours:
                continue
            out.append(
                {
                    "Recorder": doc["Ref_Key"],
                    "Recorder_Type": f"StandardODATA.{TIMESHEET}",
                    "Period": (start + timedelta(days=i)).strftime("%Y-%m-%dT00:00:00"),
                    "LineNumber": str(len(out) + 1),
                    "Active": True,
                    "Сотрудник_Key": doc["Сотрудник_Key"],
                    "ВидРабот_Key": row.get("ВидРабот_Key") or EMPTY_REF,
                    "Контрагент_Key": customer or EMPTY_REF,
                    "ЗагрузкаФакт": hours,
                }
            )
    return out
