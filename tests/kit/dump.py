"""Reading a 1C Designer dump the way the kit's tests need it: objects, attributes, modules.

Nothing here knows the kit's generator: it reads the XML and BSL files as Designer and the platform
would, so the tests check the files that integrators load, not the description they came from.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import tree_sitter_bsl
from lxml import etree
from tree_sitter import Language, Node, Parser

from testbed.servers import REPO_ROOT

KIT = REPO_ROOT / "onec_kit"
EXTENSION = KIT / "extension"
TESTS = KIT / "tests"
MD = "http://v8.1c.ru/8.3/MDClasses"
V8 = "http://v8.1c.ru/8.1/data/core"
XR = "http://v8.1c.ru/8.3/xcf/readable"
NS = {"md": MD, "v8": V8, "xr": XR}

# Designer's folder for each kind of object (the ones a dump of this kit may hold).
FOLDERS = {
    "Languages": "Language",
    "Roles": "Role",
    "CommonModules": "CommonModule",
    "CommonCommands": "CommonCommand",
    "ExchangePlans": "ExchangePlan",
    "XDTOPackages": "XDTOPackage",
    "WebServices": "WebService",
    "HTTPServices": "HTTPService",
    "EventSubscriptions": "EventSubscription",
    "ScheduledJobs": "ScheduledJob",
    "Constants": "Constant",
    "Catalogs": "Catalog",
    "Documents": "Document",
    "InformationRegisters": "InformationRegister",
    "Subsystems": "Subsystem",
    "DefinedTypes": "DefinedType",
}
ODATA_PREFIX = {
    "Catalog": "Catalog_",
    "Document": "Document_",
    "Constant": "Constant_",
    "ExchangePlan": "ExchangePlan_",
    "InformationRegister": "InformationRegister_",
}


@dataclass
class Attribute:
    name: str
    types: tuple[str, ...]  # xs:string, xs:decimal, xs:boolean, xs:dateTime, cfg:CatalogRef.X …
    tag: str  # Attribute, Dimension, Resource


@dataclass
class MetaObject:
    kind: str
    name: str
    path: Path
    root: etree._Element
    adopted: bool
    attributes: list[Attribute] = field(default_factory=list)
    tables: dict[str, list[Attribute]] = field(default_factory=dict)

    def prop(self, name: str) -> etree._Element | None:
        return self.root.find(f"md:{self.kind}/md:Properties/md:{name}", NS)

    def text(self, name: str) -> str:
        el = self.prop(name)
        return "" if el is None or el.text is None else el.text.strip()


def parse_xml(path: Path) -> etree._Element:
    return etree.fromstring(path.read_bytes())


def _attrs(parent: etree._Element | None) -> list[Attribute]:
    out: list[Attribute] = []
    if parent is None:
        return out
    for child in parent:
        tag = etree.QName(child).localname
        if tag not in ("Attribute", "Dimension", "Resource"):
            continue
        name = child.findtext("md:Properties/md:Name", namespaces=NS) or ""
        types = tuple(t.text or "" for t in child.findall("md:Properties/md:Type/v8:Type", NS))
        out.append(Attribute(name, types, tag))
    return out


def read_object(path: Path, kind: str) -> MetaObject:
    root = parse_xml(path)
    node = root.find(f"md:{kind}", NS)
    name = "" if node is None else (node.findtext("md:Properties/md:Name", namespaces=NS) or "")
    belonging = (
        "" if node is None else (node.findtext("md:Properties/md:ObjectBelonging", namespaces=NS) or "")
    )
    obj = MetaObject(kind, name, path, root, belonging == "Adopted")
    if node is not None:
        children = node.find("md:ChildObjects", NS)
        obj.attributes = _attrs(children)
        for table in [] if children is None else children.findall("md:TabularSection", NS):
            tname = table.findtext("md:Properties/md:Name", namespaces=NS) or ""
            obj.tables[tname] = _attrs(table.find("md:ChildObjects", NS))
    return obj


def objects(root: Path) -> list[MetaObject]:
    """Every ``<Kind folder>/<Name>.xml`` of the dump."""
    out = []
    for folder, kind in FOLDERS.items():
        for path in sorted((root / folder).glob("*.xml")):
            out.append(read_object(path, kind))
    return out


@cache
def kit_objects() -> dict[tuple[str, str], MetaObject]:
    return {(o.kind, o.name): o for o in objects(EXTENSION)}


def odata_fields(objs: dict[tuple[str, str], MetaObject]) -> dict[str, dict[str, tuple[str, ...]]]:
    """OData entity set → ТТ_ field → the kit's types; tabular rows as ``<Set>_<Table>``."""
    out: dict[str, dict[str, tuple[str, ...]]] = {}
    for (kind, name), o in objs.items():
        prefix = ODATA_PREFIX.get(kind)
        if prefix is None:
            continue
        out[prefix + name] = {a.name: a.types for a in o.attributes}
        for table, attrs in o.tables.items():
            out[f"{prefix}{name}_{table}"] = {a.name: a.types for a in attrs}
    return out


