"""``onec-bridge serve`` as a subprocess against mock 1C and mock tracker, driven over HTTP."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from connector.store.db import make_engine, session_factory
from connector.store.queues import outbox_add
from testbed.mocktracker import MockTracker, running_mock_tracker
from testbed.servers import REPO_ROOT, free_port
from testbed.service import (
    ADMIN_TOKEN,
    FEED_TOKEN,
    WEBHOOK_SECRET,
    RunningService,
    running_service,
    service_env,
)
from tests.support.mock1c import MockOneC, running_mock_1c


def eventually(check: Callable[[], Any], what: str, timeout: float = 60.0) -> Any:
    """Poll ``check`` until it returns something truthy (no timing is asserted, only the outcome)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.25)
    raise AssertionError(f"never happened: {what}")


@dataclass
class Stack:
    onec: MockOneC
    tracker: MockTracker
    service: RunningService
    store_url: str


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    tmp = tmp_path_factory.mktemp("serve")
    port = free_port()
    connector = f"http://127.0.0.1:{port}"
    store_url = f"sqlite:///{tmp / 'store.db'}"
    with (
        running_mock_1c(webhook_url=f"{connector}/webhooks/1c", webhook_secret=WEBHOOK_SECRET) as onec,
        running_mock_tracker(feed_url=f"{connector}/tracker/v1/tasks", feed_token=FEED_TOKEN) as tracker,
    ):
        env = service_env(
            store_url, onec.base_url, onec.password, tracker.api_url, tracker.api_key, REPO_ROOT / "mappings"
        )
        with running_service(env, port=port, cwd=tmp) as service:
            yield Stack(onec, tracker, service, store_url)


def get(stack: Stack, path: str, **params: Any) -> requests.Response:
    return requests.get(stack.service.url + path, headers=stack.service.admin, params=params, timeout=30)


def test_ops_endpoints_need_the_admin_token(stack: Stack) -> None:
    url = stack.service.url
    assert requests.get(f"{url}/healthz", timeout=10).status_code == 200
    for path in ("/api/runs", "/api/failures", "/api/links", "/api/reports/timesheet"):
        assert requests.get(url + path, timeout=10).status_code == 401
        wrong = requests.get(url + path, headers={"Authorization": f"Bearer {FEED_TOKEN}"}, timeout=10)
        assert wrong.status_code == 401
        assert "Traceback" not in wrong.text


def startup_jobs_done(stack: Stack) -> bool:
    """The start-up firings (scans, exchange plan, labour) have finished: store writers run one at a
    time, so a webhook posted now is not picked up by a start-up scan instead of the inbox."""
    runs = get(stack, "/api/runs").json()["items"]
    kinds = {(r["kind"], r["trigger"]) for r in runs}
    return ("labour", "schedule") in kinds and all(r["finished_at"] for r in runs)


def test_a_webhook_from_1c_becomes_a_task(stack: Stack) -> None:
    eventually(lambda: startup_jobs_done(stack), "start-up jobs finished", timeout=120)
    session = stack.onec.session()
    users = session.get(f"{stack.onec.odata_url}/Catalog_Пользователи?$top=1&$format=json", timeout=30)
    user = users.json()["value"][0]["Ref_Key"]  # user 0 has a sync e-mail
    interests = session.get(f"{stack.onec.odata_url}/Document_CRM_Интерес?$top=1&$format=json", timeout=30)
    partner = interests.json()["value"][0]["Партнер_Key"]
    mail = {
        "from": "client@example.ru",
        "subject": "Не печатается счёт",
        "Ответственный_Key": user,
        "Партнер_Key": partner,
    }
    created = requests.post(f"{stack.onec.admin_url}/emails", json=mail, timeout=30)
    assert created.status_code == 201, created.text
    code = f"SRV-{created.json()['Number']}"
    link = eventually(lambda: get(stack, "/api/links", code=code).json()["items"], f"task {code}")[0]
    assert link["status"] == "open" and link["onec_ref"] == created.json()["Ref_Key"]
    runs = get(stack, "/api/runs", kind="inbound").json()["items"]
    assert any(r["trigger"] == "webhook" for r in runs)


