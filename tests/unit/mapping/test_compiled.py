from pathlib import Path

import pytest

from connector.mapping import (
    assignee_refs,
    load_mappings,
    parent_ref,
    planned_minutes,
    render_code,
    render_description,
    render_title,
    task_state,
)
from connector.mapping.compiled import EMPTY_REF
from connector.mapping.schema import Mapping
from connector.mapping.templates import TemplateProblem, render
from tests.unit.mapping.conftest import EXAMPLES

U1, U2, U3 = (f"{n}{n}{n}{n}{n}{n}{n}{n}-0000-0000-0000-000000000000" for n in (1, 2, 3))


@pytest.fixture(scope="module")
def maps() -> dict[str, Mapping]:
    return {m.name: m for m in load_mappings(Path(EXAMPLES))}


def _interest(**kw: object) -> dict[str, object]:
    obj: dict[str, object] = {
        "Ref_Key": "aaaaaaaa-0000-0000-0000-000000000000",
        "Number": "CRM-000512",
        "Тема": "Не печатается счёт",
        "Содержание": "После обновления счёт не выводится на печать.",
        "Партнер": {"Description": "ООО «Ромашка»"},
        "Состояние": {"Description": "В работе", "Завершен": False},
        "Ответственный_Key": U1,
        "Соисполнители": [{"Пользователь_Key": U2, "Роль": "Консультант"}, {"Пользователь_Key": U1}],
        "ТТ_СогласованныеТрудозатраты": 2.5,
        "DeletionMark": False,
    }
    obj.update(kw)
    return obj


def test_service_interest_renders_with_cyrillic_fields_and_expanded_partner(maps: dict[str, Mapping]) -> None:
    m = maps["service"]
    obj = _interest()
    assert render_code(m, obj) == "SRV-CRM-000512"
    assert render_title(m, obj) == "[CRM-000512] ООО «Ромашка»: Не печатается счёт"
    assert render_description(m, obj).startswith("После обновления")


def test_assignees_come_from_field_and_tabular_section_without_duplicates_or_empty_refs(
    maps: dict[str, Mapping],
) -> None:
    m = maps["service"]
    assert assignee_refs(m, _interest()) == [U1, U2]
    assert assignee_refs(m, _interest(Ответственный_Key=EMPTY_REF, Соисполнители=[])) == []


def test_planned_hours_become_minutes(maps: dict[str, Mapping]) -> None:
    assert planned_minutes(maps["service"], _interest()) == 150
    assert planned_minutes(maps["service"], _interest(ТТ_СогласованныеТрудозатраты=0)) is None
    with pytest.raises(TemplateProblem, match="not a number"):
        planned_minutes(maps["service"], _interest(ТТ_СогласованныеТрудозатраты="много"))


def test_state_follows_the_funnel_and_deletion(maps: dict[str, Mapping]) -> None:
    m = maps["service"]
    assert task_state(m, _interest()) == "open"
    assert task_state(m, _interest(Состояние={"Завершен": True})) == "closed"
    assert task_state(m, _interest(DeletionMark=True)) == "closed"


def test_project_task_lifecycle_and_parent(maps: dict[str, Mapping]) -> None:
    m = maps["projects"]
    stage = {
        "Code": "000000042",
        "Description": "Перенос данных",
        "Owner": {"Code": "ПР-0001", "Description": "Внедрение 1С:CRM — Ромашка"},
        "Owner_Key": U3,
        "Стадия": "Выполняется",
        "Закрыта": False,
        "Исполнитель_Key": U1,
        "Участники": [{"Пользователь_Key": U2, "ПлановыеТрудозатраты": 8}],
        "ПлановыеТрудозатраты": 8,
    }
    assert render_code(m, stage) == "PRJ-ПР-0001-000000042"
    assert render_title(m, stage) == "Внедрение 1С:CRM — Ромашка / Перенос данных"
    assert assignee_refs(m, stage) == [U1, U2]
    assert planned_minutes(m, stage) == 480
    assert parent_ref(m, stage) == U3
    assert task_state(m, stage) == "open"
    assert task_state(m, {**stage, "Стадия": "НеЗапланирована"}) == "ignored"
    assert task_state(m, {**stage, "Стадия": "Проверена"}) == "closed"


def test_missing_field_is_an_error_naming_it_not_an_empty_string(maps: dict[str, Mapping]) -> None:
    obj = _interest()
    del obj["Партнер"]
    with pytest.raises(TemplateProblem, match="'Партнер' is undefined"):
        render_title(maps["service"], obj)


def test_sandbox_refuses_unsafe_attribute_access() -> None:
    with pytest.raises(TemplateProblem, match="unsafe"):
        render("{{ x.__class__.__mro__ }}", {"x": 1})


def test_planned_dates_reach_the_progress_signal_as_the_odata_client_gives_them(
    maps: dict[str, Mapping],
) -> None:
    """1C dates arrive from the OData client as datetimes (raw JSON as text): both become ISO days;
    1C's empty date (0001-01-01) is no date."""
    from datetime import datetime

    from connector.mapping.compiled import progress_values

    mapping = maps["projects"]
    as_client = {
        "ПроцентВыполнения": 40,
        "ПлановаяДатаНачала": datetime(2026, 3, 2, 0, 0),
        "ДатаОкончания": datetime(1, 1, 1, 0, 0),
    }
    assert dict(progress_values(mapping, as_client)) == {"percent_done": 40.0, "planned_start": "2026-03-02"}
    as_json = {"ПлановаяДатаНачала": "2026-03-02T00:00:00", "ДатаОкончания": "2026-04-30T00:00:00"}
    assert dict(progress_values(mapping, as_json)) == {
        "planned_start": "2026-03-02",
        "planned_finish": "2026-04-30",
    }
