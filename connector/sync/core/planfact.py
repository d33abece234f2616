"""Plan vs fact per 1C object, and per participant for project tasks, with overrun states.

States come from the ratio actual/planned against the mapping's thresholds: ``alert`` at or
above ``alert``, ``warn`` at or above ``warn``, otherwise ``none``. An absent or zero plan has
no ratio: the state is ``none`` unless ``Thresholds.no_plan == "alert"``, in which case any
actual time on an unplanned object is an alert (and an unplanned object with no time stays
``none``). Actual minutes are the rounded minutes of the labour aggregates — the numbers
written to 1C — so the flag in 1C agrees with the hours next to it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from connector.sync.core.model import LabourAggregate, OverrunState, Plan, PlanFact, Thresholds


def overrun_state(planned_minutes: int | None, actual_minutes: int, thresholds: Thresholds) -> OverrunState:
    """The overrun state of one plan/actual pair."""
    if not planned_minutes or planned_minutes <= 0:
        return "alert" if thresholds.no_plan == "alert" and actual_minutes > 0 else "none"
    ratio = actual_minutes / planned_minutes
    if ratio >= thresholds.alert:
        return "alert"
    if ratio >= thresholds.warn:
        return "warn"
    return "none"


def percent(planned_minutes: int | None, actual_minutes: int) -> float | None:
    """Actual as a percentage of plan, one decimal; ``None`` without a positive plan."""
    if not planned_minutes or planned_minutes <= 0:
        return None
    return round(100.0 * actual_minutes / planned_minutes, 1)


def _fact(plan: Plan, employee: str | None, planned: int | None, actual: int, t: Thresholds) -> PlanFact:
    return PlanFact(
        plan.object_type,
        plan.object_ref,
        employee,
        planned,
        actual,
        percent(planned, actual),
        overrun_state(planned, actual, t),
    )


def plan_fact(
    plans: Iterable[Plan], labour: Iterable[LabourAggregate], thresholds: Thresholds = Thresholds()
) -> list[PlanFact]:
    """One line per object (``employee_ref=None``), then one per participant of that object.

    Participants are the plan's (employee, planned minutes) pairs plus anyone who booked time on
    the object without being planned (their plan is ``None``).
    """
    by_object: Counter[tuple[str, str]] = Counter()
    by_person: Counter[tuple[str, str, str]] = Counter()
    people_of: dict[tuple[str, str], set[str]] = {}
    for a in labour:
        if a.key.object_type is None or a.key.object_ref is None:
            continue
        by_object[(a.key.object_type, a.key.object_ref)] += a.minutes
        by_person[(a.key.object_type, a.key.object_ref, a.key.employee_ref)] += a.minutes
        people_of.setdefault((a.key.object_type, a.key.object_ref), set()).add(a.key.employee_ref)
    out: list[PlanFact] = []
    for plan in plans:
        obj = (plan.object_type, plan.object_ref)
        out.append(_fact(plan, None, plan.planned_minutes, by_object[obj], thresholds))
        planned_people = dict(plan.participants)
        if not planned_people:
            continue
        for emp in sorted(set(planned_people) | people_of.get(obj, set())):
            out.append(_fact(plan, emp, planned_people.get(emp), by_person[(*obj, emp)], thresholds))
    return out
