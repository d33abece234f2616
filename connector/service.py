"""``onec-bridge serve``: the API (uvicorn) and the scheduler in one process.

Start-up: logging with redaction, the store migrated to head (serialised across replicas by a
PostgreSQL advisory lock), the runtime, the app, the jobs. Shutdown (SIGTERM/SIGINT): uvicorn
stops accepting and finishes in-flight requests, then the scheduler stops firing, waits for
running jobs to finish, and hands anything this process still holds claimed back to the queue,
so another replica takes it at once instead of after the claim lease.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import uvicorn
from sqlalchemy import text

from connector.logs import configure_logging
from connector.metrics import Metrics, default_metrics
from connector.runtime import Runtime
from connector.scheduler import JobScheduler
from connector.settings import Settings
from connector.store.db import is_postgresql, make_engine
from connector.store.migrate import upgrade

log = logging.getLogger(__name__)
MIGRATION_LOCK_KEY = 0x1C_B21D6E  # any constant shared by all replicas


def secrets_of(settings: Settings) -> list[str]:
    """Every secret value of the settings, for the log redaction filter."""
    values = [
        settings.onec_password,
        settings.tracker_api_key,
        settings.tracker_feed_token,
        settings.webhook_secret,
        settings.admin_token,
    ]
    out = [v.get_secret_value() for v in values]
    with contextlib.suppress(Exception):
        from sqlalchemy.engine import make_url

        password = make_url(settings.database_url).password
        if password:
            out.append(str(password))
    return [v for v in out if v]


def migrate(database_url: str) -> str | None:
    """Upgrade the store to head; on PostgreSQL one replica at a time (a blocking advisory lock)."""
    engine = make_engine(database_url)
    try:
        if not is_postgresql(engine):
            return upgrade(database_url)
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": MIGRATION_LOCK_KEY})
            try:
                return upgrade(database_url)
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": MIGRATION_LOCK_KEY})
    finally:
        engine.dispose()


def instrument(runtime: Runtime, metrics: Metrics) -> None:
    """Count and time the HTTP responses of the 1C and tracker clients (best effort)."""
    with contextlib.suppress(Exception):
        metrics.instrument(runtime.onec.http.session, "onec")
    with contextlib.suppress(Exception):
        session = runtime.tracker._client._session  # type: ignore[attr-defined]
        metrics.instrument(session, "tracker")


def build_app(runtime: Runtime, metrics: Metrics) -> Any:
    """The HTTP app of the service with its metrics attached."""
    from connector.api.app import create_app

    app = create_app(runtime)
    app.state.metrics = metrics
    metrics.ensure_store(runtime.sessions)
    return app


def serve(settings: Settings, host: str, port: int, *, scheduler: bool = True) -> None:
    """Run until SIGTERM/SIGINT; returns after a graceful shutdown."""
    configure_logging(settings.log_format, secrets=secrets_of(settings))
    revision = migrate(settings.database_url)
    log.info("store at revision %s", revision)
    runtime = Runtime.from_settings(settings)
    metrics = default_metrics()
    instrument(runtime, metrics)
    app = build_app(runtime, metrics)
    jobs = JobScheduler(runtime, metrics) if scheduler else None
    config = uvicorn.Config(
        app, host=host, port=port, log_config=None, access_log=False, timeout_graceful_shutdown=20
    )
    server = uvicorn.Server(config)
    if jobs is not None:
        jobs.start()
    log.info("serving on http://%s:%d (scheduler %s)", host, port, "on" if jobs else "off")
    try:
        server.run()
    finally:
        if jobs is not None:
            jobs.shutdown()
        runtime.close()
        log.info("stopped")


@dataclass
class BackgroundService:
    """The API served from a thread of this process (the demo's connector); no signal handlers."""

    runtime: Runtime
    host: str
    port: int
    server: uvicorn.Server
    thread: threading.Thread

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(20)


@contextlib.contextmanager
def background_service(runtime: Runtime, host: str, port: int) -> Iterator[BackgroundService]:
    """Serve ``runtime``'s app in a thread until the block ends (no scheduler: the caller drives)."""
    metrics = default_metrics()
    instrument(runtime, metrics)
    config = uvicorn.Config(
        build_app(runtime, metrics), host=host, port=port, log_config=None, access_log=False
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="onec-bridge-api", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"the connector API did not start on {host}:{port}")
        time.sleep(0.02)
    service = BackgroundService(runtime, host, port, server, thread)
    try:
        yield service
    finally:
        service.stop()
