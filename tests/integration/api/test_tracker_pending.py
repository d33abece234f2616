"""Bitcop, honestly: its API cannot create tasks, so the connector lists what its admin must
create by hand (exact code-prefixed names, assignees), drops each task once Bitcop has it, and
lists time booked on tasks no 1C object stands behind — over real HTTP against the mock account."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
import requests
from pydantic import SecretStr
from typer.testing import CliRunner

from connector.cli import app as cli_app
from connector.store.labour import TimeRowData, replace_time_rows
from connector.store.links import upsert_employee
from testbed.connector_app import FEED_TOKEN, RunningConnector, running_connector
from testbed.mocktracker import MockTracker, running_mock_tracker
from tests.integration.api.feed_helpers import put_task


@pytest.fixture(scope="module")
def bitcop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[RunningConnector, MockTracker]]:
    store = f"sqlite:///{tmp_path_factory.mktemp('pending') / 'store.db'}"
    with running_connector(store) as app:
        for n in range(1, 5):
            put_task(app.runtime.sessions, n, f"CRM-{n:06d}", who=("ivanov", "petrova"))
        put_task(app.runtime.sessions, 5, "CRM-000005", status="closed")
        with running_mock_tracker(feed_url=app.url + "/tracker/v1/tasks", feed_token=FEED_TOKEN) as mt:
            app.runtime.settings.tracker_url = mt.api_url
            app.runtime.settings.tracker_api_key = SecretStr(mt.api_key)
            yield app, mt


def test_pending_tasks_name_each_task_and_leave_once_bitcop_has_it(
    bitcop: tuple[RunningConnector, MockTracker],
) -> None:
    app, mt = bitcop
    url = app.url + "/api/tracker/pending-tasks"
    body = requests.get(url, headers=app.admin_headers, timeout=30).json()
    assert body["tracker"] == "bitcop"
    assert [i["code"] for i in body["items"]] == [f"CRM-{n:06d}" for n in range(1, 5)]  # not the closed one
    first = body["items"][0]
    assert first["name"] == "[CRM-000001] Задача CRM-000001"
    assert first["assignees"] == ["ivanov.i@crm.example", "petrova.a@crm.example"]
    assert first["planned_hours"] == 10.0
    csv = requests.get(url, params={"format": "csv"}, headers=app.admin_headers, timeout=30)
    lines = csv.text.splitlines()
    assert csv.headers["content-type"].startswith("text/csv")
    assert lines[0].startswith("code,name,assignees") and len(lines) == 5
    assert '"ivanov.i@crm.example, petrova.a@crm.example"' in lines[1]
    # Bitcop's admin creates them (here: the account imports the feed) → the list empties.
    assert mt.sync_feed()["result"] == "imported"
    after = requests.get(url, headers=app.admin_headers, timeout=30).json()
    assert after["items"] == [] and after["count"] == 0
    put_task(app.runtime.sessions, 6, "CRM-000006")  # a new interest in 1C: pending again
    assert [i["code"] for i in requests.get(url, headers=app.admin_headers, timeout=30).json()["items"]] == [
        "CRM-000006"
    ]


def test_a_feed_only_tracker_is_not_pushed_to(bitcop: tuple[RunningConnector, MockTracker]) -> None:
    app, _ = bitcop
    answer = requests.post(app.url + "/api/tracker/push", headers=app.admin_headers, timeout=30)
    assert answer.status_code == 409
    assert "pending-tasks" in answer.text
    info = requests.get(app.url + "/api/tracker", headers=app.admin_headers, timeout=30).json()
    assert info["kind"] == "bitcop" and info["roles"] == ["time source", "directory"]


def test_time_on_tasks_without_a_1c_object_is_listed_with_its_hours(
    bitcop: tuple[RunningConnector, MockTracker],
) -> None:
    app, _ = bitcop
    with app.runtime.sessions.begin() as s:
        upsert_employee(
            s,
            onec_user_ref="11111111-0000-0000-0000-000000000001",
            email="ivanov.i@crm.example",
            name="Иванов Иван",
            how_matched="email",
            tracker_employee_id="101",
        )
        replace_time_rows(
            s,
            date(2026, 3, 2),
            date(2026, 3, 3),
            [
                TimeRowData("101", "CRM-000001", date(2026, 3, 2), 3600, "pull", None),  # ours
                TimeRowData("101", "#5099", date(2026, 3, 2), 5400, "pull", None),  # no code at all
                TimeRowData("101", "#5099", date(2026, 3, 3), 1800, "pull", None),
                TimeRowData("102", "CRM-999999", date(2026, 3, 3), 900, "pull", None),  # a mistyped code
            ],
        )
    body = requests.get(
        app.url + "/api/tracker/unmatched-time",
        params={"from": "2026-03-01", "to": "2026-03-31"},
        headers=app.admin_headers,
        timeout=30,
    ).json()
    rows = [
        (r["employee"], r["task_code"], r["tracker_task_id"], r["hours"], r["days"]) for r in body["items"]
    ]
    assert rows == [("Иванов Иван", None, "5099", 2.0, 2), ("102", "CRM-999999", None, 0.25, 1)]
    reversed_ = requests.get(
        app.url + "/api/tracker/unmatched-time",
        params={"from": "2026-03-31", "to": "2026-03-01"},
        headers=app.admin_headers,
        timeout=30,
    )
    assert reversed_.status_code == 422 and "swap" in reversed_.text


def test_the_cli_prints_the_list_as_csv(bitcop: tuple[RunningConnector, MockTracker], tmp_path: Path) -> None:
    app, mt = bitcop
    put_task(app.runtime.sessions, 7, "CRM-000007", title="Новая <заявка>")
    env = {
        "ONEC_BRIDGE_DATABASE_URL": app.runtime.settings.database_url,
        "ONEC_BRIDGE_TRACKER_URL": mt.api_url,
        "ONEC_BRIDGE_TRACKER_API_KEY": mt.api_key,
        "ONEC_BRIDGE_MAPPINGS_DIR": str(app.runtime.settings.mappings_dir),
    }
    result = CliRunner().invoke(cli_app, ["tracker", "pending", "--csv"], env=env)
    assert result.exit_code == 0, result.output
    assert "CRM-000007,[CRM-000007] Новая <заявка>," in result.output
    wrong = CliRunner().invoke(
        cli_app, ["tracker", "pending"], env=env | {"ONEC_BRIDGE_TRACKER_API_KEY": "nope"}
    )
    assert wrong.exit_code == 2
    assert "ONEC_BRIDGE_TRACKER_API_KEY" in wrong.output and "Traceback" not in wrong.output
