"""The Clockify adapter against the mock tracker's Clockify dialect over real HTTP on loopback.

Tasks are published (projects and tasks with assignees and estimates), pushed again with nothing
changed, closed (``DONE``) and reopened; the account simulates work and the detailed report read
page by page must equal the ground truth per employee, task and local day. Slow creates, 5xx and
429 injected on creates never create anything twice.
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
from connector.tracker.clockify import ClockifyTracker
from connector.tracker.errors import TrackerAuthError
from testbed.mocktracker import MockTracker, running_mock_tracker
from tests.integration.tracker import support
from tests.integration.tracker.support import by_code, writes

PEOPLE = [("ivanov.i@crm.example", "Иванов Иван"), ("petrova.a@crm.example", "Петрова Анна")]
BEGIN, DAYS = date(2026, 3, 2), 5


@pytest.fixture(scope="module")
def mock() -> Iterator[MockTracker]:
    with running_mock_tracker(kind="clockify", timezone="Europe/Moscow", retry_after=1) as mt:
        mt.add_users(PEOPLE)
        yield mt


@pytest.fixture(scope="module")
def workspace(mock: MockTracker) -> str:
    return mock.workspace()


def adapter(mock: MockTracker, workspace: str, **options: Any) -> ClockifyTracker:
    options = {**support.FAST, **options}
    return ClockifyTracker(mock.api_url, mock.api_key, workspace=workspace, **options)


def spec(code: str, **fields: Any) -> TaskPublication:
    return support.spec(code, **{"customer": "ООО Ромашка", "planned_minutes": 90, **fields})


SPECS = support.sample_specs("ООО Ромашка", 90)


@pytest.fixture(scope="module")
def published(mock: MockTracker, workspace: str) -> list[Any]:
    return adapter(mock, workspace).publish_tasks(SPECS)


def test_published_tasks_appear_with_their_assignees_and_estimates(
    mock: MockTracker, workspace: str, published: list[Any]
) -> None:
    assert [o.action for o in published] == ["created"] * 4
    assert published[3].unmatched_emails == ("nobody@crm.example",)
    tasks = by_code(mock)
    assert tasks["PRJ-100"]["employee_emails"] == ["ivanov.i@crm.example"]
    assert tasks["ST-101"]["employee_emails"] == ["petrova.a@crm.example"]
    assert tasks["ST-102"]["planned_minutes"] == 45 and tasks["PRJ-100"]["planned_minutes"] == 90
    assert all(t["active"] for t in tasks.values())
    ours = {t.code: t for t in adapter(mock, workspace).tasks()}
    assert {ours[s.code].id for s in SPECS} == {o.task_id for o in published}


def test_a_second_push_sends_no_write(mock: MockTracker, workspace: str, published: list[Any]) -> None:
    mock.stats(reset=True)
    assert [o.action for o in adapter(mock, workspace).publish_tasks(SPECS)] == ["unchanged"] * 4
    assert writes(mock.stats()) == 0


def test_close_sets_done_and_reopen_active(mock: MockTracker, workspace: str, published: list[Any]) -> None:
    k = adapter(mock, workspace)
    stage = {"parent_code": "PRJ-100", "parent_title": "Внедрение склада", "planned_minutes": 45}
    assert k.publish_tasks([spec("ST-102", open=False, **stage)])[0].action == "updated"
    assert by_code(mock)["ST-102"]["active"] is False
    assert k.publish_tasks([spec("ST-102", **stage)])[0].action == "updated"
    after = by_code(mock)["ST-102"]
    assert after["active"] is True and after["planned_minutes"] == 45


def test_time_per_day_equals_the_accounts_truth(
    mock: MockTracker, workspace: str, published: list[Any]
) -> None:
    mock.simulate(BEGIN.isoformat(), DAYS)
    end = date.fromordinal(BEGIN.toordinal() + DAYS)
    mock.start_timer("ivanov.i@crm.example", "PRJ-100")  # running: never counted
    k = adapter(mock, workspace, report_page_size=7)
    emails = {e.id: (e.email or "").lower() for e in k.employees()}
    mock.stats(reset=True)
    got: dict[tuple[str, str, str], int] = defaultdict(int)
    for d in k.time_per_day(BEGIN, end):
        got[(emails[d.employee_id], str(d.task_code), d.day.isoformat())] += d.seconds
    truth = {
        (t["employee_email"].lower(), t["task_code"], t["date"]): t["seconds"]
        for t in mock.truth(BEGIN.isoformat(), end.isoformat())
    }
    assert truth and got == truth
    reports = sum(
        n for p, m in mock.stats()["methods"].items() if "/reports/" in p for n in m["POST"].values()
    )
    assert reports >= 2  # several report pages were followed


class ArmBeforeCreate(requests.Session):
    """Arms a mock fault just before the first POST to a path ending in ``suffix``."""

    def __init__(self, mock: MockTracker, suffix: str, **plan: float) -> None:
        super().__init__()
        self.mock, self.suffix, self.plan = mock, suffix, plan

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        if self.plan and method == "POST" and str(url).endswith(self.suffix):
            self.mock.faults(**self.plan)
            self.plan = {}
        return super().request(method, url, *args, **kwargs)


def test_slow_creates_5xx_and_429_create_nothing_twice(
    mock: MockTracker, workspace: str, published: list[Any]
) -> None:
    faulty = [spec(f"F-{n}", title=f"Сбой {n}") for n in range(4)]
    mock.faults(slow_creates=2, delay=1.0)  # committed, answered after the client gave up
    assert {o.action for o in adapter(mock, workspace, timeout=0.5).publish_tasks(faulty[:2])} == {"created"}
    session = ArmBeforeCreate(mock, "/tasks", fail_5xx=1)  # refused, nothing done
    assert adapter(mock, workspace, session=session).publish_tasks(faulty[2:3])[0].action == "created"
    session = ArmBeforeCreate(mock, "/projects", fail_429=1)
    started = time.monotonic()
    k = adapter(mock, workspace, session=session, sleep=time.sleep)
    assert k.publish_tasks(faulty[3:])[0].action == "created"
    assert time.monotonic() - started >= 1.0  # Retry-After: 1 was honoured
    assert {f.code for f in faulty} <= set(by_code(mock))
    projects = [p["name"] for p in requests.get(
        f"{mock.api_url}/workspaces/{workspace}/projects", params={"page-size": "5000"},
        headers=mock.auth_headers(), timeout=30,
    ).json()]  # fmt: skip
    assert len(projects) == len(set(projects))
    assert [o.action for o in adapter(mock, workspace).publish_tasks(faulty)] == ["unchanged"] * 4


def test_a_wrong_key_and_a_wrong_workspace_name_their_settings(mock: MockTracker, workspace: str) -> None:
    with pytest.raises(TrackerAuthError, match="ONEC_BRIDGE_TRACKER_API_KEY") as caught:
        ClockifyTracker(mock.api_url, "not-the-key", workspace=workspace, sleep=lambda s: None).check()
    assert "not-the-key" not in str(caught.value)
    other = "64a687e29ae1f428e7ebffff"
    for call in ("check", "employees"):
        with pytest.raises(TrackerAuthError, match="ONEC_BRIDGE_TRACKER_CLOCKIFY_WORKSPACE"):
            getattr(adapter(mock, other), call)()
