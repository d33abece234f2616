"""Clockify's time: a user's time entries (``/api/v1``) and the detailed report (``/reports/v1``).

- ``GET …/user/{userId}/time-entries?start=…Z&end=…Z``: the user's entries that **started** in
  [start, end] (both inclusive), newest first, ``page``/``page-size`` (≤ 5000); instants in UTC
  (``2026-03-02T06:00:00Z``), ``duration`` an ISO 8601 string; a running entry has
  ``end: null`` and ``duration: null``.
- ``POST /reports/v1/workspaces/{ws}/reports/detailed``: everyone's entries that started in
  [dateRangeStart, dateRangeEnd], ``detailedFilter.page``/``pageSize`` (default 50, ≤ 1000),
  newest first unless ``sortOrder: ASCENDING``; answers ``{"totals": [...], "timeentries": [...]}``
  with ``timeInterval.duration`` in **seconds** (an integer). ``totals`` is ``[null]`` when
  nothing matched.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request

from mock_tracker.clockify_http import (
    MAX_REPORT_PAGE_SIZE,
    ClockifyContext,
    bad,
    body_of,
    display_name,
    page_of,
    paging,
)
from mock_tracker.clockify_store import CLIENT, ENTRY, PROJECT, TASK, USER, iso_duration, oid, parse_oid
from mock_tracker.timeline import Work

MAX_REPORT_DAYS = 366


def instant(text: Any, name: str) -> datetime:
    """``yyyy-MM-ddTHH:mm:ss[.SSS]Z`` (an explicit offset is accepted too)."""
    if not isinstance(text, str) or not text:
        raise bad(f"{name} is required (yyyy-MM-ddThh:mm:ssZ)")
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise bad(f"{name} must be in yyyy-MM-ddThh:mm:ssZ format") from None
    if parsed.tzinfo is None:
        raise bad(f"{name} must be in yyyy-MM-ddThh:mm:ssZ format")
    return parsed.astimezone(UTC)


def utc_text(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def add_time_routes(router: APIRouter, ctx: ClockifyContext) -> None:
    account, store, config = ctx.account, ctx.store, ctx.config

    def project_id_of(work: Work) -> str | None:
        task = store.tasks.get(work.task_id)
        return oid(PROJECT, task.project) if task else None

    def entry(work: Work) -> dict[str, Any]:
        task = store.tasks.get(work.task_id)
        return {
            "id": oid(ENTRY, work.id),
            "description": "",
            "tagIds": [],
            "userId": oid(USER, work.employee_id),
            "billable": task.billable if task else True,
            "taskId": oid(TASK, work.task_id),
            "projectId": project_id_of(work),
            "workspaceId": ctx.workspace,
            "timeInterval": {
                "start": utc_text(work.start),
                "end": utc_text(work.end) if work.end is not None else None,
                "duration": iso_duration(work.seconds) if work.end is not None else None,
            },
            "customFieldValues": [],
            "type": "REGULAR",
            "kioskId": None,
            "hourlyRate": None,
            "costRate": None,
            "isLocked": False,
        }

    def hydrated(work: Work) -> dict[str, Any]:
        task = store.tasks.get(work.task_id)
        project = store.projects.get(task.project) if task else None
        return {
            **entry(work),
            "project": ctx.project(project) if project else None,
            "task": ctx.task(task) if task else None,
            "tags": [],
        }

    @router.get("/api/v1/workspaces/{workspace}/user/{user_id}/time-entries")
    def time_entries(request: Request, workspace: str, user_id: str) -> list[dict[str, Any]]:
        ctx.authenticate(request, workspace)
        q = ctx.query(request)
        page, size = q.page()
        start = instant(q.text("start"), "start") if q.text("start") else None
        end = instant(q.text("end"), "end") if q.text("end") else None
        in_progress, with_objects = q.flag("in-progress"), q.flag("hydrated")
        employee = parse_oid(user_id, USER)
        with account.reading() as state:
            if employee is None or employee not in state.employees:
                raise bad("User doesn't belong to Workspace")
            rows = account.timeline().window(start, end, employee)
            if in_progress is not None:
                rows = [w for w in rows if (w.end is None) == in_progress]
            newest_first = rows[::-1]
            render = hydrated if with_objects else entry
            return [render(w) for w in page_of(newest_first, page, size)]

    @router.get("/api/v1/workspaces/{workspace}/time-entries/status/in-progress")
    def in_progress(request: Request, workspace: str) -> list[dict[str, Any]]:
        ctx.authenticate(request, workspace)
        with account.reading() as state:
            running = sorted(state.timers.values(), key=lambda t: (t.start, t.id), reverse=True)
            return [entry(Work(t.start, t.id, t.employee_id, t.task_id, None, t.modified)) for t in running]

    def report_instant(moment: datetime) -> str:
        if config.clockify_report_times == "utc":
            return utc_text(moment)
        return moment.astimezone(config.tz).isoformat(timespec="seconds")

    @router.post("/reports/v1/workspaces/{workspace}/reports/detailed")
    async def detailed(request: Request, workspace: str) -> dict[str, Any]:
        ctx.authenticate(request, workspace)
        body = await body_of(request)
        low = instant(body.get("dateRangeStart"), "dateRangeStart")
        high = instant(body.get("dateRangeEnd"), "dateRangeEnd")
        if high < low:
            raise bad("dateRangeEnd must not be before dateRangeStart")
        if high - low > timedelta(days=MAX_REPORT_DAYS):
            raise bad(f"The date range must not exceed {MAX_REPORT_DAYS} days")
        detailed_filter = body.get("detailedFilter")
        if not isinstance(detailed_filter, dict):
            raise bad("detailedFilter is required")
        page, size = paging(
            detailed_filter.get("page", 1),
            detailed_filter.get("pageSize", 50),
            MAX_REPORT_PAGE_SIZE,
            config.clockify_oversize_page,
        )
        if body.get("exportType", "JSON") not in ("JSON", "JSON_V1"):
            raise bad("the mock serves exportType JSON only")
        descending = body.get("sortOrder", "DESCENDING") != "ASCENDING"
        users = _ids(body.get("users"), USER)
        projects = _ids(body.get("projects"), PROJECT)
        tasks = _ids(body.get("tasks"), TASK)
        with account.reading() as state:
            rows = account.timeline().window(low, high)
            if config.clockify_report_running == "exclude" or users or projects or tasks:
                rows = [
                    w
                    for w in rows
                    if (w.end is not None or config.clockify_report_running == "include")
                    and (not users or w.employee_id in users)
                    and (not tasks or w.task_id in tasks)
                    and (
                        not projects
                        or (w.task_id in store.tasks and store.tasks[w.task_id].project in projects)
                    )
                ]
            ordered = rows[::-1] if descending else rows
            finished = [w for w in rows if w.end is not None]
            total = sum(w.seconds for w in finished)
            billable = sum(
                w.seconds
                for w in finished
                if store.tasks.get(w.task_id) is None or store.tasks[w.task_id].billable
            )
            totals: list[Any] = (
                [
                    {
                        "_id": "",
                        "totalTime": total,
                        "totalBillableTime": billable,
                        "entriesCount": len(rows),
                        "totalAmount": 0,
                        "amounts": [],
                    }
                ]
                if rows
                else [None]
            )
            items = []
            for w in page_of(ordered, page, size):
                task = store.tasks.get(w.task_id)
                project = store.projects.get(task.project) if task else None
                client = store.clients.get(project.client) if project and project.client is not None else None
                emp = state.employees[w.employee_id]
                items.append(
                    {
                        "_id": oid(ENTRY, w.id),
                        "description": "",
                        "userId": oid(USER, w.employee_id),
                        "userName": display_name(emp),
                        "userEmail": emp.email,
                        "billable": task.billable if task else True,
                        "projectId": oid(PROJECT, project.n) if project else None,
                        "projectName": project.name if project else None,
                        "projectColor": project.color if project else None,
                        "clientId": oid(CLIENT, client.n) if client else None,
                        "clientName": client.name if client else None,
                        "taskId": oid(TASK, w.task_id),
                        "taskName": task.name if task else None,
                        "timeInterval": {
                            "start": report_instant(w.start),
                            "end": report_instant(w.end) if w.end is not None else None,
                            "duration": w.seconds if w.end is not None else None,
                        },
                        "approvalRequestId": None,
                        "type": "REGULAR",
                        "isLocked": False,
                        "tags": [],
                        "tagIds": [],
                        "customFields": [],
                        "amount": 0,
                        "rate": 0,
                        "currency": "RUB",
                    }
                )
            return {"totals": totals, "timeentries": items}


def _ids(section: Any, kind: int) -> set[int]:
    """``{"ids": [...], "contains": "CONTAINS"}`` filter of a report (other modes: no filter)."""
    if not isinstance(section, dict) or section.get("contains", "CONTAINS") != "CONTAINS":
        return set()
    raw = section.get("ids") or []
    if not isinstance(raw, list):
        raise bad("filter ids must be a list")
    found = {parse_oid(str(i), kind) for i in raw}
    return {i for i in found if i is not None} or ({-1} if section.get("ids") else set())
