"""The mock account imports the connector's task feed over real HTTP."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import requests

from testbed.mocktracker import MockTracker, running_mock_tracker
from testbed.servers import ThreadedServer, free_port
from tests.integration.mock_tracker.fakefeed import FEED_PATH, FakeFeed, feed_item

ITEMS = [
    feed_item("CRM-000001", "Внедрение склада", [("ivanov.i@crm.example", "Иванов Иван Иванович")]),
    feed_item(
        "CRM-000002", "Обучение", [("petrov.p@crm.example", "Петров Пётр"), ("ivanov.i@crm.example", "")]
    ),
    feed_item("SVC-000003", "Консультация", [("sidorova.a@crm.example", "Сидорова Анна")], status="closed"),
    feed_item("CRM-000004", "Отчёт", [("kozlov.k@crm.example", "Козлов Кирилл")]),
    feed_item("CRM-000005", "Интеграция", [("orlova.o@crm.example", "Орлова Ольга")]),
]


@pytest.fixture
def feed() -> Iterator[tuple[FakeFeed, str]]:
    fake = FakeFeed([dict(i) for i in ITEMS])
    with ThreadedServer(fake.app()) as srv:
        yield fake, srv.url + FEED_PATH


@pytest.fixture
def tracker(feed: tuple[FakeFeed, str]) -> Iterator[MockTracker]:
    fake, url = feed
    with running_mock_tracker(feed_url=url, feed_token=fake.token) as mt:
        yield mt


def _tasks(mt: MockTracker) -> dict[str, dict]:
    items = mt.api_get("tasks").json()["items"]
    return {t["name"].split("]")[0].lstrip("["): t for t in items}


def _employees(mt: MockTracker) -> dict[int, dict]:
    return {e["id"]: e for e in mt.api_get("employees").json()["items"]}


def test_import_pages_through_the_feed_into_tasks_and_employees(
    feed: tuple[FakeFeed, str], tracker: MockTracker
) -> None:
    fake, _ = feed
    outcome = tracker.sync_feed()
    assert outcome["result"] == "imported"
    assert outcome["pages"] == 3 and outcome["items"] == 5 and outcome["tasks_created"] == 5
    assert outcome["employees_created"] == 5
    assert [r["params"] for r in fake.requests] == [
        {"status": "all"},
        {"status": "all", "cursor": "2"},
        {"status": "all", "cursor": "4"},
    ]
    assert {r["authorization"] for r in fake.requests} == {"Bearer feed-token"}

    tasks, employees = _tasks(tracker), _employees(tracker)
    assert tasks["CRM-000001"]["name"] == "[CRM-000001] Внедрение склада"
    assert tasks["SVC-000003"]["active"] is False and tasks["CRM-000001"]["active"] is True
    assert all(isinstance(t["id"], int) for t in tasks.values())
    assignees = sorted(employees[i]["email"].lower() for i in tasks["CRM-000002"]["employees"])
    assert assignees == ["ivanov.i@crm.example", "petrov.p@crm.example"]
    ivanov = next(e for e in employees.values() if e["email"].lower() == "ivanov.i@crm.example")
    assert (ivanov["firstName"], ivanov["lastName"]) == ("Иван Иванович", "Иванов")


def test_feed_employees_include_a_case_variant_and_outsiders(tracker: MockTracker) -> None:
    tracker.sync_feed()
    feed_emails = {a["email"] for i in ITEMS for a in i["assignees"]}
    emails = [e["email"] for e in _employees(tracker).values()]
    assert {e.lower() for e in emails} >= feed_emails
    assert [e for e in emails if e.lower() in feed_emails and e not in feed_emails], "some case differs"
    outsiders = [e for e in emails if e.lower() not in feed_emails]
    assert 2 <= len(outsiders) <= 3


def test_unchanged_feed_is_not_modified_and_changes_are_imported(
    feed: tuple[FakeFeed, str], tracker: MockTracker
) -> None:
    fake, _ = feed
    tracker.sync_feed()
    fake.requests.clear()
    assert tracker.sync_feed()["result"] == "not_modified"
    assert fake.requests == [
        {"authorization": "Bearer feed-token", "if_none_match": fake.etag, "params": {"status": "all"}}
    ]
    fake.items[0] = feed_item(
        "CRM-000001", "Внедрение склада", [("ivanov.i@crm.example", "x")], status="closed"
    )
    outcome = tracker.sync_feed()
    assert outcome["result"] == "imported" and outcome["tasks_updated"] == 1 and outcome["tasks_created"] == 0
    assert _tasks(tracker)["CRM-000001"]["active"] is False
    stats = requests.get(f"{tracker.admin_url}/stats", timeout=10).json()
    assert stats["feed"] == {"imported": 2, "not_modified": 1}


@pytest.mark.parametrize("mode", ["error", "garbage", "bad_shape"])
def test_broken_feed_changes_nothing_and_the_next_import_succeeds(
    feed: tuple[FakeFeed, str], tracker: MockTracker, mode: str
) -> None:
    fake, _ = feed
    fake.mode = mode
    resp = requests.post(f"{tracker.admin_url}/sync-feed", timeout=30)
    assert resp.status_code == 502 and resp.json()["result"] == "failed"
    assert _tasks(tracker) == {}
    fake.mode = "ok"
    assert tracker.sync_feed()["tasks_created"] == 5


def test_wrong_feed_token_is_reported_without_leaking_it(feed: tuple[FakeFeed, str]) -> None:
    _, url = feed
    with running_mock_tracker(feed_url=url, feed_token="wrong-secret") as mt:
        resp = requests.post(f"{mt.admin_url}/sync-feed", timeout=30)
        assert resp.status_code == 502 and resp.json()["error"] == "feed answered HTTP 401"
        assert mt.api_get("employees").status_code == 200
        assert "wrong-secret" not in mt.process.output()


def test_unreachable_feed_is_survived() -> None:
    with running_mock_tracker(feed_url=f"http://127.0.0.1:{free_port()}{FEED_PATH}", feed_token="t") as mt:
        resp = requests.post(f"{mt.admin_url}/sync-feed", timeout=30)
        assert resp.status_code == 502 and "unreachable" in resp.json()["error"]
        assert mt.api_get("tasks").json() == {"status": "success", "items": []}


def test_items_that_do_not_validate_are_skipped(feed: tuple[FakeFeed, str], tracker: MockTracker) -> None:
    fake, _ = feed
    fake.items.append({"code": "BAD-1", "title": "no status"})
    fake.items.append({"title": "no code", "status": "open"})
    fake.items.append({"code": "", "title": "empty code", "status": "open"})
    fake.items.append({"code": "X-1", "title": "bad status", "status": "paused"})
    outcome = tracker.sync_feed()
    assert outcome["items_skipped"] == 4 and outcome["tasks_created"] == 5


def test_polling_imports_on_its_own(feed: tuple[FakeFeed, str]) -> None:
    fake, url = feed
    with running_mock_tracker(feed_url=url, feed_token=fake.token, feed_interval=0.2) as mt:
        deadline = time.monotonic() + 60
        while len(_tasks(mt)) < 5 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(_tasks(mt)) == 5
        first_etag = fake.etag
        fake.items.append(feed_item("CRM-000006", "Новая", [("new.person@crm.example", "Новиков Н")]))
        while len(_tasks(mt)) < 6 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert "CRM-000006" in _tasks(mt)
        assert any(r["if_none_match"] == first_etag for r in fake.requests if "cursor" not in r["params"])
