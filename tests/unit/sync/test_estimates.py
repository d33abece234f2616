"""Estimates from history: hand-computed figures and a suggestion always within the samples."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from connector.sync.core.estimates import Finished, estimate, percentile, template_of


def stage(title: str, plan: float | None, fact: float, work_type: str = "setup") -> Finished:
    return Finished(title, work_type, plan, fact)


HISTORY = [
    stage("[PRJ-1] Этап 3. Настройка обмена", 600, 540),
    stage("[PRJ-2] Этап 2. Настройка обмена", 600, 720),
    stage("Этап 1: настройка обмена!", 480, 600),
    stage("[PRJ-4] Этап 5. Настройка обмена", 600, 660),
    stage("[PRJ-5] Этап 4. Настройка обмена", None, 900),
    stage("Обучение пользователей", 240, 300, work_type="training"),
]


def test_templates_ignore_numbers_codes_and_punctuation() -> None:
    assert template_of(HISTORY[0]) == "этап настройка обмена" == template_of(HISTORY[2])
    assert template_of(Finished("Этап 1", "x", 1, 1, stage_kind="Внедрение")) == "внедрение"


def test_figures_of_a_stage_template_by_hand() -> None:
    e = estimate(HISTORY, template="Этап 7. Настройка обмена", min_samples=5)
    # actual sorted: 540, 600, 660, 720, 900 → median 660; p80 at rank 3.2 → 720 + 0.2 × 180 = 756
    assert e.samples == 5 and e.median_minutes == 660 and e.p80_minutes == pytest.approx(756)
    assert (e.low_minutes, e.high_minutes) == (540, 900)
    # ratios with a plan: 0.9, 1.1, 1.2, 1.25 → median 1.15
    assert e.overrun_ratio == pytest.approx(1.15)
    assert e.suggestion_minutes == 660 and "median of 5" in e.note


def test_fewer_samples_than_asked_give_no_suggestion() -> None:
    e = estimate(HISTORY, template="ЭТАП 9 — настройка обмена", min_samples=6)
    assert e.samples == 5 and e.suggestion_minutes is None and e.note.startswith("not enough history")
    assert estimate(HISTORY, work_type="training").suggestion_minutes is None
    nothing = estimate(HISTORY, work_type="design")
    assert nothing.samples == 0 and nothing.note == "no finished work like this"


def test_work_type_filter() -> None:
    e = estimate(HISTORY, work_type="training", min_samples=1)
    assert e.samples == 1 and e.suggestion_minutes == 300 and e.overrun_ratio == 1.25


def test_bad_minimum_is_refused() -> None:
    with pytest.raises(ValueError, match="min_samples"):
        estimate(HISTORY, min_samples=0)


def test_percentile_by_hand() -> None:
    assert percentile([10.0], 0.8) == 10.0
    assert percentile([0.0, 10.0], 0.8) == 8.0


@given(st.lists(st.floats(1, 100_000), min_size=1, max_size=40), st.integers(1, 10))
def test_a_suggestion_lies_within_the_samples_range(actuals: list[float], min_samples: int) -> None:
    history = [stage("Этап", 100, a) for a in actuals]
    e = estimate(history, template="этап", min_samples=min_samples)
    assert e.low_minutes is not None and e.high_minutes is not None
    assert e.low_minutes <= (e.median_minutes or 0) <= (e.p80_minutes or 0) <= e.high_minutes
    if e.suggestion_minutes is not None:
        assert len(actuals) >= min_samples and e.low_minutes <= e.suggestion_minutes <= e.high_minutes
    else:
        assert len(actuals) < min_samples
