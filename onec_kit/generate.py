"""Writes the metadata XML of the two extension dumps in ``onec_kit/`` from the description below.

The BSL modules beside the XML (``…/Ext/Module.bsl``, ``CommandModule.bsl``) are written by hand;
this script only writes what Designer would write for the metadata: ``Configuration.xml``, one
``<Kind>/<Name>.xml`` per object and the parts an object keeps in ``Ext/`` (exchange-plan content,
role rights, job schedule, XDTO package). Identifiers are UUIDv5 of the object's path, so running it
again changes nothing unless the description changed. ``make kit`` runs it; a test fails when the
committed dump and this description disagree.

Usage: ``python onec_kit/generate.py [--check]`` (``--check``: exit 1 and list the files that
differ instead of writing).
"""

from __future__ import annotations

import sys
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape

KIT = Path(__file__).resolve().parent
FORMAT = "2.9"
NS_ROOT = uuid.UUID("6f0c7a55-0b1e-4d0e-9a43-54a1b2c3d4e5")
TT_NS = "http://onec-bridge.local/timetracking"

_HEADER = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<MetaDataObject xmlns="http://v8.1c.ru/8.3/MDClasses"'
    ' xmlns:app="http://v8.1c.ru/8.2/managed-application/core"'
    ' xmlns:cfg="http://v8.1c.ru/8.1/data/enterprise/current-config"'
    ' xmlns:cmi="http://v8.1c.ru/8.2/managed-application/cmi"'
    ' xmlns:ent="http://v8.1c.ru/8.1/data/enterprise"'
    ' xmlns:lf="http://v8.1c.ru/8.2/managed-application/logform"'
    ' xmlns:style="http://v8.1c.ru/8.1/data/ui/style"'
    ' xmlns:sys="http://v8.1c.ru/8.1/data/ui/fonts/system"'
    ' xmlns:v8="http://v8.1c.ru/8.1/data/core"'
    ' xmlns:v8ui="http://v8.1c.ru/8.1/data/ui"'
    ' xmlns:web="http://v8.1c.ru/8.1/data/ui/colors/web"'
    ' xmlns:win="http://v8.1c.ru/8.1/data/ui/colors/windows"'
    ' xmlns:xen="http://v8.1c.ru/8.3/xcf/enums"'
    ' xmlns:xpr="http://v8.1c.ru/8.3/xcf/predef"'
    ' xmlns:xr="http://v8.1c.ru/8.3/xcf/readable"'
    ' xmlns:xs="http://www.w3.org/2001/XMLSchema"'
    ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
    f' version="{FORMAT}">\n'
)

# Class ids of the objects every Configuration.xml carries in InternalInfo (the same in every dump).
_CONTAINED_CLASSES = (
    "9cd510cd-abfc-11d4-9434-004095e12fc7",
    "9fcd25a0-4822-11d4-9414-008048da11f9",
    "e3687481-0a87-462c-a166-9f34594f9bba",
    "9de14907-ec23-4a07-96f0-85521cb6b53b",
    "51f2d5d8-ea4d-4064-8892-82951750031e",
    "e68182ea-4237-4383-967f-90c1e3370bc7",
)

# Configuration.xml lists children in this kind order (as Designer does).
_KIND_ORDER = (
    "Language",
    "Role",
    "CommonModule",
    "ExchangePlan",
    "XDTOPackage",
    "WebService",
    "EventSubscription",
    "ScheduledJob",
    "CommonCommand",
    "Constant",
    "Catalog",
    "Document",
    "InformationRegister",
)
FOLDERS = {
    "Language": "Languages",
    "Role": "Roles",
    "CommonModule": "CommonModules",
    "ExchangePlan": "ExchangePlans",
    "XDTOPackage": "XDTOPackages",
    "WebService": "WebServices",
    "EventSubscription": "EventSubscriptions",
    "ScheduledJob": "ScheduledJobs",
    "CommonCommand": "CommonCommands",
    "Constant": "Constants",
    "Catalog": "Catalogs",
    "Document": "Documents",
    "InformationRegister": "InformationRegisters",
}


def uid(*path: str) -> str:
    return str(uuid.uuid5(NS_ROOT, "/".join(path)))


def synonym(text: str, indent: int) -> str:
    if not text:
        return "\t" * indent + "<Synonym/>\n"
    t = "\t" * indent
    return (
        f"{t}<Synonym>\n{t}\t<v8:item>\n{t}\t\t<v8:lang>ru</v8:lang>\n"
        f"{t}\t\t<v8:content>{escape(text)}</v8:content>\n{t}\t</v8:item>\n{t}</Synonym>\n"
    )


