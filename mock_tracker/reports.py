"""What the account reports about work, per local day of its time zone.

Pure functions over :class:`AccountState`. Every figure derives from the work entries, split at
local midnight, so ``/tasks/activity`` and ``/_mock/truth`` agree by construction and edits or
deletions show up in every report at once. Screenshots are derived from entries too (seeded by
entry id and times), so they follow edits without being stored.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from mock_tracker.days import DaySegment, local_midnight, split_by_local_day
from mock_tracker.model import AccountState, Entry

SCREENSHOT_EVERY = 600


def iso_local(instant: datetime, tz: ZoneInfo) -> str:
    return instant.astimezone(tz).isoformat(timespec="seconds")


def segments(
    state: AccountState, tz: ZoneInfo, first: date, last: date, employees: set[int] | None = None
) -> Iterator[tuple[Entry, DaySegment]]:
    """Pieces of entries falling on local days [first, last), in start order."""
    window_start, window_end = local_midnight(first, tz), local_midnight(last, tz)
    for entry in sorted(state.entries.values(), key=lambda e: (e.start, e.id)):
        if employees is not None and entry.employee_id not in employees:
            continue
        if entry.end <= window_start or entry.start >= window_end:
            continue
        for seg in split_by_local_day(entry.start, entry.end, tz):
            if first <= seg.day < last:
                yield entry, seg


def truth(state: AccountState, tz: ZoneInfo, first: date, last: date) -> list[dict[str, Any]]:
    """Seconds per employee e-mail (as the account has it), task code and local day."""
    totals: dict[tuple[str, str, date], int] = defaultdict(int)
    for entry, seg in segments(state, tz, first, last):
        email = state.employees[entry.employee_id].email
        code = state.tasks[entry.task_id].code
        totals[(email, code, seg.day)] += seg.seconds
    return [
        {"employee_email": email, "task_code": code, "date": day.isoformat(), "seconds": seconds}
        for (email, code, day), seconds in sorted(
            totals.items(), key=lambda kv: (kv[0][2], kv[0][0], kv[0][1])
        )
    ]


def task_activity(
    state: AccountState, tz: ZoneInfo, first: date, last: date, employees: set[int] | None
) -> list[dict[str, Any]]:
    totals: dict[tuple[int, int, date], int] = defaultdict(int)
    for entry, seg in segments(state, tz, first, last, employees):
        totals[(entry.employee_id, entry.task_id, seg.day)] += seg.seconds
    return [
        {"employeeId": emp, "taskId": task, "date": day.isoformat(), "totalTime": seconds}
        for (emp, task, day), seconds in sorted(totals.items(), key=lambda kv: (kv[0][2], kv[0][0], kv[0][1]))
    ]


def _per_employee_day(
    state: AccountState, tz: ZoneInfo, first: date, last: date, employees: set[int] | None
) -> dict[tuple[int, date], list[DaySegment]]:
    grouped: dict[tuple[int, date], list[DaySegment]] = defaultdict(list)
    for entry, seg in segments(state, tz, first, last, employees):
        grouped[(entry.employee_id, seg.day)].append(seg)
    return dict(sorted(grouped.items(), key=lambda kv: (kv[0][1], kv[0][0])))


def _covered_seconds(pieces: list[DaySegment]) -> int:
    """Time covered by at least one piece: overlapping sessions are not counted twice."""
    total = 0
    current_start = current_end = None
    for seg in sorted(pieces, key=lambda s: s.start):
        if current_end is None or seg.start > current_end:
            if current_end is not None and current_start is not None:
                total += int((current_end - current_start).total_seconds())
            current_start, current_end = seg.start, seg.end
        else:
            current_end = max(current_end, seg.end)
    if current_end is not None and current_start is not None:
        total += int((current_end - current_start).total_seconds())
    return total


def workperiods(
    state: AccountState, tz: ZoneInfo, first: date, last: date, employees: set[int] | None
) -> list[dict[str, Any]]:
    return [
        {
            "employeeId": emp,
            "date": day.isoformat(),
            "start": iso_local(min(s.start for s in pieces), tz),
            "end": iso_local(max(s.end for s in pieces), tz),
        }
        for (emp, day), pieces in _per_employee_day(state, tz, first, last, employees).items()
    ]


def activity(
    state: AccountState, tz: ZoneInfo, seed: int, first: date, last: date, employees: set[int] | None
) -> list[dict[str, Any]]:
    items = []
    for (emp, day), pieces in _per_employee_day(state, tz, first, last, employees).items():
        total = _covered_seconds(pieces)
        active = round(total * random.Random(f"{seed}|activity|{emp}|{day}").uniform(0.75, 0.95))
        items.append(
            {
                "employeeId": emp,
                "date": day.isoformat(),
                "activeTime": active,
                "totalTime": total,
                "downTime": total - active,
            }
        )
    return items


def productivity(
    state: AccountState, tz: ZoneInfo, seed: int, first: date, last: date, employees: set[int] | None
) -> list[dict[str, Any]]:
    items = []
    for (emp, day), pieces in _per_employee_day(state, tz, first, last, employees).items():
        total = _covered_seconds(pieces)
        rng = random.Random(f"{seed}|productivity|{emp}|{day}")
        productive = round(total * rng.uniform(0.5, 0.8))
        unproductive = round(total * rng.uniform(0.05, 0.15))
        items.append(
            {
                "employeeId": emp,
                "date": day.isoformat(),
                "productiveTime": productive,
                "unproductiveTime": unproductive,
                "neutralTime": total - productive - unproductive,
                "totalTime": total,
            }
        )
    return items


def entry_screenshots(seed: int, entry: Entry) -> list[tuple[int, datetime]]:
    """(id, instant) of the screenshots taken during an entry: roughly every 10 minutes."""
    rng = random.Random(f"{seed}|shots|{entry.id}|{entry.start.isoformat()}|{entry.end.isoformat()}")
    shots = []
    moment = entry.start + timedelta(seconds=rng.randint(30, SCREENSHOT_EVERY))
    index = 0
    while moment < entry.end:
        shots.append((entry.id * 1000 + index, moment))
        index += 1
        moment += timedelta(seconds=rng.randint(SCREENSHOT_EVERY - 60, SCREENSHOT_EVERY + 60))
    return shots


def screenshots(
    state: AccountState,
    tz: ZoneInfo,
    seed: int,
    first: date,
    last: date,
    employees: set[int] | None,
    base_url: str,
) -> list[dict[str, Any]]:
    window_start, window_end = local_midnight(first, tz), local_midnight(last, tz)
    items = []
    for entry in sorted(state.entries.values(), key=lambda e: (e.start, e.id)):
        if employees is not None and entry.employee_id not in employees:
            continue
        if entry.end <= window_start or entry.start >= window_end:
            continue
        for shot_id, moment in entry_screenshots(seed, entry):
            if window_start <= moment < window_end:
                items.append(
                    {
                        "id": shot_id,
                        "employeeId": entry.employee_id,
                        "taskId": entry.task_id,
                        "timestamp": iso_local(moment, tz),
                        "url": f"{base_url}/_mock/screens/{shot_id}.png",
                    }
                )
    return items
