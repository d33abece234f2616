"""``GET /api/reports/{plan-fact|timesheet|output|sales|early-warning|estimates|billing}``: JSON, or CSV
with ``?format=csv``; ``GET /api/estimates?work_type=&stage=``.

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
from connector.mapping import MappingError
from connector.mapping.rates import rates_table
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
    work_type: str | None = Query(None, description="estimates: the work type of the mapping"),
    stage: str | None = Query(None, description="estimates: a stage name; numbers and codes are ignored"),
    customer: str | None = Query(None, description="billing: only this customer"),
) -> dict[str, Any] | Response:
    """One report over the rounded labour aggregates (what 1C holds); ``early-warning`` over the
    open objects, ``estimates`` over the finished ones."""
    if name not in REPORTS:
        raise ApiError(404, f"unknown report {name!r}; available: {', '.join(REPORTS)}")
    billing_rates = None
    if name == "billing":
        try:
            billing_rates = rates_table(runtime.settings.mappings_dir, runtime.mappings)
        except MappingError as exc:
            raise ApiError(422, f"the rates file is not valid: {exc}") from exc
    try:
        rates = HourlyRates.from_settings(runtime.settings)
        rows = build_report(
            name,
            session,
            runtime.mappings,
            first,
            last,
            period,
            rates=rates,
            work_type=work_type,
            stage=stage,
            min_samples=runtime.settings.estimate_min_samples,
            billing_rates=billing_rates,
            customer=customer,
        )
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


@router.get("/api/estimates", response_model=None)
def estimates(
    _: AdminAuth,
    runtime: RuntimeDep,
    session: SessionDep,
    work_type: str | None = Query(None, description="the work type of the mapping"),
    stage: str | None = Query(None, description="a stage name; numbers and codes are ignored"),
    format: Literal["json", "csv"] = Query("json"),
) -> dict[str, Any] | Response:
    """Suggested hours for a new stage from finished ones (``/api/reports/estimates``)."""
    return report("estimates", _, runtime, session, None, None, "day", format, work_type, stage, None)
