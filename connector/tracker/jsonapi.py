"""A JSON REST client for task-sink trackers (Kimai, Clockify): throttled, retried, classified.

One place decides what an answer means (fatal / retriable / unconfirmed) and what may be sent
again. Reads and idempotent writes (PATCH/PUT, a report POST) are retried under the shared
policy: 429 with ``Retry-After``, 5xx, timeouts and connection errors. A **create** is different:
sent twice it may create twice. It is retried only when it surely did not reach the tracker
(429, a connection never established); a timeout, a 5xx or a dropped connection after sending
raise ``UnconfirmedWrite``, and ``create`` reads back (polling a little while, since a slow
create may still be committing) before it tries again.

Credentials travel in headers and never appear in a message: texts are built from the method
and the URL, and the tracker's own message is redacted with the known secrets.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

import orjson
import requests
from urllib3.exceptions import NewConnectionError

from connector.http.redaction import install_log_redaction, redact_text, redact_url
from connector.http.retry import RetryPolicy, parse_retry_after
from connector.http.throttle import Throttle
from connector.tracker.base import PublishOutcome, TaskPublication, task_code_from_name
from connector.tracker.client import tracker_retry_policy
from connector.tracker.errors import (
    TrackerApiError,
    TrackerAuthError,
    TrackerError,
    TrackerProtocolError,
    TrackerTransientError,
    TrackerUnavailable,
    retry_verdict,
)

log = logging.getLogger(__name__)

T = TypeVar("T")
Params = Mapping[str, str | int | Sequence[str]]
Item = dict[str, Any]


class UnconfirmedWrite(TrackerTransientError):
    """A create whose fate is unknown (timeout, 5xx, connection lost after sending).

    Not retried by the policy (``retriable`` is False here on purpose): only ``JsonApi.create``
    may try again, and only after reading back that nothing was created."""

    retriable = False


@dataclass(frozen=True)
class Answer:
    status: int
    body: Any
    headers: Mapping[str, str]

    def header_int(self, name: str) -> int | None:
        """An integer response header (``X-Total-Pages``); None when absent or unreadable."""
        try:
            return int(str(self.headers.get(name, "")).strip())
        except ValueError:
            return None


class JsonApi:
    """Sends JSON requests to ``base_url`` with the tracker's auth headers; counts what it sends."""

    def __init__(
        self,
        base_url: str,
        *,
        tracker: str,
        headers: Mapping[str, str],
        secrets: Sequence[str],
        auth_hint: str,
        session: requests.Session | None = None,
        timeout: float = 30.0,
        throttle: Throttle | None = None,
        policy: RetryPolicy | None = None,
        create_attempts: int = 3,
        settle: float | None = None,
    ) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise ValueError(f"{redact_url(base_url)!r} is not an http(s) URL")
        if timeout <= 0:
            raise ValueError(f"timeout must be positive seconds, got {timeout!r}")
        self.base_url = base_url.rstrip("/")
        self.tracker = tracker
        self._headers = {"Accept": "application/json", **headers}
        self._secrets = [s for s in secrets if s]
        self._auth_hint = auth_hint
        # A session made here reads proxy and CA settings from the environment once per host
        # instead of on every request (requests re-reads them each time); a given one is left be.
        self._owned = session is None
        self._session = session or requests.Session()
        self._environment: dict[str, dict[str, Any]] = {}
        self._timeout = timeout
        self._throttle = throttle or Throttle(5.0)
        self._policy = policy or tracker_retry_policy()
        self._create_attempts = max(1, create_attempts)
        self._settle = timeout if settle is None else settle
        self.requests_sent = 0
        self.writes_sent = 0
        install_log_redaction()

    def get(self, path: str, params: Params | None = None, *, base: str | None = None) -> Answer:
        """One GET, retried per the policy."""
        return self._call(lambda: self._send("GET", path, params, None, base))

    def read(self, method: str, path: str, body: Any, *, base: str | None = None) -> Answer:
        """A request that changes nothing though it is not a GET (a report), retried like a GET."""
        return self._call(lambda: self._send(method, path, None, body, base))

    def write(self, method: str, path: str, body: Any = None, *, params: Params | None = None) -> Answer:
        """An idempotent write (PATCH/PUT of absolute values, adding a relation): retried."""
        return self._call(lambda: self._send(method, path, params, body, None, write=True))

    def _call(self, send: Callable[[], Answer]) -> Answer:
        """``send()`` once; after a retriable failure, wait what it asks and hand over to the policy.

        The first attempt bypasses the retry machinery, whose set-up costs more than a request to
        a nearby tracker when thousands are sent."""
        try:
            return send()
        except TrackerError as exc:
            verdict = retry_verdict(exc)
            if not verdict.retriable or self._policy.max_attempts < 2:
                raise
            self._policy.sleep(self._policy.wait_for(1, exc))
        return self._policy.call(send)

    def create(self, path: str, body: Any, read_back: Callable[[], Item | None], what: str) -> Item:
        """POST a new object, never twice: after an unconfirmed attempt ``read_back`` (a fresh
        lookup by name) is polled for a while; only when it finds nothing is the POST repeated."""
        last: UnconfirmedWrite | None = None
        for _ in range(self._create_attempts):
            try:
                answer = self._call(
                    lambda: self._send("POST", path, None, body, None, write=True, unconfirmed=True)
                )
            except UnconfirmedWrite as exc:
                last = exc
                log.warning("%s: %s; reading back before trying again", what, exc)
                found = self._poll(read_back)
                if found is not None:
                    return found
                continue
            if not isinstance(answer.body, dict):
                raise TrackerProtocolError(f"creating {what}: the answer is not a JSON object")
            return answer.body
        raise TrackerUnavailable(
            f"creating {what} was not confirmed after {self._create_attempts} attempts: {last}"
        )

    def _poll(self, read_back: Callable[[], Item | None]) -> Item | None:
        for wait in (0.0, self._settle / 4, self._settle / 4, self._settle / 2):
            if wait > 0:
                self._policy.sleep(wait)
            found = read_back()
            if found is not None:
                return found
        return None

    def _send(
        self,
        method: str,
        path: str,
        params: Params | None,
        body: Any,
        base: str | None,
        *,
        write: bool = False,
        unconfirmed: bool = False,
    ) -> Answer:
        url = f"{(base or self.base_url).rstrip('/')}/{path.lstrip('/')}"
        shown = f"{method} {redact_url(url)}"
        self.requests_sent += 1
        self.writes_sent += int(write)
        headers, data = self._headers, None
        if body is not None:
            headers, data = {**headers, "Content-Type": "application/json"}, orjson.dumps(body)
        try:
            with self._throttle.slot():
                response = self._session.request(
                    method,
                    url,
                    params=params,
                    data=data,
                    headers=headers,
                    timeout=self._timeout,
                    **self._settings(base or self.base_url),
                )
        except requests.ConnectTimeout:
            raise TrackerTransientError(f"{shown}: could not connect within {self._timeout}s") from None
        except requests.Timeout:
            raise self._transient(unconfirmed, f"{shown}: no answer within {self._timeout}s") from None
        except requests.ConnectionError as exc:
            reason = redact_text(str(exc), self._secrets)
            text = f"{shown} failed: {type(exc).__name__}: {reason}"
            if _never_connected(exc):
                raise TrackerTransientError(text) from None
            raise self._transient(unconfirmed, text) from None
        except requests.RequestException as exc:
            reason = redact_text(str(exc), self._secrets)
            raise TrackerProtocolError(f"{shown} failed: {type(exc).__name__}: {reason}") from None
        log.debug("%s -> %s", shown, response.status_code)
        return self._answer(response, shown, unconfirmed)

    def _settings(self, base: str) -> dict[str, Any]:
        if not self._owned:
            return {}
        found = self._environment.get(base)
        if found is None:
            self._session.trust_env = True
            merged = self._session.merge_environment_settings(base, {}, None, None, None)
            self._session.trust_env = False
            found = self._environment[base] = {k: merged[k] for k in ("proxies", "verify", "cert")}
        return found

    def _transient(self, unconfirmed: bool, text: str, **kw: Any) -> TrackerTransientError:
        return UnconfirmedWrite(text, **kw) if unconfirmed else TrackerTransientError(text, **kw)

    def _answer(self, response: requests.Response, shown: str, unconfirmed: bool) -> Answer:
        status = response.status_code
        body = _json_or_none(response)
        if status < 300:
            if body is None and response.content.strip():
                raise TrackerProtocolError(f"{shown}: the answer is not JSON", status=status)
            return Answer(status, body, response.headers)
        message = self._message(body) or response.reason or "no message"
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        if status == 401 or (status == 403 and "credential" in message.lower()):
            raise TrackerAuthError(
                f"{shown}: {self.tracker} refused the credentials (HTTP {status}: {message}); "
                f"check {self._auth_hint}",
                status=status,
            )
        if status == 403:
            raise TrackerAuthError(
                f"{shown}: {self.tracker} denied access (HTTP 403: {message}); the account behind "
                f"{self._auth_hint} lacks a permission",
                status=status,
            )
        if status == 429:
            raise TrackerTransientError(
                f"{shown}: rate limited (HTTP 429)", status=status, retry_after=retry_after
            )
        if status == 503 and not unconfirmed:
            raise TrackerUnavailable(f"{shown}: HTTP 503: {message}", status=status, retry_after=retry_after)
        if status in (408, 425) or status >= 500:
            raise self._transient(
                unconfirmed, f"{shown}: HTTP {status}: {message}", status=status, retry_after=retry_after
            )
        raise TrackerApiError(f"{shown}: HTTP {status}: {message}", status=status)

    def _message(self, body: Any) -> str | None:
        if not isinstance(body, dict):
            return None
        parts = [str(body[k]) for k in ("message", "error") if body.get(k)]
        children = (
            (body.get("errors") or {}).get("children") if isinstance(body.get("errors"), dict) else None
        )
        if isinstance(children, dict):
            for name, child in children.items():
                errors = child.get("errors") if isinstance(child, dict) else None
                if errors:
                    parts.append(f"{name}: {'; '.join(map(str, errors))}")
        text = "; ".join(parts)
        return redact_text(text[:500], self._secrets) if text else None


