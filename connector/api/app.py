"""The connector's HTTP application: tracker API, 1C webhooks, ops endpoints and health.

``create_app(runtime)`` builds a FastAPI app around one :class:`Runtime`; routes stay thin and
call ``store``/``sync`` functions. Every answer, including failures, is JSON without tracebacks
(``connector.api.errors``), and request bodies are capped before any route reads them.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from connector.api import billing, console, intake, ops, reports, resync, tracker_feed, tracker_ops, webhooks
from connector.api.errors import BodySizeLimitMiddleware, RequestIdMiddleware, install_error_handlers
from connector.runtime import Runtime

DEFAULT_MAX_BODY_BYTES = 1 << 20


def create_app(runtime: Runtime, *, max_body_bytes: int = DEFAULT_MAX_BODY_BYTES) -> FastAPI:
    """The ASGI app serving ``runtime``; OpenAPI docs at ``/docs``, liveness at ``/healthz``."""
    app = FastAPI(
        title="onec-bridge",
        summary="Connector between 1C:CRM and employee time trackers",
        docs_url="/docs",
        redoc_url=None,
    )
    app.state.runtime = runtime
    install_error_handlers(app)
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=max_body_bytes)
    app.add_middleware(RequestIdMiddleware)

    @app.get("/healthz", tags=["ops"])
    def healthz() -> dict[str, Any]:
        """Liveness: the process answers (no dependency is checked here)."""
        return {"status": "ok"}

    app.include_router(tracker_feed.router)
    app.include_router(intake.router)
    # --- routers of other areas: one include_router line each ---------------------------------
    app.include_router(webhooks.router)
    app.include_router(resync.router)
    app.include_router(ops.router)
    app.include_router(reports.router)
    app.include_router(billing.router)
    app.include_router(tracker_ops.router)
    console.install(app)
    # (1C webhooks: connector.api.webhooks; ops: resync, runs, failures, reports, metrics)
    # --- end of routers ------------------------------------------------------------------------
    return app
