"""Webhooks out of the mock 1C, built the two ways a 1C extension builds them.

* ``sync``: an event subscription inside the write transaction POSTs once; a slow receiver slows
  the write, a failure is logged and never breaks the write (nor is it retried).
* ``outbox``: the change is queued and a background job POSTs it until the receiver answers
  HTTP 200, with capped exponential backoff. Delivery is at-least-once and unordered: while one
  event waits for its retry, later ones go out first, and an event whose answer was lost (timeout)
  is sent again even if the receiver processed it.

The body is the JSON of crm-model.md (``{"type","Ref_Key","DataVersion","Number"?,"Date"?,"event"}``)
in UTF-8 without ``\\u`` escapes; ``X-Onec-Signature: sha256=<hex HMAC-SHA256 of the raw body>``.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import random
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

import requests

SIGNATURE_HEADER = "X-Onec-Signature"
LOG_LIMIT = 10_000


def sign(body: bytes, secret: str) -> str:
    """``sha256=<hex HMAC-SHA256 of the raw body>`` with the shared secret (UTF-8)."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


@dataclass(order=True)
class _Pending:
    due: float
    seq: int
    payload: dict[str, Any] = field(compare=False)
    attempts: int = field(default=0, compare=False)


class WebhookDispatcher:
    """Sends change notifications to ``url``; ``url=None`` disables sending (nothing is logged)."""

    def __init__(
        self,
        url: str | None,
        secret: str,
        mode: Literal["sync", "outbox"],
        types: set[str] | None = None,
        *,
        timeout: float = 5.0,
        max_backoff: float = 5.0,
        seed: int | None = None,
        initial_backoff: float = 0.1,
    ) -> None:
        if mode not in ("sync", "outbox"):
            raise ValueError(f"webhook mode must be 'sync' or 'outbox', got {mode!r}")
        if timeout <= 0 or max_backoff <= 0 or initial_backoff <= 0:
            raise ValueError("webhook timeout and backoffs must be positive")
        self.url = url
        self.secret = secret
        self.mode = mode
        self.types = set(types) if types is not None else None
        self.timeout = timeout
        self.max_backoff = max_backoff
        self.initial_backoff = initial_backoff
        self._rng = random.Random(seed)
        self._log: deque[dict[str, Any]] = deque(maxlen=LOG_LIMIT)
        self._queue: list[_Pending] = []
        self._in_flight = 0
        self._seq = itertools.count()
        self._cond = threading.Condition()
        self._stopping = False
        self._thread: threading.Thread | None = None

    # --- public surface ---------------------------------------------------------------------------
    def notify(self, payload: dict[str, Any]) -> None:
        """Announce a change: ``sync`` delivers now (one attempt), ``outbox`` queues it. Never raises."""
        if self.url is None or (self.types is not None and payload.get("type") not in self.types):
            return
        if self.mode == "sync":
            self._attempt(payload, 1, session=None)
            return
        with self._cond:
            self._queue.append(_Pending(time.monotonic(), next(self._seq), dict(payload)))
            self._cond.notify_all()

    def start(self) -> None:
        """Start the outbox worker (no-op in ``sync`` mode or when already running)."""
        if self.mode != "outbox" or (self._thread is not None and self._thread.is_alive()):
            return
        with self._cond:
            self._stopping = False
        self._thread = threading.Thread(target=self._run, name="mock-1c-webhooks", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the worker; waits at most about one request timeout. Undelivered events stay pending."""
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(self.timeout + 2.0)

    def deliveries(self) -> list[dict[str, Any]]:
        """Delivery log, oldest first: ``payload, attempt, status, error, at`` (+ ``delivered``)."""
        with self._cond:
            return [dict(entry) for entry in self._log]

    def pending(self) -> int:
        """Outbox events not yet acknowledged with HTTP 200 (including one being sent)."""
        with self._cond:
            return len(self._queue) + self._in_flight

    # --- delivery ---------------------------------------------------------------------------------
    def _attempt(self, payload: dict[str, Any], attempt: int, session: requests.Session | None) -> bool:
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            SIGNATURE_HEADER: sign(body, self.secret),
        }
        status: int | None = None
        error: str | None = None
        url = self.url or ""
        try:
            poster = session.post if session is not None else requests.post
            resp = poster(url, data=body, headers=headers, timeout=self.timeout)
            status = resp.status_code
        except requests.RequestException as exc:
            error = f"{type(exc).__name__}: {exc}"
        delivered = status == 200 if self.mode == "outbox" else status is not None and 200 <= status < 300
        if error is None and not delivered:
            error = f"HTTP {status}"
        entry = {
            "payload": payload,
            "attempt": attempt,
            "status": status,
            "error": error,
            "delivered": delivered,
            "at": datetime.now(UTC).isoformat(timespec="milliseconds"),
        }
        with self._cond:
            self._log.append(entry)
        return delivered

    def _backoff(self, attempts: int) -> float:
        base = min(self.max_backoff, self.initial_backoff * 2 ** min(attempts - 1, 30))
        return base * (0.5 + self._rng.random() / 2)

    def _run(self) -> None:
        session = requests.Session()
        try:
            while True:
                item = self._next_due()
                if item is None:
                    return
                item.attempts += 1
                ok = self._attempt(item.payload, item.attempts, session)
                with self._cond:
                    self._in_flight -= 1
                    if not ok:
                        item.due = time.monotonic() + self._backoff(item.attempts)
                        self._queue.append(item)
                        self._cond.notify_all()
        finally:
            session.close()

    def _next_due(self) -> _Pending | None:
        """Block until an event is due (earliest first) or the dispatcher stops (→ None)."""
        with self._cond:
            while not self._stopping:
                if self._queue:
                    item = min(self._queue)
                    wait = item.due - time.monotonic()
                    if wait <= 0:
                        self._queue.remove(item)
                        self._in_flight += 1
                        return item
                    self._cond.wait(wait)
                else:
                    self._cond.wait()
            return None
