"""Webhook signing and the dispatcher's contract that needs no receiver."""

from __future__ import annotations

import hashlib
import hmac
from typing import Literal

import pytest

from mock_1c.webhooks import WebhookDispatcher, sign
from testbed.servers import free_port


def test_sign_is_hmac_sha256_hex_of_the_raw_body() -> None:
    body = '{"type":"Document_CRM_Интерес"}'.encode()
    expected = hmac.new("сек рет".encode(), body, hashlib.sha256).hexdigest()
    assert sign(body, "сек рет") == f"sha256={expected}"
    assert sign(b"", "key") == "sha256=5d5d139563c95b5967b9bd9a8c9b233a9dedb45072794cd232dc1b74832607d0"


def test_signature_changes_with_body_and_secret() -> None:
    assert sign(b"a", "s") != sign(b"b", "s")
    assert sign(b"a", "s") != sign(b"a", "t")


def test_no_url_sends_and_logs_nothing() -> None:
    modes: list[Literal["sync", "outbox"]] = ["sync", "outbox"]
    for mode in modes:
        d = WebhookDispatcher(None, "s", mode)
        d.start()
        d.notify({"type": "Document_CRM_Интерес", "Ref_Key": "x", "DataVersion": "A", "event": "created"})
        d.stop()
        assert d.deliveries() == [] and d.pending() == 0


def test_sync_failure_is_logged_not_raised_and_types_filter() -> None:
    url = f"http://127.0.0.1:{free_port()}/hook"  # nothing listens
    d = WebhookDispatcher(url, "s", "sync", {"Document_CRM_Интерес"}, timeout=2)
    d.notify({"type": "Catalog_ЗадачиПроектов", "Ref_Key": "t", "DataVersion": "A", "event": "changed"})
    assert d.deliveries() == []
    d.notify({"type": "Document_CRM_Интерес", "Ref_Key": "i", "DataVersion": "A", "event": "created"})
    [entry] = d.deliveries()
    assert entry["attempt"] == 1 and entry["status"] is None and entry["delivered"] is False
    assert "ConnectionError" in entry["error"]
    assert d.pending() == 0


def test_outbox_keeps_events_pending_until_started() -> None:
    d = WebhookDispatcher(f"http://127.0.0.1:{free_port()}/", "s", "outbox")
    d.notify({"type": "Document_CRM_Интерес", "Ref_Key": "i", "DataVersion": "A", "event": "created"})
    assert d.pending() == 1 and d.deliveries() == []


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [({"mode": "push"}, "mode"), ({"mode": "sync", "timeout": 0}, "positive")],
)
def test_constructor_refuses_bad_settings(kwargs: dict[str, object], fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment):
        WebhookDispatcher("http://127.0.0.1:1/", "s", **kwargs)  # type: ignore[arg-type]
