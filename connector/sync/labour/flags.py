"""Plan-fact on 1C objects: actual minutes and the overrun state, in the store and as 1C flags.

Actual minutes of an object are the labour 1C confirmed for it (``written_minutes``, all
employees and days), so the flag agrees with the hours in 1C. Two steps, each safe to repeat:

* ``refresh_plan_fact`` (store only) sets the links' ``actual_minutes`` / ``overrun``, which the
  task feed shows;
* ``write_flags`` PATCHes the object in 1C (its totals field in hours, its overrun flag: true
  at ``alert``; where the mapping names them, the early warning's at-risk flag and projected hours)
  wherever the link differs from what was last written there (``written_*``). Pending flags are
  chosen in one short transaction, PATCHed with no transaction open, and recorded in another,
  so 1C calling our webhook from inside its write never waits for a lock we hold.

A flag not yet written stays pending until a PATCH succeeds, whichever process computed the
totals (the service's labour tick writes the store, its delivery job writes the flags).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, func, or_, select, update
from sqlalchemy.orm import Session

from connector.mapping.schema import Mapping
from connector.onec.client import ODataClient
from connector.onec.errors import NotFound, OneCError
from connector.store.links import FEED_COUNTER, next_seq, set_link_actuals
from connector.store.models import Labour, Link
from connector.sync.core.early_warning import RiskRule, assess, watched_link
from connector.sync.core.model import Thresholds
from connector.sync.core.planfact import overrun_state

if TYPE_CHECKING:
    from connector.runtime import Runtime


def actual_minutes(session: Session) -> dict[str, int]:
    """Confirmed minutes per 1C object ref."""
    q = (
        select(Labour.object_ref, func.sum(Labour.written_minutes))
        .where(Labour.object_ref != "", Labour.written_minutes.is_not(None))
        .group_by(Labour.object_ref)
    )
    return {ref: int(total or 0) for ref, total in session.execute(q)}


def thresholds_of(mapping: Mapping) -> Thresholds:
    lab = mapping.labour
    assert lab is not None
    return Thresholds(lab.thresholds.warn, lab.thresholds.alert)


def risk_rule_of(mapping: Mapping) -> RiskRule:
    lab = mapping.labour
    assert lab is not None
    return RiskRule(lab.risk.points, lab.risk.tolerance)


def refresh_plan_fact(session: Session, mappings: list[Mapping], today: date | None = None) -> Counter[str]:
    """Set links' actual minutes, overrun states and early-warning verdicts from the confirmed
    labour (store only). ``today`` (the company's day) dates the elapsed share of planned dates."""
    counts: Counter[str] = Counter()
    by_name = {m.name: m for m in mappings if m.labour is not None}
    actual = actual_minutes(session)
    day = today or date.today()
    links = session.execute(
        select(Link).where(
            Link.mapping.in_(list(by_name)),
            or_(
                Link.onec_ref.in_(list(actual)),
                Link.actual_minutes != 0,
                Link.overrun.in_(("warn", "alert")),
                Link.risk == "at_risk",
            ),
        )
    ).scalars()
    for link in links:
        mapping = by_name[link.mapping]
        minutes = actual.get(link.onec_ref, 0)
        state = overrun_state(link.planned_minutes, minutes, thresholds_of(mapping))
        if set_link_actuals(session, link, minutes, state):
            counts["plan_fact_changed"] += 1
        if link.status != "open":
            verdict, projected = None, None
        else:
            watched = watched_link(
                link.onec_ref, link.task_code, link.title, link.planned_minutes, minutes, link.payload
            )
            found = assess(watched, day, risk_rule_of(mapping))
            verdict = found.verdict
            projected = None if found.projected_minutes is None else round(found.projected_minutes)
        if (link.risk, link.projected_minutes) != (verdict, projected):
            if (link.risk == "at_risk") != (verdict == "at_risk"):
                counts["risk_changed"] += 1
                link.feed_seq = next_seq(session, FEED_COUNTER)  # the feed shows the task's risk
            link.risk, link.projected_minutes = verdict, projected
    return counts


@dataclass(frozen=True)
class FlagWrite:
    """One object's PATCH: the values it carries are what gets recorded as written."""

    link_id: int
    onec_type: str
    onec_ref: str
    body: dict[str, Any]
    minutes: int
    alert: bool
    at_risk: bool = False
    projected: int | None = None


def pending_flags(session: Session, mappings: list[Mapping]) -> list[FlagWrite]:
    """Links whose totals or alert differ from what was last written to 1C."""
    by_name = {m.name: m for m in mappings if m.labour is not None}
    with_risk = [
        n
        for n, m in by_name.items()
        if m.labour and (m.labour.risk.flag_field or m.labour.risk.forecast_field)
    ]
    is_alert = case((Link.overrun == "alert", True), else_=False)
    is_at_risk = case((Link.risk == "at_risk", True), else_=False)
    rows = session.execute(
        select(Link).where(
            Link.mapping.in_(list(by_name)),
            or_(
                func.coalesce(Link.written_actual_minutes, 0) != Link.actual_minutes,
                func.coalesce(Link.written_overrun, False) != is_alert,
                and_(
                    Link.mapping.in_(with_risk),
                    or_(
                        func.coalesce(Link.written_risk, False) != is_at_risk,
                        func.coalesce(Link.written_projected_minutes, -1)
                        != func.coalesce(Link.projected_minutes, -1),
                    ),
                ),
            ),
        )
    ).scalars()
    out = []
    for link in rows:
        lab = by_name[link.mapping].labour
        assert lab is not None
        alert, at_risk = link.overrun == "alert", link.risk == "at_risk"
        body: dict[str, Any] = {}
        if lab.totals_field and (link.written_actual_minutes or 0) != link.actual_minutes:
            body[lab.totals_field] = round(link.actual_minutes / 60, 6)
        if lab.overrun_field and bool(link.written_overrun) != alert:
            body[lab.overrun_field] = alert
        if lab.risk.flag_field and bool(link.written_risk) != at_risk:
            body[lab.risk.flag_field] = at_risk
        if lab.risk.forecast_field and link.written_projected_minutes != link.projected_minutes:
            body[lab.risk.forecast_field] = round((link.projected_minutes or 0) / 60, 2)
        out.append(
            FlagWrite(
                link.id,
                link.onec_type,
                link.onec_ref,
                body,
                link.actual_minutes,
                alert,
                at_risk,
                link.projected_minutes,
            )
        )
    return out


def record_flags(session: Session, written: list[FlagWrite]) -> None:
    """Remember what 1C now holds for each object (values as sent, not the link's current ones)."""
    for w in written:
        session.execute(
            update(Link)
            .where(Link.id == w.link_id)
            .values(
                written_actual_minutes=w.minutes,
                written_overrun=w.alert,
                written_risk=w.at_risk,
                written_projected_minutes=w.projected,
            )
            .execution_options(synchronize_session=False)
        )


def patch_flags(onec: ODataClient, pending: list[FlagWrite], counts: Counter[str]) -> list[FlagWrite]:
    """PATCH each pending object (I/O only); returns the writes 1C accepted.

    An object gone from 1C has nothing to flag and counts as written (``flags_object_missing``);
    any other failure stays pending for the next attempt (``flags_failed``).
    """
    done = []
    for w in pending:
        if w.body:
            try:
                onec.patch(w.onec_type, w.onec_ref, w.body)
                counts["flags_written"] += 1
            except NotFound:
                counts["flags_object_missing"] += 1
            except OneCError:
                counts["flags_failed"] += 1
                continue
        done.append(w)
    return done


def sync_plan_fact(
    runtime: Runtime, mappings: list[Mapping] | None = None, *, write: bool = True, refresh: bool = True
) -> Counter[str]:
    """Refresh plan-fact in the store (``refresh``) and bring 1C's flags up to date (``write``).

    Store work happens in short transactions; the PATCHes run with none open.
    """
    labour = [m for m in (runtime.mappings if mappings is None else mappings) if m.labour is not None]
    counts: Counter[str] = Counter()
    if not labour:
        return counts
    with runtime.sessions.begin() as session:
        if refresh:
            today = datetime.now(ZoneInfo(runtime.settings.timezone)).date()
            counts.update(refresh_plan_fact(session, labour, today))
        pending = pending_flags(session, labour) if write else []
    if pending:
        done = patch_flags(runtime.onec, pending, counts)
        if done:
            with runtime.sessions.begin() as session:
                record_flags(session, done)
    return counts
