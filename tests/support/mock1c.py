"""The module-scoped mock 1C fixture over :mod:`testbed.mock1c`."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from testbed.mock1c import MockOneC, running_mock_1c

__all__ = ["MockOneC", "mock_1c", "running_mock_1c"]


@pytest.fixture(scope="module")
def mock_1c() -> Iterator[MockOneC]:
    """A seeded small mock 1C (seed 42, Интегратор/s3cret) shared by a test module."""
    with running_mock_1c() as m:
        yield m