def is_uuid(text: str) -> bool:
    try:
        return str(uuid.UUID(text)) == text.lower()
    except ValueError:
        return False


# ---- BSL ---------------------------------------------------------------------------------------------

_PARSER = Parser(Language(tree_sitter_bsl.language()))


@dataclass(frozen=True)
class Method:
    name: str
    exported: bool
    line: int


def parse_bsl(path: Path) -> Node:
    return _PARSER.parse(path.read_bytes()).root_node


def syntax_errors(path: Path) -> list[str]:
    """``file:line: near '…'`` for every ERROR or MISSING node of the module's parse tree."""
    found: list[str] = []

    def walk(n: Node) -> None:
        if n.type == "ERROR" or n.is_missing:
            near = (n.text or b"").decode("utf-8", "replace")[:40] or n.type
            found.append(f"{path}:{n.start_point[0] + 1}: near {near!r}")
            return
        for c in n.children:
            walk(c)

    walk(parse_bsl(path))
    return found


def methods(path: Path) -> dict[str, Method]:
    """Procedures and functions of a module by name (lower case), exported or not."""
    out: dict[str, Method] = {}
    for n in parse_bsl(path).children:
        if n.type not in ("procedure_definition", "function_definition"):
            continue
        name = n.child_by_field_name("name")
        if name is None or name.text is None:
            continue
        exported = any(c.type == "EXPORT_KEYWORD" for c in n.children)
        text = name.text.decode("utf-8")
        out[text.lower()] = Method(text, exported, n.start_point[0] + 1)
    return out


def module_calls(path: Path) -> list[tuple[str, str, int]]:
    """``(module, method, line)`` of every ``ТТ_Module.Method(…)`` call of the module."""
    text = path.read_text("utf-8-sig")
    out = []
    for i, line in enumerate(text.splitlines(), 1):
        code = line.split("//", 1)[0]
        for m in re.finditer(r"(?<![\w.])(ТТ_[\wА-Яа-яЁё]+)\.([\wА-Яа-яЁё]+)\s*\(", code):
            out.append((m.group(1), m.group(2), i))
    return out


def string_literals(node: Node) -> list[str]:
    """Values of the BSL string literals under ``node``, in order (``""`` → ``"``; ``|`` lines joined)."""
    out: list[str] = []

    def walk(n: Node) -> None:
        if n.type == "string":
            raw = (n.text or b"").decode("utf-8")
            out.append(bsl_string(raw))
            return
        for c in n.children:
            walk(c)

    walk(node)
    return out


def bsl_string(raw: str) -> str:
    """The value of one BSL string literal as written in the source."""
    body = raw[1:-1] if raw.startswith('"') and raw.endswith('"') else raw
    lines = body.split("\n")
    lines = [lines[0]] + [re.sub(r"^\s*\|", "", x) for x in lines[1:]]
    return "\n".join(lines).replace('""', '"')


def function_node(path: Path, name: str) -> Node:
    for n in parse_bsl(path).children:
        if n.type in ("procedure_definition", "function_definition"):
            ident = n.child_by_field_name("name")
            if ident is not None and (ident.text or b"").decode("utf-8").lower() == name.lower():
                return n
    raise KeyError(f"{name} not found in {path}")


def module_path(root: Path, module: str) -> Path:
    return root / "CommonModules" / module / "Ext" / "Module.bsl"


# ---- the shape Designer's dumps have ---------------------------------------------------------------

