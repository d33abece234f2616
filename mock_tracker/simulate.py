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
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

MIN_SESSION = 10 * 60
MAX_SESSION = 120 * 60


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


def simulate_day(seed: int, email: str, day: date, task_codes: list[str], tz: ZoneInfo) -> list[Session]:
    """Sessions (UTC instants) of the employee on ``day``; empty if no open tasks or a day off."""
    if not task_codes:
        return []
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
        end = min(cursor + timedelta(seconds=duration), latest_end)
        if (end - cursor).total_seconds() < MIN_SESSION:
            break
        sessions.append(Session(rng.choice(codes), cursor, end))
        worked += int((end - cursor).total_seconds())
        cursor = end + timedelta(seconds=rng.randint(0, max_break))

    if sessions and rng.random() < 0.15:
        start = _at(day, time(23), tz) + timedelta(seconds=rng.randint(0, 45 * 60))
        midnight = _at(day + timedelta(days=1), time(0), tz)
        to_midnight = int((midnight - start).total_seconds())
        duration = rng.randint(to_midnight + 300, MAX_SESSION)
        sessions.append(Session(rng.choice(codes), start, start + timedelta(seconds=duration)))
    return sessions
