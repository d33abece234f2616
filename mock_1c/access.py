"""Who may talk to the base: Basic auth with UTF-8 credentials and 1C's IBSession cookies."""

from __future__ import annotations

import base64
import binascii
import hmac
import secrets
import threading
import time
from collections.abc import Callable


def basic_credentials(header: str | None) -> tuple[str, str] | None:
    """(user, password) of an ``Authorization: Basic …`` header decoded as UTF-8, else None."""
    if not header or not header.lower().startswith("basic "):
        return None
    try:
        raw = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, sep, password = raw.partition(":")
    return (user, password) if sep else None


class Sessions:
    """Open IBSession ids, at most ``limit`` at a time (406 beyond, as a full licence pool).

    Like a 1C server, a session nobody used for ``idle_timeout`` seconds is ended by the server
    (a client that died without ``IBSession: finish`` does not hold its licence forever);
    ``None`` keeps sessions until they are finished."""

    def __init__(
        self, limit: int, idle_timeout: float | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.idle_timeout = idle_timeout
        self._clock = clock
        self._open: dict[str, float] = {}
        self._lock = threading.Lock()

    def _expire(self) -> None:
        if self.idle_timeout is None:
            return
        oldest = self._clock() - self.idle_timeout
        for sid in [sid for sid, used in self._open.items() if used < oldest]:
            del self._open[sid]

    def start(self) -> str | None:
        with self._lock:
            self._expire()
            if len(self._open) >= self.limit:
                return None
            sid = secrets.token_hex(16)
            self._open[sid] = self._clock()
            return sid

    def is_open(self, sid: str) -> bool:
        with self._lock:
            self._expire()
            if sid not in self._open:
                return False
            self._open[sid] = self._clock()
            return True

    def finish(self, sid: str) -> None:
        with self._lock:
            self._open.pop(sid, None)

    def count(self) -> int:
        with self._lock:
            self._expire()
            return len(self._open)


def credentials_match(given: tuple[str, str] | None, user: str, password: str) -> bool:
    if given is None:
        return False
    ok_user = hmac.compare_digest(given[0].encode(), user.encode())
    ok_password = hmac.compare_digest(given[1].encode(), password.encode())
    return ok_user and ok_password
