"""The tracker side, for operators: what the tracker is, the task push, pending tasks, lost time.

- ``GET /api/tracker``: the configured kind, its roles and the links' push state;
- ``POST /api/tracker/push``: push the changed tasks now (a task-sink tracker; 409 otherwise);
- ``GET /api/tracker/pending-tasks``: open tasks the tracker lacks (``?format=csv``), with the
  exact name to give each one — Bitcop's admin creates them by hand;
- ``GET /api/tracker/unmatched-time?from=&to=``: tracked time on tasks no 1C object stands behind.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response

from connector.api.deps import AdminAuth, RuntimeDep
from connector.api.errors import ApiError
from connector.logs import redact
from connector.reports import to_csv
from connector.sync.push.engine import push_state, push_tasks
from connector.sync.push.pending import pending_tasks, unmatched_time
from connector.tracker.base import Tracker
from connector.tracker.errors import TrackerError

router = APIRouter(tags=["tracker"])


def configured(runtime: Any) -> Tracker:
    """The configured tracker; 503 with the setting to fix when it cannot be built (no key…)."""
    try:
        tracker: Tracker = runtime.tracker
    except ValueError as exc:
        raise ApiError(503, f"the tracker is not configured: {redact(str(exc))}") from exc
    return tracker


@router.get("/api/tracker")
def tracker_info(_: AdminAuth, runtime: RuntimeDep) -> dict[str, Any]:
    """The configured tracker's kind and roles, and how many links it was given."""
    caps = configured(runtime).capabilities
    with runtime.sessions() as session:
        state = push_state(session)
    return {"kind": runtime.settings.tracker_kind, "roles": list(caps.roles), "push": state}


@router.post("/api/tracker/push")
def push_now(_: AdminAuth, runtime: RuntimeDep) -> dict[str, Any]:
    """Push the tasks that changed since the last push (0 requests when nothing did)."""
    if not configured(runtime).capabilities.publish_tasks:
        raise ApiError(
            409,
            f"the {runtime.settings.tracker_kind} tracker cannot take tasks through its API; "
            "GET /api/tracker/pending-tasks lists what to create there by hand",
        )
    return push_tasks(runtime, trigger="api").as_dict()


def pending_rows(runtime: Any) -> list[dict[str, Any]]:
    """Pending tasks as plain rows; raises ``ApiError(503)`` when the tracker cannot be asked."""
    try:
        in_tracker = configured(runtime).tasks()
    except TrackerError as exc:
        raise ApiError(503, f"the tracker's task list is unavailable: {redact(str(exc))}") from exc
    with runtime.sessions() as session:
        return [p.as_dict() for p in pending_tasks(session, in_tracker)]


@router.get("/api/tracker/pending-tasks", response_model=None)
def pending(
    _: AdminAuth, runtime: RuntimeDep, format: Literal["json", "csv"] = Query("json")
) -> dict[str, Any] | Response:
    """Open tasks the tracker has no task for (matched by the bracketed code in its name)."""
    rows = pending_rows(runtime)
    if format == "csv":
        flat = [
            r | {"assignees": ", ".join(r["assignees"]), "assignee_names": ", ".join(r["assignee_names"])}
            for r in rows
        ]
        return Response(to_csv(flat), media_type="text/csv; charset=utf-8")
    return {"tracker": runtime.settings.tracker_kind, "count": len(rows), "items": rows}


@router.get("/api/tracker/unmatched-time")
def lost_time(
    _: AdminAuth,
    runtime: RuntimeDep,
    first: date | None = Query(None, alias="from", description="first local day (default: 30 days ago)"),
    last: date | None = Query(None, alias="to", description="last local day (default: today)"),
) -> dict[str, Any]:
    """Tracked time on tasks whose code matches no 1C object, per employee and task."""
    last = last or date.today()
    first = first or last - timedelta(days=30)
    if first > last:
        raise ApiError(422, f"from {first} is after to {last}: swap them")
    with runtime.sessions() as session:
        rows = unmatched_time(session, first, last)
    return {"from": first.isoformat(), "to": last.isoformat(), "items": rows}
