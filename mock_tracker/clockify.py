"""The Clockify dialect: ``/api/v1`` (users, workspaces, clients, projects, tasks, time entries)
and the reports API under ``/reports/v1`` (the detailed report) on the same server.

Follows Clockify's published OpenAPI (docs.clockify.me) and its help pages: ``X-Api-Key``
authentication (missing or wrong → 401 ``{"message": "Full authentication is required to
access this resource", "code": 1000}``), a workspace the key has no access to → 403
``{"message": "Access Denied", "code": 501}``, bad input → 400 ``{"message": …, "code": 501}``,
1-based ``page`` with ``page-size`` (default 50, at most 5000; 1000 in reports). Names: client
≤ 100, project 2–250, task 1–1000 characters. Details and switches:
``docs/mock-tracker-dialects.md``.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from mock_tracker.account import Account
from mock_tracker.api import ApiSwitch
from mock_tracker.clockify_store import (
    CLIENT,
    PROJECT,
    TASK,
    USER,
    Client,
    ClockifyStore,
    ClockifyTask,
    Project,
    iso_duration,
    oid,
    parse_iso_duration,
    parse_oid,
)
from mock_tracker.config import MockConfig
from mock_tracker.errors import ApiError
from mock_tracker.model import Employee

API_PREFIXES = ("/api/v1/", "/reports/v1/")
MAX_PAGE_SIZE = 5000
MAX_REPORT_PAGE_SIZE = 1000
_CREATES = re.compile(r"^/api/v1/workspaces/[^/]+/(clients|projects|projects/[^/]+/tasks|time-entries)/?$")
_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
_CODES = {400: 501, 401: 1000, 403: 501, 404: 404, 405: 3000, 429: 429}


def error_body(status: int, message: str) -> JSONResponse:
    return JSONResponse({"message": message, "code": _CODES.get(status, status)}, status_code=status)


def http_error_body(status: int) -> JSONResponse:
    if status == 405:
        return error_body(405, "Request method not supported")
    return error_body(status, "No static resource found." if status == 404 else "Bad Request")


def display_name(emp: Employee) -> str:
    """The name as the admin typed it (``Фамилия Имя`` for people invited from 1C)."""
    return " ".join(part for part in (emp.last_name, emp.first_name) if part)


def credential(request: Request) -> str:
    return request.headers.get("X-Api-Key", "")


def is_create(method: str, path: str) -> bool:
    return method == "POST" and _CREATES.match(path) is not None


def bad(message: str) -> ApiError:
    return ApiError(400, message)


class Query:
    """Clockify's query parameters: booleans ``true``/``false``, 1-based paging."""

    def __init__(self, request: Request, max_size: int, oversize: str) -> None:
        self.query = request.query_params
        self.max_size = max_size
        self.oversize = oversize

    def text(self, name: str) -> str | None:
        return self.query.get(name)

    def flag(self, name: str) -> bool | None:
        value = self.query.get(name)
        if value is None or value == "":
            return None
        if value.lower() not in ("true", "false"):
            raise bad(f"Invalid value '{value}' for parameter '{name}'")
        return value.lower() == "true"

    def choice(self, name: str, options: tuple[str, ...], default: str) -> str:
        value = self.query.get(name, default)
        if value not in options:
            raise bad(f"Invalid value '{value}' for parameter '{name}'")
        return value

    def page(self) -> tuple[int, int]:
        return paging(
            self.query.get("page", "1"), self.query.get("page-size", "50"), self.max_size, self.oversize
        )


def paging(page: Any, size: Any, max_size: int, oversize: str) -> tuple[int, int]:
    """(page, size) checked: page ≥ 1, 1 ≤ size ≤ max (or clamped, per ``--clockify-oversize-page``)."""
    try:
        number, count = int(str(page)), int(str(size))
    except ValueError:
        raise bad("page and page-size must be whole numbers") from None
    if number < 1:
        raise bad("page must be greater than or equal to 1")
    if count < 1:
        raise bad("page-size must be greater than or equal to 1")
    if count > max_size:
        if oversize == "reject":
            raise bad(f"page-size must be less than or equal to {max_size}")
        count = max_size
    return number, count


def page_of(items: list[Any], page: int, size: int) -> list[Any]:
    return items[(page - 1) * size : page * size]


