"""Work in start order, for the dialects that page through time entries.

Kimai's ``/api/timesheets`` and Clockify's time entries and detailed report all answer "work
that started in [a, b], page n". Sorting every entry on every request would make the mock the
slow part of a benchmark, so the account keeps one ordering per version of its work (rebuilt
only after a change) and requests cut their window out of it with a binary search.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from datetime import datetime

from mock_tracker.model import AccountState, Entry, Timer


@dataclass(frozen=True)
class Work:
    """One row of the timeline: a finished entry or a running timer (``end`` is None)."""

    start: datetime
    id: int
    employee_id: int
    task_id: int
    end: datetime | None
    modified: datetime | None

    @property
    def seconds(self) -> int:
        return int((self.end - self.start).total_seconds()) if self.end is not None else 0


def work_of(item: Entry | Timer) -> Work:
    end = item.end if isinstance(item, Entry) else None
    return Work(item.start, item.id, item.employee_id, item.task_id, end, item.modified)


@dataclass
class Timeline:
    """All work in (start, id) order, also per employee."""

    rows: list[Work]
    keys: list[tuple[datetime, int]]
    by_employee: dict[int, list[Work]] = field(default_factory=dict)
    _employee_keys: dict[int, list[tuple[datetime, int]]] = field(default_factory=dict)

    @classmethod
    def of(cls, state: AccountState) -> Timeline:
        rows = sorted(
            [work_of(e) for e in state.entries.values()] + [work_of(t) for t in state.timers.values()],
            key=lambda w: (w.start, w.id),
        )
        by_employee: dict[int, list[Work]] = {}
        for row in rows:
            by_employee.setdefault(row.employee_id, []).append(row)
        return cls(rows, [(w.start, w.id) for w in rows], by_employee)

    def window(
        self, low: datetime | None, high: datetime | None, employee_id: int | None = None
    ) -> list[Work]:
        """Rows that started in [low, high] (either bound may be open), in start order."""
        if employee_id is None:
            rows, keys = self.rows, self.keys
        else:
            rows = self.by_employee.get(employee_id, [])
            if employee_id not in self._employee_keys:
                self._employee_keys[employee_id] = [(w.start, w.id) for w in rows]
            keys = self._employee_keys[employee_id]
        first = bisect_left(keys, (low, -1)) if low is not None else 0
        last = bisect_right(keys, (high, 2**62)) if high is not None else len(rows)
        return rows[first:last]
