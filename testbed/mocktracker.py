"""Run ``mock-tracker serve`` as a real subprocess on a free loopback port.

Tests of the Bitcop adapter, the feed and the end-to-end flow talk to the mock exactly as a
deployment talks to a Bitcop account: over HTTP, with the ``apikey`` query parameter.

Usage::

    with running_mock_tracker(feed_url=feed.url + "/tracker/v1/tasks", feed_token="T") as mt:
        requests.post(mt.admin_url + "/sync-feed")
        requests.get(mt.api_url + "/employees", params={"apikey": mt.api_key})

Keyword options become CLI flags (``feed_interval=5`` → ``--feed-interval 5``); ``env`` adds
environment variables for the server process (e.g. ``{"TZ": "Asia/Vladivostok"}``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import requests

from testbed.servers import ServerProcess, free_port, script

DEFAULT_API_KEY = "mock-tracker-test-key"


@dataclass
class MockTracker:
    """Addresses of a running mock tracker and small helpers for its admin endpoints."""

    url: str
    api_key: str
    process: ServerProcess

    @property
    def api_url(self) -> str:
        return f"{self.url}/api/v1"

    @property
    def admin_url(self) -> str:
        return f"{self.url}/_mock"

    def api_get(self, method: str, **params: Any) -> requests.Response:
        """GET a published API method (``"employees"``, ``"tasks/activity"``…) with the key."""
        return requests.get(f"{self.api_url}/{method}", params={"apikey": self.api_key, **params}, timeout=30)

    def sync_feed(self) -> dict[str, Any]:
        """Import the task feed now; returns what was imported (raises on HTTP errors)."""
        resp = requests.post(f"{self.admin_url}/sync-feed", timeout=60)
        resp.raise_for_status()
        return dict(resp.json())

    def simulate(self, start: str, days: int) -> dict[str, Any]:
        """Generate work for ``days`` local days from ``start`` (YYYY-MM-DD)."""
        resp = requests.post(f"{self.admin_url}/simulate", json={"start": start, "days": days}, timeout=60)
        resp.raise_for_status()
        return dict(resp.json())

    def truth(self, begin: str, end: str) -> list[dict[str, Any]]:
        """Ground truth items (seconds per employee e-mail, task code and local day), end exclusive."""
        resp = requests.get(f"{self.admin_url}/truth", params={"begin": begin, "end": end}, timeout=30)
        resp.raise_for_status()
        return list(resp.json()["items"])


@contextlib.contextmanager
def running_mock_tracker(*, env: dict[str, str] | None = None, **cli_options: Any) -> Iterator[MockTracker]:
    """Start ``mock-tracker serve`` with ``cli_options`` (defaults: test key, seed 42, no polling)."""
    options: dict[str, Any] = {
        "host": "127.0.0.1",
        "port": free_port(),
        "api_key": DEFAULT_API_KEY,
        "seed": 42,
        "timezone": "Europe/Moscow",
        "feed_interval": 0,
        **cli_options,
    }
    argv = [script("mock-tracker"), "serve"]
    for name, value in options.items():
        if value is None or value is False:
            continue
        flag = f"--{name.replace('_', '-')}"
        argv += [flag] if value is True else [flag, str(value)]
    url = f"http://{options['host']}:{options['port']}"
    proc = ServerProcess(argv, ready_url=f"{url}/_mock/health", env=env)
    with proc:
        yield MockTracker(url=url, api_key=str(options["api_key"]), process=proc)
