"""1C is asked only for what a mapping keeps: the compiled ``$filter`` against the real mock 1C.

The objects 1C returns for ``server_filter(mapping).text`` contain every object the connector's
own evaluation of the conditions keeps (transform, on every object of the set), and exactly those
(objects whose conditions fail to evaluate aside) when the compiler says the filter is exact —
for the shipped mappings and for conditions Hypothesis makes up over the mock's fields. A full
sync then reads the kept objects plus, by ref, the objects of open tasks the filter no longer
returns, and closes those tasks; a condition 1C refuses is checked in the connector only.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connector.mapping import load_mappings
from connector.mapping.conditions import server_filter
from connector.mapping.schema import Mapping
from connector.onec.client import ODataClient
from connector.runtime import Runtime
from connector.sync.core.directory import UserDirectory
from connector.sync.core.transform import transform
from connector.sync.inbound.engine import InboundEngine
from connector.sync.inbound.items import mapping_select
from connector.sync.inbound.read import MAX_QUERY_STRING, MappingFilter
from testbed.mock1c import MockOneC
from tests.integration.inbound.helpers import (
    admin_create,
    admin_delete,
    admin_patch,
    links,
    onec_objects,
    runtime_for,
)
from tests.support.mock1c import running_mock_1c

MAPPINGS_DIR = Path(__file__).resolve().parents[3] / "mappings"
MAPS = {m.name: m for m in load_mappings(MAPPINGS_DIR)}
INTERESTS = "Document_CRM_Интерес"
TASKS = "Catalog_ЗадачиПроектов"
STATES = "Catalog_CRM_СостоянияИнтересов"
EMPTY_REF = "00000000-0000-0000-0000-000000000000"
OPS = ["==", "!=", "<", "<=", ">", ">="]


@pytest.fixture(scope="module")
def base() -> Iterator[MockOneC]:
    """A small mock base with a few objects at the edges (no partner or state, padded and
    differently cased strings, zero hours, a deletion mark); the property tests only read it."""
    with running_mock_1c() as mock:
        template = onec_objects(mock, INTERESTS, "ВидИнтереса eq 'Сервис'")[0]
        topic = template["Тема"]
        for values in (
            {"Тема": topic.upper(), "Партнер_Key": EMPTY_REF, "Состояние_Key": EMPTY_REF},
            {"Тема": topic + "   ", "ТТ_СогласованныеТрудозатраты": 0},
            {"Тема": "  " + topic.lower(), "DeletionMark": True, "ТТ_СогласованныеТрудозатраты": 2.5},
        ):
            admin_create(
                mock,
                INTERESTS,
                {
                    "ВидИнтереса": "Сервис",
                    "Ответственный_Key": template["Ответственный_Key"],
                    "Состояние_Key": template["Состояние_Key"],
                    "Партнер_Key": template["Партнер_Key"],
                    **values,
                },
            )
        yield mock


@pytest.fixture(scope="module")
def client(base: MockOneC) -> Iterator[ODataClient]:
    with ODataClient(base.base_url, base.user, base.password, timezone="Europe/Moscow") as c:
        yield c


_OBJECTS: dict[tuple[str, tuple[str, ...]], list[dict[str, Any]]] = {}


def every_object(client: ODataClient, m: Mapping) -> list[dict[str, Any]]:
    """Every object of the mapping's set as the connector reads it (its $select/$expand, typed),
    with no filter at all; read once per set and expansion."""
    assert m.source is not None
    key = (m.source.entity_set, tuple(mapping_select(m)) + tuple(m.source.expand))
    if key not in _OBJECTS:
        _OBJECTS[key] = list(
            client.iter_entities(m.source.entity_set, select=mapping_select(m), expand=m.source.expand)
        )
    return _OBJECTS[key]


def python_view(client: ODataClient, m: Mapping) -> tuple[set[str], set[str]]:
    """``(kept, failing)``: refs whose task is open by the connector's own evaluation (and within
    ``source.filter``), and refs on which a template or condition cannot be evaluated."""
    assert m.source is not None
    in_scope = {
        str(o["Ref_Key"])
        for o in client.iter_entities(m.source.entity_set, filter=MappingFilter.of(m), select=["Ref_Key"])
    }
    kept, failing = set(), set()
    for obj in every_object(client, m):
        ref = str(obj["Ref_Key"])
        if ref not in in_scope:
            continue
        t = transform(m, obj, UserDirectory())
        if t.skip is not None or t.spec is None:
            failing.add(ref)
        elif t.spec.status == "open" and not t.ignored:
            kept.add(ref)
    return kept, failing


def onec_view(client: ODataClient, m: Mapping) -> set[str]:
    """Refs 1C returns for the compiled filter (the mock refusing it fails the test)."""
    assert m.source is not None
    text = server_filter(m).text
    flt = MappingFilter(text) if text else None
    return {
        str(o["Ref_Key"]) for o in client.iter_entities(m.source.entity_set, filter=flt, select=["Ref_Key"])
    }


def check(client: ODataClient, m: Mapping) -> None:
    kept, failing = python_view(client, m)
    returned = onec_view(client, m)
    assert kept <= returned, f"1C dropped objects the connector keeps: {sorted(kept - returned)[:3]}"
    if server_filter(m).exact:
        extra = returned - kept - failing
        assert not extra, f"an exact filter returned objects the connector drops: {sorted(extra)[:3]}"


def with_conditions(m: Mapping, open_when: str | None, closed_when: str | None) -> Mapping:
    """``m`` over the whole set (no source filter: deleted objects too) with every field readable."""
    assert m.source is not None and m.task is not None
    source = m.source.model_copy(update={"filter": None, "select": []})
    task = m.task.model_copy(update={"open_when": open_when, "closed_when": closed_when})
    return m.model_copy(update={"source": source, "task": task})


@pytest.mark.parametrize("name", ["service", "projects"])
def test_the_shipped_mappings_read_exactly_what_they_keep(client: ODataClient, name: str) -> None:
    m = MAPS[name]
    assert server_filter(m).exact
    kept, failing = python_view(client, m)
    assert kept and onec_view(client, m) - failing == kept


def _literal(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def interest_atoms(client: ODataClient) -> st.SearchStrategy[str]:
    objs = every_object(client, with_conditions(MAPS["service"], None, None))
    topics = sorted({o["Тема"] for o in objs})[:6]
    partners = sorted({o["Партнер"]["Description"] for o in objs if o.get("Партнер")})[:3]
    users = sorted({o["Ответственный_Key"] for o in objs if o.get("Ответственный_Key")})[:2]
    numbers = [0, 1, 2.5, 4, 8]
    return st.one_of(
        st.sampled_from(
            [
                "ТТ_ПревышениеПлана",
                "DeletionMark",
                "Posted",
                "ТТ_СогласованныеТрудозатраты",
                "ВидИнтереса == 'Сервис'",
                "ВидИнтереса != 'Продажа'",
                "ВидИнтереса == 'сервис'",
                "ВидИнтереса in ['Сервис', 'Продажа']",
                "Тема",
                "Партнер",
                "not Партнер",
                "Партнер is none",
                "Партнер_Key",
                "Состояние",
                "Состояние and Состояние.Завершен",
                "Состояние.Завершен",
                "Date",
                "Date is none",
                "Number == 'CRM-000003'",
                "Тема|length > 25",
                "'а' in Тема",
                "Ответственный_Key is none",
            ]
        ),
        st.builds(
            "ТТ_СогласованныеТрудозатраты {} {}".format, st.sampled_from(OPS), st.sampled_from(numbers)
        ),
        st.builds(
            "Тема {} {}".format,
            st.sampled_from(["==", "!="]),
            st.sampled_from([_literal(t) for t in topics] + [_literal(t.upper()) for t in topics[:2]]),
        ),
        st.builds("Партнер.Description == {}".format, st.sampled_from([_literal(p) for p in partners])),
        st.builds("Ответственный_Key == '{}'".format, st.sampled_from(users)),
    )


def task_atoms(client: ODataClient) -> st.SearchStrategy[str]:
    objs = every_object(client, with_conditions(MAPS["projects"], None, None))
    codes = sorted({o["Owner"]["Code"].rstrip() for o in objs if o.get("Owner")})[:3]
    stages = ["НеЗапланирована", "Запланирована", "Выполняется", "Выполнена", "Проверена", "выполнена", ""]
    return st.one_of(
        st.sampled_from(
            [
                "Закрыта",
                "IsFolder",
                "Стадия",
                "Стадия in ['Выполнена', 'Проверена']",
                "Стадия not in ['НеЗапланирована']",
                "ПлановыеТрудозатраты",
                "ДатаОкончания",
                "ДатаОкончания is none",
                "Owner",
                "Owner.Завершен",
                "Исполнитель_Key",
                "Участники|length > 1",
                "Description|length > 15",
            ]
        ),
        st.builds(
            "Стадия {} {}".format,
            st.sampled_from(["==", "!="]),
            st.sampled_from([_literal(s) for s in stages]),
        ),
        st.builds("ПроцентВыполнения {} {}".format, st.sampled_from(OPS), st.sampled_from([0, 25, 50, 100])),
        st.builds("Owner.Code == {}".format, st.sampled_from([_literal(c) for c in codes])),
    )


def conditions(atoms: st.SearchStrategy[str]) -> st.SearchStrategy[str | None]:
    tree = st.recursive(
        atoms,
        lambda inner: st.one_of(
            st.builds("not ({})".format, inner),
            st.builds("({}) and ({})".format, inner, inner),
            st.builds("({}) or ({})".format, inner, inner),
        ),
        max_leaves=4,
    )
    return st.none() | tree


PROPERTY = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(data=st.data())
def test_generated_interest_conditions_read_what_the_connector_keeps(client: ODataClient, data: Any) -> None:
    atoms = interest_atoms(client)
    m = with_conditions(MAPS["service"], data.draw(conditions(atoms)), data.draw(conditions(atoms)))
    check(client, m)


@PROPERTY
@given(data=st.data())
def test_generated_project_task_conditions_read_what_the_connector_keeps(
    client: ODataClient, data: Any
) -> None:
    atoms = task_atoms(client)
    m = with_conditions(MAPS["projects"], data.draw(conditions(atoms)), data.draw(conditions(atoms)))
    check(client, m)


# --- full syncs against a base that changes -------------------------------------------------------


def _state(onec: MockOneC, finished: bool) -> str:
    return next(s["Ref_Key"] for s in onec_objects(onec, STATES) if s["Завершен"] is finished)


def _open(runtime: Runtime, mapping: str) -> dict[str, str]:
    return {link.onec_ref: code for code, link in links(runtime, mapping).items() if link.status == "open"}


@pytest.fixture
def runtime(base: MockOneC, store_url: str) -> Iterator[Runtime]:
    """A runtime on a fresh store (SQLite and PostgreSQL) reading the module's base."""
    rt = runtime_for(base, store_url, onec_page_size=20)
    try:
        yield rt
    finally:
        rt.close()


