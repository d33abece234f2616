"""Clockify's HTTP conventions in the mock: error bodies, paging, authentication, rendering.

Shared by the routes in ``clockify.py``, ``clockify_catalog.py`` and ``clockify_time.py``.
"""

from __future__ import annotations

import hmac
import re
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse

from mock_tracker.account import Account
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
    parse_oid,
)
from mock_tracker.config import MockConfig
from mock_tracker.errors import ApiError
from mock_tracker.model import Employee

API_PREFIXES = ("/api/v1/", "/reports/v1/")
MAX_PAGE_SIZE = 5000
MAX_REPORT_PAGE_SIZE = 1000
_CREATES = re.compile(r"^/api/v1/workspaces/[^/]+/(clients|projects|projects/[^/]+/tasks|time-entries)/?$")
COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
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
