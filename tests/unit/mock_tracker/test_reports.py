from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from mock_tracker import reports
from mock_tracker.account import Account
from mock_tracker.feed import FeedTask

MSK = ZoneInfo("Europe/Moscow")


def _account() -> Account:
    account = Account(7, MSK)
    account.apply_feed(
        [
            FeedTask.model_validate(
                {"code": c, "title": "t", "status": "open", "assignees": [{"email": "a@x.example"}]}
            )
            for c in ("CRM-1", "CRM-2")
        ],
        None,
    )
    return account


def test_truth_and_task_activity_split_a_session_at_local_midnight() -> None:
    account = _account()
    start = datetime(2026, 3, 2, 23, 40, tzinfo=MSK)
    entry = account.add_entry("a@x.example", "CRM-1", start, start + timedelta(minutes=50))
    state = account.state
    assert reports.truth(state, MSK, date(2026, 3, 2), date(2026, 3, 4)) == [
        {"employee_email": "a@x.example", "task_code": "CRM-1", "date": "2026-03-02", "seconds": 1200},
        {"employee_email": "a@x.example", "task_code": "CRM-1", "date": "2026-03-03", "seconds": 1800},
    ]
    activity = reports.task_activity(state, MSK, date(2026, 3, 3), date(2026, 3, 4), None)
    assert activity == [
        {"employeeId": entry.employee_id, "taskId": entry.task_id, "date": "2026-03-03", "totalTime": 1800}
    ]
    periods = reports.workperiods(state, MSK, date(2026, 3, 3), date(2026, 3, 4), None)
    assert (
        periods[0]["start"] == "2026-03-03T00:00:00+03:00"
        and periods[0]["end"] == "2026-03-03T00:30:00+03:00"
    )


def test_activity_counts_overlapping_sessions_once_and_parts_add_up() -> None:
    account = _account()
    t0 = datetime(2026, 3, 2, 10, tzinfo=MSK)
    account.add_entry("a@x.example", "CRM-1", t0, t0 + timedelta(hours=2))
    account.add_entry("a@x.example", "CRM-2", t0 + timedelta(hours=1), t0 + timedelta(hours=3))
    (act,) = reports.activity(account.state, MSK, 7, date(2026, 3, 2), date(2026, 3, 3), None)
    assert act["totalTime"] == 3 * 3600
    assert act["activeTime"] + act["downTime"] == act["totalTime"] and act["activeTime"] > 0
    (prod,) = reports.productivity(account.state, MSK, 7, date(2026, 3, 2), date(2026, 3, 3), None)
    assert (
        prod["productiveTime"] + prod["unproductiveTime"] + prod["neutralTime"]
        == prod["totalTime"]
        == 3 * 3600
    )


def test_screenshots_every_about_ten_minutes_within_the_entry() -> None:
    account = _account()
    t0 = datetime(2026, 3, 2, 10, tzinfo=MSK)
    entry = account.add_entry("a@x.example", "CRM-1", t0, t0 + timedelta(hours=2))
    shots = reports.screenshots(account.state, MSK, 7, date(2026, 3, 2), date(2026, 3, 3), None, "http://h:1")
    assert 10 <= len(shots) <= 13
    stamps = [datetime.fromisoformat(s["timestamp"]) for s in shots]
    assert all(entry.start <= s < entry.end for s in stamps)
    assert all(540 <= (b - a).total_seconds() <= 660 for a, b in zip(stamps, stamps[1:], strict=False))
    assert shots[0]["url"] == f"http://h:1/_mock/screens/{shots[0]['id']}.png"
    assert {s["taskId"] for s in shots} == {entry.task_id}
    assert reports.screenshots(account.state, MSK, 7, date(2026, 3, 2), date(2026, 3, 3), {999}, "x") == []


def test_employee_filter_narrows_every_report() -> None:
    account = _account()
    t0 = datetime(2026, 3, 2, 10, tzinfo=MSK)
    entry = account.add_entry("a@x.example", "CRM-1", t0, t0 + timedelta(hours=1))
    first, last = date(2026, 3, 2), date(2026, 3, 3)
    assert reports.task_activity(account.state, MSK, first, last, {entry.employee_id})
    assert reports.task_activity(account.state, MSK, first, last, {entry.employee_id + 1000}) == []
