"""Kimai's timesheets as the connector's time source: per-day totals per user and activity.

- ``GET /api/timesheets``: ``user=all`` or ``users[]``, ``begin``/``end`` as local datetimes of
  the API account (both filter the *start* of an entry, inclusive), ``page``/``size`` (≤ 500),
  ``X-Total-Pages``; ``begin``/``end`` of an entry carry its own offset, ``duration`` is seconds
  net of breaks, a running timer has no ``end``.
- An activity's teams restrict who may book it: the members of its teams are its people.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterator, Sequence
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from connector.tracker.base import DayTime, Evidence, TrackerTask, task_code_from_name
from connector.tracker.errors import NotSupported, TrackerProtocolError
from connector.tracker.jsonapi import Item, as_list, as_object, checked_period, item_id, ref_id
from connector.tracker.kimai.client import ALL, KimaiClient
from connector.tracker.kimai.directory import team_ids, team_members
from connector.tracker.naming import split_by_local_day

log = logging.getLogger(__name__)


class KimaiTimesheets(KimaiClient):
    """The time source role: activities and the time booked on them."""

    def tasks(self) -> list[TrackerTask]:
        """Every activity (hidden ones too) with our code and the members of its teams."""
        me = item_id(as_object(self.api.get("users/me").body, "users/me"), "id")
        members = team_members(self._list("users", {**ALL, "full": "true"}))
        out = []
        for a in self._list("activities", ALL):
            people = {u for t in team_ids(a) for u in members.get(t, {}) if u != me}
            name = str(a.get("name") or "")
            out.append(
                TrackerTask(
                    item_id(a, "id"),
                    name,
                    task_code_from_name(name),
                    bool(a.get("visible", True)),
                    tuple(sorted(people)),
                )
            )
        return out

    def time_per_day(
        self, begin: date, end: date, employee_ids: Sequence[str] | None = None
    ) -> Iterator[DayTime]:
        """Per-day totals per user and activity for local days ``[begin, end)``.

        Days are those of each entry's own offset; an entry crossing midnight counts on both days.
        One timesheet listing, paged by ``X-Total-Pages``, from the day before ``begin`` (an
        entry started then may run past midnight). Running timers are skipped."""
        ids = checked_period(begin, end, employee_ids)
        for bad in [i for i in ids or [] if not (i.isascii() and i.isdigit())][:1]:
            raise ValueError(f"Kimai user ids are integers, got {bad!r}")
        return self._time(begin, end, ids) if begin < end else iter(())

    def evidence(
        self, begin: date, end: date, employee_ids: Sequence[str] | None = None
    ) -> Iterator[Evidence]:
        raise NotSupported("Kimai keeps no screenshots: there is no evidence to read")

    def timesheets(self, begin: date, end: date, employee_ids: list[str] | None = None) -> Iterator[Item]:
        """The raw timesheet entries started in ``[begin, end)`` (the API account's local days)."""
        params: dict[str, Any] = {
            "full": "true",
            "begin": f"{begin.isoformat()}T00:00:00",
            "end": f"{(end - timedelta(days=1)).isoformat()}T23:59:59",
            "orderBy": "id",
            "order": "ASC",
            "size": str(self.page_size),
        }
        if employee_ids is None:
            params["user"] = "all"
        else:
            params["users[]"] = employee_ids
        page, pages, seen = 1, None, set()
        while pages is None or page <= pages:
            answer = self.api.get("timesheets", {**params, "page": str(page)})
            items = as_list(answer.body, "timesheets")
            pages = answer.header_int("X-Total-Pages")
            if pages is None:  # no paging headers: a short page is the last one
                pages = page + 1 if len(items) >= self.page_size else page
            for item in items:
                if item.get("id") not in seen:
                    seen.add(item.get("id"))
                    yield item
            page += 1

    def _time(self, begin: date, end: date, ids: list[str] | None) -> Iterator[DayTime]:
        totals: dict[tuple[str, str, date], int] = defaultdict(int)
        codes: dict[str, str | None] = {}
        running = 0
        for entry in self.timesheets(begin - timedelta(days=1), end, ids):
            if not entry.get("end"):
                running += 1
                continue
            start, stop = _instant(entry, "begin"), _instant(entry, "end")
            user = ref_id(entry.get("user"), "user")
            activity = entry.get("activity")
            activity_id = ref_id(activity, "activity")
            if isinstance(activity, dict) and "name" in activity:
                codes[activity_id] = task_code_from_name(str(activity.get("name") or ""))
            worked = entry.get("duration")
            seconds = (
                int(worked) if isinstance(worked, int | float) and not isinstance(worked, bool) else None
            )
            for day, part in split_by_local_day(start, stop, _own_zone(start), seconds):
                if begin <= day < end:
                    totals[(user, activity_id, day)] += part
        if running:
            log.info("Kimai: %d running timers not counted until they stop", running)
        missing = {a for _, a, _ in totals if a not in codes}
        if missing:
            codes.update({t.id: t.code for t in self.tasks() if t.id in missing})
        for (user, activity_id, day), seconds in sorted(
            totals.items(), key=lambda kv: (kv[0][2], kv[0][0], kv[0][1])
        ):
            yield DayTime(user, activity_id, codes.get(activity_id), day, seconds)


def _instant(entry: Item, name: str) -> datetime:
    raw = entry.get(name)
    try:
        moment = datetime.fromisoformat(str(raw))
    except ValueError:
        raise TrackerProtocolError(
            f"timesheet {entry.get('id')}: {name} {raw!r} is not an ISO datetime"
        ) from None
    if moment.tzinfo is None:
        raise TrackerProtocolError(f"timesheet {entry.get('id')}: {name} {raw!r} has no offset")
    return moment


def _own_zone(moment: datetime) -> tzinfo:
    """The entry's own offset: its days are the days of the person who tracked it."""
    if moment.tzinfo is None:
        raise TrackerProtocolError(f"timesheet instant {moment.isoformat()} has no offset")
    return moment.tzinfo
