"""The one place that decides what a 1C answer or a transport failure means.

Taxonomy (callers catch these, never ``requests`` or JSON errors):

- ``Retriable``: try again later (timeouts, connection errors, lock/busy 500s, 502/503/504,
  406 session pool full, 429); ``retry_after`` carries the server's hint in seconds.
- ``OutcomeUnknown(Retriable)``: a write may or may not have happened; read before writing again.
- ``StaleSession(Retriable)``: the ``ibsession`` cookie is no longer valid; restart the session.
- ``Conflict``: 412, the object changed since the DataVersion given in ``If-Match``.
- ``NotFound``: entity (code 9), entity set not published (8), property (10), method (11).
- ``ClosedPeriod``: 1C refused a write dated on or before the closing date.
- ``Fatal``: everything else the caller cannot fix by retrying (bad request, rights, credentials,
  an HTML page instead of JSON, a business rule).

Messages name the entity set and field when known and pass through ``redaction``.
"""

from __future__ import annotations

import json
from typing import Any

import requests

from connector.http.redaction import redact_text, redact_url
from connector.http.retry import FATAL, Verdict, parse_retry_after

LOCK_MARKERS = (
    "блокиров",
    "lock",
    "busy",
    "перегружен",
    "занят",
    "timeout",
    "тайм-аут",
    "превышено максимальное время ожидания",
    "ошибка при выполнении операции с информационной базой",
    "ошибка субд",
)
CLOSED_MARKERS = ("дата запрета", "даты запрета", "запрета изменения", "closed period", "closing date")
SESSION_MARKERS = ("session", "сеанс")