class ClockifyContext:
    """What every Clockify handler needs: the account, the workspace's objects, auth, rendering."""

    def __init__(self, account: Account, config: MockConfig) -> None:
        self.account = account
        self.config = config
        self.workspace = config.clockify_workspace
        self.store = ClockifyStore.from_dict(account.extend("clockify", lambda: self.store.to_dict()))
        self.owner = account.ensure_api_user(config.api_user_email, "Workspace", "Owner")

    def authenticate(self, request: Request, workspace: str | None = None) -> None:
        given = request.headers.get("X-Api-Key", "")
        if not given or not hmac.compare_digest(given.encode(), self.config.api_key.encode()):
            raise ApiError(401, "Full authentication is required to access this resource")
        if workspace is not None and workspace != self.workspace:
            raise ApiError(403, "Access Denied")

    def query(self, request: Request, max_size: int = MAX_PAGE_SIZE) -> Query:
        return Query(request, max_size, self.config.clockify_oversize_page)

    # -- rendering ----------------------------------------------------------------------------

    def user(self, emp: Employee, memberships: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": oid(USER, emp.id),
            "email": emp.email,
            "name": display_name(emp),
            "activeWorkspace": self.workspace,
            "defaultWorkspace": self.workspace,
            "profilePicture": "",
            "status": "ACTIVE",
            "customFields": [],
            "memberships": [],
            "settings": {"timeZone": self.config.tz.key, "weekStart": "MONDAY", "dateFormat": "DD/MM/YYYY"},
        }
        if memberships:
            out["memberships"] = [
                {
                    "userId": out["id"],
                    "targetId": self.workspace,
                    "membershipType": "WORKSPACE",
                    "membershipStatus": "ACTIVE" if emp.active else "INACTIVE",
                    "hourlyRate": None,
                    "costRate": None,
                }
            ]
        return out

    def client(self, c: Client) -> dict[str, Any]:
        return {
            "id": oid(CLIENT, c.n),
            "name": c.name,
            "workspaceId": self.workspace,
            "archived": c.archived,
            "address": c.address,
            "note": c.note,
            "email": c.email,
            "ccEmails": None,
            "currencyId": oid(CLIENT, 0),
            "currencyCode": "RUB",
        }

    def project(self, p: Project) -> dict[str, Any]:
        client = self.store.clients.get(p.client) if p.client is not None else None
        return {
            "id": oid(PROJECT, p.n),
            "name": p.name,
            "clientId": oid(CLIENT, client.n) if client else "",
            "clientName": client.name if client else "",
            "workspaceId": self.workspace,
            "billable": p.billable,
            "archived": p.archived,
            "public": p.public,
            "isPublic": p.public,
            "color": p.color,
            "note": p.note,
            "template": False,
            "isTemplate": False,
            "duration": "PT0S",
            "estimate": {"estimate": "PT0S", "type": "AUTO"},
            "hourlyRate": {"amount": 0, "currency": "RUB"},
            "costRate": None,
            "memberships": [],
            "budgetEstimate": None,
            "timeEstimate": None,
            "estimateReset": None,
        }

    def task(self, t: ClockifyTask) -> dict[str, Any]:
        assignees = [oid(USER, u) for u in t.assignees]
        return {
            "id": oid(TASK, t.id),
            "name": t.name,
            "projectId": oid(PROJECT, t.project),
            "assigneeIds": assignees,
            "assigneeId": assignees[0] if assignees else None,
            "userGroupIds": [],
            "estimate": iso_duration(t.estimate),
            "status": t.status,
            "billable": t.billable,
            "duration": None,
            "budgetEstimate": 0,
            "hourlyRate": None,
            "costRate": None,
        }

    # -- lookups ------------------------------------------------------------------------------

    def project_of(self, raw: str) -> Project:
        n = parse_oid(raw, PROJECT)
        if n is None or n not in self.store.projects:
            raise bad("Project doesn't belong to Workspace")
        return self.store.projects[n]

    def task_of(self, project: Project, raw: str) -> ClockifyTask:
        n = parse_oid(raw, TASK)
        task = self.store.tasks.get(n) if n is not None else None
        if task is None or task.project != project.n:
            raise bad("Task doesn't belong to Project")
        return task

    def user_ids(self, raw: Any, employees: dict[int, Employee]) -> list[int]:
        if raw is None:
            return []
        if not isinstance(raw, list) or not all(isinstance(r, str) for r in raw):
            raise bad("assigneeIds must be a list of user ids")
        ids = []
        for text in raw:
            n = parse_oid(text, USER)
            if n is None or n not in employees:
                raise bad("User doesn't belong to Workspace")
            ids.append(n)
        return list(dict.fromkeys(ids))


