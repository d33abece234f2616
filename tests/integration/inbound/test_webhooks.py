"""1C webhooks and resync requests over real HTTP: the mock 1C → the connector app → the feed."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import func, select

from connector.api.webhooks import sign
from connector.store.models import InboxEvent
from connector.sync.inbound.inbox import InboxWorker, process_inbox, process_resync_requests
from testbed.connector_app import WEBHOOK_SECRET, RunningConnector
from testbed.servers import free_port
from tests.integration.inbound.helpers import links, runtime_for
from tests.support.mock1c import MockOneC, running_mock_1c

INTEREST = "Document_CRM_Интерес"


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[tuple[MockOneC, RunningConnector]]:
    """A connector app and a mock 1C whose webhooks (sync mode) point at it."""
    app_port = free_port()
    with running_mock_1c(
        webhook_url=f"http://127.0.0.1:{app_port}/webhooks/1c",
        webhook_secret=WEBHOOK_SECRET,
        webhook_types=INTEREST,
    ) as onec:
        runtime = runtime_for(onec, f"sqlite:///{tmp_path / 'store.db'}")
        from connector.api.app import create_app
        from testbed.servers import ThreadedServer

        with ThreadedServer(create_app(runtime), port=app_port) as server:
            yield onec, RunningConnector(url=server.url, runtime=runtime, server=server)
        runtime.close()


def post(app: RunningConnector, body: bytes, signature: str | None = None) -> requests.Response:
    headers = {"Content-Type": "application/json"}
    headers["X-Onec-Signature"] = signature if signature is not None else sign(body, WEBHOOK_SECRET)
    return requests.post(f"{app.url}/webhooks/1c", data=body, headers=headers, timeout=30)


def event(ref: str, version: str = "AAAAAAAaKtk=", type_: str = INTEREST) -> bytes:
    return json.dumps({"type": type_, "Ref_Key": ref, "DataVersion": version}, ensure_ascii=False).encode()


def inbox_size(app: RunningConnector) -> int:
    with app.runtime.sessions() as session:
        return int(session.execute(select(func.count()).select_from(InboxEvent)).scalar_one())


def test_bad_webhooks_are_refused_with_a_short_reason_and_nothing_happens(
    stack: tuple[MockOneC, RunningConnector],
) -> None:
    onec, app = stack
    onec.reset_stats()
    ref = "bf7b539b-0f9a-4a4b-8acd-4e10bc594585"
    good = event(ref)
    cases: list[tuple[requests.Response, int, str]] = [
        (post(app, good, "sha256=" + "0" * 64), 401, "X-Onec-Signature"),
        (post(app, good, ""), 401, "X-Onec-Signature"),
        (post(app, b"not json"), 400, "not JSON"),
        (post(app, b"[1, 2]"), 400, "JSON object"),
        (
            post(app, event(ref, type_="Catalog_Чужой")),
            400,
            "known types: Catalog_ЗадачиПроектов, Catalog_Проекты, Document_CRM",
        ),
        (post(app, event("1; DROP TABLE")), 400, "GUID"),
        (post(app, json.dumps({"type": INTEREST, "Ref_Key": ref}).encode()), 400, "DataVersion"),
        (post(app, b"{" + b" " * (10 * 1024 * 1024) + b"}"), 413, ""),
        (post(app, b'{"type": "' + b"x" * 70_000 + b'"}'), 413, "limited"),
    ]
    for resp, status, text in cases:
        assert resp.status_code == status, resp.text
        assert text in resp.json()["message"] and "Traceback" not in resp.text
    assert inbox_size(app) == 0
    assert onec.stats()["total"] == 0


def test_a_webhook_from_1c_becomes_a_task_in_the_feed_and_replays_make_one_task(
    stack: tuple[MockOneC, RunningConnector],
) -> None:
    onec, app = stack
    created = requests.post(  # an e-mail: no partner, no responsible yet
        f"{onec.admin_url}/emails",
        json={"from": "client@example.ru", "subject": "Не печатается счёт", "text": "Помогите"},
        timeout=10,
    ).json()
    assert inbox_size(app) >= 1, "the mock delivered the webhook synchronously"
    report = process_inbox(app.runtime, "w1")
    assert report.done >= 1 and all(r.status == "ok" for r in report.runs)
    code = f"SRV-{created['Number']}"
    assert links(app.runtime)[code].status == "open"
    assert links(app.runtime)[code].title == f"[{created['Number']}] без контрагента: Не печатается счёт"

    ref, newer = created["Ref_Key"], created["DataVersion"]
    assert post(app, event(ref, newer)).json()["status"] == "duplicate"
    assert post(app, event(ref, "AAAAAAAAAAE=")).json()["status"] == "accepted"  # an older one, late
    process_inbox(app.runtime, "w1")
    assert [c for c in links(app.runtime) if c == code] == [code]
    assert links(app.runtime)[code].status == "open"


def test_a_webhook_for_an_object_1c_does_not_know_is_a_skip_with_its_reason(
    stack: tuple[MockOneC, RunningConnector],
) -> None:
    _, app = stack
    assert post(app, event("0f0f0f0f-0000-4000-8000-000000000001")).status_code == 202
    report = process_inbox(app.runtime, "w1")
    assert report.runs[0].counters.get("skipped:not_found") == 1
    assert links(app.runtime) == {}


def test_the_inbox_worker_publishes_webhooked_interests_without_polling(
    stack: tuple[MockOneC, RunningConnector],
) -> None:
    onec, app = stack
    worker = InboxWorker(app.runtime, interval=30.0)
    served: Any = app.server.server.config.app
    served.state.inbox_worker = worker  # the route wakes it
    passes: list[Any] = []
    done = threading.Event()

    def seen(report: Any) -> None:
        passes.append(report)
        if any(r.counters.get("created") for r in report.runs):
            done.set()

    worker.on_pass = seen
    worker.start()
    try:
        created = requests.post(
            f"{onec.admin_url}/emails", json={"from": "a@b.ru", "subject": "Срочно"}, timeout=10
        ).json()
        assert done.wait(30), passes
    finally:
        worker.stop()
    assert f"SRV-{created['Number']}" in links(app.runtime)


def test_resync_requests_are_authorised_validated_coalesced_and_processed(
    stack: tuple[MockOneC, RunningConnector],
) -> None:
    _, app = stack
    url = f"{app.url}/api/resync"
    assert requests.post(url, json={"all": True}, timeout=10).status_code == 401
    unknown = requests.post(url, json={"mapping": "nope"}, headers=app.admin_headers, timeout=10)
    assert unknown.status_code == 404 and "projects, sales, service" in unknown.json()["message"]
    bad = requests.post(url, json={"refs": ["x"]}, headers=app.admin_headers, timeout=10)
    assert bad.status_code == 400
    assert requests.post(url, json={}, headers=app.admin_headers, timeout=10).status_code == 400
    first = requests.post(url, json={"mapping": "service"}, headers=app.admin_headers, timeout=10)
    again = requests.post(url, json={"mapping": "service"}, headers=app.admin_headers, timeout=10)
    assert first.status_code == again.status_code == 202
    assert again.json() == {**first.json(), "coalesced": True}
    report = process_resync_requests(app.runtime)
    assert report.done == 1 and report.runs[0].counters["created"] > 0
    later = requests.post(url, json={"mapping": "service"}, headers=app.admin_headers, timeout=10)
    assert later.json()["coalesced"] is False and later.json()["request_id"] != first.json()["request_id"]
