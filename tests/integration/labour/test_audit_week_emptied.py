"""Audit of the OData channel's week lifecycle: a week whose time is all deleted in the tracker is
unposted and emptied (not deleted, not left posted), and every written row carries evidence."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import requests

from connector.sync.labour.engine import LabourEngine
from testbed.labour import LabourWorld, labour_world

MONDAY, SUNDAY = date(2026, 3, 2), date(2026, 3, 8)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabourWorld]:
    db = Path(tmp_path_factory.mktemp("audit-week")) / "store.db"
    with labour_world(f"sqlite:///{db}") as w:
        yield w


def run(world: LabourWorld) -> dict[str, int]:
    return LabourEngine(world.runtime).run(trigger="test", since=MONDAY, until=SUNDAY).counters


def week_docs(world: LabourWorld, employee: str) -> list[dict[str, Any]]:
    return [d for d in world.documents() if d["Сотрудник_Key"] == employee and d["ДатаС"].date() == MONDAY]


def test_a_week_reduced_to_nothing_is_unposted_and_emptied(world: LabourWorld) -> None:
    email = world.emails[0]
    code = world.code(world.interests[0])
    booked = [
        world.add_entry(email, code, "2026-03-03T10:00:00+03:00", "2026-03-03T11:00:00+03:00"),
        world.add_entry(email, code, "2026-03-04T09:00:00+03:00", "2026-03-04T11:30:00+03:00"),
    ]
    run(world)
    employee = world.employee_by_email()[email]  # the directory is read by the first run
    assert world.in_1c(MONDAY, SUNDAY) == world.expected(MONDAY, SUNDAY) != {}
    [doc] = week_docs(world, employee)
    assert doc["Posted"] and doc["Операции"]
    for row in doc["Операции"]:
        assert row["ТТ_КлючСтроки"], row
        assert row["ТТ_Доказательства"], f"row without the tracker's evidence link: {row}"

    for entry in booked:
        requests.delete(f"{world.tracker.admin_url}/entries/{entry['id']}", timeout=30).raise_for_status()
    run(world)
    [emptied] = week_docs(world, employee)
    assert emptied["Ref_Key"] == doc["Ref_Key"], "the same document, not a new one"
    assert not emptied["Posted"]
    assert not emptied.get("Операции")
    assert world.in_1c(MONDAY, SUNDAY) == world.expected(MONDAY, SUNDAY) == {}

    world.onec.reset_stats()
    run(world)
    writes = [r for r in world.onec.stats()["requests"] if r["method"] in ("POST", "PATCH", "DELETE")]
    assert writes == [], "an emptied week is left alone on the next tick"