async def body_of(request: Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        raise bad("Malformed JSON request") from None
    if not isinstance(body, dict):
        raise bad("Malformed JSON request")
    return body


def text_field(
    body: dict[str, Any], name: str, *, low: int, high: int, label: str, required: bool
) -> str | None:
    value = body.get(name)
    if value is None:
        if required:
            raise bad(f"{label} name must not be empty")
        return None
    if not isinstance(value, str):
        raise bad(f"{name} must be a string")
    value = value.strip()
    if not low <= len(value) <= high:
        raise bad(f"{label} name length must be between {low} and {high}")
    return value


def flag_field(body: dict[str, Any], name: str, current: bool) -> bool:
    value = body.get(name)
    if value is None:
        return current
    if not isinstance(value, bool):
        raise bad(f"{name} must be true or false")
    return value


def matches_name(name: str, wanted: str | None, strict: bool | None) -> bool:
    if wanted is None:
        return True
    return name.casefold() == wanted.casefold() if strict else wanted.casefold() in name.casefold()


def build_router(account: Account, config: MockConfig, switch: ApiSwitch) -> APIRouter:
    ctx = ClockifyContext(account, config)
    store = ctx.store
    router = APIRouter()
    base = "/api/v1/workspaces/{workspace}"

    @router.get("/api/v1/user")
    def current_user(request: Request) -> dict[str, Any]:
        ctx.authenticate(request)
        with account.reading() as state:
            return ctx.user(state.employees[ctx.owner.id], memberships=True)

    @router.get("/api/v1/workspaces")
    def workspaces(request: Request) -> list[dict[str, Any]]:
        ctx.authenticate(request)
        return [{"id": ctx.workspace, "name": "Mock workspace", "memberships": [], "imageUrl": ""}]

    @router.get(base)
    def workspace(request: Request, workspace: str) -> dict[str, Any]:
        ctx.authenticate(request, workspace)
        return {"id": ctx.workspace, "name": "Mock workspace", "memberships": [], "imageUrl": ""}

    @router.get(base + "/users")
    def users(request: Request, workspace: str) -> list[dict[str, Any]]:
        ctx.authenticate(request, workspace)
        q = ctx.query(request)
        page, size = q.page()
        email, name = q.text("email"), q.text("name")
        status = q.choice("status", ("PENDING", "ACTIVE", "DECLINED", "INACTIVE", "ALL"), "ALL")
        column = q.choice(
            "sort-column",
            ("ID", "EMAIL", "NAME", "NAME_LOWERCASE", "ACCESS", "HOURLYRATE", "COSTRATE"),
            "EMAIL",
        )
        descending = q.choice("sort-order", ("ASCENDING", "DESCENDING"), "ASCENDING") == "DESCENDING"
        with_memberships = q.text("memberships") in ("ALL", "WORKSPACE")
        with account.reading() as state:
            keys: dict[str, Callable[[Employee], Any]] = {
                "ID": lambda e: e.id,
                "EMAIL": lambda e: (e.email.lower(), e.id),
            }
            key = keys.get(column, lambda e: (display_name(e).lower(), e.id))
            chosen = [
                e
                for e in state.employees.values()
                if (email is None or email.lower() in e.email.lower())
                and (name is None or name.lower() in display_name(e).lower())
                and (status == "ALL" or status == ("ACTIVE" if e.active else "INACTIVE"))
            ]
            chosen.sort(key=key, reverse=descending)
            return [ctx.user(e, with_memberships) for e in page_of(chosen, page, size)]

    # -- clients ------------------------------------------------------------------------------

    @router.get(base + "/clients")
    def clients(request: Request, workspace: str) -> list[dict[str, Any]]:
        ctx.authenticate(request, workspace)
        q = ctx.query(request)
        page, size = q.page()
        name, archived = q.text("name"), q.flag("archived")
        descending = q.choice("sort-order", ("ASCENDING", "DESCENDING"), "ASCENDING") == "DESCENDING"
        with account.reading():
            chosen = [
                c
                for c in store.sorted_view(
                    "clients", store.clients.values, lambda c: (c.name.casefold(), c.n), descending
                )
                if matches_name(c.name, name, False) and (archived is None or c.archived == archived)
            ]
            return [ctx.client(c) for c in page_of(chosen, page, size)]

    @router.post(base + "/clients", status_code=201)
    async def create_client(request: Request, workspace: str) -> dict[str, Any]:
        ctx.authenticate(request, workspace)
        body = await body_of(request)
        name = text_field(body, "name", low=1, high=100, label="Client", required=True)
        assert name is not None
        with account.writing():
            if store.client_named(name) is not None:
                raise bad(f"Client with name '{name}' already exists")
            c = Client(
                store.next_client,
                name,
                address=body.get("address"),
                note=body.get("note"),
                email=body.get("email"),
            )
            store.next_client += 1
            store.clients[c.n] = c
            store.changed()
            account.created["clients"] += 1
            return ctx.client(c)

    @router.get(base + "/clients/{client_id}")
    def client(request: Request, workspace: str, client_id: str) -> dict[str, Any]:
        ctx.authenticate(request, workspace)
        n = parse_oid(client_id, CLIENT)
        with account.reading():
            if n is None or n not in store.clients:
                raise bad("Client doesn't belong to Workspace")
            return ctx.client(store.clients[n])

    # -- projects -----------------------------------------------------------------------------

    @router.get(base + "/projects")
    def projects(request: Request, workspace: str) -> list[dict[str, Any]]:
        ctx.authenticate(request, workspace)
        q = ctx.query(request)
        page, size = q.page()
        name, strict = q.text("name"), q.flag("strict-name-search")
        archived, billable = q.flag("archived"), q.flag("billable")
        client_ids = {parse_oid(c, CLIENT) for c in request.query_params.getlist("clients")}
        column = q.choice(
            "sort-column", ("ID", "NAME", "CLIENT_NAME", "DURATION", "BUDGET", "PROGRESS"), "NAME"
        )
        descending = q.choice("sort-order", ("ASCENDING", "DESCENDING"), "ASCENDING") == "DESCENDING"
        with account.reading():
            key: Callable[[Project], Any] = (
                (lambda p: p.n) if column == "ID" else (lambda p: (p.name.casefold(), p.n))
            )
            ordered = store.sorted_view(f"projects-{column}", store.projects.values, key, descending)
            if name is None and archived is None and billable is None and not client_ids:
                chosen = page_of(ordered, page, size)
            else:
                chosen = page_of(
                    [
                        p
                        for p in ordered
                        if matches_name(p.name, name, strict)
                        and (archived is None or p.archived == archived)
                        and (billable is None or p.billable == billable)
                        and (not client_ids or p.client in client_ids)
                    ],
                    page,
                    size,
                )
            return [ctx.project(p) for p in chosen]

    def project_fields(body: dict[str, Any], p: Project, *, new: bool) -> None:
        name = text_field(body, "name", low=2, high=250, label="Project", required=new)
        if name is not None:
            p.name = name
        if "clientId" in body:
            raw = body["clientId"]
            if raw in (None, ""):
                p.client = None
            else:
                n = parse_oid(str(raw), CLIENT)
                if n is None or n not in store.clients:
                    raise bad("Client doesn't belong to Workspace")
                p.client = n
        color = body.get("color")
        if color is not None:
            if not isinstance(color, str) or not _COLOR.match(color):
                raise bad("color must look like #03A9F4")
            p.color = color
        note = body.get("note")
        if note is not None:
            if not isinstance(note, str) or len(note) > 16384:
                raise bad("Project note must be at most 16384 characters")
            p.note = note
        p.billable = flag_field(body, "billable", p.billable)
        p.public = flag_field(body, "isPublic", p.public)
        if not new:
            p.archived = flag_field(body, "archived", p.archived)
        if store.project_named(p.name, p.client, other_than=p.n) is not None:
            raise bad(f"Project with name '{p.name}' already exists")

    @router.post(base + "/projects", status_code=201)
    async def create_project(request: Request, workspace: str) -> dict[str, Any]:
        ctx.authenticate(request, workspace)
        body = await body_of(request)
        with account.writing():
            p = Project(store.next_project, "")
            project_fields(body, p, new=True)
            store.next_project += 1
            store.put_project(p)
            account.created["projects"] += 1
            return ctx.project(p)

    @router.get(base + "/projects/{project_id}")
    def project(request: Request, workspace: str, project_id: str) -> dict[str, Any]:
        ctx.authenticate(request, workspace)
        with account.reading():
            return ctx.project(ctx.project_of(project_id))

    @router.put(base + "/projects/{project_id}")
    async def update_project(request: Request, workspace: str, project_id: str) -> dict[str, Any]:
        ctx.authenticate(request, workspace)
        body = await body_of(request)
        with account.writing() as state:
            current = ctx.project_of(project_id)
            p = Project(**vars(current))
            project_fields(body, p, new=False)
            store.put_project(p)
            for t in store.project_tasks(p.n):
                store.sync_task(state, t)
            return ctx.project(p)

    # -- tasks --------------------------------------------------------------------------------

    @router.get(base + "/projects/{project_id}/tasks")
    def tasks(request: Request, workspace: str, project_id: str) -> list[dict[str, Any]]:
        ctx.authenticate(request, workspace)
        q = ctx.query(request)
        page, size = q.page()
        name, strict, active = q.text("name"), q.flag("strict-name-search"), q.flag("is-active")
        column = q.choice("sort-column", ("ID", "NAME"), "ID")
        descending = q.choice("sort-order", ("ASCENDING", "DESCENDING"), "ASCENDING") == "DESCENDING"
        with account.reading():
            p = ctx.project_of(project_id)
            chosen = [
                t
                for t in store.project_tasks(p.n)
                if matches_name(t.name, name, strict) and (active is None or (t.status == "ACTIVE") == active)
            ]
            chosen.sort(
                key=(lambda t: t.id) if column == "ID" else (lambda t: (t.name.casefold(), t.id)),
                reverse=descending,
            )
            return [ctx.task(t) for t in page_of(chosen, page, size)]

    def task_fields(
        body: dict[str, Any], t: ClockifyTask, employees: dict[int, Employee], *, new: bool
    ) -> None:
        name = text_field(body, "name", low=1, high=1000, label="Task", required=True)
        assert name is not None
        t.name = name
        replace = not new and ctx.config.clockify_task_put == "replace"
        if "assigneeIds" in body or "assigneeId" in body or replace:
            raw = body.get("assigneeIds")
            if raw is None and isinstance(body.get("assigneeId"), str):
                raw = [body["assigneeId"]]
            t.assignees = ctx.user_ids(raw, employees)
        if "estimate" in body or replace:
            raw_estimate = body.get("estimate")
            seconds = 0 if raw_estimate in (None, "") else parse_iso_duration(raw_estimate)
            if seconds is None:
                raise bad("estimate must be an ISO 8601 duration such as PT1H30M")
            t.estimate = seconds
        status = body.get("status")
        if status is not None:
            if status not in ("ACTIVE", "DONE"):
                raise bad("status must be ACTIVE or DONE")
            t.status = status
        t.billable = flag_field(body, "billable", t.billable)
        if store.task_named(t.project, t.name, other_than=t.id) is not None:
            raise bad(f"Task with name '{t.name}' already exists")

    @router.post(base + "/projects/{project_id}/tasks", status_code=201)
    async def create_task(request: Request, workspace: str, project_id: str) -> dict[str, Any]:
        ctx.authenticate(request, workspace)
        body = await body_of(request)
        with account.writing() as state:
            p = ctx.project_of(project_id)
            t = ClockifyTask(state.next_task_id, p.n, "", billable=p.billable)
            task_fields(body, t, state.employees, new=True)
            state.next_task_id += 1
            store.add_task(t)
            store.sync_task(state, t)
            account.created["tasks"] += 1
            return ctx.task(t)

    @router.get(base + "/projects/{project_id}/tasks/{task_id}")
    def task(request: Request, workspace: str, project_id: str, task_id: str) -> dict[str, Any]:
        ctx.authenticate(request, workspace)
        with account.reading():
            return ctx.task(ctx.task_of(ctx.project_of(project_id), task_id))

    @router.put(base + "/projects/{project_id}/tasks/{task_id}")
    async def update_task(request: Request, workspace: str, project_id: str, task_id: str) -> dict[str, Any]:
        ctx.authenticate(request, workspace)
        body = await body_of(request)
        with account.writing() as state:
            current = ctx.task_of(ctx.project_of(project_id), task_id)
            t = ClockifyTask(**{**vars(current), "assignees": list(current.assignees)})
            task_fields(body, t, state.employees, new=False)
            store.replace_task(t)
            store.sync_task(state, t)
            return ctx.task(t)

    from mock_tracker.clockify_time import add_time_routes  # it builds on this module's helpers

    add_time_routes(router, ctx)
    return router
