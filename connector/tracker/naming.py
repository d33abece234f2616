"""How 1C objects look inside task-sink trackers: names that keep the code, days that time falls on.

Both rules are pure and shared by the Kimai and Clockify adapters:

- A tracker object is found again by the ``[CODE]`` its name starts with, so a name is shortened
  by cutting the *title* (ending it with "…"), never the code. A code that
  ``task_code_from_name`` could not read back is refused up front: such an object could never be
  found again, and every push would create another one.
- Tracked time counts on the local day it was spent: an entry crossing local midnight is split
  there, and the worked seconds (which may be less than end − start when the tracker subtracts a
  break) are shared between the days in proportion to the wall time on each.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo

from connector.tracker.base import task_code_from_name

ELLIPSIS = "…"
NO_CUSTOMER = "Без контрагента"

_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class NameRules:
    """A tracker's limits for one kind of name: length bounds and characters it refuses."""

    limit: int
    min_length: int = 1
    replace: Mapping[str, str] = field(default_factory=dict)


# Kimai 2.54+ refuses < > " = in names (NoSpecialCharacters); customers, projects and activities
# take 2–150 characters, teams 2–100.
_KIMAI_CHARS = {'"': "'", "<": "‹", ">": "›", "=": "꞊"}
KIMAI_NAME = NameRules(limit=150, min_length=2, replace=_KIMAI_CHARS)
KIMAI_TEAM = NameRules(limit=100, min_length=2, replace=_KIMAI_CHARS)
# Clockify: project names 2–250 characters; the same limit is kept for tasks (not confirmed).
CLOCKIFY_NAME = NameRules(limit=250, min_length=2)


def clean(text: str | None, rules: NameRules) -> str:
    """One line of text with the tracker's refused characters replaced and spaces collapsed."""
    text = _SPACES.sub(" ", text or "").strip()
    for bad, good in rules.replace.items():
        text = text.replace(bad, good)
    return text


def shorten(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, ending with "…" when something was cut."""
    if len(text) <= limit:
        return text
    return text[: max(0, limit - 1)].rstrip() + ELLIPSIS


def coded_name(code: str, title: str | None, rules: NameRules) -> str:
    """``[CODE] title`` within the tracker's limit, the title shortened and the code kept whole.

    Raises ``ValueError`` when the code cannot be kept (too long for the limit, or not a code
    ``task_code_from_name`` reads back from a name)."""
    prefix = f"[{code}]"
    if task_code_from_name(prefix) != code:
        raise ValueError(f"code {code!r} cannot be kept in a tracker name: use letters, digits, _ . -")
    if len(prefix) > rules.limit:
        raise ValueError(f"code {code!r} is longer than the tracker's {rules.limit}-character names")
    body = clean(title, rules)
    if not body or len(prefix) + 2 > rules.limit:
        return prefix
    return f"{prefix} {shorten(body, rules.limit - len(prefix) - 1)}"


def plain_name(text: str | None, rules: NameRules, fallback: str = NO_CUSTOMER) -> str:
    """A name without a code (a customer's), cleaned and shortened; ``fallback`` when empty."""
    name = shorten(clean(text, rules) or fallback, rules.limit)
    return name if len(name) >= rules.min_length else name + "." * (rules.min_length - len(name))


def split_by_local_day(
    start: datetime, end: datetime, zone: tzinfo, seconds: int | None = None
) -> list[tuple[date, int]]:
    """Worked seconds of ``[start, end)`` per local day of ``zone``, split at local midnight.

    ``seconds`` defaults to the wall time; when given (a tracker's duration net of breaks) it is
    shared in proportion to the wall time on each day, whole seconds that add up exactly.
    Instants must be aware; an entry that ends before it starts counts nothing."""
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("entry instants must carry an offset")
    if end <= start:
        return []
    day = start.astimezone(zone).date()
    if end <= datetime.combine(day + timedelta(days=1), time(), tzinfo=zone):  # the usual case
        total = round((end - start).total_seconds()) if seconds is None else max(0, int(seconds))
        return [(day, total)] if total > 0 else []
    pieces: list[tuple[date, float]] = []
    cursor = start
    while cursor < end:
        midnight = datetime.combine(day + timedelta(days=1), time(), tzinfo=zone)
        upto = min(end, midnight)
        pieces.append((day, (upto - cursor).total_seconds()))
        cursor, day = upto, day + timedelta(days=1)
    wall = sum(part for _, part in pieces)
    total = round(wall) if seconds is None else max(0, int(seconds))
    return _apportion(pieces, wall, total)


def _apportion(pieces: list[tuple[date, float]], wall: float, total: int) -> list[tuple[date, int]]:
    """Whole seconds per day in proportion to ``pieces``, summing to ``total`` (largest remainder)."""
    shares = [(day, total * part / wall) for day, part in pieces]
    whole = [(day, int(share)) for day, share in shares]
    short = total - sum(n for _, n in whole)
    order = sorted(range(len(shares)), key=lambda i: shares[i][1] - whole[i][1], reverse=True)
    for i in order[:short]:
        whole[i] = (whole[i][0], whole[i][1] + 1)
    return [(day, n) for day, n in whole if n > 0]
