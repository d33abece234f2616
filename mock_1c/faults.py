"""Fault injection for the mock 1C: the ways a real 1C server and its web publication fail.

A ``FaultProfile`` (``--faults "error_rate=0.2,timeout_rate=0.05,latency_ms=40"``) sets rates and
switches; a ``FaultInjector`` draws one decision per request from ``random.Random(seed)`` in request
order, so a fixed seed and the same request sequence reproduce the same faults; ``FaultMiddleware``
(pure ASGI) applies the decision around the OData/SOAP app.

Kinds, decided BEFORE the wrapped app runs (so the write does not happen):

* ``error``: 500, 1C code -1;
* ``timeout``: the response hangs ``hang_s`` seconds (then 500) so the client's timeout fires. On
  writes, a share ``timeout_after_write_ratio`` of timeouts lets the write COMMIT first and then
  hangs: a real 1C can commit and lose the connection afterwards, and clients must cope with it;
* ``busy``: 503 "server overloaded" or 406 "no free licence/session" (the RNG picks);
* ``lock``: writes only (POST/PATCH/PUT/DELETE), 500 code -1 with 1C's lock-conflict text.

Every classified request also waits ``latency_ms`` plus a uniform ``0..jitter_ms``, and OData reads
wait ``skip_cost_us`` per skipped row of ``$skip`` (1C's query language has no OFFSET).
Switches applied here: ``if_match_ignored`` (the app never sees ``If-Match``), ``plus_as_space``
(``+`` in the query string reaches the app as ``%20``) and ``html_auth_failure`` (a 401 from the app
becomes an HTML page with status 200, as some web-server publications answer). The remaining switches,
``inlinecount_ignores_paging`` and ``load_mode_ignores_closing_date`` (a write in data-exchange load
mode may change a closed period, as bases whose closing dates exempt loads allow), are read by the
OData app from ``injector.profile``.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import random
import threading
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import parse_qsl
from xml.sax.saxutils import escape

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

WRITE_METHODS = frozenset({"POST", "PATCH", "PUT", "DELETE"})
_RATES = ("error_rate", "timeout_rate", "busy_rate", "lock_rate", "timeout_after_write_ratio")

MESSAGES = {
    "error": "Ошибка при выполнении операции с информационной базой",
    "timeout": "Превышено максимальное время ожидания выполнения запроса",
    "busy503": "Сервер перегружен, повторите попытку позже",
    "busy406": "Нет свободной лицензии / сеанса: превышено максимальное количество сеансов",
    "lock": "Конфликт блокировок при выполнении транзакции: "
    "Превышено максимальное время ожидания предоставления блокировки",
}
HTML_AUTH_PAGE = (
    "<!DOCTYPE html><html><head><meta charset='utf-8'><title>1С:Предприятие</title></head>"
    "<body><h1>Ошибка авторизации</h1><p>Идентификация пользователя не выполнена.</p></body></html>"
)


@dataclass
class FaultProfile:
    """Rates are probabilities per request in [0, 1]; times are in the unit their name says."""

    error_rate: float = 0.0
    timeout_rate: float = 0.0
    latency_ms: int = 0
    jitter_ms: int = 0
    busy_rate: float = 0.0
    lock_rate: float = 0.0
    skip_cost_us: float = 0.0
    hang_s: float = 30.0
    timeout_after_write_ratio: float = 0.5
    if_match_ignored: bool = False
    plus_as_space: bool = False
    inlinecount_ignores_paging: bool = False
    html_auth_failure: bool = False
    load_mode_ignores_closing_date: bool = False

    @classmethod
    def parse(cls, spec: str) -> FaultProfile:
        """``"error_rate=0.2,latency_ms=40,if_match_ignored=true"`` → profile; ValueError on bad input."""
        values: dict[str, str] = {}
        for item in spec.split(","):
            item = item.strip()
            if not item:
                continue
            key, sep, value = item.partition("=")
            if not sep:
                raise ValueError(f"fault setting {item!r} is not key=value; allowed keys: {_allowed()}")
            values[key.strip()] = value.strip()
        return cls.from_dict(values)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> FaultProfile:
        """Build from a mapping of typed values or strings; unknown keys and bad values are refused."""
        fields = {f.name: f for f in dataclasses.fields(cls)}
        kwargs: dict[str, Any] = {}
        for key, raw in d.items():
            if key not in fields:
                raise ValueError(f"unknown fault setting {key!r}; allowed keys: {_allowed()}")
            kwargs[key] = _coerce(key, fields[key].type, raw)
        profile = cls(**kwargs)
        total = profile.error_rate + profile.timeout_rate + profile.busy_rate + profile.lock_rate
        if total > 1.0 + 1e-9:
            raise ValueError(
                f"error_rate + timeout_rate + busy_rate + lock_rate must not exceed 1 (got {total:g})"
            )
        return profile

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def _allowed() -> str:
    return ", ".join(f.name for f in dataclasses.fields(FaultProfile))


def _coerce(key: str, type_name: Any, raw: Any) -> Any:
    kind = str(type_name)
    if kind == "bool":
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text in ("true", "1", "yes", "on"):
            return True
        if text in ("false", "0", "no", "off"):
            return False
        raise ValueError(f"fault setting {key!r} must be true or false, got {raw!r}")
    if isinstance(raw, bool):
        raise ValueError(f"fault setting {key!r} must be a number, got {raw!r}")
    try:
        number: float = int(raw) if kind == "int" else float(raw)
    except (TypeError, ValueError):
        expected = "an integer" if kind == "int" else "a number"
        raise ValueError(f"fault setting {key!r} must be {expected}, got {raw!r}") from None
    if number != number or number in (float("inf"), float("-inf")):
        raise ValueError(f"fault setting {key!r} must be finite, got {raw!r}")
    if number < 0:
        raise ValueError(f"fault setting {key!r} must not be negative, got {raw!r}")
    if key in _RATES and number > 1:
        raise ValueError(f"fault setting {key!r} is a rate and must be within [0, 1], got {raw!r}")
    return number


FaultKind = Literal["delay", "error", "timeout", "busy", "lock"]


@dataclass(frozen=True)
class Fault:
    """One request's fate: ``delay`` only slows it; the other kinds replace or outlive the answer."""

    kind: FaultKind
    delay_s: float = 0.0
    status: int = 200
    message: str = ""
    after_write: bool = False  # timeout only: let the wrapped app commit, then hang


