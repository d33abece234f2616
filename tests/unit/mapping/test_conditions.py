"""``server_filter``: the task conditions of a mapping told to 1C as ``$filter`` where their meaning
survives, the rest reported as checked in the connector (never an error)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from connector.mapping import load_mappings
from connector.mapping.conditions import EMPTY_GUID, condition_bounds, describe, render, server_filter
from connector.mapping.crm_model import BUILTIN
from connector.mapping.online import entity_sets
from connector.mapping.schema import Mapping
from tests.unit.mapping.conftest import EXAMPLES

MAPS = {m.name: m for m in load_mappings(Path(EXAMPLES))}
TASKS = BUILTIN["Catalog_ЗадачиПроектов"]
INTERESTS = BUILTIN["Document_CRM_Интерес"]
NO_STATE = f"Состояние_Key eq guid'{EMPTY_GUID}'"


def with_task(m: Mapping, **changes: Any) -> Mapping:
    assert m.task is not None
    return m.model_copy(update={"task": m.task.model_copy(update=changes)})


def bounds(
    text: str, es: Any = TASKS, expand: tuple[str, ...] = ("Owner",)
) -> tuple[str, str, bool, list[str]]:
    b, loose = condition_bounds(text, es, BUILTIN, frozenset(expand))
    return render(b.upper), render(b.lower), b.exact, loose


def test_the_shipped_mappings_are_filtered_in_1c_exactly() -> None:
    projects, service = server_filter(MAPS["projects"]), server_filter(MAPS["service"])
    assert projects.exact and service.exact
    assert projects.text == (
        "(IsFolder eq false and DeletionMark eq false) and (Стадия ne 'НеЗапланирована' and "
        "Закрыта ne true and Стадия ne 'Выполнена' and Стадия ne 'Проверена')"
    )
    assert service.text == (
        f"(ВидИнтереса eq 'Сервис' and DeletionMark eq false) and ({NO_STATE} or Состояние/Завершен ne true)"
    )
    assert projects.in_connector == service.in_connector == ()


def test_deleted_objects_are_filtered_out_once() -> None:
    bare = MAPS["service"].model_copy(
        update={"source": MAPS["service"].source.model_copy(update={"filter": "ВидИнтереса eq 'Сервис'"})}  # type: ignore[union-attr]
    )
    assert "DeletionMark eq false" in (server_filter(bare).compiled or "")
    assert "DeletionMark" not in (server_filter(MAPS["service"]).compiled or "")


@pytest.mark.parametrize(
    ("text", "upper"),
    [
        ("Закрыта", "Закрыта eq true"),
        ("not Закрыта", "Закрыта ne true"),
        ("Закрыта == false", "Закрыта eq false"),
        ("Закрыта is true", "Закрыта eq true"),
        ("ПроцентВыполнения", "ПроцентВыполнения ne 0"),
        ("ПроцентВыполнения >= 50", "ПроцентВыполнения ge 50"),
        ("100 > ПроцентВыполнения", "ПроцентВыполнения lt 100"),
        ("ПроцентВыполнения != -2.5", "ПроцентВыполнения ne -2.5"),
        ("ПроцентВыполнения in [10, 20]", "ПроцентВыполнения eq 10 or ПроцентВыполнения eq 20"),
        ("ДатаОкончания", "ДатаОкончания ne datetime'0001-01-01T00:00:00'"),
        ("ДатаОкончания is none", "ДатаОкончания eq datetime'0001-01-01T00:00:00'"),
        ("Исполнитель_Key", f"Исполнитель_Key ne guid'{EMPTY_GUID}'"),
        ("Исполнитель_Key == none", f"Исполнитель_Key eq guid'{EMPTY_GUID}'"),
        (
            "Исполнитель_Key == 'c333e861-5fb8-416c-a720-797d32ebd689'",
            "Исполнитель_Key eq guid'c333e861-5fb8-416c-a720-797d32ebd689'",
        ),
        ("Стадия", "Стадия ne ''"),
        ("Стадия not in ['Выполнена', 'Проверена']", "Стадия ne 'Выполнена' and Стадия ne 'Проверена'"),
        ("Owner", f"Owner_Key ne guid'{EMPTY_GUID}'"),
        ("Owner is none", f"Owner_Key eq guid'{EMPTY_GUID}'"),
        ("Owner.Завершен", f"Owner_Key ne guid'{EMPTY_GUID}' and Owner/Завершен eq true"),
        ("not Owner.Завершен", f"Owner_Key eq guid'{EMPTY_GUID}' or Owner/Завершен ne true"),
        (
            "Закрыта and (IsFolder or not Закрыта)",
            "Закрыта eq true and (IsFolder eq true or Закрыта ne true)",
        ),
        ("true", "true"),
        ("Ref_Key", "true"),
        ("Стадия == 'Нет такой'", "startswith(Стадия,'Нет такой')"),
    ],
)
def test_conditions_1c_can_evaluate(text: str, upper: str) -> None:
    got_upper, got_lower, exact, loose = bounds(text)
    assert got_upper == upper
    if text != "Стадия == 'Нет такой'":
        assert exact and got_lower == upper and loose == []


def test_an_enumeration_member_compares_exactly_a_free_string_only_from_one_side() -> None:
    assert bounds("Стадия == 'Выполнена'")[:3] == ("Стадия eq 'Выполнена'",) * 2 + (True,)
    # 1C compares strings without regard to case and may ignore the padding of fixed-length
    # strings: `==` becomes `startswith` (more objects, the connector drops the rest)
    upper, lower, exact, loose = bounds("Owner.Code == 'ПР-0001'")
    assert upper == f"Owner_Key ne guid'{EMPTY_GUID}' and startswith(Owner/Code,'ПР-0001')"
    assert (lower, exact) == ("false", False) and "case-insensitively" in loose[0]
    upper, lower, exact, _ = bounds("Description != 'Этап'")
    assert (upper, lower, exact) == ("true", "not (startswith(Description,'Этап'))", False)
    assert bounds("Description == 'с пробелом '")[:3] == ("false", "false", True)  # values are stripped
    assert bounds("Description")[:3] == ("Description ne ''", "false", False)


@pytest.mark.parametrize(
    "text",
    [
        "Description|length > 3",
        "'этап' in Description",
        "Description.startswith('Э')",
        "ПроцентВыполнения > ПлановыеТрудозатраты",
        "ПроцентВыполнения + 1 > 2",
        "0 < ПроцентВыполнения < 100",
        "Закрыта == 1",
        "ДатаОкончания > '2025-01-01'",
        "Участники",
        "Неизвестное",
        "Description == 'a%b'",
        "Стадия if Закрыта else IsFolder",
        "Owner.Контрагент_Key.x",
    ],
)
def test_what_1c_cannot_be_told_stays_in_the_connector(text: str) -> None:
    upper, lower, exact, loose = bounds(text)
    assert (upper, lower, exact) == ("true", "false", False)
    assert loose and all("(" in item for item in loose), "each part says why"


def test_a_loose_part_keeps_the_rest_in_1c() -> None:
    m = with_task(
        MAPS["projects"],
        open_when="Стадия != 'НеЗапланирована' and Description|length > 3",
        closed_when="Закрыта or Description.startswith('Архив')",
    )
    sf = server_filter(m)
    assert not sf.exact
    assert sf.compiled == "Стадия ne 'НеЗапланирована' and Закрыта ne true"
    assert any("open_when: Description|length" in part for part in sf.in_connector)
    assert any("closed_when: Description.startswith" in part for part in sf.in_connector)
    lines = describe(sf)
    assert lines[0].startswith("filtered in 1C: source.filter: IsFolder eq false")
    assert "open_when: Стадия != 'НеЗапланирована' and Description|length > 3 (in part)" in lines[0]
    assert lines[1].startswith("checked in the connector only: open_when: Description|length > 3")


def test_a_mapping_that_can_keep_nothing_asks_1c_for_nothing() -> None:
    sf = server_filter(with_task(MAPS["projects"], open_when="false", closed_when=None))
    assert sf.exact and sf.compiled == f"Ref_Key eq guid'{EMPTY_GUID}'"


def test_an_unknown_entity_set_keeps_every_condition_in_the_connector() -> None:
    sf = server_filter(MAPS["service"], {})
    assert sf.compiled is None and sf.text == MAPS["service"].source.filter  # type: ignore[union-attr]
    assert not sf.exact and sf.in_connector


class _Published:
    def __init__(self, properties: dict[str, str], navigation: frozenset[str] = frozenset()) -> None:
        self.properties = properties
        self.navigation = navigation


def test_kinds_come_from_the_published_metadata_with_the_models_enumeration_members() -> None:
    published = {
        "Catalog_ЗадачиПроектов": _Published(
            {
                "Ref_Key": "Edm.Guid",
                "DeletionMark": "Edm.Boolean",
                "IsFolder": "Edm.Boolean",
                "Стадия": "Edm.String",
                "Закрыта": "Edm.Boolean",
                "Owner_Key": "Edm.Guid",
                "Основание": "Edm.String",
                "Основание_Type": "Edm.String",
                "ПроцентВыполнения": "Edm.Double",
            },
            frozenset({"Owner"}),
        )
    }
    sets = entity_sets(published)
    es = sets["Catalog_ЗадачиПроектов"]
    assert es.kinds["Стадия"] == "enum" and "Выполнена" in es.members["Стадия"]
    assert es.kinds["Owner_Key"] == "ref" and es.kinds["Ref_Key"] == "key"
    assert "Основание" not in es.kinds, "a composite value is never filtered on"
    # a field the base does not publish (ПлановыеТрудозатраты) stays in the connector
    m = with_task(MAPS["projects"], open_when="ПлановыеТрудозатраты > 0 and not Закрыта", closed_when=None)
    sf = server_filter(m, sets)
    assert sf.compiled == "Закрыта ne true"
    assert not sf.exact and any("ПлановыеТрудозатраты" in p for p in sf.in_connector)


def test_interest_conditions_on_expanded_references() -> None:
    upper, lower, exact, _ = bounds("Состояние and Состояние.Завершен", INTERESTS, ("Партнер", "Состояние"))
    assert exact and upper == lower == f"Состояние_Key ne guid'{EMPTY_GUID}' and Состояние/Завершен eq true"
    # not expanded: the connector has no such name (Jinja would fail), nothing is told to 1C
    assert bounds("Состояние.Завершен", INTERESTS, ())[:3] == ("true", "false", False)
