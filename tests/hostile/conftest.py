"""The connector served for real (uvicorn on loopback, SQLite store at head) for hostile input.

1C and the tracker point at loopback ports nothing listens on, so endpoints that probe them
answer quickly. ``HOSTILE_EXAMPLES`` scales every property's case count (``make test`` keeps
it modest; see README.md for the large run).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from testbed.connector_app import make_runtime, serve_runtime
from testbed.servers import free_port
from tests.hostile.support import HostileTarget


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HostileTarget]:
    """One served connector per test module; tests compare store row counts around each case."""
    db = Path(tmp_path_factory.mktemp("hostile")) / "store.db"
    runtime = make_runtime(
        f"sqlite:///{db}",
        onec_url=f"http://127.0.0.1:{free_port()}/crm",
        tracker_url=f"http://127.0.0.1:{free_port()}/api/v1",
    )
    try:
        with serve_runtime(runtime) as running:
            yield HostileTarget(running)
    finally:
        runtime.close()
