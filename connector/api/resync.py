"""``POST /api/resync`` (admin token): re-read a mapping, a list of refs, a date range or everything.

The request is queued (identical waiting requests coalesce) and answered 202 with its id; the
inbox worker (``process_resync_requests``) runs it. Unknown mappings answer 404 naming the
known ones, so an operator's typo is obvious.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from connector.api.deps import AdminAuth, RuntimeDep
from connector.api.errors import ApiError
from connector.onec.query import guid
from connector.sync.inbound.inbox import enqueue_resync

router = APIRouter(tags=["ops"])
MAX_REFS = 10_000


class ResyncRequest(BaseModel):
    """What to re-read; give ``all: true`` or at least one of mapping, refs, since, until."""

    model_config = ConfigDict(extra="forbid")

    mapping: str | None = None
    refs: list[str] | None = Field(default=None, max_length=MAX_REFS)
    since: datetime | None = None
    until: datetime | None = None
    all: bool = False


@router.post("/api/resync", status_code=202)
async def resync(body: ResyncRequest, runtime: RuntimeDep, _: AdminAuth) -> dict[str, Any]:
    """Queue a resync; answers ``{"request_id", "coalesced"}``."""
    known = sorted(m.name for m in runtime.mappings)
    if body.mapping is not None and body.mapping not in known:
        raise ApiError(404, f"unknown mapping {body.mapping!r}; known mappings: {', '.join(known) or 'none'}")
    if not body.all and body.mapping is None and not body.refs and body.since is None and body.until is None:
        raise ApiError(400, "say what to resync: mapping, refs, since/until, or all: true")
    refs: list[str] | None = None
    if body.refs is not None:
        try:
            refs = sorted({guid(r) for r in body.refs})
        except ValueError:
            raise ApiError(400, "refs must be 1C references (GUIDs)") from None
    if body.since and body.until and body.since > body.until:
        raise ApiError(400, "since must not be after until")
    request = {
        "mapping": body.mapping,
        "refs": refs,
        "since": body.since.isoformat() if body.since else None,
        "until": body.until.isoformat() if body.until else None,
    }
    request_id, coalesced = await run_in_threadpool(enqueue_resync, runtime, request)
    return {"request_id": request_id, "coalesced": coalesced, "status": "queued"}
