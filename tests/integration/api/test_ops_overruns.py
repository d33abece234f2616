"""GET /api/overruns over real HTTP: worst first, filtered by level, admin token only."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from testbed.connector_app import RunningConnector, running_connector
from tests.integration.api.feed_helpers import put_task, set_actuals


@pytest.fixture
def connector(store_url: str) -> Iterator[RunningConnector]:
    with running_connector(store_url) as running:
        sessions = running.runtime.sessions
        # planned 600 min each: 900 → alert (150 %), 700 → alert (117 %), 500 → warn, 100 → none
        for n, (code, actual, state) in enumerate(
            [
                ("T-ALERT-1", 700, "alert"),
                ("T-WARN", 500, "warn"),
                ("T-ALERT-2", 900, "alert"),
                ("T-OK", 100, "none"),
            ]
        ):
            put_task(sessions, n + 1, code)
            set_actuals(sessions, code, actual, state)
        yield running


def test_overruns_list_alerts_before_warnings_and_the_worst_first(connector: RunningConnector) -> None:
    answer = requests.get(f"{connector.url}/api/overruns", headers=connector.admin_headers, timeout=10)
    assert answer.status_code == 200
    items = answer.json()["items"]
    assert [i["task_code"] for i in items] == ["T-ALERT-2", "T-ALERT-1", "T-WARN"]
    assert items[0]["percent"] == pytest.approx(150.0)
    assert {i["level"] for i in items} == {"object"}


def test_overruns_filtered_by_level(connector: RunningConnector) -> None:
    answer = requests.get(
        f"{connector.url}/api/overruns", params={"level": "warn"}, headers=connector.admin_headers, timeout=10
    )
    assert [i["task_code"] for i in answer.json()["items"]] == ["T-WARN"]


def test_overruns_refuse_an_unknown_level_and_a_missing_token(connector: RunningConnector) -> None:
    bad = requests.get(
        f"{connector.url}/api/overruns", params={"level": "red"}, headers=connector.admin_headers, timeout=10
    )
    assert bad.status_code == 422 and "Traceback" not in bad.text
    assert requests.get(f"{connector.url}/api/overruns", timeout=10).status_code == 401
    feed = requests.get(f"{connector.url}/api/overruns", headers=connector.feed_headers, timeout=10)
    assert feed.status_code == 401
