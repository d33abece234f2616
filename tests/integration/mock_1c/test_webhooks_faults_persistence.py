"""Webhooks out (sync and outbox, signed), the fault profile at runtime and restarts with --db."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from pathlib import Path
from typing import Any

import requests
from fastapi import FastAPI, Request
from starlette.responses import Response

from testbed.servers import ThreadedServer
from tests.integration.mock_1c.helpers import get_json, url
from tests.support.mock1c import running_mock_1c

SECRET = "тайна"


class Receiver:
    """A webhook receiver on loopback that fails the first ``fail_first`` calls with 503."""

    def __init__(self, fail_first: int = 0) -> None:
        self.calls: list[tuple[bytes, str]] = []
        self.fail_first = fail_first
        self.lock = threading.Lock()
        app = FastAPI()

        @app.post("/hook")
        async def hook(request: Request) -> Response:
            body = await request.body()
            with self.lock:
                self.calls.append((body, request.headers.get("X-Onec-Signature", "")))
                n = len(self.calls)
            return Response(status_code=503 if n <= self.fail_first else 200)

        self.server = ThreadedServer(app)

    def payloads(self) -> list[dict[str, Any]]:
        with self.lock:
            return [json.loads(b) for b, _ in self.calls]


def wait_for(cond: Any, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.05)


def valid_signature(body: bytes, header: str) -> bool:
    expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header)


def test_sync_webhook_is_sent_inside_the_write_and_signed() -> None:
    receiver = Receiver()
    with (
        receiver.server as srv,
        running_mock_1c(
            webhook_url=f"{srv.url}/hook",
            webhook_secret=SECRET,
            webhook_mode="sync",
            webhook_types="Document_CRM_Интерес",
            interests=3,
            users=2,
            projects=1,
            tasks=1,
        ) as m,
    ):
        r = requests.post(f"{m.admin_url}/emails", json={"from": "a@b.ru", "subject": "Срочно"}, timeout=10)
        interest = r.json()
        assert len(receiver.calls) == 1  # delivered before the write answered
        body, sig = receiver.calls[0]
        assert valid_signature(body, sig)
        payload = json.loads(body)
        assert payload["type"] == "Document_CRM_Интерес" and payload["Ref_Key"] == interest["Ref_Key"]
        assert payload["DataVersion"] == interest["DataVersion"] and payload["event"] == "created"
        assert payload["Number"] == interest["Number"]
        log = requests.get(f"{m.admin_url}/webhooks", timeout=10).json()
        assert log["configured"] is True and log["deliveries"][0]["status"] == 200


def test_outbox_webhook_retries_until_200() -> None:
    receiver = Receiver(fail_first=2)
    with (
        receiver.server as srv,
        running_mock_1c(
            webhook_url=f"{srv.url}/hook",
            webhook_secret=SECRET,
            webhook_mode="outbox",
            interests=3,
            users=2,
            projects=1,
            tasks=1,
        ) as m,
    ):
        created = requests.post(
            f"{m.admin_url}/objects/Catalog_Контрагенты", json={"Description": "ООО «Ретрай»"}, timeout=10
        )
        ref = created.json()["Ref_Key"]
        wait_for(lambda: len(receiver.calls) >= 3)
        assert all(p["Ref_Key"] == ref for p in receiver.payloads()[:3])
        assert all(valid_signature(b, s) for b, s in receiver.calls)
        log = requests.get(f"{m.admin_url}/webhooks", timeout=10).json()["deliveries"]
        assert [d["status"] for d in log[:3]] == [503, 503, 200]


def test_fault_profile_at_runtime_and_switches() -> None:
    with running_mock_1c(interests=3, users=2, projects=1, tasks=1, fault_seed=7) as m:
        r = requests.post(f"{m.admin_url}/faults", data="error_rate=1.0", timeout=10)
        assert r.status_code == 200 and r.json()["error_rate"] == 1.0
        bad = requests.get(url(m, "Catalog_Контрагенты") + "?$format=json", auth=m.auth, timeout=10)
        assert bad.status_code == 500 and bad.json()["odata.error"]["code"] == "-1"
        assert requests.get(f"{m.admin_url}/stats", timeout=10).status_code == 200  # /_mock never faulted
        requests.post(
            f"{m.admin_url}/faults",
            json={"plus_as_space": True, "inlinecount_ignores_paging": True, "html_auth_failure": True},
            timeout=10,
        )
        plus = requests.get(
            url(m, "Catalog_Номенклатура") + "?$format=json&$filter=Description+eq+'Перерыв'",
            auth=m.auth,
            timeout=10,
        )
        assert [e["Description"] for e in plus.json()["value"]] == ["Перерыв"]
        page = get_json(m, "Catalog_Номенклатура", **{"$top": "2", "$inlinecount": "allpages"})
        assert page["odata.count"] == "2"
        html = requests.get(url(m, "Catalog_Номенклатура"), timeout=10)
        assert html.status_code == 200 and "html" in html.headers["content-type"]
        assert requests.post(f"{m.admin_url}/faults", data="nonsense=1", timeout=10).status_code == 400


def test_restart_with_db_keeps_data_closing_date_and_registrations(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'base.db'}"
    opts = {"db": db, "interests": 5, "users": 3, "projects": 1, "tasks": 2}
    with running_mock_1c(**opts) as m:
        node = get_json(m, "ExchangePlan_ТТ_ОбменСТрекером")["value"][0]["Ref_Key"]
        feed = url(m, f"ExchangePlan_ТТ_ОбменСТрекером(guid'{node}')")
        requests.post(feed + "/SelectChanges?MessageNo=1", auth=m.auth, timeout=10)
        requests.post(feed + "/NotifyChangesReceived?MessageNo=1", auth=m.auth, timeout=10)
        created = requests.post(
            f"{m.admin_url}/objects/Catalog_Контрагенты", json={"Description": "Живой"}, timeout=10
        ).json()
        requests.patch(
            url(m, "Constant_ТТ_ДатаЗапретаИзменения") + "?$format=json",
            json={"Value": "2026-01-31T00:00:00"},
            auth=m.auth,
            timeout=10,
        )
    with running_mock_1c(**opts) as m:
        again = get_json(m, f"Catalog_Контрагенты(guid'{created['Ref_Key']}')")
        assert again["DataVersion"] == created["DataVersion"]
        assert get_json(m, "Constant_ТТ_ДатаЗапретаИзменения")["Value"] == "2026-01-31T00:00:00"
        changes = requests.post(
            url(m, f"ExchangePlan_ТТ_ОбменСТрекером(guid'{node}')") + "/SelectChanges?MessageNo=2",
            auth=m.auth,
            timeout=10,
        ).json()["value"]
        assert [c["Ref_Key"] for c in changes] == [created["Ref_Key"]]
        fresh = requests.post(
            f"{m.admin_url}/objects/Catalog_Контрагенты", json={"Description": "Новый"}, timeout=10
        ).json()
        assert fresh["DataVersion"] != created["DataVersion"]