class FaultInjector:
    """Draws per-request decisions from one seeded RNG (thread-safe; profile changeable at runtime)."""

    def __init__(self, profile: FaultProfile, seed: int | None = None) -> None:
        self.profile = profile
        self._rng = random.Random(seed)
        self._lock = threading.Lock()

    def set_profile(self, p: FaultProfile) -> None:
        with self._lock:
            self.profile = p

    def decide(self, method: str, path: str) -> Fault | None:
        """The fault for this request, or None; always consumes three draws to stay reproducible."""
        with self._lock:
            p = self.profile
            band, jitter_draw, aux = self._rng.random(), self._rng.random(), self._rng.random()
        delay = (p.latency_ms + jitter_draw * p.jitter_ms) / 1000.0
        write = method.upper() in WRITE_METHODS
        edge = p.error_rate
        if band < edge:
            return Fault("error", delay, 500, MESSAGES["error"])
        edge += p.timeout_rate
        if band < edge:
            after = write and aux < p.timeout_after_write_ratio
            return Fault("timeout", delay, 500, MESSAGES["timeout"], after_write=after)
        edge += p.busy_rate
        if band < edge:
            return (
                Fault("busy", delay, 503, MESSAGES["busy503"])
                if aux < 0.5
                else Fault("busy", delay, 406, MESSAGES["busy406"])
            )
        edge += p.lock_rate
        if band < edge and write:
            return Fault("lock", delay, 500, MESSAGES["lock"])
        return Fault("delay", delay) if delay > 0 else None

    def skip_delay(self, query_string: str) -> float:
        """Seconds a ``$skip=N`` read costs (1C reads the skipped rows); 0 when not asked or malformed."""
        cost = self.profile.skip_cost_us
        if cost <= 0 or "skip" not in query_string:
            return 0.0
        for name, value in parse_qsl(query_string, keep_blank_values=True):
            if name == "$skip" and value.isdigit():
                return min(int(value) * cost / 1_000_000, 600.0)
        return 0.0


