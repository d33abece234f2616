"""``$metadata`` (EDMX, XML only) and the AtomPub service document, built from mock_1c.schema."""

from __future__ import annotations

from functools import lru_cache

from lxml import etree

from mock_1c.schema import EDM_TYPES, ENTITY_SETS, EntitySet

EDMX = "http://schemas.microsoft.com/ado/2007/06/edmx"
EDM = "http://schemas.microsoft.com/ado/2009/11/edm"
M = "http://schemas.microsoft.com/ado/2007/08/dataservices/metadata"
APP = "http://www.w3.org/2007/app"
ATOM = "http://www.w3.org/2005/Atom"


def _property(parent: etree._Element, name: str, edm: str, nullable: bool = True) -> None:
    el = etree.SubElement(parent, f"{{{EDM}}}Property", Name=name, Type=edm)
    el.set("Nullable", "true" if nullable else "false")


def _entity_type(schema: etree._Element, es: EntitySet) -> None:
    et = etree.SubElement(schema, f"{{{EDM}}}EntityType", Name=es.name)
    key = etree.SubElement(et, f"{{{EDM}}}Key")
    for k in es.key_fields or ("Value",):
        etree.SubElement(key, f"{{{EDM}}}PropertyRef", Name=k)
    for f in es.all_fields():
        for n in f.json_names:
            _property(
                et, n, "Edm.String" if n.endswith("_Type") else EDM_TYPES[f.kind], n not in es.key_fields
            )
    for table in es.tables:
        _property(et, table, f"Collection(StandardODATA.{es.name}_{table}_RowType)", False)
    for f in es.ref_fields():
        etree.SubElement(
            et,
            f"{{{EDM}}}NavigationProperty",
            Name=f.name,
            Relationship=f"StandardODATA.{es.name}_{f.name}",
            FromRole=es.name,
            ToRole=f"{f.name}",
        )


def _row_type(schema: etree._Element, es: EntitySet, table: str) -> None:
    ct = etree.SubElement(schema, f"{{{EDM}}}ComplexType", Name=f"{es.name}_{table}_RowType")
    _property(ct, "Ref_Key", "Edm.Guid", False)
    _property(ct, "LineNumber", "Edm.Int64", False)
    for f in es.tables[table]:
        for n in f.json_names:
            _property(ct, n, "Edm.String" if n.endswith("_Type") else EDM_TYPES[f.kind])


@lru_cache(maxsize=1)
def metadata_document() -> bytes:
    """The EDMX of every published set; cached, it depends on the schema only."""
    root = etree.Element(f"{{{EDMX}}}Edmx", nsmap={"edmx": EDMX}, Version="1.0")
    ds = etree.SubElement(root, f"{{{EDMX}}}DataServices", nsmap={"m": M})
    ds.set(f"{{{M}}}DataServiceVersion", "3.0")
    schema = etree.SubElement(ds, f"{{{EDM}}}Schema", nsmap={None: EDM}, Namespace="StandardODATA")
    for es in ENTITY_SETS.values():
        _entity_type(schema, es)
        for table in es.tables:
            _row_type(schema, es, table)
    for es in ENTITY_SETS.values():
        for f in es.ref_fields():
            assoc = etree.SubElement(schema, f"{{{EDM}}}Association", Name=f"{es.name}_{f.name}")
            etree.SubElement(
                assoc, f"{{{EDM}}}End", Role=es.name, Type=f"StandardODATA.{es.name}", Multiplicity="*"
            )
            etree.SubElement(
                assoc, f"{{{EDM}}}End", Role=f.name, Type=f"StandardODATA.{f.target}", Multiplicity="0..1"
            )
    container = etree.SubElement(schema, f"{{{EDM}}}EntityContainer", Name="EnterpriseV8")
    container.set(f"{{{M}}}IsDefaultEntityContainer", "true")
    for es in ENTITY_SETS.values():
        etree.SubElement(
            container, f"{{{EDM}}}EntitySet", Name=es.name, EntityType=f"StandardODATA.{es.name}"
        )
    for es in ENTITY_SETS.values():
        for f in es.ref_fields():
            aset = etree.SubElement(
                container,
                f"{{{EDM}}}AssociationSet",
                Name=f"{es.name}_{f.name}",
                Association=f"StandardODATA.{es.name}_{f.name}",
            )
            etree.SubElement(aset, f"{{{EDM}}}End", Role=es.name, EntitySet=es.name)
            etree.SubElement(aset, f"{{{EDM}}}End", Role=f.name, EntitySet=f.target)
    for op in ("Post", "Unpost"):
        for es in ENTITY_SETS.values():
            if es.kind != "Document":
                continue
            fi = etree.SubElement(container, f"{{{EDM}}}FunctionImport", Name=op, IsBindable="true")
            fi.set(f"{{{M}}}HttpMethod", "POST")
            etree.SubElement(
                fi, f"{{{EDM}}}Parameter", Name="bindingParameter", Type=f"StandardODATA.{es.name}"
            )
            if op == "Post":
                etree.SubElement(fi, f"{{{EDM}}}Parameter", Name="PostingModeOperational", Type="Edm.Boolean")
    for op in ("SelectChanges", "NotifyChangesReceived"):
        fi = etree.SubElement(container, f"{{{EDM}}}FunctionImport", Name=op, IsBindable="true")
        fi.set(f"{{{M}}}HttpMethod", "POST")
        etree.SubElement(
            fi,
            f"{{{EDM}}}Parameter",
            Name="bindingParameter",
            Type="StandardODATA.ExchangePlan_ТТ_ОбменСТрекером",
        )
        etree.SubElement(fi, f"{{{EDM}}}Parameter", Name="MessageNo", Type="Edm.Int64")
    return etree.tostring(root, xml_declaration=True, encoding="utf-8")


def service_document(base: str) -> bytes:
    """AtomPub ``<service>`` with one ``<collection>`` per entity set."""
    root = etree.Element(f"{{{APP}}}service", nsmap={None: APP, "atom": ATOM})
    root.set("{http://www.w3.org/XML/1998/namespace}base", base)
    ws = etree.SubElement(root, f"{{{APP}}}workspace")
    etree.SubElement(ws, f"{{{ATOM}}}title").text = "Default"
    for name in ENTITY_SETS:
        coll = etree.SubElement(ws, f"{{{APP}}}collection", href=name)
        etree.SubElement(coll, f"{{{ATOM}}}title").text = name
    return etree.tostring(root, xml_declaration=True, encoding="utf-8")