# ---- value types ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class T:
    """A 1C value type: ``string``/``text`` (unlimited)/``number``/``bool``/``date``/``datetime`` or refs."""

    kind: str
    length: int = 0
    digits: int = 0
    fraction: int = 0
    refs: tuple[str, ...] = ()

    def xml(self, indent: int) -> str:
        t = "\t" * indent
        if self.kind in ("string", "text"):
            return (
                f"{t}<Type>\n{t}\t<v8:Type>xs:string</v8:Type>\n{t}\t<v8:StringQualifiers>\n"
                f"{t}\t\t<v8:Length>{self.length if self.kind == 'string' else 0}</v8:Length>\n"
                f"{t}\t\t<v8:AllowedLength>Variable</v8:AllowedLength>\n{t}\t</v8:StringQualifiers>\n{t}</Type>\n"
            )
        if self.kind == "number":
            return (
                f"{t}<Type>\n{t}\t<v8:Type>xs:decimal</v8:Type>\n{t}\t<v8:NumberQualifiers>\n"
                f"{t}\t\t<v8:Digits>{self.digits}</v8:Digits>\n{t}\t\t<v8:FractionDigits>{self.fraction}"
                f"</v8:FractionDigits>\n{t}\t\t<v8:AllowedSign>Nonnegative</v8:AllowedSign>\n"
                f"{t}\t</v8:NumberQualifiers>\n{t}</Type>\n"
            )
        if self.kind == "bool":
            return f"{t}<Type>\n{t}\t<v8:Type>xs:boolean</v8:Type>\n{t}</Type>\n"
        if self.kind in ("date", "datetime"):
            fractions = "Date" if self.kind == "date" else "DateTime"
            return (
                f"{t}<Type>\n{t}\t<v8:Type>xs:dateTime</v8:Type>\n{t}\t<v8:DateQualifiers>\n"
                f"{t}\t\t<v8:DateFractions>{fractions}</v8:DateFractions>\n{t}\t</v8:DateQualifiers>\n{t}</Type>\n"
            )
        if self.kind == "ref":
            inner = "".join(f"{t}\t<v8:Type>cfg:{r}</v8:Type>\n" for r in self.refs)
            return f"{t}<Type>\n{inner}{t}</Type>\n"
        raise ValueError(self.kind)


STRING = T("string", 150)
TEXT = T("text")
HOURS = T("number", digits=10, fraction=2)
BOOL = T("bool")
OBJECT = T("ref", refs=("DocumentRef.CRM_Интерес", "CatalogRef.Проекты", "CatalogRef.ЗадачиПроектов"))


@dataclass(frozen=True)
class Attr:
    name: str
    type: T
    synonym: str = ""
    tag: str = "Attribute"  # Attribute, Dimension or Resource
    indexed: bool = False


def _attr_xml(owner: str, a: Attr, indent: int) -> str:
    t = "\t" * indent
    extra = ""
    if a.tag == "Dimension":
        extra = (
            f"{t}\t\t<Master>false</Master>\n{t}\t\t<MainFilter>true</MainFilter>\n"
            f"{t}\t\t<DenyIncompleteValues>false</DenyIncompleteValues>\n"
        )
    elif a.tag == "Attribute":
        index = "Index" if a.indexed else "DontIndex"
        extra = (
            f"{t}\t\t<FillChecking>DontCheck</FillChecking>\n{t}\t\t<Indexing>{index}</Indexing>\n"
            f"{t}\t\t<FullTextSearch>DontUse</FullTextSearch>\n"
        )
    return (
        f'{t}<{a.tag} uuid="{uid(owner, a.tag, a.name)}">\n{t}\t<Properties>\n'
        f"{t}\t\t<Name>{a.name}</Name>\n{synonym(a.synonym, indent + 2)}{t}\t\t<Comment/>\n"
        f"{a.type.xml(indent + 2)}{extra}{t}\t</Properties>\n{t}</{a.tag}>\n"
    )


def _generated(prefix: str, name: str, categories: Sequence[str], owner: str, indent: int) -> str:
    t = "\t" * indent
    out = [f"{t}<InternalInfo>\n"]
    for cat in categories:
        out.append(
            f'{t}\t<xr:GeneratedType name="{prefix}{cat}.{name}" category="{cat}">\n'
            f"{t}\t\t<xr:TypeId>{uid(owner, 'type', cat)}</xr:TypeId>\n"
            f"{t}\t\t<xr:ValueId>{uid(owner, 'value', cat)}</xr:ValueId>\n{t}\t</xr:GeneratedType>\n"
        )
    out.append(f"{t}</InternalInfo>\n")
    return "".join(out)


def _table_types(kind: str, full: str, owner: str) -> str:
    t = "\t" * 4
    out = [f"{t}<InternalInfo>\n"]
    for cat in ("TabularSection", "TabularSectionRow"):
        out.append(
            f'{t}\t<xr:GeneratedType name="{kind}{cat}.{full}" category="{cat}">\n'
            f"{t}\t\t<xr:TypeId>{uid(owner, 'type', cat)}</xr:TypeId>\n"
            f"{t}\t\t<xr:ValueId>{uid(owner, 'value', cat)}</xr:ValueId>\n{t}\t</xr:GeneratedType>\n"
        )
    out.append(f"{t}</InternalInfo>\n")
    return "".join(out)


# ---- objects ----------------------------------------------------------------------------------------


@dataclass
class Obj:
    kind: str
    name: str
    body: str  # everything inside <Kind uuid=…> … </Kind>
    parts: dict[str, str] = field(default_factory=dict)  # path under <Kind folder>/<Name>/ → text


def _object(kind: str, name: str, inner: str) -> str:
    return f'{_HEADER}\t<{kind} uuid="{uid(kind, name)}">\n{inner}\t</{kind}>\n</MetaDataObject>\n'


def language(name: str = "Русский") -> Obj:
    body = (
        "\t\t<InternalInfo/>\n\t\t<Properties>\n"
        f"\t\t\t<Name>{name}</Name>\n\t\t\t<Comment/>\n"
        "\t\t\t<ObjectBelonging>Adopted</ObjectBelonging>\n"
        f"\t\t\t<ExtendedConfigurationObject>{uid('base', 'Language', name)}</ExtendedConfigurationObject>\n"
        "\t\t\t<LanguageCode>ru</LanguageCode>\n\t\t</Properties>\n"
    )
    return Obj("Language", name, body)


