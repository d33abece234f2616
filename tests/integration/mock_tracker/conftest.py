"""A feed with a realistic team, and a mock account that imported it (module-scoped: read-only use)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from testbed.mocktracker import MockTracker, running_mock_tracker
from testbed.servers import ThreadedServer
from tests.integration.mock_tracker.fakefeed import FEED_PATH, FakeFeed, feed_item

TEAM = [
    ("ivanov.i@crm.example", "Иванов Иван Иванович"),
    ("petrov.p@crm.example", "Петров Пётр Петрович"),
    ("sidorova.a@crm.example", "Сидорова Анна Сергеевна"),
    ("kozlov.k@crm.example", "Козлов Кирилл"),
]
TEAM_ITEMS = [
    feed_item("CRM-000101", "Внедрение склада", [TEAM[0], TEAM[1]]),
    feed_item("CRM-000102", "Обучение пользователей", [TEAM[1], TEAM[2]]),
    feed_item("SVC-000103", "Поддержка", [TEAM[0], TEAM[2], TEAM[3]]),
    feed_item("CRM-000104", "Закрытый проект", [TEAM[3]], status="closed"),
    feed_item("SALES-000105", "Пресейл", [TEAM[3]]),
]
SIM_START, SIM_DAYS = "2026-03-02", 14


@pytest.fixture(scope="module")
def team_feed() -> Iterator[tuple[FakeFeed, str]]:
    fake = FakeFeed([dict(i) for i in TEAM_ITEMS], page_size=3)
    with ThreadedServer(fake.app()) as srv:
        yield fake, srv.url + FEED_PATH


@pytest.fixture(scope="module")
def worked(team_feed: tuple[FakeFeed, str]) -> Iterator[MockTracker]:
    """A mock account that imported the team feed and simulated two weeks of work."""
    fake, url = team_feed
    with running_mock_tracker(feed_url=url, feed_token=fake.token) as mt:
        mt.sync_feed()
        mt.simulate(SIM_START, SIM_DAYS)
        yield mt
