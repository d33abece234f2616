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


# -- work around the plan ----------------------------------------------------------------------

SALES = {"SALES-COMMERCIAL": 60.0, "SALES-ADMIN": 20.0, "SALES-LEARNING": 8.0, "SALES-BREAK": 12.0}


def test_about_one_planned_task_in_six_runs_over_and_the_rest_end_between_70_and_98_percent() -> None:
    from mock_tracker.simulate import outcome_ratio

    ratios = [outcome_ratio(42, f"CRM-{n:06d}") for n in range(1200)]
    over = [r for r in ratios if r > 1]
    assert 0.12 <= len(over) / len(ratios) <= 0.22
    assert all(1.2 <= r <= 1.6 for r in over)
    assert all(0.70 <= r <= 0.98 for r in ratios if r <= 1)
    assert outcome_ratio(42, "CRM-000001") == outcome_ratio(42, "CRM-000001")


def test_budgets_are_spent_and_never_exceeded() -> None:
    budgets = {"CRM-1": 3 * 3600, "CRM-2": 5 * 3600}
    given = dict(budgets)
    tracked: dict[str, int] = {"CRM-1": 0, "CRM-2": 0}
    for day in DAYS[:10]:
        for s in simulate_day(42, "a@b.c", day, ["CRM-1", "CRM-2"], MSK, budgets=budgets):
            tracked[s.task_code] += s.seconds
    for code, seconds in given.items():
        assert seconds - 5 * 60 < tracked[code] <= seconds  # spent, to the last few minutes
        assert budgets[code] == seconds - tracked[code]


def test_once_the_plan_is_spent_only_unplanned_tasks_are_worked() -> None:
    budgets = {"CRM-1": 3600}
    sessions = [
        s
        for day in DAYS[:5]
        for s in simulate_day(7, "a@b.c", day, ["CRM-1", "SALES-ADMIN"], MSK, budgets=budgets)
    ]
    planned = sum(s.seconds for s in sessions if s.task_code == "CRM-1")
    assert planned <= 3600 and budgets["CRM-1"] == 3600 - planned
    assert sum(s.seconds for s in sessions if s.task_code == "SALES-ADMIN") > 5 * 3600


def test_a_sales_managers_weekday_is_about_eight_hours_in_the_given_shares() -> None:
    totals: dict[str, int] = dict.fromkeys(SALES, 0)
    weekdays: list[int] = []
    for email in EMAILS:
        for day in DAYS:
            sessions = simulate_day(42, email, day, list(SALES), MSK, shares=SALES)
            for s in sessions:
                totals[s.task_code] += s.seconds
            if day.weekday() < 5 and sessions:
                weekdays.append(sum(s.seconds for s in sessions))
    assert 7.0 <= sum(weekdays) / len(weekdays) / 3600 <= 8.8
    whole = sum(totals.values())
    for code, weight in SALES.items():
        assert abs(totals[code] / whole - weight / 100) < 0.05, (code, totals[code] / whole)


def test_task_budgets_take_off_what_is_already_tracked() -> None:
    from dataclasses import dataclass

    from mock_tracker.simulate import outcome_ratio, task_budgets

    @dataclass
    class T:
        id: int
        code: str
        planned_minutes: float | None

    @dataclass
    class E:
        task_id: int
        seconds: int

    tasks = [T(1, "CRM-1", 120), T(2, "SALES-ADMIN", None), T(3, "CRM-3", 60)]
    budgets = task_budgets(42, tasks, [E(1, 1800), E(1, 600), E(3, 10**6)])
    assert budgets == {1: round(7200 * outcome_ratio(42, "CRM-1")) - 2400, 3: 0}
