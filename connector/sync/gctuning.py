"""Fewer garbage-collector passes while a run turns pages of 1C objects into tasks (or labour into 1C).

Every page decoded from 1C is a thousand dicts and lists that live just long enough (one
page) to be promoted out of the youngest generation, so CPython's default threshold (a
collection per 700 new containers) makes a full sync spend a tenth of its time in the cyclic
collector, mostly re-scanning long-lived objects. ``fewer_collections`` raises the youngest
generation's threshold while any run is in progress and puts the previous thresholds back when
the last one ends; reference counting still frees almost everything at once, only cycles wait
a little longer.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

RUN_GEN0_THRESHOLD = 10_000

_lock = threading.Lock()
_active = 0
_saved: tuple[int, int, int] | None = None


@contextmanager
def fewer_collections(gen0: int = RUN_GEN0_THRESHOLD) -> Iterator[None]:
    """Raise the youngest generation's threshold to ``gen0`` (never lower it) for the block.

    Safe to nest and to enter from several threads at once: the first to enter saves the
    thresholds, the last to leave restores them."""
    global _active, _saved
    with _lock:
        if _active == 0:
            _saved = gc.get_threshold()
            first, *older = _saved
            if gen0 > first:
                gc.set_threshold(gen0, *older)
        _active += 1
    try:
        yield
    finally:
        with _lock:
            _active -= 1
            if _active == 0 and _saved is not None:
                gc.set_threshold(*_saved)
                _saved = None
