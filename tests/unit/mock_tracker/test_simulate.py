from datetime import date, timedelta
from zoneinfo import ZoneInfo

from mock_tracker.days import day_range, split_by_local_day
from mock_tracker.simulate import simulate_day

MSK = ZoneInfo("Europe/Moscow")
EMAILS = [f"user{i}@crm.example" for i in range(8)]
DAYS = list(day_range(date(2026, 1, 5), date(2026, 3, 2)))  # 8 weeks from a Monday


def _all(seed: int = 42) -> dict[tuple[str, date], list]:
    return {(e, d): simulate_day(seed, e, d, ["CRM-1", "CRM-2", "SVC-3"], MSK) for e in EMAILS for d in DAYS}


def test_same_seed_same_sessions_and_other_seed_differs() -> None:
    assert _all(42) == _all(42)
    assert _all(42) != _all(43)


def test_task_order_does_not_change_the_result() -> None:
    day = date(2026, 1, 6)
    assert simulate_day(1, "a@b.c", day, ["B", "A"], MSK) == simulate_day(1, "a@b.c", day, ["A", "B"], MSK)


def test_no_open_tasks_means_no_work() -> None:
    assert simulate_day(42, "a@b.c", date(2026, 1, 6), [], MSK) == []


def test_sessions_are_10_to_120_minutes_and_use_given_tasks() -> None:
    sessions = [s for day in _all().values() for s in day]
    assert sessions
    assert all(600 <= s.seconds <= 7200 for s in sessions)
    assert {s.task_code for s in sessions} == {"CRM-1", "CRM-2", "SVC-3"}


def test_realistic_mix_of_midnight_crossings_weekends_and_long_days() -> None:
    result = _all()
    crossing = [
        s
        for sessions in result.values()
        for s in sessions
        if len(list(split_by_local_day(s.start, s.end, MSK))) == 2
    ]
    weekend_work = [k for k, v in result.items() if v and k[1].weekday() >= 5]
    daily_hours = [sum(s.seconds for s in v) / 3600 for v in result.values() if v]
    assert crossing, "some sessions must cross local midnight"
    assert weekend_work, "some work must fall on weekends"
    assert any(h > 10 for h in daily_hours), "an occasional day over 10 h"
    assert sum(h > 10 for h in daily_hours) < len(daily_hours) / 5, "long days stay occasional"


def test_sessions_of_one_employee_never_overlap_across_days() -> None:
    result = _all()
    for email in EMAILS:
        sessions = sorted((s for d in DAYS for s in result[(email, d)]), key=lambda s: s.start)
        for before, after in zip(sessions, sessions[1:], strict=False):
            assert before.end <= after.start


def test_work_starts_on_its_local_day() -> None:
    for (_, day), sessions in _all().items():
        for s in sessions:
            assert s.start.astimezone(MSK).date() == day
            assert s.end - s.start <= timedelta(hours=2)
