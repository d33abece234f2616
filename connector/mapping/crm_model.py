"""A built-in description of the 1C:CRM entity sets the connector reads (docs: crm-model.md).

Offline validation checks mappings against it; ``--online`` replaces it with the base's own
``$metadata``. Navigation properties follow 1C's rule: ``X_Key`` is expanded as ``X``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

_COMMON = ("Ref_Key", "DataVersion", "DeletionMark")
_CATALOG = (*_COMMON, "Code", "Description")
_DOCUMENT = (*_COMMON, "Number", "Date", "Posted")


FieldKind = Literal["key", "ref", "bool", "number", "date", "enum", "string"]
"""What a field holds, as far as a condition on it can be told to 1C: ``key`` (``Ref_Key``),
``ref`` (a ``X_Key`` reference), ``bool``, ``number``, ``date``, ``enum`` (an enumeration, served
as the member's name), ``string``. A field without a kind (a composite value, a field the model
does not know the type of) is never part of a filter sent to 1C."""


@dataclass(frozen=True)
class EntitySet:
    """Fields, tabular sections (name → row fields), navigation (name → target entity set), the
    kind of each field whose type is known and the members of enumerations."""

    name: str
    fields: frozenset[str]
    tabular: dict[str, frozenset[str]] = field(default_factory=dict)
    navigation: dict[str, str] = field(default_factory=dict)
    kinds: dict[str, FieldKind] = field(default_factory=dict)
    members: dict[str, frozenset[str]] = field(default_factory=dict)

    def has_field(self, name: str) -> bool:
        return name in self.fields or name in self.tabular or name in self.navigation


_BASE_KINDS: dict[str, FieldKind] = {
    "Ref_Key": "key",
    "DataVersion": "string",
    "DeletionMark": "bool",
    "Code": "string",
    "Description": "string",
    "Number": "string",
    "Date": "date",
    "Posted": "bool",
}


def _set(
    name: str,
    base: tuple[str, ...],
    fields: str,
    tabular: dict[str, str] | None = None,
    refs: dict[str, str] | None = None,
    members: dict[str, tuple[str, ...]] | None = None,
) -> EntitySet:
    """``fields`` are ``Name:kind`` words (a bare ``Name`` has no known kind); ``X_Key`` of every
    navigation ``X`` is a reference."""
    refs = refs or {}
    kinds: dict[str, FieldKind] = {b: _BASE_KINDS[b] for b in base}
    plain: set[str] = set()
    for word in fields.split():
        fname, _, kind = word.partition(":")
        plain.add(fname)
        if kind:
            kinds[fname] = kind  # type: ignore[assignment]
    kinds.update({f"{nav}_Key": "ref" for nav in refs})
    all_fields = set(base) | plain | {f"{nav}_Key" for nav in refs}
    tabs = {tab: frozenset(("LineNumber", *cols.split())) for tab, cols in (tabular or {}).items()}
    enum = {f: frozenset(m) for f, m in (members or {}).items()}
    return EntitySet(name, frozenset(all_fields), tabs, dict(refs), kinds, enum)


STAGES = ("НеЗапланирована", "Запланирована", "Выполняется", "Приостановлена", "Выполнена", "Проверена")
INTEREST_KINDS = ("Продажа", "Сервис")


USERS, DEPTS, CUSTOMERS = "Catalog_Пользователи", "Catalog_СтруктурныеЕдиницы", "Catalog_Контрагенты"

BUILTIN: dict[str, EntitySet] = {
    s.name: s
    for s in (
        _set(
            USERS,
            _CATALOG,
            "Недействителен:bool Служебный:bool CRM_ЕмейлДляСинхронизации:string",
            {"КонтактнаяИнформация": "Тип АдресЭП Представление"},
            {"ФизическоеЛицо": "Catalog_ФизическиеЛица", "Подразделение": DEPTS},
        ),
        _set("Catalog_ФизическиеЛица", _CATALOG, ""),
        _set(
            "Catalog_Сотрудники",
            _CATALOG,
            "Недействителен:bool ВАрхиве:bool",
            None,
            {"ФизическоеЛицо": "Catalog_ФизическиеЛица"},
        ),
        _set(DEPTS, _CATALOG, ""),
        _set(CUSTOMERS, _CATALOG, "ИНН:string"),
        _set("Catalog_CRM_СостоянияИнтересов", _CATALOG, "Завершен:bool"),
        _set(
            "Document_CRM_Интерес",
            _DOCUMENT,
            "Тема:string Содержание:string ВидИнтереса:enum ДокументОснование ДокументОснование_Type "
            "ТТ_СогласованныеТрудозатраты:number ТТ_ФактическиеТрудозатраты:number ТТ_ПревышениеПлана:bool "
            "ТТ_ПодУгрозой:bool ТТ_ПрогнозТрудозатрат:number",
            {"Соисполнители": "Пользователь_Key Роль"},
            {"Партнер": CUSTOMERS, "Ответственный": USERS, "Состояние": "Catalog_CRM_СостоянияИнтересов"},
            {"ВидИнтереса": INTEREST_KINDS},
        ),
        _set(
            "Document_ЭлектронноеПисьмоВходящее",
            _DOCUMENT,
            "Тема:string Текст:string ОтправительАдрес:string ДатаПолучения:date",
        ),
        _set(
            "Catalog_Проекты",
            _CATALOG,
            "ДатаНачала:date ДатаОкончания:date Завершен:bool Недействителен:bool",
            None,
            {"Контрагент": CUSTOMERS, "Ответственный": USERS},
        ),
        _set(
            "Catalog_ЗадачиПроектов",
            _CATALOG,
            "IsFolder:bool Стадия:enum ПлановаяДатаНачала:date ПлановаяПродолжительность:number "
            "ДатаОкончания:date ПроцентВыполнения:number Закрыта:bool ПлановыеТрудозатраты:number "
            "ТТ_ФактическиеТрудозатраты:number ТТ_ПревышениеПлана:bool ТТ_ПодУгрозой:bool "
            "ТТ_ПрогнозТрудозатрат:number",
            {"Участники": "Пользователь_Key ПлановыеТрудозатраты"},
            {"Owner": "Catalog_Проекты", "Parent": "Catalog_ЗадачиПроектов", "Исполнитель": USERS},
            {"Стадия": STAGES},
        ),
        _set("Catalog_Номенклатура", _CATALOG, "ЭтоУслуга:bool"),
        _set(
            "Document_УчетВремени",
            _DOCUMENT,
            "ДатаС:date ДатаПо:date Комментарий:string",
            {
                "Операции": "ВидРабот_Key Заказчик Заказчик_Type ПнДлительность ВтДлительность "
                "СрДлительность "
                "ЧтДлительность ПтДлительность СбДлительность ВсДлительность Всего Комментарий "
                "ТТ_Объект ТТ_Объект_Type ТТ_КлючСтроки ТТ_Доказательства"
            },
            {"Сотрудник": "Catalog_Сотрудники"},
        ),
    )
}