class OneCError(Exception):
    """Base of every error the 1C layer raises. ``str()`` is safe to log."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        url: str | None = None,
        entity_set: str | None = None,
    ) -> None:
        self.status = status
        self.code = code
        self.url = redact_url(url) if url else None
        self.entity_set = entity_set
        text = redact_text(message)
        if self.url:
            text = f"{text} [{'HTTP ' + str(status) + ' ' if status else ''}{self.url}]"
        super().__init__(text)


class Retriable(OneCError):
    def __init__(self, message: str, *, retry_after: float | None = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.retry_after = retry_after


class OutcomeUnknown(Retriable):
    """A write whose outcome is unknown (timeout after sending): read before writing again."""


class StaleSession(Retriable):
    """1C no longer knows our ``ibsession`` cookie."""


class Conflict(OneCError):
    """If-Match failed (412): someone changed the object; re-read and decide."""


class NotFound(OneCError):
    """An entity, entity set, property or method that 1C does not know (or has not published)."""


class ClosedPeriod(OneCError):
    """1C refused a write or posting dated on or before the closing date (never force it)."""


class Fatal(OneCError):
    """Retrying cannot help: fix configuration, credentials, rights or data."""


class AmbiguousMatch(Fatal):
    """A find-by-key matched more than one object."""


def retry_verdict(exc: BaseException) -> Verdict:
    """Whether another attempt may help: ``Retriable`` errors yes, an ``OutcomeUnknown`` write never
    (read before writing again); a ``StaleSession`` at once, since the cookie is already dropped."""
    if not isinstance(exc, Retriable) or isinstance(exc, OutcomeUnknown):
        return FATAL
    if isinstance(exc, StaleSession):
        return Verdict(True, retry_after=0.0)
    return Verdict(True, retry_after=exc.retry_after)


def odata_error(body: Any) -> tuple[str | None, str | None]:
    """``(code, message)`` from a 1C ``odata.error`` JSON body (or ``(None, None)``)."""
    if not isinstance(body, dict):
        return None, None
    err = body.get("odata.error") or body.get("error")
    if not isinstance(err, dict):
        return None, None
    code = err.get("code")
    msg = err.get("message")
    if isinstance(msg, dict):
        msg = msg.get("value")
    return (str(code) if code is not None else None), (str(msg) if msg is not None else None)


def _looks_html(response: requests.Response) -> bool:
    ctype = response.headers.get("Content-Type", "").lower()
    if "html" in ctype:
        return True
    head = response.content[:200].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html"))


def _what(entity_set: str | None, field: str | None = None) -> str:
    parts = []
    if entity_set:
        parts.append(f"entity set {entity_set}")
    if field:
        parts.append(f"field {field}")
    return ", ".join(parts)


def classify_response(
    response: requests.Response,
    *,
    entity_set: str | None = None,
    had_session_cookie: bool = False,
    write: bool = False,
) -> OneCError | None:
    """``None`` for a usable answer, else the error it means. Never raises.

    A 500 on a read is transient (reads have no business rules); on a write it is retried only
    when 1C's text says lock, busy, timeout or a database failure, since the same code -1 also
    carries business-rule refusals that no retry can fix."""
    status = response.status_code
    url = response.url
    kw: dict[str, Any] = {"status": status, "url": url, "entity_set": entity_set}
    if 200 <= status < 300:
        if status != 204 and response.content and _looks_html(response):
            return Fatal(
                f"1C answered an HTML page instead of JSON for {_what(entity_set) or 'the request'}: "
                "check the publication URL (…/odata/standard.odata) and that no login page is in the way",
                **kw,
            )
        return None
    code: str | None = None
    message: str | None = None
    if not _looks_html(response):
        try:
            code, message = odata_error(response.json())
        except ValueError:
            message = response.text[:300] or None
    kw["code"] = code
    text = message or response.reason or "no message"
    low = text.lower()
    where = _what(entity_set)
    prefix = f"{where}: " if where else ""
    retry_after = parse_retry_after(response.headers.get("Retry-After"))

    if status in (400, 404) and had_session_cookie and any(m in low for m in SESSION_MARKERS):
        return StaleSession(f"1C session expired: {text}", **kw)
    if status == 412:
        return Conflict(f"{prefix}the object was changed by someone else (If-Match failed): {text}", **kw)
    if status == 406:
        return Retriable(f"1C session pool is full: {text}", retry_after=retry_after, **kw)
    if status == 429:
        return Retriable(f"1C rate limit: {text}", retry_after=retry_after, **kw)
    if status in (502, 503, 504):
        return Retriable(f"1C unavailable: {text}", retry_after=retry_after, **kw)
    if status == 401:
        creds = code != "20" or any(m in low for m in ("аутентификац", "пароль", "password", "authentica"))
        reason = "credentials rejected (check user and password)" if creds else "insufficient access rights"
        return Fatal(f"{prefix}1C refused the request, {reason}: {text}", **kw)
    if code == "8" or (status == 404 and code is None and entity_set):
        return NotFound(f"entity set {entity_set} is not published in 1C's OData interface: {text}", **kw)
    if code == "9":
        return NotFound(f"{prefix}object not found: {text}", **kw)
    if code == "10":
        return NotFound(f"{prefix}property not found: {text}", **kw)
    if code == "11":
        return NotFound(f"{prefix}method not found: {text}", **kw)
    if status >= 500:
        if any(m in low for m in CLOSED_MARKERS):
            return ClosedPeriod(f"{prefix}closed period: {text}", **kw)
        if not write or code is None or any(m in low for m in LOCK_MARKERS):
            return Retriable(f"1C busy or failed transiently: {text}", retry_after=retry_after, **kw)
        return Fatal(f"{prefix}1C refused the operation: {text}", **kw)
    if status == 404:
        return NotFound(f"{prefix}not found: {text}", **kw)
    return Fatal(f"{prefix}1C rejected the request (code {code}): {text}", **kw)


def classify_exception(
    exc: requests.RequestException, *, url: str, write: bool, entity_set: str | None = None
) -> OneCError:
    """The error a transport failure means. A write that may have reached 1C is ``OutcomeUnknown``."""
    kw: dict[str, Any] = {"url": url, "entity_set": entity_set}
    never_sent = isinstance(exc, requests.ConnectTimeout) or (
        isinstance(exc, requests.ConnectionError)
        and not isinstance(exc, requests.ReadTimeout)
        and "NewConnectionError" in repr(exc)
    )
    kind = "timeout" if isinstance(exc, requests.Timeout) else "connection error"
    if isinstance(exc, requests.exceptions.InvalidURL | requests.exceptions.MissingSchema):
        return Fatal(f"invalid 1C URL: {type(exc).__name__}", **kw)
    if isinstance(exc, requests.exceptions.InvalidSchema):
        return Fatal("invalid 1C URL scheme (use http:// or https://)", **kw)
    if write and not never_sent:
        return OutcomeUnknown(f"{kind} during a write; its outcome is unknown: {type(exc).__name__}", **kw)
    return Retriable(f"{kind} talking to 1C: {type(exc).__name__}", **kw)


def json_body(response: requests.Response, entity_set: str | None = None) -> Any:
    """The decoded JSON of a successful answer, or ``Fatal`` naming what came instead."""
    try:
        # json.loads on the raw bytes (UTF-8, as 1C sends) skips building a decoded text copy of
        # a whole page first: less time and a lower memory peak per page.
        return json.loads(response.content)
    except ValueError:  # json.JSONDecodeError is one
        ctype = response.headers.get("Content-Type", "?")
        raise Fatal(
            f"1C answered {ctype!r} that is not JSON for {_what(entity_set) or 'the request'}",
            status=response.status_code,
            url=response.url,
            entity_set=entity_set,
        ) from None
