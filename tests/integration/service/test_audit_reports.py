"""Audit of the reports the served-connector tests leave unchecked: the sales time structure per
manager, month and category, and the timesheet grouped by week and month — each compared with
values computed from the tracker's ``/_mock/truth`` (same served stack as ``test_reports``)."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import yaml

from testbed.servers import REPO_ROOT
from tests.integration.service.test_reports import Synced, synced

__all__ = ["synced"]  # the module-scoped served stack, reused


def sales_titles() -> dict[str, str]:
    """Static sales task code → category title, from the shipped mapping."""
    data = yaml.safe_load(Path(REPO_ROOT / "mappings" / "sales.yaml").read_text("utf-8"))
    return {t["code"]: t["title"] for t in data["static_tasks"]}


def test_sales_structure_equals_the_trackers_truth(synced: Synced) -> None:
    titles = sales_titles()
    expected: Counter[tuple[str, str, str]] = Counter()
    for t in synced.truth:
        if t["task_code"] in titles and t["minutes"]:
            expected[(t["employee_email"].lower(), t["date"][:7], titles[t["task_code"]])] += t["minutes"]
    assert expected, "the simulated week has sales time"
    resp = synced.report("sales")
    assert resp.status_code == 200, resp.text
    got: Counter[tuple[str, str, str]] = Counter()
    shares: Counter[tuple[str, str]] = Counter()
    for row in resp.json()["items"]:
        got[((row["email"] or "").lower(), row["month"], row["category"])] += row["minutes"]
        shares[((row["email"] or "").lower(), row["month"])] += row["share_percent"]
    assert +got == +expected
    for key, total in shares.items():
        assert abs(total - 100) <= 0.1 * 4, (key, total)


def period_start(day: str, period: str) -> str:
    d = date.fromisoformat(day)
    if period == "week":
        return (d - timedelta(days=d.weekday())).isoformat()
    return d.replace(day=1).isoformat()


def test_timesheet_by_week_and_month_equals_the_trackers_truth(synced: Synced) -> None:
    for period in ("week", "month"):
        expected: Counter[tuple[str, str]] = Counter()
        for t in synced.truth:
            expected[(t["employee_email"].lower(), period_start(t["date"], period))] += t["minutes"]
        resp = synced.report("timesheet", period=period)
        assert resp.status_code == 200, resp.text
        got: Counter[tuple[str, str]] = Counter()
        for row in resp.json()["items"]:
            assert row["period"] == period
            got[((row["email"] or "").lower(), row["period_start"])] += row["minutes"]
        assert +got == +expected, period
