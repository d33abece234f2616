"""Bad input is parked with its reason while everything else is delivered, and nothing is
half-written: an object deleted in 1C, a work type 1C does not have, an employee without a 1C
employee record, and an employee-day over 24 hours."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from connector.mapping.schema import Mapping
from connector.store.history import list_failures
from connector.sync.labour.deliver_odata import DAY_FIELDS
from connector.sync.labour.engine import INPUT_FAILURE, LabourEngine
from testbed.labour import INTEREST, LabourWorld, labour_world

FIRST, LAST = date(2026, 3, 2), date(2026, 3, 8)
CROWDED = date(2026, 3, 4)
BAD_WORK_TYPE = "SAL-BADWT"

SALES = Mapping.model_validate(
    {
        "name": "sales",
        "category": "sales",
        "static_tasks": [
            {
                "code": BAD_WORK_TYPE,
                "title": "Calls",
                "work_type": {"description": "Такого вида работ нет"},
                "department": {"description": "Отдел продаж"},
            }
        ],
        "labour": {"channel": "odata_timesheet"},
    }
)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabourWorld]:
    db = Path(tmp_path_factory.mktemp("labour-bad")) / "store.db"
    with labour_world(f"sqlite:///{db}", n_interests=4, with_unemployed=True, extra_mappings=[SALES]) as w:
        w.tracker.simulate(FIRST.isoformat(), 7)
        assert w.unemployed
        w.add_entry(
            w.unemployed, w.code(w.interests[0]), "2026-03-03T10:00:00+03:00", "2026-03-03T12:00:00+03:00"
        )
        w.add_entry(w.emails[0], BAD_WORK_TYPE, "2026-03-05T10:00:00+03:00", "2026-03-05T11:00:00+03:00")
        for i, (start, end) in enumerate([("00:10", "14:10"), ("09:00", "23:50")]):
            w.add_entry(
                w.emails[1],
                w.code(w.interests[i]),
                f"{CROWDED}T{start}:00+03:00",
                f"{CROWDED}T{end}:00+03:00",
            )
        requests.patch(
            f"{w.onec.admin_url}/objects/{INTEREST}/{w.interests[3]['Ref_Key']}",
            json={"DeletionMark": True},
            timeout=30,
        ).raise_for_status()
        yield w


def doc_of(world: LabourWorld, employee: str, monday: date) -> dict[str, Any]:
    (doc,) = [d for d in world.documents() if d["Сотрудник_Key"] == employee and d["ДатаС"].date() == monday]
    return doc


def test_bad_items_are_parked_with_reasons_and_the_rest_is_delivered(world: LabourWorld) -> None:
    counters = LabourEngine(world.runtime).run(trigger="test", since=FIRST, until=LAST).counters

    assert counters["skipped_seconds:object_deleted_in_1c"] > 0
    assert counters["skipped_seconds:unknown_work_type"] >= 3600
    assert counters["skipped_seconds:no_1c_employee_record"] >= 7200
    assert counters["skipped:day_over_24h"] >= 1
    with world.runtime.sessions() as s:
        reasons = sorted(
            f.reason.split(":")[0] for f in list_failures(s, parked=True) if f.kind == INPUT_FAILURE
        )
    assert reasons == ["day_over_24h", "no_1c_employee_record", "object_deleted_in_1c", "unknown_work_type"]

    crowded_employee = world.employee_by_email()[world.emails[1]]
    deleted = world.interests[3]["Ref_Key"]
    expected = {
        k: v
        for k, v in world.expected(FIRST, LAST).items()
        if k[1] != deleted and (k[0], k[2]) != (crowded_employee, CROWDED)
    }
    assert expected
    assert world.in_1c(FIRST, LAST) == expected

    doc = doc_of(world, crowded_employee, FIRST)
    assert doc["Posted"]
    wednesday = DAY_FIELDS[CROWDED.weekday()] + "Длительность"
    assert [row[wednesday] for row in doc["Операции"]] == [0] * len(doc["Операции"])
    assert sum(row["Всего"] for row in doc["Операции"]) * 60 == pytest.approx(
        sum(
            v for (e, _, d), v in expected.items() if e == crowded_employee and d <= FIRST + timedelta(days=6)
        )
    )


def test_a_fixed_input_leaves_the_failure_list(world: LabourWorld) -> None:
    requests.patch(
        f"{world.onec.admin_url}/objects/{INTEREST}/{world.interests[3]['Ref_Key']}",
        json={"DeletionMark": False},
        timeout=30,
    ).raise_for_status()
    LabourEngine(world.runtime).run(trigger="test", since=FIRST, until=LAST)
    with world.runtime.sessions() as s:
        reasons = {f.reason.split(":")[0] for f in list_failures(s, parked=True) if f.kind == INPUT_FAILURE}
    assert "object_deleted_in_1c" not in reasons
    assert {"unknown_work_type", "no_1c_employee_record", "day_over_24h"} <= reasons
    revived = world.interests[3]["Ref_Key"]
    assert any(obj == revived for (_, obj, _) in world.in_1c(FIRST, LAST))
