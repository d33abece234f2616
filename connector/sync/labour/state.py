"""The labour table as the engine's memory, and delivery intents as outbox rows.

Each labour row is one day of one row key (``<channel>|employee|object|date|work type``, with an
``|adj:<date>`` suffix for adjustments of closed days): ``minutes`` is what the connector has
decided 1C must hold (enqueued), ``written_minutes`` what 1C confirmed. The diff compares the
tracker against ``minutes``, so a second run before delivery enqueues nothing new, and the
desired state and its intents are committed together (no dual write). Intents are stored whole
(the target's full desired rows) so a worker needs nothing else to deliver them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.orm import Session

from connector.store.models import Labour, OutboxIntent
from connector.store.types import utcnow
from connector.sync.core.keys import row_key
from connector.sync.core.labour_diff import adjustment_comment, make_entry
from connector.sync.core.model import Channel, LabourIntent, LabourKey, WrittenLabour

OUTBOX_PREFIX = "labour/"
ADJ = "|adj:"


def labour_key(channel: Channel, e: WrittenLabour) -> str:
    k = e.key
    base = f"{channel}|{row_key(k.employee_ref, k.object_ref, k.work_date, k.work_type_ref)}"
    return base + (f"{ADJ}{e.adjusts.isoformat()}" if e.adjusts else "")


def outbox_target(channel: Channel, target: str) -> str:
    return f"{OUTBOX_PREFIX}{channel}/{target}"


def load_written(
    session: Session,
    channel: Channel,
    first: date,
    last: date,
    closing_date: date | None,
    customers: dict[tuple[str | None, str | None], str | None] | None = None,
) -> list[WrittenLabour]:
    """Enqueued labour of ``channel`` dated ``first..last`` plus every live adjustment row.

    Each row carries the customer it was enqueued with (``""``: none), so a customer changed on
    the object in 1C differs from the desired rows and rewrites them. Rows enqueued before the
    customer was stored (``NULL``) take it from ``customers`` (object → current customer)
    instead of being rewritten all at once.
    """
    rows = session.execute(
        select(Labour).where(
            Labour.key.startswith(f"{channel}|"),
            Labour.minutes != 0,
            or_(Labour.work_date.between(first, last), Labour.key.contains(ADJ)),
        )
    ).scalars()
    out = []
    for r in rows:
        adjusts = date.fromisoformat(r.key.rsplit(ADJ, 1)[1]) if ADJ in r.key else None
        key = LabourKey(
            r.employee_ref, r.object_type or None, r.object_ref or None, r.work_date, r.work_type_ref
        )
        comment = adjustment_comment(adjusts, closing_date) if adjusts and closing_date else None
        if r.customer_ref is None:
            customer = (customers or {}).get((key.object_type, key.object_ref))
        else:
            customer = r.customer_ref or None
        out.append(
            make_entry(
                key,
                r.minutes,
                channel,
                billable=r.billable,
                customer_ref=customer,
                adjusts=adjusts,
                comment=comment,
            )
        )
    return out


def entry_json(e: WrittenLabour) -> dict[str, Any]:
    k = e.key
    return {
        "employee": k.employee_ref,
        "object_type": k.object_type,
        "object": k.object_ref,
        "date": k.work_date.isoformat(),
        "work_type": k.work_type_ref,
        "minutes": e.minutes,
        "target": e.target,
        "row_key": e.row_key,
        "billable": e.billable,
        "customer": e.customer_ref,
        "evidence": e.evidence_url,
        "adjusts": e.adjusts.isoformat() if e.adjusts else None,
        "comment": e.comment,
    }


def entry_from_json(d: dict[str, Any]) -> WrittenLabour:
    key = LabourKey(
        d["employee"], d["object_type"], d["object"], date.fromisoformat(d["date"]), d["work_type"]
    )
    adjusts = date.fromisoformat(d["adjusts"]) if d.get("adjusts") else None
    return WrittenLabour(
        key,
        int(d["minutes"]),
        d["target"],
        d["row_key"],
        bool(d["billable"]),
        d.get("customer"),
        d.get("evidence"),
        adjusts,
        d.get("comment"),
    )


def intent_payload(intent: LabourIntent) -> dict[str, Any]:
    return {
        "kind": "labour",
        "channel": intent.channel,
        "action": intent.kind,
        "target": intent.target_key,
        "employee": intent.employee_ref,
        "week_start": intent.week_start.isoformat() if intent.week_start else None,
        "entries": [entry_json(e) for e in intent.entries],
        "previous": [entry_json(e) for e in intent.previous],
    }


def _chunks(items: Sequence[str], size: int = 500) -> Iterable[Sequence[str]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def enqueue(session: Session, intents: Sequence[LabourIntent]) -> int:
    """Record the intents' desired state in the labour table and add them to the outbox.

    The caller commits; both writes land in one transaction. Returns the number of intents.
    """
    if not intents:
        return 0
    keys: dict[str, tuple[WrittenLabour, Channel]] = {}
    for intent in intents:
        for e in intent.previous:
            keys.setdefault(labour_key(intent.channel, e), (e, intent.channel))
        for e in intent.entries:
            keys[labour_key(intent.channel, e)] = (e, intent.channel)
    desired = {labour_key(i.channel, e) for i in intents for e in i.entries}
    existing: dict[str, Labour] = {}
    for chunk in _chunks(sorted(keys)):
        for row in session.execute(select(Labour).where(Labour.key.in_(chunk))).scalars():
            existing[row.key] = row
    now = utcnow()
    new_rows: list[dict[str, Any]] = []
    for k, (e, _) in keys.items():
        minutes = e.minutes if k in desired else 0
        found = existing.get(k)
        if found is None:
            if minutes == 0:
                continue
            new_rows.append(
                {
                    "key": k,
                    "employee_ref": e.key.employee_ref,
                    "object_type": e.key.object_type or "",
                    "object_ref": e.key.object_ref or "",
                    "work_date": e.key.work_date,
                    "work_type_ref": e.key.work_type_ref,
                    "minutes": minutes,
                    "billable": e.billable,
                    "customer_ref": e.customer_ref or "",
                    "written_minutes": None,
                    "state": "pending",
                    "updated_at": now,
                }
            )
        else:
            found.minutes = minutes
            found.billable = e.billable
            found.customer_ref = e.customer_ref or ""
            found.state = "written" if found.written_minutes == minutes else "pending"
            found.updated_at = now
    if new_rows:
        session.execute(insert(Labour), new_rows)
    targets = [outbox_target(i.channel, i.target_key) for i in intents]
    versions: dict[str, int] = {}
    for chunk in _chunks(targets):
        q = (
            select(OutboxIntent.target_key, func.max(OutboxIntent.version))
            .where(OutboxIntent.target_key.in_(chunk))
            .group_by(OutboxIntent.target_key)
        )
        versions.update({t: int(v or 0) for t, v in session.execute(q)})
    for chunk in _chunks(targets):
        session.execute(
            update(OutboxIntent)
            .where(OutboxIntent.target_key.in_(chunk), OutboxIntent.state == "pending")
            .values(state="superseded")
            .execution_options(synchronize_session=False)
        )
    session.execute(
        insert(OutboxIntent),
        [
            {
                "target_key": t,
                "version": versions.get(t, 0) + 1,
                "payload": intent_payload(i),
                "state": "pending",
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
            }
            for t, i in zip(targets, intents, strict=True)
        ],
    )
    session.flush()
    return len(intents)


def mark_written(
    session: Session,
    channel: Channel,
    entries: Iterable[WrittenLabour],
    removed: Iterable[WrittenLabour],
    doc_ref: str | None = None,
) -> None:
    """Record 1C's confirmation: ``entries`` now hold their minutes, ``removed`` hold nothing."""
    values = {labour_key(channel, e): e.minutes for e in entries}
    for e in removed:
        values.setdefault(labour_key(channel, e), 0)
    if not values:
        return
    keys = sorted(values)
    for chunk in _chunks(keys):
        for row in session.execute(select(Labour).where(Labour.key.in_(chunk))).scalars():
            row.written_minutes = values[row.key]
            if doc_ref is not None:
                row.onec_doc_ref = doc_ref
            row.state = "written" if row.minutes == row.written_minutes else "pending"
    session.flush()
