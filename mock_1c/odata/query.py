"""Query options applied to a snapshot of a set: $filter, $orderby, $skip/$top, $select, $expand.

A request compiles its options once into plain functions; entities are projected into new
small dicts, the stored ones are never copied whole or changed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from operator import itemgetter
from typing import Any

from mock_1c.errors import OneCError
from mock_1c.infobase import InfoBase
from mock_1c.schema import EDM_TYPES, EMPTY_REF, ENTITY_SETS, EntitySet

Entity = Mapping[str, Any]
Projector = Callable[[Entity], dict[str, Any]]


def _filter_module() -> Any:
    try:
        from mock_1c import odata_filter
    except ImportError:  # pragma: no cover - the filter module ships with the package
        raise OneCError("0", "Параметр $filter не поддерживается.") from None
    return odata_filter


def navigator(ib: InfoBase, es: EntitySet) -> Callable[[Entity, str], Entity | None]:
    """``navigate(entity, "Партнер")`` → the referenced entity, for filters and expansion."""
    targets: dict[str, str] = {}
    for s in ENTITY_SETS.values():
        for f in s.ref_fields():
            targets.setdefault(f.name, f.target)

    def navigate(entity: Entity, name: str) -> Entity | None:
        nested = entity.get(name)
        if isinstance(nested, Mapping):
            return nested
        ref = entity.get(name + "_Key")
        if isinstance(ref, str) and name in targets:
            return None if ref == EMPTY_REF else ib.get(targets[name], ref)
        type_name = entity.get(name + "_Type")
        if isinstance(nested, str) and isinstance(type_name, str) and type_name.startswith("StandardODATA."):
            target = type_name.split(".", 1)[1]
            return ib.get(target, nested) if target in ENTITY_SETS else None
        return None

    return navigate


def property_types(es: EntitySet) -> dict[str, str]:
    """EDM type of each top-level JSON property, as ``$metadata`` advertises it. A composite
    value (``ДокументОснование``) is left out: it is compared through ``cast(guid'…', 'Тип')``."""
    out: dict[str, str] = {}
    for f in es.all_fields():
        if f.kind == "composite":
            out[f.name + "_Type"] = "Edm.String"
        else:
            out[f.json_names[0]] = EDM_TYPES[f.kind]
    return out


def compile_filter(ib: InfoBase, es: EntitySet, text: str) -> Callable[[Entity], bool]:
    return parse_and_compile(ib, es, text)[1]


def _compile_options(ib: InfoBase, es: EntitySet) -> dict[str, Any]:
    props = es.json_properties()
    return {
        "has_property": lambda n: n in props or n in es.tables,
        "navigate": navigator(ib, es),
        "property_type": property_types(es).get,
    }


def parse_and_compile(ib: InfoBase, es: EntitySet, text: str) -> tuple[Any, Callable[[Entity], bool]]:
    """The parse tree of a ``$filter`` and its predicate; ``OneCError`` for what 1C refuses."""
    mod = _filter_module()
    try:
        tree = mod.parse_filter(text)
        return tree, mod.compile_tree(tree, **_compile_options(ib, es))
    except mod.FilterError as exc:
        raise OneCError(exc.code, exc.message) from None


def key_access(tree: Any) -> Any:
    """How the filter reaches rows through the ``Ref_Key`` index (``odata_filter_keys.KeyAccess``)."""
    from mock_1c.odata_filter_keys import key_access as access

    return access(tree)


def compile_rest(ib: InfoBase, es: EntitySet, access: Any) -> Callable[[Entity], bool] | None:
    """The predicate of the conditions besides the index access (None: every row)."""
    if access.rest is None:
        return None
    mod = _filter_module()
    try:
        predicate: Callable[[Entity], bool] = mod.compile_tree(access.rest, **_compile_options(ib, es))
        return predicate
    except mod.FilterError as exc:  # pragma: no cover - the whole filter compiled already
        raise OneCError(exc.code, exc.message) from None


def order_key(es: EntitySet, text: str) -> list[tuple[str, bool]]:
    """``Поле [asc|desc], …`` → [(property, descending)]."""
    props = es.json_properties()
    out = []
    for part in text.split(","):
        words = part.split()
        if not words or len(words) > 2 or (len(words) == 2 and words[1].lower() not in ("asc", "desc")):
            raise OneCError("14", f"Неверное выражение $orderby: {text}")
        if words[0] not in props:
            raise OneCError("10", f"Свойство «{words[0]}» не найдено у «{es.name}».")
        out.append((words[0], len(words) == 2 and words[1].lower() == "desc"))
    return out


def apply_order(items: list[Entity], keys: list[tuple[str, bool]]) -> list[Entity]:
    """Stable multi-key sort; values of one property share a type in this base."""
    for name, desc in reversed(keys):
        try:
            items = sorted(items, key=itemgetter(name), reverse=desc)
        except (KeyError, TypeError):
            items = sorted(items, key=lambda e: (e.get(name) is None, str(e.get(name))), reverse=desc)
    return items


def _split(text: str | None) -> list[str]:
    return [p.strip() for p in text.split(",") if p.strip()] if text else []


def projector(
    ib: InfoBase,
    es: EntitySet,
    select: str | None,
    expand: str | None,
    *,
    nav_links: bool,
) -> Projector:
    """A function shaping one stored entity into its response dict."""
    props = es.json_properties()
    refs = {f.name: f for f in es.ref_fields()}
    expanded = _split(expand)
    for nav in expanded:
        if nav not in refs:
            raise OneCError("10", f"Свойство навигации «{nav}» не найдено у «{es.name}».")
    selected: list[str] = []
    nav_select: dict[str, list[str]] = {}
    for item in _split(select):
        if item == "*":
            selected = []
            break
        if "/" in item:
            nav, _, sub = item.partition("/")
            if nav not in expanded:
                raise OneCError("14", f"Свойство «{nav}» в $select нужно указать и в $expand.")
            if sub not in ENTITY_SETS[refs[nav].target].json_properties():
                raise OneCError("10", f"Свойство «{sub}» не найдено у «{refs[nav].target}».")
            nav_select.setdefault(nav, []).append(sub)
            continue
        if item not in props and item not in es.tables and item not in expanded:
            raise OneCError("10", f"Свойство «{item}» не найдено у «{es.name}».")
        if item not in expanded:
            selected.append(item)
    link_fields = [
        (f.name, f.name + "_Key") for f in refs.values() if not selected or f.name + "_Key" in selected
    ]
    subs = {
        nav: projector(
            ib,
            ENTITY_SETS[refs[nav].target],
            ",".join(nav_select.get(nav, [])) or None,
            None,
            nav_links=nav_links,
        )
        for nav in expanded
    }
    set_name = es.name

    def project(e: Entity) -> dict[str, Any]:
        out = {n: e[n] for n in selected if n in e} if selected else dict(e)
        if nav_links:
            ref = e.get("Ref_Key")
            for nav, key in link_fields:
                if e.get(key, EMPTY_REF) != EMPTY_REF:
                    out[f"{nav}@navigationLinkUrl"] = f"{set_name}(guid'{ref}')/{nav}"
        for nav, sub in subs.items():
            target = ib.get(refs[nav].target, str(e.get(nav + "_Key")))
            out[nav] = sub(target) if target is not None else None
        return out

    return project
