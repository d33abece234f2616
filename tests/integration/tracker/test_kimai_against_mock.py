"""The Kimai adapter against the mock tracker's Kimai dialect over real HTTP on loopback.

Tasks are published through the API (customers, projects, teams, activities), pushed again with
nothing changed, closed and reopened; the account then simulates work on them and what
``time_per_day`` reads must equal the account's ground truth. With slow creates, 5xx and 429
injected, nothing is ever created twice.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
import requests

from connector.tracker.base import TaskPublication
from connector.tracker.errors import TrackerAuthError
from connector.tracker.kimai import KimaiTracker
from testbed.mocktracker import MockTracker, running_mock_tracker
from tests.integration.tracker import support
from tests.integration.tracker.support import by_code, writes

PEOPLE = [("ivanov.i@crm.example", "Иванов Иван"), ("petrova.a@crm.example", "Петрова Анна")]
BEGIN, DAYS = date(2026, 3, 2), 5


@pytest.fixture(scope="module")
def mock() -> Iterator[MockTracker]:
    with running_mock_tracker(kind="kimai", timezone="Europe/Moscow", retry_after=1) as mt:
        mt.add_users(PEOPLE)
        yield mt


def adapter(mock: MockTracker, **options: Any) -> KimaiTracker:
    options = {**support.FAST, **options}
    return KimaiTracker(mock.api_url, mock.api_key, **options)


def spec(code: str, **fields: Any) -> TaskPublication:
    return support.spec(code, **{"customer": 'ООО "Ромашка"', "planned_minutes": 120, **fields})


SPECS = support.sample_specs('ООО "Ромашка"', 120)


@pytest.fixture(scope="module")
def published(mock: MockTracker) -> list[Any]:
    mock.stats(reset=True)
    return adapter(mock).publish_tasks(SPECS)


def test_published_tasks_appear_with_their_assignees_and_plans(
    mock: MockTracker, published: list[Any]
) -> None:
    assert [o.action for o in published] == ["created"] * 4
    assert published[3].unmatched_emails == ("nobody@crm.example",)
    tasks = by_code(mock)
    assert tasks["PRJ-100"]["employee_emails"] == ["ivanov.i@crm.example"]
    assert tasks["ST-101"]["employee_emails"] == ["petrova.a@crm.example"]
    assert tasks["ST-102"]["planned_minutes"] == 45 and tasks["PRJ-100"]["planned_minutes"] == 120
    assert all(t["active"] for t in tasks.values())
    assert {str(tasks[s.code]["id"]) for s in SPECS} == {o.task_id for o in published}


def test_a_second_push_sends_no_write(mock: MockTracker, published: list[Any]) -> None:
    mock.stats(reset=True)
    assert [o.action for o in adapter(mock).publish_tasks(SPECS)] == ["unchanged"] * 4
    stats = mock.stats()
    assert writes(stats) == 0 and stats["total"] <= 6


def test_close_hides_and_reopen_shows(mock: MockTracker, published: list[Any]) -> None:
    k = adapter(mock)
    closed = spec(
        "ST-102", parent_code="PRJ-100", parent_title="Внедрение склада", planned_minutes=45, open=False
    )
    assert k.publish_tasks([closed])[0].action == "updated"
    assert by_code(mock)["ST-102"]["active"] is False
    reopened = spec("ST-102", parent_code="PRJ-100", parent_title="Внедрение склада", planned_minutes=45)
    assert k.publish_tasks([reopened])[0].action == "updated"
    assert by_code(mock)["ST-102"]["active"] is True


def test_time_per_day_equals_the_accounts_truth(mock: MockTracker, published: list[Any]) -> None:
    mock.simulate(BEGIN.isoformat(), DAYS)
    end = date.fromordinal(BEGIN.toordinal() + DAYS)
    mock.start_timer("ivanov.i@crm.example", "PRJ-100")  # running: never counted
    k = adapter(mock, page_size=7)
    emails = {e.id: (e.email or "").lower() for e in k.employees()}
    got: dict[tuple[str, str, str], int] = defaultdict(int)
    for d in k.time_per_day(BEGIN, end):
        got[(emails[d.employee_id], str(d.task_code), d.day.isoformat())] += d.seconds
    truth = {
        (t["employee_email"].lower(), t["task_code"], t["date"]): t["seconds"]
        for t in mock.truth(BEGIN.isoformat(), end.isoformat())
    }
    assert truth and got == truth


class ArmBeforeCreate(requests.Session):
    """Arms a mock fault just before the first POST to ``path``: the fault hits the create."""

    def __init__(self, mock: MockTracker, path: str, **plan: float) -> None:
        super().__init__()
        self.mock, self.path, self.plan = mock, path, plan

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        if self.plan and method == "POST" and str(url).endswith(self.path):
            self.mock.faults(**self.plan)
            self.plan = {}
        return super().request(method, url, *args, **kwargs)


def test_slow_creates_5xx_and_429_create_nothing_twice(mock: MockTracker, published: list[Any]) -> None:
    faulty = [spec(f"F-{n}", title=f"Сбой {n}") for n in range(4)]
    mock.faults(slow_creates=3, delay=1.0)  # committed, answered after the client gave up
    assert {o.action for o in adapter(mock, timeout=0.5).publish_tasks(faulty[:2])} == {"created"}
    mock.stats(reset=True)
    session = ArmBeforeCreate(mock, "/api/activities", fail_5xx=2)  # refused, nothing done
    assert adapter(mock, session=session).publish_tasks(faulty[2:3])[0].action == "created"
    posts = mock.stats()["methods"]["/api/activities"]["POST"]
    assert posts["503"] >= 1 and posts["200"] == 1  # refused, read back, sent once more
    session = ArmBeforeCreate(mock, "/api/projects", fail_429=1)
    started = time.monotonic()
    k = adapter(mock, session=session, sleep=time.sleep)
    assert k.publish_tasks(faulty[3:])[0].action == "created"
    assert time.monotonic() - started >= 1.0  # Retry-After: 1 was honoured
    tasks = by_code(mock)
    assert {f.code for f in faulty} <= set(tasks)
    assert [o.action for o in adapter(mock).publish_tasks(faulty)] == ["unchanged"] * 4


def test_a_wrong_token_names_the_setting(mock: MockTracker) -> None:
    k = KimaiTracker(mock.api_url, "not-the-token", sleep=lambda s: None)
    with pytest.raises(TrackerAuthError, match="ONEC_BRIDGE_TRACKER_API_KEY") as caught:
        k.check()
    assert "not-the-token" not in str(caught.value)


def test_a_kimai_before_245_hides_emails_but_its_search_finds_the_assignees() -> None:
    with running_mock_tracker(kind="kimai", timezone="Europe/Moscow", kimai_version="2.40.0") as old:
        old.add_users(PEOPLE)
        k = adapter(old)
        assert {e.email for e in k.employees()} == {None}
        (outcome,) = k.publish_tasks(
            [spec("OLD-1", assignee_emails=("petrova.a@crm.example", "x@crm.example"))]
        )
        assert outcome.action == "created" and outcome.unmatched_emails == ("x@crm.example",)
        assert by_code(old)["OLD-1"]["employee_emails"] == ["petrova.a@crm.example"]