def tracker_api(
    base_url: str,
    *,
    tracker: str,
    headers: Mapping[str, str],
    key: str,
    auth_hint: str,
    session: requests.Session | None,
    timeout: float,
    rate_limit: float,
    sleep: Callable[[float], None],
    max_attempts: int,
    deadline: float,
    settle: float | None,
) -> JsonApi:
    """The ``JsonApi`` of an adapter from its settings: throttled to ``rate_limit`` requests/s,
    the key kept out of every text, retried under the shared tracker policy."""
    return JsonApi(
        base_url,
        tracker=tracker,
        headers=headers,
        secrets=[key],
        auth_hint=auth_hint,
        session=session,
        timeout=timeout,
        throttle=Throttle(rate_limit, sleep=sleep),
        # the client makes the first attempt itself; the policy governs the ones after it
        policy=tracker_retry_policy(max_attempts=max(1, max_attempts - 1), deadline=deadline, sleep=sleep),
        settle=settle,
    )


def _never_connected(exc: requests.ConnectionError) -> bool:
    """True when the connection was refused or never established (nothing was sent)."""
    seen: set[int] = set()
    stack: list[BaseException | None] = [exc]
    while stack:
        cur = stack.pop()
        if cur is None or id(cur) in seen:
            continue
        seen.add(id(cur))
        if isinstance(cur, NewConnectionError | ConnectionRefusedError):
            return True
        stack += [getattr(cur, "reason", None), cur.__cause__, cur.__context__]
        stack += [a for a in getattr(cur, "args", ()) if isinstance(a, BaseException)]
    return False


