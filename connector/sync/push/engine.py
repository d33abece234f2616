"""The task push: links changed since the last push go to a task-sink tracker, in batches.

A push reads the links whose feed number is past the push cursor (every link the first time),
plus those whose last push failed; it sends only those whose publication hash differs from what
the tracker was last given, so a tick with no change in 1C sends the tracker nothing at all.
Each batch is one ``publish_tasks`` call (the adapter finds every object by its code before
creating it); its outcomes are written back — the tracker's task id, the hash, the error — in
one short transaction with the cursor, and no transaction is open while the tracker is asked.

Writing back never touches ``feed_seq``: the feed does not change because the tracker was told.
A tracker that is no task sink (Bitcop) is not pushed to: its account imports the task feed,
and ``pending_tasks`` lists what its admin must create by hand.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from connector.store.links import get_cursor, set_cursor
from connector.store.models import Link
from connector.sync.push.publication import LinkRow, decide, publication_hash, publication_of
from connector.sync.runs import RunRecorder
from connector.tracker.base import PublishOutcome, TaskPublication
from connector.tracker.errors import TrackerError

if TYPE_CHECKING:
    from connector.runtime import Runtime

log = logging.getLogger(__name__)

RUN_KIND = "push"
BATCH = 200


@dataclass
class PushResult:
    status: str  # ok | partial | failed | skipped
    counters: dict[str, int] = field(default_factory=dict)
    unmatched_emails: dict[str, list[str]] = field(default_factory=dict)  # e-mail -> task codes
    error: str | None = None
    run_id: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "counters": self.counters,
            "unmatched_emails": self.unmatched_emails,
            "error": self.error,
            "run_id": self.run_id,
        }


def tracker_name(runtime: Runtime) -> str:
    """Which tracker the hashes and the cursor belong to: kind and address."""
    return f"{runtime.settings.tracker_kind}:{runtime.settings.tracker_url}"


def cursor_stream(runtime: Runtime) -> str:
    return f"tracker_push:{tracker_name(runtime)}"


_COLUMNS = (
    Link.id,
    Link.task_code,
    Link.title,
    Link.status,
    Link.assignees,
    Link.planned_minutes,
    Link.payload,
    Link.tracker_task_id,
    Link.pushed_hash,
    Link.push_error,
    Link.feed_seq,
)


def _page(
    session: Session, after: int, start: int, failed_from: int, size: int
) -> tuple[list[Any], list[Any]]:
    """The next changed links past ``after`` in feed order; and links that failed before this
    push began (feed number up to ``start``), past id ``failed_from``: retried once per push."""
    changed = session.execute(
        select(*_COLUMNS).where(Link.feed_seq > after).order_by(Link.feed_seq).limit(size)
    )
    retry = session.execute(
        select(*_COLUMNS)
        .where(Link.push_error.is_not(None), Link.feed_seq <= start, Link.id > failed_from)
        .order_by(Link.id)
        .limit(size)
    )
    return list(changed), list(retry)


def _row(r: Any, fresh: bool) -> LinkRow:
    """A link as the push reads it; for a tracker never pushed to, without another's traces."""
    return LinkRow(
        r.id,
        r.task_code,
        r.title or "",
        r.status,
        list(r.assignees or []),
        r.planned_minutes,
        dict(r.payload or {}),
        None if fresh else r.tracker_task_id,
        None if fresh else r.pushed_hash,
        None if fresh else r.push_error,
    )


