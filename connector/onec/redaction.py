"""Redaction of secrets in URLs, headers and free text before they reach a log or an exception.

Every URL or header that the 1C layer shows anyone passes through here: passwords in URLs,
``apikey``/``token``-like query parameters, ``Authorization`` and cookie headers.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

REDACTED = "***"
SECRET_PARAMS = frozenset(
    {"apikey", "api_key", "key", "token", "access_token", "password", "passwd", "secret", "sig", "signature"}
)
SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key"})
_USERINFO = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<user>[^/@\s:]*):(?P<pw>[^/@\s]*)@")
_PARAM_IN_TEXT = re.compile(
    r"(?P<name>\b(?:" + "|".join(sorted(SECRET_PARAMS, key=len, reverse=True)) + r"))=(?P<value>[^&\s\"'#]+)",
    re.IGNORECASE,
)
_AUTH_IN_TEXT = re.compile(r"(?P<name>\b(?:Basic|Bearer))\s+[A-Za-z0-9+/=._~-]+", re.IGNORECASE)
_SESSION_COOKIE = re.compile(r"(?P<name>ibsession)=(?P<value>[^;\s]+)", re.IGNORECASE)


def redact_url(url: str) -> str:
    """The URL with a userinfo password and secret query parameters replaced by ``***``."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return redact_text(url)
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, host = netloc.rsplit("@", 1)
        user = userinfo.split(":", 1)[0]
        netloc = f"{user}:{REDACTED}@{host}" if ":" in userinfo else f"{userinfo}@{host}"
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        if any(name.lower() in SECRET_PARAMS for name, _ in pairs):
            query = urlencode(
                [(n, REDACTED if n.lower() in SECRET_PARAMS else v) for n, v in pairs],
                quote_via=quote,
                safe="*$'(),:/",
            )
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def redact_headers(headers: Mapping[str, str] | Iterable[tuple[str, str]]) -> dict[str, str]:
    """A copy of the headers with credentials and cookies replaced by ``***``."""
    items = headers.items() if isinstance(headers, Mapping) else headers
    return {k: (REDACTED if k.lower() in SECRET_HEADERS else v) for k, v in items}


def redact_text(text: str, secrets: Iterable[str] = ()) -> str:
    """Free text (an error message, a log line) with URLs' passwords, secret parameters,
    Basic/Bearer credentials, the 1C session cookie and any of the given secret values masked."""
    text = _USERINFO.sub(lambda m: f"{m['scheme']}{m['user']}:{REDACTED}@", text)
    text = _PARAM_IN_TEXT.sub(lambda m: f"{m['name']}={REDACTED}", text)
    text = _AUTH_IN_TEXT.sub(lambda m: f"{m['name']} {REDACTED}", text)
    text = _SESSION_COOKIE.sub(lambda m: f"{m['name']}={REDACTED}", text)
    for secret in secrets:
        if secret and len(secret) >= 3:
            text = text.replace(secret, REDACTED)
    return text
