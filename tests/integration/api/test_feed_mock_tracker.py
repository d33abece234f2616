"""The mock tracker imports the connector's real feed over HTTP (pages, ETag 304, closed tasks)."""

from __future__ import annotations

from pathlib import Path

import pytest

from testbed.connector_app import FEED_TOKEN, running_connector
from testbed.mocktracker import running_mock_tracker
from tests.integration.api.feed_helpers import put_task


@pytest.mark.slow
def test_mock_tracker_imports_every_page_and_then_gets_304(tmp_path: Path) -> None:
    with running_connector(f"sqlite:///{tmp_path / 'store.db'}") as app:
        sessions = app.runtime.sessions
        for n in range(1, 251):
            put_task(sessions, n, f"CRM-{n:06d}", who=("ivanov", "petrova"))
        put_task(sessions, 251, "CRM-000251", status="closed")
        with running_mock_tracker(feed_url=app.url + "/tracker/v1/tasks", feed_token=FEED_TOKEN) as mt:
            first = mt.sync_feed()
            assert first["result"] == "imported"
            assert first["pages"] == 2
            assert first["items"] == 251
            assert mt.sync_feed()["result"] == "not_modified"
            put_task(sessions, 7, "CRM-000007", title="Переименована")
            assert mt.sync_feed()["result"] == "imported"
            tasks = mt.api_get("tasks").json()["items"]
    names = " ".join(str(t) for t in tasks)
    assert "CRM-000250" in names
    assert "Переименована" in names