def _json_or_none(response: requests.Response) -> Any:
    try:
        return orjson.loads(response.content) if response.content.strip() else None
    except orjson.JSONDecodeError:
        return None


def is_already_done(exc: TrackerError) -> bool:
    """A 400 saying the relation already exists (Kimai's "Team has already access to …")."""
    return isinstance(exc, TrackerApiError) and exc.status == 400 and "already" in exc.message.lower()


# -- reading the items of a JSON tracker API -------------------------------------------------


def ref(value: Any) -> str | None:
    """An id given as a number, a string or an object with ``id`` (None when there is none)."""
    if isinstance(value, dict):
        value = value.get("id")
    return None if value is None or isinstance(value, bool) or value == "" else str(value)


def ref_id(value: Any, what: str) -> str:
    """Like ``ref``, but an answer without the id breaks the contract."""
    found = ref(value)
    if found is None:
        raise TrackerProtocolError(f"the tracker answered a {what} without an id: {value!r}")
    return found


def item_id(item: Item, name: str = "id") -> str:
    return ref_id(item.get(name), name)


def as_object(body: Any, what: str) -> Item:
    if not isinstance(body, dict):
        raise TrackerProtocolError(f"{what}: the answer is not a JSON object")
    return body


def as_list(body: Any, what: str) -> list[Item]:
    if not isinstance(body, list) or not all(isinstance(i, dict) for i in body):
        raise TrackerProtocolError(f"{what}: the answer is not a list of objects")
    return body


