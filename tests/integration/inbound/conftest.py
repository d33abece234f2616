"""Fixtures of the inbound tests: a fresh small mock 1C and a runtime on a fresh SQLite store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from connector.runtime import Runtime
from tests.integration.inbound.helpers import runtime_for
from tests.support.mock1c import MockOneC, running_mock_1c


@pytest.fixture
def onec() -> Iterator[MockOneC]:
    with running_mock_1c() as mock:
        yield mock


@pytest.fixture
def runtime(onec: MockOneC, tmp_path: Path) -> Iterator[Runtime]:
    rt = runtime_for(onec, f"sqlite:///{tmp_path / 'store.db'}", onec_page_size=20)
    try:
        yield rt
    finally:
        rt.close()