def common_module(name: str, title: str, *, server_call: bool = False, privileged: bool = False) -> Obj:
    body = (
        "\t\t<Properties>\n"
        f"\t\t\t<Name>{name}</Name>\n{synonym(title, 3)}\t\t\t<Comment/>\n"
        "\t\t\t<Global>false</Global>\n\t\t\t<ClientManagedApplication>false</ClientManagedApplication>\n"
        "\t\t\t<Server>true</Server>\n\t\t\t<ExternalConnection>false</ExternalConnection>\n"
        "\t\t\t<ClientOrdinaryApplication>false</ClientOrdinaryApplication>\n"
        f"\t\t\t<ServerCall>{str(server_call).lower()}</ServerCall>\n"
        f"\t\t\t<Privileged>{str(privileged).lower()}</Privileged>\n"
        "\t\t\t<ReturnValuesReuse>DontUse</ReturnValuesReuse>\n\t\t</Properties>\n"
    )
    return Obj("CommonModule", name, body)


def constant(name: str, title: str, type_: T) -> Obj:
    gen = _generated("Constant", name, ("Manager", "ValueManager", "ValueKey"), f"Constant/{name}", 2)
    body = (
        f"{gen}\t\t<Properties>\n\t\t\t<Name>{name}</Name>\n{synonym(title, 3)}\t\t\t<Comment/>\n"
        f"{type_.xml(3)}\t\t\t<UseStandardCommands>true</UseStandardCommands>\n"
        "\t\t\t<DefaultForm/>\n\t\t\t<ExtendedPresentation/>\n\t\t\t<Explanation/>\n"
        "\t\t\t<FillChecking>DontCheck</FillChecking>\n"
        "\t\t\t<DataLockControlMode>Managed</DataLockControlMode>\n\t\t</Properties>\n"
    )
    return Obj("Constant", name, body)


def adopted(
    kind: str, name: str, attrs: Sequence[Attr] = (), tables: dict[str, Sequence[Attr]] | None = None
) -> Obj:
    """An object of the base the extension adopts, with the extension's own new attributes."""
    cats = ("Object", "Ref", "Selection", "List", "Manager")
    owner = f"{kind}/{name}"
    gen = _generated(kind, name, cats, owner, 2)
    props = (
        f"\t\t<Properties>\n\t\t\t<Name>{name}</Name>\n\t\t\t<Comment/>\n"
        "\t\t\t<ObjectBelonging>Adopted</ObjectBelonging>\n"
        f"\t\t\t<ExtendedConfigurationObject>{uid('base', kind, name)}</ExtendedConfigurationObject>\n"
        + ("\t\t\t<RegisterRecords/>\n" if kind == "Document" else "")
        + "\t\t</Properties>\n"
    )
    children = "".join(_attr_xml(owner, a, 3) for a in attrs)
    for table, table_attrs in (tables or {}).items():
        towner = f"{owner}/TabularSection/{table}"
        gen_both = _table_types(kind, f"{name}.{table}", towner)
        children += (
            f'\t\t\t<TabularSection uuid="{uid(towner)}">\n{gen_both}\t\t\t\t<Properties>\n'
            f"\t\t\t\t\t<Name>{table}</Name>\n\t\t\t\t\t<Comment/>\n"
            "\t\t\t\t\t<ObjectBelonging>Adopted</ObjectBelonging>\n"
            f"\t\t\t\t\t<ExtendedConfigurationObject>{uid('base', kind, name, table)}"
            "</ExtendedConfigurationObject>\n"
            "\t\t\t\t</Properties>\n\t\t\t\t<ChildObjects>\n"
            + "".join(_attr_xml(towner, a, 5) for a in table_attrs)
            + "\t\t\t\t</ChildObjects>\n\t\t\t</TabularSection>\n"
        )
    body = gen + props + (f"\t\t<ChildObjects>\n{children}\t\t</ChildObjects>\n" if children else "")
    return Obj(kind, name, body)


def register(name: str, title: str, dims: Sequence[Attr], resources: Sequence[Attr]) -> Obj:
    cats = ("Record", "Manager", "Selection", "List", "RecordSet", "RecordKey", "RecordManager")
    owner = f"InformationRegister/{name}"
    body = (
        _generated("InformationRegister", name, cats, owner, 2)
        + f"\t\t<Properties>\n\t\t\t<Name>{name}</Name>\n{synonym(title, 3)}\t\t\t<Comment/>\n"
        "\t\t\t<UseStandardCommands>true</UseStandardCommands>\n\t\t\t<EditType>InDialog</EditType>\n"
        "\t\t\t<InformationRegisterPeriodicity>Nonperiodical</InformationRegisterPeriodicity>\n"
        "\t\t\t<WriteMode>Independent</WriteMode>\n\t\t\t<MainFilterOnPeriod>false</MainFilterOnPeriod>\n"
        "\t\t\t<DataLockControlMode>Managed</DataLockControlMode>\n"
        "\t\t\t<FullTextSearch>DontUse</FullTextSearch>\n\t\t</Properties>\n\t\t<ChildObjects>\n"
        + "".join(_attr_xml(owner, Attr(r.name, r.type, r.synonym, "Resource"), 3) for r in resources)
        + "".join(_attr_xml(owner, Attr(d.name, d.type, d.synonym, "Dimension"), 3) for d in dims)
        + "\t\t</ChildObjects>\n"
    )
    return Obj("InformationRegister", name, body)


