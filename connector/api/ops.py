"""Operator endpoints: run history, failed items with retry, links, overruns, readiness, metrics.

Routes are thin: they read the store and call repository functions. Everything under ``/api``
needs the admin token; ``/readyz`` and ``/metrics`` are for probes and scrapers and reveal no
data beyond which dependency is unreachable.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import select, text, update
from sqlalchemy.orm import Session

from connector.api.deps import AdminAuth, RuntimeDep, SessionDep
from connector.api.errors import ApiError
from connector.logs import redact
from connector.metrics import CONTENT_TYPE, Metrics, default_metrics
from connector.reach import check_onec, check_tracker
from connector.runtime import Runtime
from connector.store.history import list_failures
from connector.store.models import Failure, InboxEvent, Link, OutboxIntent, Run, RunItem
from connector.store.queues import retry_parked_outbox
from connector.store.types import utcnow

router = APIRouter(tags=["ops"])
PROBE_TIMEOUT = 3.0


def _iso(value: Any) -> Any:
    return value.isoformat() if value is not None and hasattr(value, "isoformat") else value


def run_json(run: Run) -> dict[str, Any]:
    return {
        "id": run.id,
        "kind": run.kind,
        "trigger": run.trigger,
        "mapping": run.mapping,
        "status": run.status,
        "started_at": _iso(run.started_at),
        "finished_at": _iso(run.finished_at),
        "counters": dict(sorted((run.counters or {}).items())),
        "owner": run.owner,
        "heartbeat_at": _iso(run.heartbeat_at),
    }


@router.get("/api/runs")
def runs(
    _: AdminAuth,
    session: SessionDep,
    limit: int = Query(50, ge=1, le=1000),
    kind: str | None = None,
    mapping: str | None = None,
) -> dict[str, Any]:
    """The newest runs first, optionally of one kind (inbound, labour…) or mapping."""
    query = select(Run).order_by(Run.id.desc()).limit(limit)
    if kind:
        query = query.where(Run.kind == kind)
    if mapping:
        query = query.where(Run.mapping == mapping)
    return {"items": [run_json(r) for r in session.execute(query).scalars()]}


@router.get("/api/runs/{run_id}")
def run_detail(
    run_id: Annotated[int, Path(ge=1, le=2**63 - 1)],
    _: AdminAuth,
    session: SessionDep,
    limit: int = Query(500, ge=1, le=10_000),
) -> dict[str, Any]:
    """One run: counters, counts per reason, and its noteworthy items."""
    run = session.get(Run, run_id)
    if run is None:
        raise ApiError(404, f"no run {run_id}")
    reasons: dict[str, int] = {}
    for name, value in (run.counters or {}).items():
        if ":" in name:
            reasons[name.split(":", 1)[1]] = reasons.get(name.split(":", 1)[1], 0) + int(value)
    items = session.execute(
        select(RunItem).where(RunItem.run_id == run_id).order_by(RunItem.id).limit(limit)
    ).scalars()
    return {
        **run_json(run),
        "reasons": dict(sorted(reasons.items())),
        "items": [
            {"ref": i.ref, "outcome": i.outcome, "reason": i.reason, "detail": i.detail} for i in items
        ],
    }


def _queue_failures(session: Session) -> list[dict[str, Any]]:
    rows: list[InboxEvent | OutboxIntent] = []
    rows += session.execute(
        select(OutboxIntent).where(OutboxIntent.state == "parked").order_by(OutboxIntent.id).limit(500)
    ).scalars()
    rows += session.execute(
        select(InboxEvent).where(InboxEvent.state == "parked").order_by(InboxEvent.id).limit(500)
    ).scalars()
    out: list[dict[str, Any]] = []
    for row in rows:
        source = "outbox" if isinstance(row, OutboxIntent) else "inbox"
        key = row.target_key if isinstance(row, OutboxIntent) else f"{row.type}/{row.ref}"
        out.append(
            _failure_json(
                f"{source}-{row.id}", source, key, row.last_error, row.attempts, True, row.next_attempt_at
            )
        )
    return out


def _failure_json(
    failure_id: str, kind: str, key: str, reason: str | None, attempts: int, parked: bool, updated_at: Any
) -> dict[str, Any]:
    """One row of ``/api/failures``: failed items and parked queue rows share this shape."""
    return {
        "id": failure_id,
        "kind": kind,
        "key": key,
        "reason": reason,
        "attempts": attempts,
        "parked": parked,
        "updated_at": _iso(updated_at),
    }


@router.get("/api/failures")
def failures(
    _: AdminAuth, session: SessionDep, parked: bool | None = None, limit: int = Query(100, ge=1, le=1000)
) -> dict[str, Any]:
    """Failed items (retrying or parked) and parked queue rows, each with its reason and an id to retry."""
    items: list[dict[str, Any]] = [
        _failure_json(str(f.id), f.kind, f.key, f.reason, f.attempts, f.parked, f.updated_at)
        for f in list_failures(session, parked=parked, limit=limit)
    ]
    if parked is not False:
        items += _queue_failures(session)
    return {"items": items[:limit]}


def retry_failure(session: Session, failure_id: str) -> dict[str, Any]:
    """An operator's retry: parked queue rows become due now with a fresh attempt budget; a failed
    item is unparked so the next run (or delivery) takes it again. Raises ``ApiError(404)``."""
    source, _, number = failure_id.rpartition("-")
    if not (number.isascii() and number.isdigit()) or len(number) > 18:  # a store id, not "²" or 10**30
        raise ApiError(404, f"no failure {failure_id!r}")
    row_id = int(number)
    if source == "outbox":
        if not retry_parked_outbox(session, row_id):
            raise ApiError(404, f"no parked outbox intent {row_id}")
        return {"id": failure_id, "state": "pending"}
    if source == "inbox":
        result = session.execute(
            update(InboxEvent)
            .where(InboxEvent.id == row_id, InboxEvent.state == "parked")
            .values(state="pending", attempts=0, next_attempt_at=utcnow())
        )
        if not result.rowcount:  # type: ignore[attr-defined]
            raise ApiError(404, f"no parked inbox event {row_id}")
        return {"id": failure_id, "state": "pending"}
    if source:
        raise ApiError(404, f"no failure {failure_id!r}")
    failure = session.get(Failure, row_id)
    if failure is None:
        raise ApiError(404, f"no failure {row_id}")
    failure.parked = False
    failure.attempts = 0
    failure.updated_at = utcnow()
    requeued = session.execute(
        update(OutboxIntent)
        .where(OutboxIntent.target_key == failure.key, OutboxIntent.state == "parked")
        .values(state="pending", attempts=0, next_attempt_at=utcnow())
    ).rowcount  # type: ignore[attr-defined]
    return {"id": failure_id, "state": "retrying", "requeued_intents": int(requeued or 0)}


@router.post("/api/failures/{failure_id}/retry")
def retry(failure_id: str, _: AdminAuth, session: SessionDep) -> dict[str, Any]:
    """Retry one failed item now (see ``retry_failure``)."""
    return retry_failure(session, failure_id)


@router.get("/api/links")
def links(
    _: AdminAuth,
    session: SessionDep,
    mapping: str | None = None,
    status: str | None = None,
    code: str | None = None,
    limit: int = Query(100, ge=1, le=5000),
) -> dict[str, Any]:
    """1C objects and the tracker tasks made from them."""
    query = select(Link).order_by(Link.id).limit(limit)
    if mapping:
        query = query.where(Link.mapping == mapping)
    if status:
        query = query.where(Link.status == status)
    if code:
        query = query.where(Link.task_code == code)
    return {"items": [link_json(link) for link in session.execute(query).scalars()]}


def link_json(link: Link) -> dict[str, Any]:
    return {
        "mapping": link.mapping,
        "onec_type": link.onec_type,
        "onec_ref": link.onec_ref,
        "task_code": link.task_code,
        "title": link.title,
        "status": link.status,
        "category": link.category,
        "assignees": list(link.assignees or []),
        "planned_minutes": link.planned_minutes,
        "actual_minutes": link.actual_minutes,
        "overrun": link.overrun,
        "risk": link.risk,
        "projected_minutes": link.projected_minutes,
        "updated_at": _iso(link.updated_at),
    }


@router.get("/api/overruns")
def overruns(
    _: AdminAuth, runtime: RuntimeDep, session: SessionDep, level: Literal["warn", "alert"] | None = None
) -> dict[str, Any]:
    """Tasks whose actual time reached the warn or alert share of the plan, and participants of
    project tasks over their own share (``level: participant``), worst first."""
    from connector.sync.labour.planfact import overruns as find_overruns

    states = (level,) if level else ("warn", "alert")
    return {"items": find_overruns(session, runtime.mappings, states)}


@router.get("/api/unmatched-employees")
def unmatched_employees(_: AdminAuth, runtime: RuntimeDep) -> dict[str, Any]:
    """People the connector could not match, never guessed: 1C users named as assignees who have
    no usable e-mail (``side: onec``), tracker employees without a 1C user (``side: tracker``)
    and, for a tracker that takes tasks, 1C assignees it has no user for (``side:
    tracker_missing``: their tasks are created without them).
    The 1C half needs no tracker; when the tracker cannot be asked, ``tracker_error`` says why."""
    from connector.sync.inbound.apply import unmatched_employees as onec_unmapped
    from connector.sync.labour.employee_match import unmatched_employees as tracker_unmatched
    from connector.sync.push.pending import assignees_missing_in_tracker
    from connector.tracker.errors import TrackerError

    tracker_error: str | None = None
    people = None
    try:
        people = runtime.tracker.employees()
    except (TrackerError, ValueError) as exc:  # ValueError: the tracker is not configured
        tracker_error = f"the tracker's employee list is unavailable: {redact(str(exc))}"
    with runtime.sessions() as session:
        items = [{"side": "onec", **e} for e in onec_unmapped(session)]
        if people is not None:
            items += [{"side": "tracker", **e} for e in tracker_unmatched(session, people)]
            if runtime.tracker.capabilities.publish_tasks:  # tasks are created there without them
                items += [
                    {"side": "tracker_missing", **e} for e in assignees_missing_in_tracker(session, people)
                ]
    return {"items": items, "tracker_error": tracker_error}


def probe_store(runtime: Runtime) -> str | None:
    try:
        with runtime.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:
        return f"store unreachable: {type(exc).__name__}"
    return None


def probe_onec(runtime: Runtime) -> str | None:
    """None when 1C answers its OData service document, else the one-line reason (no secrets)."""
    problem = check_onec(runtime.settings, PROBE_TIMEOUT)
    return problem.line() if problem else None


def probe_tracker(runtime: Runtime) -> str | None:
    """None when the tracker answers its employee list, else the one-line reason (no secrets)."""
    problem = check_tracker(runtime.settings, PROBE_TIMEOUT)
    return problem.line() if problem else None


@router.get("/readyz")
def readyz(runtime: RuntimeDep) -> Response:
    """Ready when the store, 1C and the tracker answer; 503 names each one that does not."""
    checks = {"store": probe_store(runtime), "onec": probe_onec(runtime), "tracker": probe_tracker(runtime)}
    failed = {name: redact(msg) for name, msg in checks.items() if msg}
    body: dict[str, object] = {
        "status": "ok" if not failed else "unavailable",
        "checks": {k: failed.get(k, "ok") for k in checks},
        "failed": sorted(failed),
    }
    return JSONResponse(body, status_code=503 if failed else 200)


def metrics_of(request: Request) -> Metrics:
    """The app's metrics (``app.state.metrics`` when the service set one, else the process-wide)."""
    found = getattr(request.app.state, "metrics", None)
    return found if isinstance(found, Metrics) else default_metrics()


@router.get("/metrics", include_in_schema=False)
def metrics(request: Request, runtime: RuntimeDep) -> Response:
    """Prometheus text exposition."""
    m = metrics_of(request)
    m.ensure_store(runtime.sessions)
    return Response(m.render(), media_type=CONTENT_TYPE)
