"""The SOAP labour service through zeep (as the connector's soap channel calls it)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
import requests
import zeep
import zeep.exceptions
from lxml import etree
from zeep.transports import Transport

from testbed.mock1c import MockOneC
from tests.integration.mock_1c.helpers import get_json

NS = "http://onec-bridge.local/timetracking"
WORK_TYPE = "ef6dc999-13b0-5fe2-9247-faf5b05fcee8"  # Разработка, stable across seeds


@pytest.fixture(scope="module")
def client(mock_1c: MockOneC) -> Iterator[zeep.Client]:
    session = requests.Session()
    session.auth = mock_1c.auth
    c = zeep.Client(f"{mock_1c.base_url}/ws/TimeTracking.1cws?wsdl", transport=Transport(session=session))
    yield c


@pytest.fixture(scope="module")
def refs(mock_1c: MockOneC) -> dict[str, str]:
    emp = get_json(mock_1c, "Catalog_Сотрудники", **{"$top": "2", "$orderby": "Code"})["value"]
    interest = get_json(mock_1c, "Document_CRM_Интерес", **{"$top": "1"})["value"][0]
    return {"emp": emp[0]["Ref_Key"], "emp2": emp[1]["Ref_Key"], "interest": interest["Ref_Key"]}


def row(
    refs: dict[str, str], key: str, minutes: int, day: date = date(2026, 11, 23), **kw: Any
) -> dict[str, Any]:
    return {
        "RowKey": key,
        "Employee": refs["emp"],
        "ObjectType": "Document_CRM_Интерес",
        "Object": refs["interest"],
        "WorkDate": day,
        "WorkType": WORK_TYPE,
        "Minutes": minutes,
        "Billable": True,
        "Comment": "работа",
        "EvidenceUrl": "http://tracker/shots/1",
        **kw,
    }


def rows_of(result: Any) -> list[Any]:
    """zeep unwraps a ``return`` holding only ``Row`` elements into the list itself."""
    if result is None:
        return []
    return list(result) if isinstance(result, list) else list(result.Row or [])


def statuses(result: Any) -> dict[str, tuple[str, str]]:
    return {r.RowKey: (r.Status, r.Message or "") for r in rows_of(result)}


def test_wsdl_needs_auth_and_has_1c_shape(mock_1c: MockOneC) -> None:
    wsdl_url = f"{mock_1c.base_url}/ws/TimeTracking.1cws?wsdl"
    assert requests.get(wsdl_url, timeout=10).status_code == 401
    root = etree.fromstring(requests.get(wsdl_url, auth=mock_1c.auth, timeout=10).content)
    w = {"w": "http://schemas.xmlsoap.org/wsdl/"}
    assert root.get("targetNamespace") == NS
    assert {b.get("name") for b in root.findall("w:binding", w)} == {
        "TimeTrackingSoapBinding",
        "TimeTrackingSoap12Binding",
    }
    assert {m.get("name") for m in root.findall("w:message", w)} >= {
        "PutLabourRequestMessage",
        "PutLabourResponseMessage",
    }
    assert root.find("w:portType", w).get("name") == "TimeTrackingPortType"
    ports = {p.get("name") for p in root.findall("w:service/w:port", w)}
    assert ports == {"TimeTrackingSoap", "TimeTrackingSoap12"}


def test_put_labour_statuses_and_replay_idempotency(
    client: zeep.Client, refs: dict[str, str], mock_1c: MockOneC
) -> None:
    batch = {"BatchId": "b-1", "Row": [row(refs, "k1", 90), row(refs, "k2", 30, WorkType="not-a-guid")]}
    first = statuses(client.service.PutLabour(Batch=batch))
    assert first["k1"] == ("Created", "")
    assert first["k2"][0] == "Rejected" and "WorkType" in first["k2"][1]
    replay = statuses(client.service.PutLabour(Batch=batch))
    assert replay == first
    same_rows = statuses(client.service.PutLabour(Batch={"BatchId": "b-2", "Row": [row(refs, "k1", 90)]}))
    assert same_rows == {"k1": ("Unchanged", "")}
    updated = statuses(client.service.PutLabour(Batch={"BatchId": "b-3", "Row": [row(refs, "k1", 120)]}))
    assert updated == {"k1": ("Updated", "")}
    stored = get_json(
        mock_1c, "InformationRegister_ТТ_ТрудозатратыТрекера", **{"$filter": "КлючСтроки eq 'k1'"}
    )["value"]
    assert len(stored) == 1 and stored[0]["Минуты"] == 120 and stored[0]["Объект"] == refs["interest"]
    deleted = statuses(client.service.PutLabour(Batch={"BatchId": "b-4", "Row": [row(refs, "k1", 0)]}))
    assert deleted == {"k1": ("Deleted", "")}
    assert (
        statuses(client.service.PutLabour(Batch={"BatchId": "b-3", "Row": [row(refs, "k1", 120)]})) == updated
    )
    assert (
        get_json(mock_1c, "InformationRegister_ТТ_ТрудозатратыТрекера", **{"$filter": "КлючСтроки eq 'k1'"})[
            "value"
        ]
        == []
    )


def test_closed_period_rejects_only_that_row(client: zeep.Client, refs: dict[str, str]) -> None:
    batch = {
        "BatchId": "b-closed",
        "Row": [row(refs, "old", 60, date(2025, 12, 30)), row(refs, "new", 60, date(2026, 11, 24))],
    }
    result = statuses(client.service.PutLabour(Batch=batch))
    assert result["old"][0] == "Rejected" and "31.12.2025" in result["old"][1]
    assert result["new"] == ("Created", "")


def test_day_limit_and_unknown_object(client: zeep.Client, refs: dict[str, str]) -> None:
    day = date(2026, 11, 25)
    batch = {
        "BatchId": "b-day",
        "Row": [
            row(refs, "d1", 1000, day),
            row(refs, "d2", 500, day),
            row(refs, "d3", 10, day, Object="00000000-0000-0000-0000-0000000000aa"),
        ],
    }
    result = statuses(client.service.PutLabour(Batch=batch))
    assert result["d1"][0] == "Created"
    assert result["d2"][0] == "Rejected" and "24" in result["d2"][1]
    assert result["d3"][0] == "Rejected" and "не найден" in result["d3"][1]


def test_get_labour_by_period_and_employee(client: zeep.Client, refs: dict[str, str]) -> None:
    client.service.PutLabour(
        Batch={
            "BatchId": "b-get",
            "Row": [
                row(refs, "g1", 45, date(2026, 12, 1)),
                row(refs, "g2", 15, date(2026, 12, 2), Employee=refs["emp2"]),
            ],
        }
    )
    rows = rows_of(client.service.GetLabour(From=date(2026, 12, 1), To=date(2026, 12, 2)))
    assert [(r.RowKey, r.Minutes) for r in rows] == [("g1", 45), ("g2", 15)]
    only = rows_of(
        client.service.GetLabour(From=date(2026, 12, 1), To=date(2026, 12, 2), Employee=refs["emp2"])
    )
    assert [r.RowKey for r in only] == ["g2"]
    assert only[0].WorkDate == date(2026, 12, 2) and only[0].Billable is True


def test_soap12_binding(mock_1c: MockOneC, refs: dict[str, str]) -> None:
    session = requests.Session()
    session.auth = mock_1c.auth
    c = zeep.Client(f"{mock_1c.base_url}/ws/TimeTracking.1cws?wsdl", transport=Transport(session=session))
    service = c.bind("TimeTracking", "TimeTrackingSoap12")
    rows = rows_of(service.GetLabour(From=date(2026, 12, 1), To=date(2026, 12, 1)))
    assert [r.RowKey for r in rows] == ["g1"]


def test_requests_not_matching_the_wsdl_are_faults(mock_1c: MockOneC, client: zeep.Client) -> None:
    url = f"{mock_1c.base_url}/ws/TimeTracking.1cws"
    env = (
        '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:t="' + NS + '">'
        "<soap:Body>{}</soap:Body></soap:Envelope>"
    )
    for body in (
        "<t:Nonsense/>",
        "<t:PutLabour/>",
        "<t:PutLabour><t:Batch><t:Row/></t:Batch></t:PutLabour>",
        "not xml",
    ):
        data = env.format(body) if body != "not xml" else body
        r = requests.post(
            url, data=data.encode(), auth=mock_1c.auth, headers={"Content-Type": "text/xml"}, timeout=10
        )
        assert r.status_code == 500, body
        root = etree.fromstring(r.content)
        assert root.find(".//faultstring").text, body
    with pytest.raises(zeep.exceptions.Fault) as fault:
        client.service.PutLabour(
            Batch={"BatchId": "b-1", "Row": [row({"emp": "x", "interest": "y"}, "z", 1)]}
        )
    assert "другим содержимым" in fault.value.message