def exchange_plan(name: str, title: str, content: Sequence[str]) -> Obj:
    cats = ("Object", "Ref", "Selection", "List", "Manager")
    body = (
        _generated("ExchangePlan", name, cats, f"ExchangePlan/{name}", 2)
        + f"\t\t<Properties>\n\t\t\t<Name>{name}</Name>\n{synonym(title, 3)}\t\t\t<Comment/>\n"
        "\t\t\t<UseStandardCommands>true</UseStandardCommands>\n\t\t\t<CodeLength>9</CodeLength>\n"
        "\t\t\t<CodeAllowedLength>Variable</CodeAllowedLength>\n\t\t\t<DescriptionLength>100</DescriptionLength>\n"
        "\t\t\t<DefaultPresentation>AsDescription</DefaultPresentation>\n"
        "\t\t\t<DistributedInfoBase>false</DistributedInfoBase>\n"
        "\t\t\t<IncludeConfigurationExtensions>false</IncludeConfigurationExtensions>\n"
        "\t\t\t<DataLockControlMode>Managed</DataLockControlMode>\n\t\t</Properties>\n"
    )
    items = "".join(
        f"\t<Item>\n\t\t<Metadata>{m}</Metadata>\n\t\t<AutoRecord>Allow</AutoRecord>\n\t</Item>\n"
        for m in content
    )
    part = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<ExchangePlanContent xmlns="http://v8.1c.ru/8.3/xcf/extrnprops" xmlns:xr="http://v8.1c.ru/8.3/xcf/readable"'
        ' xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
        f' version="{FORMAT}">\n{items}</ExchangePlanContent>\n'
    )
    return Obj("ExchangePlan", name, body, {"Ext/Content.xml": part})


def event_subscription(name: str, title: str, sources: Sequence[str], event: str, handler: str) -> Obj:
    src = "".join(f"\t\t\t\t<v8:Type>cfg:{s}</v8:Type>\n" for s in sources)
    body = (
        f"\t\t<Properties>\n\t\t\t<Name>{name}</Name>\n{synonym(title, 3)}\t\t\t<Comment/>\n"
        f"\t\t\t<Source>\n{src}\t\t\t</Source>\n\t\t\t<Event>{event}</Event>\n"
        f"\t\t\t<Handler>{handler}</Handler>\n\t\t</Properties>\n"
    )
    return Obj("EventSubscription", name, body)


def scheduled_job(name: str, title: str, method: str, repeat_seconds: int) -> Obj:
    body = (
        f"\t\t<Properties>\n\t\t\t<Name>{name}</Name>\n{synonym(title, 3)}\t\t\t<Comment/>\n"
        f"\t\t\t<MethodName>{method}</MethodName>\n\t\t\t<Description>{escape(title)}</Description>\n"
        f"\t\t\t<Key/>\n\t\t\t<Use>true</Use>\n\t\t\t<Predefined>true</Predefined>\n"
        "\t\t\t<RestartCountOnFailure>3</RestartCountOnFailure>\n"
        "\t\t\t<RestartIntervalOnFailure>60</RestartIntervalOnFailure>\n\t\t</Properties>\n"
    )
    schedule = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<JobSchedule xmlns="http://v8.1c.ru/8.3/xcf/extrnprops" xmlns:ent="http://v8.1c.ru/8.1/data/enterprise"'
        ' xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
        f' version="{FORMAT}">\n'
        '\t<Schedule BeginDate="0001-01-01" EndDate="0001-01-01" BeginTime="00:00:00" EndTime="00:00:00"'
        ' CompletionTime="00:00:00" CompletionInterval="0"'
        f' RepeatPeriodInDay="{repeat_seconds}" RepeatPause="0" WeekDayInMonth="0" DayInMonth="0"'
        ' WeeksPeriod="1" DaysRepeatPeriod="1">\n'
        "\t\t<ent:WeekDays>1 2 3 4 5 6 7</ent:WeekDays>\n"
        "\t\t<ent:Months>1 2 3 4 5 6 7 8 9 10 11 12</ent:Months>\n\t</Schedule>\n</JobSchedule>\n"
    )
    return Obj("ScheduledJob", name, body, {"Ext/Schedule.xml": schedule})


def common_command(name: str, title: str) -> Obj:
    body = (
        f"\t\t<Properties>\n\t\t\t<Name>{name}</Name>\n{synonym(title, 3)}\t\t\t<Comment/>\n"
        "\t\t\t<Group>ActionsPanelTools</Group>\n\t\t\t<Representation>Auto</Representation>\n"
        "\t\t\t<ToolTip/>\n\t\t\t<Picture/>\n\t\t\t<Shortcut/>\n"
        "\t\t\t<IncludeHelpInContents>false</IncludeHelpInContents>\n\t\t\t<CommandParameterType/>\n"
        "\t\t\t<ParameterUseMode>Single</ParameterUseMode>\n\t\t\t<ModifiesData>true</ModifiesData>\n"
        "\t\t\t<OnMainServerUnavalableBehavior>Auto</OnMainServerUnavalableBehavior>\n\t\t</Properties>\n"
    )
    return Obj("CommonCommand", name, body)


