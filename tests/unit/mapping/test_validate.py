import json
from pathlib import Path

import pytest

from connector.mapping import MappingError, load_mappings, mapping_json_schema
from tests.unit.mapping.conftest import EXAMPLES, line_no, replace_in


def _error(directory: Path) -> str:
    with pytest.raises(MappingError) as err:
        load_mappings(directory)
    return str(err.value)


def test_shipped_examples_validate_against_the_builtin_crm_model() -> None:
    names = {m.name: m for m in load_mappings(EXAMPLES)}
    assert set(names) == {"service", "projects", "sales"}
    assert {t.title for t in names["sales"].static_tasks} == {
        "Коммерческая деятельность",
        "Администрирование",
        "Самообучение",
        "Перерыв",
    }


def test_yaml_syntax_error_names_file_and_line(mapping_dir: Path) -> None:
    path = mapping_dir / "service.yaml"
    replace_in(path, "  expand: [Партнер, Состояние]", "  expand: [Партнер, Состояние")
    message = _error(mapping_dir)
    assert message.count("\n") == 0
    assert message.startswith(f"{path}:")
    assert "YAML syntax error" in message and "fix the YAML" in message


def test_unknown_key_names_line_field_and_suggests_the_right_key(mapping_dir: Path) -> None:
    path = mapping_dir / "service.yaml"
    replace_in(path, "  closed_when:", "  closed_wehn:")
    assert _error(mapping_dir) == (
        f"{path}:{line_no(path, 'closed_wehn')}: task.closed_wehn: Extra inputs are not permitted — "
        "remove it or write 'closed_when' (`onec-bridge validate --schema` lists the keys)"
    )


def test_template_referencing_a_field_missing_from_select(mapping_dir: Path) -> None:
    path = mapping_dir / "service.yaml"
    replace_in(path, 'title: "[{{ Number }}]', 'title: "[{{ Номер }}]')
    message = _error(mapping_dir)
    assert message.startswith(f"{path}:{line_no(path, 'title:')}: task.title: template uses 'Номер', ")
    assert "not in source.select/expand" in message


def test_template_into_a_reference_that_is_not_expanded(mapping_dir: Path) -> None:
    path = mapping_dir / "service.yaml"
    replace_in(path, "  expand: [Партнер, Состояние]", "  expand: [Состояние]")
    message = _error(mapping_dir)
    assert f"{path}:{line_no(path, 'title:')}: task.title: template uses 'Партнер'" in message
    assert "add 'Партнер' to source.expand" in message


def test_template_syntax_error_is_reported_not_raised(mapping_dir: Path) -> None:
    path = mapping_dir / "service.yaml"
    replace_in(path, 'code: "SRV-{{ Number }}"', 'code: "SRV-{{ Number }"')
    assert f"{path}:{line_no(path, 'code:')}: task.code: template syntax error" in _error(mapping_dir)


def test_rounding_unit_zero(mapping_dir: Path) -> None:
    path = mapping_dir / "service.yaml"
    replace_in(path, "unit_minutes: 15", "unit_minutes: 0")
    assert _error(mapping_dir) == (
        f"{path}:{line_no(path, 'unit_minutes')}: labour.rounding.unit_minutes: "
        "Input should be greater than 0 — use a value above 0"
    )


def test_duplicate_static_task_code_across_files(mapping_dir: Path) -> None:
    extra = mapping_dir / "sales-extra.yaml"
    extra.write_text(
        "name: sales-extra\ncategory: sales\nstatic_tasks:\n"
        "  - code: SALES-BREAK\n    title: Обед\n"
        "    work_type: {description: Перерыв}\n    department: {description: Отдел продаж}\n",
        encoding="utf-8",
    )
    sales = mapping_dir / "sales.yaml"
    assert _error(mapping_dir) == (
        f"{sales}:{line_no(sales, 'code: SALES-BREAK')}: static_tasks[3].code: duplicate task code "
        f"'SALES-BREAK' (also at {extra}:4) — task codes must be unique across all mapping files"
    )


def test_duplicate_mapping_name(mapping_dir: Path) -> None:
    (mapping_dir / "service2.yaml").write_text(
        (mapping_dir / "service.yaml").read_text(encoding="utf-8").replace('"SRV-', '"SRV2-'),
        encoding="utf-8",
    )
    assert "service2.yaml:2: name: duplicate mapping name 'service'" in _error(mapping_dir)


def test_assignee_path_into_a_missing_tabular_section(mapping_dir: Path) -> None:
    path = mapping_dir / "service.yaml"
    replace_in(path, "    - Соисполнители[].Пользователь_Key", "    - Участники[].Пользователь_Key")
    assert _error(mapping_dir) == (
        f"{path}:{line_no(path, 'Участники[]')}: task.assignees[1]: Document_CRM_Интерес has no tabular "
        "section 'Участники' — use one of: Соисполнители"
    )


def test_unknown_entity_set_and_misspelt_field(mapping_dir: Path) -> None:
    path = mapping_dir / "projects.yaml"
    replace_in(path, "    - Закрыта\n", "    - Закрыт\n")
    message = _error(mapping_dir)
    assert (
        f"{path}:{line_no(path, '- Закрыт')}: source.select[7]: Catalog_ЗадачиПроектов has no field 'Закрыт'"
        in message
    )
    assert "did you mean 'Закрыта'?" in message


def test_every_problem_of_every_file_is_reported_at_once(mapping_dir: Path) -> None:
    replace_in(mapping_dir / "service.yaml", "unit_minutes: 15", "unit_minutes: 0")
    replace_in(mapping_dir / "projects.yaml", "channel: soap", "channel: fax")
    lines = _error(mapping_dir).splitlines()
    assert len(lines) == 2
    assert "labour.channel: Input should be 'odata_timesheet' or 'soap'" in lines[0]
    assert lines[0].startswith(str(mapping_dir / "projects.yaml"))


def test_schedule_without_interval_and_bad_cron(mapping_dir: Path) -> None:
    path = mapping_dir / "projects.yaml"
    replace_in(path, "      interval: 1m\n", "")
    replace_in(path, "*/30 * * * *", "every half hour")
    message = _error(mapping_dir)
    assert "source.change_detection[0]: exchange_plan detection needs an interval" in message
    assert "source.change_detection[1].cron: 'every half hour' is not a crontab line" in message


def test_json_schema_is_serialisable_and_forbids_unknown_keys() -> None:
    schema = mapping_json_schema()
    json.dumps(schema, ensure_ascii=False)
    assert schema["additionalProperties"] is False
    assert set(schema["properties"]) >= {"name", "category", "source", "task", "static_tasks", "labour"}
