"""A labour run that cannot reach 1C is recorded as failed, never left ``running``, and the next
run once 1C answers again delivers everything.

The 1C session pool is filled by sessions nobody will finish — what connector processes killed
with SIGKILL leave behind — so every ``IBSession: start`` is refused with 406 until they end.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
import requests
from sqlalchemy import func, select

from connector.store.models import OutboxIntent, Run, RunItem
from connector.sync.labour.engine import LabourEngine
from testbed.labour import LabourWorld, labour_world

FIRST, LAST = date(2026, 3, 2), date(2026, 3, 8)
SEATS = 2


@pytest.fixture
def world(tmp_path: Path) -> Iterator[LabourWorld]:
    with labour_world(
        f"sqlite:///{tmp_path / 'store.db'}", max_sessions=SEATS, settings={"onec_deadline": 2.0}
    ) as w:
        w.tracker.simulate(FIRST.isoformat(), 3)
        yield w


def leak_sessions(world: LabourWorld, n: int) -> list[str]:
    """Open ``n`` 1C sessions and abandon them, as a killed process does; their cookies."""
    cookies = []
    for _ in range(n):
        resp = requests.get(
            f"{world.onec.odata_url}/Catalog_Пользователи?$top=1&$format=json",
            headers={"IBSession": "start"},
            auth=world.onec.auth,
            timeout=30,
        )
        resp.raise_for_status()
        cookies.append(resp.cookies["ibsession"])
    return cookies


def finish_sessions(world: LabourWorld, cookies: list[str]) -> None:
    """What 1C does to abandoned sessions once their idle time is up."""
    for sid in cookies:
        requests.get(
            f"{world.onec.odata_url}/$metadata",
            headers={"IBSession": "finish"},
            cookies={"ibsession": sid},
            timeout=30,
        ).raise_for_status()


def test_a_run_refused_by_1c_is_failed_with_the_reason_and_the_next_run_delivers(world: LabourWorld) -> None:
    leaked = leak_sessions(world, SEATS)

    result = LabourEngine(world.runtime).run(trigger="test", since=FIRST, until=LAST)

    assert result.status == "failed"
    assert result.error and "session pool is full" in result.error
    assert result.counters.get("failed:Retriable") == 1
    with world.runtime.sessions() as s:
        run = s.get(Run, result.run_id)
        assert run is not None and run.status == "failed" and run.finished_at is not None
        assert run.counters.get("failed:Retriable") == 1
        reasons = s.execute(select(RunItem.detail).where(RunItem.run_id == run.id)).scalars().all()
        assert any("session pool is full" in (d or "") for d in reasons), reasons
        assert s.execute(select(func.count()).select_from(OutboxIntent)).scalar_one() == 0

    finish_sessions(world, leaked)
    again = LabourEngine(world.runtime).run(trigger="test", since=FIRST, until=LAST)

    assert again.status == "ok" and again.error is None
    assert world.in_1c(FIRST, LAST) == world.expected(FIRST, LAST) != {}
    with world.runtime.sessions() as s:
        statuses = s.execute(select(Run.status).where(Run.kind == "labour").order_by(Run.id)).scalars().all()
    assert statuses == ["failed", "ok"]