# ---- the labour web service and its XDTO package ---------------------------------------------------

# (type name, [(element, xs type or own type, min occurs, max occurs "unbounded"/"1", nillable)])
XDTO_TYPES: tuple[tuple[str, tuple[tuple[str, str, int, str, bool], ...]], ...] = (
    (
        "LabourRow",
        (
            ("RowKey", "xs:string", 1, "1", False),
            ("Employee", "xs:string", 1, "1", False),
            ("ObjectType", "xs:string", 1, "1", False),
            ("Object", "xs:string", 1, "1", False),
            ("WorkDate", "xs:date", 1, "1", False),
            ("WorkType", "xs:string", 1, "1", False),
            ("Minutes", "xs:int", 1, "1", False),
            ("Billable", "xs:boolean", 1, "1", False),
            ("Comment", "xs:string", 0, "1", False),
            ("EvidenceUrl", "xs:string", 0, "1", False),
        ),
    ),
    ("LabourBatch", (("BatchId", "xs:string", 1, "1", False), ("Row", "LabourRow", 0, "unbounded", False))),
    (
        "RowResult",
        (
            ("RowKey", "xs:string", 1, "1", False),
            ("Status", "xs:string", 1, "1", False),
            ("Message", "xs:string", 1, "1", False),
        ),
    ),
    ("LabourResult", (("Row", "RowResult", 0, "unbounded", False),)),
    ("LabourRows", (("Row", "LabourRow", 0, "unbounded", False),)),
)

# operation → (procedure in the service module, [(parameter, type, nillable)], return type)
WS_OPERATIONS: tuple[tuple[str, str, tuple[tuple[str, str, bool], ...], str], ...] = (
    ("PutLabour", "ПоместитьТрудозатраты", (("Batch", "LabourBatch", False),), "LabourResult"),
    (
        "GetLabour",
        "ПолучитьТрудозатраты",
        (("From", "xs:date", False), ("To", "xs:date", False), ("Employee", "xs:string", True)),
        "LabourRows",
    ),
)


def _typename(t: str, prefix: str) -> str:
    return t if t.startswith("xs:") else f"{prefix}:{t}"


def xdto_package(name: str) -> Obj:
    body = (
        f"\t\t<Properties>\n\t\t\t<Name>{name}</Name>\n\t\t\t<Synonym/>\n\t\t\t<Comment/>\n"
        f"\t\t\t<Namespace>{TT_NS}</Namespace>\n\t\t</Properties>\n"
    )
    types = []
    for tname, props in XDTO_TYPES:
        lines = []
        for prop, ptype, lo, hi, nil in props:
            attrs = f' name="{prop}" type="{_typename(ptype, "d3p1")}"'
            if ptype.startswith("xs:") is False:
                attrs = f' xmlns:d3p1="{TT_NS}"' + attrs
            if lo != 1:
                attrs += f' lowerBound="{lo}"'
            if hi != "1":
                attrs += ' upperBound="-1"'
            if nil:
                attrs += ' nillable="true"'
            lines.append(f"\t\t<property{attrs}/>\n")
        types.append(f'\t<objectType name="{tname}">\n{"".join(lines)}\t</objectType>\n')
    package = (
        '<package xmlns="http://v8.1c.ru/8.1/xdto" xmlns:xs="http://www.w3.org/2001/XMLSchema"'
        f' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" targetNamespace="{TT_NS}">\n'
        + "".join(types)
        + "</package>\n"
    )
    return Obj("XDTOPackage", name, body, {"Ext/Package.bin": package})


def web_service(name: str, title: str, descriptor: str) -> Obj:
    ops = []
    for op, proc, params, ret in WS_OPERATIONS:
        pxml = "".join(
            f'\t\t\t\t\t<Parameter uuid="{uid("WebService", name, op, p)}">\n\t\t\t\t\t\t<Properties>\n'
            f"\t\t\t\t\t\t\t<Name>{p}</Name>\n\t\t\t\t\t\t\t<Synonym/>\n\t\t\t\t\t\t\t<Comment/>\n"
            + (
                f"\t\t\t\t\t\t\t<XDTOValueType>{t}</XDTOValueType>\n"
                if t.startswith("xs:")
                else f'\t\t\t\t\t\t\t<XDTOValueType xmlns:d8p1="{TT_NS}">d8p1:{t}</XDTOValueType>\n'
            )
            + f"\t\t\t\t\t\t\t<Nillable>{str(nil).lower()}</Nillable>\n"
            "\t\t\t\t\t\t\t<TransferDirection>In</TransferDirection>\n\t\t\t\t\t\t</Properties>\n"
            "\t\t\t\t\t</Parameter>\n"
            for p, t, nil in params
        )
        ops.append(
            f'\t\t\t<Operation uuid="{uid("WebService", name, op)}">\n\t\t\t\t<Properties>\n'
            f"\t\t\t\t\t<Name>{op}</Name>\n\t\t\t\t\t<Synonym/>\n\t\t\t\t\t<Comment/>\n"
            f'\t\t\t\t\t<XDTOReturningValueType xmlns:d6p1="{TT_NS}">d6p1:{ret}</XDTOReturningValueType>\n'
            "\t\t\t\t\t<Nillable>false</Nillable>\n"
            "\t\t\t\t\t<Transactioned>false</Transactioned>\n"
            f"\t\t\t\t\t<ProcedureName>{proc}</ProcedureName>\n"
            "\t\t\t\t\t<DataLockControlMode>Managed</DataLockControlMode>\n\t\t\t\t</Properties>\n"
            f"\t\t\t\t<ChildObjects>\n{pxml}\t\t\t\t</ChildObjects>\n\t\t\t</Operation>\n"
        )
    body = (
        f"\t\t<Properties>\n\t\t\t<Name>{name}</Name>\n{synonym(title, 3)}\t\t\t<Comment/>\n"
        f"\t\t\t<Namespace>{TT_NS}</Namespace>\n\t\t\t<XDTOPackages>\n\t\t\t\t<xr:Item>\n"
        "\t\t\t\t\t<xr:Presentation/>\n\t\t\t\t\t<xr:CheckState>0</xr:CheckState>\n"
        f'\t\t\t\t\t<xr:Value xsi:type="xs:string">{TT_NS}</xr:Value>\n\t\t\t\t</xr:Item>\n'
        f"\t\t\t</XDTOPackages>\n\t\t\t<DescriptorFileName>{descriptor}</DescriptorFileName>\n"
        "\t\t\t<ReuseSessions>DontUse</ReuseSessions>\n\t\t\t<SessionMaxAge>20</SessionMaxAge>\n"
        f"\t\t</Properties>\n\t\t<ChildObjects>\n{''.join(ops)}\t\t</ChildObjects>\n"
    )
    return Obj("WebService", name, body)


