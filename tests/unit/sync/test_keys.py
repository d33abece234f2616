"""Row keys are deterministic ownership markers; a separator inside a part is refused."""

from __future__ import annotations

from datetime import date

import pytest

from connector.sync.core.keys import adjustment_row_key, iso_week_label, row_key, week_row_key, week_target


def test_row_key_is_employee_object_date_work_type() -> None:
    assert row_key("e1", "o1", date(2024, 3, 5), "w1") == "e1|o1|2024-03-05|w1"
    assert row_key("e1", None, date(2024, 3, 5), "w1") == "e1|-|2024-03-05|w1"


def test_week_row_key_is_the_same_for_every_day_of_the_iso_week() -> None:
    keys = {week_row_key("e1", "o1", date(2024, 3, d), "w1") for d in range(4, 11)}
    assert keys == {"e1|o1|2024-W10|w1"}
    assert iso_week_label(date(2024, 12, 30)) == "2025-W01"


def test_week_target_names_the_employee_and_monday() -> None:
    assert week_target("e1", date(2024, 3, 10)) == "e1|2024-03-04"


def test_adjustment_rows_never_share_the_key_of_a_days_own_row() -> None:
    base = row_key("e1", "o1", date(2024, 3, 5), "w1")
    assert adjustment_row_key(base, date(2024, 2, 20)) != base
    assert adjustment_row_key(base, date(2024, 2, 20)).endswith("|adj:2024-02-20")


def test_separator_inside_a_part_is_refused() -> None:
    with pytest.raises(ValueError, match="contains '\\|'"):
        row_key("e|1", "o1", date(2024, 3, 5), "w1")
