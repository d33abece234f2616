"""Contract tests, kit ⇄ connector ⇄ mock: the 1C-side kit defines every ``ТТ_`` name the connector and
the mappings use, with the type they expect; its web service equals the mock's WSDL; the webhook body
its BSL builds is what ``/webhooks/1c`` accepts; its exchange plan and OData content cover what the
mappings read; the mock's ``$metadata`` shows the kit's fields with the kit's types.

When the kit and the mock disagree, the one that is wrong is fixed; these tests are never loosened.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from lxml import etree

from connector.api.webhooks import parse_event
from connector.mapping.validate import load_mappings
from connector.onec.errors import CLOSED_MARKERS
from testbed.connector_app import make_runtime, serve_runtime
from testbed.mock1c import MockOneC, running_mock_1c
from testbed.servers import REPO_ROOT
from tests.kit import dump
from tests.kit.dump import EXTENSION, NS, TESTS

MAPPINGS = REPO_ROOT / "mappings"
EDM = "http://schemas.microsoft.com/ado/2009/11/edm"
XS = "http://www.w3.org/2001/XMLSchema"
TT = re.compile(r"ТТ_[\wА-Яа-яЁё]+")
SET = re.compile(
    r"\b(?:Catalog|Document|Constant|ExchangePlan)_[\wА-Яа-яЁё]++(?!…)"
)  # not "Catalog_З…" examples


@pytest.fixture(scope="module")
def onec() -> Iterator[MockOneC]:
    with running_mock_1c() as m:
        yield m


def _mappings() -> list:  # type: ignore[type-arg]
    return list(load_mappings(MAPPINGS))


def _kit_names() -> set[str]:
    objs = dump.kit_objects()
    names = {name for _, name in objs} | {"ТТ_ТрекерВремени"}
    for o in objs.values():
        names |= {a.name for a in o.attributes}
        for attrs in o.tables.values():
            names |= {a.name for a in attrs}
    return names


def _connector_tt_names() -> dict[str, list[str]]:
    """ТТ_ name → where the connector's code or the mappings use it."""
    found: dict[str, list[str]] = {}
    sources = sorted((REPO_ROOT / "connector").rglob("*.py")) + sorted(MAPPINGS.glob("*.yaml"))
    for path in sources:
        for i, line in enumerate(path.read_text("utf-8").splitlines(), 1):
            for name in TT.findall(line):
                base = re.sub(r"_(Type|Key)$", "", name)
                found.setdefault(base, []).append(f"{path.relative_to(REPO_ROOT)}:{i}")
    return found


def test_every_tt_name_the_connector_uses_is_defined_in_the_kit() -> None:
    used = _connector_tt_names()
    assert {"ТТ_ФактическиеТрудозатраты", "ТТ_КлючСтроки", "ТТ_ОбменСТрекером"} <= set(used)
    missing = {name: where[:2] for name, where in used.items() if name not in _kit_names()}
    assert missing == {}, "named by the connector, absent from onec_kit/extension"


def test_the_kit_types_are_what_the_mappings_and_the_labour_flow_expect() -> None:
    fields = dump.odata_fields(dump.kit_objects())
    for m in _mappings():
        if m.source is None or m.labour is None:
            continue
        kit_set = fields[m.source.entity_set]
        if m.labour.totals_field:
            assert kit_set[m.labour.totals_field] == ("xs:decimal",), (m.name, "totals are hours")
        if m.labour.overrun_field:
            assert kit_set[m.labour.overrun_field] == ("xs:boolean",), (m.name, "overrun is a flag")
        for f in m.source.select:
            if f.startswith("ТТ_"):
                assert f in kit_set, (m.name, f)
    rows = fields["Document_УчетВремени_Операции"]
    assert rows["ТТ_КлючСтроки"] == ("xs:string",) and rows["ТТ_Доказательства"] == ("xs:string",)
    labour_targets = {
        m.source.entity_set for m in _mappings() if m.source is not None and m.labour is not None
    }
    for target in labour_targets:
        kind, name = target.split("_", 1)
        assert f"cfg:{kind}Ref.{name}" in rows["ТТ_Объект"], f"ТТ_Объект cannot hold a {target}"
    constant = dump.kit_objects()[("Constant", "ТТ_ДатаЗапретаИзменения")]
    assert [t.text for t in constant.root.iterfind(".//md:Properties/md:Type/v8:Type", NS)] == ["xs:dateTime"]