# ---- the role ----------------------------------------------------------------------------------------

READ = ("Read", "View")
WRITE = ("Read", "Update", "View", "Edit")
POST = ("Read", "Insert", "Update", "Posting", "UndoPosting", "View", "Edit")


def role(name: str, title: str, rights: Sequence[tuple[str, Sequence[str]]]) -> Obj:
    body = (
        f"\t\t<Properties>\n\t\t\t<Name>{name}</Name>\n{synonym(title, 3)}"
        "\t\t\t<Comment/>\n\t\t</Properties>\n"
    )
    objects = "".join(
        f"\t<object>\n\t\t<name>{obj}</name>\n"
        + "".join(
            f"\t\t<right>\n\t\t\t<name>{r}</name>\n\t\t\t<value>true</value>\n\t\t</right>\n" for r in granted
        )
        + "\t</object>\n"
        for obj, granted in rights
    )
    part = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<Rights xmlns="http://v8.1c.ru/8.2/roles" xmlns:xs="http://www.w3.org/2001/XMLSchema"'
        f' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="Rights" version="{FORMAT}">\n'
        "\t<setForNewObjects>false</setForNewObjects>\n\t<setForAttributesByDefault>true</setForAttributesByDefault>\n"
        f"\t<independentRightsOfChildObjects>false</independentRightsOfChildObjects>\n{objects}</Rights>\n"
    )
    return Obj("Role", name, body, {"Ext/Rights.xml": part})


# ---- Configuration.xml ---------------------------------------------------------------------------------


def configuration(name: str, title: str, prefix: str, objects: Iterable[Obj], purpose: str = "AddOn") -> str:
    contained = "".join(
        f"\t\t\t<xr:ContainedObject>\n\t\t\t\t<xr:ClassId>{c}</xr:ClassId>\n"
        f"\t\t\t\t<xr:ObjectId>{uid(name, 'contained', c)}</xr:ObjectId>\n\t\t\t</xr:ContainedObject>\n"
        for c in _CONTAINED_CLASSES
    )
    ordered = sorted(objects, key=lambda o: (_KIND_ORDER.index(o.kind), o.name))
    children = "".join(f"\t\t\t<{o.kind}>{o.name}</{o.kind}>\n" for o in ordered)
    inner = (
        f"\t\t<InternalInfo>\n{contained}\t\t</InternalInfo>\n\t\t<Properties>\n"
        f"\t\t\t<Name>{name}</Name>\n{synonym(title, 3)}\t\t\t<Comment/>\n"
        f"\t\t\t<ConfigurationExtensionPurpose>{purpose}</ConfigurationExtensionPurpose>\n"
        "\t\t\t<ObjectBelonging>Adopted</ObjectBelonging>\n"
        "\t\t\t<KeepMappingToExtendedConfigurationObjectsByIDs>false</KeepMappingToExtendedConfigurationObjectsByIDs>\n"
        f"\t\t\t<NamePrefix>{prefix}</NamePrefix>\n"
        "\t\t\t<ConfigurationExtensionCompatibilityMode>Version8_3_14</ConfigurationExtensionCompatibilityMode>\n"
        "\t\t\t<DefaultRunMode>ManagedApplication</DefaultRunMode>\n\t\t\t<UsePurposes>\n"
        '\t\t\t\t<v8:Value xsi:type="app:ApplicationUsePurpose">PlatformApplication</v8:Value>\n'
        "\t\t\t</UsePurposes>\n\t\t\t<ScriptVariant>Russian</ScriptVariant>\n"
        "\t\t\t<Vendor>onec-bridge</Vendor>\n\t\t\t<Version>1.0.0</Version>\n"
        "\t\t\t<DefaultLanguage>Language.Русский</DefaultLanguage>\n"
        "\t\t\t<BriefInformation/>\n"
        "\t\t\t<DetailedInformation/>\n\t\t\t<Copyright/>\n\t\t\t<VendorInformationAddress/>\n"
        "\t\t\t<ConfigurationInformationAddress/>\n\t\t\t<InterfaceCompatibilityMode>Taxi</InterfaceCompatibilityMode>\n"
        f"\t\t</Properties>\n\t\t<ChildObjects>\n{children}\t\t</ChildObjects>\n"
    )
    head = f'{_HEADER}\t<Configuration uuid="{uid("Configuration", name)}">\n'
    return f"{head}{inner}\t</Configuration>\n</MetaDataObject>\n"


