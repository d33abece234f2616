"""The connector's HTTP app served for integration tests: a Runtime on a given store, real uvicorn.

Usage::

    with running_connector(store_url, tracker_feed_token="T") as app:
        requests.get(app.url + "/tracker/v1/tasks", headers=app.feed_headers)
        with app.runtime.sessions() as session: ...

``make_runtime`` builds a :class:`Runtime` on ``store_url`` (upgraded to head by the packaged
migrations) with test-friendly settings; keyword overrides are ``Settings`` field names.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from connector.api.app import create_app
from connector.mapping.schema import Mapping
from connector.runtime import Runtime
from connector.settings import Settings
from connector.store.migrate import upgrade
from testbed.servers import REPO_ROOT, ThreadedServer

FEED_TOKEN = "feed-token-for-connector-tests"
ADMIN_TOKEN = "admin-token-for-connector-tests"
WEBHOOK_SECRET = "webhook-secret-for-connector-tests"
EXAMPLE_MAPPINGS = REPO_ROOT / "mappings"


def make_settings(store_url: str, mappings_dir: Path | None = None, **overrides: Any) -> Settings:
    """Settings for tests: known tokens, the example mappings, no ``.env`` file read."""
    values: dict[str, Any] = {
        "database_url": store_url,
        "mappings_dir": mappings_dir or EXAMPLE_MAPPINGS,
        "tracker_feed_token": FEED_TOKEN,
        "admin_token": ADMIN_TOKEN,
        "webhook_secret": WEBHOOK_SECRET,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def make_runtime(
    store_url: str,
    mappings_dir: Path | None = None,
    *,
    mappings: list[Mapping] | None = None,
    migrate: bool = True,
    **overrides: Any,
) -> Runtime:
    """A Runtime on ``store_url`` (migrated to head unless ``migrate=False``)."""
    if migrate:
        upgrade(store_url)
    settings = make_settings(store_url, mappings_dir, **overrides)
    return Runtime.from_settings(settings, mappings=mappings)


@dataclass
class RunningConnector:
    """A served connector app: its base URL, runtime and ready-made auth headers."""

    url: str
    runtime: Runtime
    server: ThreadedServer

    @property
    def feed_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.runtime.settings.tracker_feed_token.get_secret_value()}"}

    @property
    def admin_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.runtime.settings.admin_token.get_secret_value()}"}


@contextlib.contextmanager
def serve_runtime(runtime: Runtime, **app_options: Any) -> Iterator[RunningConnector]:
    """Serve ``create_app(runtime)`` on a free loopback port until the block ends."""
    with ThreadedServer(create_app(runtime, **app_options)) as server:
        yield RunningConnector(url=server.url, runtime=runtime, server=server)


@contextlib.contextmanager
def running_connector(
    store_url: str,
    mappings_dir: Path | None = None,
    *,
    mappings: list[Mapping] | None = None,
    app_options: dict[str, Any] | None = None,
    **overrides: Any,
) -> Iterator[RunningConnector]:
    """Migrate ``store_url``, build a Runtime with ``overrides`` and serve it; closes it afterwards."""
    runtime = make_runtime(store_url, mappings_dir, mappings=mappings, **overrides)
    try:
        with serve_runtime(runtime, **(app_options or {})) as running:
            yield running
    finally:
        runtime.close()
