"""Transform: mapping + 1C object + directory → TaskSpec or a named skip (pure, no servers)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from connector.mapping.schema import Mapping
from connector.mapping.validate import load_mappings
from connector.sync.core.directory import build_directory, user_email
from connector.sync.core.transform import onec_url, static_specs, transform

MAPPINGS = {m.name: m for m in load_mappings(Path(__file__).resolve().parents[3] / "mappings")}
ANNA, BORIS, CYRIL, GONE = (
    "11111111-1111-1111-1111-111111111111",
    "22222222-2222-2222-2222-222222222222",
    "33333333-3333-3333-3333-333333333333",
    "44444444-4444-4444-4444-444444444444",
)
SALES_DEP = "99999999-9999-9999-9999-999999999999"
DIRECTORY = build_directory(
    users=[
        {
            "Ref_Key": ANNA,
            "Description": "Анна",
            "CRM_ЕмейлДляСинхронизации": "Anna@Vektor.ru",
            "Подразделение_Key": SALES_DEP,
        },
        {
            "Ref_Key": BORIS,
            "Description": "Борис",
            "Подразделение_Key": SALES_DEP,
            "КонтактнаяИнформация": [
                {"Тип": "Телефон", "Представление": "+7"},
                {"Тип": "АдресЭлектроннойПочты", "АдресЭП": "BORIS@x.ru"},
            ],
        },
        {"Ref_Key": CYRIL, "Description": "Кирилл", "Подразделение_Key": SALES_DEP},
        {
            "Ref_Key": GONE,
            "Description": "Ушёл",
            "Недействителен": True,
            "CRM_ЕмейлДляСинхронизации": "g@x.ru",
        },
    ],
    departments=[{"Ref_Key": SALES_DEP, "Description": "Отдел продаж"}],
)


def interest(**changes: Any) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "Ref_Key": "bf7b539b-0f9a-4a4b-8acd-4e10bc594585",
        "DataVersion": "AAAADAAAAAA=",
        "DeletionMark": False,
        "Number": "CRM-000512",
        "Тема": "Не проводится документ",
        "Содержание": "Ошибка при проведении",
        "Партнер": {"Description": "ООО «Ромашка»"},
        "Состояние": {"Description": "В работе", "Завершен": False},
        "Ответственный_Key": ANNA,
        "Соисполнители": [{"Пользователь_Key": BORIS}, {"Пользователь_Key": CYRIL}],
        "ТТ_СогласованныеТрудозатраты": 2.5,
    }
    obj.update(changes)
    return obj


def test_service_interest_becomes_an_open_task_with_mapped_assignees() -> None:
    t = transform(MAPPINGS["service"], interest(), DIRECTORY)
    assert t.skip is None and t.spec is not None
    spec = t.spec
    assert spec.code == "SRV-CRM-000512"
    assert spec.title == "[CRM-000512] ООО «Ромашка»: Не проводится документ"
    assert spec.status == "open" and spec.planned_minutes == 150 and spec.customer == "ООО «Ромашка»"
    assert [a.email for a in spec.assignees] == ["anna@vektor.ru", "boris@x.ru"]
    assert t.unmapped == (CYRIL,)
    assert spec.onec_url == "e1cib/data/Документ.CRM_Интерес?ref=bf7b539b0f9a4a4b8acd4e10bc594585"


def test_finished_state_or_deletion_mark_closes_the_task() -> None:
    done = transform(
        MAPPINGS["service"], interest(Состояние={"Description": "Отказ", "Завершен": True}), DIRECTORY
    )
    assert done.spec is not None and done.spec.status == "closed"
    marked = transform(MAPPINGS["service"], interest(DeletionMark=True), DIRECTORY)
    assert marked.spec is not None and marked.spec.status == "closed"


def test_missing_field_is_a_template_error_naming_it() -> None:
    obj = interest()
    del obj["Партнер"]
    t = transform(MAPPINGS["service"], obj, DIRECTORY)
    assert t.spec is None and t.skip == "template_error" and "Партнер" in t.detail


def test_an_interest_from_an_email_without_a_partner_or_responsible_still_becomes_a_task() -> None:
    t = transform(
        MAPPINGS["service"], interest(Партнер=None, Ответственный_Key=None, Соисполнители=[]), DIRECTORY
    )
    assert t.skip is None and t.spec is not None
    assert t.spec.title == "[CRM-000512] без контрагента: Не проводится документ"
    assert t.spec.status == "open" and t.spec.customer is None and t.spec.assignees == ()


def test_inactive_user_is_unmapped_not_assigned() -> None:
    t = transform(MAPPINGS["service"], interest(Ответственный_Key=GONE, Соисполнители=[]), DIRECTORY)
    assert t.spec is not None and t.spec.assignees == () and t.unmapped == (GONE,)
    assert DIRECTORY.excluded[GONE] == "inactive"


def project_task(**changes: Any) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "Ref_Key": "9918ee46-1497-4658-b010-f7197e695d0d",
        "DeletionMark": False,
        "Code": "000000004",
        "Description": "Склад: настройка",
        "Owner_Key": "e88da719-2624-4b40-a5cb-63a2398d1ca6",
        "Owner": {"Code": "ПР-0001  ", "Description": "Внедрение 1С:CRM"},
        "Стадия": "Выполняется",
        "Закрыта": False,
        "Исполнитель_Key": BORIS,
        "Участники": [{"Пользователь_Key": ANNA, "ПлановыеТрудозатраты": 4}],
        "ПлановыеТрудозатраты": 12,
    }
    obj.update(changes)
    return obj


def test_project_task_code_has_no_1c_padding_and_names_the_project() -> None:
    t = transform(MAPPINGS["projects"], project_task(), DIRECTORY)
    assert t.spec is not None
    assert t.spec.code == "PRJ-ПР-0001-000000004"
    assert t.spec.project == "Внедрение 1С:CRM" and t.spec.planned_minutes == 720
    assert t.spec.onec_url is not None and t.spec.onec_url.startswith(
        "e1cib/data/Справочник.ЗадачиПроектов?ref="
    )


@pytest.mark.parametrize(
    ("stage", "closed", "ignored"),
    [
        ("НеЗапланирована", False, True),
        ("Выполнена", False, False),
        ("Выполняется", True, False),
    ],
)
def test_project_stage_lifecycle(stage: str, closed: bool, ignored: bool) -> None:
    t = transform(MAPPINGS["projects"], project_task(Стадия=stage, Закрыта=closed), DIRECTORY)
    assert t.spec is not None and t.ignored is ignored
    assert t.spec.status == ("open" if stage == "Выполняется" and not closed else "closed")


def test_static_sales_tasks_go_to_every_department_user_with_an_email() -> None:
    result = static_specs(MAPPINGS["sales"], DIRECTORY)
    assert [s.code for s in result.specs] == [
        "SALES-COMMERCIAL",
        "SALES-ADMIN",
        "SALES-LEARNING",
        "SALES-BREAK",
    ]
    assert {a.email for a in result.specs[0].assignees} == {"anna@vektor.ru", "boris@x.ru"}
    assert result.unmapped == (CYRIL,) and result.missing_departments == ()
    assert all(s.onec_ref is None and s.status == "open" for s in result.specs)


def test_static_tasks_report_an_unknown_department() -> None:
    empty = build_directory(users=[])
    assert static_specs(MAPPINGS["sales"], empty).missing_departments == ("Отдел продаж",)


def test_user_email_prefers_the_sync_field_and_lower_cases() -> None:
    assert user_email({"CRM_ЕмейлДляСинхронизации": " X@Y.RU ", "КонтактнаяИнформация": []}) == "x@y.ru"
    assert user_email({"КонтактнаяИнформация": [{"Тип": "Телефон", "Представление": "1"}]}) is None


def test_onec_url_for_unknown_classes_and_bad_refs_is_none() -> None:
    assert onec_url("InformationRegister_X", "bf7b539b-0f9a-4a4b-8acd-4e10bc594585") is None
    assert onec_url("Document_X", "not-a-guid") is None


def test_mapping_without_task_is_refused() -> None:
    sales: Mapping = MAPPINGS["sales"]
    with pytest.raises(ValueError, match="static tasks only"):
        transform(sales, interest(), DIRECTORY)


def test_transform_and_directory_import_no_io_modules() -> None:
    code = (
        "import sys\nimport connector.sync.core.transform, connector.sync.core.directory\n"
        "print(sorted(m for m in ['requests', 'httpx', 'sqlalchemy', 'fastapi', 'connector.onec',"
        " 'connector.store'] if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize(
    ("mapping", "changes"),
    [
        ("service", {}),
        ("service", {"Состояние": {"Description": "Отказ", "Завершен": True}}),
        ("service", {"DeletionMark": True}),
        ("service", {"Партнер": None, "Тема": "разделитель \x1f внутри  "}),
        ("service", {"Number": "   "}),
    ],
)
def test_the_one_render_fast_path_gives_exactly_the_part_by_part_result(
    mapping: str, changes: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    obj = interest(**changes)
    fast = transform(MAPPINGS[mapping], obj, DIRECTORY)
    monkeypatch.setattr("connector.sync.core.transform._fast_parts", lambda task, data: None)
    assert transform(MAPPINGS[mapping], obj, DIRECTORY) == fast


@pytest.mark.parametrize("stage", ["НеЗапланирована", "Выполнена", "ВРаботе"])
def test_fast_path_matches_for_project_stages(stage: str, monkeypatch: pytest.MonkeyPatch) -> None:
    obj = project_task(Стадия=stage)
    fast = transform(MAPPINGS["projects"], obj, DIRECTORY)
    monkeypatch.setattr("connector.sync.core.transform._fast_parts", lambda task, data: None)
    assert transform(MAPPINGS["projects"], obj, DIRECTORY) == fast


def test_padding_of_fields_the_mapping_does_not_read_changes_nothing() -> None:
    plain = transform(MAPPINGS["service"], interest(), DIRECTORY)
    padded = transform(MAPPINGS["service"], interest(Date="2024-01-01T00:00:00", Лишнее="x   "), DIRECTORY)
    assert plain == padded and plain.spec is not None and plain.spec.title.endswith("документ")
    spaced = transform(MAPPINGS["service"], interest(Number="CRM-000512   ", Тема="Тема   "), DIRECTORY)
    assert spaced.spec is not None and spaced.spec.code == "SRV-CRM-000512"
    assert spaced.spec.title.endswith(": Тема")


def test_templates_using_jinja_globals_and_filters_take_the_fast_path(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    base = MAPPINGS["service"]
    assert base.task is not None
    task = base.task.model_copy(
        update={
            "title": "{% for i in range(2) %}{{ Тема | upper }}{% endfor %}",
            "description": "{{ Number }}",
        }
    )
    mapping = base.model_copy(update={"task": task})
    calls: list[int] = []
    monkeypatch.setattr("connector.sync.core.transform._slow_parts", lambda *a: calls.append(1))
    result = transform(mapping, interest(Тема="ab "), DIRECTORY)
    assert result.spec is not None and result.spec.title == "ABAB" and calls == []


def test_onec_url_accepts_what_uuid_accepts() -> None:
    ref = "BF7B539B-0F9A-4A4B-8ACD-4E10BC594585"
    expected = "e1cib/data/Документ.CRM_Интерес?ref=bf7b539b0f9a4a4b8acd4e10bc594585"
    assert onec_url("Document_CRM_Интерес", ref) == expected
    assert onec_url("Document_CRM_Интерес", "{" + ref + "}") == expected
    assert onec_url("Document_CRM_Интерес", "bf7b539b-0f9a-4a4b-8acd-4e10bc59458g") is None
    assert onec_url("Document_CRM_Интерес", "bf7b539b-0f9a-4a4b-8acd-4e10bc5945_5") is None
