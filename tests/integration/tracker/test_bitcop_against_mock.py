"""The Bitcop adapter against a running mock tracker over real HTTP on loopback.

The account (time zone Europe/Moscow) imports its tasks from a small feed served here, then
simulates a week of work; an explicit session crossing local midnight is added on top. What
the adapter reads must equal the account's ground truth (``/_mock/truth``) whatever the time
zone of the process running the adapter.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

import pytest
import requests

from connector.tracker.bitcop import BitcopTracker
from connector.tracker.errors import TrackerAuthError, TrackerUnavailable
from testbed.mocktracker import MockTracker, running_mock_tracker
from testbed.servers import REPO_ROOT, ThreadedServer
from tests.integration.tracker.feed_app import FEED_TASKS, FEED_TOKEN, feed_app

BEGIN, END = "2025-03-03", "2025-03-10"
MIDNIGHT_ENTRY = {
    "employee_email": "ivanov.i@crm.example",
    "task_code": "SRV-7",
    "start": "2025-03-04T23:20:00+03:00",
    "end": "2025-03-05T01:10:00+03:00",
}


@pytest.fixture(scope="module")
def account() -> Iterator[MockTracker]:
    with (
        ThreadedServer(feed_app()) as feed,
        running_mock_tracker(
            feed_url=f"{feed.url}/tracker/v1/tasks", feed_token=FEED_TOKEN, timezone="Europe/Moscow"
        ) as mock,
    ):
        mock.sync_feed()
        mock.simulate(BEGIN, 7)
        requests.post(f"{mock.admin_url}/entries", json=MIDNIGHT_ENTRY, timeout=30).raise_for_status()
        yield mock


def adapter(mock: MockTracker, key: str | None = None, **options: Any) -> BitcopTracker:
    options = {"rate_limit": 200.0, "sleep": lambda s: None, **options}
    return BitcopTracker(mock.api_url, key or mock.api_key, **options)


def read_in_process_with_tz(mock: MockTracker, tz: str) -> dict[str, Any]:
    env = {**os.environ, "TZ": tz}
    argv = [
        sys.executable,
        "-m",
        "tests.integration.tracker.dump_time",
        mock.api_url,
        mock.api_key,
        BEGIN,
        END,
    ]
    done = subprocess.run(
        argv, env=env, cwd=REPO_ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    return dict(json.loads(done.stdout))


def test_employees_are_the_accounts_employees(account: MockTracker) -> None:
    published = account.api_get("employees").json()["items"]
    got = {(e.id, e.email, e.active) for e in adapter(account).employees()}
    assert got == {(str(p["id"]), p["email"], p["active"]) for p in published}
    emails = {e.lower() for _, e, _ in got if e}
    assert {"ivanov.i@crm.example", "petrova.a@crm.example", "sidorov.p@crm.example"} <= emails
    assert any(not active for _, _, active in got), "the account has a former employee"


def test_tasks_are_matched_back_to_feed_codes(account: MockTracker) -> None:
    tasks = adapter(account).tasks()
    assert {t.code for t in tasks} == {t["code"] for t in FEED_TASKS}
    by_code = {t.code: t for t in tasks}
    assert not by_code["CRM-000100"].active
    assert by_code["ИНТ-00042"].name == "[ИНТ-00042] Продажа лицензий"


@pytest.mark.parametrize("process_tz", ["UTC", "Asia/Vladivostok"])
def test_time_per_day_equals_the_accounts_truth_under_any_process_time_zone(
    account: MockTracker, process_tz: str
) -> None:
    truth = {
        (t["employee_email"], t["task_code"], t["date"]): t["seconds"] for t in account.truth(BEGIN, END)
    }
    read = read_in_process_with_tz(account, process_tz)
    got = {(email, code, day): seconds for _, email, _, code, day, seconds in read["time"]}
    assert truth, "the simulation produced work"
    assert got == truth
    ivanov = next(email for email, _, _ in got if email.lower() == "ivanov.i@crm.example")
    assert got[(ivanov, "SRV-7", "2025-03-04")] >= 40 * 60
    assert got[(ivanov, "SRV-7", "2025-03-05")] >= 70 * 60


def test_evidence_links_belong_to_tracked_time_and_resolve(account: MockTracker) -> None:
    read = read_in_process_with_tz(account, "Asia/Vladivostok")
    tracked = {(emp, task, day) for emp, _, task, _, day, _ in read["time"]}
    evidence = read["evidence"]
    assert evidence, "simulated work has screenshots"
    for emp, task, code, day, urls in evidence:
        assert (emp, task, day) in tracked
        assert code in {t["code"] for t in FEED_TASKS}
        assert urls and all(account.api_key not in url for url in urls)
    covered = {(emp, task, day) for emp, task, _, day, _ in evidence}
    assert len(covered) >= len(tracked) // 2
    first_url = evidence[0][4][0]
    shot = requests.get(first_url, timeout=30)
    assert shot.status_code == 200 and shot.headers["content-type"] == "image/png"


def test_a_switched_off_api_is_reported_as_unavailable_after_retries(account: MockTracker) -> None:
    switch = f"{account.admin_url}/api-switch"
    requests.post(switch, json={"enabled": False}, timeout=30).raise_for_status()
    try:
        with pytest.raises(TrackerUnavailable, match="Web API is disabled") as info:
            adapter(account, max_attempts=3).employees()
        assert info.value.retriable and info.value.status == 503
    finally:
        requests.post(switch, json={"enabled": True}, timeout=30).raise_for_status()
    assert adapter(account).employees()


def test_a_wrong_key_is_an_auth_error_and_not_retried(account: MockTracker) -> None:
    requests.post(f"{account.admin_url}/reset-stats", timeout=30).raise_for_status()
    with pytest.raises(TrackerAuthError) as info:
        adapter(account, key="wrong-key", max_attempts=5).employees()
    assert not info.value.retriable and info.value.status == 401
    stats = requests.get(f"{account.admin_url}/stats", timeout=30).json()
    assert stats["requests"]["/api/v1/employees"] == {"401": 1}


def test_the_api_key_never_appears_in_logs_or_error_texts(
    account: MockTracker, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    texts: list[str] = []
    tracker = adapter(account)
    list(tracker.time_per_day(date(2025, 3, 4), date(2025, 3, 6)))
    list(tracker.evidence(date(2025, 3, 4), date(2025, 3, 5)))
    for failing in (
        adapter(account, key=account.api_key + "-x"),
        BitcopTracker("http://127.0.0.1:1/api/v1", account.api_key, max_attempts=2, sleep=lambda s: None),
    ):
        with pytest.raises(Exception) as info:
            failing.employees()
        texts.append(str(info.value))
        texts.append(repr(info.value))
    requests.post(f"{account.admin_url}/api-switch", json={"enabled": False}, timeout=30)
    try:
        with pytest.raises(TrackerUnavailable) as info:
            adapter(account, max_attempts=1).tasks()
        texts.append(str(info.value))
    finally:
        requests.post(f"{account.admin_url}/api-switch", json={"enabled": True}, timeout=30)
    logged = caplog.text + "\n".join(r.getMessage() for r in caplog.records)
    assert "apikey=***" in logged, "requests were logged (urllib3 and ours), redacted"
    assert account.api_key not in logged
    assert all(account.api_key not in text for text in texts)


def test_time_is_read_one_day_per_request_in_employee_batches(account: MockTracker) -> None:
    tracker = adapter(account, employees_per_request=2)
    employees = len(tracker.employees())
    requests.post(f"{account.admin_url}/reset-stats", timeout=30).raise_for_status()
    list(tracker.time_per_day(date(2025, 3, 4), date(2025, 3, 7)))
    counts = requests.get(f"{account.admin_url}/stats", timeout=30).json()["requests"]
    batches = -(-employees // 2)
    assert counts["/api/v1/tasks/activity"] == {"200": 3 * batches}
    assert counts["/api/v1/employees"] == {"200": 1}
    assert counts["/api/v1/tasks"] == {"200": 1}


def test_rereading_a_window_shows_edits_and_deletions(account: MockTracker) -> None:
    day, next_day = date(2025, 3, 6), date(2025, 3, 7)
    tracker = adapter(account)
    emails = {e.id: e.email for e in tracker.employees()}

    def read() -> dict[tuple[str | None, str | None, str], int]:
        return {
            (emails[t.employee_id], t.task_code, t.day.isoformat()): t.seconds
            for t in tracker.time_per_day(day, next_day)
        }

    before = read()
    listed = requests.get(
        f"{account.admin_url}/entries",
        params={"begin": day.isoformat(), "end": next_day.isoformat()},
        timeout=30,
    ).json()["items"]
    inside = [e for e in listed if e["simulated"] and e["start"][:10] == e["end"][:10] == day.isoformat()]
    assert len(inside) >= 2, "the simulated day has sessions to edit"
    edited, deleted = inside[0], inside[1]
    five_minutes_later = (datetime.fromisoformat(edited["start"]) + timedelta(minutes=5)).isoformat()
    try:
        requests.patch(
            f"{account.admin_url}/entries/{edited['id']}", json={"end": five_minutes_later}, timeout=30
        ).raise_for_status()
        requests.delete(f"{account.admin_url}/entries/{deleted['id']}", timeout=30).raise_for_status()
        after = read()
        truth = {
            (t["employee_email"], t["task_code"], t["date"]): t["seconds"]
            for t in account.truth(day.isoformat(), next_day.isoformat())
        }
        assert after == truth
        assert sum(after.values()) == sum(before.values()) - (edited["seconds"] - 300) - deleted["seconds"]
    finally:
        account.simulate(BEGIN, 7)
