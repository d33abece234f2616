"""The outbound engine over real HTTP: tracker time becomes weekly labour documents in mock 1C.

The tracker's ground truth (``/_mock/truth``), rounded per aggregate, must equal what the
posted ``Document_УчетВремени`` hold per employee, object and day — after the first sync, after
an edit and a deletion in the tracker, and after a replayed delivery.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
import requests

from connector.store.queues import outbox_by_state
from connector.sync.labour.engine import LabourEngine
from testbed.labour import UNKNOWN_CODE, LabourWorld, labour_world

FIRST, LAST = date(2026, 3, 2), date(2026, 3, 8)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabourWorld]:
    db = Path(tmp_path_factory.mktemp("labour")) / "store.db"
    with labour_world(f"sqlite:///{db}") as w:
        w.tracker.simulate(FIRST.isoformat(), 7)
        requests.post(
            f"{w.tracker.admin_url}/entries",
            json={
                "employee_email": w.emails[0],
                "task_code": UNKNOWN_CODE,
                "start": "2026-03-03T10:00:00+03:00",
                "end": "2026-03-03T11:00:00+03:00",
            },
            timeout=30,
        ).raise_for_status()
        yield w


def run(world: LabourWorld) -> dict[str, int]:
    return LabourEngine(world.runtime).run(trigger="test", since=FIRST, until=LAST).counters


def test_first_sync_writes_exactly_the_trackers_time(world: LabourWorld) -> None:
    counters = run(world)
    expected = world.expected(FIRST, LAST)
    assert expected, "the simulation produced no time"
    assert world.in_1c(FIRST, LAST) == expected
    assert counters["skipped:unknown_task"] >= 1
    assert counters["skipped_seconds:unknown_task"] >= 3600


def test_no_change_tick_writes_nothing(world: LabourWorld) -> None:
    world.onec.reset_stats()
    counters = run(world)
    assert counters.get("intents", 0) == 0
    writes = [r for r in world.onec.stats()["requests"] if r["method"] in ("POST", "PATCH", "DELETE")]
    assert writes == []


def test_edit_and_delete_in_tracker_are_corrected_next_tick(world: LabourWorld) -> None:
    entries = requests.get(
        f"{world.tracker.admin_url}/entries", params={"begin": "2026-03-02", "end": "2026-03-09"}, timeout=30
    ).json()["items"]
    ours = [e for e in entries if e["task_code"] != UNKNOWN_CODE]
    edited, deleted = ours[0], ours[-1]
    requests.patch(
        f"{world.tracker.admin_url}/entries/{edited['id']}",
        json={"end": edited["end"][:11] + "23:30:00" + edited["end"][19:]},
        timeout=30,
    ).raise_for_status()
    requests.delete(f"{world.tracker.admin_url}/entries/{deleted['id']}", timeout=30).raise_for_status()
    counters = run(world)
    assert counters["intents"] >= 1
    assert world.in_1c(FIRST, LAST) == world.expected(FIRST, LAST)


def test_replayed_delivery_duplicates_nothing(world: LabourWorld) -> None:
    with world.runtime.sessions() as s:
        done = outbox_by_state(s, "done", limit=1000)
        ids = [d.id for d in done]
    assert ids
    from sqlalchemy import update

    from connector.store.models import OutboxIntent

    # A worker that crashed after 1C accepted the writes: every intent is due again.
    with world.runtime.sessions.begin() as s:
        s.execute(update(OutboxIntent).where(OutboxIntent.id.in_(ids)).values(state="pending"))
    before = world.in_1c(FIRST, LAST)
    from connector.sync.labour.deliver import deliver_all

    counts = deliver_all(world.runtime, "replayer")
    assert counts["delivered"] == len(ids)
    assert world.in_1c(FIRST, LAST) == before == world.expected(FIRST, LAST)
    with world.client() as c:
        docs = list(c.iter_entities("Document_УчетВремени"))
    weeks = [(d["Сотрудник_Key"], d["ДатаС"]) for d in docs]
    assert len(weeks) == len(set(weeks))


def test_overrun_flags_are_set_and_cleared_in_1c(world: LabourWorld) -> None:
    from connector.store.models import Link

    expected = world.expected(FIRST, LAST)
    per_object: dict[str, int] = {}
    for (_, object_ref, _), minutes in expected.items():
        per_object[object_ref] = per_object.get(object_ref, 0) + minutes
    with world.client() as c:
        for ref, minutes in per_object.items():
            obj = c.get("Document_CRM_Интерес", ref)
            assert round(obj["ТТ_ФактическиеТрудозатраты"] * 60) == minutes
            assert obj["ТТ_ПревышениеПлана"] is (minutes >= 600)
    flagged = [ref for ref, m in per_object.items() if m >= 600]
    assert flagged, "the simulation should overrun at least one 10-hour plan"
    with world.runtime.sessions.begin() as s:
        for link in s.query(Link).filter(Link.onec_ref.in_(flagged)):
            link.planned_minutes = 100_000
    run(world)
    with world.client() as c:
        for ref in flagged:
            assert c.get("Document_CRM_Интерес", ref)["ТТ_ПревышениеПлана"] is False


def set_closing_date(world: LabourWorld, day: date) -> None:
    with world.client() as c:
        c.http.request(
            "PATCH",
            f"{c.root}/Constant_ТТ_ДатаЗапретаИзменения?$format=json",
            body=f'{{"Value": "{day.isoformat()}T00:00:00"}}'.encode(),
            write=True,
        )


def test_closed_period_change_is_parked_then_adjusted(world: LabourWorld) -> None:
    from connector.store.history import list_failures

    before = world.in_1c(FIRST, LAST)
    set_closing_date(world, date(2026, 3, 8))
    entries = requests.get(
        f"{world.tracker.admin_url}/entries", params={"begin": "2026-03-02", "end": "2026-03-09"}, timeout=30
    ).json()["items"]
    victim = next(e for e in entries if e["task_code"] != UNKNOWN_CODE)
    requests.delete(f"{world.tracker.admin_url}/entries/{victim['id']}", timeout=30).raise_for_status()

    counters = run(world)
    assert counters["parked:closed_period"] >= 1
    assert world.in_1c(FIRST, LAST) == before
    with world.runtime.sessions() as s:
        assert any(f.reason.startswith("closed_period") for f in list_failures(s, parked=True))

    world.runtime.settings.closed_period_policy = "adjust"
    try:
        counters = run(world)
    finally:
        world.runtime.settings.closed_period_policy = "park"
    assert counters["adjusted:closed_period"] >= 1
    later = world.in_1c(date(2026, 3, 9), date(2026, 3, 15))
    assert sum(later.values()) == sum(world.expected(FIRST, LAST).values()) - sum(before.values())
    with world.client() as c:
        comments = [r["Комментарий"] for d in c.iter_entities("Document_УчетВремени") for r in d["Операции"]]
    assert any("Корректировка за" in x for x in comments)
    assert world.in_1c(FIRST, LAST) == before
