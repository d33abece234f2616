"""A fake Bitcop behind a ``requests`` transport adapter: real Sessions, no sockets."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import requests
from requests.adapters import BaseAdapter

BASE = "http://bitcop.test/api/v1"
KEY = "s3cr3t-KEY-value"


@dataclass
class Call:
    path: str
    params: dict[str, str]


@dataclass
class Reply:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    raw: bytes | None = None


Handler = Callable[[Call], "Reply | Exception"]


class FakeAdapter(BaseAdapter):
    """Answers every request with ``handler(call)``; records the calls it saw."""

    def __init__(self, handler: Handler) -> None:
        super().__init__()
        self.handler = handler
        self.calls: list[Call] = []

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        parts = urlsplit(str(request.url))
        call = Call(parts.path.removeprefix("/api/v1/"), dict(parse_qsl(parts.query)))
        self.calls.append(call)
        reply = self.handler(call)
        if isinstance(reply, Exception):
            raise reply
        response = requests.Response()
        response.status_code = reply.status
        response.headers.update(reply.headers)
        response._content = reply.raw if reply.raw is not None else json.dumps(reply.body).encode()
        response.url = str(request.url)
        response.request = request
        response.reason = "reason"
        return response

    def close(self) -> None:
        pass


def ok(items: list[dict[str, Any]]) -> Reply:
    return Reply(200, {"status": "success", "items": items})


def session_with(handler: Handler) -> tuple[requests.Session, FakeAdapter]:
    adapter = FakeAdapter(handler)
    session = requests.Session()
    session.mount("http://", adapter)
    return session, adapter


def routes(table: dict[str, Callable[[Call], Reply | Exception]]) -> Handler:
    """Dispatch by API method path; unknown paths answer 404 with a failure envelope."""

    def handle(call: Call) -> Reply | Exception:
        route = table.get(call.path)
        if route is None:
            return Reply(404, {"status": "error", "message": f"no method {call.path}"})
        return route(call)

    return handle
