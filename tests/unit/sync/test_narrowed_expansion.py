"""Narrowing expanded references (``$select=Nav/Field``) never changes a task: every object of a
seeded base, shaped by the mock 1C's own query projection once with whole expansions (the
mapping's select plus the nav names, as before) and once with ``mapping_select``, transforms to
equal results (every ``TaskSpec`` field, skips and their messages) for the shipped mappings and
variants that read more of the references. Empty references, padded strings and deletion marks
are mixed into the base so every branch of the templates is taken."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC
from pathlib import Path
from typing import Any

import pytest

from connector.mapping import load_mappings
from connector.mapping.schema import Mapping
from connector.onec.values import typed_entity
from connector.sync.core.directory import DEPARTMENTS, EMPLOYEES, USERS, UserDirectory, build_directory
from connector.sync.core.transform import transform
from connector.sync.inbound.items import mapping_select
from mock_1c.infobase import InfoBase
from mock_1c.odata.query import projector
from mock_1c.schema import EMPTY_REF, ENTITY_SETS
from mock_1c.seed import SeedCounts, generate
from tests.unit.mapping.conftest import EXAMPLES

MAPS = {m.name: m for m in load_mappings(Path(EXAMPLES))}


def _base() -> InfoBase:
    data = generate(7, SeedCounts.for_scale("small"))
    for i, obj in enumerate(data["Document_CRM_Интерес"].values()):
        if i % 5 == 1:
            obj["Партнер_Key"] = EMPTY_REF
        if i % 7 == 2:
            obj["Состояние_Key"] = EMPTY_REF
        if i % 11 == 3:
            obj["DeletionMark"] = True
    for i, obj in enumerate(data["Catalog_ЗадачиПроектов"].values()):
        if i % 6 == 1:
            obj["Owner_Key"] = EMPTY_REF
    for name in ("Catalog_Контрагенты", "Catalog_Проекты", "Catalog_CRM_СостоянияИнтересов"):
        for obj in data[name].values():
            obj["Description"] = f"{obj['Description']}   "
    return InfoBase(data)


BASE = _base()


def _rows(ib: InfoBase, entity_set: str, select: list[str], expand: list[str]) -> list[dict[str, Any]]:
    project = projector(
        ib, ENTITY_SETS[entity_set], ",".join(select) or None, ",".join(expand) or None, nav_links=True
    )
    return [typed_entity(json.loads(json.dumps(project(e))), UTC) for e in ib.entities(entity_set)]


def _directory(ib: InfoBase) -> UserDirectory:
    return build_directory(*(_rows(ib, name, [], []) for name in (USERS, DEPARTMENTS, EMPLOYEES)))


def _variants() -> list[tuple[str, Mapping]]:
    service, projects = MAPS["service"], MAPS["projects"]
    assert service.task is not None and projects.task is not None and projects.labour is not None
    return [
        ("service", service),
        ("projects", projects),
        (
            "service, more partner and state fields",
            service.model_copy(
                update={
                    "task": service.task.model_copy(
                        update={
                            "title": "{{ Партнер.ИНН if Партнер else '-' }} {{ Партнер.Code if Партнер }}"
                            " / {{ Состояние.Description if Состояние else 'нет' }}",
                            "open_when": "Состояние",
                        }
                    )
                }
            ),
        ),
        (
            "service, partner printed whole",
            service.model_copy(
                update={"task": service.task.model_copy(update={"description": "{{ Партнер }}"})}
            ),
        ),
        (
            "projects, customer of the project",
            projects.model_copy(
                update={
                    "labour": projects.labour.model_copy(update={"customer_field": "Owner/Контрагент_Key"})
                }
            ),
        ),
    ]


@pytest.mark.parametrize(("label", "mapping"), _variants(), ids=[v[0] for v in _variants()])
def test_narrowed_rows_give_the_same_tasks_as_whole_expansions(label: str, mapping: Mapping) -> None:
    source = mapping.source
    assert source is not None
    narrowed_select = mapping_select(mapping)
    whole_select = list(dict.fromkeys([*source.select, *source.expand]))
    whole = _rows(BASE, source.entity_set, whole_select, source.expand)
    narrow = _rows(BASE, source.entity_set, narrowed_select, source.expand)
    directory = _directory(BASE)
    tasks = 0
    for full_obj, narrow_obj in zip(whole, narrow, strict=True):
        expected = transform(mapping, full_obj, directory)
        got = transform(mapping, narrow_obj, directory)
        if expected.spec is not None and got.spec is not None:
            assert dataclasses.asdict(got.spec) == dataclasses.asdict(expected.spec), label
            tasks += 1
        assert got == expected, label
    assert tasks > 20


@pytest.mark.parametrize("name", ["service", "projects"])
def test_the_shipped_mappings_really_get_smaller_references(name: str) -> None:
    """Guards the comparison above against comparing two whole expansions."""
    m = MAPS[name]
    assert m.source is not None
    narrow = _rows(BASE, m.source.entity_set, mapping_select(m), m.source.expand)
    whole = _rows(BASE, m.source.entity_set, [*m.source.select, *m.source.expand], m.source.expand)
    for nav in m.source.expand:
        wanted = {s.split("/", 1)[1] for s in mapping_select(m) if s.startswith(nav + "/")}
        assert wanted
        narrow_keys = {key for row in narrow if isinstance(row.get(nav), dict) for key in row[nav]}
        whole_keys = {key for row in whole if isinstance(row.get(nav), dict) for key in row[nav]}
        assert narrow_keys == wanted
        assert wanted < whole_keys
    empty_refs = [row for row in narrow if any(row.get(nav) is None for nav in m.source.expand)]
    assert empty_refs, "the base mixes in empty references"
