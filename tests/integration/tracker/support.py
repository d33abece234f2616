"""What the adapter tests against the mock tracker share: sample tasks, counting writes, finding
tasks by code (and failing when one was created twice)."""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

from connector.tracker.base import TaskPublication
from testbed.mocktracker import MockTracker
from testbed.mocktracker import api_writes as writes  # noqa: F401  (the tests' name for it)

FAST = {"rate_limit": 500.0, "timeout": 5.0, "sleep": lambda s: time.sleep(min(s, 0.05))}
"""Adapter options for tests: no client-side throttle, short timeouts and back-offs."""


def spec(code: str, customer: str | None, planned_minutes: int, **fields: Any) -> TaskPublication:
    base: dict[str, Any] = {
        "title": f"Задача {code}",
        "assignee_emails": ("Ivanov.I@crm.example",),
        "customer": customer,
        "planned_minutes": planned_minutes,
    }
    return TaskPublication(code, **{**base, **fields})


def sample_specs(customer: str, planned_minutes: int) -> list[TaskPublication]:
    """A project with two stages (one with a smaller plan) and a service task for two people,
    one of whom the tracker does not know."""
    return [
        spec("PRJ-100", customer, planned_minutes, title="Внедрение склада"),
        spec(
            "ST-101",
            customer,
            planned_minutes,
            parent_code="PRJ-100",
            parent_title="Внедрение склада",
            assignee_emails=("petrova.a@crm.example",),
        ),
        spec("ST-102", customer, 45, parent_code="PRJ-100", parent_title="Внедрение склада"),
        spec("SRV-7", None, planned_minutes, assignee_emails=("ivanov.i@crm.example", "nobody@crm.example")),
    ]


def by_code(mock: MockTracker) -> dict[str, dict[str, Any]]:
    tasks = mock.tasks()
    codes = Counter(t["code"] for t in tasks)
    assert all(n == 1 for n in codes.values()), f"created twice: {codes}"
    return {t["code"]: t for t in tasks}
