"""Admin edits of work and the ground truth they produce, over real HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from testbed.mocktracker import MockTracker, running_mock_tracker
from tests.integration.mock_tracker.fakefeed import FakeFeed

IVANOV = "ivanov.i@crm.example"


@pytest.fixture
def account(team_feed: tuple[FakeFeed, str]) -> Iterator[MockTracker]:
    fake, url = team_feed
    with running_mock_tracker(feed_url=url, feed_token=fake.token) as mt:
        mt.sync_feed()
        yield mt


@pytest.fixture(scope="module")
def refusing(team_feed: tuple[FakeFeed, str]) -> Iterator[MockTracker]:
    """One account for the requests it must refuse: a refused request changes nothing, so they
    share it (each test checks the refusal; the last checks that no entry was ever made)."""
    fake, url = team_feed
    with running_mock_tracker(feed_url=url, feed_token=fake.token) as mt:
        mt.sync_feed()
        yield mt


def _add(mt: MockTracker, **body: str) -> requests.Response:
    return requests.post(f"{mt.admin_url}/entries", json=body, timeout=10)


def _task_activity(mt: MockTracker, begin: str, end: str) -> list[tuple[int, str, int]]:
    items = mt.api_get("tasks/activity", begin=begin, end=end).json()["items"]
    return [(i["taskId"], i["date"], i["totalTime"]) for i in items]


def test_entry_crossing_midnight_counts_on_both_local_days(account: MockTracker) -> None:
    resp = _add(
        account,
        employee_email="IVANOV.I@crm.example",
        task_code="CRM-000101",
        start="2026-03-05T23:15:00+03:00",
        end="2026-03-05T21:45:00Z",  # 00:45 Moscow time on the 6th
    )
    assert resp.status_code == 201, resp.text
    entry = resp.json()
    assert entry["seconds"] == 5400 and entry["end"] == "2026-03-06T00:45:00+03:00"
    truth = account.truth("2026-03-05", "2026-03-07")
    assert [(t["date"], t["seconds"]) for t in truth] == [("2026-03-05", 2700), ("2026-03-06", 2700)]
    assert {t["employee_email"].lower() for t in truth} == {IVANOV} and {t["task_code"] for t in truth} == {
        "CRM-000101"
    }
    assert [(d, s) for _, d, s in _task_activity(account, "20260305", "20260307")] == [
        ("2026-03-05", 2700),
        ("2026-03-06", 2700),
    ]
    assert [(d, s) for _, d, s in _task_activity(account, "20260306", "20260307")] == [("2026-03-06", 2700)]


def test_edits_and_deletions_are_reflected_everywhere(account: MockTracker) -> None:
    entry = _add(
        account,
        employee_email=IVANOV,
        task_code="CRM-000101",
        start="2026-03-05T10:00:00+03:00",
        end="2026-03-05T11:00:00+03:00",
    ).json()
    patch = requests.patch(
        f"{account.admin_url}/entries/{entry['id']}",
        json={"task_code": "SVC-000103", "end": "2026-03-05T11:30:00+03:00"},
        timeout=10,
    )
    assert patch.status_code == 200 and patch.json()["seconds"] == 5400
    truth = account.truth("2026-03-05", "2026-03-06")
    assert [(t["task_code"], t["seconds"]) for t in truth] == [("SVC-000103", 5400)]
    listed = requests.get(
        f"{account.admin_url}/entries", params={"begin": "2026-03-05", "end": "2026-03-06"}
    ).json()
    assert [e["id"] for e in listed["items"]] == [entry["id"]]
    assert requests.delete(f"{account.admin_url}/entries/{entry['id']}", timeout=10).status_code == 204
    assert account.truth("2026-03-05", "2026-03-06") == []
    assert _task_activity(account, "20260305", "20260306") == []
    assert account.api_get("screenshots", begin="20260305", end="20260306").json()["items"] == []
    assert requests.delete(f"{account.admin_url}/entries/{entry['id']}", timeout=10).status_code == 404


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({"employee_email": "nobody@crm.example"}, "unknown employee"),
        ({"task_code": "NOPE-1"}, "unknown task"),
        ({"end": "2026-03-05T09:00:00+03:00"}, "end must be after start"),
        ({"end": "2026-03-07T10:00:00+03:00"}, "24 hours"),
        ({"start": "2026-03-05T10:00:00"}, "UTC offset"),
        ({"start": "yesterday"}, "start"),
        ({"extra": 1}, "extra"),
    ],
)
def test_bad_entries_are_refused_with_a_reason(refusing: MockTracker, body: dict, reason: str) -> None:
    full = {
        "employee_email": IVANOV,
        "task_code": "CRM-000101",
        "start": "2026-03-05T10:00:00+03:00",
        "end": "2026-03-05T11:00:00+03:00",
        **body,
    }
    resp = _add(refusing, **full)
    assert resp.status_code == 400
    assert resp.json()["status"] == "error" and reason in resp.json()["message"]
    assert "Traceback" not in resp.text


def test_patching_a_missing_entry_is_404(refusing: MockTracker) -> None:
    resp = requests.patch(
        f"{refusing.admin_url}/entries/424242", json={"task_code": "CRM-000101"}, timeout=10
    )
    assert resp.status_code == 404 and resp.json() == {"status": "error", "message": "no such entry"}


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"begin": "2026-03-05"},
        {"begin": "20260305", "end": "20260306"},
        {"begin": "2026-03-06", "end": "2026-03-05"},
    ],
)
def test_truth_needs_a_valid_period(refusing: MockTracker, params: dict) -> None:
    resp = requests.get(f"{refusing.admin_url}/truth", params=params, timeout=10)
    assert resp.status_code == 400 and resp.json()["status"] == "error"


@pytest.mark.parametrize(
    "body", [{"start": "2026-03-02"}, {"start": "x", "days": 3}, {"start": "2026-03-02", "days": 0}]
)
def test_simulate_refuses_bad_requests(refusing: MockTracker, body: dict) -> None:
    resp = requests.post(f"{refusing.admin_url}/simulate", json=body, timeout=10)
    assert resp.status_code == 400 and resp.json()["status"] == "error"


def _simulated(mt: MockTracker) -> tuple[list, list]:
    mt.simulate("2026-03-02", 21)
    entries = requests.get(f"{mt.admin_url}/entries", timeout=10).json()["items"]
    spans = [(e["employee_email"], e["task_code"], e["start"], e["end"]) for e in entries]
    return spans, mt.truth("2026-03-02", "2026-03-24")


def test_simulation_is_reproducible_for_a_fixed_seed(team_feed: tuple[FakeFeed, str]) -> None:
    fake, url = team_feed
    runs = []
    for seed in (42, 42, 43):
        with running_mock_tracker(feed_url=url, feed_token=fake.token, seed=seed) as mt:
            mt.sync_feed()
            runs.append(_simulated(mt))
    assert runs[0] == runs[1]
    assert runs[0] != runs[2]
    spans, truth = runs[0]
    assert len(spans) > 100 and truth
    days_with_crossing = {s[2][:10] for s in spans if s[2][:10] != s[3][:10]}
    assert days_with_crossing, "some simulated sessions cross local midnight"


def test_state_survives_a_restart_with_db(team_feed: tuple[FakeFeed, str], tmp_path: Path) -> None:
    fake, url = team_feed
    db = f"sqlite:///{tmp_path / 'tracker.db'}"
    with running_mock_tracker(feed_url=url, feed_token=fake.token, db=db) as mt:
        mt.sync_feed()
        mt.simulate("2026-03-02", 3)
        before = (
            mt.api_get("employees").json(),
            mt.api_get("tasks").json(),
            mt.truth("2026-03-02", "2026-03-06"),
        )
    with running_mock_tracker(feed_url=url, feed_token=fake.token, db=db) as mt:
        after = (
            mt.api_get("employees").json(),
            mt.api_get("tasks").json(),
            mt.truth("2026-03-02", "2026-03-06"),
        )
        assert after == before and before[2]
        fake.requests.clear()
        assert mt.sync_feed()["result"] == "not_modified", "the ETag is kept across restarts"


@pytest.mark.parametrize("params", [{"begin": "05.03.2026"}, {"end": "2026-02-30"}])
def test_entries_listing_refuses_bad_days(refusing: MockTracker, params: dict) -> None:
    resp = requests.get(f"{refusing.admin_url}/entries", params=params, timeout=10)
    assert resp.status_code == 400 and resp.json()["status"] == "error"


def test_the_refused_requests_made_no_entry(refusing: MockTracker) -> None:
    assert requests.get(f"{refusing.admin_url}/entries", timeout=10).json()["items"] == []
