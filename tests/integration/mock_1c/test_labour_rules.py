"""Business rules of Document_УчетВремени, posting into the accumulation register, closing date."""

from __future__ import annotations

import json
from typing import Any

import requests

from testbed.mock1c import MockOneC
from tests.integration.mock_1c.helpers import employee, error_of, first, get_json, timesheet, url

DOC = "Document_УчетВремени"
REG = "AccumulationRegister_ЗаданияНаРаботу_RecordType"


def write(m: MockOneC, method: str, resource: str, body: Any = None) -> requests.Response:
    data = json.dumps(body, ensure_ascii=False).encode() if body is not None else b""
    return requests.request(
        method,
        url(m, resource) + "?$format=json",
        data=data,
        auth=m.auth,
        timeout=10,
        headers={"Content-Type": "application/json"},
    )


def test_week_must_run_monday_to_sunday(mock_1c: MockOneC) -> None:
    emp = employee(mock_1c, 0)
    r = write(mock_1c, "POST", DOC, timesheet(emp, "2026-11-03", "2026-11-09", Пн=1))
    status, code, message = error_of(r)
    assert (status, code) == (500, "-1") and "понедельник" in message
    r = write(mock_1c, "POST", DOC, timesheet(emp, "2026-11-02", "2026-11-07", Пн=1))
    assert error_of(r)[:2] == (500, "-1")


def test_rows_need_line_number(mock_1c: MockOneC) -> None:
    body = timesheet(employee(mock_1c, 0), "2026-11-02", "2026-11-08", Пн=1)
    del body["Операции"][0]["LineNumber"]
    assert error_of(write(mock_1c, "POST", DOC, body))[:2] == (400, "5")


def test_at_most_24_hours_per_employee_day_across_documents(mock_1c: MockOneC) -> None:
    emp = employee(mock_1c, 1)
    first_doc = write(mock_1c, "POST", DOC, timesheet(emp, "2026-11-09", "2026-11-15", Вт=20))
    assert first_doc.status_code == 201, first_doc.text
    r = write(mock_1c, "POST", DOC, timesheet(emp, "2026-11-09", "2026-11-15", Вт=5))
    status, code, message = error_of(r)
    assert (status, code) == (500, "-1") and "10.11.2026" in message
    assert write(mock_1c, "POST", DOC, timesheet(emp, "2026-11-09", "2026-11-15", Вт=4)).status_code == 201
    other = employee(mock_1c, 2)
    assert write(mock_1c, "POST", DOC, timesheet(other, "2026-11-09", "2026-11-15", Вт=24)).status_code == 201


def test_posting_writes_register_rows_and_unposting_removes_them(mock_1c: MockOneC) -> None:
    emp = employee(mock_1c, 3)
    doc = write(mock_1c, "POST", DOC, timesheet(emp, "2026-11-16", "2026-11-22", Пн=2, Ср=1.5)).json()
    key = f"{DOC}(guid'{doc['Ref_Key']}')"
    posted = write(mock_1c, "POST", key + "/Post")
    assert posted.status_code == 200 and posted.json()["Posted"] is True
    rows = get_json(mock_1c, REG, **{"$filter": f"Сотрудник_Key eq guid'{emp}'"})["value"]
    assert sorted((r["Period"], r["ЗагрузкаФакт"]) for r in rows) == [
        ("2026-11-16T00:00:00", 2.0),
        ("2026-11-18T00:00:00", 1.5),
    ]
    assert {r["Recorder"] for r in rows} == {doc["Ref_Key"]}
    assert {r["Recorder_Type"] for r in rows} == {f"StandardODATA.{DOC}"}
    assert write(mock_1c, "POST", key + "/Unpost").json()["Posted"] is False
    assert get_json(mock_1c, REG, **{"$filter": f"Сотрудник_Key eq guid'{emp}'"})["value"] == []


def test_closing_date_blocks_write_and_post(mock_1c: MockOneC) -> None:
    emp = employee(mock_1c, 4)
    doc = write(mock_1c, "POST", DOC, timesheet(emp, "2026-10-05", "2026-10-11", Пт=8)).json()
    const = "Constant_ТТ_ДатаЗапретаИзменения"
    r = write(mock_1c, "PATCH", const, {"Value": "2026-10-31T00:00:00"})
    assert r.status_code == 200 and r.json()["Value"] == "2026-10-31T00:00:00"
    assert get_json(mock_1c, const)["Value"] == "2026-10-31T00:00:00"
    try:
        status, code, message = error_of(
            write(mock_1c, "POST", DOC, timesheet(emp, "2026-10-12", "2026-10-18", Пн=1))
        )
        assert (status, code) == (500, "-1") and "31.10.2026" in message
        status, code, message = error_of(write(mock_1c, "POST", f"{DOC}(guid'{doc['Ref_Key']}')/Post"))
        assert (status, code) == (500, "-1") and "31.10.2026" in message
        key = f"{DOC}(guid'{doc['Ref_Key']}')"
        assert error_of(write(mock_1c, "PATCH", key, {"Комментарий": "правка"}))[:2] == (500, "-1")
        assert get_json(mock_1c, key)["Комментарий"] == ""
        assert get_json(mock_1c, key)["Posted"] is False
    finally:
        write(mock_1c, "PATCH", const, {"Value": "2025-12-31T00:00:00"})
    assert write(mock_1c, "POST", f"{DOC}(guid'{doc['Ref_Key']}')/Post").status_code == 200


def test_interest_is_not_subject_to_labour_rules(mock_1c: MockOneC) -> None:
    interest = first(mock_1c, "Document_CRM_Интерес")
    r = write(
        mock_1c,
        "PATCH",
        f"Document_CRM_Интерес(guid'{interest['Ref_Key']}')",
        {"ТТ_ФактическиеТрудозатраты": 3.5},
    )
    assert r.status_code == 200 and r.json()["ТТ_ФактическиеТрудозатраты"] == 3.5