_ADOPTABLE = {"Language", "Catalog", "Document"}
_PART_ROOTS = {
    "Content.xml": "{http://v8.1c.ru/8.3/xcf/extrnprops}ExchangePlanContent",
    "Schedule.xml": "{http://v8.1c.ru/8.3/xcf/extrnprops}JobSchedule",
    "Rights.xml": "{http://v8.1c.ru/8.2/roles}Rights",
    "Package.bin": "{http://v8.1c.ru/8.1/xdto}package",
}


def shape_problems(root: Path, prefix_exempt: frozenset[str] = frozenset()) -> list[str]:
    """What in the dump under ``root`` is not shaped as a Designer dump is (empty when all is well)."""
    problems: list[str] = []
    uuids: dict[str, Path] = {}
    present: set[tuple[str, str]] = set()
    config_path = root / "Configuration.xml"
    files = sorted(root.rglob("*.xml")) + sorted(root.rglob("*.bin"))
    for path in files:
        rel = path.relative_to(root)
        try:
            tree = parse_xml(path)
        except etree.XMLSyntaxError as exc:
            problems.append(f"{rel}: not well-formed XML ({exc})")
            continue
        for el in tree.iter():
            value = el.get("uuid")
            if value is None:
                continue
            if not is_uuid(value):
                problems.append(f"{rel}: uuid {value!r} is not a UUID")
            elif value in uuids:
                problems.append(f"{rel}: uuid {value} also used in {uuids[value].relative_to(root)}")
            else:
                uuids[value] = path
        if len(rel.parts) > 2:  # a part of an object: …/<Name>/Ext/<file>
            want = _PART_ROOTS.get(rel.name)
            if want is not None and tree.tag != want:
                problems.append(f"{rel}: root element {tree.tag}, expected {want}")
            continue
        if tree.tag != f"{{{MD}}}MetaDataObject" or not tree.get("version"):
            problems.append(f"{rel}: root must be MetaDataObject in {MD} with a version")
            continue
        if len(tree) != 1:
            problems.append(f"{rel}: must hold exactly one object, holds {len(tree)}")
            continue
        if path == config_path:
            continue
        kind = FOLDERS.get(rel.parts[0]) if len(rel.parts) == 2 else None
        if kind is None:
            problems.append(f"{rel}: not in a kind folder Designer knows")
            continue
        if etree.QName(tree[0]).localname != kind:
            problems.append(
                f"{rel}: holds a {etree.QName(tree[0]).localname}, folder {rel.parts[0]} holds {kind}"
            )
            continue
        obj = read_object(path, kind)
        if obj.name != path.stem:
            problems.append(f"{rel}: Properties/Name is {obj.name!r}, the file is {path.stem!r}")
        present.add((kind, obj.name))
        if obj.adopted:
            if kind not in _ADOPTABLE:
                problems.append(f"{rel}: a {kind} of the extension's own cannot be adopted")
            if not is_uuid(obj.text("ExtendedConfigurationObject")):
                problems.append(f"{rel}: adopted without ExtendedConfigurationObject")
        elif kind != "Language" and obj.name not in prefix_exempt and not _prefixed(root, obj.name):
            problems.append(
                f"{rel}: own object {obj.name!r} lacks the extension's name prefix {_prefix(root)!r}"
            )
        for attrs in [obj.attributes, *obj.tables.values()]:
            for a in attrs:
                if not obj.adopted or a.name.startswith(_prefix(root)):
                    if not a.types:
                        problems.append(f"{rel}: {a.name} has no type")
    if not config_path.exists():
        return [*problems, "Configuration.xml is missing"]
    config = parse_xml(config_path)
    children = config.find("md:Configuration/md:ChildObjects", NS)
    listed = set() if children is None else {(etree.QName(c).localname, c.text or "") for c in children}
    for kind, name in sorted(listed - present):
        problems.append(f"Configuration.xml lists {kind}.{name}, the dump has no {kind} file for it")
    for kind, name in sorted(present - listed):
        problems.append(f"Configuration.xml does not list {kind}.{name}")
    return problems


def _prefix(root: Path) -> str:
    config = parse_xml(root / "Configuration.xml")
    return config.findtext("md:Configuration/md:Properties/md:NamePrefix", namespaces=NS) or ""


def _prefixed(root: Path, name: str) -> bool:
    prefix = _prefix(root)
    return bool(prefix) and name.startswith(prefix)
