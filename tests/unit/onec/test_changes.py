"""Change feeds over a fake transport: version comparison, tombstones, cursor bounds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlsplit

import requests

from connector.onec.changes import Change, DataVersionScan, DateCursorFeed
from connector.onec.client import ODataClient
from tests.unit.onec.fakes import fake_session, response

A, B, C = (f"00000000-0000-0000-0000-00000000000{i}" for i in (1, 2, 3))


def client_answering(rows: list[dict[str, str]]) -> tuple[ODataClient, list[requests.PreparedRequest]]:
    session, adapter = fake_session(lambda req: response(200, {"value": rows}))
    return ODataClient(
        "http://1c.test/crm", "u", "p", timezone="Europe/Moscow", session=session
    ), adapter.requests


def test_scan_reports_new_changed_and_deleted_objects() -> None:
    client, sent = client_answering(
        [{"Ref_Key": A, "DataVersion": "v1"}, {"Ref_Key": B, "DataVersion": "v9"}]
    )
    batch = DataVersionScan(client, "Catalog_Проекты").changes({A: "v1", B: "v2", C: "v3"})
    assert batch.items == [
        Change("Catalog_Проекты", B, "v9"),
        Change("Catalog_Проекты", C, None, deleted=True),
    ]
    assert batch.new_state == {A: "v1", B: "v9"}
    assert batch.ack is None
    assert dict(parse_qsl(urlsplit(sent[0].url or "").query))["$select"] == "Ref_Key,DataVersion"


def test_date_cursor_uses_inclusive_overlap_and_lag_cap() -> None:
    client, sent = client_answering([{"Ref_Key": A, "DataVersion": "v1", "Date": "2025-01-21T10:00:00"}])
    now = datetime(2025, 1, 21, 12, 0, tzinfo=UTC)
    feed = DateCursorFeed(
        client,
        "Document_CRM_Интерес",
        overlap=timedelta(minutes=5),
        lag=timedelta(minutes=1),
        now=lambda: now,
    )
    batch = feed.changes(datetime(2025, 1, 21, 8, 0, tzinfo=UTC))
    flt = dict(parse_qsl(urlsplit(sent[0].url or "").query))["$filter"]
    assert flt == "(Date ge datetime'2025-01-21T10:55:00') and (Date le datetime'2025-01-21T14:59:00')"
    assert batch.items == [Change("Document_CRM_Интерес", A, "v1")]
    assert batch.new_state == now - timedelta(minutes=1)
