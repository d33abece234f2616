"""Parked closed-period changes stay listed while they exist and disappear once settled."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from connector.store.db import make_engine, session_factory
from connector.store.migrate import upgrade
from connector.store.models import Failure
from connector.sync.core.model import ClosedPeriodChange, LabourKey
from connector.sync.labour.engine import CLOSED_FAILURE, closed_change_ref, forget_settled_closed_changes

CLOSING = date(2026, 3, 1)


def change(day: date, emp: str = "emp-1", adjusted_on: date | None = None) -> ClosedPeriodChange:
    key = LabourKey(emp, "Document_CRM_Интерес", "obj-1", day, "wt-1")
    return ClosedPeriodChange(key, 60, 45, "park", CLOSING, adjusted_on)


def test_settled_changes_are_forgotten_inside_the_window_only(store_url: str) -> None:
    upgrade(store_url)
    engine = make_engine(store_url)
    sessions = session_factory(engine)
    inside, settled, outside = (
        change(date(2026, 2, 20)),
        change(date(2026, 2, 21), "emp-2"),
        change(date(2026, 1, 5)),
    )
    with sessions.begin() as session:
        for c in (inside, settled, outside):
            session.add(Failure(kind=CLOSED_FAILURE, key=closed_change_ref(c), reason=c.reason, parked=True))
        session.add(
            Failure(kind="labour_input", key=closed_change_ref(settled), reason="other kind", parked=True)
        )

    with sessions.begin() as session:
        # this run still finds `inside`, no longer finds `settled`, and knows nothing about January
        forget_settled_closed_changes(session, [inside], (date(2026, 2, 1), date(2026, 2, 28)))

    with sessions() as session:
        left = {(f.kind, f.key) for f in session.execute(select(Failure)).scalars()}
    assert left == {
        (CLOSED_FAILURE, closed_change_ref(inside)),
        (CLOSED_FAILURE, closed_change_ref(outside)),
        ("labour_input", closed_change_ref(settled)),
    }
    engine.dispose()


def test_an_adjusted_change_is_not_kept_as_a_failure(store_url: str) -> None:
    upgrade(store_url)
    engine = make_engine(store_url)
    sessions = session_factory(engine)
    adjusted = change(date(2026, 2, 20), adjusted_on=date(2026, 3, 2))
    with sessions.begin() as session:
        session.add(
            Failure(
                kind=CLOSED_FAILURE, key=closed_change_ref(adjusted), reason="parked earlier", parked=True
            )
        )
    with sessions.begin() as session:
        forget_settled_closed_changes(session, [adjusted], (date(2026, 2, 1), date(2026, 3, 10)))
    with sessions() as session:
        assert session.execute(select(Failure)).scalars().all() == []
    engine.dispose()
