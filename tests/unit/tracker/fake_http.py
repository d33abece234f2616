"""A requests transport that hands every request to a Python handler: real Sessions, no sockets.

Faults are queued per route: ``lost`` applies the request and then times out (the answer is
lost on the way back), ``timeout`` times out before anything happens, ``5xx_after`` applies it
and answers 502, ``5xx`` answers 500 without applying, ``429`` answers 429 with ``Retry-After``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import requests
from requests.adapters import BaseAdapter


@dataclass
class Req:
    method: str
    path: str
    query: list[tuple[str, str]]
    body: Any
    headers: dict[str, str]

    def param(self, name: str, default: str | None = None) -> str | None:
        return next((v for k, v in self.query if k == name), default)

    def params(self, name: str) -> list[str]:
        return [v for k, v in self.query if k == name]


@dataclass
class Reply:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Fault:
    method: str
    prefix: str
    kind: str
    retry_after: str = "2"


Handler = Callable[[Req], Reply]


class FakeTransport(BaseAdapter):
    """Routes requests to ``handler``; records them; injects queued faults."""

    def __init__(self, handler: Handler) -> None:
        super().__init__()
        self.handler = handler
        self.log: list[Req] = []
        self.faults: list[Fault] = []
        self.options: list[dict[str, Any]] = []  # what requests passed along (proxies, verify…)

    def fail(self, method: str, prefix: str, kind: str, times: int = 1, retry_after: str = "2") -> None:
        self.faults += [Fault(method, prefix, kind, retry_after) for _ in range(times)]

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        parts = urlsplit(str(request.url))
        raw = request.body.decode() if isinstance(request.body, bytes) else request.body
        req = Req(
            str(request.method),
            parts.path,
            parse_qsl(parts.query, keep_blank_values=True),
            json.loads(raw) if raw else None,
            dict(request.headers),
        )
        self.log.append(req)
        self.options.append(kwargs)
        fault = next(
            (f for f in self.faults if f.method == req.method and req.path.startswith(f.prefix)), None
        )
        if fault is not None:
            self.faults.remove(fault)
            reply = self._fault(fault, req)
        else:
            reply = self.handler(req)
        response = requests.Response()
        response.status_code = reply.status
        response.headers.update(reply.headers)
        response._content = b"" if reply.body is None else json.dumps(reply.body).encode()
        response.url = str(request.url)
        response.request = request
        response.reason = "reason"
        return response

    def _fault(self, fault: Fault, req: Req) -> Reply:
        if fault.kind == "lost":
            self.handler(req)
            raise requests.ReadTimeout("read timed out")
        if fault.kind == "timeout":
            raise requests.ReadTimeout("read timed out")
        if fault.kind == "5xx_after":
            self.handler(req)
            return Reply(502, {"message": "bad gateway"})
        if fault.kind == "5xx":
            return Reply(500, {"message": "internal error"})
        if fault.kind == "429":
            return Reply(429, {"message": "Too many requests"}, {"Retry-After": fault.retry_after})
        if fault.kind == "refused":
            raise requests.ConnectionError("connection refused")
        raise AssertionError(f"unknown fault {fault.kind}")

    def close(self) -> None:
        pass

    def writes(self) -> list[Req]:
        return [r for r in self.log if r.method != "GET" and "/reports/" not in r.path]


def session_for(handler: Handler) -> tuple[requests.Session, FakeTransport]:
    transport = FakeTransport(handler)
    session = requests.Session()
    session.mount("http://", transport)
    session.mount("https://", transport)
    return session, transport
