"""``GET /tracker/v1/tasks``: the assignable tasks, read from the links table (tracker.md).

Contract with the inbound engine, which fills the links: the columns hold code, title, status,
category, assignees, planned/actual minutes, overrun, ``onec_type``/``onec_ref`` and
``updated_at``; ``payload`` may add ``description``, ``customer``, ``project``, ``onec_url``,
``assignees`` as ``[{"email", "name"}]`` (preferred over the column) and ``static: true`` for
category tasks without a 1C object (their ``onec_*`` fields are answered as null).

Paging is ordered by ``(feed_seq, code)``. A change gives a link a new, higher ``feed_seq``, so a
tracker paging through the feed while tasks change sees every task at least once and a changed
task again at the end, never skipping one. The cursor is signed and bound to the filters it was
issued for; the ETag covers the feed position and the query, so an unchanged feed answers 304.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy import ColumnElement, String, and_, cast, func, or_, select
from sqlalchemy.orm import Session

from connector.api.deps import FeedAuth, RuntimeDep, SessionDep
from connector.api.errors import ApiError
from connector.store.models import Employee, Link
from connector.sync.core.intake import printable

router = APIRouter(prefix="/tracker/v1", tags=["tracker"])

StatusFilter = Literal["open", "closed", "all"]
DEFAULT_LIMIT = 200
MAX_LIMIT = 1000
_SCAN_CHUNK = 500


class FeedQuery:
    """The filters of one feed request, normalised (e-mail lower-cased, instant in UTC)."""

    def __init__(self, assignee: str | None, status: StatusFilter, changed_since: datetime | None) -> None:
        self.assignee = assignee.strip().lower() if assignee else None
        self.status = status
        self.changed_since = changed_since

    def fingerprint(self) -> str:
        """A short digest of the filters: cursors and ETags are only valid for the same filters."""
        since = self.changed_since.isoformat() if self.changed_since else ""
        raw = f"{self.assignee or ''}|{self.status}|{since}"
        return hashlib.sha256(raw.encode("utf-8")).hexdigest()[:16]


def parse_instant(value: str, name: str) -> datetime:
    """An ISO 8601 instant with an offset (``Z`` or ``+03:00``); anything else is a 422."""
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ApiError(422, f"{name} must be an ISO 8601 instant such as 2025-03-01T09:00:00Z") from None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise ApiError(422, f"{name} needs a time zone offset (e.g. Z or +03:00)")
    try:
        return parsed.astimezone(UTC)
    except OverflowError:
        raise ApiError(422, f"{name} is out of range") from None


def _cursor_key(secret: str) -> bytes:
    return hashlib.sha256(b"onec-bridge feed cursor\x00" + secret.encode("utf-8")).digest()


def encode_cursor(secret: str, seq: int, code: str, query: FeedQuery) -> str:
    """An opaque, signed position after ``(seq, code)`` for the given filters."""
    data = json.dumps({"s": seq, "c": code, "q": query.fingerprint()}, separators=(",", ":"))
    body = base64.urlsafe_b64encode(data.encode("utf-8")).rstrip(b"=")
    sig = hmac.new(_cursor_key(secret), body, hashlib.sha256).hexdigest()[:32]
    return f"{body.decode('ascii')}.{sig}"


def decode_cursor(secret: str, cursor: str, query: FeedQuery) -> tuple[int, str]:
    """The ``(seq, code)`` inside a cursor; a forged, damaged or foreign cursor is a 400."""
    invalid = ApiError(400, "cursor is not valid for this feed query; start again without a cursor")
    body, _, sig = cursor.strip().partition(".")
    if not body or len(cursor) > 2000:
        raise invalid
    expected = hmac.new(_cursor_key(secret), body.encode("ascii", "replace"), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected[:32].encode("ascii"), sig.encode("utf-8", "replace")):
        raise invalid
    try:
        data = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        seq, code, fingerprint = int(data["s"]), str(data["c"]), str(data["q"])
    except (ValueError, KeyError, TypeError):
        raise invalid from None
    if fingerprint != query.fingerprint():
        raise ApiError(400, "cursor was issued for other filters; repeat the query without a cursor")
    return seq, code


def _filters(query: FeedQuery) -> list[ColumnElement[bool]]:
    conds: list[ColumnElement[bool]] = []
    if query.status != "all":
        conds.append(Link.status == query.status)
    if query.changed_since is not None:
        conds.append(Link.updated_at >= query.changed_since)
    if query.assignee and query.assignee.isascii():
        # A coarse SQL pre-filter on the JSON text; the exact check is done on each row.
        escaped = query.assignee.replace("!", "!!").replace("%", "!%").replace("_", "!_")
        pattern = f"%{escaped}%"
        conds.append(
            or_(
                func.lower(cast(Link.assignees, String)).like(pattern, escape="!"),
                func.lower(cast(Link.payload, String)).like(pattern, escape="!"),
            )
        )
    return conds


def assignees_of(link: Link, names: dict[str, str]) -> list[dict[str, str]]:
    """``[{email, name}]`` of a link: from the payload when given, else from the column."""
    raw: Any = (link.payload or {}).get("assignees")
    if not isinstance(raw, list):
        raw = link.assignees or []
    people: list[dict[str, str]] = []
    seen: set[str] = set()
    for item in raw:
        if isinstance(item, dict):
            email = str(item.get("email") or "").strip()
            name = str(item.get("name") or "")
        elif isinstance(item, (list, tuple)) and len(item) == 3:  # an Assignee(user_ref, email, name)
            email, name = str(item[1] or "").strip(), str(item[2] or "")
        else:
            email, name = str(item).strip(), ""
        if not email or email.lower() in seen:
            continue
        seen.add(email.lower())
        people.append({"email": email, "name": name or names.get(email.lower(), "")})
    return people


def _matches_assignee(link: Link, email: str | None) -> bool:
    if email is None:
        return True
    return any(p["email"].lower() == email for p in assignees_of(link, {}))


def render_item(link: Link, names: dict[str, str]) -> dict[str, Any]:
    """One feed item exactly as tracker.md lists its fields."""
    payload = link.payload or {}
    static = bool(payload.get("static")) or not link.onec_type or link.onec_type == "static"
    return {
        "code": link.task_code,
        "title": link.title,
        "description": str(payload.get("description") or ""),
        "category": link.category,
        "customer": payload.get("customer"),
        "project": payload.get("project"),
        "assignees": assignees_of(link, names),
        "planned_minutes": link.planned_minutes,
        "actual_minutes": link.actual_minutes or 0,
        "overrun": link.overrun or "none",
        # the early warning (an addition to tracker.md's item): none until assessed
        "risk": link.risk or "none",
        "projected_minutes": link.projected_minutes,
        "status": link.status,
        "onec_type": None if static else link.onec_type,
        "onec_ref": None if static else link.onec_ref,
        "onec_url": None if static else payload.get("onec_url"),
        "updated_at": link.updated_at.isoformat().replace("+00:00", "Z"),
    }


def read_page(
    session: Session, query: FeedQuery, after: tuple[int, str] | None, limit: int
) -> tuple[list[Link], bool]:
    """Up to ``limit`` matching links after the position, and whether more follow.

    Rows are scanned in bounded chunks so a sparse assignee filter never loads the whole table.
    """
    found: list[Link] = []
    position = after
    while True:
        stmt = select(Link).where(*_filters(query))
        if position is not None:
            seq, code = position
            stmt = stmt.where(or_(Link.feed_seq > seq, and_(Link.feed_seq == seq, Link.task_code > code)))
        chunk = max(limit + 1, _SCAN_CHUNK) if query.assignee else limit + 1
        rows: Sequence[Link] = (
            session.execute(stmt.order_by(Link.feed_seq, Link.task_code).limit(chunk)).scalars().all()
        )
        for link in rows:
            if _matches_assignee(link, query.assignee):
                found.append(link)
                if len(found) > limit:
                    return found[:limit], True
        if len(rows) < chunk:
            return found, False
        position = (rows[-1].feed_seq, rows[-1].task_code)


def _employee_names(session: Session, links: Sequence[Link]) -> dict[str, str]:
    emails = {p["email"].lower() for link in links for p in assignees_of(link, {}) if not p["name"]}
    if not emails:
        return {}
    rows = session.execute(select(Employee.email, Employee.name).where(Employee.email.in_(sorted(emails))))
    return {str(email): str(name) for email, name in rows if email}


def feed_etag(session: Session, query: FeedQuery, cursor: str | None, limit: int) -> str:
    """A weak ETag over the feed position (newest ``feed_seq`` and link count) and the query."""
    top, count = session.execute(select(func.coalesce(func.max(Link.feed_seq), 0), func.count(Link.id))).one()
    raw = f"{top}|{count}|{query.fingerprint()}|{cursor or ''}|{limit}"
    return 'W/"' + hashlib.sha256(raw.encode("utf-8")).hexdigest()[:24] + '"'


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """``If-None-Match`` semantics with weak comparison (``*`` matches any current representation)."""
    if not if_none_match:
        return False
    bare = etag.removeprefix("W/")
    for candidate in if_none_match.split(","):
        candidate = candidate.strip()
        if candidate == "*" or candidate.removeprefix("W/") == bare:
            return True
    return False


@router.get("/tasks", summary="Assignable tasks for trackers (paged, ETag-aware)")
def list_tasks(
    request: Request,
    response: Response,
    _auth: FeedAuth,
    runtime: RuntimeDep,
    session: SessionDep,
    assignee: Annotated[str | None, Query(max_length=320, description="e-mail, case-insensitive")] = None,
    status: Annotated[StatusFilter, Query(description="open, closed or all")] = "open",
    changed_since: Annotated[str | None, Query(max_length=64, description="ISO instant")] = None,
    cursor: Annotated[str | None, Query(max_length=2000, description="next_cursor of a page")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
) -> Any:
    """Tasks ordered by change; ``next_cursor`` is null on the last page. 304 when unchanged."""
    if assignee is not None and ("@" not in assignee or not printable(assignee)):
        raise ApiError(422, "assignee must be an e-mail address")
    since = parse_instant(changed_since, "changed_since") if changed_since else None
    query = FeedQuery(assignee, status, since)
    secret = runtime.settings.tracker_feed_token.get_secret_value()
    after = decode_cursor(secret, cursor, query) if cursor else None

    etag = feed_etag(session, query, cursor, limit)
    headers = {"ETag": etag, "Cache-Control": "no-cache"}
    if etag_matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)

    links, more = read_page(session, query, after, limit)
    names = _employee_names(session, links)
    next_cursor = encode_cursor(secret, links[-1].feed_seq, links[-1].task_code, query) if more else None
    response.headers.update(headers)
    return {"items": [render_item(link, names) for link in links], "next_cursor": next_cursor}
