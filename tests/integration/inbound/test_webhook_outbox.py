"""1C's webhook outbox redelivers until it sees HTTP 200; the connector answers 202, so every
event arrives more than once. Duplicates must still make exactly one task."""

from __future__ import annotations

import time
from pathlib import Path

import requests
from sqlalchemy import func, select

from connector.api.app import create_app
from connector.store.models import InboxEvent
from connector.sync.inbound.inbox import process_inbox
from testbed.connector_app import WEBHOOK_SECRET
from testbed.servers import ThreadedServer, free_port
from tests.integration.inbound.helpers import links, runtime_for
from tests.support.mock1c import running_mock_1c

INTEREST = "Document_CRM_Интерес"


def test_redelivered_webhooks_from_the_outbox_make_one_task(tmp_path: Path) -> None:
    app_port = free_port()
    with running_mock_1c(
        webhook_url=f"http://127.0.0.1:{app_port}/webhooks/1c",
        webhook_secret=WEBHOOK_SECRET,
        webhook_types=INTEREST,
        webhook_mode="outbox",
    ) as onec:
        runtime = runtime_for(onec, f"sqlite:///{tmp_path / 'store.db'}")
        try:
            with ThreadedServer(create_app(runtime), port=app_port):
                created = requests.post(
                    f"{onec.admin_url}/emails", json={"from": "c@example.ru", "subject": "Дважды"}, timeout=10
                ).json()
                ref = created["Ref_Key"]
                deadline = time.monotonic() + 60
                attempts: list[dict[str, object]] = []
                while len(attempts) < 3 and time.monotonic() < deadline:
                    log = requests.get(f"{onec.admin_url}/webhooks", timeout=10).json()["deliveries"]
                    attempts = [d for d in log if d["payload"].get("Ref_Key") == ref and d["status"] == 202]
                    time.sleep(0.2)
                assert len(attempts) >= 3, "the outbox redelivers an event answered with 202"
                first = process_inbox(runtime, "w1")
                again = process_inbox(runtime, "w1")
            assert first.done >= 1 and all(r.status == "ok" for r in first.runs)
            assert sum(r.counters.get("created", 0) for r in first.runs + again.runs) == 1
            with runtime.sessions() as session:
                stored = session.execute(
                    select(func.count()).select_from(InboxEvent).where(InboxEvent.ref == ref)
                ).scalar_one()
            assert stored == 1, "duplicates are not stored twice"
            code = f"SRV-{created['Number']}"
            assert [c for c in links(runtime) if c == code] == [code]
            assert links(runtime)[code].status == "open"
        finally:
            runtime.close()
