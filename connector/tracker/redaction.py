"""Redaction of credentials in URLs, texts and log records.

Bitcop takes its key as the ``apikey`` query parameter, so every URL is a secret carrier
(pitfall 19). Anything that prints a URL (our logs, exception messages, urllib3's debug log)
goes through here first.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

MASK = "***"
SENSITIVE_PARAMS = frozenset({"apikey", "api_key", "key", "token", "access_token", "password", "secret"})

_PARAM_IN_TEXT = re.compile(
    r"(?P<name>\b(?:"
    + "|".join(sorted(SENSITIVE_PARAMS, key=len, reverse=True))
    + r"))=(?P<value>[^&\s\"'#]*)",
    re.IGNORECASE,
)
_USERINFO_IN_TEXT = re.compile(r"(?P<scheme>\bhttps?://)[^/@\s:]+:[^/@\s]*@", re.IGNORECASE)


def redact_url(url: str) -> str:
    """``url`` with the values of credential-like query parameters and any password masked."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return redact_text(url)
    query = [
        (name, MASK if name.lower() in SENSITIVE_PARAMS else value)
        for name, value in parse_qsl(parts.query, keep_blank_values=True)
    ]
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, host = netloc.rsplit("@", 1)
        user = userinfo.split(":", 1)[0]
        netloc = f"{user}:{MASK}@{host}" if ":" in userinfo else netloc
    return urlunsplit((parts.scheme, netloc, parts.path, urlencode(query, safe="*,"), parts.fragment))


def redact_text(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with ``name=value`` credential parameters, URL passwords and known secrets masked."""
    text = _PARAM_IN_TEXT.sub(lambda m: f"{m.group('name')}={MASK}", text)
    text = _USERINFO_IN_TEXT.sub(lambda m: f"{m.group('scheme')}{MASK}@", text)
    for secret in secrets:
        if secret:
            text = text.replace(secret, MASK)
    return text


class RedactingFilter(logging.Filter):
    """A logging filter that rewrites each record's message with ``redact_text``.

    Attached to third-party loggers (urllib3 logs every request line, query string included)
    so their records are clean before any handler sees them.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: leave it to the logging machinery
            return True
        redacted = redact_text(message)
        if redacted != message:
            record.msg, record.args = redacted, ()
        return True


_INSTALLED: set[str] = set()


def install_log_redaction(logger_names: Iterable[str] = ("urllib3.connectionpool",)) -> None:
    """Attach a ``RedactingFilter`` to each named logger once (idempotent, process-wide)."""
    for name in logger_names:
        if name not in _INSTALLED:
            logging.getLogger(name).addFilter(RedactingFilter())
            _INSTALLED.add(name)
