"""Run the Bitcop adapter in its own process (so ``TZ`` can differ) and print what it read.

``python -m tests.integration.tracker.dump_time API_URL KEY BEGIN END`` prints one JSON object:
``time`` rows ``[employee_id, employee_email, task_id, task_code, date, seconds]`` and ``evidence`` rows
``[employee_id, task_id, task_code, date, urls]``.
"""

from __future__ import annotations

import json
import sys
from datetime import date

from connector.tracker.bitcop import BitcopTracker


def main(argv: list[str]) -> None:
    url, key, begin, end = argv
    tracker = BitcopTracker(url, key, rate_limit=200.0, employees_per_request=2)
    emails = {e.id: e.email for e in tracker.employees()}
    first, last = date.fromisoformat(begin), date.fromisoformat(end)
    rows = [
        [t.employee_id, emails[t.employee_id], t.task_id, t.task_code, t.day.isoformat(), t.seconds]
        for t in tracker.time_per_day(first, last)
    ]
    evidence = [
        [e.employee_id, e.task_id, e.task_code, e.day.isoformat(), e.urls]
        for e in tracker.evidence(first, last)
    ]
    json.dump({"time": rows, "evidence": evidence}, sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    main(sys.argv[1:])
