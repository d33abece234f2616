"""Kimai's ``/api/timesheets``: listing with its filters and paging headers, one record,
booking (with or without an end: no end starts a running timer), stop, delete.

Listing follows ``TimesheetController::cgetAction`` and the repository query behind it:
``begin``/``end`` are local date-times (``YYYY-MM-DDTHH:MM:SS``, the account's zone) compared
with the record's **begin** (``begin <= record.begin <= end``); the default order is begin
**descending** with the id as tie-breaker; ``size`` defaults to 50 and is capped at 500; a page
past the last answers 404. ``user`` defaults to the API user's own records; ``user=all`` lists
everyone's. Unknown ids in ``users[]``, ``projects[]``… are ignored, as Kimai's ``findByIds``
does. A running timer is listed with ``end: null`` and ``duration: 0``.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from mock_tracker import kimai_forms as forms
from mock_tracker.account import EntryError, EntryNotFound
from mock_tracker.kimai_http import KimaiContext, Params, bad_request, not_found, read_body
from mock_tracker.timeline import Work, work_of

LOCAL = r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}"
DEFAULT_SIZE = 50
MAX_SIZE = 500
TIMESHEET_FIELDS = [
    "begin", "end", "duration", "project", "activity", "description", "tags", "user", "fixedRate",
    "hourlyRate", "internalRate", "exported", "billable", "metaFields", "break",
]  # fmt: skip


def add_timesheet_routes(router: APIRouter, ctx: KimaiContext) -> None:
    account, store, render, tz = ctx.account, ctx.store, ctx.json, ctx.config.tz

    def local(text: str, zone: Any = tz) -> datetime:
        """A ``YYYY-MM-DDTHH:MM:SS`` parameter read in ``zone`` (the account's, or UTC)."""
        try:
            return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=zone).astimezone(UTC)
        except ValueError:
            raise bad_request() from None

    def one(raw_id: str) -> Work:
        with account.reading() as state:
            item = (
                state.entries.get(int(raw_id)) or state.timers.get(int(raw_id)) if raw_id.isdigit() else None
            )
            if item is None:
                raise not_found()
            return work_of(item)

    def entity(work: Work, *, full: bool = False) -> dict[str, Any]:
        with account.reading() as state:
            return {**render.timesheet(work, state, full=full), "fixedRate": None, "hourlyRate": 0.0}

    @router.get("/timesheets")
    def timesheets(request: Request) -> Response:
        ctx.authenticate(request)
        params = Params(request)
        user = params.get("user", r"\d+|all")
        user_ids = params.array("users") + ([int(user)] if user not in (None, "all") else [])
        customers = params.ids("customer")
        projects = params.ids("project")
        activities = params.ids("activity", "activities")
        page = max(1, int(params.get("page", r"\d+", "1") or 1))
        size = int(params.get("size", r"\d+", str(DEFAULT_SIZE)) or DEFAULT_SIZE)
        size = DEFAULT_SIZE if size < 1 else min(size, MAX_SIZE)
        if [v for k, v in request.query_params.multi_items() if k.startswith("tags[")]:
            raise bad_request()  # "Given tags were not found": the mock has no tags
        order_by = params.get("orderBy", "id|begin|end|rate", "begin")
        descending = params.get("order", "ASC|DESC", "DESC") == "DESC"
        begin, end = params.get("begin", LOCAL), params.get("end", LOCAL)
        low, high = (local(begin) if begin else None), (local(end) if end else None)
        exported = params.get("exported", "0|1")
        active = params.get("active", "0|1")
        billable = params.get("billable", "0|1")
        full = params.get("full", "0|1|true|false") in ("1", "true")
        term = params.get("term")
        modified = params.get("modified_after", LOCAL)
        changed_since = local(modified, UTC) if modified else None
        with account.reading() as state:
            if user == "all":
                wanted: set[int] | None = None
            else:
                wanted = {i for i in user_ids if i in state.employees} or {ctx.api_user.id}
            single = next(iter(wanted)) if wanted is not None and len(wanted) == 1 else None
            rows = account.timeline().window(low, high, single)
            by_customer = {p.id for p in store.projects.values() if p.customer in set(customers)}
            project_ids = {i for i in projects if i in store.projects}
            activity_ids = {i for i in activities if i in store.activities}
            if customers and not any(c in store.customers for c in customers):
                by_customer = set()
                customers = []

            def project_of(work: Work) -> int | None:
                activity = store.activities.get(work.task_id)
                if activity is not None and activity.project is not None:
                    return activity.project
                return store.timesheet_projects.get(work.id)

            def shown(work: Work) -> bool:
                if wanted is not None and work.employee_id not in wanted:
                    return False
                if activity_ids and work.task_id not in activity_ids:
                    return False
                if (project_ids or customers) and project_of(work) not in (project_ids or by_customer):
                    return False
                if project_ids and customers and project_of(work) not in by_customer:
                    return False
                if active is not None and (work.end is None) != (active == "1"):
                    return False
                if exported == "1":
                    return False
                if billable is not None:
                    activity = store.activities.get(work.task_id)
                    if (activity.billable if activity else True) != (billable == "1"):
                        return False
                if changed_since is not None and (work.modified is None or work.modified < changed_since):
                    return False
                return not term or term.lower() in (store.descriptions.get(work.id) or "").lower()

            chosen = [w for w in rows if shown(w)]
            if order_by == "id":
                chosen.sort(key=lambda w: w.id)
            elif order_by == "end":
                chosen.sort(key=lambda w: (w.end is not None, w.end or w.start, w.id))
            if descending:
                chosen.reverse()
            total = len(chosen)
            pages = max(1, math.ceil(total / size))
            if page > pages:
                raise not_found()
            items = [render.timesheet(w, state, full=full) for w in chosen[(page - 1) * size : page * size]]
        headers = {
            "X-Page": str(page),
            "X-Total-Count": str(total),
            "X-Total-Pages": str(pages),
            "X-Per-Page": str(size),
        }
        return JSONResponse(items, headers=headers)

    @router.get("/timesheets/{timesheet_id}")
    def timesheet(request: Request, timesheet_id: str) -> dict[str, Any]:
        ctx.authenticate(request)
        return entity(one(timesheet_id))

    @router.post("/timesheets")
    async def book(request: Request) -> dict[str, Any]:
        ctx.authenticate(request)
        form = forms.Form(await read_body(request), TIMESHEET_FIELDS)
        full = request.query_params.get("full") is not None
        with account.writing() as state:
            begin = _when(form, "begin", tz)
            end = _when(form, "end", tz)
            if begin is None and "begin" not in form.errors:
                form.fail("begin", forms.NULL)
            project_id = form.ref("project", store.projects, None)
            activity_id = form.ref("activity", store.activities, None)
            if project_id is None and "project" not in form.errors:
                form.fail("project", forms.NULL)
            if activity_id is None and "activity" not in form.errors:
                form.fail("activity", forms.NULL)
            activity = store.activities.get(activity_id) if activity_id is not None else None
            if activity is not None and activity.project not in (None, project_id):
                form.fail(
                    "activity",
                    "Project mismatch, project specific activity and timesheet project are different.",
                )
            user_id = form.ref("user", state.employees, ctx.api_user.id) or ctx.api_user.id
            description = form.text("description", None)
            if begin is not None and end is not None and end <= begin:
                form.fail("end", "End date must not be earlier then start date.")
            form.check()
            assert begin is not None and activity_id is not None and project_id is not None
            if activity_id not in state.tasks:
                store.sync_task(state, store.activities[activity_id])
            try:
                if end is None:
                    item: Any = account.start_timer_for(user_id, activity_id, begin)
                else:
                    item = account.add_entry_for(user_id, activity_id, begin, end)
            except EntryError as exc:
                raise forms.validation_failed(TIMESHEET_FIELDS, {"end": [str(exc)]}, []) from None
            if activity is not None and activity.project is None:
                store.timesheet_projects[item.id] = project_id
            if description:
                store.descriptions[item.id] = description
            ctx.created("timesheets")
            return entity(work_of(item), full=full)

    @router.patch("/timesheets/{timesheet_id}/stop")
    def stop(request: Request, timesheet_id: str) -> dict[str, Any]:
        ctx.authenticate(request)
        work = one(timesheet_id)
        if work.end is not None:
            raise bad_request()
        try:
            return entity(work_of(account.stop_timer(work.id)))
        except EntryError as exc:
            raise forms.validation_failed(TIMESHEET_FIELDS, {"end": [str(exc)]}, []) from None

    @router.delete("/timesheets/{timesheet_id}", status_code=204)
    def delete(request: Request, timesheet_id: str) -> Response:
        ctx.authenticate(request)
        work = one(timesheet_id)
        try:
            if work.end is None:
                account.delete_timer(work.id)
            else:
                account.delete_entry(work.id)
        except EntryNotFound:
            raise not_found() from None
        return Response(status_code=204)


def _when(form: forms.Form, name: str, tz: Any) -> datetime | None:
    """A local date-time field (``YYYY-MM-DDTHH:MM:SS``, the HTML5 form Kimai's API uses)."""
    if not form.has(name) or form.body[name] in (None, ""):
        return None
    try:
        naive = datetime.strptime(str(form.body[name])[:19], "%Y-%m-%dT%H:%M:%S")
    except ValueError:
        form.fail(name, forms.INVALID)
        return None
    return naive.replace(tzinfo=tz).astimezone(UTC)
