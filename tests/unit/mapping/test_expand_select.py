"""``expand_select``: which fields of each expanded reference a mapping reads, so that 1C is asked
for ``Nav/Field`` instead of whole referenced objects; ``None`` (whole expansion) wherever the
analysis cannot tell. ``mapping_select`` turns that into the ``$select`` list."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from connector.mapping import load_mappings
from connector.mapping.compiled import expand_select, read_plan
from connector.mapping.crm_model import BUILTIN, EntitySet
from connector.mapping.schema import Mapping
from connector.sync.inbound.items import mapping_select
from tests.unit.mapping.conftest import EXAMPLES

MAPS = {m.name: m for m in load_mappings(Path(EXAMPLES))}


def with_task(m: Mapping, **changes: Any) -> Mapping:
    assert m.task is not None
    return m.model_copy(update={"task": m.task.model_copy(update=changes)})


def with_customer(m: Mapping, customer_field: str) -> Mapping:
    assert m.labour is not None
    return m.model_copy(update={"labour": m.labour.model_copy(update={"customer_field": customer_field})})


def with_source(m: Mapping, **changes: Any) -> Mapping:
    assert m.source is not None
    return m.model_copy(update={"source": m.source.model_copy(update=changes)})


def test_shipped_mappings_ask_only_for_the_fields_their_templates_read() -> None:
    assert expand_select(MAPS["service"]) == {"Партнер": ("Description",), "Состояние": ("Завершен",)}
    assert expand_select(MAPS["projects"]) == {"Owner": ("Code", "Description")}
    assert expand_select(MAPS["sales"]) == {}


def test_the_select_list_names_nav_fields_instead_of_whole_references() -> None:
    select = mapping_select(MAPS["service"])
    assert select[-2:] == ["Партнер/Description", "Состояние/Завершен"]
    assert "Партнер" not in select and "Состояние" not in select
    assert {"Ref_Key", "DataVersion", "Партнер_Key", "Состояние_Key", "Соисполнители"} <= set(select)
    assert mapping_select(MAPS["projects"])[-2:] == ["Owner/Code", "Owner/Description"]


@pytest.mark.parametrize(
    "title",
    [
        "{{ Партнер }}",  # printed whole
        "{{ Партнер | string }}",  # through a filter
        "{% for k in Партнер %}{{ k }}{% endfor %}",  # looped over
        "{{ Партнер['Description'] }}",  # subscript
        "{{ Партнер.items() }}",  # a dict method
    ],
)
def test_a_reference_used_whole_keeps_the_whole_expansion(title: str) -> None:
    m = with_task(MAPS["service"], title=title)
    assert expand_select(m)["Партнер"] is None
    assert "Партнер" in mapping_select(m)
    assert not any(s.startswith("Партнер/") for s in mapping_select(m))
    assert expand_select(m)["Состояние"] == ("Завершен",)


def test_implied_description_and_named_fields_are_merged() -> None:
    m = with_task(MAPS["service"], title="{{ Партнер.ИНН }} {{ Состояние.Description }}")
    assert expand_select(m) == {"Партнер": ("ИНН", "Description"), "Состояние": ("Description", "Завершен")}


def test_a_reference_only_tested_for_truth_asks_for_its_ref_key() -> None:
    m = with_task(MAPS["service"], closed_when="Состояние", title="{{ Number }}")
    assert expand_select(m)["Состояние"] == ("Ref_Key",)
    assert expand_select(m)["Партнер"] == ("Description",)  # the default customer's name


def test_a_reference_of_the_referenced_object_is_not_asked_for() -> None:
    """1C expands one level: ``Owner.Контрагент`` is never in the answer, ``Owner.Контрагент_Key`` is."""
    m = with_customer(MAPS["projects"], "Owner/Контрагент_Key")
    assert expand_select(m) == {"Owner": ("Code", "Description", "Контрагент_Key")}
    plan = read_plan(m)["Owner"]
    assert plan["Контрагент"] == {"Description": "*"}  # transform still looks, finds nothing


def test_a_field_the_model_does_not_know_keeps_the_whole_expansion() -> None:
    m = with_task(MAPS["service"], title="{{ Партнер.НетТакогоПоля }}")
    assert expand_select(m)["Партнер"] is None


def test_an_unknown_entity_set_or_navigation_keeps_the_whole_expansion() -> None:
    unknown_set = with_source(MAPS["service"], entity_set="Document_Другой")
    assert expand_select(unknown_set) == {"Партнер": None, "Состояние": None}
    unknown_nav = with_source(MAPS["service"], expand=["Партнер", "Договор"])
    assert expand_select(unknown_nav) == {"Партнер": ("Description",), "Договор": None}
    assert "Договор" in mapping_select(unknown_nav)


def test_the_model_given_decides_which_implied_fields_exist() -> None:
    """A referenced set without ``Description`` is not asked for one (1C would refuse the query)."""
    sets = dict(BUILTIN)
    for name in ("Catalog_CRM_СостоянияИнтересов", "Catalog_Контрагенты"):
        sets[name] = EntitySet(name, BUILTIN[name].fields - {"Description"})
    m = with_task(MAPS["service"], title="{{ Number }}")
    assert expand_select(m, sets) == {"Партнер": ("Ref_Key",), "Состояние": ("Завершен",)}


def test_a_mapping_without_select_still_reads_everything() -> None:
    m = with_source(MAPS["service"], select=[])
    assert mapping_select(m) == []


def test_a_nav_named_in_select_is_not_also_named_whole() -> None:
    assert MAPS["service"].source is not None
    m = with_source(MAPS["service"], select=[*MAPS["service"].source.select, "Партнер"])
    select = mapping_select(m)
    assert "Партнер" not in select and "Партнер/Description" in select
