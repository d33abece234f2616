"""Parsing 1C's ``$metadata`` (EDMX, OData v3) into entity sets and their properties.

Used to validate mappings before a run: a field that does not exist is reported by name
instead of failing later as a 1C error in the middle of a sync.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree

from connector.onec.errors import Fatal

EDM_NS = "http://schemas.microsoft.com/ado/2009/11/edm"
EDMX_NS = "http://schemas.microsoft.com/ado/2007/06/edmx"


@dataclass(frozen=True)
class EntitySetInfo:
    """An entity set: property name → EDM type (``Edm.String``, ``Collection(…RowType)``), and
    navigation property names."""

    name: str
    entity_type: str
    properties: dict[str, str] = field(default_factory=dict)
    navigation: frozenset[str] = frozenset()
    keys: tuple[str, ...] = ()
    rows: dict[str, dict[str, str]] = field(default_factory=dict)  # tabular section → its row properties

    def has_field(self, name: str) -> bool:
        return name in self.properties or name in self.navigation


def parse_metadata(xml: bytes) -> dict[str, EntitySetInfo]:
    """Entity sets of the default container, by name. ``Fatal`` if the XML is not EDMX."""
    try:
        root = etree.fromstring(xml, parser=etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError as exc:
        raise Fatal(f"1C $metadata is not valid XML: {exc}") from None
    if etree.QName(root).localname != "Edmx":
        raise Fatal("1C $metadata is not an EDMX document (is the URL the OData publication?)")
    types: dict[str, tuple[dict[str, str], frozenset[str], tuple[str, ...]]] = {}
    complex_types: dict[str, dict[str, str]] = {}
    containers = []
    for schema in root.iter(f"{{{EDM_NS}}}Schema"):
        namespace = schema.get("Namespace", "")
        for ct in schema.findall(f"{{{EDM_NS}}}ComplexType"):
            props = {p.get("Name", ""): p.get("Type", "") for p in ct.findall(f"{{{EDM_NS}}}Property")}
            complex_types[f"{namespace}.{ct.get('Name', '')}"] = props
        for et in schema.findall(f"{{{EDM_NS}}}EntityType"):
            props = {p.get("Name", ""): p.get("Type", "") for p in et.findall(f"{{{EDM_NS}}}Property")}
            navs = frozenset(n.get("Name", "") for n in et.findall(f"{{{EDM_NS}}}NavigationProperty"))
            keys = tuple(k.get("Name", "") for k in et.findall(f"{{{EDM_NS}}}Key/{{{EDM_NS}}}PropertyRef"))
            name = et.get("Name", "")
            types[f"{namespace}.{name}"] = (props, navs, keys)
            types[name] = (props, navs, keys)
        containers.extend(schema.findall(f"{{{EDM_NS}}}EntityContainer"))
    result: dict[str, EntitySetInfo] = {}
    for container in containers:
        for es in container.findall(f"{{{EDM_NS}}}EntitySet"):
            type_name = es.get("EntityType", "")
            props, navs, keys = types.get(type_name, ({}, frozenset(), ()))
            name = es.get("Name", "")
            rows = {
                prop: complex_types.get(kind[len("Collection(") : -1], {})
                for prop, kind in props.items()
                if kind.startswith("Collection(")
            }
            result[name] = EntitySetInfo(name, type_name, props, navs, keys, rows)
    return result
