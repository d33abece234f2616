"""``1C_OData-DataLoadMode: true``: writes in 1C's data-exchange load mode (ОбменДанными.Загрузка).

Event-handler rules (24 h per employee-day on Document_УчетВремени) are skipped; structural checks
stay; the closing date stays enforced unless the ``load_mode_ignores_closing_date`` switch is on;
posting or unposting in load mode and a header value other than true/false answer code 17.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests

from tests.integration.mock_1c.helpers import WORK_TYPE, employee, error_of, get_json, timesheet, url
from tests.support.mock1c import MockOneC, running_mock_1c

DOC = "Document_УчетВремени"
REG = "AccumulationRegister_ЗаданияНаРаботу_RecordType"
CLOSING = "Constant_ТТ_ДатаЗапретаИзменения"
HEADER = "1C_OData-DataLoadMode"


def call(
    m: MockOneC, method: str, resource: str, body: Any = None, load: str | None = None
) -> requests.Response:
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    if load is not None:
        headers[HEADER] = load
    data = json.dumps(body, ensure_ascii=False).encode() if body is not None else b""
    return requests.request(method, url(m, resource), data=data, auth=m.auth, timeout=10, headers=headers)


def documents_of(m: MockOneC, emp: str) -> list[dict[str, Any]]:
    return list(get_json(m, DOC, **{"$filter": f"Сотрудник_Key eq guid'{emp}'"})["value"])


def test_load_mode_skips_the_24_hour_rule(mock_1c: MockOneC) -> None:
    emp = employee(mock_1c, 0)
    assert call(mock_1c, "POST", DOC, timesheet(emp, "2026-11-09", "2026-11-15", Вт=20)).status_code == 201
    status, code, message = error_of(
        call(mock_1c, "POST", DOC, timesheet(emp, "2026-11-09", "2026-11-15", Вт=5))
    )
    assert (status, code) == (500, "-1") and "10.11.2026" in message
    refused = error_of(
        call(mock_1c, "POST", DOC, timesheet(emp, "2026-11-09", "2026-11-15", Вт=5), load="false")
    )
    assert refused[:2] == (500, "-1")
    loaded = call(mock_1c, "POST", DOC, timesheet(emp, "2026-11-09", "2026-11-15", Вт=5), load="true")
    assert loaded.status_code == 201, loaded.text
    assert loaded.json()["Операции"][0]["ВтДлительность"] == 5
    assert len(documents_of(mock_1c, emp)) == 2
    key = f"{DOC}(guid'{loaded.json()['Ref_Key']}')"
    patch = {"Операции": [{"LineNumber": "1", "ВидРабот_Key": WORK_TYPE, "ВтДлительность": 10}]}
    assert error_of(call(mock_1c, "PATCH", key, patch))[:2] == (500, "-1")
    patched = call(mock_1c, "PATCH", key, patch, load="true")
    assert patched.status_code == 200, patched.text
    assert get_json(mock_1c, key)["Операции"][0]["ВтДлительность"] == 10


def test_load_mode_keeps_structural_checks(mock_1c: MockOneC) -> None:
    emp = employee(mock_1c, 1)
    status, code, message = error_of(
        call(mock_1c, "POST", DOC, timesheet(emp, "2026-11-03", "2026-11-09", Пн=1), load="true")
    )
    assert (status, code) == (500, "-1") and "понедельник" in message
    sunday_wrong = call(mock_1c, "POST", DOC, timesheet(emp, "2026-11-02", "2026-11-07", Пн=1), load="true")
    assert error_of(sunday_wrong)[:2] == (500, "-1")
    no_line = timesheet(emp, "2026-11-02", "2026-11-08", Пн=1)
    del no_line["Операции"][0]["LineNumber"]
    assert error_of(call(mock_1c, "POST", DOC, no_line, load="true"))[:2] == (400, "5")
    bad_type = timesheet(emp, "2026-11-02", "2026-11-08", Пн="восемь")  # type: ignore[arg-type]
    assert error_of(call(mock_1c, "POST", DOC, bad_type, load="true"))[:2] == (400, "4")
    assert documents_of(mock_1c, emp) == []


def test_closing_date_is_still_enforced_in_load_mode_by_default(mock_1c: MockOneC) -> None:
    emp = employee(mock_1c, 2)
    assert call(mock_1c, "PATCH", CLOSING, {"Value": "2026-10-31T00:00:00"}).status_code == 200
    try:
        status, code, message = error_of(
            call(mock_1c, "POST", DOC, timesheet(emp, "2026-10-12", "2026-10-18", Пн=1), load="true")
        )
        assert (status, code) == (500, "-1") and "31.10.2026" in message
    finally:
        call(mock_1c, "PATCH", CLOSING, {"Value": "2025-12-31T00:00:00"})
    assert documents_of(mock_1c, emp) == []


@pytest.mark.parametrize("operation", ["Post", "Unpost"])
def test_posting_in_load_mode_is_refused_with_code_17(mock_1c: MockOneC, operation: str) -> None:
    emp = employee(mock_1c, 3 if operation == "Post" else 4)
    doc = call(mock_1c, "POST", DOC, timesheet(emp, "2026-11-16", "2026-11-22", Пн=2)).json()
    key = f"{DOC}(guid'{doc['Ref_Key']}')"
    if operation == "Unpost":
        assert call(mock_1c, "POST", key + "/Post").status_code == 200
    before = get_json(mock_1c, key)
    records = get_json(mock_1c, REG, **{"$filter": f"Сотрудник_Key eq guid'{emp}'"})["value"]
    status, code, message = error_of(call(mock_1c, "POST", key + f"/{operation}", load="true"))
    assert (status, code) == (400, "17") and "загрузк" in message.lower()
    after = get_json(mock_1c, key)
    assert (after["Posted"], after["DataVersion"]) == (before["Posted"], before["DataVersion"])
    assert get_json(mock_1c, REG, **{"$filter": f"Сотрудник_Key eq guid'{emp}'"})["value"] == records
    done = call(mock_1c, "POST", key + f"/{operation}", load="false")
    assert done.status_code == 200 and done.json()["Posted"] is (operation == "Post")


@pytest.mark.parametrize("value", ["yes", "1", "TRUE", "", "true,false"])
def test_header_value_other_than_true_or_false_is_code_17(mock_1c: MockOneC, value: str) -> None:
    emp = employee(mock_1c, 5)
    created = call(mock_1c, "POST", DOC, timesheet(emp, "2026-11-23", "2026-11-29", Ср=1), load=value)
    status, code, message = error_of(created)
    assert (status, code) == (400, "17") and HEADER in message
    assert documents_of(mock_1c, emp) == []
    assert error_of(call(mock_1c, "GET", DOC, load=value))[:2] == (400, "17")


def test_reads_accept_the_header(mock_1c: MockOneC) -> None:
    r = call(mock_1c, "GET", f"{DOC}/$count", load="true")
    assert r.status_code == 200 and int(r.text) >= 0


def test_switch_lets_load_mode_write_into_a_closed_period() -> None:
    with running_mock_1c(faults="load_mode_ignores_closing_date=true") as m:
        assert (
            requests.get(f"{m.admin_url}/faults", timeout=10).json()["load_mode_ignores_closing_date"] is True
        )
        emp = employee(m, 0)
        assert call(m, "PATCH", CLOSING, {"Value": "2026-10-31T00:00:00"}).status_code == 200
        closed = timesheet(emp, "2026-10-12", "2026-10-18", Пн=1)
        assert error_of(call(m, "POST", DOC, closed))[:2] == (500, "-1")
        assert error_of(call(m, "POST", DOC, closed, load="false"))[:2] == (500, "-1")
        loaded = call(m, "POST", DOC, closed, load="true")
        assert loaded.status_code == 201, loaded.text
        key = f"{DOC}(guid'{loaded.json()['Ref_Key']}')"
        assert get_json(m, key)["Date"] == "2026-10-12T00:00:00"
        assert error_of(call(m, "POST", key + "/Post"))[:2] == (500, "-1")  # posting is not load mode
