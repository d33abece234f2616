"""Audit of issue 2/3 items not covered elsewhere: filtered ``$count``, refused PATCH/DELETE
bodies and keys leaving data unchanged, named register keys, ``GET /_mock/faults``."""

from __future__ import annotations

from datetime import date
from urllib.parse import quote

import pytest
import requests
import zeep
from zeep.transports import Transport

from testbed.mock1c import MockOneC
from tests.integration.mock_1c.helpers import error_of, first, get_json, url

INTERESTS = "Document_CRM_Интерес"
CUSTOMERS = "Catalog_Контрагенты"
REGISTER = "InformationRegister_ТТ_ТрудозатратыТрекера"
WORK_TYPE = "ef6dc999-13b0-5fe2-9247-faf5b05fcee8"
MISSING = "00000000-0000-0000-0000-00000000abcd"


def test_count_honours_filter_in_encoded_and_raw_forms(mock_1c: MockOneC) -> None:
    service = get_json(mock_1c, INTERESTS, **{"$filter": "ВидИнтереса eq 'Сервис'", "$select": "Ref_Key"})
    expected = str(len(service["value"]))
    assert 0 < int(expected) < 50
    encoded = url(mock_1c, f"{INTERESTS}/$count") + "?%24filter=" + quote("ВидИнтереса eq 'Сервис'", safe="")
    raw = url(mock_1c, f"{INTERESTS}/$count") + "?$filter=" + quote("ВидИнтереса eq 'Сервис'", safe="'")
    for address in (encoded, raw):
        r = requests.get(address, auth=mock_1c.auth, timeout=10)
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
        assert r.text == expected


def test_refused_patches_leave_the_entity_unchanged(mock_1c: MockOneC) -> None:
    customer = first(mock_1c, CUSTOMERS)
    key = f"{CUSTOMERS}(guid'{customer['Ref_Key']}')"
    headers = {"Accept": "application/json", "Content-Type": "application/json"}
    cases = [
        (b"{not json", (400, "2")),
        (b'{"Description": "a", "Description": "b"}', (400, "18")),
        ('{"НетТакого": 1}'.encode(), (404, "10")),
        (b'{"Description": 5}', (400, "4")),
    ]
    for body, expected in cases:
        r = requests.patch(url(mock_1c, key), data=body, auth=mock_1c.auth, headers=headers, timeout=10)
        assert error_of(r)[:2] == expected, (body, r.text)
    after = get_json(mock_1c, key)
    assert after["DataVersion"] == customer["DataVersion"]
    assert after["Description"] == customer["Description"]


def test_patch_and_delete_with_bad_or_unknown_keys(mock_1c: MockOneC) -> None:
    before = int(requests.get(url(mock_1c, f"{CUSTOMERS}/$count"), auth=mock_1c.auth, timeout=10).text)
    headers = {"Accept": "application/json", "Content-Type": "application/json"}
    for method in ("PATCH", "DELETE"):
        for resource, expected in (
            (f"{CUSTOMERS}(guid'zzz')", (404, "6")),
            (f"{CUSTOMERS}(guid'{MISSING}')", (404, "9")),
            (f"Catalog_НетТакого(guid'{MISSING}')", (404, "8")),
        ):
            r = requests.request(
                method,
                url(mock_1c, resource),
                data=b'{"Description": "x"}',
                auth=mock_1c.auth,
                headers=headers,
                timeout=10,
            )
            assert error_of(r)[:2] == expected, (method, resource, r.text)
    r = requests.post(
        url(mock_1c, "Catalog_НетТакого"), data=b"{}", auth=mock_1c.auth, headers=headers, timeout=10
    )
    assert error_of(r)[:2] == (404, "8")
    after = int(requests.get(url(mock_1c, f"{CUSTOMERS}/$count"), auth=mock_1c.auth, timeout=10).text)
    assert after == before


def _filter(m: MockOneC, text: str) -> requests.Response:
    return requests.get(
        url(m, INTERESTS) + "?$format=json&$filter=" + quote(text, safe="'"), auth=m.auth, timeout=10
    )


def test_string_literal_against_a_reference_is_refused_over_http(mock_1c: MockOneC) -> None:
    status, code, message = error_of(_filter(mock_1c, "Партнер_Key eq 'abc'"))
    assert (status, code) == (400, "14") and "Партнер_Key" in message


@pytest.mark.parametrize("text", ["Date eq 'вчера'", "Date eq 5", f"Posted eq guid'{MISSING}'"])
def test_wrong_literal_type_for_date_and_boolean_fields_is_refused(mock_1c: MockOneC, text: str) -> None:
    assert error_of(_filter(mock_1c, text))[:2] == (400, "14")


def test_register_record_is_read_by_named_key_parts(mock_1c: MockOneC) -> None:
    session = requests.Session()
    session.auth = mock_1c.auth
    client = zeep.Client(
        f"{mock_1c.base_url}/ws/TimeTracking.1cws?wsdl", transport=Transport(session=session)
    )
    employee = first(mock_1c, "Catalog_Сотрудники")["Ref_Key"]
    interest = first(mock_1c, INTERESTS)["Ref_Key"]
    row = {
        "RowKey": "audit-named-key",
        "Employee": employee,
        "ObjectType": INTERESTS,
        "Object": interest,
        "WorkDate": date(2026, 11, 23),
        "WorkType": WORK_TYPE,
        "Minutes": 35,
        "Billable": True,
        "Comment": "аудит",
        "EvidenceUrl": "http://tracker/shots/1",
    }
    client.service.PutLabour(Batch={"BatchId": "audit-1", "Row": [row]})
    record = get_json(mock_1c, f"{REGISTER}(КлючСтроки='audit-named-key')")
    assert record["КлючСтроки"] == "audit-named-key" and record["Минуты"] == 35
    r = requests.get(
        url(mock_1c, f"{REGISTER}(КлючСтроки='нет-такой')") + "?$format=json", auth=mock_1c.auth, timeout=10
    )
    assert error_of(r)[:2] == (404, "9")


def test_fault_profile_is_readable_at_runtime(mock_1c: MockOneC) -> None:
    r = requests.get(f"{mock_1c.admin_url}/faults", timeout=10)
    assert r.status_code == 200
    profile = r.json()
    assert profile["error_rate"] == 0 and profile["plus_as_space"] is False
