"""``GET /api/reports/{plan-fact|timesheet|output|sales}``: JSON, or CSV with ``?format=csv``.

Dates are local work dates (``from``/``to`` inclusive, ``YYYY-MM-DD``); ``from`` after ``to`` is
a 422 with a message. Admin token required: reports name people and hours.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response

from connector.api.deps import AdminAuth, RuntimeDep, SessionDep
from connector.api.errors import ApiError
from connector.reports import REPORTS, HourlyRates, ReportError, build_report, to_csv

router = APIRouter(tags=["reports"])


@router.get("/api/reports/{name}", response_model=None)
def report(
    name: str,
    _: AdminAuth,
    runtime: RuntimeDep,
    session: SessionDep,
    first: date | None = Query(None, alias="from", description="first local work date, YYYY-MM-DD"),
    last: date | None = Query(None, alias="to", description="last local work date (inclusive)"),
    period: Literal["day", "week", "month"] = Query("day", description="timesheet grouping"),
    format: Literal["json", "csv"] = Query("json"),
) -> dict[str, Any] | Response:
    """One report over the rounded labour aggregates (what 1C holds)."""
    if name not in REPORTS:
        raise ApiError(404, f"unknown report {name!r}; available: {', '.join(REPORTS)}")
    try:
        rates = HourlyRates.from_settings(runtime.settings)
        rows = build_report(name, session, runtime.mappings, first, last, period, rates=rates)
    except ReportError as exc:
        raise ApiError(422, str(exc)) from exc
    if format == "csv":
        return Response(
            to_csv(rows),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
        )
    return {
        "report": name,
        "from": first.isoformat() if first else None,
        "to": last.isoformat() if last else None,
        "items": rows,
    }
