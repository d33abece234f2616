"""Webhooks to a real receiver on loopback: signatures, sync single attempt, outbox retries until 200."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi import FastAPI, Request, Response

from mock_1c.webhooks import SIGNATURE_HEADER, WebhookDispatcher
from testbed.servers import ThreadedServer

SECRET = "общий-секрет"
INTEREST = {
    "type": "Document_CRM_Интерес",
    "Ref_Key": "0f0e0d0c-1111-2222-3333-444455556666",
    "DataVersion": "AAAADAAAAAA=",
    "Number": "CRM-000512",
    "Date": "2025-01-21T10:15:36",
    "event": "created",
}


class Receiver:
    """Records raw bodies; answers 500 to the first ``fail`` calls per Ref_Key, optionally stalls once."""

    def __init__(self) -> None:
        self.calls: list[tuple[bytes, dict[str, str]]] = []
        self.fail: dict[str, int] = {}
        self.stall_once: set[str] = set()
        self.lock = threading.Lock()
        app = FastAPI()

        @app.post("/hook")
        async def hook(request: Request) -> Response:
            body = await request.body()
            ref = json.loads(body)["Ref_Key"]
            with self.lock:
                self.calls.append((body, dict(request.headers)))
                failing = self.fail.get(ref, 0)
                if failing:
                    self.fail[ref] = failing - 1
                stall = ref in self.stall_once
                self.stall_once.discard(ref)
            if stall:
                await asyncio.sleep(2.0)
            return Response(status_code=500 if failing else 200)

        self.server = ThreadedServer(app)

    @property
    def url(self) -> str:
        return f"{self.server.url}/hook"

    def refs(self) -> list[str]:
        with self.lock:
            return [json.loads(body)["Ref_Key"] for body, _ in self.calls]

    def reset(self) -> None:
        with self.lock:
            self.calls.clear()
            self.fail.clear()
            self.stall_once.clear()


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    with r.server:
        yield r


@pytest.fixture
def rx(receiver: Receiver) -> Receiver:
    receiver.reset()
    return receiver


def wait_until(check: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


@contextlib.contextmanager
def running(d: WebhookDispatcher) -> Iterator[WebhookDispatcher]:
    d.start()
    try:
        yield d
    finally:
        d.stop()


def test_sync_posts_once_with_a_verifiable_signature_and_raw_utf8(rx: Receiver) -> None:
    d = WebhookDispatcher(rx.url, SECRET, "sync")
    d.notify(INTEREST)
    assert len(rx.calls) == 1  # delivered inside notify(): the write waits for the receiver
    body, headers = rx.calls[0]
    assert json.loads(body) == INTEREST
    assert "Интерес".encode() in body  # UTF-8, not \u escapes
    assert headers["content-type"].startswith("application/json")
    expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(headers[SIGNATURE_HEADER.lower()], expected)
    forged = "sha256=" + hmac.new(b"wrong", body, hashlib.sha256).hexdigest()
    assert not hmac.compare_digest(headers[SIGNATURE_HEADER.lower()], forged)
    [entry] = d.deliveries()
    assert entry["payload"] == INTEREST and entry["attempt"] == 1 and entry["status"] == 200
    assert entry["error"] is None and entry["delivered"] is True and entry["at"]


def test_sync_makes_a_single_attempt_even_when_the_receiver_fails(rx: Receiver) -> None:
    rx.fail[INTEREST["Ref_Key"]] = 5
    d = WebhookDispatcher(rx.url, SECRET, "sync")
    d.notify(INTEREST)  # does not raise
    assert len(rx.calls) == 1
    [entry] = d.deliveries()
    assert entry["status"] == 500 and entry["delivered"] is False and entry["error"] == "HTTP 500"
    assert d.pending() == 0


def test_outbox_retries_until_200(rx: Receiver) -> None:
    rx.fail[INTEREST["Ref_Key"]] = 3
    d = WebhookDispatcher(rx.url, SECRET, "outbox", initial_backoff=0.02, max_backoff=0.1, seed=1)
    with running(d):
        d.notify(INTEREST)
        wait_until(lambda: d.pending() == 0, "outbox to drain")
    assert len(rx.calls) == 4
    log = d.deliveries()
    assert [e["attempt"] for e in log] == [1, 2, 3, 4]
    assert [e["status"] for e in log] == [500, 500, 500, 200]
    assert all(json.loads(body) == INTEREST for body, _ in rx.calls)


def test_outbox_is_unordered_a_retrying_event_does_not_block_later_ones(rx: Receiver) -> None:
    first = {**INTEREST, "Ref_Key": "11111111-1111-1111-1111-111111111111"}
    second = {**INTEREST, "Ref_Key": "22222222-2222-2222-2222-222222222222"}
    rx.fail[first["Ref_Key"]] = 1
    d = WebhookDispatcher(rx.url, SECRET, "outbox", initial_backoff=0.3, max_backoff=0.3, seed=2)
    d.notify(first)
    d.notify(second)
    with running(d):
        wait_until(lambda: d.pending() == 0, "outbox to drain")
    assert rx.refs() == [first["Ref_Key"], second["Ref_Key"], first["Ref_Key"]]


def test_outbox_resends_after_a_timeout_even_if_the_receiver_got_it(rx: Receiver) -> None:
    rx.stall_once.add(INTEREST["Ref_Key"])
    d = WebhookDispatcher(rx.url, SECRET, "outbox", timeout=1.0, initial_backoff=0.02, max_backoff=0.05)
    with running(d):
        d.notify(INTEREST)
        wait_until(lambda: d.pending() == 0, "outbox to drain")
    refs = rx.refs()
    assert len(refs) >= 2 and set(refs) == {INTEREST["Ref_Key"]}  # a duplicate the receiver must dedupe
    log = d.deliveries()
    assert log[0]["status"] is None and "Timeout" in log[0]["error"]
    assert log[-1]["status"] == 200 and log[-1]["attempt"] == len(refs)


def test_types_filter_what_is_sent(rx: Receiver) -> None:
    task = {"type": "Catalog_ЗадачиПроектов", "Ref_Key": "t", "DataVersion": "A", "event": "changed"}
    d = WebhookDispatcher(rx.url, SECRET, "sync", types={"Document_CRM_Интерес"})
    d.notify(task)
    d.notify(INTEREST)
    assert rx.refs() == [INTEREST["Ref_Key"]]
    everything = WebhookDispatcher(rx.url, SECRET, "sync")
    everything.notify(task)
    assert rx.refs() == [INTEREST["Ref_Key"], "t"]


def test_stop_returns_while_the_receiver_never_answers() -> None:
    with contextlib.closing(socket.socket()) as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)  # accepts connections into the backlog, never answers
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/hook"
        d = WebhookDispatcher(url, SECRET, "outbox", timeout=0.3, initial_backoff=0.02)
        d.start()
        d.notify(INTEREST)
        wait_until(lambda: len(d.deliveries()) >= 1, "a first (timed out) attempt")
        d.stop()
        assert d._thread is not None and not d._thread.is_alive()
        assert d.pending() == 1  # never acknowledged: still owed


def test_restart_after_stop_delivers_what_is_pending(rx: Receiver) -> None:
    d = WebhookDispatcher(rx.url, SECRET, "outbox")
    d.notify(INTEREST)
    d.start()
    wait_until(lambda: d.pending() == 0, "delivery")
    d.stop()
    d.notify({**INTEREST, "event": "changed"})
    assert d.pending() == 1
    with running(d):
        wait_until(lambda: d.pending() == 0, "delivery after restart")
    events: list[Any] = [json.loads(body)["event"] for body, _ in rx.calls]
    assert events == ["created", "changed"]
