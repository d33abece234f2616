"""Who may talk to the base: Basic auth with UTF-8 credentials and 1C's IBSession cookies."""

from __future__ import annotations

import base64
import binascii
import hmac
import secrets
import threading


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
    """Open IBSession ids, at most ``limit`` at a time (406 beyond, as a full licence pool)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._open: set[str] = set()
        self._lock = threading.Lock()

    def start(self) -> str | None:
        with self._lock:
            if len(self._open) >= self.limit:
                return None
            sid = secrets.token_hex(16)
            self._open.add(sid)
            return sid

    def is_open(self, sid: str) -> bool:
        with self._lock:
            return sid in self._open

    def finish(self, sid: str) -> None:
        with self._lock:
            self._open.discard(sid)

    def count(self) -> int:
        with self._lock:
            return len(self._open)


def credentials_match(given: tuple[str, str] | None, user: str, password: str) -> bool:
    if given is None:
        return False
    ok_user = hmac.compare_digest(given[0].encode(), user.encode())
    ok_password = hmac.compare_digest(given[1].encode(), password.encode())
    return ok_user and ok_password
