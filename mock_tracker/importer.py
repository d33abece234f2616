"""Importing the task feed on demand and on a timer, surviving any feed failure.

A failed import is logged and leaves the account unchanged; the next poll tries again with the
last good ETag. Imports are serialised so an admin-triggered import and the timer never overlap.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from typing import Any

import requests

from mock_tracker.account import Account
from mock_tracker.feed import FeedError, read_feed

log = logging.getLogger("mock_tracker.feed")


class FeedImporter:
    """Polls ``feed_url`` with the Bearer ``token`` into ``account``."""

    def __init__(self, account: Account, feed_url: str | None, token: str) -> None:
        self.account = account
        self.feed_url = feed_url
        self.token = token
        self.feed_statuses: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._session = requests.Session()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self) -> dict[str, Any]:
        """Import now; answers ``{"result": "imported"|"not_modified"|"failed", …counts}``."""
        if not self.feed_url:
            return {"result": "failed", "error": "no feed URL configured"}
        with self._lock:
            with self.account.reading() as state:
                etag = state.feed_etag
            try:
                read = read_feed(self.feed_url, self.token, etag, session=self._session)
            except FeedError as exc:
                self.feed_statuses["failed"] += 1
                log.warning("feed import failed, will retry: %s", exc)
                return {"result": "failed", "error": str(exc)}
            if read.not_modified:
                self.feed_statuses["not_modified"] += 1
                log.info("feed not modified")
                return {"result": "not_modified", "pages": read.pages}
            counts = self.account.apply_feed(read.items, read.etag)
            self.feed_statuses["imported"] += 1
            outcome: dict[str, Any] = {
                "result": "imported",
                "pages": read.pages,
                "items": len(read.items),
                "items_skipped": read.skipped,
                **counts,
            }
            log.info("feed imported: %s", outcome)
            return outcome

    def start_polling(self, interval: float) -> None:
        """Import now and then every ``interval`` seconds in a daemon thread (0 = never)."""
        if interval <= 0 or not self.feed_url:
            return
        self._thread = threading.Thread(target=self._poll, args=(interval,), daemon=True, name="feed-poller")
        self._thread.start()

    def _poll(self, interval: float) -> None:
        while True:
            try:
                self.run_once()
            except Exception:  # the poller must outlive any surprise; the next tick retries
                log.exception("feed poll crashed")
            if self._stop.wait(interval):
                return

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
