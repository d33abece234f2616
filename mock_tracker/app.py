"""The ASGI app of one mock account: published API, admin endpoints, stats, feed poller."""

from __future__ import annotations

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
from mock_tracker.errors import ApiError
from mock_tracker.importer import FeedImporter
from mock_tracker.stats import RequestStats

log = logging.getLogger("mock_tracker")

KINDS = ("bitcop", "kimai", "clockify")
"""Dialects: ``mock_tracker.<kind>`` provides ``build_router(account, config, switch)`` and
``error_body(status, message)`` for every kind but bitcop (``api.py``, the original)."""

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


def create_app(config: MockConfig, account: Account) -> FastAPI:
    """Wire the account into an app; the feed poller runs for the app's lifetime."""
    dialect = _dialect(config.kind)
    error_body = dialect.error_body if dialect else _error
    switch = ApiSwitch()
    stats = RequestStats()
    importer = FeedImporter(account, config.feed_url, config.feed_token)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        importer.start_polling(config.feed_interval)
        yield
        importer.stop()

    app = FastAPI(title="mock-tracker", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)

    @app.middleware("http")
    async def count_requests(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        path = request.url.path
        if path not in _UNCOUNTED:
            stats.record(path, response.status_code)
        # The path only: the query carries the api key.
        log.info("%s %s -> %s", request.method, path, response.status_code)
        return response

    @app.exception_handler(ApiError)
    async def api_error(_: Request, exc: ApiError) -> JSONResponse:
        response: JSONResponse = error_body(exc.status, exc.message)
        response.headers.update(exc.headers)
        return response

    @app.exception_handler(RequestValidationError)
    async def bad_request(_: Request, exc: RequestValidationError) -> JSONResponse:
        response: JSONResponse = error_body(400, _validation_message(exc))
        return response

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
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
    app.include_router(build_admin_router(account, config, switch, importer, stats))
    return app