def test_objects_leaving_the_scope_between_full_syncs_close_their_tasks(
    base: MockOneC, runtime: Runtime
) -> None:
    """Runs after the read-only tests of this module (it changes the base)."""
    onec = base
    engine = InboundEngine(runtime)
    assert engine.run(None, trigger="full").status == "ok"
    service, projects = _open(runtime, "service"), _open(runtime, "projects")
    finished, moved, marked, deleted, *_ = sorted(service)
    unplanned, closed_stage, *_ = sorted(projects)
    admin_patch(onec, INTERESTS, finished, {"Состояние_Key": _state(onec, True)})  # closed_when
    admin_patch(onec, INTERESTS, moved, {"ВидИнтереса": "Продажа"})  # out of source.filter
    admin_patch(onec, INTERESTS, marked, {"DeletionMark": True})
    admin_delete(onec, INTERESTS, deleted)
    admin_patch(onec, TASKS, unplanned, {"Стадия": "НеЗапланирована"})  # open_when false
    admin_patch(onec, TASKS, closed_stage, {"Закрыта": True})
    onec.reset_stats()
    by_ref: list[int] = []

    def record(resp: requests.Response, *args: Any, **kwargs: Any) -> None:
        query = resp.request.url.partition("?")[2] if resp.request.url else ""
        if "Ref_Key%20eq%20guid" in query:
            by_ref.append(len(query))

    runtime.onec.http.session.hooks["response"].append(record)

    second = engine.run(None, trigger="full")

    assert second.status == "ok", second.error
    gone = {finished, moved, marked, deleted}
    assert set(_open(runtime, "service")) == set(service) - gone
    assert set(_open(runtime, "projects")) == set(projects) - {unplanned, closed_stage}
    c = second.counters
    assert c["closed"] == 6 and c["closed:object_deleted"] == 1 and c["closed:out_of_scope"] == 2
    assert c["closed:object_closed"] == 3
    # only what is kept, plus the six linked objects read by ref (the deleted one answers nothing)
    read = requests.get(f"{onec.admin_url}/stats", timeout=10).json()["objects_by_entity_set"]
    assert read[INTERESTS] == len(service) - 4 + 3
    assert read[TASKS] == len(projects) - 2 + 2
    assert by_ref and max(by_ref) <= MAX_QUERY_STRING, "reads by ref stay within IIS's default limit"

    third = engine.run(None, trigger="full")
    assert third.changed == 0 and third.counters.get("closed", 0) == 0
    assert set(_open(runtime, "service")) == set(service) - gone

    admin_patch(onec, INTERESTS, finished, {"Состояние_Key": _state(onec, False)})
    assert engine.run("service", trigger="full").counters["reopened"] == 1

    # the scan reads the kept objects' versions only, and re-reads an open task's object it misses
    leaving = sorted(_open(runtime, "service"))[0]
    admin_patch(onec, INTERESTS, leaving, {"ВидИнтереса": "Продажа"})
    scan = engine.run("service", trigger="scan")
    assert scan.counters["closed:out_of_scope"] == 1 and scan.counters["detected"] == 1
    assert leaving not in _open(runtime, "service")


