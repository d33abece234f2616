"""Bitcop adapter: the published read-only Web API, plus our written-down assumptions.

Published (see docs/bitcop-assumptions.md): GET only, ``apikey`` query parameter, the
``{"status": "success", "items": [...]}`` envelope (``message`` on failure), ``begin``/``end`` as
``YYYYMMDD`` with ``end`` exclusive, ``employees`` as comma-separated ids, seconds, HTTP 503
when the Web API is switched off in the account.

Assumed (not published; adjust here and in the doc together):

- ``/tasks`` items: ``id`` (int), ``name`` (ours are ``[CODE] title``), ``active``, ``employees``.
- ``/tasks/activity`` items: ``employeeId``, ``taskId``, ``date`` (``YYYY-MM-DD``, the account's
  local day), ``totalTime`` (seconds). Several items for one employee/task/day are summed.
- ``/screenshots`` items: ``id``, ``employeeId``, ``taskId`` (int or null), ``timestamp``
  (ISO 8601 with offset), ``url`` (absolute, or relative to the API base).
- 401/403 means the key is wrong; no pagination, so we ask one local day per request and at
  most ``employees_per_request`` employees per request to keep answers small.
- An item dated outside the day we asked for is ignored with a warning: the neighbouring
  day's request reports it, and counting it twice would inflate labour.

Days are the account's local dates as Bitcop reports them; this module never converts
instants with the process time zone, so the result is the same under any ``TZ``.
"""

from __future__ import annotations

import logging
import math
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urljoin

import requests
from pydantic import SecretStr

from connector.http.redaction import redact_url
from connector.http.throttle import Throttle
from connector.tracker.base import (
    Capabilities,
    DayTime,
    Evidence,
    PublishOutcome,
    TaskPublication,
    TrackerEmployee,
    TrackerTask,
    task_code_from_name,
)
from connector.tracker.client import JsonEnvelopeClient, tracker_retry_policy
from connector.tracker.errors import NotSupported, TrackerProtocolError

log = logging.getLogger(__name__)

Item = dict[str, Any]


