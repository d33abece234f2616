"""Response bodies in 1C's two representations: JSON (asked for) and Atom XML (the default).

Format negotiation follows 1C: ``$format=json`` / ``application/json[;odata=nometadata]`` or an
``Accept: application/json`` header select JSON; ``$format=atom``/``xml`` or nothing select Atom.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from lxml import etree
from starlette.responses import Response

from mock_1c.errors import OneCError
from mock_1c.schema import EDM_TYPES, ENTITY_SETS

ATOM = "http://www.w3.org/2005/Atom"
D = "http://schemas.microsoft.com/ado/2007/08/dataservices"
M = "http://schemas.microsoft.com/ado/2007/08/dataservices/metadata"
APP = "http://www.w3.org/2007/app"
JSON_TYPE = "application/json;charset=utf-8"
_FORMATS = {
    "json": "json",
    "application/json": "json",
    "application/json;odata=nometadata": "nometadata",
    "application/json;odata=minimalmetadata": "json",
    "application/json;odata=fullmetadata": "json",
    "atom": "atom",
    "xml": "atom",
    "application/atom+xml": "atom",
    "application/xml": "atom",
}


def negotiate(format_option: str | None, accept: str) -> str:
    """ "json", "nometadata" or "atom" (unknown $format → error 3)."""
    if format_option is not None:
        fmt = _FORMATS.get(format_option.replace(" ", "").lower())
        if fmt is None:
            raise OneCError("3", f"Представление «{format_option}» не поддерживается.")
        return fmt
    accept = accept.replace(" ", "").lower()
    if "application/json" in accept:
        return "nometadata" if "odata=nometadata" in accept else "json"
    return "atom"


def json_response(body: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None) -> Response:
    data = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return Response(data, status_code=status, media_type=JSON_TYPE, headers=headers)


def error_response(err: OneCError, fmt: str) -> Response:
    if fmt == "atom":
        root = etree.Element(f"{{{M}}}error", nsmap={"m": M})
        etree.SubElement(root, f"{{{M}}}code").text = err.code
        msg = etree.SubElement(root, f"{{{M}}}message")
        msg.set("{http://www.w3.org/XML/1998/namespace}lang", "ru")
        msg.text = err.message
        return Response(
            etree.tostring(root, xml_declaration=True, encoding="utf-8"),
            status_code=err.status,
            media_type="application/xml;charset=utf-8",
        )
    body = {"odata.error": {"code": err.code, "message": {"lang": "ru", "value": err.message}}}
    return json_response(body, err.status)


def _prop_type(set_name: str, name: str, value: Any) -> str:
    es = ENTITY_SETS.get(set_name)
    f = es.json_properties().get(name) if es else None
    if f is None:
        return "Edm.String"
    return "Edm.String" if name.endswith("_Type") else EDM_TYPES[f.kind]


def _properties(parent: etree._Element, set_name: str, entity: dict[str, Any]) -> None:
    for name, value in entity.items():
        if "@" in name:
            continue
        el = etree.SubElement(parent, f"{{{D}}}{name}")
        if isinstance(value, list):
            el.set(f"{{{M}}}type", f"Collection(StandardODATA.{set_name}_{name}_RowType)")
            for row in value:
                item = etree.SubElement(el, f"{{{D}}}element")
                _properties(item, "", row)
        elif isinstance(value, dict):
            _properties(el, "", value)
        elif value is None:
            el.set(f"{{{M}}}null", "true")
        else:
            edm = _prop_type(set_name, name, value)
            if edm != "Edm.String":
                el.set(f"{{{M}}}type", edm)
            el.text = ("true" if value else "false") if isinstance(value, bool) else str(value)


def _entry(base: str, set_name: str, entity: dict[str, Any], parent: etree._Element | None) -> etree._Element:
    tag = f"{{{ATOM}}}entry"
    entry = etree.SubElement(parent, tag) if parent is not None else etree.Element(tag, nsmap=_NSMAP)
    ref = entity.get("Ref_Key")
    ident = f"{base}{set_name}(guid'{ref}')" if ref else f"{base}{set_name}"
    etree.SubElement(entry, f"{{{ATOM}}}id").text = ident
    cat = etree.SubElement(entry, f"{{{ATOM}}}category")
    cat.set("term", f"StandardODATA.{set_name}")
    cat.set("scheme", "http://schemas.microsoft.com/ado/2007/08/dataservices/scheme")
    etree.SubElement(entry, f"{{{ATOM}}}title").set("type", "text")
    etree.SubElement(entry, f"{{{ATOM}}}updated").text = "0001-01-01T00:00:00Z"
    content = etree.SubElement(entry, f"{{{ATOM}}}content")
    content.set("type", "application/xml")
    _properties(etree.SubElement(content, f"{{{M}}}properties"), set_name, entity)
    return entry


_NSMAP = {None: ATOM, "d": D, "m": M}


def atom_feed(base: str, set_name: str, entities: Iterable[dict[str, Any]], count: int | None) -> Response:
    feed = etree.Element(f"{{{ATOM}}}feed", nsmap=_NSMAP)
    feed.set("{http://www.w3.org/XML/1998/namespace}base", base)
    etree.SubElement(feed, f"{{{ATOM}}}id").text = f"{base}{set_name}"
    etree.SubElement(feed, f"{{{ATOM}}}title").text = set_name
    etree.SubElement(feed, f"{{{ATOM}}}updated").text = "0001-01-01T00:00:00Z"
    if count is not None:
        etree.SubElement(feed, f"{{{M}}}count").text = str(count)
    for e in entities:
        _entry(base, set_name, e, feed)
    return _xml(feed, "application/atom+xml;type=feed;charset=utf-8")


def atom_entry(
    base: str, set_name: str, entity: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    return _xml(
        _entry(base, set_name, entity, None), "application/atom+xml;type=entry;charset=utf-8", status, headers
    )


def _xml(
    root: etree._Element, media: str, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    data = etree.tostring(root, xml_declaration=True, encoding="utf-8")
    return Response(data, status_code=status, media_type=media, headers=headers)
