"""Change feeds against mock-1c: exchange plan with tombstones and redelivery, DataVersion scan,
date cursor."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from connector.onec.changes import Change, DataVersionScan, DateCursorFeed, ExchangePlanFeed
from connector.onec.client import ODataClient
from connector.onec.errors import NotFound

INTERESTS = "Document_CRM_Интерес"


def _two_interests(client: ODataClient, skip: int) -> tuple[str, str]:
    refs = [i["Ref_Key"] for i in client.iter_entities(INTERESTS, select=["Ref_Key"], page_size=50)]
    return refs[skip], refs[skip + 1]


def test_exchange_plan_redelivers_until_acknowledged(client: ODataClient) -> None:
    feed = ExchangePlanFeed(client, "TT", entity_sets=[INTERESTS])
    first = feed.changes(0)
    assert first.ack is not None
    first.ack()
    state = first.new_state

    changed, deleted = _two_interests(client, 0)
    version = client.patch(INTERESTS, changed, {"Тема": "изменено трекером"})["DataVersion"]
    client.delete(INTERESTS, deleted)

    batch = feed.changes(state)
    expected = {Change(INTERESTS, changed, version), Change(INTERESTS, deleted, None, deleted=True)}
    assert set(batch.items) == expected

    again = feed.changes(state)  # the caller crashed before committing: same state, same changes
    assert set(again.items) == expected
    later = feed.changes(again.new_state)  # committed but not acknowledged: still delivered
    assert set(later.items) == expected
    assert later.ack is not None
    later.ack()
    assert feed.changes(later.new_state).items == []


def test_exchange_plan_node_by_guid_or_unknown_code(client: ODataClient) -> None:
    ref = ExchangePlanFeed(client, "TT").node_ref()
    assert ExchangePlanFeed(client, ref).node_ref() == ref
    with pytest.raises(NotFound, match="no node with code 'XX'"):
        ExchangePlanFeed(client, "XX").changes(0)


def test_data_version_scan_finds_changes_and_tombstones(client: ODataClient) -> None:
    scan = DataVersionScan(client, INTERESTS, page_size=7)
    baseline = scan.changes({})
    assert len(baseline.items) == len(baseline.new_state) > 10
    assert scan.changes(baseline.new_state).items == []

    changed, deleted = _two_interests(client, 10)
    version = client.patch(INTERESTS, changed, {"Тема": "ещё раз"})["DataVersion"]
    client.delete(INTERESTS, deleted)
    batch = scan.changes(baseline.new_state)
    assert batch.items == [
        Change(INTERESTS, changed, version),
        Change(INTERESTS, deleted, None, deleted=True),
    ]
    assert deleted not in batch.new_state


def test_date_cursor_reads_an_inclusive_window_with_overlap(client: ODataClient) -> None:
    dated = sorted(
        (i["Date"], i["Ref_Key"]) for i in client.iter_entities(INTERESTS, select=["Ref_Key", "Date"])
    )
    cursor_date, cursor_ref = dated[len(dated) // 2]
    now = dated[-1][0].astimezone(UTC) + timedelta(days=1)
    feed = DateCursorFeed(client, INTERESTS, overlap=timedelta(0), lag=timedelta(minutes=1), now=lambda: now)
    batch = feed.changes(cursor_date.astimezone(UTC))
    refs = {c.ref for c in batch.items}
    assert cursor_ref in refs  # the inclusive bound keeps objects sharing the cursor value
    assert refs == {r for d, r in dated if d >= cursor_date}
    assert batch.new_state == now - timedelta(minutes=1)
    assert feed.changes(batch.new_state).items == []
    assert isinstance(batch.new_state, datetime)
