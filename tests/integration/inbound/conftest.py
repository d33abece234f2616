"""Fixtures of the inbound tests: a fresh small mock 1C and a runtime on a fresh store.

``runtime`` runs every engine-level test on SQLite and on PostgreSQL (``store_url``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from connector.runtime import Runtime
from tests.integration.inbound.helpers import runtime_for
from tests.support.mock1c import MockOneC, running_mock_1c


@pytest.fixture
def onec() -> Iterator[MockOneC]:
    with running_mock_1c() as mock:
        yield mock


@pytest.fixture
def runtime(onec: MockOneC, store_url: str) -> Iterator[Runtime]:
    rt = runtime_for(onec, store_url, onec_page_size=20)
    try:
        yield rt
    finally:
        rt.close()
