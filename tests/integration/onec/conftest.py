"""Fixtures for the 1C client against a real ``mock-1c serve`` on loopback."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from connector.onec.client import ODataClient
from connector.onec.retry import RetryPolicy
from tests.support.mock1c import MockOneC, mock_1c  # noqa: F401  (module-scoped fixture)

QUICK = RetryPolicy(base=0.05, cap=0.5, retry_after_cap=1.0, deadline=20.0)


def client_for(mock: MockOneC, **kw: object) -> ODataClient:
    options: dict[str, object] = {"timezone": "Europe/Moscow", "policy": QUICK, "timeout": 10.0}
    options.update(kw)
    return ODataClient(mock.base_url, mock.user, mock.password, **options)  # type: ignore[arg-type]


@pytest.fixture
def client(mock_1c: MockOneC) -> Iterator[ODataClient]:  # noqa: F811
    c = client_for(mock_1c)
    yield c
    c.close()
