"""The hot-path helpers of transform: one reused Jinja context per template, and the fields a
mapping reads (what transform unpads and shows to templates)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from jinja2 import UndefinedError

from connector.mapping import load_mappings
from connector.mapping.compiled import fields_read
from connector.mapping.templates import ENV, render_reusing_context
from tests.unit.mapping.conftest import EXAMPLES

MAPS = {m.name: m for m in load_mappings(Path(EXAMPLES))}


@pytest.mark.parametrize(
    ("source", "data"),
    [
        ("SRV-{{ Number }}", {"Number": "7"}),
        ("{{ P.Description if P else 'нет' }}: {{ T }}", {"P": None, "T": "тема"}),
        ("{{ P.Description if P else 'нет' }}: {{ T }}", {"P": {"Description": "ООО"}, "T": "x"}),
        ("{% for r in Rows %}{{ r.N }},{% endfor %}", {"Rows": [{"N": 1}, {"N": 2}]}),
        ("{{ '%.1f' | format(H) }} {{ H * 60 }}", {"H": 2.5}),
    ],
)
def test_reused_context_renders_exactly_as_render(source: str, data: dict[str, Any]) -> None:
    template = ENV.from_string(source)
    for _ in range(2):
        assert render_reusing_context(template, dict(data)) == template.render(data)


def test_a_set_variable_does_not_leak_into_the_next_render() -> None:
    template = ENV.from_string("{% if A %}{% set x = 'seen' %}{% endif %}{{ x | default('none') }}")
    assert render_reusing_context(template, {"A": True}) == "seen"
    assert render_reusing_context(template, {"A": False}) == "none"


def test_a_missing_field_raises_as_render_does_and_the_next_render_is_clean() -> None:
    template = ENV.from_string("{{ Number }}-{{ Code }}")
    with pytest.raises(UndefinedError, match="Code"):
        render_reusing_context(template, {"Number": "1"})
    assert render_reusing_context(template, {"Number": "1", "Code": "2"}) == "1-2"


def test_threads_render_the_same_template_without_seeing_each_other() -> None:
    template = ENV.from_string("{% set mine = N %}{% for _ in range(50) %}{{ mine }}{% endfor %}")
    wrong: list[str] = []

    def work(n: int) -> None:
        for _ in range(200):
            data = {"N": n, "range": range}
            if render_reusing_context(template, data) != str(n) * 50:
                wrong.append(str(n))

    threads = [threading.Thread(target=work, args=(n,)) for n in range(1, 5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert wrong == []


def test_fields_read_are_the_template_condition_assignee_plan_parent_and_customer_fields() -> None:
    assert fields_read(MAPS["service"]) == {
        "Ref_Key",
        "DeletionMark",
        "Партнер",
        "Партнер_Key",
        "Number",
        "Тема",
        "Содержание",
        "Состояние",
        "Ответственный_Key",
        "Соисполнители",
        "ТТ_СогласованныеТрудозатраты",
    }
    projects = fields_read(MAPS["projects"])
    assert {"Owner", "Owner_Key", "Code", "Description", "Стадия", "Закрыта", "Участники"} <= projects
    assert "DataVersion" not in projects and "Date" not in fields_read(MAPS["service"])


def test_fields_read_follow_a_customer_path_into_an_expanded_reference() -> None:
    service = MAPS["service"]
    assert service.labour is not None
    custom = service.model_copy(
        update={"labour": service.labour.model_copy(update={"customer_field": "Договор/Контрагент_Key"})}
    )
    assert {"Договор"} <= fields_read(custom)
