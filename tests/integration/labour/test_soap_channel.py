"""The SOAP channel: the same tracker time becomes labour rows of 1C's labour web service."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
import requests

from connector.sync.labour.engine import LabourEngine
from testbed.labour import UNKNOWN_CODE, LabourWorld, labour_world

FIRST, LAST = date(2026, 3, 2), date(2026, 3, 8)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabourWorld]:
    db = Path(tmp_path_factory.mktemp("labour-soap")) / "store.db"
    with labour_world(f"sqlite:///{db}", "soap") as w:
        w.tracker.simulate(FIRST.isoformat(), 7)
        yield w


def in_service(world: LabourWorld) -> dict[tuple[str, str, date], int]:
    rows = world.runtime.soap.get_labour(FIRST, LAST)
    return {(r.employee, r.object_ref, r.work_date): r.minutes for r in rows if r.minutes}


def run(world: LabourWorld) -> dict[str, int]:
    return LabourEngine(world.runtime).run(trigger="test", since=FIRST, until=LAST).counters


def test_soap_rows_equal_the_trackers_time_and_follow_edits(world: LabourWorld) -> None:
    run(world)
    assert in_service(world) == world.expected(FIRST, LAST) != {}
    entries = requests.get(
        f"{world.tracker.admin_url}/entries", params={"begin": "2026-03-02", "end": "2026-03-09"}, timeout=30
    ).json()["items"]
    victim = next(e for e in entries if e["task_code"] != UNKNOWN_CODE)
    requests.delete(f"{world.tracker.admin_url}/entries/{victim['id']}", timeout=30).raise_for_status()
    counters = run(world)
    assert counters["intents"] >= 1
    assert in_service(world) == world.expected(FIRST, LAST)


def test_soap_no_change_tick_sends_nothing(world: LabourWorld) -> None:
    counters = run(world)
    assert counters.get("intents", 0) == 0
    assert counters.get("delivery:onec_requests", 0) == 0


def test_a_row_1c_rejects_is_parked_while_the_other_rows_are_delivered(world: LabourWorld) -> None:
    from connector.store.history import list_failures
    from connector.sync.labour.deliver import deliver_all

    code = world.code(world.interests[0])
    world.add_entry(world.emails[0], code, "2026-03-02T20:00:00+03:00", "2026-03-02T21:00:00+03:00")
    world.add_entry(world.emails[0], code, "2026-03-06T20:00:00+03:00", "2026-03-06T21:00:00+03:00")
    before = in_service(world)
    LabourEngine(world.runtime, deliver=False).run(trigger="test", since=FIRST, until=LAST)
    with world.client() as c:  # the period closes between planning and delivery
        c.http.request(
            "PATCH",
            f"{c.root}/Constant_ТТ_ДатаЗапретаИзменения?$format=json",
            body=b'{"Value": "2026-03-02T00:00:00"}',
            write=True,
        )
    try:
        counts = deliver_all(world.runtime, "soap-worker")
    finally:
        with world.client() as c:
            c.http.request(
                "PATCH",
                f"{c.root}/Constant_ТТ_ДатаЗапретаИзменения?$format=json",
                body=b'{"Value": "0001-01-01T00:00:00"}',
                write=True,
            )
    assert counts["parked"] == 1 and counts["delivered"] >= 1
    after, truth = in_service(world), world.expected(FIRST, LAST)
    changed = {k for k in truth if truth[k] != before.get(k)}
    assert {k[2] for k in changed} == {date(2026, 3, 2), date(2026, 3, 6)}
    assert all(after[k] == truth[k] for k in changed if k[2] == date(2026, 3, 6))
    assert all(after.get(k) == before.get(k) for k in changed if k[2] == date(2026, 3, 2))
    with world.runtime.sessions() as s:
        parked = [f for f in list_failures(s, parked=True) if f.kind == "labour"]
    assert len(parked) == 1 and "2026-03-02" in parked[0].key
