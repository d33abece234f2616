"""``mock-1c serve --without …``: a base lacking pieces of the 1C-side kit answers as such a 1C base does.

An unpublished set is 1C's "entity type not found" (code 8, 404); a missing field is absent from
``$metadata`` and from every entity, and naming it in a query or a write is "property not found"
(code 10); an unpublished web service is the web server's 404. Bad ``--without`` values stop the
server at start with a message naming the value.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator

import pytest
import requests
from lxml import etree

from testbed.mock1c import MockOneC, running_mock_1c
from testbed.servers import script
from tests.integration.mock_1c.helpers import error_of, first, query, url

EDM = "{http://schemas.microsoft.com/ado/2009/11/edm}"


@pytest.fixture(scope="module")
def bare() -> Iterator[MockOneC]:
    with running_mock_1c(without="extension") as m:
        yield m


@pytest.fixture(scope="module")
def one_field() -> Iterator[MockOneC]:
    without = ",".join(
        [
            "field:Document_CRM_Интерес.ТТ_ФактическиеТрудозатраты",
            "field:Document_УчетВремени.Операции.ТТ_КлючСтроки",
        ]
    )
    with running_mock_1c(without=without) as m:
        yield m


def _metadata(m: MockOneC) -> etree._Element:
    r = requests.get(url(m, "$metadata"), auth=m.auth, timeout=30)
    assert r.status_code == 200
    return etree.fromstring(r.content)


def test_without_the_extension_no_tt_name_is_published(bare: MockOneC) -> None:
    root = _metadata(bare)
    names = [el.get("Name", "") + " " + el.get("Type", "") for el in root.iter()]
    assert not [n for n in names if "ТТ_" in n]
    assert root.find(f".//{EDM}EntitySet[@Name='Document_CRM_Интерес']") is not None
    interest = first(bare, "Document_CRM_Интерес")
    assert "Тема" in interest and not [k for k in interest if k.startswith("ТТ_")]


@pytest.mark.parametrize("entity_set", ["Constant_ТТ_ДатаЗапретаИзменения", "ExchangePlan_ТТ_ОбменСТрекером"])
def test_without_the_extension_its_sets_are_not_found(bare: MockOneC, entity_set: str) -> None:
    r = requests.get(url(bare, entity_set) + "?$format=json", auth=bare.auth, timeout=30)
    status, code, message = error_of(r)
    assert (status, code) == (404, "8") and entity_set in message


def test_without_the_extension_the_web_service_is_not_published(bare: MockOneC) -> None:
    r = requests.get(bare.base_url + "/ws/TimeTracking.1cws?wsdl", auth=bare.auth, timeout=30)
    assert r.status_code == 404


def test_naming_a_missing_field_is_property_not_found(bare: MockOneC) -> None:
    for option in ("$select", "$filter", "$orderby"):
        value = {"$select": "Ref_Key,ТТ_ПревышениеПлана", "$filter": "ТТ_ПревышениеПлана eq true"}.get(
            option, "ТТ_СогласованныеТрудозатраты desc"
        )
        r = requests.get(
            url(bare, "Document_CRM_Интерес") + "?" + query(**{"$format": "json", option: value}),
            auth=bare.auth,
            timeout=30,
        )
        status, code, message = error_of(r)
        assert (status, code) == (404, "10"), option
        assert "ТТ_" in message


def test_writing_a_missing_field_is_refused_and_changes_nothing(bare: MockOneC) -> None:
    interest = first(bare, "Document_CRM_Интерес")
    target = url(bare, f"Document_CRM_Интерес(guid'{interest['Ref_Key']}')") + "?$format=json"
    r = requests.patch(
        target,
        data=json.dumps({"Тема": "изменено", "ТТ_ФактическиеТрудозатраты": 5}).encode(),
        auth=bare.auth,
        headers={"Content-Type": "application/json"},
        timeout=30,
    )
    assert error_of(r)[:2] == (404, "10")
    after = first(bare, "Document_CRM_Интерес", **{"$filter": f"Ref_Key eq guid'{interest['Ref_Key']}'"})
    assert after["Тема"] == interest["Тема"] and after["DataVersion"] == interest["DataVersion"]


def test_one_missing_field_leaves_the_rest_of_the_kit(one_field: MockOneC) -> None:
    root = _metadata(one_field)
    interest = root.find(f".//{EDM}EntityType[@Name='Document_CRM_Интерес']")
    rows = root.find(f".//{EDM}ComplexType[@Name='Document_УчетВремени_Операции_RowType']")
    assert interest is not None and rows is not None
    props = {p.get("Name") for p in interest.iter(f"{EDM}Property")}
    assert (
        "ТТ_ФактическиеТрудозатраты" not in props
        and {"ТТ_ПревышениеПлана", "ТТ_СогласованныеТрудозатраты"} <= props
    )
    row_props = {p.get("Name") for p in rows.iter(f"{EDM}Property")}
    assert "ТТ_КлючСтроки" not in row_props and {"ТТ_Объект", "ТТ_Доказательства"} <= row_props
    wsdl = requests.get(one_field.base_url + "/ws/TimeTracking.1cws?wsdl", auth=one_field.auth, timeout=30)
    assert wsdl.status_code == 200
    constant = requests.get(
        url(one_field, "Constant_ТТ_ДатаЗапретаИзменения") + "?$format=json", auth=one_field.auth
    )
    assert constant.status_code == 200


@pytest.mark.parametrize(
    ("value", "complaint"),
    [
        ("constant", "--without 'constant': expected one of extension, closing-date"),
        ("field:Document_CRM_Интерес.Нет", "Document_CRM_Интерес has no field Нет"),
        ("field:Catalog_Нет.Поле", "expected field:<EntitySet>.<Field>"),
        ("field:Document_УчетВремени.Операции.Нет", "has no tabular field Операции.Нет"),
    ],
)
def test_a_bad_without_value_stops_the_server_with_a_clear_message(value: str, complaint: str) -> None:
    done = subprocess.run(
        [script("mock-1c"), "serve", "--port", "1", "--without", value],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert complaint in done.stderr and "Traceback" not in done.stderr
