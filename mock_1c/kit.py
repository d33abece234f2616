"""Which pieces of the 1C-side kit (the ТТ_ТрекерВремени extension) the mock base has.

A real customer base starts without the extension, or with parts of it missing (not loaded, not
published in the OData content, the web service not published). ``mock-1c serve --without …``
makes the mock such a base, so that ``onec-bridge doctor`` can be shown finding each piece:

* ``extension`` — none of it: no ``ТТ_`` field anywhere, no closing-date constant, no exchange
  plan, no labour register, no web service;
* ``closing-date`` — ``Constant_ТТ_ДатаЗапретаИзменения`` is not published;
* ``exchange-plan`` — ``ExchangePlan_ТТ_ОбменСТрекером`` is not published;
* ``web-service`` — ``/ws/TimeTracking.1cws`` is not published (the web server answers 404);
* ``field:<Set>.<Field>`` or ``field:<Set>.<Table>.<Field>`` — one field is absent.

An absent set answers as 1C does for a set outside the OData content (code 8, 404); an absent field
is missing from ``$metadata`` and from every entity, and naming it in ``$select``/``$filter``/
``$orderby`` or a write is 1C's "property not found" (code 10).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from lxml import etree

from mock_1c.schema import CLOSING_DATE, ENTITY_SETS, EXCHANGE_PLAN, LABOUR_REGISTER

EDM = "http://schemas.microsoft.com/ado/2009/11/edm"
PIECES = ("extension", "closing-date", "exchange-plan", "web-service", "field:<Set>.<Field>")
_SETS = {"closing-date": CLOSING_DATE, "exchange-plan": EXCHANGE_PLAN}


@dataclass(frozen=True)
class KitPieces:
    hidden_sets: frozenset[str] = frozenset()
    hidden_fields: frozenset[tuple[str, str]] = frozenset()  # (set or <set>_<table>, field)
    all_tt_fields: bool = False
    web_service: bool = True

    @property
    def complete(self) -> bool:
        return not (self.hidden_sets or self.hidden_fields or self.all_tt_fields) and self.web_service

    @classmethod
    def parse(cls, items: tuple[str, ...] | list[str]) -> KitPieces:
        """From the ``--without`` values; ``ValueError`` naming the bad item and what is allowed."""
        sets: set[str] = set()
        fields: set[tuple[str, str]] = set()
        all_tt = False
        web_service = True
        for raw in items:
            item = raw.strip()
            if not item:
                continue
            if item == "extension":
                all_tt, web_service = True, False
                sets |= {CLOSING_DATE, EXCHANGE_PLAN, LABOUR_REGISTER}
            elif item in _SETS:
                sets.add(_SETS[item])
            elif item == "web-service":
                web_service = False
            elif item.startswith("field:"):
                fields.add(_field(item))
            else:
                raise ValueError(f"--without {item!r}: expected one of {', '.join(PIECES)}")
        return cls(frozenset(sets), frozenset(fields), all_tt, web_service)

    def set_hidden(self, name: str) -> bool:
        return name in self.hidden_sets

    def field_hidden(self, owner: str, name: str) -> bool:
        base = re.sub(r"_(Key|Type)$", "", name)
        if self.all_tt_fields and base.startswith("ТТ_"):
            return True
        return (owner, base) in self.hidden_fields

    def strip(self, set_name: str, entity: dict[str, Any]) -> dict[str, Any]:
        """The entity as the base without those fields returns it (tabular rows included)."""
        if self.complete:
            return entity
        out: dict[str, Any] = {}
        for key, value in entity.items():
            if self.field_hidden(set_name, key):
                continue
            es = ENTITY_SETS.get(set_name)
            if isinstance(value, list) and es is not None and key in es.tables:
                owner = f"{set_name}_{key}"
                value = [_without(row, lambda k, o=owner: self.field_hidden(o, k)) for row in value]
            out[key] = value
        return out

    def metadata(self, document: bytes) -> bytes:
        """``$metadata`` without the absent sets and fields."""
        if self.complete:
            return document
        root = etree.fromstring(document)
        for el in list(root.iter(f"{{{EDM}}}EntityType", f"{{{EDM}}}ComplexType", f"{{{EDM}}}EntitySet")):
            name = el.get("Name", "")
            owner = name.removesuffix("_RowType")
            if el.tag == f"{{{EDM}}}EntitySet" or el.tag == f"{{{EDM}}}EntityType":
                parent = el.getparent()
                if self.set_hidden(name) and parent is not None:
                    parent.remove(el)
                    continue
            for prop in [*el.iterfind(f"{{{EDM}}}Property"), *el.iterfind(f"{{{EDM}}}NavigationProperty")]:
                if self.field_hidden(owner, prop.get("Name", "")):
                    el.remove(prop)
        for assoc in list(root.iter(f"{{{EDM}}}Association", f"{{{EDM}}}AssociationSet")):
            name = assoc.get("Name", "")
            owners = [s for s in ENTITY_SETS if name.startswith(s + "_")]
            if any(self.set_hidden(s) or self.field_hidden(s, name[len(s) + 1 :]) for s in owners):
                parent = assoc.getparent()
                if parent is not None:
                    parent.remove(assoc)
        for fn in list(root.iter(f"{{{EDM}}}FunctionImport")):
            bound = fn.find(f"{{{EDM}}}Parameter[@Name='bindingParameter']")
            target = "" if bound is None else bound.get("Type", "").removeprefix("StandardODATA.")
            parent = fn.getparent()
            if self.set_hidden(target) and parent is not None:
                parent.remove(fn)
        return etree.tostring(root, xml_declaration=True, encoding="utf-8")

    def named_hidden(self, set_name: str, text: str) -> str | None:
        """The first absent field that ``text`` ($select/$filter/$orderby) names, if any."""
        for word in re.findall(r"[\wА-Яа-яЁё]+", text):
            if self.field_hidden(set_name, word):
                return word
        return None


def _without(row: Any, hidden: Any) -> Any:
    return {k: v for k, v in row.items() if not hidden(k)} if isinstance(row, dict) else row


def _field(item: str) -> tuple[str, str]:
    path = item.removeprefix("field:").split(".")
    if len(path) not in (2, 3) or path[0] not in ENTITY_SETS:
        raise ValueError(
            f"--without {item!r}: expected field:<EntitySet>.<Field> or field:<EntitySet>.<Table>.<Field>"
        )
    es = ENTITY_SETS[path[0]]
    if len(path) == 3:
        table = es.tables.get(path[1])
        if table is None or path[2] not in {f.name for f in table}:
            raise ValueError(f"--without {item!r}: {path[0]} has no tabular field {path[1]}.{path[2]}")
        return f"{path[0]}_{path[1]}", path[2]
    if path[1] not in {f.name for f in es.all_fields()}:
        raise ValueError(f"--without {item!r}: {path[0]} has no field {path[1]}")
    return path[0], path[1]
