"""A requests transport adapter that answers from a handler function (httpx MockTransport style)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

Handler = Callable[[requests.PreparedRequest], requests.Response]


def response(
    status: int = 200,
    body: Any = None,
    *,
    text: str | None = None,
    headers: dict[str, str] | None = None,
    url: str = "http://1c.test/crm/odata/standard.odata/X",
) -> requests.Response:
    resp = requests.Response()
    resp.status_code = status
    resp.url = url
    hdrs = dict(headers or {})
    if text is not None:
        resp._content = text.encode("utf-8")
        hdrs.setdefault("Content-Type", "text/plain; charset=utf-8")
    elif body is not None:
        resp._content = json.dumps(body, ensure_ascii=False).encode("utf-8")
        hdrs.setdefault("Content-Type", "application/json;charset=utf-8")
    else:
        resp._content = b""
    resp.headers = CaseInsensitiveDict(hdrs)
    resp.encoding = "utf-8"
    resp.reason = {200: "OK", 201: "Created", 204: "No Content"}.get(status, "Error")
    return resp


def odata_error(status: int, code: str, message: str, **kw: Any) -> requests.Response:
    return response(
        status, {"odata.error": {"code": code, "message": {"lang": "ru", "value": message}}}, **kw
    )


class FakeAdapter(BaseAdapter):
    """Records every request and answers with ``handler(request)`` (or raises what it raises)."""

    def __init__(self, handler: Handler) -> None:
        super().__init__()
        self.handler = handler
        self.requests: list[requests.PreparedRequest] = []
        self.session: requests.Session | None = None

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        self.requests.append(request)
        resp = self.handler(request)
        resp.request = request
        if not resp.url or resp.url.startswith("http://1c.test/crm/odata/standard.odata/X"):
            resp.url = request.url or ""
        cookie = resp.headers.get("Set-Cookie")
        if cookie and self.session is not None:
            name, _, rest = cookie.partition("=")
            self.session.cookies.set(name, rest.split(";")[0])
        return resp

    def close(self) -> None:
        pass


def fake_session(handler: Handler) -> tuple[requests.Session, FakeAdapter]:
    session = requests.Session()
    adapter = FakeAdapter(handler)
    adapter.session = session
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session, adapter
