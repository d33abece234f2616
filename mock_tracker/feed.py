"""Reading the connector's task feed, the way a tracker's integration would poll it.

Contract (tracker.md): ``GET {feed_url}?status=all[&cursor=…]`` with ``Authorization: Bearer``,
answer ``{"items": [...], "next_cursor": "…" | null}``. The first page carries
``If-None-Match`` with the last ETag; 304 means "nothing changed". Items that do not validate are
skipped and counted; a page that is not the documented shape fails the whole import, so a
broken feed never half-updates the account.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import requests
from pydantic import BaseModel, ConfigDict, Field, ValidationError

MAX_PAGES = 1000


class FeedError(Exception):
    """The feed could not be read; the message is safe to log (no token, no body dump)."""


class FeedAssignee(BaseModel):
    model_config = ConfigDict(extra="ignore")
    email: str
    name: str | None = None


class FeedTask(BaseModel):
    model_config = ConfigDict(extra="ignore")
    code: str = Field(min_length=1, pattern=r"^\S+$")
    title: str
    description: str | None = None
    category: str | None = None
    customer: str | None = None
    project: str | None = None
    assignees: list[FeedAssignee] | None = None
    planned_minutes: float | None = None
    actual_minutes: float | None = None
    overrun: str | None = None
    status: Literal["open", "closed"]
    onec_type: str | None = None
    onec_ref: str | None = None
    onec_url: str | None = None
    updated_at: str | None = None


@dataclass
class FeedRead:
    """What one poll of the feed returned: ``not_modified`` carries no items."""

    not_modified: bool
    items: list[FeedTask] = field(default_factory=list)
    etag: str | None = None
    pages: int = 0
    skipped: int = 0
    statuses: list[int] = field(default_factory=list)


def _page(resp: requests.Response) -> tuple[list[Any], str | None]:
    try:
        body = resp.json()
    except ValueError:
        raise FeedError("feed answered something that is not JSON") from None
    if not isinstance(body, dict) or not isinstance(body.get("items"), list):
        raise FeedError("feed answer has no 'items' list")
    cursor = body.get("next_cursor")
    if cursor is not None and not isinstance(cursor, str):
        raise FeedError("feed answer has a non-string 'next_cursor'")
    return body["items"], cursor or None


def read_feed(
    url: str,
    token: str,
    etag: str | None,
    *,
    session: requests.Session | None = None,
    timeout: float = 10.0,
) -> FeedRead:
    """Read every page of the feed (``status=all``); raises :class:`FeedError` on any failure."""
    http = session or requests.Session()
    result = FeedRead(not_modified=False)
    cursor: str | None = None
    seen_cursors: set[str] = set()
    while True:
        params = {"status": "all"}
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        if cursor is None and etag:
            headers["If-None-Match"] = etag
        if cursor is not None:
            params["cursor"] = cursor
        try:
            resp = http.get(url, params=params, headers=headers, timeout=timeout)
        except requests.RequestException as exc:
            raise FeedError(f"feed unreachable ({type(exc).__name__})") from None
        result.statuses.append(resp.status_code)
        if resp.status_code == 304 and cursor is None:
            return FeedRead(not_modified=True, etag=etag, pages=1, statuses=result.statuses)
        if resp.status_code != 200:
            raise FeedError(f"feed answered HTTP {resp.status_code}")
        if cursor is None:
            result.etag = resp.headers.get("ETag")
        raw_items, cursor = _page(resp)
        result.pages += 1
        for raw in raw_items:
            try:
                result.items.append(FeedTask.model_validate(raw))
            except ValidationError:
                result.skipped += 1
        if cursor is None:
            return result
        if cursor in seen_cursors or result.pages >= MAX_PAGES:
            raise FeedError("feed paging does not terminate (repeated cursor or too many pages)")
        seen_cursors.add(cursor)