_EDM_OF = {"xs:decimal": "Edm.Double", "xs:boolean": "Edm.Boolean", "xs:string": "Edm.String"}


def test_the_mocks_metadata_shows_every_kit_field_with_the_kits_type(onec: MockOneC) -> None:
    r = requests.get(onec.odata_url + "/$metadata", auth=onec.auth, timeout=30)
    root = etree.fromstring(r.content)
    published: dict[str, dict[str, str]] = {}
    for el in root.iter(f"{{{EDM}}}EntityType", f"{{{EDM}}}ComplexType"):
        owner = el.get("Name", "").removesuffix("_RowType")
        published[owner] = {p.get("Name", ""): p.get("Type", "") for p in el.iter(f"{{{EDM}}}Property")}
    kit = dump.odata_fields(dump.kit_objects())
    compared = 0
    for owner, props in published.items():
        for name, edm in props.items():
            if not name.startswith("ТТ_") or name.endswith("_Type"):
                continue
            compared += 1
            types = kit.get(owner, {}).get(name)
            assert types is not None, f"the mock publishes {owner}.{name}, the kit lacks it"
            if len(types) > 1 or types[0].startswith("cfg:"):
                assert f"{name}_Type" in props and edm == "Edm.String", (
                    f"{owner}.{name} is a composite reference"
                )
            else:
                assert edm == _EDM_OF[types[0]], f"{owner}.{name}: mock {edm}, kit {types[0]}"
    for owner, attrs in kit.items():
        for name in attrs:
            if name.startswith("ТТ_") and owner in published:
                assert name in published[owner], f"the kit defines {owner}.{name}, the mock lacks it"
    assert compared >= 8


# ---- the labour web service ---------------------------------------------------------------------------


def _wsdl_types(doc: etree._Element) -> dict[str, list[tuple[str, str, int, str, bool]]]:
    """complexType name → [(element, type local name, minOccurs, maxOccurs, nillable)]."""
    out = {}
    for ct in doc.iter(f"{{{XS}}}complexType"):
        name = ct.get("Name") or ct.get("name")
        if not name:
            continue
        out[name] = [
            (
                e.get("name", ""),
                e.get("type", "").split(":")[-1],
                int(e.get("minOccurs", "1")),
                e.get("maxOccurs", "1"),
                e.get("nillable") == "true",
            )
            for e in ct.iter(f"{{{XS}}}element")
        ]
    return out


def _wsdl_elements(doc: etree._Element) -> dict[str, list[tuple[str, str, int, str, bool]]]:
    out = {}
    schema = doc.find(f".//{{{XS}}}schema")
    assert schema is not None
    for el in schema.findall(f"{{{XS}}}element"):
        out[el.get("name", "")] = [
            (
                e.get("name", ""),
                e.get("type", "").split(":")[-1],
                int(e.get("minOccurs", "1")),
                e.get("maxOccurs", "1"),
                e.get("nillable") == "true",
            )
            for e in el.iter(f"{{{XS}}}element")
            if e is not el
        ]
    return out


def _kit_xdto() -> tuple[str, dict[str, list[tuple[str, str, int, str, bool]]]]:
    package = dump.parse_xml(EXTENSION / "XDTOPackages" / "ТТ_ТрудозатратыТрекера" / "Ext" / "Package.bin")
    ns = "http://v8.1c.ru/8.1/xdto"
    types = {}
    for ot in package.iterfind(f"{{{ns}}}objectType"):
        types[ot.get("name", "")] = [
            (
                p.get("name", ""),
                p.get("type", "").split(":")[-1],
                int(p.get("lowerBound", "1")),
                "unbounded" if p.get("upperBound") == "-1" else "1",
                p.get("nillable") == "true",
            )
            for p in ot.iterfind(f"{{{ns}}}property")
        ]
    return package.get("targetNamespace", ""), types