def test_resync_of_a_mapping_runs_and_is_visible_in_the_run_history(stack: Stack) -> None:
    url = stack.service.url + "/api/resync"
    unknown = requests.post(url, json={"mapping": "nope"}, headers=stack.service.admin, timeout=10)
    assert unknown.status_code == 404
    assert "projects" in unknown.json()["message"] and "service" in unknown.json()["message"]
    queued = requests.post(url, json={"mapping": "service"}, headers=stack.service.admin, timeout=10)
    assert queued.status_code == 202

    def resync_run() -> Any:
        runs = get(stack, "/api/runs", kind="inbound", mapping="service").json()["items"]
        return next((r for r in runs if r["trigger"] == "resync" and r["finished_at"]), None)

    run = eventually(resync_run, "a finished resync run")
    detail = get(stack, f"/api/runs/{run['id']}").json()
    assert detail["id"] == run["id"] and detail["counters"] == run["counters"]
    assert isinstance(detail["reasons"], dict) and isinstance(detail["items"], list)
    assert get(stack, "/api/runs/999999").status_code == 404


def test_parked_delivery_is_listed_and_retried(stack: Stack) -> None:
    engine = make_engine(stack.store_url)
    try:
        with session_factory(engine).begin() as s:
            outbox_add(s, "week:test-employee:2026-01-05", 1, {"note": "test"})
            from sqlalchemy import update

            from connector.store.models import OutboxIntent

            s.execute(
                update(OutboxIntent)
                .where(OutboxIntent.target_key == "week:test-employee:2026-01-05")
                .values(state="parked", attempts=8, last_error="1C refused: closed period")
            )
    finally:
        engine.dispose()
    parked = [
        f for f in get(stack, "/api/failures").json()["items"] if f["key"].startswith("week:test-employee")
    ]
    assert len(parked) == 1 and parked[0]["reason"] == "1C refused: closed period"
    retry = requests.post(
        f"{stack.service.url}/api/failures/{parked[0]['id']}/retry", headers=stack.service.admin, timeout=10
    )
    assert retry.status_code == 200 and retry.json()["state"] == "pending"
    again = requests.post(
        f"{stack.service.url}/api/failures/{parked[0]['id']}/retry", headers=stack.service.admin, timeout=10
    )
    assert again.status_code == 404
    assert (
        requests.post(
            f"{stack.service.url}/api/failures/nonsense/retry", headers=stack.service.admin, timeout=10
        ).status_code
        == 404
    )


def test_a_report_with_from_after_to_is_422_with_a_message(stack: Stack) -> None:
    resp = get(stack, "/api/reports/timesheet", **{"from": "2026-02-10", "to": "2026-02-01"})
    assert resp.status_code == 422
    assert "after" in resp.json()["message"]
    assert get(stack, "/api/reports/nope").status_code == 404


def test_metrics_are_exposed(stack: Stack) -> None:
    eventually(lambda: get(stack, "/api/runs").json()["items"], "a run")
    text = requests.get(stack.service.url + "/metrics", timeout=10).text
    for name in (
        "onec_bridge_runs_total",
        "onec_bridge_requests_total",
        'system="onec"',
        "onec_bridge_request_seconds_bucket",
        "onec_bridge_outbox_oldest_age_seconds",
        "onec_bridge_webhook_lag_seconds",
        "onec_bridge_jobs_total",
    ):
        assert name in text, name


def test_no_secret_appears_in_the_log(stack: Stack) -> None:
    log = stack.service.log()
    assert log.strip(), "the service logged nothing"
    for secret in (ADMIN_TOKEN, FEED_TOKEN, WEBHOOK_SECRET, stack.onec.password, stack.tracker.api_key):
        assert secret not in log


def test_readiness_fails_while_1c_is_down(stack: Stack) -> None:
    ready = requests.get(stack.service.url + "/readyz", timeout=30)
    assert ready.status_code == 200, ready.text
    stack.onec.process.stop()
    down = requests.get(stack.service.url + "/readyz", timeout=30)
    assert down.status_code == 503
    assert down.json()["failed"] == ["onec"]


def test_invalid_settings_exit_2_with_one_line(tmp_path: Path) -> None:
    import subprocess

    from testbed.servers import script

    base = {"PATH": "/usr/bin:/bin", "ONEC_BRIDGE_TIMEZONE": "Mars/Olympus"}
    bad = subprocess.run(
        [script("onec-bridge"), "serve"], env=base, cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert bad.returncode == 2
    assert bad.stderr.strip().count("\n") == 0 and bad.stderr.startswith("ONEC_BRIDGE_TIMEZONE:")
    unsafe = subprocess.run(
        [script("onec-bridge"), "serve", "--host", "0.0.0.0"],
        env={"PATH": "/usr/bin:/bin"},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert unsafe.returncode == 2
    assert "ONEC_BRIDGE_ADMIN_TOKEN is empty" in unsafe.stderr and "Traceback" not in unsafe.stderr
