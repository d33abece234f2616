"""The ASGI app of one mock account: published API, admin endpoints, stats, faults, feed poller."""

from __future__ import annotations

import asyncio
import importlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from mock_tracker.account import Account
from mock_tracker.admin import build_admin_router
from mock_tracker.api import ApiSwitch, build_api_router
from mock_tracker.config import MockConfig
from mock_tracker.errors import ApiError, ApiReply
from mock_tracker.faults import Faults, RateLimiter
from mock_tracker.importer import FeedImporter
from mock_tracker.stats import RequestStats

log = logging.getLogger("mock_tracker")

KINDS = ("bitcop", "kimai", "clockify")
"""Dialects: ``mock_tracker.<kind>`` provides ``build_router(account, config, switch)`` and
``error_body(status, message)`` for every kind but bitcop (``api.py``, the original), and may
provide ``API_PREFIXES``, ``credential(request)``, ``is_create(method, path)`` and
``http_error_body(status)`` (routing failures: unknown path, wrong method)."""

_UNCOUNTED = {"/_mock/stats", "/_mock/reset-stats", "/_mock/health"}


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"status": "error", "message": message}, status_code=status)


def _validation_message(exc: RequestValidationError) -> str:
    """A short, field-level reason without echoing the submitted values."""
    reasons = []
    for err in exc.errors()[:5]:
        where = ".".join(str(p) for p in err.get("loc", ()) if p != "body")
        reasons.append(f"{where or 'body'}: {err.get('msg', 'invalid')}")
    return "; ".join(reasons) or "invalid request"


def _dialect(kind: str) -> Any:
    """The module serving ``kind``'s published API (``None`` for bitcop, served by ``api.py``)."""
    if kind not in KINDS:
        raise ValueError(f"unknown tracker kind {kind!r}; known: {', '.join(KINDS)}")
    return None if kind == "bitcop" else importlib.import_module(f"mock_tracker.{kind}")


def _bitcop_credential(request: Request) -> str:
    return request.query_params.get("apikey", "")


def create_app(config: MockConfig, account: Account) -> FastAPI:
    """Wire the account into an app; the feed poller (Bitcop only) runs for the app's lifetime."""
    dialect = _dialect(config.kind)
    error_body: Callable[[int, str], JSONResponse] = dialect.error_body if dialect else _error
    prefixes: tuple[str, ...] = getattr(dialect, "API_PREFIXES", ("/api/v1",))
    credential: Callable[[Request], str] = getattr(dialect, "credential", _bitcop_credential)
    is_create: Callable[[str, str], bool] = getattr(dialect, "is_create", lambda method, path: False)
    routing_error: Callable[[int], JSONResponse] | None = getattr(dialect, "http_error_body", None)
    switch = ApiSwitch()
    stats = RequestStats()
    faults = Faults()
    limiter = RateLimiter(config.rate_limit)
    # Kimai and Clockify accounts get their tasks through their own API, never from a feed.
    importer = FeedImporter(account, config.feed_url if dialect is None else None, config.feed_token)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        importer.start_polling(config.feed_interval)
        yield
        importer.stop()

    app = FastAPI(title="mock-tracker", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)

    def too_many() -> JSONResponse:
        response = error_body(429, "Too Many Requests")
        if config.retry_after is not None:
            response.headers["Retry-After"] = str(config.retry_after)
        return response

    async def misbehave(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> tuple[Response, float]:
        """Rate limit and injected faults, in front of the published API only; answers the
        response and how long to hold it back (a slow create, already committed)."""
        if not limiter.allow(credential(request) or (request.client.host if request.client else "")):
            return too_many(), 0.0
        failure = faults.take_failure()
        if failure == 429:
            return too_many(), 0.0
        if failure is not None:
            phrase = "Service Unavailable" if failure == 503 else "Internal Server Error"
            return error_body(failure, phrase), 0.0
        response = await call_next(request)
        if response.status_code < 300 and is_create(request.method, request.url.path):
            return response, faults.take_slow_create() or 0.0
        return response, 0.0

    @app.middleware("http")
    async def count_requests(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        path = request.url.path
        delay = 0.0
        if path.startswith(prefixes):
            response, delay = await misbehave(request, call_next)
        else:
            response = await call_next(request)
        if path not in _UNCOUNTED:
            stats.record(path, response.status_code, request.method)  # counted when it happened
        # The path only: the query may carry the api key.
        log.info("%s %s -> %s", request.method, path, response.status_code)
        if delay:
            await asyncio.sleep(delay)  # committed already: the client just hears it too late
        return response

    @app.exception_handler(ApiError)
    async def api_error(_: Request, exc: ApiError) -> JSONResponse:
        response: JSONResponse = error_body(exc.status, exc.message)
        response.headers.update(exc.headers)
        return response

    @app.exception_handler(ApiReply)
    async def api_reply(_: Request, exc: ApiReply) -> Response:
        return exc.response

    @app.exception_handler(RequestValidationError)
    async def bad_request(_: Request, exc: RequestValidationError) -> JSONResponse:
        response: JSONResponse = error_body(400, _validation_message(exc))
        return response

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if routing_error is not None and request.url.path.startswith(prefixes):
            return routing_error(exc.status_code)
        message = "not found" if exc.status_code == 404 else str(exc.detail)
        response: JSONResponse = error_body(exc.status_code, message)
        return response

    @app.exception_handler(Exception)
    async def crash(_: Request, exc: Exception) -> JSONResponse:
        log.error("unhandled error: %s", type(exc).__name__, exc_info=exc)
        response: JSONResponse = error_body(500, "internal error")
        return response

    if dialect is None:
        app.include_router(build_api_router(account, config, switch))
    else:
        app.include_router(dialect.build_router(account, config, switch))
    app.include_router(build_admin_router(account, config, switch, importer, stats, faults))
    return app