# ---- the two extensions -------------------------------------------------------------------------------

EXTENSION = "ТТ_ТрекерВремени"
TEST_EXTENSION = "ТТ_ТрекерВремениТесты"
MODULES = "ТТ_ИнтеграцияСТрекером"
OUTBOX = "ТТ_Уведомления"
LABOUR = "ТТ_Трудозатраты"
SIGNATURE = "ТТ_Подпись"
READ_ONLY_CATALOGS = (
    "Пользователи",
    "ФизическиеЛица",
    "СтруктурныеЕдиницы",
    "Контрагенты",
    "CRM_СостоянияИнтересов",
)
WATCHED = ("DocumentObject.CRM_Интерес", "CatalogObject.Проекты", "CatalogObject.ЗадачиПроектов")


def extension_objects() -> list[Obj]:
    employee = T("ref", refs=("CatalogRef.Сотрудники",))
    work_type = T("ref", refs=("CatalogRef.Номенклатура",))
    return [
        language(),
        common_module(MODULES, "Интеграция с трекером времени: подключение, секрет, состав OData"),
        common_module(
            MODULES + "ВызовСервера", "Интеграция с трекером времени: настройка из команды", server_call=True
        ),
        common_module(OUTBOX, "Уведомления коннектора об изменениях (очередь и отправка)"),
        common_module(LABOUR, "Трудозатраты из трекера (веб-сервис TimeTracking)"),
        common_module(SIGNATURE, "Подпись HMAC-SHA256"),
        constant("ТТ_ДатаЗапретаИзменения", "Дата запрета изменения трудозатрат", T("datetime")),
        adopted(
            "Document",
            "CRM_Интерес",
            (
                Attr("ТТ_СогласованныеТрудозатраты", HOURS, "Согласованные трудозатраты, ч"),
                Attr("ТТ_ФактическиеТрудозатраты", HOURS, "Фактические трудозатраты (трекер), ч"),
                Attr("ТТ_ПревышениеПлана", BOOL, "Превышение плана трудозатрат"),
                Attr("ТТ_ПодУгрозой", BOOL, "Под угрозой перерасхода (раннее предупреждение)"),
                Attr("ТТ_ПрогнозТрудозатрат", HOURS, "Прогноз трудозатрат к завершению, ч"),
            ),
        ),
        adopted(
            "Document",
            "УчетВремени",
            tables={
                "Операции": (
                    Attr("ТТ_Объект", OBJECT, "Объект трекера"),
                    Attr("ТТ_КлючСтроки", STRING, "Ключ строки коннектора", indexed=False),
                    Attr("ТТ_Доказательства", TEXT, "Скриншоты и активность (ссылка)"),
                )
            },
        ),
        adopted(
            "Catalog",
            "ЗадачиПроектов",
            (
                Attr("ТТ_ФактическиеТрудозатраты", HOURS, "Фактические трудозатраты (трекер), ч"),
                Attr("ТТ_ПревышениеПлана", BOOL, "Превышение плана трудозатрат"),
                Attr("ТТ_ПодУгрозой", BOOL, "Под угрозой перерасхода (раннее предупреждение)"),
                Attr("ТТ_ПрогнозТрудозатрат", HOURS, "Прогноз трудозатрат к завершению, ч"),
            ),
        ),
        adopted("Catalog", "Проекты"),
        adopted("Catalog", "Сотрудники"),
        adopted("Catalog", "Номенклатура"),
        # Adopted only so that the role can grant reading them (a role of an extension can name only
        # objects the extension holds): the people directory, customers and funnel states.
        *(adopted("Catalog", n) for n in READ_ONLY_CATALOGS),
        adopted("Document", "ЭлектронноеПисьмоВходящее"),
        exchange_plan(
            "ТТ_ОбменСТрекером",
            "Обмен с трекером времени",
            ("Document.CRM_Интерес", "Catalog.Проекты", "Catalog.ЗадачиПроектов"),
        ),
        register(
            "ТТ_ТрудозатратыТрекера",
            "Трудозатраты из трекера",
            (Attr("КлючСтроки", T("string", 200), "Ключ строки"),),
            (
                Attr("Сотрудник", employee, "Сотрудник"),
                Attr("Объект", OBJECT, "Объект"),
                Attr("ДатаРабот", T("date"), "Дата работ"),
                Attr("ВидРабот", work_type, "Вид работ"),
                Attr("Минуты", T("number", digits=4), "Минуты"),
                Attr("Оплачиваемые", BOOL, "Оплачиваемые"),
                Attr("Комментарий", TEXT, "Комментарий"),
                Attr("СсылкаНаДоказательства", TEXT, "Ссылка на доказательства"),
                Attr("ИдентификаторПакета", T("string", 100), "Идентификатор пакета"),
            ),
        ),
        register(
            "ТТ_ПакетыТрудозатрат",
            "Загруженные пакеты трудозатрат",
            (Attr("ИдентификаторПакета", T("string", 100), "Идентификатор пакета"),),
            (
                Attr("Хеш", T("string", 64), "SHA-256 содержимого пакета"),
                Attr("Результат", TEXT, "Ответ на пакет (JSON)"),
                Attr("Загружен", T("datetime"), "Загружен"),
            ),
        ),
        register(
            "ТТ_ОчередьУведомлений",
            "Очередь уведомлений коннектора",
            (Attr("Объект", OBJECT, "Объект"),),
            (
                Attr("Добавлено", T("datetime"), "Добавлено (UTC)"),
                Attr("Метка", T("number", digits=20), "Метка записи, мс"),
                Attr("Попыток", T("number", digits=5), "Попыток"),
                Attr("СледующаяПопытка", T("datetime"), "Следующая попытка"),
                Attr("Остановлено", BOOL, "Остановлено"),
                Attr("ПоследняяОшибка", TEXT, "Последняя ошибка"),
            ),
        ),
        event_subscription(
            "ТТ_ЗарегистрироватьИзменение",
            "Трекер: поставить изменение в очередь уведомлений",
            WATCHED,
            "OnWrite",
            f"CommonModule.{OUTBOX}.ЗарегистрироватьИзменениеПриЗаписи",
        ),
        event_subscription(
            "ТТ_ПроверитьДатуЗапрета",
            "Трекер: дата запрета изменения трудозатрат",
            ("DocumentObject.УчетВремени",),
            "BeforeWrite",
            f"CommonModule.{LABOUR}.ПроверитьДатуЗапретаПередЗаписью",
        ),
        scheduled_job(
            "ТТ_ОтправкаУведомлений",
            "Трекер: отправка уведомлений коннектору",
            f"CommonModule.{OUTBOX}.ОтправитьУведомления",
            60,
        ),
        xdto_package("ТТ_ТрудозатратыТрекера"),
        web_service("TimeTracking", "Трудозатраты трекера", "TimeTracking.1cws"),
        common_command("ТТ_НастроитьПодключение", "Настроить подключение к трекеру времени"),
        role(
            "ТТ_ИнтеграцияСТрекером",
            "Интеграция с трекером времени (пользователь коннектора)",
            (
                ("Document.CRM_Интерес", WRITE),
                ("Document.УчетВремени", POST),
                ("Catalog.ЗадачиПроектов", WRITE),
                ("Catalog.Проекты", READ),
                ("Catalog.Сотрудники", READ),
                ("Catalog.Номенклатура", READ),
                ("Catalog.Пользователи", READ),
                ("Catalog.ФизическиеЛица", READ),
                ("Catalog.СтруктурныеЕдиницы", READ),
                ("Catalog.Контрагенты", READ),
                ("Catalog.CRM_СостоянияИнтересов", READ),
                ("Document.ЭлектронноеПисьмоВходящее", READ),
                ("Constant.ТТ_ДатаЗапретаИзменения", READ),
                ("ExchangePlan.ТТ_ОбменСТрекером", ("Read", "Update", "View")),
                ("InformationRegister.ТТ_ТрудозатратыТрекера", ("Read", "Update", "View")),
                ("InformationRegister.ТТ_ПакетыТрудозатрат", ("Read", "Update", "View")),
                ("WebService.TimeTracking.Operation.PutLabour", ("Use",)),
                ("WebService.TimeTracking.Operation.GetLabour", ("Use",)),
            ),
        ),
    ]


