"""Reading through the standard OData interface as 1C clients do (requests over real HTTP)."""

from __future__ import annotations

import base64
from urllib.parse import quote

import requests
from lxml import etree

from testbed.mock1c import MockOneC
from tests.integration.mock_1c.helpers import error_of, first, get_json, url

INTERESTS = "Document_CRM_Интерес"


def test_collection_has_metadata_url_and_all_seeded_interests(mock_1c: MockOneC) -> None:
    body = get_json(mock_1c, INTERESTS)
    assert body["odata.metadata"].endswith(f"/crm/odata/standard.odata/$metadata#{INTERESTS}")
    assert len(body["value"]) == 50
    kinds = {e["ВидИнтереса"] for e in body["value"]}
    assert kinds == {"Сервис", "Продажа"}


def test_encoded_and_raw_query_forms_give_the_same_answer(mock_1c: MockOneC) -> None:
    encoded = (
        f"{url(mock_1c, INTERESTS)}?%24format=json&%24filter="
        + quote("ВидИнтереса eq 'Сервис'", safe="")
        + "&%24select=Number%2C%20Тема".replace("Тема", quote("Тема"))
    )
    raw = (
        f"{url(mock_1c, INTERESTS)}?$format=json&$filter="
        + quote("ВидИнтереса eq 'Сервис'", safe="'")
        + "&$select=Number, Тема"
    )
    a = requests.get(encoded, auth=mock_1c.auth, timeout=10)
    b = requests.get(raw.replace(" ", "%20").replace("Тема", quote("Тема")), auth=mock_1c.auth, timeout=10)
    assert a.status_code == b.status_code == 200, (a.text, b.text)
    assert a.json()["value"] == b.json()["value"]
    assert a.json()["value"] and set(a.json()["value"][0]) == {"Number", "Тема"}


def test_json_value_rules_for_documents(mock_1c: MockOneC) -> None:
    e = first(mock_1c, INTERESTS, **{"$filter": "ВидИнтереса eq 'Сервис'"})
    base64.b64decode(e["DataVersion"], validate=True)
    assert len(base64.b64decode(e["DataVersion"])) == 8
    assert e["Number"].startswith("CRM-") and e["Date"][10] == "T" and len(e["Date"]) == 19
    assert e["ДокументОснование_Type"] == "StandardODATA.Document_ЭлектронноеПисьмоВходящее"
    assert e["Партнер@navigationLinkUrl"] == f"{INTERESTS}(guid'{e['Ref_Key']}')/Партнер"
    assert "Predefined" not in e


def test_navigation_link_only_for_non_empty_refs_and_int64_as_strings(mock_1c: MockOneC) -> None:
    tasks = get_json(mock_1c, "Catalog_ЗадачиПроектов")["value"]
    folder = next(t for t in tasks if t["IsFolder"])
    assert "Исполнитель@navigationLinkUrl" not in folder
    assert folder["Исполнитель_Key"] == "00000000-0000-0000-0000-000000000000"
    task = next(t for t in tasks if not t["IsFolder"] and t["Участники"])
    assert task["Участники"][0]["LineNumber"] == "1"
    assert task["Участники"][0]["Ref_Key"] == task["Ref_Key"]
    assert task["ПлановыеТрудозатраты"] == sum(r["ПлановыеТрудозатраты"] for r in task["Участники"])


def test_fixed_length_codes_are_space_padded(mock_1c: MockOneC) -> None:
    node = get_json(mock_1c, "ExchangePlan_ТТ_ОбменСТрекером")["value"][0]
    assert node["Code"] == "TT       "
    project = first(mock_1c, "Catalog_Проекты")
    assert len(project["Code"]) == 9 and project["Code"].endswith(" ")


def test_single_entity_and_navigation(mock_1c: MockOneC) -> None:
    e = first(mock_1c, INTERESTS)
    single = get_json(mock_1c, f"{INTERESTS}(guid'{e['Ref_Key']}')")
    assert single["odata.metadata"].endswith(f"$metadata#{INTERESTS}/@Element")
    assert single["Ref_Key"] == e["Ref_Key"]
    partner = get_json(mock_1c, f"{INTERESTS}(guid'{e['Ref_Key']}')/Партнер")
    assert partner["Ref_Key"] == e["Партнер_Key"]


def test_count_inlinecount_top_skip_orderby(mock_1c: MockOneC) -> None:
    r = requests.get(url(mock_1c, f"{INTERESTS}/$count"), auth=mock_1c.auth, timeout=10)
    assert r.status_code == 200 and r.text == "50" and r.headers["content-type"].startswith("text/plain")
    page = get_json(
        mock_1c,
        INTERESTS,
        **{"$top": "5", "$skip": "10", "$inlinecount": "allpages", "$orderby": "Number desc"},
    )
    assert page["odata.count"] == "50"
    assert [e["Number"] for e in page["value"]] == [f"CRM-{n:06d}" for n in range(40, 35, -1)]
    by_ref = get_json(mock_1c, INTERESTS, **{"$orderby": "Ref_Key", "$select": "Ref_Key"})["value"]
    assert [e["Ref_Key"] for e in by_ref] == sorted(e["Ref_Key"] for e in by_ref)


