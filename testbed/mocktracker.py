"""Run ``mock-tracker serve`` as a real subprocess on a free loopback port.

Tests of the tracker adapters, the feed and the end-to-end flow talk to the mock exactly as a
deployment talks to a tracker: over HTTP, with the dialect's credentials (Bitcop's ``apikey``
query parameter, Kimai's Bearer token, Clockify's ``X-Api-Key``).

Usage::

    with running_mock_tracker(feed_url=feed.url + "/tracker/v1/tasks", feed_token="T") as mt:
        requests.post(mt.admin_url + "/sync-feed")
        requests.get(mt.api_url + "/employees", params={"apikey": mt.api_key})

    with running_mock_tracker(kind="kimai", rate_limit=5) as mt:
        mt.add_users([("ivanov.i@crm.example", "Иванов Иван")])
        requests.get(mt.api_url + "/users", headers=mt.auth_headers())

Keyword options become CLI flags (``feed_interval=5`` → ``--feed-interval 5``); ``env`` adds
environment variables for the server process (e.g. ``{"TZ": "Asia/Vladivostok"}``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import requests

from testbed.servers import ServerProcess, free_port, script

DEFAULT_API_KEY = "mock-tracker-test-key"
_API_PATHS = {"bitcop": "/api/v1", "kimai": "/api", "clockify": "/api/v1"}


@dataclass
class MockTracker:
    """Addresses of a running mock tracker and small helpers for its admin endpoints."""

    url: str
    api_key: str
    process: ServerProcess
    kind: str = "bitcop"

    @property
    def api_url(self) -> str:
        """The published API's base: ``/api`` for Kimai, ``/api/v1`` for Clockify and Bitcop."""
        return f"{self.url}{_API_PATHS[self.kind]}"

    @property
    def reports_url(self) -> str:
        """Clockify's reports API base (a separate host in Clockify; a prefix here)."""
        return f"{self.url}/reports/v1"

    @property
    def admin_url(self) -> str:
        return f"{self.url}/_mock"

    def auth_headers(self, key: str | None = None) -> dict[str, str]:
        """The dialect's credential header (Bitcop's key travels in the query instead)."""
        secret = self.api_key if key is None else key
        if self.kind == "kimai":
            return {"Authorization": f"Bearer {secret}"}
        if self.kind == "clockify":
            return {"X-Api-Key": secret}
        return {}

    def api_get(self, method: str, **params: Any) -> requests.Response:
        """GET a published Bitcop API method (``"employees"``, ``"tasks/activity"``…) with the key."""
        return requests.get(f"{self.api_url}/{method}", params={"apikey": self.api_key, **params}, timeout=30)

    def sync_feed(self) -> dict[str, Any]:
        """Import the task feed now; returns what was imported (raises on HTTP errors)."""
        resp = requests.post(f"{self.admin_url}/sync-feed", timeout=60)
        resp.raise_for_status()
        return dict(resp.json())

    def simulate(self, start: str, days: int) -> dict[str, Any]:
        """Generate work for ``days`` local days from ``start`` (YYYY-MM-DD)."""
        resp = requests.post(f"{self.admin_url}/simulate", json={"start": start, "days": days}, timeout=120)
        resp.raise_for_status()
        return dict(resp.json())

    def truth(self, begin: str, end: str) -> list[dict[str, Any]]:
        """Ground truth items (seconds per employee e-mail, task code and local day), end exclusive."""
        resp = requests.get(f"{self.admin_url}/truth", params={"begin": begin, "end": end}, timeout=30)
        resp.raise_for_status()
        return list(resp.json()["items"])

    def add_users(self, users: Iterable[tuple[str, str | None] | dict[str, Any]]) -> list[dict[str, Any]]:
        """Make people tracker users (idempotent by e-mail); answers them with their tracker ids."""
        body = [u if isinstance(u, dict) else {"email": u[0], "name": u[1]} for u in users]
        resp = requests.post(f"{self.admin_url}/users", json=body, timeout=30)
        resp.raise_for_status()
        return list(resp.json()["users"])

    def users(self) -> list[dict[str, Any]]:
        resp = requests.get(f"{self.admin_url}/users", timeout=30)
        resp.raise_for_status()
        return list(resp.json()["items"])

    def tasks(self) -> list[dict[str, Any]]:
        """The account's tasks as the simulation sees them (code, active, employee e-mails)."""
        resp = requests.get(f"{self.admin_url}/tasks", timeout=30)
        resp.raise_for_status()
        return list(resp.json()["items"])

    def faults(self, **plan: float) -> dict[str, Any]:
        """Arm faults: ``slow_creates``+``delay``, ``fail_5xx`` (+``fail_5xx_status``), ``fail_429``."""
        resp = requests.post(f"{self.admin_url}/faults", json=plan, timeout=30)
        resp.raise_for_status()
        return dict(resp.json())

    def stats(self, reset: bool = False) -> dict[str, Any]:
        """Request counts (``requests``, ``methods``) and ``created`` objects; ``reset`` zeroes them
        after reading."""
        resp = requests.get(f"{self.admin_url}/stats", timeout=30)
        resp.raise_for_status()
        if reset:
            requests.post(f"{self.admin_url}/reset-stats", timeout=30).raise_for_status()
        return dict(resp.json())

    def workspace(self) -> str:
        """A Clockify account's workspace id (the first its key sees)."""
        resp = requests.get(f"{self.api_url}/workspaces", headers=self.auth_headers(), timeout=30)
        resp.raise_for_status()
        return str(resp.json()[0]["id"])

    def start_timer(self, employee_email: str, task_code: str, start: str | None = None) -> dict[str, Any]:
        """Start a running timer (an entry with no end); it never counts in the truth."""
        body = {"employee_email": employee_email, "task_code": task_code}
        if start is not None:
            body["start"] = start
        resp = requests.post(f"{self.admin_url}/timers", json=body, timeout=30)
        resp.raise_for_status()
        return dict(resp.json())

    def stop_timer(self, timer_id: int, end: str | None = None) -> dict[str, Any]:
        resp = requests.post(
            f"{self.admin_url}/timers/{timer_id}/stop", json={"end": end} if end else None, timeout=30
        )
        resp.raise_for_status()
        return dict(resp.json())


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
        yield MockTracker(
            url=url, api_key=str(options["api_key"]), process=proc, kind=str(options.get("kind", "bitcop"))
        )


def api_writes(stats: dict[str, Any]) -> int:
    """Requests of ``MockTracker.stats()`` to the published API that could change something
    (any method but GET under ``/api/``; Clockify's report reads live under ``/reports/``)."""
    return sum(
        n
        for path, methods in stats["methods"].items()
        if path.startswith("/api/")
        for method, statuses in methods.items()
        if method != "GET"
        for n in statuses.values()
    )
