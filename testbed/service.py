"""``onec-bridge serve`` as a real subprocess wired to running mocks, for the service's tests.

``service_env(...)`` builds the ``ONEC_BRIDGE_*`` environment a deployment would set;
``running_service(env)`` starts the console script on a free loopback port and yields its URL,
admin headers and captured log.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from testbed.servers import ServerProcess, free_port, script

ADMIN_TOKEN = "admin-token-service-tests-0123456789"
FEED_TOKEN = "feed-token-service-tests-9876543210"
WEBHOOK_SECRET = "webhook-secret-service-tests-555"


def service_env(
    database_url: str,
    onec_url: str,
    onec_password: str,
    tracker_url: str,
    tracker_api_key: str,
    mappings_dir: Path,
    **extra: str,
) -> dict[str, str]:
    """The connector's settings as environment variables (known test tokens)."""
    env = {
        "ONEC_BRIDGE_DATABASE_URL": database_url,
        "ONEC_BRIDGE_ONEC_URL": onec_url,
        "ONEC_BRIDGE_ONEC_USER": "Интегратор",
        "ONEC_BRIDGE_ONEC_PASSWORD": onec_password,
        "ONEC_BRIDGE_TRACKER_URL": tracker_url,
        "ONEC_BRIDGE_TRACKER_API_KEY": tracker_api_key,
        "ONEC_BRIDGE_TRACKER_FEED_TOKEN": FEED_TOKEN,
        "ONEC_BRIDGE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "ONEC_BRIDGE_ADMIN_TOKEN": ADMIN_TOKEN,
        "ONEC_BRIDGE_MAPPINGS_DIR": str(mappings_dir),
        "ONEC_BRIDGE_ONEC_EXCHANGE_NODE": "TT",
        "ONEC_BRIDGE_LOG_FORMAT": "json",
    }
    env.update(extra)
    return env


@dataclass
class RunningService:
    url: str
    process: ServerProcess

    @property
    def admin(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {ADMIN_TOKEN}"}

    def log(self) -> str:
        return self.process.output()


@contextlib.contextmanager
def running_service(
    env: dict[str, str], *, port: int | None = None, scheduler: bool = True, cwd: Path | None = None
) -> Iterator[RunningService]:
    """``onec-bridge serve`` on 127.0.0.1 until the block ends (SIGTERM: graceful shutdown)."""
    port = port or free_port()
    argv = [script("onec-bridge"), "serve", "--host", "127.0.0.1", "--port", str(port)]
    if not scheduler:
        argv.append("--no-scheduler")
    url = f"http://127.0.0.1:{port}"
    proc = ServerProcess(argv, ready_url=f"{url}/healthz", env=env, cwd=cwd)
    with proc:
        yield RunningService(url, proc)
