"""Read-ahead holds at most ``depth`` pages: the helper never reads a row of page n + depth while
the caller has asked only for page n (it would otherwise decode a third page of 1C objects)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest

from connector.sync.inbound.read import READ_AHEAD_DEPTH, read_ahead

SIZE = 5
pytestmark = pytest.mark.timeout(60)


class Reader:
    """Rows that record, for each row read, which page the caller had asked for by then."""

    def __init__(self, pages: int) -> None:
        self.asked = 0
        self.too_far: list[tuple[int, int]] = []
        self.beyond = threading.Event()
        self.pages = pages
        self.depth = READ_AHEAD_DEPTH

    def rows(self) -> Iterator[dict[str, Any]]:
        for i in range(self.pages * SIZE):
            page = i // SIZE + 1
            if page > self.asked + self.depth - 1:
                self.too_far.append((page, self.asked))
                self.beyond.set()
            yield {"Ref_Key": str(i)}


@pytest.mark.parametrize("depth", [1, 2, 3])
def test_the_helper_never_reads_more_than_depth_pages_ahead(depth: int) -> None:
    reader = Reader(pages=8)
    reader.depth = depth
    pages = read_ahead(reader.rows(), SIZE, depth=depth)
    got: list[str] = []
    for n in range(1, 9):
        reader.asked = n
        page = next(pages)
        got.extend(o["Ref_Key"] for o in page)
        if n == 1:  # give a helper that ignored the bound time to overrun it
            reader.beyond.wait(0.3)
    reader.asked = 9
    assert list(pages) == []
    assert reader.too_far == []
    assert got == [str(i) for i in range(8 * SIZE)]


def test_the_default_depth_is_two_pages() -> None:
    assert READ_AHEAD_DEPTH == 2


def test_depth_one_still_pages_everything_in_order() -> None:
    got = [
        o["Ref_Key"]
        for page in read_ahead(({"Ref_Key": str(i)} for i in range(11)), 4, depth=1)
        for o in page
    ]
    assert got == [str(i) for i in range(11)]


def test_depth_must_be_positive() -> None:
    with pytest.raises(ValueError, match="depth"):
        next(read_ahead(iter([{"Ref_Key": "1"}]), 3, depth=0))
