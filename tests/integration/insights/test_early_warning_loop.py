"""The early warning end to end: a project stage whose budget runs ahead of its progress is flagged
in 1C (``ТТ_ПодУгрозой`` with the projected hours in ``ТТ_ПрогнозТрудозатрат``), shows in the task
feed and the API, and is cleared once 1C's completion percentage catches up.

Real mock 1C over HTTP; the shipped ``projects`` mapping (progress from ``ПроцентВыполнения``);
confirmed labour is put in the store as the labour flow leaves it (the tracker is not under test).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import requests

from connector.runtime import Runtime
from connector.store.models import Labour, Link
from connector.sync.inbound.engine import InboundEngine
from connector.sync.labour.flags import sync_plan_fact
from testbed.connector_app import serve_runtime
from tests.integration.inbound.helpers import admin_patch, links, onec_objects, runtime_for
from tests.support.mock1c import MockOneC, running_mock_1c

STAGES = "Catalog_ЗадачиПроектов"
FLAG, FORECAST = "ТТ_ПодУгрозой", "ТТ_ПрогнозТрудозатрат"


@pytest.fixture(scope="module")
def onec() -> Iterator[MockOneC]:
    with running_mock_1c() as m:
        yield m


@pytest.fixture()
def runtime(onec: MockOneC, tmp_path: Path) -> Iterator[Runtime]:
    rt = runtime_for(onec, f"sqlite:///{tmp_path / 'store.db'}")
    try:
        yield rt
    finally:
        rt.close()


def _stage(onec: MockOneC, ref: str) -> dict[str, Any]:
    return onec_objects(onec, STAGES, f"Ref_Key eq guid'{ref}'")[0]


def _confirm(runtime: Runtime, link: Link, minutes: int) -> None:
    """Labour 1C confirmed for the stage (what the labour flow records after a delivery)."""
    with runtime.sessions.begin() as s:
        s.add(
            Labour(
                key=f"e|{link.onec_ref}|2026-03-02|w",
                employee_ref="00000000-0000-0000-0000-0000000000e1",
                object_type=STAGES,
                object_ref=link.onec_ref,
                work_date=date(2026, 3, 2),
                work_type_ref="00000000-0000-0000-0000-0000000000a1",
                minutes=minutes,
                written_minutes=minutes,
                state="written",
            )
        )


def test_a_stage_ahead_of_its_progress_is_flagged_in_1c_and_cleared_when_progress_catches_up(
    onec: MockOneC, runtime: Runtime
) -> None:
    engine = InboundEngine(runtime)
    assert engine.run("projects", trigger="full").status == "ok"
    stages = {s["Ref_Key"]: s for s in onec_objects(onec, STAGES, "IsFolder eq false")}
    link = next(
        lk
        for lk in links(runtime, "projects").values()
        if lk.status == "open" and lk.planned_minutes and stages[lk.onec_ref]["ПроцентВыполнения"] == 50
    )
    assert link.payload["percent_done"] == 50.0, "the mapping's progress reaches the link"
    plan = link.planned_minutes or 0
    spent = round(plan * 0.8)  # 80 % of the budget at 50 % done: 30 points ahead → at risk
    _confirm(runtime, link, spent)

    counts = sync_plan_fact(runtime)
    assert counts["flags_written"] >= 1 and counts["risk_changed"] == 1
    flagged = _stage(onec, link.onec_ref)
    assert flagged[FLAG] is True
    assert flagged[FORECAST] == pytest.approx(round(spent / 0.5 / 60, 2))  # fact ÷ progress, in hours

    with serve_runtime(runtime) as app:
        feed = requests.get(app.url + "/tracker/v1/tasks", headers=app.feed_headers, timeout=30).json()
        item = next(i for i in feed["items"] if i["code"] == link.task_code)
        assert (item["risk"], item["projected_minutes"]) == ("at_risk", round(spent / 0.5))
        report = requests.get(app.url + "/api/reports/early-warning", headers=app.admin_headers, timeout=30)
        row = next(r for r in report.json()["items"] if r["task_code"] == link.task_code)
        assert row["verdict"] == "at_risk" and row["progress_percent"] == 50.0

    again = sync_plan_fact(runtime)
    assert again.get("flags_written", 0) == 0, "nothing changed: no second PATCH"

    admin_patch(onec, STAGES, link.onec_ref, {"ПроцентВыполнения": 85})  # the work caught up
    assert engine.run("projects", trigger="full").counters.get("updated", 0) == 0, (
        "no tracker write for progress"
    )
    assert links(runtime, "projects")[link.task_code].payload["percent_done"] == 85.0
    cleared_counts = sync_plan_fact(runtime)
    assert cleared_counts["risk_changed"] == 1
    cleared = _stage(onec, link.onec_ref)
    assert cleared[FLAG] is False
    assert cleared[FORECAST] == pytest.approx(round(spent / 0.85 / 60, 2))


def test_a_stage_without_labour_is_never_patched(onec: MockOneC, runtime: Runtime) -> None:
    InboundEngine(runtime).run("projects", trigger="full")
    onec.reset_stats()
    counts = sync_plan_fact(runtime)
    assert counts.get("flags_written", 0) == 0
    assert [r for r in onec.stats()["requests"] if r["method"] == "PATCH"] == []
