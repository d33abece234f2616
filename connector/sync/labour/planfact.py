"""Plan-fact per object and per participant of project tasks, read from the store.

A project task's plan is split among its participants (``Участники[].ПлановыеТрудозатраты`` in
1C, hours); the labour run stores those plans with the task's link (``store_participant_plans``)
when it reads the task. A participant's fact is the labour 1C confirmed for that employee on
that task. ``overruns`` (the ``GET /api/overruns`` list) and the plan-fact report both read
these numbers through ``participant_plans``, so they agree with each other and with 1C.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from connector.mapping.schema import Mapping
from connector.store.models import Employee, Labour, Link
from connector.sync.core.model import Thresholds
from connector.sync.core.planfact import overrun_state, percent


def store_participant_plans(session: Session, plans: dict[str, dict[str, int]]) -> int:
    """Record participants' planned minutes (1C object ref → user ref → minutes) on their links."""
    changed = 0
    for ref, plan in sorted(plans.items()):
        for link in session.execute(select(Link).where(Link.onec_ref == ref)).scalars():
            if link.participant_plans != plan:
                link.participant_plans = dict(plan)
                changed += 1
    session.flush()
    return changed


def participant_plans(session: Session) -> dict[str, dict[str, int]]:
    """Planned minutes per 1C object ref and 1C *employee* ref (users mapped through employees).

    A participant without an employee record has no labour to compare with and is left out.
    """
    employee_of = {
        u: e
        for u, e in session.execute(select(Employee.onec_user_ref, Employee.onec_employee_ref))
        if u and e
    }
    out: dict[str, dict[str, int]] = {}
    rows = session.execute(
        select(Link.onec_ref, Link.participant_plans).where(Link.participant_plans.is_not(None))
    )
    for ref, plans in rows:
        for user, minutes in (plans or {}).items():
            emp = employee_of.get(user)
            if emp is not None:
                per = out.setdefault(ref, {})
                per[emp] = per.get(emp, 0) + int(minutes)
    return out


def _confirmed_by_participant(session: Session, refs: Sequence[str]) -> dict[tuple[str, str], int]:
    out: dict[tuple[str, str], int] = {}
    for i in range(0, len(refs), 500):
        q = (
            select(Labour.object_ref, Labour.employee_ref, func.sum(Labour.written_minutes))
            .where(Labour.object_ref.in_(refs[i : i + 500]), Labour.written_minutes.is_not(None))
            .group_by(Labour.object_ref, Labour.employee_ref)
        )
        out.update({(ref, emp): int(total or 0) for ref, emp, total in session.execute(q)})
    return out


def _link_json(link: Link) -> dict[str, Any]:
    return {
        "level": "object",
        "task_code": link.task_code,
        "mapping": link.mapping,
        "onec_type": link.onec_type,
        "onec_ref": link.onec_ref,
        "title": link.title,
        "employee_ref": None,
        "employee": None,
        "planned_minutes": link.planned_minutes,
        "actual_minutes": link.actual_minutes,
        "percent": percent(link.planned_minutes, link.actual_minutes),
        "overrun": link.overrun,
    }


def overruns(
    session: Session, mappings: Sequence[Mapping] = (), states: tuple[str, ...] = ("warn", "alert")
) -> list[dict[str, Any]]:
    """Objects at or over their plan, and participants of project tasks over their share, worst
    first. Participant lines (``level: participant``) use the thresholds of the task's mapping."""
    thresholds = {
        m.name: Thresholds(m.labour.thresholds.warn, m.labour.thresholds.alert)
        for m in mappings
        if m.labour is not None
    }
    out = [_link_json(r) for r in session.execute(select(Link).where(Link.overrun.in_(states))).scalars()]
    plans = participant_plans(session)
    if plans:
        names = {e: n for e, n in session.execute(select(Employee.onec_employee_ref, Employee.name)) if e}
        links = {
            lk.onec_ref: lk
            for lk in session.execute(select(Link).where(Link.onec_ref.in_(list(plans)))).scalars()
        }
        actual = _confirmed_by_participant(session, sorted(plans))
        for ref, per in sorted(plans.items()):
            link = links.get(ref)
            if link is None:
                continue
            t = thresholds.get(link.mapping, Thresholds())
            for emp, planned in sorted(per.items()):
                minutes = actual.get((ref, emp), 0)
                state = overrun_state(planned, minutes, t)
                if state not in states:
                    continue
                line = _link_json(link)
                line.update(
                    level="participant",
                    employee_ref=emp,
                    employee=names.get(emp, emp),
                    planned_minutes=planned,
                    actual_minutes=minutes,
                    percent=percent(planned, minutes),
                    overrun=state,
                )
                out.append(line)
    return sorted(
        out,
        key=lambda d: (
            d["overrun"] != "alert",
            -(d["percent"] or 0),
            d["task_code"],
            d["employee_ref"] or "",
        ),
    )
