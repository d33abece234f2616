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

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request

from mock_tracker.account import Account
from mock_tracker.api import ApiSwitch
from mock_tracker.clockify_catalog import add_catalog_routes
from mock_tracker.clockify_http import (
    API_PREFIXES,
    ClockifyContext,
    credential,
    display_name,
    error_body,
    http_error_body,
    is_create,
    page_of,
)
from mock_tracker.clockify_time import add_time_routes
from mock_tracker.config import MockConfig
from mock_tracker.model import Employee

__all__ = ["API_PREFIXES", "build_router", "credential", "error_body", "http_error_body", "is_create"]


def build_router(account: Account, config: MockConfig, switch: ApiSwitch) -> APIRouter:
    ctx = ClockifyContext(account, config)
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

    add_catalog_routes(router, ctx)
    add_time_routes(router, ctx)
    return router
