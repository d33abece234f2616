"""Entity sets as the live 1C base publishes them (``$metadata``), for ``validate --online``.

Kept apart from the offline checks so the source of metadata can change without touching them.
The caller reads ``$metadata`` (the CLI, through the 1C client) and passes it in: the mapping
layer talks to no system itself.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Protocol

from connector.mapping.crm_model import BUILTIN, EntitySet, FieldKind


class PublishedSet(Protocol):
    """One entity set of ``$metadata``: its properties (name → EDM type) and navigation names."""

    @property
    def properties(self) -> Mapping[str, str]: ...

    @property
    def navigation(self) -> Collection[str]: ...


def entity_sets(published: Mapping[str, PublishedSet]) -> dict[str, EntitySet]:
    """Describe every published entity set for the mapping checks.

    Tabular sections are properties typed ``Collection(...)``; their row columns are taken from
    the built-in model where it knows the section (an empty set means "columns unknown").
    """
    result: dict[str, EntitySet] = {}
    for name, info in published.items():
        known = BUILTIN.get(name)
        tabular = {
            prop: (known.tabular.get(prop, frozenset()) if known else frozenset())
            for prop, edm_type in info.properties.items()
            if edm_type.startswith("Collection(")
        }
        fields = frozenset(p for p in info.properties if p not in tabular)
        navigation = {nav: (known.navigation.get(nav, "") if known else "") for nav in info.navigation}
        kinds: dict[str, FieldKind] = {}
        for prop, edm_type in info.properties.items():
            kind = _kind(prop, edm_type, info.properties)
            if kind is not None:
                kinds[prop] = kind
        members: dict[str, frozenset[str]] = {}
        for prop, names in (known.members if known else {}).items():
            if kinds.get(prop) == "string":  # 1C serves an enumeration as Edm.String
                kinds[prop] = "enum"
                members[prop] = names
        result[name] = EntitySet(name, fields, tabular, navigation, kinds, members)
    return result


_EDM_KINDS: dict[str, FieldKind] = {
    "Edm.Boolean": "bool",
    "Edm.DateTime": "date",
    "Edm.String": "string",
    **{
        t: "number"
        for t in ("Edm.Double", "Edm.Decimal", "Edm.Single", "Edm.Int16", "Edm.Int32", "Edm.Int64")
    },
}


def _kind(prop: str, edm_type: str, properties: Mapping[str, str]) -> FieldKind | None:
    """The kind of a published property; None for a composite value (it comes with ``X_Type``)
    and for types a condition cannot be told to 1C about."""
    if edm_type == "Edm.Guid":
        return "key" if prop == "Ref_Key" else "ref" if prop.endswith("_Key") else None
    if f"{prop}_Type" in properties:
        return None
    return _EDM_KINDS.get(edm_type)
