"""The labour web service against mock-1c: batches, per-row statuses, replay, closed period."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
import requests

from connector.onec.client import ODataClient
from connector.onec.errors import Fatal
from connector.onec.soap import LabourRow, LabourService
from testbed.mock1c import MockOneC
from tests.integration.onec.conftest import QUICK
from tests.integration.onec.labour_data import employee_and_work_type

INTEREST_SET = "Document_CRM_Интерес"


def _internal_host_wsdl(mock: MockOneC) -> requests.Session:
    """A session whose WSDL answers advertise an internal host name, as real publications do."""
    public = mock.base_url.split("/crm")[0]

    def rewrite(resp: requests.Response, *args: Any, **kwargs: Any) -> requests.Response:
        if resp.request.url and resp.request.url.endswith("?wsdl"):
            resp._content = resp.content.replace(public.encode(), b"http://srv-1c-internal:8080")
        return resp

    session = requests.Session()
    session.hooks["response"].append(rewrite)
    return session


@pytest.fixture
def service(mock_1c: MockOneC) -> Iterator[LabourService]:
    yield LabourService(
        mock_1c.base_url,
        mock_1c.user,
        mock_1c.password,
        session=_internal_host_wsdl(mock_1c),
        batch_size=2,
        policy=QUICK,
    )


def _rows(client: ODataClient, day: date, minutes: list[int]) -> list[LabourRow]:
    employee, work = employee_and_work_type(client, 0)
    interests = [i["Ref_Key"] for i in client.iter_entities(INTEREST_SET, select=["Ref_Key"], page_size=10)]
    return [
        LabourRow(
            row_key=f"{employee}|{interests[n]}|{day.isoformat()}|{work}",
            employee=employee,
            object_type=INTEREST_SET,
            object_ref=interests[n],
            work_date=day,
            work_type=work,
            minutes=m,
            comment="из трекера",
            evidence_url="http://tracker.local/shots/1",
        )
        for n, m in enumerate(minutes)
    ]


def test_batches_report_per_row_status_and_replay_changes_nothing(
    service: LabourService, client: ODataClient
) -> None:
    rows = _rows(client, date(2026, 3, 3), [30, 45, 60])
    first = service.put_labour("batch-1", rows)
    assert [r.row_key for r in first] == [r.row_key for r in rows]
    assert {r.status for r in first} == {"Created"}
    assert service.put_labour("batch-1", rows) == first  # a replayed batch answers as before
    assert {r.status for r in service.put_labour("batch-1-again", rows)} == {"Unchanged"}

    updated = [rows[0], rows[1].__class__(**{**rows[1].__dict__, "minutes": 50}), rows[2]]
    statuses = [r.status for r in service.put_labour("batch-2", updated)]
    assert statuses == ["Unchanged", "Updated", "Unchanged"]

    stored = list(service.get_labour(date(2026, 3, 1), date(2026, 3, 31), employee=rows[0].employee))
    assert {(r.row_key, r.minutes) for r in stored} >= {(rows[0].row_key, 30), (rows[1].row_key, 50)}
    assert all(r.work_date == date(2026, 3, 3) for r in stored)


def test_closed_period_rejects_the_row_not_the_batch(service: LabourService, client: ODataClient) -> None:
    closed = _rows(client, date(2025, 12, 30), [15])
    open_ = _rows(client, date(2026, 3, 4), [20])
    results = service.put_labour("batch-3", [closed[0], open_[0]])
    assert results[0].rejected and "запрета" in results[0].message
    assert results[1].status == "Created"


def test_wrong_credentials_on_the_wsdl_are_fatal(mock_1c: MockOneC) -> None:
    bad = LabourService(mock_1c.base_url, mock_1c.user, "nope-secret", policy=QUICK)
    with pytest.raises(Fatal) as info:
        list(bad.get_labour(date(2026, 3, 1), date(2026, 3, 2)))
    assert "nope-secret" not in str(info.value)
