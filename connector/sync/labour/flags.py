"""Plan-fact on 1C objects: actual minutes and the overrun state, in the store and as 1C flags.

Actual minutes of an object are the labour 1C confirmed for it (``written_minutes``, all
employees and days), so the flag agrees with the hours in 1C. Two steps, each safe to repeat:

* ``refresh_plan_fact`` (store only) sets the links' ``actual_minutes`` / ``overrun``, which the
  task feed shows;
* ``write_flags`` PATCHes the object in 1C (its totals field in hours, its overrun flag: true
  at ``alert``) wherever the link differs from what was last written there
  (``written_actual_minutes`` / ``written_overrun``). Pending flags are chosen in one short
  transaction, PATCHed with no transaction open, and recorded in another, so 1C calling our
  webhook from inside its write never waits for a lock we hold.

A flag not yet written stays pending until a PATCH succeeds, whichever process computed the
totals (the service's labour tick writes the store, its delivery job writes the flags).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import case, func, or_, select, update
from sqlalchemy.orm import Session

from connector.mapping.schema import Mapping
from connector.onec.client import ODataClient
from connector.onec.errors import NotFound, OneCError
from connector.store.links import set_link_actuals
from connector.store.models import Labour, Link
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


def refresh_plan_fact(session: Session, mappings: list[Mapping]) -> Counter[str]:
    """Set links' actual minutes and overrun states from the confirmed labour (store only)."""
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
        minutes = actual.get(link.onec_ref, 0)
        state = overrun_state(link.planned_minutes, minutes, thresholds_of(by_name[link.mapping]))
        if set_link_actuals(session, link, minutes, state):
            counts["plan_fact_changed"] += 1
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


def pending_flags(session: Session, mappings: list[Mapping]) -> list[FlagWrite]:
    """Links whose totals or alert differ from what was last written to 1C."""
    by_name = {m.name: m for m in mappings if m.labour is not None}
    is_alert = case((Link.overrun == "alert", True), else_=False)
    rows = session.execute(
        select(Link).where(
            Link.mapping.in_(list(by_name)),
            or_(
                func.coalesce(Link.written_actual_minutes, 0) != Link.actual_minutes,
                func.coalesce(Link.written_overrun, False) != is_alert,
            ),
        )
    ).scalars()
    out = []
    for link in rows:
        lab = by_name[link.mapping].labour
        assert lab is not None
        alert = link.overrun == "alert"
        body: dict[str, Any] = {}
        if lab.totals_field and (link.written_actual_minutes or 0) != link.actual_minutes:
            body[lab.totals_field] = round(link.actual_minutes / 60, 6)
        if lab.overrun_field and bool(link.written_overrun) != alert:
            body[lab.overrun_field] = alert
        out.append(FlagWrite(link.id, link.onec_type, link.onec_ref, body, link.actual_minutes, alert))
    return out


def record_flags(session: Session, written: list[FlagWrite]) -> None:
    """Remember what 1C now holds for each object (values as sent, not the link's current ones)."""
    for w in written:
        session.execute(
            update(Link)
            .where(Link.id == w.link_id)
            .values(written_actual_minutes=w.minutes, written_overrun=w.alert)
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
            counts.update(refresh_plan_fact(session, labour))
        pending = pending_flags(session, labour) if write else []
    if pending:
        done = patch_flags(runtime.onec, pending, counts)
        if done:
            with runtime.sessions.begin() as session:
                record_flags(session, done)
    return counts
