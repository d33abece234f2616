"""Plan-fact per participant of project tasks, and the reconciliation window."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace
from typing import Any, cast

from connector.mapping.schema import Mapping
from connector.store.db import make_engine, session_factory
from connector.store.links import LinkData, upsert_employee, upsert_link
from connector.store.migrate import upgrade
from connector.store.models import Labour
from connector.sync.labour.engine import LabourEngine
from connector.sync.labour.flags import refresh_plan_fact
from connector.sync.labour.planfact import overruns, participant_plans, store_participant_plans
from connector.sync.labour.targets import participant_plans as plans_of_object

TASK = "0e000000-0000-0000-0000-000000000001"
ANNA, BORIS = "a0000000-0000-0000-0000-000000000001", "b0000000-0000-0000-0000-000000000002"
EMP_A, EMP_B = "ea000000-0000-0000-0000-000000000001", "eb000000-0000-0000-0000-000000000002"

PROJECTS = Mapping.model_validate(
    {
        "name": "projects",
        "category": "project",
        "source": {
            "entity_set": "Catalog_ЗадачиПроектов",
            "change_detection": [{"kind": "scan", "interval": "15m"}],
        },
        "task": {"code": "PRJ-{{ Code }}", "title": "{{ Description }}", "assignees": ["Исполнитель_Key"]},
        "labour": {
            "channel": "soap",
            "work_type": {"description": "Внедрение"},
            "thresholds": {"warn": 0.8, "alert": 1.0},
        },
    }
)


def test_participants_planned_hours_are_read_from_the_tasks_table() -> None:
    obj = {
        "Участники": [
            {"Пользователь_Key": ANNA, "ПлановыеТрудозатраты": 2.5},
            {"Пользователь_Key": BORIS, "ПлановыеТрудозатраты": 0},
            {"Пользователь_Key": ANNA, "ПлановыеТрудозатраты": 0.5},
        ]
    }
    assert plans_of_object(obj) == {ANNA: 180}
    assert plans_of_object({}) is None


def _labour(employee: str, day: int, minutes: int) -> Labour:
    return Labour(
        key=f"soap|{employee}|{TASK}|{day}",
        employee_ref=employee,
        object_type="Catalog_ЗадачиПроектов",
        object_ref=TASK,
        work_date=date(2026, 3, day),
        work_type_ref="w",
        minutes=minutes,
        written_minutes=minutes,
        state="written",
    )


def test_a_participant_over_their_share_is_an_overrun_though_the_task_is_not(store_url: str) -> None:
    upgrade(store_url)
    engine = make_engine(store_url)
    sessions = session_factory(engine)
    try:
        with sessions.begin() as s:
            upsert_link(
                s,
                LinkData(
                    mapping="projects",
                    onec_type="Catalog_ЗадачиПроектов",
                    onec_ref=TASK,
                    task_code="PRJ-1",
                    content_hash="h",
                    planned_minutes=1000,
                    category="project",
                ),
            )
            for user, emp, name in ((ANNA, EMP_A, "Анна"), (BORIS, EMP_B, "Борис")):
                upsert_employee(
                    s, onec_user_ref=user, email=None, name=name, how_matched=None, onec_employee_ref=emp
                )
            store_participant_plans(s, {TASK: {ANNA: 120, BORIS: 600}})
            s.add_all([_labour(EMP_A, 2, 90), _labour(EMP_A, 3, 60), _labour(EMP_B, 2, 100)])
            s.flush()
            refresh_plan_fact(s, [PROJECTS])
        with sessions() as s:
            assert participant_plans(s) == {TASK: {EMP_A: 120, EMP_B: 600}}
            lines = overruns(s, [PROJECTS])
        assert [
            (d["level"], d["employee"], d["planned_minutes"], d["actual_minutes"], d["overrun"])
            for d in lines
        ] == [("participant", "Анна", 120, 150, "alert")]
    finally:
        engine.dispose()


def test_the_reconciliation_window_is_the_deeper_setting() -> None:
    settings = SimpleNamespace(timezone="Europe/Moscow", labour_lookback_days=14, labour_reconcile_days=62)
    engine = LabourEngine(cast(Any, SimpleNamespace(settings=settings)))
    until = date(2026, 3, 31)
    assert engine.window(None, until) == (date(2026, 3, 18), until)
    assert engine.window(None, until, reconcile=True) == (date(2026, 1, 29), until)
