"""Runs raise the collector's youngest threshold and always put the previous one back."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator

import pytest

from connector.sync.gctuning import fewer_collections


@pytest.fixture(autouse=True)
def known_thresholds() -> Iterator[None]:
    saved = gc.get_threshold()
    gc.set_threshold(700, 10, 10)
    yield
    gc.set_threshold(*saved)


def test_the_threshold_is_raised_inside_and_restored_after() -> None:
    with fewer_collections(5000):
        assert gc.get_threshold() == (5000, 10, 10)
    assert gc.get_threshold() == (700, 10, 10)


def test_a_lower_value_never_lowers_the_threshold() -> None:
    gc.set_threshold(20_000, 10, 10)
    with fewer_collections(5000):
        assert gc.get_threshold() == (20_000, 10, 10)
    assert gc.get_threshold() == (20_000, 10, 10)


def test_restored_after_an_exception() -> None:
    with pytest.raises(RuntimeError), fewer_collections(5000):
        raise RuntimeError("a run failed")
    assert gc.get_threshold() == (700, 10, 10)


def test_overlapping_runs_in_threads_restore_only_when_the_last_ends() -> None:
    inside = threading.Barrier(3)
    release = [threading.Event(), threading.Event()]

    def run(i: int) -> None:
        with fewer_collections(5000):
            inside.wait()
            release[i].wait()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    inside.wait()
    release[0].set()
    threads[0].join()
    still_raised = gc.get_threshold()
    release[1].set()
    threads[1].join()
    assert still_raised == (5000, 10, 10)
    assert gc.get_threshold() == (700, 10, 10)


def test_nested_blocks_restore_at_the_outermost_exit() -> None:
    with fewer_collections(5000):
        with fewer_collections(5000):
            pass
        assert gc.get_threshold() == (5000, 10, 10)
    assert gc.get_threshold() == (700, 10, 10)
