"""Audit of issue 5: the migrated schema itself (not only the repository functions) makes the
duplicates of architecture.md §3 impossible, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from connector.store.labour import LabourData, upsert_labour
from connector.store.models import Base, InboxEvent, Labour, Link, OutboxIntent
from connector.store.queues import outbox_add

REF = "22222222-2222-2222-2222-222222222222"


def _link(code: str, seq: int) -> Link:
    return Link(
        mapping="service",
        onec_type="Document_CRM_Интерес",
        onec_ref=REF,
        task_code=code,
        content_hash="h",
        feed_seq=seq,
    )


def _labour() -> Labour:
    return Labour(
        key=f"{REF}|{REF}|2026-03-02|{REF}",
        employee_ref=REF,
        object_type="Document_CRM_Интерес",
        object_ref=REF,
        work_date=date(2026, 3, 2),
        work_type_ref=REF,
        minutes=30,
    )


DUPLICATES: dict[str, Callable[[int], Base]] = {
    "link per mapping and 1C ref": lambda n: _link(f"CRM-{n}", n),
    "task code": lambda n: Link(
        mapping=f"m{n}", onec_type="Catalog_X", onec_ref=REF, task_code="SAME", content_hash="h", feed_seq=n
    ),
    "inbox event per type, ref and DataVersion": lambda n: InboxEvent(
        type="Document_CRM_Интерес", ref=REF, data_version="AAAA"
    ),
    "labour aggregate per key": lambda n: _labour(),
    "outbox intent per target key and version": lambda n: OutboxIntent(target_key="k", version=1),
}


@pytest.mark.parametrize("kind", sorted(DUPLICATES))
def test_schema_refuses_a_second_row_with_one_key(sessions: sessionmaker[Session], kind: str) -> None:
    make = DUPLICATES[kind]
    with sessions.begin() as s:
        s.add(make(1))
    with pytest.raises(IntegrityError), sessions.begin() as s:
        s.add(make(2))
    model = type(make(3))
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(model)) == 1


def test_repositories_turn_duplicates_into_no_ops(sessions: sessionmaker[Session]) -> None:
    data = LabourData(
        key="e|o|2026-03-02|w",
        employee_ref=REF,
        object_type="Document_CRM_Интерес",
        object_ref=REF,
        work_date=date(2026, 3, 2),
        work_type_ref=REF,
        minutes=45,
    )
    with sessions.begin() as s:
        assert outbox_add(s, "target", 1, {"n": 1})
        assert not outbox_add(s, "target", 1, {"n": 2})
        upsert_labour(s, data)
        upsert_labour(s, data)
    with sessions() as s:
        intents = s.scalars(select(OutboxIntent)).all()
        assert [(i.version, i.payload) for i in intents] == [(1, {"n": 1})]
        assert s.scalar(select(func.count()).select_from(Labour)) == 1
