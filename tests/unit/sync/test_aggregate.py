"""Aggregation: (employee, object, local day, work type), rounded once, every skip named."""

from __future__ import annotations

import os
import time
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connector.sync.core.aggregate import (
    DAY_OVER_24H,
    MISSING_WORK_TYPE,
    NEGATIVE_DURATION,
    STATIC_TASK_WITHOUT_OBJECT,
    UNKNOWN_TASK,
    UNMATCHED_EMPLOYEE,
    AggregationResult,
    aggregate,
)
from connector.sync.core.model import LabourKey, RoundingRule, Target, TimeSlice

MSK = ZoneInfo("Europe/Moscow")
INTEREST = "Document_CRM_Интерес"
TARGETS = {
    "CRM-1": Target(INTEREST, "obj-1", "wt-consult", customer_ref="cust-1", billable=True),
    "CRM-2": Target(INTEREST, "obj-2", "wt-dev", customer_ref="cust-2", billable=True),
    "SALES-ADMIN": Target(None, None, "wt-admin", billable=False),
    "BROKEN-STATIC": Target(None, None, None),
    "NO-WORK-TYPE": Target(INTEREST, "obj-3", None),
}
EMPLOYEES = {"ann@example.com": "emp-ann", "bob@example.com": "emp-bob"}


def run(
    slices: list[TimeSlice], rule: RoundingRule = RoundingRule(1, "nearest"), **kw: object
) -> AggregationResult:
    return aggregate(
        slices,
        resolve=TARGETS.get,
        match_employee=EMPLOYEES.get,
        tz=kw.pop("tz", MSK),  # type: ignore[arg-type]
        per_employee_tz=kw.pop("per_employee_tz", None),  # type: ignore[arg-type]
        rounding_for=lambda _t: rule,
    )


def at(day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2024, 3, day, hour, minute, second, tzinfo=MSK)


def interval(
    start: datetime, end: datetime, task: str = "CRM-1", who: str = "ann@example.com", **kw: object
) -> TimeSlice:
    return TimeSlice(who, task, start=start, end=end, **kw)  # type: ignore[arg-type]


def test_entries_of_one_employee_object_day_and_work_type_sum_into_one_aggregate() -> None:
    res = run(
        [
            interval(at(5, 9), at(5, 9, 20), evidence_url="https://t/shots/b"),
            interval(at(5, 14), at(5, 14, 25), evidence_url="https://t/shots/a"),
            interval(at(5, 15), at(5, 16), task="CRM-2"),
        ]
    )
    assert [(a.key.object_ref, a.seconds_raw, a.minutes) for a in res.aggregates] == [
        ("obj-1", 45 * 60, 45),
        ("obj-2", 3600, 60),
    ]
    first = res.aggregates[0]
    assert first.key == LabourKey("emp-ann", INTEREST, "obj-1", date(2024, 3, 5), "wt-consult")
    assert first.customer_ref == "cust-1"
    assert first.evidence_url == "https://t/shots/a"
    assert not res.skipped


def test_rounding_is_applied_to_the_day_total_not_to_each_entry() -> None:
    # Three 4-minute entries: 12 minutes rounded up to a quarter hour is 15, not 3 × 15.
    entries = [interval(at(5, h), at(5, h, 4)) for h in (9, 11, 13)]
    res = run(entries, RoundingRule(15, "up"))
    assert [(a.seconds_raw, a.minutes) for a in res.aggregates] == [(12 * 60, 15)]


def test_entry_crossing_midnight_counts_on_both_local_days() -> None:
    res = run([interval(at(5, 23, 30), at(6, 0, 45))])
    assert [(a.key.work_date, a.minutes) for a in res.aggregates] == [
        (date(2024, 3, 5), 30),
        (date(2024, 3, 6), 45),
    ]


def test_per_employee_zone_overrides_the_company_zone() -> None:
    start = datetime(2024, 3, 5, 20, 30, tzinfo=UTC)  # 23:30 Moscow, 21:30 Berlin
    entry = interval(start, start + timedelta(hours=1))
    company = run([entry])
    berlin = run([entry], per_employee_tz={"emp-ann": "Europe/Berlin"})
    assert [a.key.work_date for a in company.aggregates] == [date(2024, 3, 5), date(2024, 3, 6)]
    assert [(a.key.work_date, a.minutes) for a in berlin.aggregates] == [(date(2024, 3, 5), 60)]


def test_per_day_totals_keep_the_trackers_day() -> None:
    res = run([TimeSlice("bob@example.com", "CRM-2", day=date(2024, 3, 7), seconds=5400)])
    assert [(a.key.employee_ref, a.key.work_date, a.minutes) for a in res.aggregates] == [
        ("emp-bob", date(2024, 3, 7), 90)
    ]


def test_unknown_tasks_and_unmatched_employees_are_counted_with_reasons_not_written() -> None:
    res = run(
        [
            interval(at(5, 9), at(5, 10), task="NOPE-9", source_entry_id="e1"),
            interval(at(5, 9), at(5, 9, 30), who="stranger@example.com", source_entry_id="e2"),
            interval(at(5, 10), at(5, 11), task="BROKEN-STATIC"),
            interval(at(5, 11), at(5, 12), task="NO-WORK-TYPE"),
            interval(at(5, 12), at(5, 13), source_entry_id="e9"),
        ]
    )
    assert res.skipped == {
        UNKNOWN_TASK: 1,
        UNMATCHED_EMPLOYEE: 1,
        STATIC_TASK_WITHOUT_OBJECT: 1,
        MISSING_WORK_TYPE: 1,
    }
    assert res.skipped_seconds[UNKNOWN_TASK] == 3600
    assert res.skipped_seconds[UNMATCHED_EMPLOYEE] == 1800
    assert res.samples[UNKNOWN_TASK][0].source_entry_id == "e1"
    assert res.samples[UNMATCHED_EMPLOYEE][0].employee_key == "stranger@example.com"
    assert [a.seconds_raw for a in res.aggregates] == [3600]