def _kit_operations() -> tuple[str, str, dict[str, tuple[list[tuple[str, str, int, str, bool]], str]]]:
    service = dump.kit_objects()[("WebService", "TimeTracking")]
    ops = {}
    for op in service.root.iterfind(".//md:Operation", NS):
        params = [
            (
                p.findtext("md:Properties/md:Name", namespaces=NS) or "",
                (p.findtext("md:Properties/md:XDTOValueType", namespaces=NS) or "").split(":")[-1],
                1,
                "1",
                p.findtext("md:Properties/md:Nillable", namespaces=NS) == "true",
            )
            for p in op.iterfind(".//md:Parameter", NS)
        ]
        ret = (op.findtext("md:Properties/md:XDTOReturningValueType", namespaces=NS) or "").split(":")[-1]
        ops[op.findtext("md:Properties/md:Name", namespaces=NS) or ""] = (params, ret)
    return service.text("Namespace"), service.text("DescriptorFileName"), ops


def test_the_kits_web_service_is_the_mocks_wsdl(onec: MockOneC) -> None:
    r = requests.get(onec.base_url + "/ws/TimeTracking.1cws?wsdl", auth=onec.auth, timeout=30)
    assert r.status_code == 200
    wsdl = etree.fromstring(r.content)
    namespace, descriptor, operations = _kit_operations()
    package_ns, kit_types = _kit_xdto()
    assert wsdl.get("targetNamespace") == namespace == package_ns
    assert r.url.split("?")[0].endswith("/ws/" + descriptor)
    assert wsdl.get("name") == "TimeTracking"
    types = _wsdl_types(wsdl)
    assert {k: v for k, v in types.items() if k in kit_types} == kit_types
    assert set(kit_types) == {k for k in types if k}
    elements = _wsdl_elements(wsdl)
    port_ops = {
        op.get("name") for op in wsdl.iterfind(".//{http://schemas.xmlsoap.org/wsdl/}portType/{*}operation")
    }
    assert port_ops == set(operations)
    for op, (params, ret) in operations.items():
        wsdl_params = [(n, t, lo, hi, nil) for n, t, lo, hi, nil in elements[op]]
        # 1C writes an optional nillable parameter as minOccurs=0 nillable=true; a required one as 1/false.
        assert [(n, t, nil) for n, t, _, _, nil in wsdl_params] == [
            (n, t, nil) for n, t, _, _, nil in params
        ], op
        assert elements[op + "Response"] == [("return", ret, 1, "1", False)], op


def test_a_mismatch_in_the_web_service_would_be_seen(onec: MockOneC) -> None:
    _, kit_types = _kit_xdto()
    wsdl = etree.fromstring(
        requests.get(onec.base_url + "/ws/TimeTracking.1cws?wsdl", auth=onec.auth).content
    )
    types = _wsdl_types(wsdl)
    renamed = {
        k: [(("Minute" if n == "Minutes" else n), *rest) for n, *rest in v] for k, v in kit_types.items()
    }
    assert {k: v for k, v in types.items() if k in renamed} != renamed


def test_the_kits_closed_period_messages_are_recognised_by_the_connector() -> None:
    text = dump.module_path(EXTENSION, "ТТ_Трудозатраты").read_text("utf-8-sig")
    messages = [m for m in re.findall(r"НСтр\(\"ru = '([^']*)'\"\)", text) if "запрета" in m]
    assert len(messages) >= 2  # the Rejected row and the refused document write
    for message in messages:
        assert any(marker in message.lower() for marker in CLOSED_MARKERS), message


# ---- webhooks ---------------------------------------------------------------------------------------


def _bsl_body_properties() -> list[str]:
    node = dump.function_node(dump.module_path(EXTENSION, "ТТ_Уведомления"), "ТелоУведомления")
    return [s for s in dump.string_literals(node) if re.fullmatch(r"[A-Za-z_]+", s) and s != "write"]


def _expected_bodies() -> list[str]:
    """The exact bodies the kit's own YAxUnit tests expect ТелоУведомления to build."""
    path = dump.module_path(TESTS, "ОМ_ТТ_Уведомления")
    return [
        _json_literal(dump.string_literals(dump.function_node(path, name)))
        for name in ("ТелоУведомленияДокумента", "ТелоУведомленияСправочникаБезНомераИДаты")
    ]


def _json_literal(literals: list[str]) -> str:
    """The concatenated literals from the one opening ``{`` to the one closing ``}``."""
    start = next(i for i, s in enumerate(literals) if s.startswith("{"))
    end = next(i for i in range(start, len(literals)) if literals[i].endswith("}"))
    return "".join(literals[start : end + 1])


