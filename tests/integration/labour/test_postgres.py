"""The main OData scenario on the production store (PostgreSQL): first sync equals the
tracker's truth, an edit and a deletion are corrected, a replayed delivery duplicates nothing
and a no-change tick writes nothing."""

from __future__ import annotations

from datetime import date

import requests
from sqlalchemy import update

from connector.store.models import OutboxIntent
from connector.sync.labour.deliver import deliver_all
from connector.sync.labour.engine import LabourEngine
from testbed.labour import UNKNOWN_CODE, labour_world

FIRST, LAST = date(2026, 3, 2), date(2026, 3, 8)


def test_odata_labour_on_postgresql(pg_url: str) -> None:
    with labour_world(pg_url) as world:
        world.tracker.simulate(FIRST.isoformat(), 5)
        LabourEngine(world.runtime).run(trigger="test", since=FIRST, until=LAST)
        assert world.in_1c(FIRST, LAST) == world.expected(FIRST, LAST) != {}

        ours = [e for e in world.entries(FIRST, date(2026, 3, 9)) if e["task_code"] != UNKNOWN_CODE]
        world.add_entry(
            ours[0]["employee_email"],
            ours[0]["task_code"],
            "2026-03-05T20:00:00+03:00",
            "2026-03-05T21:00:00+03:00",
        )
        requests.delete(f"{world.tracker.admin_url}/entries/{ours[-1]['id']}", timeout=30).raise_for_status()
        counters = LabourEngine(world.runtime).run(trigger="test", since=FIRST, until=LAST).counters
        assert counters["intents"] >= 1
        assert world.in_1c(FIRST, LAST) == world.expected(FIRST, LAST)

        with world.runtime.sessions.begin() as s:
            replayed = s.execute(update(OutboxIntent).values(state="pending")).rowcount  # type: ignore[attr-defined]
        counts = deliver_all(world.runtime, "replayer")
        assert counts["delivered"] == replayed
        weeks = [(d["Сотрудник_Key"], d["ДатаС"]) for d in world.documents()]
        assert len(weeks) == len(set(weeks))
        assert world.in_1c(FIRST, LAST) == world.expected(FIRST, LAST)

        world.onec.reset_stats()
        counters = LabourEngine(world.runtime).run(trigger="test", since=FIRST, until=LAST).counters
        assert counters.get("intents", 0) == 0
        writes = [r for r in world.onec.stats()["requests"] if r["method"] in ("POST", "PATCH", "DELETE")]
        assert writes == []
