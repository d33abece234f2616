"""One error shape for every endpoint, and the handlers that guarantee it.

Clients (trackers, 1C, operators' scripts) get ``{"error": <code>, "message": <short text>}``;
an unexpected failure answers 500 ``{"error": "internal", "request_id": …}`` and the details go to
the log under the same request id. No handler ever puts a traceback or a large piece of the
client's input into a response.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("connector.api")

MAX_MESSAGE_CHARS = 300
_ERROR_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid_request",
    429: "too_many_requests",
    503: "unavailable",
}


class ApiError(Exception):
    """An expected client-facing failure: raised by routes, rendered by the handler below."""

    def __init__(
        self,
        status_code: int,
        message: str,
        *,
        code: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.message = message
        self.code = code or _ERROR_CODES.get(status_code, "error")
        self.headers = headers


def error_body(status_code: int, message: str, code: str | None = None) -> dict[str, str]:
    """The JSON body of an error answer (messages are cut to a short, single paragraph)."""
    text = " ".join(str(message).split())
    if len(text) > MAX_MESSAGE_CHARS:
        text = text[: MAX_MESSAGE_CHARS - 1] + "…"
    return {"error": code or _ERROR_CODES.get(status_code, "error"), "message": text}


def request_id_of(request: Request) -> str:
    """The id the request-id middleware gave this request (a fresh one if it did not run)."""
    rid = request.scope.get("state", {}).get("request_id")
    return str(rid) if rid else uuid.uuid4().hex


def _short_validation_message(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors()[:3]:
        loc = ".".join(str(p) for p in err.get("loc", ()) if p not in ("body", "query", "header", "path"))
        msg = str(err.get("msg", "invalid value"))
        parts.append(f"{loc}: {msg}" if loc else msg)
    more = len(exc.errors()) - len(parts)
    if more > 0:
        parts.append(f"and {more} more problem(s)")
    return "; ".join(parts) or "invalid request"


async def _api_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return JSONResponse(
        error_body(exc.status_code, exc.message, exc.code), status_code=exc.status_code, headers=exc.headers
    )


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    headers = dict(exc.headers) if exc.headers else None
    detail = exc.detail if isinstance(exc.detail, str) else _ERROR_CODES.get(exc.status_code, "error")
    return JSONResponse(error_body(exc.status_code, detail), status_code=exc.status_code, headers=headers)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return JSONResponse(error_body(422, _short_validation_message(exc)), status_code=422)


async def _internal_error(request: Request, exc: Exception) -> JSONResponse:
    rid = request_id_of(request)
    log.error("unhandled error in %s %s [request_id=%s]", request.method, request.url.path, rid, exc_info=exc)
    return JSONResponse(
        {"error": "internal", "request_id": rid}, status_code=500, headers={"X-Request-ID": rid}
    )


def install_error_handlers(app: FastAPI) -> None:
    """Route every kind of failure through the JSON error shape (no HTML, no tracebacks)."""
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(Exception, _internal_error)


class RequestIdMiddleware:
    """Gives each request an id (``X-Request-ID`` if the client sent a sane one) and echoes it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = ""
        for name, value in scope.get("headers", []):
            if name == b"x-request-id":
                candidate = value.decode("latin-1")
                if 0 < len(candidate) <= 64 and all(c.isalnum() or c in "-_." for c in candidate):
                    rid = candidate
                break
        rid = rid or uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = rid

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [h for h in message.get("headers", []) if h[0].lower() != b"x-request-id"]
                headers.append((b"x-request-id", rid.encode("latin-1")))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_id)


class BodySizeLimitMiddleware:
    """Refuses request bodies over ``max_bytes`` with 413 before any route reads them.

    A declared ``Content-Length`` over the limit is refused at once; a chunked body is buffered
    up to the limit and refused as soon as it grows past it, so memory stays bounded.
    """

    def __init__(self, app: ASGIApp, max_bytes: int = 1 << 20) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def _refuse(self, send: Send, reason: str) -> None:
        body = JSONResponse(error_body(413, reason), status_code=413)
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [(k, v) for k, v in body.raw_headers] + [(b"connection", b"close")],
            }
        )
        await send({"type": "http.response.body", "body": body.body})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit_text = f"request body exceeds the limit of {self.max_bytes} bytes"
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    await self._refuse(send, "invalid Content-Length header")
                    return
                if declared > self.max_bytes:
                    await self._refuse(send, limit_text)
                    return
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await self._refuse(send, limit_text)
                return
            chunks.append(chunk)
            more = bool(message.get("more_body", False))
        replayed = False
        body = b"".join(chunks)

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


def json_error(status_code: int, message: str, **extra: Any) -> JSONResponse:
    """An error answer built directly (for middlewares and dependencies that cannot raise)."""
    return JSONResponse({**error_body(status_code, message), **extra}, status_code=status_code)
