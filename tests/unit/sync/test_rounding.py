"""Rounding of an aggregate's seconds to the company's unit."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from connector.sync.core.model import RoundingRule
from connector.sync.core.rounding import round_seconds


def test_default_is_whole_minutes_half_up() -> None:
    assert round_seconds(0) == 0
    assert round_seconds(29) == 0
    assert round_seconds(30) == 1
    assert round_seconds(89) == 1
    assert round_seconds(90) == 2


@pytest.mark.parametrize(
    ("seconds", "mode", "expected"),
    [
        (1, "up", 15),
        (15 * 60, "up", 15),
        (15 * 60 + 1, "up", 30),
        (7 * 60 + 29, "nearest", 0),
        (7 * 60 + 30, "nearest", 15),
        (22 * 60 + 29, "nearest", 15),
        (22 * 60 + 30, "nearest", 30),
        (29 * 60 + 59, "down", 15),
        (30 * 60, "down", 30),
    ],
)
def test_quarter_hour_rules(seconds: int, mode: str, expected: int) -> None:
    assert round_seconds(seconds, RoundingRule(15, mode)) == expected  # type: ignore[arg-type]


def test_negative_duration_is_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        round_seconds(-1)


def test_bad_rules_are_refused_with_a_reason() -> None:
    with pytest.raises(ValueError, match="whole number of minutes"):
        RoundingRule(0)
    with pytest.raises(ValueError, match="up, nearest or down"):
        RoundingRule(5, "sideways")  # type: ignore[arg-type]


RULES = st.builds(
    RoundingRule,
    unit_minutes=st.sampled_from([1, 5, 6, 10, 15, 30, 60]),
    mode=st.sampled_from(["up", "nearest", "down"]),
)
SECONDS = st.integers(min_value=0, max_value=3 * 24 * 3600)


@given(rule=RULES, a=SECONDS, b=SECONDS)
def test_rounding_is_monotone(rule: RoundingRule, a: int, b: int) -> None:
    lo, hi = sorted((a, b))
    assert round_seconds(lo, rule) <= round_seconds(hi, rule)


@given(rule=RULES, s=SECONDS)
def test_rounding_is_idempotent_and_a_multiple_of_the_unit(rule: RoundingRule, s: int) -> None:
    minutes = round_seconds(s, rule)
    assert minutes % rule.unit_minutes == 0
    assert round_seconds(minutes * 60, rule) == minutes


@given(rule=RULES, s=SECONDS)
def test_rounding_stays_within_one_unit_in_its_direction(rule: RoundingRule, s: int) -> None:
    unit = rule.unit_minutes * 60
    error = round_seconds(s, rule) * 60 - s
    if rule.mode == "up":
        assert 0 <= error < unit
    elif rule.mode == "down":
        assert -unit < error <= 0
    else:
        assert -unit / 2 < error <= unit / 2
