"""Work days are local dates in the configured zone, whatever the process time zone is."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from connector.sync.core.timeutil import (
    local_day,
    naive_1c_to_utc,
    split_by_local_day,
    utc_to_naive_1c,
    week_of,
    zone,
)

MSK = ZoneInfo("Europe/Moscow")
BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture(params=["UTC", "America/New_York", "Asia/Kamchatka", "Europe/Moscow"])
def process_tz(request: pytest.FixtureRequest) -> Iterator[str]:
    saved = os.environ.get("TZ")
    os.environ["TZ"] = request.param
    time.tzset()
    try:
        yield request.param
    finally:
        if saved is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = saved
        time.tzset()


def test_week_of_gives_monday_and_sunday_of_the_iso_week() -> None:
    assert week_of(date(2024, 3, 6)) == (date(2024, 3, 4), date(2024, 3, 10))
    assert week_of(date(2024, 3, 4)) == (date(2024, 3, 4), date(2024, 3, 10))
    assert week_of(date(2024, 3, 10)) == (date(2024, 3, 4), date(2024, 3, 10))
    assert week_of(date(2025, 1, 1)) == (date(2024, 12, 30), date(2025, 1, 5))


def test_entry_crossing_midnight_counts_on_both_local_days(process_tz: str) -> None:
    start = datetime(2024, 3, 5, 22, 30, tzinfo=MSK)
    end = datetime(2024, 3, 6, 1, 15, tzinfo=MSK)
    assert split_by_local_day(start, end, "Europe/Moscow") == [
        (date(2024, 3, 5), 90 * 60),
        (date(2024, 3, 6), 75 * 60),
    ]


def test_the_same_instants_fall_on_the_configured_zone_days_not_utc_days(process_tz: str) -> None:
    start = datetime(2024, 3, 5, 20, 0, tzinfo=UTC)  # 23:00 in Moscow
    end = datetime(2024, 3, 5, 22, 0, tzinfo=UTC)  # 01:00 next day in Moscow
    assert split_by_local_day(start, end, MSK) == [(date(2024, 3, 5), 3600), (date(2024, 3, 6), 3600)]
    assert split_by_local_day(start, end, "UTC") == [(date(2024, 3, 5), 7200)]
    assert local_day(end, MSK) == date(2024, 3, 6)


def test_a_day_with_a_dst_change_is_counted_in_real_elapsed_seconds(process_tz: str) -> None:
    # Berlin springs forward on 2024-03-31: that local day has 23 hours.
    start = datetime(2024, 3, 30, 23, 0, tzinfo=BERLIN)
    end = datetime(2024, 4, 1, 1, 0, tzinfo=BERLIN)
    assert split_by_local_day(start, end, BERLIN) == [
        (date(2024, 3, 30), 3600),
        (date(2024, 3, 31), 23 * 3600),
        (date(2024, 4, 1), 3600),
    ]


def test_midnight_that_does_not_exist_still_splits_at_the_day_change() -> None:
    # Santiago (2022-09-11): clocks jump from 00:00 to 01:00; the new day starts at that instant.
    santiago = ZoneInfo("America/Santiago")
    start = datetime(2022, 9, 10, 23, 0, tzinfo=santiago)
    end = start.astimezone(UTC) + timedelta(hours=2)
    pieces = split_by_local_day(start, end, santiago)
    assert pieces == [(date(2022, 9, 10), 3600), (date(2022, 9, 11), 3600)]


def test_empty_interval_gives_nothing_and_a_reversed_one_is_refused() -> None:
    t = datetime(2024, 1, 1, 10, tzinfo=UTC)
    assert split_by_local_day(t, t, MSK) == []
    with pytest.raises(ValueError, match="ends before it starts"):
        split_by_local_day(t, t - timedelta(seconds=1), MSK)


def test_naive_datetimes_are_refused_where_an_instant_is_expected() -> None:
    with pytest.raises(ValueError, match="no time zone"):
        split_by_local_day(datetime(2024, 1, 1), datetime(2024, 1, 2), MSK)
    with pytest.raises(ValueError, match="no time zone"):
        local_day(datetime(2024, 1, 1), MSK)


def test_unknown_zone_name_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="unknown time zone 'Mars/Olympus'"):
        zone("Mars/Olympus")


def test_1c_naive_time_is_read_in_the_base_zone(process_tz: str) -> None:
    instant = naive_1c_to_utc(datetime(2024, 3, 5, 10, 0), "Europe/Moscow")
    assert instant == datetime(2024, 3, 5, 7, 0, tzinfo=UTC)
    assert utc_to_naive_1c(instant, "Europe/Moscow") == datetime(2024, 3, 5, 10, 0)
    with pytest.raises(ValueError, match="naive"):
        naive_1c_to_utc(datetime(2024, 3, 5, tzinfo=UTC), "Europe/Moscow")


def test_ambiguous_1c_time_reads_as_the_first_occurrence() -> None:
    # Berlin falls back on 2024-10-27 at 03:00 → 02:00; 02:30 happens twice.
    assert naive_1c_to_utc(datetime(2024, 10, 27, 2, 30), BERLIN) == datetime(2024, 10, 27, 0, 30, tzinfo=UTC)


ZONES = st.sampled_from(["Europe/Moscow", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "UTC"])


@given(
    start=st.datetimes(
        min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1), timezones=st.just(UTC)
    ),
    length=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=4)),
    tz=ZONES,
)
def test_split_pieces_sum_to_the_duration_on_consecutive_days(
    start: datetime, length: timedelta, tz: str
) -> None:
    pieces = split_by_local_day(start, start + length, tz)
    assert sum(s for _, s in pieces) == int(length.total_seconds())
    assert all(s > 0 for _, s in pieces)
    days = [d for d, _ in pieces]
    assert days == sorted(set(days))
    if pieces:
        assert days[0] == local_day(start, tz)