def test_expand_with_nav_select(mock_1c: MockOneC) -> None:
    e = get_json(
        mock_1c, INTERESTS, **{"$top": "1", "$expand": "Партнер", "$select": "Number, Партнер/Description"}
    )["value"][0]
    assert set(e) == {"Number", "Партнер"}
    assert set(e["Партнер"]) == {"Description"} and e["Партнер"]["Description"]


def test_filter_on_navigation_and_reference(mock_1c: MockOneC) -> None:
    e = first(mock_1c, INTERESTS)
    same_partner = get_json(mock_1c, INTERESTS, **{"$filter": f"Партнер_Key eq guid'{e['Партнер_Key']}'"})[
        "value"
    ]
    assert same_partner and all(x["Партнер_Key"] == e["Партнер_Key"] for x in same_partner)
    name = get_json(mock_1c, f"Catalog_Контрагенты(guid'{e['Партнер_Key']}')")["Description"]
    by_name = get_json(
        mock_1c, INTERESTS, **{"$filter": f"Партнер/Description eq '{name}'", "$select": "Ref_Key"}
    )["value"]
    assert {x["Ref_Key"] for x in by_name} >= {x["Ref_Key"] for x in same_partner}


def test_nometadata_and_accept_header(mock_1c: MockOneC) -> None:
    r = requests.get(
        url(mock_1c, "Catalog_Номенклатура"),
        params={"$format": "application/json;odata=nometadata"},
        auth=mock_1c.auth,
        timeout=10,
    )
    body = r.json()
    assert "odata.metadata" not in body and body["value"]
    r = requests.get(
        url(mock_1c, "Catalog_Номенклатура"),
        headers={"Accept": "application/json"},
        auth=mock_1c.auth,
        timeout=10,
    )
    assert r.json()["odata.metadata"].endswith("#Catalog_Номенклатура")


def test_atom_is_the_default(mock_1c: MockOneC) -> None:
    r = requests.get(url(mock_1c, "Catalog_Номенклатура"), auth=mock_1c.auth, timeout=10)
    assert r.headers["content-type"].startswith("application/atom+xml")
    root = etree.fromstring(r.content)
    ns = {"a": "http://www.w3.org/2005/Atom", "d": "http://schemas.microsoft.com/ado/2007/08/dataservices"}
    names = root.xpath("//a:entry//d:Description/text()", namespaces=ns)
    assert "Консультация" in names and "Перерыв" in names


def test_metadata_matches_served_data(mock_1c: MockOneC) -> None:
    r = requests.get(url(mock_1c, "$metadata"), auth=mock_1c.auth, timeout=10)
    root = etree.fromstring(r.content)
    ns = {
        "edmx": "http://schemas.microsoft.com/ado/2007/06/edmx",
        "e": "http://schemas.microsoft.com/ado/2009/11/edm",
        "m": "http://schemas.microsoft.com/ado/2007/08/dataservices/metadata",
    }
    assert root.get("Version") == "1.0"
    assert root.find("edmx:DataServices", ns).get(f"{{{ns['m']}}}DataServiceVersion") == "3.0"
    et = root.find(".//e:EntityType[@Name='Document_CRM_Интерес']", ns)
    props = {p.get("Name"): p.get("Type") for p in et.findall("e:Property", ns)}
    served = first(mock_1c, INTERESTS, **{"$format": "application/json;odata=nometadata"})
    assert set(served) == set(props)
    assert props["Соисполнители"] == "Collection(StandardODATA.Document_CRM_Интерес_Соисполнители_RowType)"
    assert root.find(".//e:ComplexType[@Name='Document_CRM_Интерес_Соисполнители_RowType']", ns) is not None
    container = root.find(".//e:EntityContainer", ns)
    assert container.get("Name") == "EnterpriseV8"
    assert {f.get("Name") for f in container.findall("e:FunctionImport", ns)} >= {"Post", "Unpost"}


def test_service_document_lists_collections(mock_1c: MockOneC) -> None:
    r = requests.get(mock_1c.odata_url + "/", auth=mock_1c.auth, timeout=10)
    root = etree.fromstring(r.content)
    hrefs = {c.get("href") for c in root.iter("{http://www.w3.org/2007/app}collection")}
    assert INTERESTS in hrefs and "Catalog_Пользователи" in hrefs


def test_allowed_only_is_accepted(mock_1c: MockOneC) -> None:
    assert len(get_json(mock_1c, "Catalog_Номенклатура", allowedOnly="true")["value"]) == 11
    r = requests.get(
        url(mock_1c, "Catalog_Номенклатура"),
        params={"$format": "json", "allowedOnly": "maybe"},
        auth=mock_1c.auth,
        timeout=10,
    )
    assert error_of(r)[:2] == (400, "14")
