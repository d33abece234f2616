"""The published metadata of the mock base: entity sets, their fields and tabular sections.

Everything that depends on "what does this 1C object look like" (the $metadata document, value
checks on writes, $select, navigation links, the JSON shape of the seed) reads from here, so the
served data and the advertised metadata cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

EMPTY_REF = "00000000-0000-0000-0000-000000000000"
EMPTY_DATE = "0001-01-01T00:00:00"
UNDEFINED_TYPE = "StandardODATA.Undefined"

FieldKind = Literal["string", "fixed", "bool", "decimal", "int64", "date", "ref", "composite", "enum", "guid"]
SetKind = Literal[
    "Catalog", "Document", "InformationRegister", "AccumulationRegister", "Constant", "ExchangePlan"
]

EDM_TYPES: dict[str, str] = {
    "string": "Edm.String",
    "fixed": "Edm.String",
    "bool": "Edm.Boolean",
    "decimal": "Edm.Double",
    "int64": "Edm.Int64",
    "date": "Edm.DateTime",
    "ref": "Edm.Guid",
    "guid": "Edm.Guid",
    "composite": "Edm.String",
    "enum": "Edm.String",
}


@dataclass(frozen=True)
class Field:
    """One 1C attribute. ``name`` is the 1C name; a reference is served as ``name + "_Key"``."""

    name: str
    kind: FieldKind
    target: str = ""
    length: int = 0
    members: tuple[str, ...] = ()

    @property
    def json_names(self) -> tuple[str, ...]:
        if self.kind == "ref":
            return (self.name + "_Key",)
        if self.kind == "composite":
            return (self.name, self.name + "_Type")
        return (self.name,)

    def default(self) -> object:
        return {
            "string": "",
            "fixed": " " * self.length,
            "bool": False,
            "decimal": 0,
            "int64": "0",
            "date": EMPTY_DATE,
            "ref": EMPTY_REF,
            "guid": EMPTY_REF,
            "composite": "",
            "enum": "",
        }[self.kind]


@dataclass(frozen=True)
class EntitySet:
    name: str
    kind: SetKind
    fields: tuple[Field, ...]
    tables: dict[str, tuple[Field, ...]] = field(default_factory=dict)
    code_length: int = 0
    hierarchical: bool = False
    owner: str = ""
    key_fields: tuple[str, ...] = ("Ref_Key",)
    published: bool = True

    @property
    def is_object(self) -> bool:
        """Objects have a Ref_Key, DataVersion and can be written one by one."""
        return self.kind in ("Catalog", "Document", "ExchangePlan")

    def standard_fields(self) -> tuple[Field, ...]:
        if self.kind in ("Catalog", "ExchangePlan"):
            out = [Field("Ref_Key", "guid"), Field("DataVersion", "string"), Field("DeletionMark", "bool")]
            if self.hierarchical:
                out += [Field("Parent", "ref", self.name), Field("IsFolder", "bool")]
            if self.owner:
                out.append(Field("Owner", "ref", self.owner))
            if self.code_length:
                out.append(Field("Code", "fixed", length=self.code_length))
            out.append(Field("Description", "string"))
            if self.kind == "Catalog":
                out += [Field("Predefined", "bool"), Field("PredefinedDataName", "string")]
            return tuple(out)
        if self.kind == "Document":
            return (
                Field("Ref_Key", "guid"),
                Field("DataVersion", "string"),
                Field("DeletionMark", "bool"),
                Field("Number", "string"),
                Field("Date", "date"),
                Field("Posted", "bool"),
            )
        return ()

    def all_fields(self) -> tuple[Field, ...]:
        return self.standard_fields() + self.fields

    def json_properties(self) -> dict[str, Field]:
        """Every property name a JSON entity of this set has, mapped to its field."""
        out: dict[str, Field] = {}
        for f in self.all_fields():
            for n in f.json_names:
                out[n] = f
        return out

    def ref_fields(self) -> tuple[Field, ...]:
        return tuple(f for f in self.all_fields() if f.kind == "ref")

    def blank(self) -> dict[str, object]:
        """An entity with every property at its empty value (tabular sections empty)."""
        out: dict[str, object] = {}
        for f in self.all_fields():
            if f.kind == "composite":
                out[f.name] = ""
                out[f.name + "_Type"] = UNDEFINED_TYPE
            else:
                out[f.json_names[0]] = f.default()
        for t in self.tables:
            out[t] = []
        return out


def F(name: str, kind: FieldKind = "string", target: str = "", **kw: object) -> Field:
    return Field(name, kind, target, **kw)  # type: ignore[arg-type]


STAGES = ("НеЗапланирована", "Запланирована", "Выполняется", "Приостановлена", "Выполнена", "Проверена")
INTEREST_KINDS = ("Продажа", "Сервис")
DAY_FIELDS = ("Пн", "Вт", "Ср", "Чт", "Пт", "Сб", "Вс")
LABOUR_REGISTER = "InformationRegister_ТТ_ТрудозатратыТрекера"
ACCUMULATION_REGISTER = "AccumulationRegister_ЗаданияНаРаботу_RecordType"
CLOSING_DATE = "Constant_ТТ_ДатаЗапретаИзменения"
EXCHANGE_PLAN = "ExchangePlan_ТТ_ОбменСТрекером"
TIMESHEET = "Document_УчетВремени"

_SETS: list[EntitySet] = [
    EntitySet("Catalog_СтруктурныеЕдиницы", "Catalog", (), code_length=9),
    EntitySet("Catalog_ФизическиеЛица", "Catalog", (F("ДатаРождения", "date"),), code_length=9),
    EntitySet(
        "Catalog_Пользователи",
        "Catalog",
        (
            F("ФизическоеЛицо", "ref", "Catalog_ФизическиеЛица"),
            F("Подразделение", "ref", "Catalog_СтруктурныеЕдиницы"),
            F("Недействителен", "bool"),
            F("Служебный", "bool"),
            F("CRM_ЕмейлДляСинхронизации"),
        ),
        tables={"КонтактнаяИнформация": (F("Тип"), F("АдресЭП"), F("Представление"))},
    ),
    EntitySet(
        "Catalog_Сотрудники",
        "Catalog",
        (
            F("ФизическоеЛицо", "ref", "Catalog_ФизическиеЛица"),
            F("Недействителен", "bool"),
            F("ВАрхиве", "bool"),
        ),
        code_length=9,
    ),
    EntitySet("Catalog_Контрагенты", "Catalog", (F("ИНН"),), code_length=9),
    EntitySet("Catalog_CRM_СостоянияИнтересов", "Catalog", (F("Завершен", "bool"),), code_length=9),
    EntitySet("Catalog_Номенклатура", "Catalog", (F("ЭтоУслуга", "bool"),), code_length=11),
    EntitySet(
        "Catalog_Проекты",
        "Catalog",
        (
            F("Контрагент", "ref", "Catalog_Контрагенты"),
            F("Ответственный", "ref", "Catalog_Пользователи"),
            F("ДатаНачала", "date"),
            F("ДатаОкончания", "date"),
            F("Завершен", "bool"),
            F("Недействителен", "bool"),
        ),
        code_length=9,
    ),
    EntitySet(
        "Catalog_ЗадачиПроектов",
        "Catalog",
        (
            F("Стадия", "enum", members=STAGES),
            F("Исполнитель", "ref", "Catalog_Пользователи"),
            F("ПлановаяДатаНачала", "date"),
            F("ПлановаяПродолжительность", "decimal"),
            F("ДатаОкончания", "date"),
            F("ПроцентВыполнения", "decimal"),
            F("Закрыта", "bool"),
            F("ПлановыеТрудозатраты", "decimal"),
            F("ТТ_ФактическиеТрудозатраты", "decimal"),
            F("ТТ_ПревышениеПлана", "bool"),
            F("ТТ_ПодУгрозой", "bool"),
            F("ТТ_ПрогнозТрудозатрат", "decimal"),
        ),
        tables={
            "Участники": (
                F("Пользователь", "ref", "Catalog_Пользователи"),
                F("ПлановыеТрудозатраты", "decimal"),
            )
        },
        code_length=9,
        hierarchical=True,
        owner="Catalog_Проекты",
    ),
    EntitySet(
        "Document_ЭлектронноеПисьмоВходящее",
        "Document",
        (F("Тема"), F("Текст"), F("ОтправительАдрес"), F("ДатаПолучения", "date")),
    ),
    EntitySet(
        "Document_CRM_Интерес",
        "Document",
        (
            F("Тема"),
            F("Содержание"),
            F("ВидИнтереса", "enum", members=INTEREST_KINDS),
            F("Партнер", "ref", "Catalog_Контрагенты"),
            F("Ответственный", "ref", "Catalog_Пользователи"),
            F("Состояние", "ref", "Catalog_CRM_СостоянияИнтересов"),
            F("ДокументОснование", "composite"),
            F("ТТ_СогласованныеТрудозатраты", "decimal"),
            F("ТТ_ФактическиеТрудозатраты", "decimal"),
            F("ТТ_ПревышениеПлана", "bool"),
            F("ТТ_ПодУгрозой", "bool"),
            F("ТТ_ПрогнозТрудозатрат", "decimal"),
        ),
        tables={"Соисполнители": (F("Пользователь", "ref", "Catalog_Пользователи"), F("Роль"))},
    ),
    EntitySet(
        TIMESHEET,
        "Document",
        (
            F("Сотрудник", "ref", "Catalog_Сотрудники"),
            F("ДатаС", "date"),
            F("ДатаПо", "date"),
            F("Комментарий"),
        ),
        tables={
            "Операции": (
                F("ВидРабот", "ref", "Catalog_Номенклатура"),
                F("Заказчик", "composite"),
                *(F(d + "Длительность", "decimal") for d in DAY_FIELDS),
                F("Всего", "decimal"),
                F("Комментарий"),
                F("ТТ_Объект", "composite"),
                F("ТТ_КлючСтроки"),
                F("ТТ_Доказательства"),
            )
        },
    ),
    EntitySet(
        ACCUMULATION_REGISTER,
        "AccumulationRegister",
        (
            F("Recorder", "composite"),
            F("Period", "date"),
            F("LineNumber", "int64"),
            F("Active", "bool"),
            F("Сотрудник", "ref", "Catalog_Сотрудники"),
            F("ВидРабот", "ref", "Catalog_Номенклатура"),
            F("Контрагент", "ref", "Catalog_Контрагенты"),
            F("ЗагрузкаФакт", "decimal"),
        ),
        key_fields=("Recorder", "LineNumber"),
        published=False,
    ),
    EntitySet(
        LABOUR_REGISTER,
        "InformationRegister",
        (
            F("КлючСтроки"),
            F("Сотрудник", "ref", "Catalog_Сотрудники"),
            F("Объект", "composite"),
            F("ДатаРабот", "date"),
            F("ВидРабот", "ref", "Catalog_Номенклатура"),
            F("Минуты", "decimal"),
            F("Оплачиваемые", "bool"),
            F("Комментарий"),
            F("СсылкаНаДоказательства"),
            F("ИдентификаторПакета"),
        ),
        key_fields=("КлючСтроки",),
        published=False,
    ),
    EntitySet(CLOSING_DATE, "Constant", (F("Value", "date"),), key_fields=(), published=False),
    EntitySet(
        EXCHANGE_PLAN,
        "ExchangePlan",
        (F("SentNo", "int64"), F("ReceivedNo", "int64")),
        code_length=9,
        published=False,
    ),
]

ENTITY_SETS: dict[str, EntitySet] = {s.name: s for s in _SETS}


def table_set_name(entity_set: str, table: str) -> str:
    """The OData name of a tabular section's row set, e.g. ``Document_X_Операции``."""
    return f"{entity_set}_{table}"


def table_owner(name: str) -> tuple[EntitySet, str] | None:
    """(owner set, section) when ``name`` names a tabular section's row set, else None."""
    for s in _SETS:
        for t in s.tables:
            if name == table_set_name(s.name, t):
                return s, t
    return None
