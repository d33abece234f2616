from datetime import UTC, datetime

import pytest
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from connector.store.links import (
    LinkData,
    feed_position,
    get_cursor,
    get_link,
    links_changed_since,
    next_seq,
    reserve_seq,
    set_cursor,
    set_link_actuals,
    upsert_employee,
    upsert_link,
    upsert_links_bulk,
)
from connector.store.models import Link

REF_A = "11111111-1111-1111-1111-111111111111"
REF_B = "22222222-2222-2222-2222-222222222222"


def _data(ref: str, code: str, content_hash: str = "h1", **kw: object) -> LinkData:
    return LinkData(
        mapping="service",
        onec_type="Document_CRM_Интерес",
        onec_ref=ref,
        task_code=code,
        content_hash=content_hash,
        title="[CRM-000512] ООО Ромашка: не печатается счёт",
        assignees=["u1"],
        **kw,  # type: ignore[arg-type]
    )


def test_upsert_creates_then_updates_one_link_and_moves_it_up_the_feed(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as s:
        a, created = upsert_link(s, _data(REF_A, "SRV-1", data_version="v1"))
        b, _ = upsert_link(s, _data(REF_B, "SRV-2"))
        assert created and a.feed_seq < b.feed_seq
    with sessions.begin() as s:
        assert feed_position(s) == b.feed_seq
        same, changed = upsert_link(s, _data(REF_A, "SRV-1", data_version="v2"))
        assert not changed and same.feed_seq == a.feed_seq
        moved, changed = upsert_link(s, _data(REF_A, "SRV-1", content_hash="h2", status="closed"))
        assert changed and moved.feed_seq > b.feed_seq
    with sessions() as s:
        link = get_link(s, "service", REF_A)
        assert link is not None and link.status == "closed" and link.data_version is None
        assert link.title.startswith("[CRM-000512]") and link.assignees == ["u1"]
        assert link.updated_at.tzinfo is not None
        assert [x.onec_ref for x in links_changed_since(s, b.feed_seq - 1)] == [REF_B, REF_A]
        assert [x.onec_ref for x in links_changed_since(s, b.feed_seq)] == [REF_A]
        assert s.query(Link).count() == 2


def test_task_code_is_unique_across_objects(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as s:
        upsert_link(s, _data(REF_A, "SRV-1"))
    with pytest.raises(IntegrityError), sessions.begin() as s:
        upsert_link(s, _data(REF_B, "SRV-1"))


def test_actuals_bump_the_feed_only_when_they_change(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as s:
        link, _ = upsert_link(s, _data(REF_A, "SRV-1"))
        first = link.feed_seq
        assert set_link_actuals(s, link, 90, "warn")
        assert not set_link_actuals(s, link, 90, "warn")
        assert link.feed_seq == first + 1


def test_cursor_round_trip(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as s:
        assert get_cursor(s, "service:date") is None
        set_cursor(s, "service:date", "2026-11-01T00:00:00")
        set_cursor(s, "service:date", "2026-11-02T00:00:00")
    with sessions() as s:
        assert get_cursor(s, "service:date") == "2026-11-02T00:00:00"


def test_employee_email_is_stored_lower_case(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as s:
        emp = upsert_employee(
            s, onec_user_ref=REF_A, email=" Ivanov@Example.RU ", name="Иванов", how_matched="email"
        )
        assert emp.email == "ivanov@example.ru"


def test_naive_datetimes_are_refused(sessions: sessionmaker[Session]) -> None:
    with pytest.raises(Exception, match="naive datetime"), sessions.begin() as s:
        link, _ = upsert_link(s, _data(REF_A, "SRV-1"))
        link.updated_at = datetime(2026, 1, 1)
        s.flush()
    with sessions.begin() as s:
        link, _ = upsert_link(s, _data(REF_A, "SRV-1"))
        link.updated_at = datetime(2026, 1, 1, 3, 0, tzinfo=UTC)
    with sessions() as s:
        got = get_link(s, "service", REF_A)
        assert got is not None and got.updated_at == datetime(2026, 1, 1, 3, 0, tzinfo=UTC)


REF_C = "33333333-3333-3333-3333-333333333333"


def test_reserve_seq_takes_consecutive_blocks_shared_with_next_seq(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as s:
        first = reserve_seq(s, "test.seq", 5)
        assert next_seq(s, "test.seq") == first + 5
        assert reserve_seq(s, "test.seq", 3) == first + 6
        assert next_seq(s, "test.seq") == first + 9
        with pytest.raises(ValueError):
            reserve_seq(s, "test.seq", 0)


def test_bulk_upsert_matches_upsert_link_semantics(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as s:
        upsert_link(s, _data(REF_A, "SRV-1", data_version="v1"))
    with sessions.begin() as s:
        before = feed_position(s)
        changed = upsert_links_bulk(
            s, [_data(REF_B, "SRV-2"), _data(REF_A, "SRV-1", data_version="v2"), _data(REF_C, "SRV-3")]
        )
        assert changed == [True, False, True]
    with sessions() as s:
        a, b, c = (get_link(s, "service", r) for r in (REF_A, REF_B, REF_C))
        assert a is not None and b is not None and c is not None
        assert a.data_version == "v2" and a.feed_seq <= before, "a DataVersion-only change stays off the feed"
        assert (b.feed_seq, c.feed_seq) == (before + 1, before + 2), "one block, in item order"
        assert c.actual_minutes == 0 and c.assignees == ["u1"] and c.updated_at.tzinfo is not None
    with sessions.begin() as s:
        changed = upsert_links_bulk(s, [_data(REF_C, "SRV-3"), _data(REF_B, "SRV-2", status="closed")])
        assert changed == [False, True]
    with sessions() as s:
        b = get_link(s, "service", REF_B)
        assert b is not None and b.status == "closed" and b.feed_seq == before + 3
        assert [x.onec_ref for x in links_changed_since(s, before)] == [REF_C, REF_B]
        assert s.query(Link).count() == 3


def test_bulk_upsert_refuses_one_object_twice_and_unique_codes_still_hold(
    sessions: sessionmaker[Session],
) -> None:
    with pytest.raises(ValueError, match="twice"), sessions.begin() as s:
        upsert_links_bulk(s, [_data(REF_A, "SRV-1"), _data(REF_A, "SRV-1")])
    with pytest.raises(IntegrityError), sessions.begin() as s:
        upsert_links_bulk(s, [_data(REF_A, "SRV-1"), _data(REF_B, "SRV-1")])
    with sessions() as s:
        assert s.query(Link).count() == 0
        assert upsert_links_bulk(s, []) == []


def test_bulk_insert_round_trips_every_column_as_upsert_link_stores_it(
    sessions: sessionmaker[Session],
) -> None:
    payload = {"title": 'Заявка «срочно» \\ "кавычки"', "assignees": [{"email": "a@x.ru"}], "n": None}
    with sessions.begin() as s:
        upsert_link(s, _data(REF_A, "SRV-1", payload=payload, planned_minutes=90))
        upsert_links_bulk(s, [_data(REF_B, "SRV-2", payload=payload, planned_minutes=90)])
    with sessions() as s:
        one, bulk = get_link(s, "service", REF_A), get_link(s, "service", REF_B)
        assert one is not None and bulk is not None
        columns = ("onec_type", "content_hash", "status", "category", "title", "assignees", "planned_minutes")
        assert [getattr(bulk, c) for c in columns] == [getattr(one, c) for c in columns]
        assert bulk.payload == payload == one.payload
        assert (bulk.actual_minutes, bulk.overrun, bulk.tracker_task_id) == (0, None, None)
        assert (
            bulk.updated_at.tzinfo is not None
            and abs(bulk.updated_at - one.updated_at).total_seconds() < 3600
        )
        assert [x.onec_ref for x in links_changed_since(s, 0)] == [REF_A, REF_B]


def test_bulk_upsert_trusts_known_links_and_reads_the_rest(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as s:
        upsert_link(s, _data(REF_A, "SRV-1", data_version="v1"))
    with sessions.begin() as s:
        stored = get_link(s, "service", REF_A)
        changed = upsert_links_bulk(
            s,
            [_data(REF_A, "SRV-1", data_version="v2"), _data(REF_B, "SRV-2")],
            known={("service", REF_A): stored},
        )
        assert changed == [False, True]
    with pytest.raises(IntegrityError), sessions.begin() as s:
        upsert_links_bulk(s, [_data(REF_A, "SRV-1")], known={("service", REF_A): None})
    with sessions() as s:
        a = get_link(s, "service", REF_A)
        assert a is not None and a.data_version == "v2" and s.query(Link).count() == 2
