"""One HTTP channel to a 1C base: auth, IBSession reuse, politeness, retries, error mapping.

Both the OData client and the SOAP client send through a ``OneCHttp`` so that credentials,
the session cookie, the rate limit, the concurrency cap and the retry policy are shared.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from functools import partial
from urllib.parse import urlsplit, urlunsplit

import requests
from requests.auth import HTTPBasicAuth

from connector.http.redaction import redact_text, redact_url
from connector.http.throttle import Throttle
from connector.onec.errors import Fatal, OneCError, StaleSession, classify_exception, classify_response
from connector.onec.retry import RetryPolicy

log = logging.getLogger("connector.onec")
SESSION_COOKIE = "ibsession"


def check_base_url(base_url: str) -> str:
    """The infobase URL without credentials, a trailing slash or ``/odata/standard.odata``;
    ``Fatal`` if it is not an absolute http(s) URL or carries a query string."""
    text = (base_url or "").strip()
    try:
        parts = urlsplit(text)
        port_ok = parts.port is None or parts.port > 0
    except ValueError:
        port_ok = False
        parts = urlsplit("")
    if parts.scheme not in ("http", "https") or not parts.hostname or not port_ok:
        raise Fatal(
            f"invalid 1C base URL {redact_url(text)!r}: expected http(s)://host[:port]/<infobase>, "
            "e.g. http://127.0.0.1:8801/crm"
        )
    if parts.query or parts.fragment:
        raise Fatal(f"invalid 1C base URL {redact_url(text)!r}: it must not carry a query string or fragment")
    netloc = parts.netloc.rsplit("@", 1)[-1]  # credentials come from settings, never from the URL
    text = urlunsplit((parts.scheme, netloc, parts.path, "", "")).rstrip("/")
    for suffix in ("/odata/standard.odata", "/odata"):
        if text.endswith(suffix):
            text = text[: -len(suffix)]
    return text


class OneCHttp:
    """Sends requests to one 1C base. Thread-safe; at most ``max_concurrency`` in flight."""

    def __init__(
        self,
        user: str,
        password: str,
        *,
        session: requests.Session | None = None,
        timeout: float = 30.0,
        deadline: float = 120.0,
        max_concurrency: int = 2,
        rate_limit: float = 50.0,
        policy: RetryPolicy | None = None,
        use_ibsession: bool = True,
    ) -> None:
        self.session = session or requests.Session()
        self._owns_session = session is None
        # 1C expects UTF-8 credentials; requests would encode str as latin-1 and fail on Cyrillic.
        self.session.auth = HTTPBasicAuth(user.encode("utf-8"), password.encode("utf-8"))
        self._secrets = (password,)
        self.timeout = timeout
        self.policy = policy or RetryPolicy(deadline=deadline)
        self.throttle = Throttle(rate_limit, max_concurrency)
        self._lock = threading.Lock()
        self._start_lock = threading.Lock()  # one request at a time may open the 1C session
        self._session_state = "new" if use_ibsession else "off"
        self.requests_sent = 0

    def request(
        self,
        method: str,
        url: str,
        *,
        entity_set: str | None = None,
        write: bool = False,
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> requests.Response:
        """Send with retries; return a 2xx response or raise a ``OneCError``."""
        start = self.policy.clock()
        for attempt in self.policy.retrying():
            with attempt:
                remaining = max(1.0, self.policy.remaining(start))
                return self._once(
                    partial(self._send, method, url, entity_set, write, body, headers, remaining)
                )
        raise AssertionError("unreachable")  # pragma: no cover

    def _once(self, send: Callable[[bool], requests.Response]) -> requests.Response:
        """One attempt; ``send(starting)`` opens the 1C session when ``starting``. While no session
        is open, concurrent callers queue behind the one request that opens it, so parallel
        threads never open (and leak) several sessions."""
        starting = False
        if self._session_state == "new":
            self._start_lock.acquire()
            starting = self._session_state == "new"
            if not starting:
                self._start_lock.release()
        try:
            return send(starting)
        finally:
            if starting:
                self._start_lock.release()

    def _send(
        self,
        method: str,
        url: str,
        entity_set: str | None,
        write: bool,
        body: bytes | None,
        headers: Mapping[str, str] | None,
        remaining: float,
        starting: bool,
    ) -> requests.Response:
        send: dict[str, str] = {"Accept": "application/json"}
        if body is not None:
            send["Content-Type"] = "application/json;charset=utf-8"
        send.update(headers or {})
        if starting:
            send["IBSession"] = "start"
        with self._lock:
            had_cookie = self.session.cookies.get(SESSION_COOKIE) is not None
        with self.throttle.slot():
            t0 = time.monotonic()
            try:
                self.requests_sent += 1
                resp = self.session.request(
                    method, url, data=body, headers=send, timeout=min(self.timeout, remaining)
                )
            except requests.RequestException as exc:
                err = classify_exception(exc, url=url, write=write, entity_set=entity_set)
                log.warning("1C %s %s failed: %s", method, redact_url(url), err)
                raise err from None
        if log.isEnabledFor(logging.DEBUG):
            log.debug(
                "1C %s %s -> %s in %.3fs", method, redact_url(url), resp.status_code, time.monotonic() - t0
            )
        error = classify_response(resp, entity_set=entity_set, had_session_cookie=had_cookie, write=write)
        with self._lock:
            if starting and error is None:
                self._session_state = "active" if self.session.cookies.get(SESSION_COOKIE) else "off"
            if isinstance(error, StaleSession):
                self._forget_session()
        if error is not None:
            log.warning("1C %s: %s", method, error)
            raise error
        return resp

    def _forget_session(self) -> None:
        try:
            del self.session.cookies[SESSION_COOKIE]
        except KeyError:
            pass
        self._session_state = "new"

    @property
    def session_active(self) -> bool:
        return self._session_state == "active"

    def finish_session(self, url: str) -> None:
        """End the 1C session (``IBSession: finish``); errors are logged, not raised."""
        with self._lock:
            active = self._session_state == "active"
        if active:
            try:
                self.session.get(url, headers={"IBSession": "finish"}, timeout=self.timeout)
            except requests.RequestException as exc:
                log.info("1C session finish failed: %s", redact_text(str(exc), self._secrets))
            with self._lock:
                self._forget_session()

    def close(self) -> None:
        if self._owns_session:
            self.session.close()

    def safe(self, exc: BaseException) -> str:
        """An exception text safe to show: redacted, credentials removed."""
        if isinstance(exc, OneCError):
            return str(exc)
        return redact_text(str(exc), self._secrets)