def push_tasks(runtime: Runtime, *, trigger: str = "schedule", batch: int = BATCH) -> PushResult:
    """Push what changed to the configured tracker when it is a task sink (see module doc)."""
    tracker = runtime.tracker
    if not tracker.capabilities.publish_tasks:
        return PushResult(
            "skipped",
            error=f"{runtime.settings.tracker_kind} is not a task sink: its account imports the task "
            "feed, and GET /api/tracker/pending-tasks lists what to create by hand",
        )
    name, stream = tracker_name(runtime), cursor_stream(runtime)
    rec = RunRecorder(RUN_KIND, trigger)
    with runtime.sessions.begin() as session:
        rec.start(session)
        stored = get_cursor(session, stream)
        cursor = start = int(stored or 0)
    # The first push to this tracker: ids and hashes on the links belong to another one (or none).
    fresh = stored is None
    unmatched: dict[str, set[str]] = {}
    failed_from = 0
    status, error = "ok", None
    try:
        while True:
            with runtime.sessions() as session:
                changed, retry = _page(session, cursor, start, failed_from, batch)
            if not changed and not retry:
                break
            seen_seq = max((r.feed_seq for r in changed), default=cursor)
            failed_from = max((r.id for r in retry), default=failed_from)
            rows = changed + retry
            todo: list[tuple[LinkRow, TaskPublication, str]] = []
            quiet: list[tuple[int, str, str | None]] = []
            for raw in rows:
                row = _row(raw, fresh)
                publication = publication_of(row)
                digest = publication_hash(publication, name)
                verdict = decide(row, digest)
                if verdict == "push":
                    todo.append((row, publication, digest))
                else:
                    rec.note(row.task_code, "unchanged", verdict)
                    if verdict == "skip_closed_never_pushed" and row.pushed_hash != digest:
                        quiet.append((row.id, digest, row.tracker_task_id))
            outcomes = tracker.publish_tasks([p for _, p, _ in todo]) if todo else []
            if len(outcomes) != len(todo):
                raise TrackerError(
                    f"the tracker adapter answered {len(outcomes)} outcomes for {len(todo)} tasks"
                )
            with runtime.sessions.begin() as session:
                _record(session, todo, outcomes, quiet, rec, unmatched)
                cursor = seen_seq
                set_cursor(session, stream, str(cursor))
                rec.flush(session)
    except TrackerError as exc:  # the tracker as a whole refused or is away: the next tick retries
        status, error = "failed", str(exc)
        log.warning("task push stopped: %s", exc)
    if status == "ok" and rec.counters.get("failed"):
        status = "partial"
    with runtime.sessions.begin() as session:
        if error:
            rec.note("tracker", "failed", "tracker_error", error)
        rec.flush(session, status)
    return PushResult(
        status,
        rec.summary(),
        {email: sorted(codes) for email, codes in sorted(unmatched.items())},
        error,
        rec.run_id,
    )


def _record(
    session: Session,
    todo: list[tuple[LinkRow, TaskPublication, str]],
    outcomes: list[PublishOutcome],
    quiet: list[tuple[int, str, str | None]],
    rec: RunRecorder,
    unmatched: dict[str, set[str]],
) -> None:
    """Write one batch's outcomes back to the links (feed numbers untouched) and count them."""
    for (row, _publication, digest), outcome in zip(todo, outcomes, strict=True):
        if outcome.action == "failed":
            values: dict[str, Any] = {"push_error": (outcome.error or "failed")[:2000]}
            rec.note(row.task_code, "failed", "tracker_refused", outcome.error)
        else:
            values = {"pushed_hash": digest, "push_error": None}
            if outcome.task_id:
                values["tracker_task_id"] = outcome.task_id
            rec.note(
                row.task_code, outcome.action, None if outcome.action != "unchanged" else "already_there"
            )
        for email in outcome.unmatched_emails:
            unmatched.setdefault(email, set()).add(row.task_code)
            rec.count("unmatched_assignees")
        session.execute(update(Link).where(Link.id == row.id).values(**values))
    for link_id, digest, task_id in quiet:  # closed, never in this tracker: nothing to create
        values = {"pushed_hash": digest, "push_error": None, "tracker_task_id": task_id}
        session.execute(update(Link).where(Link.id == link_id).values(**values))


def push_state(session: Session) -> dict[str, int]:
    """Links by push state: pushed, failed (with an error), never pushed."""
    counts: Counter[str] = Counter()
    rows = session.execute(select(Link.pushed_hash.is_not(None), Link.push_error.is_not(None)))
    for pushed, failed in rows:
        counts["failed" if failed else "pushed" if pushed else "not_pushed"] += 1
    return dict(counts)


__all__ = ["PushResult", "cursor_stream", "push_state", "push_tasks", "tracker_name"]
