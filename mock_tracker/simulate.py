"""Realistic, reproducible work of one employee on one local day.

Every (seed, employee e-mail, day) has its own random stream, so the same seed, day and
assigned tasks always give the same sessions, whatever else was simulated before.

Shape of a day (local time of the account):
- weekdays: ~92 % worked, 6–9 h of sessions from 08:00–09:30, breaks up to 30 min; ~8 % of
  worked weekdays are long (10.5–12 h, early start, short breaks);
- weekends: ~25 % worked, 1–4 h;
- ~15 % of worked days end with an evening session starting 23:00–23:45 that crosses midnight
  (ends before 02:00, so it never overlaps the next day's sessions, which start at 07:30+);
- sessions last 10–120 min; none but the evening one runs past 22:30.

With ``--follow-plan``, work follows the plan where a task has one: each planned task gets an
outcome drawn from the seed and its code — about five in six end between 70 and 98 % of the plan,
about one in six runs over (120–160 %) — and its assignees stop tracking on it once that budget is
spent (a task's budget is split evenly between them). Tasks without a plan (sales categories, say)
take what is left of the day, in the shares the account is given (``--work-shares``; equal shares
when none are given).
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping, MutableMapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

MIN_SESSION = 10 * 60
MAX_SESSION = 120 * 60
LAST_PIECE = 5 * 60  # a planned task's last bit of budget may be a short session
OVERRUN_SHARE = 1 / 6
ON_PLAN = (0.70, 0.98)
OVER_PLAN = (1.2, 1.6)


class PlannedTask(Protocol):
    id: int
    code: str
    planned_minutes: float | None


class TrackedEntry(Protocol):
    task_id: int

    @property
    def seconds(self) -> int: ...


def outcome_ratio(seed: int, code: str) -> float:
    """How much of its plan a task will take in the end (fact ÷ plan), fixed by seed and code."""
    rng = random.Random(f"{seed}|plan|{code}")
    low, high = OVER_PLAN if rng.random() < OVERRUN_SHARE else ON_PLAN
    return round(rng.uniform(low, high), 3)


def task_budgets(seed: int, tasks: Iterable[PlannedTask], entries: Iterable[TrackedEntry]) -> dict[int, int]:
    """Seconds still to be tracked per planned task (task id → seconds, never negative): its
    outcome × plan less what its entries already hold. Tasks without a plan are not listed."""
    spent: dict[int, int] = {}
    for entry in entries:
        spent[entry.task_id] = spent.get(entry.task_id, 0) + entry.seconds
    out: dict[int, int] = {}
    for task in tasks:
        if task.planned_minutes is None or task.planned_minutes <= 0:
            continue
        total = round(task.planned_minutes * 60 * outcome_ratio(seed, task.code))
        out[task.id] = max(0, total - spent.get(task.id, 0))
    return out


@dataclass(frozen=True)
class Session:
    task_code: str
    start: datetime
    end: datetime

    @property
    def seconds(self) -> int:
        return int((self.end - self.start).total_seconds())


def _at(day: date, clock: time, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, clock, tzinfo=tz).astimezone(UTC)


def _pick(
    rng: random.Random, codes: list[str], budgets: Mapping[str, int], shares: Mapping[str, float]
) -> str | None:
    """A task to work on: planned tasks with budget left (weighted by what is left, so they finish
    together) or unplanned ones (weighted by their share); None when nothing is left to do.
    Without budgets or shares every task is equally likely (the same draws as plain choice)."""
    if not budgets and not shares:
        return rng.choice(codes)
    weights: list[float] = []
    for code in codes:
        if code in budgets:
            weights.append(budgets[code] / 3600 if budgets[code] >= LAST_PIECE else 0.0)
        else:
            weights.append(shares.get(code, 1.0))
    if not any(w > 0 for w in weights):
        return None
    return rng.choices(codes, weights)[0]


def simulate_day(
    seed: int,
    email: str,
    day: date,
    task_codes: list[str],
    tz: ZoneInfo,
    *,
    budgets: MutableMapping[str, int] | None = None,
    shares: Mapping[str, float] | None = None,
) -> list[Session]:
    """Sessions (UTC instants) of the employee on ``day``; empty if no open tasks or a day off.

    ``budgets`` (code → seconds this employee may still track on a planned task) is spent by the
    sessions, so the caller passes the same dict for consecutive days; codes not in it are
    unplanned and weighted by ``shares`` (code → weight, default 1)."""
    if not task_codes:
        return []
    budgets = budgets if budgets is not None else {}
    shares = shares or {}
    codes = sorted(task_codes)
    rng = random.Random(f"{seed}|work|{email.lower()}|{day.isoformat()}")
    weekend = day.weekday() >= 5
    if weekend:
        if rng.random() >= 0.25:
            return []
        target = rng.randint(60, 240) * 60
        first_start = _at(day, time(10), tz) + timedelta(seconds=rng.randint(0, 3 * 3600))
        max_break = 1800
    else:
        if rng.random() < 0.08:
            return []
        long_day = rng.random() < 0.08
        if long_day:
            target = rng.randint(630, 720) * 60
            first_start = _at(day, time(7, 30), tz) + timedelta(seconds=rng.randint(0, 1800))
            max_break = 300
        else:
            target = rng.randint(360, 540) * 60
            first_start = _at(day, time(8), tz) + timedelta(seconds=rng.randint(0, 5400))
            max_break = 1800
    latest_end = _at(day, time(22, 30), tz)

    sessions: list[Session] = []
    worked = 0
    cursor = first_start
    while worked < target:
        remaining = target - worked
        duration = min(rng.randint(MIN_SESSION, MAX_SESSION), max(remaining, MIN_SESSION))
        code = _pick(rng, codes, budgets, shares)
        if code is None:
            break
        if code in budgets:
            duration = min(duration, budgets[code])
        end = min(cursor + timedelta(seconds=duration), latest_end)
        length = int((end - cursor).total_seconds())
        if length < (LAST_PIECE if code in budgets and length == budgets[code] else MIN_SESSION):
            break
        sessions.append(Session(code, cursor, end))
        if code in budgets:
            budgets[code] -= length
        worked += length
        cursor = end + timedelta(seconds=rng.randint(0, max_break))

    if sessions and rng.random() < 0.15:
        start = _at(day, time(23), tz) + timedelta(seconds=rng.randint(0, 45 * 60))
        midnight = _at(day + timedelta(days=1), time(0), tz)
        to_midnight = int((midnight - start).total_seconds())
        duration = rng.randint(to_midnight + 300, MAX_SESSION)
        code = _pick(rng, codes, budgets, shares)
        if code is not None and (code not in budgets or budgets[code] >= duration):
            sessions.append(Session(code, start, start + timedelta(seconds=duration)))
            if code in budgets:
                budgets[code] -= duration
    return sessions