def test_static_category_time_is_booked_by_work_type_without_an_object() -> None:
    res = run([interval(at(5, 9), at(5, 10), task="SALES-ADMIN")])
    (agg,) = res.aggregates
    assert (agg.key.object_ref, agg.key.work_type_ref, agg.billable) == (None, "wt-admin", False)


def test_billable_comes_from_the_target_unless_the_slice_says_otherwise() -> None:
    res = run(
        [
            interval(at(5, 9), at(5, 10), task="SALES-ADMIN", billable=True),
            interval(at(5, 9), at(5, 10), task="CRM-2", billable=False),
            interval(at(6, 9), at(6, 10), task="CRM-2"),
        ]
    )
    assert [(a.key.work_type_ref, a.key.work_date.day, a.billable) for a in res.aggregates] == [
        ("wt-admin", 5, True),
        ("wt-dev", 5, False),
        ("wt-dev", 6, True),
    ]


def test_negative_durations_are_reported_not_subtracted() -> None:
    res = run(
        [
            interval(at(5, 10), at(5, 9), source_entry_id="neg"),
            TimeSlice("ann@example.com", "CRM-1", day=date(2024, 3, 5), seconds=-60),
            interval(at(5, 11), at(5, 12)),
        ]
    )
    assert res.skipped[NEGATIVE_DURATION] == 2
    assert [a.minutes for a in res.aggregates] == [60]


def test_an_employee_day_over_24_hours_is_rejected_whole() -> None:
    res = run(
        [
            TimeSlice("ann@example.com", "CRM-1", day=date(2024, 3, 5), seconds=20 * 3600),
            TimeSlice("ann@example.com", "CRM-2", day=date(2024, 3, 5), seconds=5 * 3600),
            TimeSlice("ann@example.com", "CRM-2", day=date(2024, 3, 6), seconds=3600),
            TimeSlice("bob@example.com", "CRM-2", day=date(2024, 3, 5), seconds=3600),
        ]
    )
    assert sorted(r.aggregate.key.object_ref or "" for r in res.rejected) == ["obj-1", "obj-2"]
    assert {r.reason for r in res.rejected} == {DAY_OVER_24H}
    assert res.skipped[DAY_OVER_24H] == 2
    assert [(a.key.employee_ref, a.key.work_date.day) for a in res.aggregates] == [
        ("emp-ann", 6),
        ("emp-bob", 5),
    ]


def test_each_task_code_and_employee_is_resolved_once_per_run() -> None:
    calls: list[str] = []

    def resolve(code: str) -> Target | None:
        calls.append(code)
        return TARGETS.get(code)

    aggregate(
        [interval(at(5, h), at(5, h, 10)) for h in range(9, 15)],
        resolve=resolve,
        match_employee=EMPLOYEES.get,
        tz=MSK,
        rounding_for=lambda _t: RoundingRule(),
    )
    assert calls == ["CRM-1"]


slice_strategy = st.builds(
    lambda who, task, start, minutes: TimeSlice(
        who, task, start=start, end=start + timedelta(minutes=minutes), source_entry_id=None
    ),
    st.sampled_from([*EMPLOYEES, "ghost@example.com"]),
    st.sampled_from([*TARGETS, "UNKNOWN"]),
    st.datetimes(min_value=datetime(2024, 3, 1), max_value=datetime(2024, 3, 10), timezones=st.just(UTC)),
    st.integers(min_value=-120, max_value=16 * 60),
)


@settings(max_examples=150)
@given(slices=st.lists(slice_strategy, max_size=30))
def test_aggregate_totals_equal_input_totals_minus_skipped(slices: list[TimeSlice]) -> None:
    res = run(slices)
    total_in = sum(max(int((s.end - s.start).total_seconds()), 0) for s in slices if s.start and s.end)
    assert sum(a.seconds_raw for a in res.aggregates) + sum(res.skipped_seconds.values()) == total_in
    keys = [a.key for a in res.aggregates]
    assert len(keys) == len(set(keys))


@given(slices=st.lists(slice_strategy, max_size=20), seed=st.randoms())
def test_aggregation_does_not_depend_on_input_order(slices: list[TimeSlice], seed: object) -> None:
    shuffled = list(slices)
    seed.shuffle(shuffled)  # type: ignore[attr-defined]
    assert run(slices).aggregates == run(shuffled).aggregates


@pytest.mark.parametrize("process_tz", ["UTC", "America/Los_Angeles", "Asia/Tokyo"])
def test_aggregates_do_not_depend_on_the_process_time_zone(process_tz: str) -> None:
    entries = [
        interval(at(5, 23, 30), at(6, 0, 45)),
        interval(datetime(2024, 3, 6, 21, 0, tzinfo=UTC), datetime(2024, 3, 6, 22, 0, tzinfo=UTC)),
    ]
    saved = os.environ.get("TZ")
    os.environ["TZ"] = process_tz
    time.tzset()
    try:
        res = run(entries)
    finally:
        if saved is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = saved
        time.tzset()
    assert [(a.key.work_date.day, a.minutes) for a in res.aggregates] == [(5, 30), (6, 45), (7, 60)]
