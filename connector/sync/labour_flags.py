"""Plan-fact on 1C objects: actual minutes and the overrun state, in the store and as 1C flags.

Actual minutes of an object are the labour 1C confirmed for it (``written_minutes``, all
employees and days), so the flag agrees with the hours in 1C. The link keeps the last values;
the object in 1C (interest / project task) is PATCHed only when they change — its totals field
in hours and its overrun flag (true at ``alert``) — and the task feed shows them
(``actual_minutes``, ``overrun``).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from connector.mapping.schema import Mapping
from connector.onec.client import ODataClient
from connector.onec.errors import OneCError
from connector.store.links import set_link_actuals
from connector.store.models import Labour, Link
from connector.sync.model import Thresholds
from connector.sync.planfact import overrun_state, percent


def actual_minutes(session: Session) -> dict[str, int]:
    """Confirmed minutes per 1C object ref."""
    q = (
        select(Labour.object_ref, func.sum(Labour.written_minutes))
        .where(Labour.object_ref != "", Labour.written_minutes.is_not(None))
        .group_by(Labour.object_ref)
    )
    return {ref: int(total or 0) for ref, total in session.execute(q)}


def update_plan_fact(session: Session, onec: ODataClient | None, mappings: list[Mapping]) -> Counter[str]:
    """Refresh links' actual minutes and overrun states; PATCH 1C where they changed.

    ``onec=None`` updates the store only. A failed PATCH leaves the link unchanged (retried on
    the next run) and is counted as ``flags_failed``.
    """
    counts: Counter[str] = Counter()
    by_name = {m.name: m for m in mappings if m.labour is not None}
    actual = actual_minutes(session)
    links = session.execute(
        select(Link).where(
            Link.mapping.in_(list(by_name)),
            or_(
                Link.onec_ref.in_(list(actual)), Link.actual_minutes != 0, Link.overrun.in_(("warn", "alert"))
            ),
        )
    ).scalars()
    for link in links:
        lab = by_name[link.mapping].labour
        assert lab is not None
        minutes = actual.get(link.onec_ref, 0)
        t = Thresholds(lab.thresholds.warn, lab.thresholds.alert)
        state = overrun_state(link.planned_minutes, minutes, t)
        if link.actual_minutes == minutes and link.overrun == state:
            continue
        body: dict[str, Any] = {}
        if lab.totals_field:
            body[lab.totals_field] = round(minutes / 60, 6)
        if lab.overrun_field and (link.overrun == "alert") != (state == "alert"):
            body[lab.overrun_field] = state == "alert"
        if body and onec is not None:
            try:
                onec.patch(link.onec_type, link.onec_ref, body)
                counts["flags_written"] += 1
            except OneCError:
                counts["flags_failed"] += 1
                continue
        set_link_actuals(session, link, minutes, state)
        counts["plan_fact_changed"] += 1
    return counts


def overruns(session: Session, states: tuple[str, ...] = ("warn", "alert")) -> list[dict[str, Any]]:
    """Objects at or over their plan (``GET /api/overruns``), worst first."""
    rows = session.execute(select(Link).where(Link.overrun.in_(states))).scalars()
    out = [
        {
            "task_code": r.task_code,
            "mapping": r.mapping,
            "onec_type": r.onec_type,
            "onec_ref": r.onec_ref,
            "title": r.title,
            "planned_minutes": r.planned_minutes,
            "actual_minutes": r.actual_minutes,
            "percent": percent(r.planned_minutes, r.actual_minutes),
            "overrun": r.overrun,
        }
        for r in rows
    ]
    return sorted(out, key=lambda d: (d["overrun"] != "alert", -(d["percent"] or 0), d["task_code"]))