def test_the_body_the_kit_builds_has_the_fields_the_connector_reads() -> None:
    assert _bsl_body_properties() == ["type", "Ref_Key", "DataVersion", "Number", "Date", "event"]
    document, catalog = _expected_bodies()
    for body in (document, catalog):
        data = json.loads(body)
        # compact UTF-8 JSON, Cyrillic as is: byte for byte what Python writes for the same object
        assert body == json.dumps(data, ensure_ascii=False, separators=(",", ":"))
        type_, ref, version, hint = parse_event(
            body.encode(), ["Document_CRM_Интерес", "Catalog_ЗадачиПроектов"]
        )
        assert (type_, ref, version) == (data["type"], data["Ref_Key"], data["DataVersion"])
    assert list(json.loads(document)) == _bsl_body_properties()
    assert "Number" not in json.loads(catalog)


def _vectors() -> list[tuple[str, str, str]]:
    """(key hex, data hex, expected hex) of each RFC 4231 case in the kit's YAxUnit module."""
    path = dump.module_path(TESTS, "ОМ_ТТ_Подпись")
    vectors = []
    for name, method in dump.methods(path).items():
        if not name.startswith("rfc4231"):
            continue
        node = dump.function_node(path, method.name)
        literals = dump.string_literals(node)
        if "ДлинныйКлюч()" in (node.text or b"").decode("utf-8"):
            key, data = "aa" * 131, "".join(literals[:-1])  # the module's ДлинныйКлюч(): 131 bytes 0xaa
        else:
            key, data = literals[0], "".join(literals[1:-1])
        vectors.append((key, data, literals[-1]))
    return vectors


def test_the_kits_hmac_test_vectors_are_rfc_4231() -> None:
    vectors = _vectors()
    assert len(vectors) == 6
    long_key = (
        dump.function_node(dump.module_path(TESTS, "ОМ_ТТ_Подпись"), "ДлинныйКлюч").text or b""
    ).decode()
    assert "Для Номер = 1 По 131 Цикл" in long_key and 'Части.Добавить("aa")' in long_key
    for key, data, expected in vectors:
        assert hmac.new(bytes.fromhex(key), bytes.fromhex(data), hashlib.sha256).hexdigest() == expected
    published = {v[2] for v in vectors}
    assert "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7" in published  # RFC 4231 4.2
    assert "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843" in published  # RFC 4231 4.3


def test_the_signed_body_of_the_kit_is_accepted_by_a_running_connector(tmp_path: Path) -> None:
    path = dump.module_path(TESTS, "ОМ_ТТ_Подпись")
    literals = dump.string_literals(dump.function_node(path, "ЗаголовокПодписиТелаУведомления"))
    body = _json_literal(literals).encode("utf-8")
    secret, signature = literals[-2], literals[-1]
    assert body.decode() == _expected_bodies()[0]
    assert signature == "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    runtime = make_runtime(f"sqlite:///{tmp_path / 'store.db'}", webhook_secret=secret)
    with serve_runtime(runtime) as app:
        headers = {"Content-Type": "application/json; charset=utf-8", "X-Onec-Signature": signature}
        first = requests.post(app.url + "/webhooks/1c", data=body, headers=headers, timeout=30)
        again = requests.post(app.url + "/webhooks/1c", data=body, headers=headers, timeout=30)
        tampered = requests.post(app.url + "/webhooks/1c", data=body.replace(b"512", b"513"), headers=headers)
    assert (first.status_code, first.json()["status"]) == (202, "accepted")
    assert (again.status_code, again.json()["status"]) == (202, "duplicate")
    assert tampered.status_code == 401


# ---- what the kit publishes and registers ------------------------------------------------------------


def _sets_read() -> set[str]:
    """Entity sets the connector's code or the mappings name (the OData content it needs)."""
    found: set[str] = set()
    for path in sorted((REPO_ROOT / "connector").rglob("*.py")) + sorted(MAPPINGS.glob("*.yaml")):
        found |= set(SET.findall(path.read_text("utf-8")))
    for m in _mappings():
        if m.source is not None:
            found.add(m.source.entity_set)
    return {s for s in found if not s.endswith("_")}


def _odata_content() -> list[str]:
    node = dump.function_node(dump.module_path(EXTENSION, "ТТ_ИнтеграцияСТрекером"), "ОбъектыOData")
    return dump.string_literals(node)


