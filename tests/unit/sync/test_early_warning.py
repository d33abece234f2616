"""Early warning: hand-computed verdicts and properties of burn and projection."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from connector.sync.core.early_warning import RiskRule, Watched, assess, early_warning

TODAY = date(2026, 12, 3)


def item(plan: float | None, fact: float, **kw: object) -> Watched:
    return Watched("ref", "PRJ-1", "Этап", plan, fact, **kw)  # type: ignore[arg-type]


def test_budget_spent_with_half_the_work_done_is_at_risk() -> None:
    # 600 of 600 min spent at 50 %: burn 1.0, progress 0.5 → 50 points ahead; projected 1200 min
    a = assess(item(600, 600, percent_done=50), TODAY)
    assert a.verdict == "at_risk" and a.burn == 1.0 and a.progress == 0.5 and a.source == "percent_done"
    assert a.projected_minutes == 1200 and "100% spent at 50% done" in a.reason


def test_burn_in_step_with_progress_is_on_track() -> None:
    a = assess(item(600, 300, percent_done=55), TODAY)  # burn 0.5, progress 0.55, projected 545
    assert a.verdict == "on_track" and a.projected_minutes == pytest.approx(545.45, abs=0.01)


def test_a_projection_over_the_tolerance_is_at_risk_though_burn_is_only_slightly_ahead() -> None:
    # burn 0.6 at 0.45 done: 15 points ahead (< 25) but projected 800 > 600 × 1.1
    a = assess(item(600, 360, percent_done=45), TODAY)
    assert a.verdict == "at_risk" and a.projected_minutes == 800 and "projected 133%" in a.reason
    relaxed = assess(item(600, 360, percent_done=45), TODAY, RiskRule(points=25, tolerance=0.5))
    assert relaxed.verdict == "on_track"


def test_progress_falls_back_to_the_elapsed_share_of_planned_dates() -> None:
    start, finish = TODAY - timedelta(days=30), TODAY + timedelta(days=10)
    a = assess(item(1000, 900, start=start, finish=finish), TODAY)  # 30/40 elapsed = 0.75, burn 0.9
    assert a.source == "elapsed" and a.progress == 0.75 and a.verdict == "at_risk"  # projected 1200 > 1100


def test_no_plan_and_no_progress_are_said_not_guessed() -> None:
    assert assess(item(None, 120), TODAY).verdict == "no_plan"
    assert assess(item(0, 120), TODAY).verdict == "no_plan"
    a = assess(item(600, 120), TODAY)
    assert a.verdict == "no_progress" and a.progress is None and a.projected_minutes is None and a.burn == 0.2


def test_the_list_puts_risks_first() -> None:
    ranked = early_warning(
        [
            Watched("a", "A", "", None, 10),
            Watched("b", "B", "", 600, 300, percent_done=50),
            Watched("c", "C", "", 600, 600, percent_done=40),
            Watched("d", "D", "", 600, 100),
        ],
        TODAY,
    )
    assert [a.code for a in ranked] == ["C", "B", "D", "A"]


def test_nonsense_thresholds_are_refused() -> None:
    with pytest.raises(ValueError, match="points"):
        RiskRule(points=0)
    with pytest.raises(ValueError, match="tolerance"):
        RiskRule(tolerance=-0.1)


@given(
    plan=st.floats(1, 10_000),
    fact=st.floats(0, 10_000),
    more=st.floats(0, 10_000),
    done=st.floats(0, 100),
)
def test_more_fact_never_lowers_burn_nor_the_projection_nor_clears_a_risk(
    plan: float, fact: float, more: float, done: float
) -> None:
    before = assess(item(plan, fact, percent_done=done), TODAY)
    after = assess(item(plan, fact + more, percent_done=done), TODAY)
    assert before.burn is not None and after.burn is not None and after.burn >= before.burn
    if before.projected_minutes is not None:
        assert after.projected_minutes is not None and after.projected_minutes >= before.projected_minutes
    if before.verdict == "at_risk":
        assert after.verdict == "at_risk"
