"""A built-in description of the 1C:CRM entity sets the connector reads (docs: crm-model.md).

Offline validation checks mappings against it; ``--online`` replaces it with the base's own
``$metadata``. Navigation properties follow 1C's rule: ``X_Key`` is expanded as ``X``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

_COMMON = ("Ref_Key", "DataVersion", "DeletionMark")
_CATALOG = (*_COMMON, "Code", "Description")
_DOCUMENT = (*_COMMON, "Number", "Date", "Posted")


@dataclass(frozen=True)
class EntitySet:
    """Fields, tabular sections (name → row fields) and navigation (name → target entity set)."""

    name: str
    fields: frozenset[str]
    tabular: dict[str, frozenset[str]] = field(default_factory=dict)
    navigation: dict[str, str] = field(default_factory=dict)

    def has_field(self, name: str) -> bool:
        return name in self.fields or name in self.tabular or name in self.navigation


def _set(
    name: str,
    base: tuple[str, ...],
    fields: str,
    tabular: dict[str, str] | None = None,
    refs: dict[str, str] | None = None,
) -> EntitySet:
    refs = refs or {}
    all_fields = set(base) | set(fields.split()) | {f"{nav}_Key" for nav in refs}
    tabs = {tab: frozenset(("LineNumber", *cols.split())) for tab, cols in (tabular or {}).items()}
    return EntitySet(name, frozenset(all_fields), tabs, dict(refs))


USERS, DEPTS, CUSTOMERS = "Catalog_Пользователи", "Catalog_СтруктурныеЕдиницы", "Catalog_Контрагенты"

BUILTIN: dict[str, EntitySet] = {
    s.name: s
    for s in (
        _set(
            USERS,
            _CATALOG,
            "Недействителен Служебный CRM_ЕмейлДляСинхронизации",
            {"КонтактнаяИнформация": "Тип АдресЭП Представление"},
            {"ФизическоеЛицо": "Catalog_ФизическиеЛица", "Подразделение": DEPTS},
        ),
        _set("Catalog_ФизическиеЛица", _CATALOG, ""),
        _set(
            "Catalog_Сотрудники",
            _CATALOG,
            "Недействителен ВАрхиве",
            None,
            {"ФизическоеЛицо": "Catalog_ФизическиеЛица"},
        ),
        _set(DEPTS, _CATALOG, ""),
        _set(CUSTOMERS, _CATALOG, "ИНН"),
        _set("Catalog_CRM_СостоянияИнтересов", _CATALOG, "Завершен"),
        _set(
            "Document_CRM_Интерес",
            _DOCUMENT,
            "Тема Содержание ВидИнтереса ДокументОснование ДокументОснование_Type "
            "ТТ_СогласованныеТрудозатраты ТТ_ФактическиеТрудозатраты ТТ_ПревышениеПлана ТТ_ПодУгрозой "
            "ТТ_ПрогнозТрудозатрат",
            {"Соисполнители": "Пользователь_Key Роль"},
            {"Партнер": CUSTOMERS, "Ответственный": USERS, "Состояние": "Catalog_CRM_СостоянияИнтересов"},
        ),
        _set("Document_ЭлектронноеПисьмоВходящее", _DOCUMENT, "Тема Текст ОтправительАдрес ДатаПолучения"),
        _set(
            "Catalog_Проекты",
            _CATALOG,
            "ДатаНачала ДатаОкончания Завершен Недействителен",
            None,
            {"Контрагент": CUSTOMERS, "Ответственный": USERS},
        ),
        _set(
            "Catalog_ЗадачиПроектов",
            _CATALOG,
            "IsFolder Стадия ПлановаяДатаНачала ПлановаяПродолжительность ДатаОкончания ПроцентВыполнения "
            "Закрыта ПлановыеТрудозатраты ТТ_ФактическиеТрудозатраты ТТ_ПревышениеПлана ТТ_ПодУгрозой "
            "ТТ_ПрогнозТрудозатрат",
            {"Участники": "Пользователь_Key ПлановыеТрудозатраты"},
            {"Owner": "Catalog_Проекты", "Parent": "Catalog_ЗадачиПроектов", "Исполнитель": USERS},
        ),
        _set("Catalog_Номенклатура", _CATALOG, "ЭтоУслуга"),
        _set(
            "Document_УчетВремени",
            _DOCUMENT,
            "ДатаС ДатаПо Комментарий",
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