def test_a_condition_1c_refuses_is_checked_in_the_connector(
    base: MockOneC, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    hidden = "field:Document_CRM_Интерес.ТТ_ПревышениеПлана"
    m = with_conditions(MAPS["service"], "ТТ_СогласованныеТрудозатраты > 2 or ТТ_ПревышениеПлана", None)
    assert "ТТ_ПревышениеПлана" in (server_filter(m).compiled or "")
    runtime = runtime_for(base, f"sqlite:///{tmp_path / 'store.db'}", mappings=[m], onec_page_size=20)
    resp = requests.post(f"{base.admin_url}/kit", json={"without": [hidden]}, timeout=10)
    assert resp.status_code == 200
    try:
        with caplog.at_level(logging.INFO, logger="connector.sync.inbound.read"):
            result = InboundEngine(runtime).run("service", trigger="full")
    finally:
        requests.post(f"{base.admin_url}/kit", json={"without": []}, timeout=10).raise_for_status()
        runtime.close()
    assert result.status in ("ok", "partial"), result.error  # objects lacking the field cannot be told
    ours = [r for r in caplog.records if r.name == "connector.sync.inbound.read"]
    assert [r.levelno for r in ours] == [logging.WARNING, logging.INFO]
    assert "compiling them again against the base's $metadata" in ours[0].getMessage()
    assert "checked in the connector only: open_when: ТТ_ПревышениеПлана" in ours[1].getMessage()
    expected = {
        str(o["Ref_Key"])
        for o in onec_objects(base, INTERESTS, "DeletionMark eq false and ТТ_СогласованныеТрудозатраты gt 2")
    }
    opened = {link.onec_ref for link in links(runtime).values() if link.status == "open"}
    assert opened == expected


def test_validate_online_says_what_is_filtered_in_1c_and_what_in_the_connector(
    base: MockOneC, tmp_path: Path
) -> None:
    from tests.integration.cli.test_cli import run

    mappings = tmp_path / "mappings"
    shutil.copytree(MAPPINGS_DIR, mappings)
    path = mappings / "projects.yaml"
    text = path.read_text("utf-8")
    path.write_text(
        text.replace('closed_when: "Закрыта or', 'closed_when: "Description|length > 200 or Закрыта or'),
        "utf-8",
    )
    env = {
        "ONEC_BRIDGE_ONEC_URL": base.base_url,
        "ONEC_BRIDGE_ONEC_USER": base.user,
        "ONEC_BRIDGE_ONEC_PASSWORD": base.password,
    }
    done = run("validate", str(mappings), "--online", cwd=tmp_path, **env)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    service = lines.index(next(line for line in lines if "(service, service)" in line))
    assert lines[service + 1].strip().startswith("filtered in 1C: source.filter: ВидИнтереса eq 'Сервис'")
    assert lines[service + 2].strip() == (
        "checked in the connector only: nothing (1C returns exactly the objects the conditions keep)"
    )
    projects = lines.index(next(line for line in lines if "(projects, project)" in line))
    assert "closed_when: not (Description|length > 200 or Закрыта or " in lines[projects + 1]
    assert (
        lines[projects + 2]
        .strip()
        .startswith("checked in the connector only: closed_when: Description|length")
    )
