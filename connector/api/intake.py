"""``POST /tracker/v1/time-entries``: the push intake for trackers that can send time.

A batch is judged entry by entry (``connector.sync.core.intake``): the bad ones come back rejected
with a reason, the rest are stored idempotently by entry id (``connector.store.entries``). The
answer is 202 ``{"accepted", "unchanged", "rejected", "results": [{"id", "status", "reason"}]}``
in the order of the batch, and is sent only after the batch is committed.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from connector.api.deps import FeedAuth, RuntimeDep, SessionDep
from connector.api.errors import ApiError
from connector.runtime import Runtime
from connector.store.entries import (
    EntryValues,
    employee_lookup,
    linked_task_codes,
    tombstone_entries,
    upsert_entries,
)
from connector.sync.core.intake import (
    MAX_BATCH,
    IntakeEntry,
    Rejection,
    batch_items,
    parse_entry,
    resolve_entry,
)

router = APIRouter(prefix="/tracker/v1", tags=["tracker"])
log = logging.getLogger(__name__)


class TimeEntryIn(BaseModel):
    """One pushed entry (documentation only: entries are validated one by one, never as a batch)."""

    id: str = Field(description="the tracker's id of the entry; replays with the same id are idempotent")
    employee_email: str | None = Field(default=None, description="matched case-insensitively")
    employee_id: str | None = Field(default=None, description="the tracker's employee id")
    task_code: str = Field(description="the feed's task code, e.g. CRM-000512")
    start: str = Field(description="ISO 8601 instant with an offset")
    end: str | None = Field(default=None, description="ISO 8601 instant with an offset (or give seconds)")
    seconds: int | None = Field(default=None, ge=0, le=86400)
    deleted: bool = False
    evidence_url: str | None = None


class TimeEntryBatch(BaseModel):
    entries: list[TimeEntryIn] = Field(max_length=MAX_BATCH)


def static_task_codes(runtime: Runtime) -> set[str]:
    """Codes of the mappings' static category tasks (valid even before a link exists for them)."""
    return {task.code for mapping in runtime.mappings for task in mapping.static_tasks}


def _resolve(session: Session, runtime: Runtime, parsed: list[IntakeEntry | Rejection]) -> list[Any]:
    entries = [p for p in parsed if isinstance(p, IntakeEntry) and not p.bare_tombstone]
    by_email, by_tracker = employee_lookup(
        session,
        {e.employee_email for e in entries if e.employee_email},
        {e.employee_id for e in entries if e.employee_id},
    )
    codes = linked_task_codes(session, {e.task_code for e in entries}) | static_task_codes(runtime)
    return [
        resolve_entry(p, employees_by_email=by_email, employees_by_tracker_id=by_tracker, task_codes=codes)
        if isinstance(p, IntakeEntry)
        else p
        for p in parsed
    ]


def _values(entry: IntakeEntry) -> EntryValues:
    assert entry.employee_row is not None and entry.start is not None and entry.end is not None
    return EntryValues(
        entry_id=entry.id,
        employee_id=entry.employee_row,
        employee_email=entry.employee_email,
        tracker_employee_id=entry.employee_id,
        task_code=entry.task_code,
        start_at=entry.start,
        end_at=entry.end,
        seconds=entry.seconds,
        deleted=entry.deleted,
        evidence_url=entry.evidence_url,
    )


def receive_batch(session: Session, runtime: Runtime, items: list[Any]) -> dict[str, Any]:
    """Validate, resolve and store a batch; commit; return the answer body.

    Full entries are applied first, then deletions given by id alone. A unique-index conflict
    (another request stored the same new id meanwhile) rolls back and replays the batch once.
    """
    for attempt in (1, 2):
        results = _resolve(session, runtime, [parse_entry(item) for item in items])
        full = [i for i, r in enumerate(results) if isinstance(r, IntakeEntry) and not r.bare_tombstone]
        bare = [i for i, r in enumerate(results) if isinstance(r, IntakeEntry) and r.bare_tombstone]
        try:
            written = upsert_entries(session, [_values(results[i]) for i in full])
            deleted = tombstone_entries(session, [results[i].id or "" for i in bare])
            session.commit()
            break
        except IntegrityError:
            session.rollback()
            if attempt == 2:
                raise
            log.info("another request stored some of these entry ids meanwhile; replaying the batch")
    statuses = dict(zip(full, written, strict=True)) | dict(zip(bare, deleted, strict=True))
    answers = []
    for i, r in enumerate(results):
        if isinstance(r, Rejection):
            answers.append({"id": r.id, "status": "rejected", "reason": r.reason})
        else:
            answers.append({"id": r.id, "status": statuses[i], "reason": None})
    counts = {s: sum(1 for a in answers if a["status"] == s) for s in ("accepted", "unchanged", "rejected")}
    return {**counts, "results": answers}


@router.post(
    "/time-entries",
    status_code=202,
    summary="Push tracked time (idempotent by entry id)",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": TimeEntryBatch.model_json_schema()}},
        }
    },
)
async def post_time_entries(
    request: Request, _auth: FeedAuth, runtime: RuntimeDep, session: SessionDep
) -> JSONResponse:
    """A batch of at most 1000 entries; each is accepted, unchanged or rejected with a reason."""
    raw = await request.body()
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError):
        raise ApiError(400, "body is not valid JSON") from None
    items = batch_items(body)
    if isinstance(items, str):
        raise ApiError(422, items)
    if len(items) > MAX_BATCH:
        raise ApiError(413, f"batch has {len(items)} entries; send at most {MAX_BATCH} per request")
    answer = await run_in_threadpool(receive_batch, session, runtime, items)
    return JSONResponse(answer, status_code=202)