def test_objects() -> list[Obj]:
    return [
        language(),
        common_module("ОМ_ТТ_Подпись", "Тесты: HMAC-SHA256 (RFC 4231)"),
        common_module("ОМ_ТТ_Уведомления", "Тесты: тело уведомления и расписание повторов"),
        common_module("ОМ_ТТ_Трудозатраты", "Тесты: PutLabour — идемпотентность и правила"),
    ]


def dump(root: Path, name: str, title: str, prefix: str, objects: list[Obj], purpose: str) -> dict[Path, str]:
    files = {root / "Configuration.xml": configuration(name, title, prefix, objects, purpose)}
    for o in objects:
        folder = root / FOLDERS[o.kind]
        files[folder / f"{o.name}.xml"] = _object(o.kind, o.name, o.body)
        for part, text in o.parts.items():
            files[folder / o.name / part] = text
    return files


def all_files() -> dict[Path, str]:
    files = dump(KIT / "extension", EXTENSION, "Трекер времени", "ТТ_", extension_objects(), "AddOn")
    files |= dump(KIT / "tests", TEST_EXTENSION, "Трекер времени: тесты", "ОМ_", test_objects(), "AddOn")
    return files


def _bom(text: str) -> bytes:
    return "\ufeff".encode() + text.encode("utf-8")


def main(argv: list[str]) -> int:
    check = "--check" in argv
    stale = []
    for path, text in all_files().items():
        data = _bom(text)
        if path.exists() and path.read_bytes() == data:
            continue
        stale.append(path)
        if not check:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
    if check and stale:
        print("the dump differs from onec_kit/generate.py; run `make kit`:", file=sys.stderr)
        for p in stale:
            print(f"  {p.relative_to(KIT.parent)}", file=sys.stderr)
        return 1
    if not check:
        print(f"{len(stale)} file(s) written under {KIT}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
