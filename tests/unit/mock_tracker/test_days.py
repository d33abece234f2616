from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from mock_tracker.days import PeriodError, parse_period, split_by_local_day

MSK = ZoneInfo("Europe/Moscow")


def test_session_crossing_local_midnight_splits_into_both_days() -> None:
    start = datetime(2026, 3, 2, 23, 30, tzinfo=MSK)
    end = datetime(2026, 3, 3, 0, 45, tzinfo=MSK)
    pieces = list(split_by_local_day(start, end, MSK))
    assert [(p.day, p.seconds) for p in pieces] == [(date(2026, 3, 2), 1800), (date(2026, 3, 3), 2700)]


def test_day_is_the_account_zone_day_not_utc() -> None:
    # 22:30 UTC is 01:30 next day in Moscow.
    start = datetime(2026, 3, 2, 22, 30, tzinfo=UTC)
    end = datetime(2026, 3, 2, 23, 0, tzinfo=UTC)
    assert [p.day for p in split_by_local_day(start, end, MSK)] == [date(2026, 3, 3)]


def test_dst_day_is_split_by_real_elapsed_seconds() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    start = datetime(2026, 3, 28, 23, 0, tzinfo=berlin)
    end = datetime(2026, 3, 29, 4, 0, tzinfo=berlin)  # clocks jump 02:00 → 03:00
    assert [p.seconds for p in split_by_local_day(start, end, berlin)] == [3600, 3 * 3600]


def test_multi_day_session_counts_each_full_day() -> None:
    start = datetime(2026, 3, 1, 12, 0, tzinfo=MSK)
    end = datetime(2026, 3, 3, 12, 0, tzinfo=MSK)
    assert [p.seconds for p in split_by_local_day(start, end, MSK)] == [43200, 86400, 43200]


def test_parse_period_compact_and_iso() -> None:
    assert parse_period("20260301", "20260302", compact=True, max_days=31) == (
        date(2026, 3, 1),
        date(2026, 3, 2),
    )
    assert parse_period("2026-03-01", "2026-04-01", compact=False, max_days=31)[1] == date(2026, 4, 1)


@pytest.mark.parametrize(
    ("begin", "end", "reason"),
    [
        (None, "20260302", "begin is required"),
        ("2026-03-01", "20260302", "begin must be YYYYMMDD"),
        ("20260230", "20260302", "begin is not a valid date"),
        ("20260302", "20260302", "end must be after begin"),
        ("20260303", "20260302", "end must be after begin"),
        ("20260101", "20260202", "must not exceed 31 days"),
    ],
)
def test_parse_period_rejects_bad_input_with_a_reason(begin: str | None, end: str, reason: str) -> None:
    with pytest.raises(PeriodError, match=reason):
        parse_period(begin, end, compact=True, max_days=31)


def test_exactly_31_days_is_allowed() -> None:
    assert parse_period("20260101", "20260201", compact=True, max_days=31)