def fold(name: Any) -> str:
    """A name compared the way people read it: spaces collapsed, case ignored."""
    return " ".join(str(name or "").split()).casefold()


def by_code(items: list[Item]) -> dict[str, list[Item]]:
    """Items grouped by the code their name starts with (items without one are left out)."""
    out: dict[str, list[Item]] = {}
    for item in items:
        code = task_code_from_name(str(item.get("name") or ""))
        if code:
            out.setdefault(code, []).append(item)
    return out


def pick(items: list[Item], preferred: Callable[[Item], bool]) -> Item | None:
    """The preferred candidate (lowest id first), else any: a code is found wherever it lives."""

    def order(item: Item) -> tuple[bool, int, str]:
        key = ref(item.get("id")) or ""
        return (not preferred(item), int(key) if key.isdigit() else 1 << 62, key)

    return min(items, key=order) if items else None


def checked_period(begin: date, end: date, employee_ids: Sequence[str] | None) -> list[str] | None:
    """Validate a period ``[begin, end)`` and employee ids up front; ids deduplicated, order kept."""
    if begin > end:
        raise ValueError(f"period begins after it ends: {begin} > {end} (end is exclusive)")
    if employee_ids is None:
        return None
    if isinstance(employee_ids, str):
        raise ValueError("employee_ids must be a sequence of ids, not one string")
    return list(dict.fromkeys(employee_ids))


# -- publishing ----------------------------------------------------------------------------------


def reachable(tracker: str, start: Callable[[], T]) -> T:
    """``start()`` (the listings a publish begins with); a tracker that does not answer them is
    ``TrackerUnavailable``."""
    try:
        return start()
    except TrackerUnavailable:
        raise
    except TrackerTransientError as exc:
        raise TrackerUnavailable(f"{tracker} is unreachable: {exc}") from None


def publish_each(
    tracker: str, specs: Sequence[TaskPublication], one: Callable[[TaskPublication], PublishOutcome]
) -> list[PublishOutcome]:
    """One outcome per spec, in order: a spec the tracker refuses fails alone; refused credentials
    or a tracker that stops answering end the call (what was created is found by code next time)."""
    outcomes = []
    for spec in specs:
        try:
            outcomes.append(one(spec))
        except (TrackerAuthError, TrackerUnavailable):
            raise
        except TrackerTransientError as exc:
            text = f"{tracker} stopped answering while publishing {spec.code}: {exc}"
            raise TrackerUnavailable(text) from None
        except (TrackerError, ValueError) as exc:
            log.warning("%s: publishing %s failed: %s", tracker, spec.code, exc)
            outcomes.append(PublishOutcome(spec.code, "failed", error=str(exc)))
    return outcomes
