"""A tiny stand-in for the connector's task feed (tracker.md), served by a real uvicorn.

Behaviour switches (``mode``) let tests make the feed fail the ways real ones do.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse

FEED_PATH = "/tracker/v1/tasks"


def feed_item(
    code: str, title: str, assignees: list[tuple[str, str]], status: str = "open"
) -> dict[str, Any]:
    """One feed item with every field tracker.md lists."""
    return {
        "code": code,
        "title": title,
        "description": f"Описание {code}",
        "category": "project",
        "customer": "ООО Ромашка",
        "project": "Внедрение",
        "assignees": [{"email": email, "name": name} for email, name in assignees],
        "planned_minutes": 600,
        "actual_minutes": 0,
        "overrun": "none",
        "status": status,
        "onec_type": "Document_CRM_Интерес",
        "onec_ref": "2f1a9c1e-0000-4000-8000-000000000001",
        "onec_url": "e1cib/data/Документ.CRM_Интерес?ref=2f1a9c1e000040008000000000000001",
        "updated_at": "2026-03-01T10:00:00+03:00",
    }


class FakeFeed:
    """Serves ``items`` in pages of ``page_size`` with an ETag; records every request."""

    def __init__(self, items: list[dict[str, Any]], token: str = "feed-token", page_size: int = 2) -> None:
        self.items = items
        self.token = token
        self.page_size = page_size
        self.mode = "ok"  # ok | error | garbage | bad_shape
        self.requests: list[dict[str, Any]] = []

    @property
    def etag(self) -> str:
        digest = hashlib.sha256(json.dumps(self.items, sort_keys=True).encode()).hexdigest()[:16]
        return f'"{digest}"'

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.get(FEED_PATH)
        def tasks(request: Request) -> Response:
            cursor = request.query_params.get("cursor")
            self.requests.append(
                {
                    "authorization": request.headers.get("authorization"),
                    "if_none_match": request.headers.get("if-none-match"),
                    "params": dict(request.query_params),
                }
            )
            if request.headers.get("authorization") != f"Bearer {self.token}":
                return JSONResponse({"detail": "unauthorized"}, status_code=401)
            if self.mode == "error":
                return JSONResponse({"detail": "boom"}, status_code=500)
            if self.mode == "garbage":
                return PlainTextResponse("<html>502 Bad Gateway</html>")
            if self.mode == "bad_shape":
                return JSONResponse({"data": self.items})
            if cursor is None and request.headers.get("if-none-match") == self.etag:
                return Response(status_code=304)
            offset = int(cursor or 0)
            page = self.items[offset : offset + self.page_size]
            more = offset + self.page_size < len(self.items)
            body = {"items": page, "next_cursor": str(offset + self.page_size) if more else None}
            return JSONResponse(body, headers={"ETag": self.etag})

        return app