def test_the_kit_publishes_in_odata_every_set_the_connector_reads() -> None:
    content = {name.replace(".", "_", 1) for name in _odata_content()}
    needed = _sets_read()
    assert {"Document_CRM_Интерес", "Catalog_Пользователи", "Document_УчетВремени"} <= needed
    assert needed - content == set()
    objs = dump.kit_objects()
    for name in _odata_content():
        kind, obj = name.split(".", 1)
        assert (kind, obj) in objs, f"{name} is published but not in the extension"


def test_the_role_grants_exactly_reading_what_is_published_and_writing_what_the_connector_writes() -> None:
    rights = dump.parse_xml(EXTENSION / "Roles" / "ТТ_ИнтеграцияСТрекером" / "Ext" / "Rights.xml")
    ns = {"r": "http://v8.1c.ru/8.2/roles"}
    granted = {
        o.findtext("r:name", namespaces=ns): {
            r.findtext("r:name", namespaces=ns)
            for r in o.iterfind("r:right", ns)
            if r.findtext("r:value", namespaces=ns) == "true"
        }
        for o in rights.iterfind("r:object", ns)
    }
    assert rights.findtext("r:setForNewObjects", namespaces=ns) == "false"
    for name in _odata_content():
        assert "Read" in granted.get(name, set()), f"the integration user cannot read {name}"
    assert {"Insert", "Update", "Posting", "UndoPosting"} <= granted["Document.УчетВремени"]
    assert "Delete" not in granted["Document.УчетВремени"]  # the connector empties and unposts, never deletes
    for written in ("Document.CRM_Интерес", "Catalog.ЗадачиПроектов"):
        assert "Update" in granted[written] and "Insert" not in granted[written]
    assert granted["WebService.TimeTracking.Operation.PutLabour"] == {"Use"}
    assert not any(name.startswith("Configuration.") for name in granted), "no interactive or admin rights"
    objs = dump.kit_objects()
    for name in granted:
        kind, obj = name.split(".")[:2]
        assert (kind, obj) in objs, f"the role names {name}, which the extension does not hold"


def test_the_exchange_plan_registers_every_set_the_change_feed_reads() -> None:
    content = dump.parse_xml(EXTENSION / "ExchangePlans" / "ТТ_ОбменСТрекером" / "Ext" / "Content.xml")
    ns = {"c": "http://v8.1c.ru/8.3/xcf/extrnprops"}
    items = {
        i.findtext("c:Metadata", namespaces=ns): i.findtext("c:AutoRecord", namespaces=ns) for i in content
    }
    needed = set()
    for m in _mappings():
        if m.source is None or not any(d.kind == "exchange_plan" for d in m.source.change_detection):
            continue
        needed.add(m.source.entity_set)
        if m.task.parent is not None:
            needed.add(m.task.parent.entity_set)
    assert needed
    for entity_set in needed:
        kind, name = entity_set.split("_", 1)
        assert items.get(f"{kind}.{name}") == "Allow", f"{entity_set} changes would not reach the node"
    subscription = dump.kit_objects()[("EventSubscription", "ТТ_ЗарегистрироватьИзменение")]
    sources = {t.text for t in subscription.root.iterfind(".//md:Source/v8:Type", NS)}
    assert sources == {f"cfg:{k}Object.{n}" for k, n in (s.split(".") for s in items)}


def test_every_type_the_kits_subscription_sends_is_accepted_by_the_connector(tmp_path: Path) -> None:
    """A type /webhooks/1c does not know is a 400: the kit's queue row would stop for good."""
    from connector.api.webhooks import known_types

    subscription = dump.kit_objects()[("EventSubscription", "ТТ_ЗарегистрироватьИзменение")]
    sent = {
        f"{t.split(':')[1].split('.')[0].removesuffix('Object')}_{t.split('.')[1]}"
        for t in (el.text or "" for el in subscription.root.iterfind(".//md:Source/v8:Type", NS))
    }
    assert sent == {"Document_CRM_Интерес", "Catalog_Проекты", "Catalog_ЗадачиПроектов"}
    runtime = make_runtime(f"sqlite:///{tmp_path / 'store.db'}", migrate=False)
    try:
        assert sent <= set(known_types(runtime))
    finally:
        runtime.close()
