"""Plan-fact: percent and overrun state per object and per participant."""

from __future__ import annotations

from datetime import date

import pytest

from connector.sync.core.model import LabourAggregate, LabourKey, Plan, Thresholds
from connector.sync.core.planfact import overrun_state, percent, plan_fact

STAGE = "Catalog_ЗадачиПроектов"


def labour(obj: str, emp: str, minutes: int, day: int = 4) -> LabourAggregate:
    return LabourAggregate(LabourKey(emp, STAGE, obj, date(2024, 3, day), "wt"), minutes * 60, minutes, True)


@pytest.mark.parametrize(
    ("planned", "actual", "state"),
    [
        (600, 0, "none"),
        (600, 479, "none"),
        (600, 480, "warn"),
        (600, 599, "warn"),
        (600, 600, "alert"),
        (600, 900, "alert"),
    ],
)
def test_state_follows_the_ratio_thresholds(planned: int, actual: int, state: str) -> None:
    assert overrun_state(planned, actual, Thresholds(warn=0.8, alert=1.0)) == state


@pytest.mark.parametrize("planned", [None, 0])
def test_absent_plan_is_none_unless_the_policy_says_alert(planned: int | None) -> None:
    assert overrun_state(planned, 60, Thresholds()) == "none"
    assert overrun_state(planned, 60, Thresholds(no_plan="alert")) == "alert"
    assert overrun_state(planned, 0, Thresholds(no_plan="alert")) == "none"
    assert percent(planned, 60) is None


def test_thresholds_must_be_ordered() -> None:
    with pytest.raises(ValueError, match="0 < warn <= alert"):
        Thresholds(warn=1.2, alert=1.0)


def test_plan_fact_per_object_and_per_participant() -> None:
    plans = [
        Plan(STAGE, "stage-1", 600, participants=(("emp-a", 300), ("emp-b", 300))),
        Plan(STAGE, "stage-2", None),
    ]
    facts = plan_fact(
        plans,
        [
            labour("stage-1", "emp-a", 200),
            labour("stage-1", "emp-a", 130, day=5),
            labour("stage-1", "emp-c", 30),
            labour("stage-2", "emp-a", 10),
            labour("other", "emp-a", 999),
        ],
        Thresholds(warn=0.8, alert=1.0),
    )
    assert [
        (f.object_ref, f.employee_ref, f.planned_minutes, f.actual_minutes, f.percent, f.state) for f in facts
    ] == [
        ("stage-1", None, 600, 360, 60.0, "none"),
        ("stage-1", "emp-a", 300, 330, 110.0, "alert"),
        ("stage-1", "emp-b", 300, 0, 0.0, "none"),
        ("stage-1", "emp-c", None, 30, None, "none"),
        ("stage-2", None, None, 10, None, "none"),
    ]