class BitcopTracker:
    """A Bitcop account seen through its Web API (read-only: tasks arrive via our task feed)."""

    capabilities = Capabilities(publish_tasks=False, time_per_day=True, evidence=True, push_time=False)

    def __init__(
        self,
        base_url: str,
        api_key: str | SecretStr,
        *,
        session: requests.Session | None = None,
        timeout: float = 30.0,
        rate_limit: float = 5.0,
        max_attempts: int = 5,
        deadline: float = 120.0,
        employees_per_request: int = 50,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if employees_per_request < 1:
            raise ValueError(f"employees_per_request must be at least 1, got {employees_per_request}")
        self.employees_per_request = employees_per_request
        self._client = JsonEnvelopeClient(
            base_url,
            api_key,
            session=session,
            timeout=timeout,
            throttle=Throttle(rate_limit, sleep=sleep),
            policy=tracker_retry_policy(max_attempts=max_attempts, deadline=deadline, sleep=sleep),
        )

    def __repr__(self) -> str:
        return f"BitcopTracker({redact_url(self._client.base_url)!r})"

    def employees(self) -> list[TrackerEmployee]:
        """Every employee of the account, inactive ones included (their past time still counts)."""
        return [_employee(item) for item in self._client.get_items("employees")]

    def tasks(self) -> list[TrackerTask]:
        """The account's tasks with our codes recovered from their names (None for foreign tasks)."""
        return [_task(item) for item in self._client.get_items("tasks")]

    def time_per_day(
        self, begin: date, end: date, employee_ids: Sequence[str] | None = None
    ) -> Iterator[DayTime]:
        """Per-day totals per employee and task for local days ``[begin, end)``.

        One request per day and employee batch; task codes come from one ``/tasks`` read per
        call (re-read once if an unknown task id shows up, e.g. a task imported meanwhile).
        A reversed period or non-integer ids raise ``ValueError`` here, before any request.
        """
        return self._time_per_day(begin, end, _checked(begin, end, employee_ids))

    def evidence(
        self, begin: date, end: date, employee_ids: Sequence[str] | None = None
    ) -> Iterator[Evidence]:
        """Screenshot links grouped per employee, task and local day, in time order."""
        return self._evidence(begin, end, _checked(begin, end, employee_ids))

    def _time_per_day(self, begin: date, end: date, employee_ids: list[str] | None) -> Iterator[DayTime]:
        codes = _TaskCodes(self.tasks)
        for day, batch in self._windows(begin, end, employee_ids):
            totals: dict[tuple[str, str], int] = defaultdict(int)
            for item in self._client.get_items("tasks/activity", _window_params(day, batch)):
                if not _on_day(item, day, "tasks/activity"):
                    continue
                key = (_id(item, "employeeId"), _id(item, "taskId"))
                totals[key] += _seconds(item, "totalTime")
            for (employee_id, task_id), seconds in totals.items():
                yield DayTime(employee_id, task_id, codes.code(task_id), day, seconds)

    def _evidence(self, begin: date, end: date, employee_ids: list[str] | None) -> Iterator[Evidence]:
        codes = _TaskCodes(self.tasks)
        for day, batch in self._windows(begin, end, employee_ids):
            shots: dict[tuple[str, str | None], list[tuple[float, str]]] = defaultdict(list)
            for item in self._client.get_items("screenshots", _window_params(day, batch)):
                task_id = None if item.get("taskId") is None else _id(item, "taskId")
                absolute = urljoin(self._client.base_url + "/", _text(item, "url"))
                shots[(_id(item, "employeeId"), task_id)].append((_instant(item.get("timestamp")), absolute))
            for (employee_id, task_id), found in shots.items():
                code = codes.code(task_id) if task_id is not None else None
                found.sort(key=lambda shot: shot[0])
                yield Evidence(employee_id, task_id, code, day, [url for _, url in found])

    def publish_tasks(self, specs: Sequence[TaskPublication]) -> list[PublishOutcome]:
        raise NotSupported(
            "Bitcop's Web API cannot create or change tasks; the account imports them from the "
            "connector's task feed (GET /tracker/v1/tasks)"
        )

    def _windows(
        self, begin: date, end: date, employee_ids: list[str] | None
    ) -> Iterator[tuple[date, list[str]]]:
        if begin == end:
            return
        ids = [e.id for e in self.employees()] if employee_ids is None else employee_ids
        size = self.employees_per_request
        batches = [ids[i : i + size] for i in range(0, len(ids), size)]
        day = begin
        while day < end:
            for batch in batches:
                yield day, batch
            day += timedelta(days=1)


def _checked(begin: date, end: date, employee_ids: Sequence[str] | None) -> list[str] | None:
    """Validate a period and employee ids up front; ids deduplicated, order kept."""
    if begin > end:
        raise ValueError(f"period begins after it ends: {begin} > {end} (end is exclusive)")
    if employee_ids is None:
        return None
    if isinstance(employee_ids, str):
        raise ValueError("employee_ids must be a sequence of ids, not one string")
    for employee_id in employee_ids:
        if not (isinstance(employee_id, str) and employee_id.isascii() and employee_id.isdigit()):
            raise ValueError(f"Bitcop employee ids are integers, got {employee_id!r}")
    return list(dict.fromkeys(employee_ids))


class _TaskCodes:
    """Task id → code for one call: read lazily, re-read at most once on an unknown id."""

    def __init__(self, load: Callable[[], list[TrackerTask]]) -> None:
        self._load = load
        self._codes: dict[str, str | None] | None = None
        self._refreshed = False
        self._warned: set[str] = set()

    def code(self, task_id: str) -> str | None:
        if self._codes is None:
            self._codes = {t.id: t.code for t in self._load()}
        if task_id not in self._codes and not self._refreshed:
            self._refreshed = True
            self._codes = {t.id: t.code for t in self._load()}
        if task_id not in self._codes and task_id not in self._warned:
            self._warned.add(task_id)
            log.warning("Bitcop reported time on task %s that /tasks does not list", task_id)
        return self._codes.get(task_id)


def _window_params(day: date, employee_ids: Sequence[str]) -> dict[str, str]:
    return {
        "begin": day.strftime("%Y%m%d"),
        "end": (day + timedelta(days=1)).strftime("%Y%m%d"),
        "employees": ",".join(employee_ids),
    }


def _on_day(item: Item, day: date, method: str) -> bool:
    raw = item.get("date")
    if raw is None:
        return True
    try:
        item_day = date.fromisoformat(str(raw))
    except ValueError:
        raise TrackerProtocolError(
            f"/{method} item has a malformed date {raw!r}; expected YYYY-MM-DD"
        ) from None
    if item_day != day:
        log.warning("/%s answered an item dated %s for day %s; ignored", method, item_day, day)
        return False
    return True


def _instant(raw: Any) -> float:
    """Sort key of a screenshot timestamp (offsets compared as instants); unparseable → last."""
    try:
        moment = datetime.fromisoformat(str(raw))
    except ValueError:
        return math.inf
    return moment.timestamp() if moment.tzinfo is not None else math.inf


def _employee(item: Item) -> TrackerEmployee:
    first = str(item.get("firstName") or "").strip()
    last = str(item.get("lastName") or "").strip()
    email = str(item.get("email") or "").strip() or None
    employee_id = _id(item, "id")
    name = " ".join(part for part in (first, last) if part) or email or employee_id
    return TrackerEmployee(employee_id, email, name, _flag(item, "active"))


def _task(item: Item) -> TrackerTask:
    name = _text(item, "name")
    assignees = item.get("employees") or []
    if not isinstance(assignees, list):
        raise TrackerProtocolError(f"/tasks item {item.get('id')!r} has non-list employees {assignees!r}")
    return TrackerTask(
        id=_id(item, "id"),
        name=name,
        code=task_code_from_name(name),
        active=_flag(item, "active"),
        employee_ids=tuple(_id({"id": a}, "id") for a in assignees),
    )


def _id(item: Item, name: str) -> str:
    value = item.get(name)
    if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).strip():
        raise TrackerProtocolError(f"item field {name!r} should be an id, got {value!r}")
    return str(value).strip()


def _text(item: Item, name: str) -> str:
    value = item.get(name)
    if not isinstance(value, str):
        raise TrackerProtocolError(f"item field {name!r} should be a string, got {value!r}")
    return value


def _flag(item: Item, name: str) -> bool:
    value = item.get(name, True)
    if not isinstance(value, bool):
        raise TrackerProtocolError(f"item field {name!r} should be true/false, got {value!r}")
    return value


def _seconds(item: Item, name: str) -> int:
    value = item.get(name)
    if (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and value >= 0
        and value == int(value)
    ):
        return int(value)
    raise TrackerProtocolError(f"item field {name!r} should be whole non-negative seconds, got {value!r}")
