"""Redaction of secrets in URLs, headers, free text and log records.

Everything a client shows anyone (a log line, an exception text, urllib3's request log) passes
through here: passwords in URLs, ``apikey``/``token``-like query parameters (Bitcop takes its key
as ``apikey``, so every tracker URL carries a secret), ``Authorization`` and cookie headers,
Basic/Bearer credentials and 1C's ``ibsession`` cookie in text, and any secret value given.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Mapping
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
    """The URL with a userinfo password and secret query parameters replaced by ``***``.

    A URL without secrets comes back unchanged (its query is not re-encoded)."""
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
    Basic/Bearer credentials, the 1C session cookie and every given secret value masked.

    Secrets shorter than three characters are ignored: masking every "1" would make the text
    unreadable while protecting nothing worth the name."""
    text = _USERINFO.sub(lambda m: f"{m['scheme']}{m['user']}:{REDACTED}@", text)
    text = _PARAM_IN_TEXT.sub(lambda m: f"{m['name']}={REDACTED}", text)
    text = _AUTH_IN_TEXT.sub(lambda m: f"{m['name']} {REDACTED}", text)
    text = _SESSION_COOKIE.sub(lambda m: f"{m['name']}={REDACTED}", text)
    for secret in sorted(secrets, key=len, reverse=True):
        if secret and len(secret) >= 3:
            text = text.replace(secret, REDACTED)
    return text


class RedactingFilter(logging.Filter):
    """Masks secrets in a record's message, its exception text and its stack info.

    ``secrets`` is called per record, so values registered later are still masked. The
    traceback is formatted here, redacted and kept as ``exc_text`` (``exc_info`` is dropped),
    because a handler further down would otherwise format the raw one again."""

    def __init__(self, secrets: Callable[[], Iterable[str]] = tuple) -> None:
        super().__init__()
        self._secrets = secrets

    def redact(self, text: str) -> str:
        return redact_text(text, self._secrets())

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: keep the raw template, still redacted
            message = str(record.msg)
        redacted = self.redact(message)
        if redacted != message or record.args:
            record.msg, record.args = redacted, ()
        if record.exc_info:
            record.exc_text = self.redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        elif record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


_INSTALLED: set[str] = set()


def install_log_redaction(logger_names: Iterable[str] = ("urllib3.connectionpool",)) -> None:
    """Attach a ``RedactingFilter`` to each named logger once (idempotent, process-wide).

    For third-party loggers that print request lines, query string included, before any of
    our handlers sees the record."""
    for name in logger_names:
        if name not in _INSTALLED:
            logging.getLogger(name).addFilter(RedactingFilter())
            _INSTALLED.add(name)
