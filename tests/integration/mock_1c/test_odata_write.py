"""Writing through OData: create/patch/delete, If-Match, Post/Unpost and every refused input."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote

import requests

from testbed.mock1c import MockOneC
from tests.integration.mock_1c.helpers import error_of, first, get_json, url

CUSTOMERS = "Catalog_Контрагенты"
INTERESTS = "Document_CRM_Интерес"


def post(m: MockOneC, resource: str, body: Any, **kw: Any) -> requests.Response:
    data = body if isinstance(body, bytes | str) else json.dumps(body, ensure_ascii=False).encode()
    headers = {"Accept": "application/json", "Content-Type": "application/json", **kw.pop("headers", {})}
    return requests.post(url(m, resource), data=data, auth=m.auth, headers=headers, timeout=10, **kw)


def patch(m: MockOneC, resource: str, body: Any, **headers: str) -> requests.Response:
    data = body if isinstance(body, bytes | str) else json.dumps(body, ensure_ascii=False).encode()
    return requests.patch(
        url(m, resource),
        data=data,
        auth=m.auth,
        timeout=10,
        headers={"Accept": "application/json", "Content-Type": "application/json", **headers},
    )


def test_create_returns_201_location_and_entity(mock_1c: MockOneC) -> None:
    r = post(mock_1c, CUSTOMERS, {"Description": "ООО «Новый клиент»", "ИНН": "7701234567", "Code": "77-1"})
    assert r.status_code == 201, r.text
    e = r.json()
    assert unquote(r.headers["Location"]).endswith(f"{CUSTOMERS}(guid'{e['Ref_Key']}')")
    assert e["Code"] == "77-1     " and e["DeletionMark"] is False and e["Predefined"] is False
    assert get_json(mock_1c, f"{CUSTOMERS}(guid'{e['Ref_Key']}')")["Description"] == "ООО «Новый клиент»"


def test_patch_changes_data_version_and_if_match_412(mock_1c: MockOneC) -> None:
    e = post(mock_1c, CUSTOMERS, {"Description": "ООО «Патч»"}).json()
    key = f"{CUSTOMERS}(guid'{e['Ref_Key']}')"
    r = patch(mock_1c, key, {"ИНН": "123"}, **{"If-Match": e["DataVersion"]})
    assert r.status_code == 200, r.text
    changed = r.json()
    assert changed["ИНН"] == "123" and changed["Description"] == "ООО «Патч»"
    assert changed["DataVersion"] != e["DataVersion"]
    stale = patch(mock_1c, key, {"ИНН": "456"}, **{"If-Match": e["DataVersion"]})
    assert stale.status_code == 412
    assert get_json(mock_1c, key)["ИНН"] == "123"
    gone = requests.delete(
        url(mock_1c, key), auth=mock_1c.auth, headers={"If-Match": e["DataVersion"]}, timeout=10
    )
    assert gone.status_code == 412
    ok = requests.delete(
        url(mock_1c, key), auth=mock_1c.auth, headers={"If-Match": changed["DataVersion"]}, timeout=10
    )
    assert ok.status_code == 204
    r = requests.get(url(mock_1c, key) + "?$format=json", auth=mock_1c.auth, timeout=10)
    assert error_of(r)[:2] == (404, "9")


def test_tabular_section_is_replaced_whole(mock_1c: MockOneC) -> None:
    interest = first(mock_1c, INTERESTS)
    user = first(mock_1c, "Catalog_Пользователи")
    key = f"{INTERESTS}(guid'{interest['Ref_Key']}')"
    rows = [
        {"LineNumber": "1", "Пользователь_Key": user["Ref_Key"], "Роль": "Консультант"},
        {"LineNumber": 2, "Пользователь_Key": user["Ref_Key"], "Роль": "Наблюдатель"},
    ]
    r = patch(mock_1c, key, {"Соисполнители": rows})
    assert r.status_code == 200, r.text
    got = r.json()["Соисполнители"]
    assert [(x["LineNumber"], x["Роль"], x["Ref_Key"]) for x in got] == [
        ("1", "Консультант", interest["Ref_Key"]),
        ("2", "Наблюдатель", interest["Ref_Key"]),
    ]
    r = patch(mock_1c, key, {"Соисполнители": [{"Пользователь_Key": user["Ref_Key"]}]})
    assert error_of(r)[:2] == (400, "5")
    assert len(get_json(mock_1c, key)["Соисполнители"]) == 2


def test_post_and_unpost_documents(mock_1c: MockOneC) -> None:
    interest = post(mock_1c, INTERESTS, {"Тема": "Проверка проведения", "ВидИнтереса": "Сервис"}).json()
    assert interest["Posted"] is False and interest["Number"].startswith("CRM-")
    key = f"{INTERESTS}(guid'{interest['Ref_Key']}')"
    r = post(mock_1c, key + "/Post?PostingModeOperational=false", b"")
    assert r.status_code == 200 and r.json()["Posted"] is True
    r = post(mock_1c, key + "/Unpost()", b"")
    assert r.status_code == 200 and r.json()["Posted"] is False


def _unchanged(m: MockOneC) -> int:
    return int(requests.get(url(m, f"{CUSTOMERS}/$count"), auth=m.auth, timeout=10).text)


def test_bad_writes_answer_1c_errors_and_change_nothing(mock_1c: MockOneC) -> None:
    before = _unchanged(mock_1c)
    cases = [
        (b"{not json", (400, "2")),
        (b"[1, 2]", (400, "2")),
        (b'{"Description": "a", "Description": "b"}', (400, "18")),
        ({"НетТакого": 1}, (404, "10")),
        ({"Description": 5}, (400, "4")),
        ({"DeletionMark": "yes"}, (400, "4")),
        ({"Code": "слишком-длинный-код"}, (400, "4")),
        ({"Posted": True}, (404, "10")),
        ({"Predefined": True}, (400, "16")),
    ]
    for body, expected in cases:
        r = post(mock_1c, CUSTOMERS, body)
        status, code, message = error_of(r)
        assert (status, code) == expected, (body, r.text)
        assert any("а" <= ch <= "я" for ch in message.lower())
    bad_ref = post(mock_1c, INTERESTS, {"Партнер_Key": "not-a-guid"})
    assert error_of(bad_ref)[:2] == (400, "4")
    bad_date = post(mock_1c, INTERESTS, {"Date": "2025-13-01T00:00:00"})
    assert error_of(bad_date)[:2] == (400, "4")
    bad_enum = post(mock_1c, INTERESTS, {"ВидИнтереса": "Бартер"})
    assert error_of(bad_enum)[:2] == (400, "4")
    assert _unchanged(mock_1c) == before


def test_tabular_rows_cannot_be_posted_directly(mock_1c: MockOneC) -> None:
    r = post(mock_1c, f"{INTERESTS}_Соисполнители", {"LineNumber": "1", "Роль": "x"})
    assert error_of(r)[:2] == (400, "13")


def test_malformed_keys_unknown_sets_and_fields(mock_1c: MockOneC) -> None:
    def get(resource: str) -> tuple[int, str, str]:
        return error_of(requests.get(url(mock_1c, resource) + "?$format=json", auth=mock_1c.auth, timeout=10))

    assert get("Catalog_НетТакого")[:2] == (404, "8")
    assert get(f"{CUSTOMERS}(guid'zzz')")[:2] == (404, "6")
    assert get(f"{CUSTOMERS}('abc')")[:2] == (404, "6")
    assert get(f"{CUSTOMERS}(guid'00000000-0000-0000-0000-00000000abcd')")[:2] == (404, "9")
    assert get(f"{CUSTOMERS}(Code='1')")[:2] == (400, "7")
    assert get(f"{CUSTOMERS}(guid'00000000-0000-0000-0000-00000000abcd')/Нечто")[:2] == (404, "11")


def test_bad_queries(mock_1c: MockOneC) -> None:
    def get(query: str) -> tuple[int, str, str]:
        return error_of(
            requests.get(url(mock_1c, CUSTOMERS) + "?$format=json&" + query, auth=mock_1c.auth, timeout=10)
        )

    assert get("$filter=length(Description)%20eq%201")[:2] == (400, "21")
    assert get("$filter=tolower(Description)%20eq%20'a'")[:2] == (400, "21")
    assert get("$filter=Description%20eq")[:2] == (400, "14")
    assert get("$filter=НетПоля%20eq%201")[:2] == (404, "10")
    assert get("$select=НетПоля")[:2] == (404, "10")
    assert get("$orderby=Description%20sideways")[:2] == (400, "14")
    assert get("$top=-1")[:2] == (400, "14")
    assert get("$skip=abc")[:2] == (400, "14")
    assert get("$inlinecount=some")[:2] == (400, "14")
    assert get("$unknown=1")[:2] == (400, "14")
    single = requests.get(
        url(mock_1c, f"{CUSTOMERS}(guid'00000000-0000-0000-0000-00000000abcd')")
        + "?$format=json&$expand=Owner",
        auth=mock_1c.auth,
        timeout=10,
    )
    assert error_of(single)[:2] == (400, "14")
    r = requests.get(url(mock_1c, CUSTOMERS) + "?$format=text/csv", auth=mock_1c.auth, timeout=10)
    assert r.status_code == 501


def test_plus_is_a_literal_plus_by_default(mock_1c: MockOneC) -> None:
    r = requests.get(
        url(mock_1c, CUSTOMERS) + "?$format=json&$filter=Description+eq+'x'", auth=mock_1c.auth, timeout=10
    )
    assert error_of(r)[:2] == (400, "14")


def test_xml_error_when_json_not_asked(mock_1c: MockOneC) -> None:
    r = requests.get(url(mock_1c, "Catalog_НетТакого"), auth=mock_1c.auth, timeout=10)
    assert r.status_code == 404 and b"<m:error" in r.content and "не найден".encode() in r.content


def test_method_not_allowed(mock_1c: MockOneC) -> None:
    r = requests.delete(url(mock_1c, CUSTOMERS) + "?$format=json", auth=mock_1c.auth, timeout=10)
    assert error_of(r)[:2] == (405, "19")
