"""Read-ahead paging of a full read: same pages in the same order, errors at their page, and the
helper thread stopped and joined when the caller stops early."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest

from connector.sync.inbound.read import read_ahead


def rows(n: int, fail_at: int | None = None, log: list[int] | None = None) -> Iterator[dict[str, Any]]:
    for i in range(n):
        if i == fail_at:
            raise ConnectionError(f"1C went away at row {i}")
        if log is not None:
            log.append(i)
        yield {"Ref_Key": str(i)}


def helpers() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "inbound-read-ahead"]


@pytest.mark.parametrize(("n", "size"), [(0, 3), (1, 3), (3, 3), (7, 3), (9, 1)])
def test_pages_are_the_rows_in_order_in_pages_of_size(n: int, size: int) -> None:
    got = list(read_ahead(rows(n), size))
    assert [o["Ref_Key"] for page in got for o in page] == [str(i) for i in range(n)]
    assert all(len(page) == size for page in got[:-1]) and all(got)
    assert helpers() == []


def test_a_read_error_is_raised_after_the_pages_before_it() -> None:
    seen: list[int] = []
    with pytest.raises(ConnectionError, match="row 7"):
        for page in read_ahead(rows(10, fail_at=7), 3):
            seen.extend(int(o["Ref_Key"]) for o in page)
    assert seen == list(range(6))
    assert helpers() == []


def test_stopping_early_stops_reading_and_joins_the_helper() -> None:
    log: list[int] = []
    pages = read_ahead(rows(10_000, log=log), 10)
    first = next(pages)
    assert [o["Ref_Key"] for o in first] == [str(i) for i in range(10)]
    pages.close()
    assert helpers() == []
    assert len(log) <= 40, "at most the page being handed over and one more are read ahead"


def test_size_must_be_positive() -> None:
    with pytest.raises(ValueError, match="size"):
        next(read_ahead(rows(1), 0))
