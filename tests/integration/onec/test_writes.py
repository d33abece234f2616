"""Writes against mock-1c: create, If-Match/412, posting with register records, closed period."""

from __future__ import annotations

from datetime import date

import pytest

from connector.onec.client import ODataClient
from connector.onec.errors import ClosedPeriod, Conflict, Fatal, NotFound
from connector.onec.query import F, Guid
from tests.integration.onec.labour_data import TIMESHEET, employee_and_work_type, timesheet

MONDAY = date(2026, 3, 2)
REGISTER = "AccumulationRegister_ЗаданияНаРаботу_RecordType"


def test_create_patch_with_if_match_and_conflict(client: ODataClient) -> None:
    employee, work = employee_and_work_type(client, 0)
    doc = client.create(TIMESHEET, timesheet(employee, work, MONDAY, 2.5, "writes-1"))
    assert doc["Ref_Key"] and doc["DataVersion"]
    assert doc["ДатаС"].date() == MONDAY
    assert doc["Операции"][0]["LineNumber"] == 1
    changed = client.patch(
        TIMESHEET, doc["Ref_Key"], {"Комментарий": "writes-1b"}, if_match=doc["DataVersion"]
    )
    assert changed["DataVersion"] != doc["DataVersion"]
    with pytest.raises(Conflict):
        client.patch(TIMESHEET, doc["Ref_Key"], {"Комментарий": "stale"}, if_match=doc["DataVersion"])
    assert client.get(TIMESHEET, doc["Ref_Key"])["Комментарий"] == "writes-1b"
    found = client.find_by(TIMESHEET, "Комментарий", "writes-1b")
    assert found is not None and found["Ref_Key"] == doc["Ref_Key"]


def test_post_writes_register_records_and_unpost_removes_them(client: ODataClient) -> None:
    employee, work = employee_and_work_type(client, 1)
    doc = client.create(TIMESHEET, timesheet(employee, work, MONDAY, 3.0, "writes-2"))
    client.post_document(TIMESHEET, doc["Ref_Key"])
    assert client.get(TIMESHEET, doc["Ref_Key"])["Posted"] is True
    records = list(
        client.iter_entities(REGISTER, filter=F("Recorder") == Guid(doc["Ref_Key"]), order_by=["Period"])
    )
    assert [r["ЗагрузкаФакт"] for r in records] == [3.0]
    client.unpost_document(TIMESHEET, doc["Ref_Key"])
    assert list(client.iter_entities(REGISTER, filter=F("Recorder") == Guid(doc["Ref_Key"]))) == []
    client.delete(TIMESHEET, doc["Ref_Key"])
    with pytest.raises(NotFound):
        client.get(TIMESHEET, doc["Ref_Key"])


def test_closed_period_is_its_own_error(client: ODataClient) -> None:
    employee, work = employee_and_work_type(client, 2)
    with pytest.raises(ClosedPeriod, match="дата запрета"):
        client.create(TIMESHEET, timesheet(employee, work, date(2025, 12, 1), 1.0, "writes-closed"))


def test_business_rule_refusal_is_fatal_not_retried(client: ODataClient) -> None:
    employee, work = employee_and_work_type(client, 3)
    before = client.http.requests_sent
    with pytest.raises(Fatal, match="понедельником"):
        client.create(TIMESHEET, timesheet(employee, work, date(2026, 3, 3), 1.0, "writes-tuesday"))
    assert client.http.requests_sent == before + 1
