"""The published, read-only Web API under ``/api/v1`` (docs/bitcop-assumptions.md).

Every method: 503 when the API is switched off, then 401 on a wrong or missing ``apikey``, then
400 on bad parameters; all failures in the ``{"status":"error","message":…}`` envelope.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from datetime import date
from typing import Any

from fastapi import APIRouter, Request

from mock_tracker import reports
from mock_tracker.account import Account
from mock_tracker.config import MockConfig
from mock_tracker.days import PeriodError, parse_period
from mock_tracker.errors import ApiError

MAX_PERIOD_DAYS = 31


class ApiSwitch:
    """The account setting "Web API enabled"."""

    def __init__(self) -> None:
        self.enabled = True


def parse_employees(raw: str | None) -> set[int] | None:
    """``employees=1,2,3`` → {1, 2, 3}; absent or empty → None (all employees)."""
    if raw is None or raw.strip() == "":
        return None
    ids: set[int] = set()
    for part in raw.split(","):
        part = part.strip()
        if not part.isdigit() or not part.isascii():
            raise ApiError(400, "employees must be comma-separated integer ids")
        ids.add(int(part))
    return ids


def _success(items: list[dict[str, Any]]) -> dict[str, Any]:
    return {"status": "success", "items": items}


def build_api_router(account: Account, config: MockConfig, switch: ApiSwitch) -> APIRouter:
    router = APIRouter(prefix="/api/v1")

    def guard(request: Request) -> None:
        if not switch.enabled:
            raise ApiError(503, "Web API is disabled")
        given = request.query_params.get("apikey", "")
        if not hmac.compare_digest(given.encode(), config.api_key.encode()):
            raise ApiError(401, "invalid api key")

    def period(request: Request) -> tuple[date, date, set[int] | None]:
        guard(request)
        params = request.query_params
        try:
            first, last = parse_period(
                params.get("begin"), params.get("end"), compact=True, max_days=MAX_PERIOD_DAYS
            )
        except PeriodError as exc:
            raise ApiError(400, str(exc)) from None
        return first, last, parse_employees(params.get("employees"))

    @router.get("/employees")
    def employees(request: Request) -> dict[str, Any]:
        guard(request)
        wanted = request.query_params.get("active")
        if wanted not in (None, "true", "false"):
            raise ApiError(400, "active must be true or false")
        with account.reading() as state:
            items = [
                {
                    "id": e.id,
                    "firstName": e.first_name,
                    "lastName": e.last_name,
                    "email": e.email,
                    "active": e.active,
                }
                for e in sorted(state.employees.values(), key=lambda e: e.id)
                if wanted is None or e.active == (wanted == "true")
            ]
        return _success(items)

    @router.get("/tasks")
    def tasks(request: Request) -> dict[str, Any]:
        guard(request)
        with account.reading() as state:
            items = [
                {"id": t.id, "name": t.name, "active": t.active, "employees": list(t.employee_ids)}
                for t in sorted(state.tasks.values(), key=lambda t: t.id)
            ]
        return _success(items)

    def per_period(report: Callable[..., list[dict[str, Any]]]) -> Callable[[Request], dict[str, Any]]:
        def handler(request: Request) -> dict[str, Any]:
            first, last, wanted = period(request)
            with account.reading() as state:
                return _success(report(state, first, last, wanted))

        return handler

    tz, seed = config.tz, config.seed
    router.add_api_route(
        "/tasks/activity",
        per_period(lambda s, a, b, w: reports.task_activity(s, tz, a, b, w)),
        methods=["GET"],
    )
    router.add_api_route(
        "/workperiods", per_period(lambda s, a, b, w: reports.workperiods(s, tz, a, b, w)), methods=["GET"]
    )
    router.add_api_route(
        "/activity", per_period(lambda s, a, b, w: reports.activity(s, tz, seed, a, b, w)), methods=["GET"]
    )
    router.add_api_route(
        "/productivity",
        per_period(lambda s, a, b, w: reports.productivity(s, tz, seed, a, b, w)),
        methods=["GET"],
    )
    router.add_api_route(
        "/screenshots",
        per_period(lambda s, a, b, w: reports.screenshots(s, tz, seed, a, b, w, config.public_url)),
        methods=["GET"],
    )
    return router
