"""Admin endpoints under ``/_mock``: what tests use to drive the account and read ground truth.

Not part of any tracker's API; no authentication (the mock binds to loopback in tests).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from mock_tracker import reports
from mock_tracker.account import Account, EntryError, EntryNotFound
from mock_tracker.api import ApiSwitch
from mock_tracker.config import MockConfig
from mock_tracker.days import PeriodError, local_midnight, parse_day, parse_period
from mock_tracker.errors import ApiError
from mock_tracker.faults import Faults
from mock_tracker.importer import FeedImporter
from mock_tracker.model import AccountState, Employee, Entry, Timer
from mock_tracker.stats import RequestStats

MAX_TRUTH_DAYS = 366

# The smallest valid PNG (1x1, transparent): screenshot URLs resolve to a real image.
_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c63000100000500010d0a2db40000000049454e44ae426082"
)


class SimulateRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    start: date
    days: int


class EntryCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    employee_email: str
    task_code: str
    start: datetime
    end: datetime


class EntryPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    employee_email: str | None = None
    task_code: str | None = None
    start: datetime | None = None
    end: datetime | None = None


class SwitchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    enabled: bool


class UserIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: str = Field(pattern=r"^[^@\s]+@[^@\s]+$")
    name: str | None = None


class TimerStart(BaseModel):
    model_config = ConfigDict(extra="forbid")
    employee_email: str
    task_code: str
    start: datetime | None = None


class TimerStop(BaseModel):
    model_config = ConfigDict(extra="forbid")
    end: datetime | None = None


class FaultsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    slow_creates: int | None = Field(default=None, ge=0, le=1000)
    delay: float | None = Field(default=None, ge=0, le=120)
    fail_5xx: int | None = Field(default=None, ge=0, le=1000)
    fail_5xx_status: int | None = Field(default=None, ge=500, le=599)
    fail_429: int | None = Field(default=None, ge=0, le=1000)


def user_json(emp: Employee) -> dict[str, Any]:
    name = " ".join(part for part in (emp.last_name, emp.first_name) if part)
    return {
        "id": emp.id,
        "email": emp.email,
        "name": name,
        "active": emp.active,
        "api_user": not emp.simulated,
    }


def timer_json(state: AccountState, timer: Timer, config: MockConfig) -> dict[str, Any]:
    return {
        "id": timer.id,
        "employee_id": timer.employee_id,
        "employee_email": state.employees[timer.employee_id].email,
        "task_id": timer.task_id,
        "task_code": state.tasks[timer.task_id].code,
        "start": reports.iso_local(timer.start, config.tz),
        "end": None,
    }


def entry_json(state: AccountState, entry: Entry, config: MockConfig) -> dict[str, Any]:
    return {
        "id": entry.id,
        "employee_id": entry.employee_id,
        "employee_email": state.employees[entry.employee_id].email,
        "task_id": entry.task_id,
        "task_code": state.tasks[entry.task_id].code,
        "start": reports.iso_local(entry.start, config.tz),
        "end": reports.iso_local(entry.end, config.tz),
        "seconds": entry.seconds,
        "simulated": entry.sim_day is not None,
    }


def build_admin_router(
    account: Account,
    config: MockConfig,
    switch: ApiSwitch,
    importer: FeedImporter,
    stats: RequestStats,
    faults: Faults,
) -> APIRouter:
    router = APIRouter(prefix="/_mock")

    @router.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @router.post("/sync-feed")
    def sync_feed() -> JSONResponse:
        outcome = importer.run_once()
        return JSONResponse(outcome, status_code=502 if outcome["result"] == "failed" else 200)

    @router.post("/simulate")
    def simulate(body: SimulateRequest) -> dict[str, Any]:
        try:
            made = account.simulate(body.start, body.days)
        except EntryError as exc:
            raise ApiError(400, str(exc)) from None
        return {"start": body.start.isoformat(), "days": body.days, **made}

    @router.get("/entries")
    def list_entries(request: Request) -> dict[str, Any]:
        begin, end = request.query_params.get("begin"), request.query_params.get("end")
        try:
            first = parse_day(begin, "begin", compact=False) if begin else date.min
            last = parse_day(end, "end", compact=False) if end else date.max
        except PeriodError as exc:
            raise ApiError(400, str(exc)) from None
        with account.reading() as state:
            chosen = sorted(state.entries.values(), key=lambda e: (e.start, e.id))
            if begin or end:
                low = local_midnight(first, config.tz) if begin else None
                high = local_midnight(last, config.tz) if end else None
                chosen = [
                    e for e in chosen if (low is None or e.end > low) and (high is None or e.start < high)
                ]
            return {"items": [entry_json(state, e, config) for e in chosen]}

    @router.post("/entries", status_code=201)
    def add_entry(body: EntryCreate) -> dict[str, Any]:
        try:
            entry = account.add_entry(body.employee_email, body.task_code, body.start, body.end)
        except EntryError as exc:
            raise ApiError(400, str(exc)) from None
        with account.reading() as state:
            return entry_json(state, entry, config)

    @router.patch("/entries/{entry_id}")
    def patch_entry(entry_id: int, body: EntryPatch) -> dict[str, Any]:
        try:
            entry = account.update_entry(entry_id, body.model_dump(exclude_none=True))
        except EntryNotFound:
            raise ApiError(404, "no such entry") from None
        except EntryError as exc:
            raise ApiError(400, str(exc)) from None
        with account.reading() as state:
            return entry_json(state, entry, config)

    @router.delete("/entries/{entry_id}", status_code=204)
    def delete_entry(entry_id: int) -> Response:
        try:
            account.delete_entry(entry_id)
        except EntryNotFound:
            raise ApiError(404, "no such entry") from None
        return Response(status_code=204)

    @router.get("/truth")
    def truth(request: Request) -> dict[str, Any]:
        try:
            first, last = parse_period(
                request.query_params.get("begin"),
                request.query_params.get("end"),
                compact=False,
                max_days=MAX_TRUTH_DAYS,
            )
        except PeriodError as exc:
            raise ApiError(400, str(exc)) from None
        with account.reading() as state:
            return {"items": reports.truth(state, config.tz, first, last)}

    @router.get("/stats")
    def get_stats() -> dict[str, Any]:
        return {**stats.snapshot(), "created": dict(account.created), "feed": dict(importer.feed_statuses)}

    @router.post("/reset-stats")
    def reset_stats() -> dict[str, str]:
        stats.reset()
        account.created.clear()
        importer.feed_statuses.clear()
        return {"status": "ok"}

    @router.get("/users")
    def list_users() -> dict[str, Any]:
        with account.reading() as state:
            return {"items": [user_json(e) for e in sorted(state.employees.values(), key=lambda e: e.id)]}

    @router.post("/users")
    def add_users(body: list[UserIn]) -> dict[str, Any]:
        made = account.add_users((u.email, u.name) for u in body)
        return {**made, "users": [user_json(e) for e in made["users"]]}

    @router.get("/tasks")
    def list_tasks() -> dict[str, Any]:
        """The account's tasks as the simulation sees them (who may book, active, plan)."""
        with account.writing() as state:
            if account.task_sync is not None:
                account.task_sync(state)
            return {
                "items": [
                    {
                        "id": t.id,
                        "code": t.code,
                        "title": t.title,
                        "active": t.active,
                        "employee_emails": sorted(state.employees[i].email for i in t.employee_ids),
                        "planned_minutes": t.planned_minutes,
                    }
                    for t in sorted(state.tasks.values(), key=lambda t: t.id)
                ]
            }

    @router.get("/timers")
    def list_timers() -> dict[str, Any]:
        with account.reading() as state:
            timers = sorted(state.timers.values(), key=lambda t: t.id)
            return {"items": [timer_json(state, t, config) for t in timers]}

    @router.post("/timers", status_code=201)
    def start_timer(body: TimerStart) -> dict[str, Any]:
        if body.start is not None and body.start.tzinfo is None:
            raise ApiError(400, "start must carry a UTC offset")
        try:
            timer = account.start_timer(body.employee_email, body.task_code, body.start)
        except EntryError as exc:
            raise ApiError(400, str(exc)) from None
        with account.reading() as state:
            return timer_json(state, timer, config)

    @router.post("/timers/{timer_id}/stop")
    def stop_timer(timer_id: int, body: TimerStop | None = None) -> dict[str, Any]:
        end = body.end if body else None
        if end is not None and end.tzinfo is None:
            raise ApiError(400, "end must carry a UTC offset")
        try:
            entry = account.stop_timer(timer_id, end)
        except EntryNotFound:
            raise ApiError(404, "no such timer") from None
        except EntryError as exc:
            raise ApiError(400, str(exc)) from None
        with account.reading() as state:
            return entry_json(state, entry, config)

    @router.delete("/timers/{timer_id}", status_code=204)
    def delete_timer(timer_id: int) -> Response:
        try:
            account.delete_timer(timer_id)
        except EntryNotFound:
            raise ApiError(404, "no such timer") from None
        return Response(status_code=204)

    @router.get("/faults")
    def get_faults() -> dict[str, Any]:
        return faults.snapshot()

    @router.post("/faults")
    def set_faults(body: FaultsIn) -> dict[str, Any]:
        return faults.update(body.model_dump(exclude_none=True))

    @router.delete("/faults")
    def clear_faults() -> dict[str, Any]:
        return faults.clear()

    @router.post("/api-switch")
    def api_switch(body: SwitchRequest) -> dict[str, bool]:
        switch.enabled = body.enabled
        return {"enabled": switch.enabled}

    @router.get("/screens/{name}")
    def screen(name: str) -> Response:
        if not name.endswith(".png") or not name[:-4].isdigit():
            raise ApiError(404, "no such screenshot")
        return Response(_PNG, media_type="image/png")

    return router
