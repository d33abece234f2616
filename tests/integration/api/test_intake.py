"""``POST /tracker/v1/time-entries`` over real HTTP on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import requests

from connector.store.entries import entries_in_window
from testbed.connector_app import RunningConnector, running_connector
from tests.integration.api.feed_helpers import put_employee, put_task

URL = "/tracker/v1/time-entries"
WIDE = (datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC))


@pytest.fixture
def intake(store_url: str) -> Iterator[RunningConnector]:
    with running_connector(store_url) as app:
        sessions = app.runtime.sessions
        put_employee(sessions, 1, "Ivanov.I@crm.example", "Иванов Иван", "bc-1")
        put_employee(sessions, 2, "petrova.a@crm.example", "Петрова Анна", "bc-2")
        put_task(sessions, 1, "CRM-000512")
        yield app


def post(app: RunningConnector, body: Any) -> requests.Response:
    return requests.post(app.url + URL, json=body, headers=app.feed_headers, timeout=30)


def entry(entry_id: str, **fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": entry_id,
        "employee_email": "ivanov.i@crm.example",
        "task_code": "CRM-000512",
        "start": "2025-03-03T09:00:00+03:00",
        "end": "2025-03-03T10:30:00+03:00",
    }
    base.update(fields)
    return {k: v for k, v in base.items() if v is not None}


def stored(app: RunningConnector, include_deleted: bool = False) -> dict[str, Any]:
    with app.runtime.sessions() as session:
        return {e.entry_id: e for e in entries_in_window(session, *WIDE, include_deleted=include_deleted)}


def test_each_bad_entry_is_rejected_with_its_reason_and_the_rest_accepted(intake: RunningConnector) -> None:
    batch = [
        entry("ok-email", employee_email="IVANOV.I@CRM.EXAMPLE", evidence_url="https://t.example/s/1"),
        entry("ok-tracker-id", employee_email=None, employee_id="bc-2", end=None, seconds=1800),
        entry("ok-static", task_code="SALES-COMMERCIAL"),
        entry("unknown-employee", employee_email="stranger@crm.example"),
        entry("unknown-tracker-id", employee_email=None, employee_id="bc-999"),
        entry("unknown-task", task_code="CRM-999999"),
        entry("backwards", end="2025-03-03T08:00:00+03:00"),
        entry("negative", end=None, seconds=-60),
        entry("too-long", end="2025-03-04T09:00:01+03:00"),
        entry("naive", start="2025-03-03T09:00:00"),
        entry("garbage-time", start="03.03.2025 9:00"),
        entry("", task_code="CRM-000512"),
        entry("nul-code", task_code="CRM-000512\x00"),
        {"employee_email": "ivanov.i@crm.example", "task_code": "CRM-000512"},
        "not an object",
    ]
    resp = post(intake, {"entries": batch})
    assert resp.status_code == 202, resp.text
    body = resp.json()
    results = body["results"]
    assert [r["id"] for r in results][:11] == [e["id"] for e in batch[:11] if isinstance(e, dict)]
    reasons = {r["id"]: r["reason"] for r in results if r["status"] == "rejected" and r["id"]}
    assert reasons == {
        "unknown-employee": "unknown employee stranger@crm.example",
        "unknown-tracker-id": "unknown employee employee_id bc-999",
        "unknown-task": "unknown task code CRM-999999",
        "backwards": "end before start",
        "negative": "negative duration",
        "too-long": "duration over 24 h",
        "naive": "start has no time zone offset (give Z or +03:00)",
        "garbage-time": "start is not an ISO 8601 timestamp",
        "nul-code": "task_code is too long or has control characters",
    }
    anonymous = [r for r in results if r["id"] is None]
    assert len(anonymous) == 3
    assert all(r["status"] == "rejected" and r["reason"] for r in anonymous)
    assert (body["accepted"], body["unchanged"], body["rejected"]) == (3, 0, 12)

    rows = stored(intake)
    assert set(rows) == {"ok-email", "ok-tracker-id", "ok-static"}
    first = rows["ok-email"]
    assert first.start_at == datetime(2025, 3, 3, 6, 0, tzinfo=UTC)
    assert first.seconds == 5400
    assert first.evidence_url == "https://t.example/s/1"
    assert first.onec_user_ref == "00000000-0000-0000-0000-000000009001"
    assert first.onec_employee_ref == "00000000-0000-0000-0000-000000008001"
    assert rows["ok-tracker-id"].end_at == datetime(2025, 3, 3, 6, 30, tzinfo=UTC)
    assert rows["ok-tracker-id"].onec_employee_ref == "00000000-0000-0000-0000-000000008002"


def test_replaying_a_batch_changes_nothing(intake: RunningConnector) -> None:
    batch = [entry("a"), entry("b", start="2025-03-04T09:00:00Z", end="2025-03-04T11:00:00Z")]
    assert post(intake, batch).json()["accepted"] == 2
    before = stored(intake)
    again = post(intake, batch).json()
    assert (again["accepted"], again["unchanged"], again["rejected"]) == (0, 2, 0)
    assert [r["status"] for r in again["results"]] == ["unchanged", "unchanged"]
    assert stored(intake) == before


def test_a_changed_entry_replaces_the_stored_one_and_deleted_tombstones_it(intake: RunningConnector) -> None:
    post(intake, [entry("a"), entry("b"), entry("c")])
    edit = post(intake, [entry("a", end="2025-03-03T12:00:00+03:00", employee_email="petrova.a@crm.example")])
    assert edit.json()["results"][0]["status"] == "accepted"
    rows = stored(intake)
    assert rows["a"].seconds == 3 * 3600
    assert rows["a"].employee_email == "petrova.a@crm.example"
    assert rows["a"].received_at < rows["a"].updated_at

    gone = post(
        intake, [entry("b", deleted=True), {"id": "c", "deleted": True}, {"id": "zz", "deleted": True}]
    )
    assert [r["status"] for r in gone.json()["results"]] == ["accepted", "accepted", "unchanged"]
    assert set(stored(intake)) == {"a"}
    tombstones = stored(intake, include_deleted=True)
    assert tombstones["b"].deleted and tombstones["c"].deleted
    replay = post(intake, [{"id": "c", "deleted": True}]).json()
    assert replay["results"][0]["status"] == "unchanged"
    revived = post(intake, [entry("c")]).json()
    assert revived["results"][0]["status"] == "accepted"
    assert "c" in stored(intake)


def test_a_bare_list_body_is_accepted_too(intake: RunningConnector) -> None:
    resp = post(intake, [entry("x")])
    assert resp.status_code == 202
    assert resp.json()["accepted"] == 1


def test_a_batch_over_1000_entries_is_refused_whole(intake: RunningConnector) -> None:
    resp = post(intake, {"entries": [{"id": str(i)} for i in range(1001)]})
    assert resp.status_code == 413
    assert "1001" in resp.json()["message"] and "1000" in resp.json()["message"]
    assert stored(intake, include_deleted=True) == {}


@pytest.mark.parametrize(
    ("data", "status", "fragment"),
    [
        (b"{not json", 400, "not valid JSON"),
        (b"\xff\xfe", 400, "not valid JSON"),
        (b'{"items": []}', 422, "entries"),
        (b'"just a string"', 422, "entries"),
        (b"[" * 100_000 + b"]" * 100_000, 400, "not valid JSON"),
    ],
)
def test_unusable_bodies_get_a_clear_error_without_traceback(
    intake: RunningConnector, data: bytes, status: int, fragment: str
) -> None:
    resp = requests.post(
        intake.url + URL,
        data=data,
        headers={**intake.feed_headers, "Content-Type": "application/json"},
        timeout=30,
    )
    assert resp.status_code == status
    assert fragment in resp.json()["message"]
    assert "Traceback" not in resp.text
