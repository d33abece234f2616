"""Audit of inbound items the other tests leave open: assignee changes, dry run over changes,
physical deletion through the exchange plan, resync by refs and of everything over HTTP, and the
unmapped 1C assignees in ``GET /api/unmatched-employees``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from connector.api.app import create_app
from connector.runtime import Runtime
from connector.sync.inbound.engine import InboundEngine
from connector.sync.inbound.inbox import process_resync_requests
from testbed.connector_app import RunningConnector
from testbed.mocktracker import running_mock_tracker
from testbed.servers import ThreadedServer
from tests.integration.inbound.helpers import admin_delete, admin_patch, links, onec_objects, runtime_for
from tests.support.mock1c import MockOneC, running_mock_1c

INTEREST = "Document_CRM_Интерес"
FINISHED = "Успешно завершен"


def service_interests(onec: MockOneC) -> dict[str, dict[str, Any]]:
    return {f"SRV-{r['Number']}": r for r in onec_objects(onec, INTEREST, "ВидИнтереса eq 'Сервис'")}


def test_an_assignee_change_in_1c_updates_the_task(onec: MockOneC, runtime: Runtime) -> None:
    engine = InboundEngine(runtime)
    engine.run("service", trigger="full")
    rows = service_interests(onec)
    solo = [  # open tasks of one responsible and no co-assignees
        lk
        for lk in links(runtime, "service").values()
        if lk.status == "open" and len(lk.assignees) == 1 and not rows[lk.task_code].get("Соисполнители")
    ]
    first = solo[0]
    other = next(lk for lk in solo if lk.assignees != first.assignees)
    admin_patch(
        onec, INTEREST, first.onec_ref, {"Ответственный_Key": rows[other.task_code]["Ответственный_Key"]}
    )
    result = engine.run("service", trigger="scan")
    assert result.counters.get("updated") == 1, result.counters
    assert links(runtime)[first.task_code].assignees == other.assignees


def test_a_dry_run_reports_a_close_and_writes_nothing(onec: MockOneC, runtime: Runtime) -> None:
    engine = InboundEngine(runtime)
    engine.run("service", trigger="full")
    code, link = next((c, lk) for c, lk in links(runtime, "service").items() if lk.status == "open")
    states = onec_objects(onec, "Catalog_CRM_СостоянияИнтересов")
    finished = next(s["Ref_Key"] for s in states if s["Description"] == FINISHED)
    admin_patch(onec, INTEREST, link.onec_ref, {"Состояние_Key": finished})
    before = {c: (lk.status, lk.content_hash, lk.feed_seq) for c, lk in links(runtime).items()}
    dry = engine.run("service", trigger="full", dry_run=True)
    assert dry.counters.get("closed:object_closed") == 1, dry.counters
    assert {c: (lk.status, lk.content_hash, lk.feed_seq) for c, lk in links(runtime).items()} == before
    real = engine.run("service", trigger="full")
    assert real.counters.get("closed:object_closed") == 1 and links(runtime)[code].status == "closed"


def test_a_deleted_object_closes_its_task_through_the_exchange_plan(onec: MockOneC, runtime: Runtime) -> None:
    engine = InboundEngine(runtime)
    engine.run(None, trigger="full")
    engine.run(None, trigger="exchange_plan")  # drain what the seed registered
    code, link = next((c, lk) for c, lk in links(runtime, "service").items() if lk.status == "open")
    admin_delete(onec, INTEREST, link.onec_ref)
    result = engine.run(None, trigger="exchange_plan")
    assert result.counters.get("closed") == 1, result.counters
    assert links(runtime)[code].status == "closed"


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[MockOneC, RunningConnector]]:
    """Mock 1C, mock tracker and the connector app on a fresh SQLite store."""
    with running_mock_1c() as onec, running_mock_tracker() as tracker:
        runtime = runtime_for(
            onec,
            f"sqlite:///{tmp_path / 'store.db'}",
            tracker_url=tracker.api_url,
            tracker_api_key=tracker.api_key,
        )
        try:
            with ThreadedServer(create_app(runtime)) as server:
                yield onec, RunningConnector(url=server.url, runtime=runtime, server=server)
        finally:
            runtime.close()


def test_resync_of_a_list_of_refs_and_of_everything_over_http(
    served: tuple[MockOneC, RunningConnector],
) -> None:
    onec, app = served
    url = f"{app.url}/api/resync"
    rows = service_interests(onec)
    states = {s["Ref_Key"]: s["Завершен"] for s in onec_objects(onec, "Catalog_CRM_СостоянияИнтересов")}
    opened = [c for c, r in rows.items() if not r["DeletionMark"] and not states.get(r["Состояние_Key"])]
    picked = sorted(opened)[:2]
    refs = [rows[c]["Ref_Key"] for c in picked]
    first = requests.post(url, json={"refs": refs}, headers=app.admin_headers, timeout=10)
    again = requests.post(url, json={"refs": refs[::-1]}, headers=app.admin_headers, timeout=10)
    assert first.status_code == again.status_code == 202, first.text
    assert again.json()["coalesced"] is True and again.json()["request_id"] == first.json()["request_id"]
    report = process_resync_requests(app.runtime)
    assert report.done == 1, report
    assert sorted(links(app.runtime)) == picked, "only the requested objects were read"

    everything = requests.post(url, json={"all": True}, headers=app.admin_headers, timeout=10)
    assert everything.status_code == 202 and everything.json()["coalesced"] is False
    process_resync_requests(app.runtime)
    by_mapping = {lk.mapping for lk in links(app.runtime).values()}
    assert {"service", "projects", "sales"} <= by_mapping
    assert set(opened) <= set(links(app.runtime))


def test_unmapped_1c_assignees_are_listed_by_the_api(served: tuple[MockOneC, RunningConnector]) -> None:
    _, app = served
    result = InboundEngine(app.runtime).run(None, trigger="full")
    assert result.counters.get("warning:unmapped_assignee", 0) > 0
    held = {
        p["ref"]
        for lk in links(app.runtime).values()
        if lk.status == "open"
        for p in (lk.payload or {}).get("unmapped_assignees") or []
    }
    assert held
    resp = requests.get(f"{app.url}/api/unmatched-employees", headers=app.admin_headers, timeout=30)
    assert resp.status_code == 200, resp.text
    listed = {item.get("onec_user_ref") for item in resp.json()["items"] if item["side"] == "onec"}
    assert held <= listed, resp.json()
