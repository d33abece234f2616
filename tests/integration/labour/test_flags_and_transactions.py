"""Plan-fact flags reach 1C from the service's own jobs, and no store transaction waits on 1C.

* 1C in synchronous webhook mode calls our ``/webhooks/1c`` from inside its write; a labour run
  on the same SQLite store must never hold the store's write lock while 1C writes, or every
  webhook (and the PATCH behind it) would wait for the lock until 1C's timeout.
* ``serve`` runs the labour tick without delivery and delivers in its ``deliver`` job: the
  totals and the overrun flag must still reach 1C, exactly once.
* A customer changed on an object in 1C rewrites its labour rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import requests
from pydantic import SecretStr
from sqlalchemy import update

from connector.api.app import create_app
from connector.scheduler import deliver_job, labour_job
from connector.store.models import Link
from connector.sync.labour.engine import LabourEngine
from testbed.connector_app import WEBHOOK_SECRET, make_runtime
from testbed.labour import INTEREST, LabourWorld, labour_world
from testbed.servers import ThreadedServer, free_port

TOTALS, FLAG = "ТТ_ФактическиеТрудозатраты", "ТТ_ПревышениеПлана"
FIRST, LAST = date(2026, 3, 2), date(2026, 3, 8)


def test_labour_run_beside_1c_in_sync_webhook_mode_leaves_every_webhook_answered(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    port = free_port()
    with labour_world(
        url,
        webhook_url=f"http://127.0.0.1:{port}/webhooks/1c",
        webhook_secret=WEBHOOK_SECRET,
        webhook_mode="sync",
        webhook_types=INTEREST,
        settings={"webhook_secret": SecretStr(WEBHOOK_SECRET)},
    ) as w:
        connector = make_runtime(url)
        try:
            with ThreadedServer(create_app(connector), port=port):
                w.tracker.simulate(FIRST.isoformat(), 7)
                counters = LabourEngine(w.runtime).run(trigger="test", since=FIRST, until=LAST).counters
                deliveries = requests.get(f"{w.onec.admin_url}/webhooks", timeout=30).json()["deliveries"]
        finally:
            connector.close()
        assert w.in_1c(FIRST, LAST) == w.expected(FIRST, LAST)
    assert counters["flags_written"] >= 1
    assert len(deliveries) >= counters["flags_written"]
    assert [(d["status"], d["error"]) for d in deliveries] == [(202, None)] * len(deliveries)


def _interest(w: LabourWorld, ref: str) -> dict[str, Any]:
    with w.client() as c:
        return c.get(INTEREST, ref)


def _minutes_of(w: LabourWorld, ref: str, first: date, last: date) -> int:
    return sum(m for (_, obj, _), m in w.expected(first, last).items() if obj == ref)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabourWorld]:
    db = Path(tmp_path_factory.mktemp("labour-flags")) / "store.db"
    with labour_world(f"sqlite:///{db}") as w:
        yield w


def test_the_services_jobs_write_totals_and_overrun_flags_to_1c(world: LabourWorld) -> None:
    today = datetime.now(ZoneInfo("Europe/Moscow")).date()
    first = today - timedelta(days=6)
    world.tracker.simulate(first.isoformat(), 7)
    over, under = world.interests[0]["Ref_Key"], world.interests[1]["Ref_Key"]
    with world.runtime.sessions.begin() as s:
        s.execute(update(Link).where(Link.onec_ref == over).values(planned_minutes=1))
        s.execute(update(Link).where(Link.onec_ref == under).values(planned_minutes=10**7))

    labour_job(world.runtime)
    assert _minutes_of(world, over, first, today) > 0, "the simulation booked nothing on the first interest"
    assert not _interest(world, over).get(FLAG), "the labour tick alone must not write to 1C"

    counts = deliver_job(world.runtime, "deliver-test")
    assert counts["delivered"] >= 1 and counts["flags_written"] >= 1
    for ref, alert in ((over, True), (under, False)):
        obj = _interest(world, ref)
        assert obj[FLAG] is alert
        assert round(float(obj[TOTALS]) * 60) == _minutes_of(world, ref, first, today)

    world.onec.reset_stats()
    again = deliver_job(world.runtime, "deliver-test")
    assert again.get("flags_written", 0) == 0
    patches = [r for r in world.onec.stats()["requests"] if r["method"] == "PATCH"]
    assert patches == []


def test_a_customer_changed_in_1c_rewrites_the_objects_rows(world: LabourWorld) -> None:
    world.tracker.simulate(FIRST.isoformat(), 7)
    engine = LabourEngine(world.runtime)
    engine.run(trigger="test", since=FIRST, until=LAST)
    ref = world.interests[0]["Ref_Key"]
    old = _interest(world, ref).get("Партнер_Key")
    with world.client() as c:
        partners = [p["Ref_Key"] for p in c.iter_entities("Catalog_Контрагенты", select=["Ref_Key"])]
        new = next(p for p in partners if p != old)
        c.patch(INTEREST, ref, {"Партнер_Key": new})
    counters = engine.run(trigger="test", since=FIRST, until=LAST).counters
    assert counters["intents"] >= 1
    rows = [
        row
        for doc in world.documents()
        if doc.get("Posted") and FIRST <= doc["ДатаС"].date() <= LAST
        for row in doc.get("Операции") or []
        if row.get("ТТ_Объект") == ref
    ]
    assert rows and {row["Заказчик"] for row in rows} == {new}
    assert world.in_1c(FIRST, LAST) == world.expected(FIRST, LAST)
