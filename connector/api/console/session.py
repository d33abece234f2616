"""Who is signed in to the console: a signed, ``HttpOnly``, ``SameSite=Strict`` session cookie.

Two roles: ``operator`` (signed in with ``ONEC_BRIDGE_ADMIN_TOKEN``) and ``viewer`` (with
``ONEC_BRIDGE_VIEWER_TOKEN``; reports only). The cookie holds the role, a per-session CSRF token
and the time of sign-in, signed with a key derived from the admin token — never a token itself.
Every POST carries the session's CSRF token in a form field, compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Literal

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from connector.settings import Settings

COOKIE = "onec_bridge_console"
MAX_AGE = 8 * 3600  # a working day; then sign in again
Role = Literal["operator", "viewer"]


@dataclass(frozen=True)
class ConsoleSession:
    role: Role
    csrf: str

    @property
    def operator(self) -> bool:
        return self.role == "operator"


def _serializer(settings: Settings) -> URLSafeTimedSerializer:
    admin = settings.admin_token.get_secret_value()
    key = hashlib.sha256(b"onec-bridge console session\0" + admin.encode("utf-8")).hexdigest()
    return URLSafeTimedSerializer(key, salt="console-session")


def role_for(settings: Settings, token: str) -> Role | None:
    """The role a sign-in token grants, or None (empty tokens never match)."""
    given = token.strip().encode("utf-8")
    for role, secret in (("operator", settings.admin_token), ("viewer", settings.viewer_token)):
        value = secret.get_secret_value().encode("utf-8")
        if value and hmac.compare_digest(given, value):
            return role  # type: ignore[return-value]
    return None


def issue(settings: Settings, role: Role) -> tuple[str, ConsoleSession]:
    """A new session (fresh CSRF token) and its cookie value."""
    session = ConsoleSession(role, secrets.token_urlsafe(24))
    return _serializer(settings).dumps({"role": role, "csrf": session.csrf}), session


def read(settings: Settings, cookie: str | None) -> ConsoleSession | None:
    """The session of a cookie, or None when absent, forged, expired or the console is off."""
    if not cookie or not settings.admin_token.get_secret_value():
        return None
    try:
        data = _serializer(settings).loads(cookie, max_age=MAX_AGE)
    except (BadSignature, SignatureExpired):
        return None
    role, csrf = data.get("role"), data.get("csrf")
    if role not in ("operator", "viewer") or not isinstance(csrf, str):
        return None
    if role == "viewer" and not settings.viewer_token.get_secret_value():
        return None  # the viewer token was withdrawn: its sessions end
    return ConsoleSession(role, csrf)


def csrf_ok(session: ConsoleSession, given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(session.csrf.encode(), (given or "").encode())
