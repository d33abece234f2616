"""Weekly documents under concurrency, lost answers and clocks: a 412 is re-read and retried,
a create whose answer was lost is found instead of duplicated, work across midnight lands on
the same local days whatever the process time zone, and pushed intake entries are written."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import requests

from connector.runtime import Runtime
from connector.store.entries import EntryValues, upsert_entries
from connector.store.models import Employee
from connector.sync.labour.deliver import deliver_all
from connector.sync.labour.deliver_odata import TIMESHEET
from connector.sync.labour.engine import LabourEngine
from testbed.labour import LabourWorld, labour_world

FIRST, LAST = date(2026, 3, 2), date(2026, 3, 8)
NEXT_FIRST, NEXT_LAST = date(2026, 3, 9), date(2026, 3, 15)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabourWorld]:
    db = Path(tmp_path_factory.mktemp("labour-recovery")) / "store.db"
    with labour_world(f"sqlite:///{db}") as w:
        w.tracker.simulate(FIRST.isoformat(), 3)
        LabourEngine(w.runtime).run(trigger="test", since=FIRST, until=LAST)
        assert w.in_1c(FIRST, LAST) == w.expected(FIRST, LAST) != {}
        yield w


@pytest.fixture
def process_tz() -> Iterator[Any]:
    """Switch the process time zone (TZ + tzset) and restore it afterwards."""
    before = os.environ.get("TZ")

    def switch(name: str) -> None:
        os.environ["TZ"] = name
        time.tzset()

    yield switch
    if before is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = before
    time.tzset()


def connector_rows(world: LabourWorld, first: date, last: date) -> dict[tuple[str, str, date], int]:
    return {k: v for k, v in world.in_1c(first, last).items() if k[1]}


def test_a_412_is_reread_rediffed_and_retried_keeping_a_hand_made_row(
    world: LabourWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    world.add_entry(
        world.emails[0],
        world.code(world.interests[0]),
        "2026-03-04T18:00:00+03:00",
        "2026-03-04T19:30:00+03:00",
    )
    onec = world.runtime.onec
    real_patch = onec.patch
    interfered: list[str] = []
    work_type = next(
        w["Ref_Key"] for w in onec.iter_entities("Catalog_Номенклатура") if w["Description"] == "Консультация"
    )

    def patch(entity_set: str, ref: object, data: Any, if_match: str | None = None) -> dict[str, Any]:
        if entity_set == TIMESHEET and not interfered:
            doc = onec.get(TIMESHEET, ref)
            rows = [{k: v for k, v in r.items() if k != "Ref_Key"} for r in doc["Операции"]]
            rows.append(
                {
                    "LineNumber": str(len(rows) + 1),
                    "ВидРабот_Key": work_type,
                    "СрДлительность": 0.5,
                    "Всего": 0.5,
                    "Комментарий": "вручную",
                }
            )
            requests.patch(
                f"{world.onec.admin_url}/objects/{TIMESHEET}/{ref}", json={"Операции": rows}, timeout=30
            ).raise_for_status()
            interfered.append(str(ref))
        return real_patch(entity_set, ref, data, if_match=if_match)

    monkeypatch.setattr(onec, "patch", patch)
    world.onec.reset_stats()
    LabourEngine(world.runtime).run(trigger="test", since=FIRST, until=LAST)

    assert interfered
    statuses = world.onec.stats()
    assert "412" in str(statuses)
    assert connector_rows(world, FIRST, LAST) == world.expected(FIRST, LAST)
    (doc,) = [d for d in world.documents() if d["Ref_Key"] == interfered[0]]
    assert doc["Posted"]
    assert [r["Комментарий"] for r in doc["Операции"] if not r["ТТ_КлючСтроки"]] == ["вручную"]


def test_a_create_whose_answer_was_lost_is_found_not_duplicated(world: LabourWorld) -> None:
    world.add_entry(
        world.emails[1],
        world.code(world.interests[1]),
        "2026-03-10T10:00:00+03:00",
        "2026-03-10T12:00:00+03:00",
    )
    LabourEngine(world.runtime, deliver=False).run(trigger="test", since=NEXT_FIRST, until=NEXT_LAST)
    impatient = Runtime(
        world.runtime.settings.model_copy(update={"onec_timeout": 1.0}),
        world.runtime.engine,
        world.runtime.sessions,
        world.runtime.mappings,
    )
    faults = f"{world.onec.admin_url}/faults"
    real_create = impatient.onec.create
    lost: list[str] = []

    def create(entity_set: str, data: Any) -> dict[str, Any]:
        if entity_set != TIMESHEET or lost:
            return real_create(entity_set, data)
        requests.post(
            faults, json={"timeout_rate": 1, "timeout_after_write_ratio": 1, "hang_s": 3}, timeout=10
        )
        try:
            return real_create(entity_set, data)
        except Exception as exc:
            lost.append(type(exc).__name__)
            raise
        finally:
            requests.post(faults, json={}, timeout=10).raise_for_status()

    impatient.onec.create = create  # type: ignore[method-assign]
    try:
        counts = deliver_all(impatient, "impatient")
    finally:
        impatient.close()
    assert lost == ["OutcomeUnknown"]
    assert counts["delivered"] == 1
    employee = world.employee_by_email()[world.emails[1]]
    weeks = [
        d for d in world.documents() if d["Сотрудник_Key"] == employee and d["ДатаС"].date() == NEXT_FIRST
    ]
    assert len(weeks) == 1 and weeks[0]["Posted"]
    assert connector_rows(world, NEXT_FIRST, NEXT_LAST) == world.expected(NEXT_FIRST, NEXT_LAST)


def test_work_across_midnight_lands_on_the_same_days_in_any_process_time_zone(
    world: LabourWorld, process_tz: Any
) -> None:
    world.add_entry(
        world.emails[2],
        world.code(world.interests[2]),
        "2026-03-11T22:30:00+03:00",
        "2026-03-12T01:15:00+03:00",
    )
    process_tz("Asia/Vladivostok")
    LabourEngine(world.runtime).run(trigger="test", since=NEXT_FIRST, until=NEXT_LAST)
    first = connector_rows(world, NEXT_FIRST, NEXT_LAST)
    employee = world.employee_by_email()[world.emails[2]]
    ref = world.interests[2]["Ref_Key"]
    assert first[(employee, ref, date(2026, 3, 11))] == 90
    assert first[(employee, ref, date(2026, 3, 12))] == 75

    process_tz("UTC")
    counters = LabourEngine(world.runtime).run(trigger="test", since=NEXT_FIRST, until=NEXT_LAST).counters
    assert counters.get("intents", 0) == 0
    assert connector_rows(world, NEXT_FIRST, NEXT_LAST) == first == world.expected(NEXT_FIRST, NEXT_LAST)


def test_pushed_intake_entries_are_aggregated_and_written(world: LabourWorld) -> None:
    email = world.emails[0]
    with world.runtime.sessions.begin() as s:
        person = s.query(Employee).filter(Employee.email == email).one()
        upsert_entries(
            s,
            [
                EntryValues(
                    entry_id=f"push-{n}",
                    employee_id=person.id,
                    employee_email=email,
                    tracker_employee_id=None,
                    task_code=world.code(world.interests[1]),
                    start_at=datetime(2026, 3, 13, hour, 0, tzinfo=UTC),
                    end_at=datetime(2026, 3, 13, hour, 40, tzinfo=UTC),
                    seconds=2400,
                )
                for n, hour in enumerate((7, 9))
            ],
        )
    LabourEngine(world.runtime).run(trigger="test", since=NEXT_FIRST, until=NEXT_LAST)
    rows = connector_rows(world, NEXT_FIRST, NEXT_LAST)
    assert rows[(str(person.onec_employee_ref), world.interests[1]["Ref_Key"], date(2026, 3, 13))] == 80