def error_body(kind: str, message: str) -> tuple[bytes, bytes]:
    """(content type, body) of 1C's error: OData JSON, or a SOAP 1.1 Fault when ``kind == "soap"``."""
    if kind == "soap":
        xml = (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>'
            f"<soap:Fault><faultcode>soap:Server</faultcode><faultstring>{escape(message)}</faultstring>"
            "</soap:Fault></soap:Body></soap:Envelope>"
        )
        return b"text/xml; charset=utf-8", xml.encode("utf-8")
    body = {"odata.error": {"code": "-1", "message": {"lang": "ru", "value": message}}}
    return b"application/json;charset=utf-8", json.dumps(body, ensure_ascii=False).encode("utf-8")


class FaultMiddleware:
    """Pure ASGI middleware; ``classify(path)`` → ``"odata"``, ``"soap"`` or None (never faulted)."""

    def __init__(self, app: ASGIApp, injector: FaultInjector, classify: Callable[[str], str | None]) -> None:
        self.app = app
        self.injector = injector
        self.classify = classify

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = self.classify(scope.get("path", "")) if scope["type"] == "http" else None
        if kind is None:
            await self.app(scope, receive, send)
            return
        profile = self.injector.profile
        scope = self._switch_request(scope, profile)
        fault = self.injector.decide(scope["method"], scope["path"])
        query = scope.get("query_string", b"").decode("latin-1")
        delay = (fault.delay_s if fault else 0.0) + (self.injector.skip_delay(query) if kind != "soap" else 0)
        if delay > 0:
            await asyncio.sleep(delay)
        if fault is None or fault.kind == "delay":
            await self.app(scope, receive, self._switch_response(send, profile))
            return
        if fault.kind == "timeout":
            if fault.after_write:
                await self.app(scope, receive, _discard)
            if await _hang_until_disconnect(receive, profile.hang_s):
                return
        await _respond(send, fault.status, *error_body(kind, fault.message))

    @staticmethod
    def _switch_request(scope: Scope, profile: FaultProfile) -> Scope:
        if not (profile.plus_as_space or profile.if_match_ignored):
            return scope
        scope = dict(scope)
        if profile.plus_as_space:
            scope["query_string"] = scope.get("query_string", b"").replace(b"+", b"%20")
        if profile.if_match_ignored:
            scope["headers"] = [(k, v) for k, v in scope.get("headers", []) if k.lower() != b"if-match"]
        return scope

    @staticmethod
    def _switch_response(send: Send, profile: FaultProfile) -> Send:
        if not profile.html_auth_failure:
            return send
        replaced = False

        async def wrapped(message: Message) -> None:
            nonlocal replaced
            if message["type"] == "http.response.start" and message["status"] == 401:
                replaced = True
                await _respond(send, 200, b"text/html; charset=utf-8", HTML_AUTH_PAGE.encode("utf-8"))
            elif not replaced:
                await send(message)

        return wrapped


async def _discard(message: Message) -> None:
    return None


async def _hang_until_disconnect(receive: Receive, seconds: float) -> bool:
    """Wait ``seconds``; True if the client gave up (disconnected) first."""

    async def disconnected() -> None:
        while (await receive())["type"] != "http.disconnect":
            pass

    try:
        await asyncio.wait_for(disconnected(), timeout=seconds)
    except TimeoutError:
        return False
    return True


async def _respond(send: Send, status: int, content_type: bytes, body: bytes) -> None:
    headers = [(b"content-type", content_type), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
