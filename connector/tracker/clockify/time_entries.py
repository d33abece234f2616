"""Clockify's time entries as the connector's time source: per-day totals per user and task.

Published facts this relies on (docs.clockify.me; see docs/trackers.md for what is unconfirmed):

- ``GET …/projects?hydrated=true`` carries each project's ``tasks``.
- Reports live on their own host: ``POST {reports}/workspaces/{ws}/reports/detailed`` with
  ``dateRangeStart``/``dateRangeEnd`` (UTC) and ``detailedFilter {page, pageSize}``; the first
  page's ``totals[0].entriesCount`` says how many pages follow. An entry's ``timeInterval`` has
  ``start``/``end`` (no end: a running timer) and ``duration`` in seconds.

Days are local days of the account's zone (``timezone``, the company's by default).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from typing import Any

from connector.tracker.base import DayTime, Evidence, TrackerTask, task_code_from_name
from connector.tracker.clockify.client import ClockifyClient
from connector.tracker.clockify.durations import seconds_of
from connector.tracker.errors import NotSupported, TrackerProtocolError
from connector.tracker.jsonapi import Item, as_list, as_object, checked_period, item_id, ref
from connector.tracker.naming import split_by_local_day

log = logging.getLogger(__name__)


class ClockifyTimeEntries(ClockifyClient):
    """The time source role: tasks and the time entries of the detailed report."""

    def tasks(self) -> list[TrackerTask]:
        """Every task of every project, with our code and its assignees."""
        out = []
        for project in self._pages(f"{self.ws}/projects", {"hydrated": "true"}):
            for task in self._tasks_of(project):
                name = str(task.get("name") or "")
                active = str(task.get("status") or "ACTIVE") == "ACTIVE" and not project.get("archived")
                people = tuple(str(a) for a in task.get("assigneeIds") or [])
                out.append(TrackerTask(item_id(task), name, task_code_from_name(name), active, people))
        return out

    def time_per_day(
        self, begin: date, end: date, employee_ids: Sequence[str] | None = None
    ) -> Iterator[DayTime]:
        """Per-day totals per user and task for local days ``[begin, end)`` of the account's zone.

        One detailed report, paged (``ceil(entries / report_page_size)`` requests), from the
        day before ``begin`` (an entry started then may run past midnight). Entries crossing
        local midnight are split there; running timers and entries without a task are skipped."""
        ids = checked_period(begin, end, employee_ids)
        return self._time(begin, end, ids) if begin < end else iter(())

    def evidence(
        self, begin: date, end: date, employee_ids: Sequence[str] | None = None
    ) -> Iterator[Evidence]:
        raise NotSupported("the connector reads no screenshots from Clockify")

    def report_entries(
        self, start: datetime, end: datetime, employee_ids: list[str] | None
    ) -> Iterator[Item]:
        """The detailed report's entries started in ``[start, end)``, page after page."""
        body: dict[str, Any] = {
            "dateRangeStart": _utc(start),
            "dateRangeEnd": _utc(end - timedelta(milliseconds=1)),
            "exportType": "JSON",
        }
        if employee_ids is not None:
            body["users"] = {"ids": employee_ids, "contains": "CONTAINS", "status": "ALL"}
        page, fetched, count = 1, 0, None
        while True:
            totals = "CALCULATE" if page == 1 else "EXCLUDE"
            body["detailedFilter"] = {
                "page": page,
                "pageSize": self.report_page_size,
                "options": {"totals": totals},
            }
            answer = self.api.read("POST", f"{self.ws}/reports/detailed", body, base=self.reports_url)
            report = as_object(answer.body, "reports/detailed")
            # the service sends "timeentries"; its OpenAPI schema spells it "timeEntries"
            rows = report.get("timeentries", report.get("timeEntries")) or []
            items = as_list(rows, "reports/detailed timeentries")
            if page == 1:
                count = _entries_count(report)
            yield from items
            fetched += len(items)
            if not items or (fetched >= count if count is not None else len(items) < self.report_page_size):
                return
            page += 1

    def _time(self, begin: date, end: date, ids: list[str] | None) -> Iterator[DayTime]:
        start = datetime.combine(begin - timedelta(days=1), clock(), tzinfo=self.zone)
        stop = datetime.combine(end, clock(), tzinfo=self.zone)
        totals: dict[tuple[str, str, date], int] = defaultdict(int)
        codes: dict[str, str | None] = {}
        skipped: dict[str, int] = defaultdict(int)
        for entry in self.report_entries(start, stop, ids):
            interval = entry.get("timeInterval") or {}
            task_id = ref(entry.get("taskId"))
            if not interval.get("end"):
                skipped["running"] += 1
                continue
            if task_id is None:
                skipped["without a task"] += 1
                continue
            if entry.get("taskName"):
                codes[task_id] = task_code_from_name(str(entry["taskName"]))
            user = ref(entry.get("userId"))
            if user is None:
                raise TrackerProtocolError(f"report entry {entry.get('_id')!r} has no userId")
            a, b = _instant(interval, "start"), _instant(interval, "end")
            for day, part in split_by_local_day(a, b, self.zone, seconds_of(interval.get("duration"))):
                if begin <= day < end:
                    totals[(user, task_id, day)] += part
        for reason, n in skipped.items():
            log.info("Clockify: %d report entries not counted (%s)", n, reason)
        missing = {t for _, t, _ in totals if t not in codes}
        if missing:
            codes.update({t.id: t.code for t in self.tasks() if t.id in missing})
        for (user, task_id, day), seconds in sorted(
            totals.items(), key=lambda kv: (kv[0][2], kv[0][0], kv[0][1])
        ):
            yield DayTime(user, task_id, codes.get(task_id), day, seconds)

    def _tasks_of(self, project: Item) -> list[Item]:
        """A project's tasks: from the hydrated listing, else read (older answers lack them)."""
        if isinstance(project.get("tasks"), list):
            return [t for t in project["tasks"] if isinstance(t, dict)]
        return list(self._pages(f"{self.ws}/projects/{item_id(project)}/tasks"))


def _entries_count(report: Item) -> int | None:
    """How many entries the whole report has (``totals[0].entriesCount``); None when not said."""
    totals = report.get("totals")
    if isinstance(totals, list) and totals and isinstance(totals[0], dict):
        count = totals[0].get("entriesCount")
        if isinstance(count, int) and not isinstance(count, bool):
            return count
    return None


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _instant(interval: Item, name: str) -> datetime:
    raw = str(interval.get(name))
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise TrackerProtocolError(f"report entry {name} {raw!r} is not an ISO datetime") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
