"""Exchange-plan change feed (tombstones, redelivery, acknowledgement) and the /_mock admin endpoints."""

from __future__ import annotations

import json
from typing import Any

import requests

from testbed.mock1c import MockOneC
from tests.integration.mock_1c.helpers import error_of, get_json, url

NODE = "ExchangePlan_ТТ_ОбменСТрекером"


def node_ref(m: MockOneC) -> str:
    return get_json(m, NODE)["value"][0]["Ref_Key"]


def call(m: MockOneC, node: str, op: str, n: int | str | None) -> requests.Response:
    q = "" if n is None else f"?MessageNo={n}"
    return requests.post(
        url(m, f"{NODE}(guid'{node}')/{op}") + q,
        auth=m.auth,
        headers={"Accept": "application/json"},
        timeout=10,
    )


def drain(m: MockOneC, node: str, n: int) -> None:
    call(m, node, "SelectChanges", n)
    call(m, node, "NotifyChangesReceived", n)


def admin(m: MockOneC, method: str, path: str, body: Any = None) -> requests.Response:
    data = json.dumps(body, ensure_ascii=False).encode() if body is not None else None
    return requests.request(
        method, m.admin_url + path, data=data, headers={"Content-Type": "application/json"}, timeout=10
    )


def test_changes_through_any_channel_are_registered_with_tombstones_and_redelivered(
    mock_1c: MockOneC,
) -> None:
    node = node_ref(mock_1c)
    drain(mock_1c, node, 1)
    assert call(mock_1c, node, "SelectChanges", 2).json()["value"] == []
    created = admin(mock_1c, "POST", "/objects/Catalog_Контрагенты", {"Description": "ООО «Лента»"}).json()
    other = admin(mock_1c, "POST", "/objects/Catalog_Контрагенты", {"Description": "ООО «Удалить»"}).json()
    assert admin(mock_1c, "DELETE", f"/objects/Catalog_Контрагенты/{other['Ref_Key']}").status_code == 204
    patched = admin(
        mock_1c, "PATCH", f"/objects/Catalog_Контрагенты/{created['Ref_Key']}", {"ИНН": "1"}
    ).json()
    msg = call(mock_1c, node, "SelectChanges", 3).json()
    assert msg["MessageNo"] == 3
    got = {c["Ref_Key"]: c for c in msg["value"]}
    assert got[created["Ref_Key"]] == {
        "type": "Catalog_Контрагенты",
        "Ref_Key": created["Ref_Key"],
        "DataVersion": patched["DataVersion"],
        "deleted": False,
    }
    assert got[other["Ref_Key"]]["deleted"] is True and got[other["Ref_Key"]]["DataVersion"] is None
    again = call(mock_1c, node, "SelectChanges", 4).json()["value"]
    assert {c["Ref_Key"] for c in again} == set(got)
    assert call(mock_1c, node, "NotifyChangesReceived", 4).status_code == 200
    assert call(mock_1c, node, "SelectChanges", 5).json()["value"] == []


def test_change_after_select_comes_back_even_when_acknowledged(mock_1c: MockOneC) -> None:
    node = node_ref(mock_1c)
    drain(mock_1c, node, 10)
    a = admin(mock_1c, "POST", "/objects/Catalog_Контрагенты", {"Description": "А"}).json()
    call(mock_1c, node, "SelectChanges", 11)
    admin(mock_1c, "PATCH", f"/objects/Catalog_Контрагенты/{a['Ref_Key']}", {"Description": "Б"})
    call(mock_1c, node, "NotifyChangesReceived", 11)
    left = call(mock_1c, node, "SelectChanges", 12).json()["value"]
    assert [c["Ref_Key"] for c in left] == [a["Ref_Key"]]
    drain(mock_1c, node, 12)


def test_unknown_node_and_missing_message_number(mock_1c: MockOneC) -> None:
    assert error_of(call(mock_1c, "00000000-0000-0000-0000-0000000000ff", "SelectChanges", 1))[:2] == (
        404,
        "9",
    )
    assert error_of(call(mock_1c, node_ref(mock_1c), "SelectChanges", None))[:2] == (400, "12")
    assert error_of(call(mock_1c, node_ref(mock_1c), "SelectChanges", "x"))[:2] == (400, "4")


def test_incoming_email_creates_a_service_interest(mock_1c: MockOneC) -> None:
    r = admin(
        mock_1c,
        "POST",
        "/emails",
        {"from": "client@example.ru", "subject": "Не печатается счет", "text": "Помогите"},
    )
    assert r.status_code == 201, r.text
    interest = r.json()
    assert interest["ВидИнтереса"] == "Сервис" and interest["Тема"] == "Не печатается счет"
    assert interest["ДокументОснование_Type"] == "StandardODATA.Document_ЭлектронноеПисьмоВходящее"
    mail = get_json(mock_1c, f"Document_ЭлектронноеПисьмоВходящее(guid'{interest['ДокументОснование']}')")
    assert mail["ОтправительАдрес"] == "client@example.ru"
    state = get_json(mock_1c, f"Catalog_CRM_СостоянияИнтересов(guid'{interest['Состояние_Key']}')")
    assert state["Description"] == "Новый"
    assert admin(mock_1c, "POST", "/emails", {"subject": "без отправителя"}).status_code == 400


def test_admin_writes_obey_the_same_rules(mock_1c: MockOneC) -> None:
    assert admin(mock_1c, "POST", "/objects/Catalog_Нет", {}).status_code == 404
    assert admin(mock_1c, "POST", "/objects/Catalog_Контрагенты", {"Нет": 1}).status_code == 404
    r = admin(
        mock_1c, "PATCH", "/objects/Catalog_Контрагенты/00000000-0000-0000-0000-0000000000ff", {"ИНН": "1"}
    )
    assert r.status_code == 404 and r.json()["error"]["code"] == "9"
