"""``POST /webhooks/1c``: 1C's change notifications, verified, deduplicated and queued at once.

1C calls this inside its own write transaction (a synchronous event subscription) or from an
outbox job that retries until 200, so the answer must be fast and idempotent: the signature
(``X-Onec-Signature: sha256=<hex HMAC-SHA256 of the raw body>``) is checked in constant time,
the event is stored in the inbox (unique on type + Ref_Key + DataVersion) and the answer is 202.
Nothing is sent to 1C from the request; the inbox worker re-reads the object through OData.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from connector.api.deps import RuntimeDep
from connector.api.errors import ApiError
from connector.onec.query import guid
from connector.runtime import Runtime
from connector.store.queues import inbox_add

MAX_WEBHOOK_BYTES = 64 * 1024
SIGNATURE_HEADER = "X-Onec-Signature"

router = APIRouter(tags=["1c"])


def sign(body: bytes, secret: str) -> str:
    """The header value 1C's extension sends for ``body`` (what the mock and tests compute too)."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def signature_ok(body: bytes, header: str | None, secret: str) -> bool:
    """Constant-time comparison; an empty secret or a missing header never verifies."""
    if not secret or not header:
        return False
    return hmac.compare_digest(header.strip().encode("utf-8"), sign(body, secret).encode("utf-8"))


def known_types(runtime: Runtime) -> list[str]:
    """Entity sets some mapping reads, and their parents (a project of project tasks): the only
    types a webhook may name. A parent's event is accepted and recorded; the inbox run it causes
    reads no mapping's objects (its children follow their own changes)."""
    sets = {m.source.entity_set for m in runtime.mappings if m.source is not None}
    parents = {m.task.parent.entity_set for m in runtime.mappings if m.task is not None and m.task.parent}
    return sorted(sets | parents)


def parse_event(body: bytes, types: list[str]) -> tuple[str, str, str, dict[str, Any]]:
    """``(type, ref, DataVersion, event)`` of a webhook body, or ``ApiError`` 400 saying what is wrong."""
    try:
        event = json.loads(body)
    except (ValueError, RecursionError):
        raise ApiError(400, "the body is not JSON") from None
    if not isinstance(event, dict):
        raise ApiError(400, "the body must be a JSON object with type, Ref_Key and DataVersion")
    type_ = event.get("type")
    if not isinstance(type_, str) or type_ not in types:
        raise ApiError(400, f"unknown type {str(type_)[:80]!r}; known types: {', '.join(types) or 'none'}")
    try:
        ref = guid(event.get("Ref_Key"))
    except ValueError:
        raise ApiError(400, "Ref_Key must be a GUID (8-4-4-4-12 hex digits)") from None
    version = event.get("DataVersion")
    if not isinstance(version, str) or not version.strip() or len(version) > 64:
        raise ApiError(400, "DataVersion must be a non-empty string of at most 64 characters")
    hint = {k: event[k] for k in ("Number", "Date", "event") if isinstance(event.get(k), str | int | float)}
    return type_, ref, version.strip(), hint


def _store(runtime: Runtime, type_: str, ref: str, version: str, hint: dict[str, Any]) -> bool:
    with runtime.sessions() as session:
        created = inbox_add(session, type_, ref, version, hint)
        session.commit()
    return created


@router.post("/webhooks/1c", status_code=202)
async def onec_webhook(request: Request, runtime: RuntimeDep) -> JSONResponse:
    """Accept a change notification from 1C (202 ``accepted`` or ``duplicate``)."""
    length = request.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > MAX_WEBHOOK_BYTES:
        raise ApiError(413, f"a webhook body is limited to {MAX_WEBHOOK_BYTES} bytes")
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_WEBHOOK_BYTES:
            raise ApiError(413, f"a webhook body is limited to {MAX_WEBHOOK_BYTES} bytes")
    if not signature_ok(
        body, request.headers.get(SIGNATURE_HEADER), runtime.settings.webhook_secret.get_secret_value()
    ):
        raise ApiError(401, f"missing or invalid {SIGNATURE_HEADER}")
    type_, ref, version, hint = parse_event(body, known_types(runtime))
    created = await run_in_threadpool(_store, runtime, type_, ref, version, hint)
    worker = getattr(request.app.state, "inbox_worker", None)
    if created and worker is not None:
        worker.wake()
    return JSONResponse({"status": "accepted" if created else "duplicate"}, status_code=202)
