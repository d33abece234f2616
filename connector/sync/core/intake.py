"""Validation of time entries pushed by trackers (``POST /tracker/v1/time-entries``); pure.

An entry is ``{id, employee_email | employee_id, task_code, start, end | seconds, deleted,
evidence_url}``. Each entry is judged alone: a bad one is rejected with a reason a tracker's
operator can act on, and never spoils the rest of the batch. Instants must carry an offset (a
naive time would silently mean "the server's zone"); durations are 0..24 h.

``parse_entry`` checks shape and time; ``resolve_entry`` checks the references (employee, task
code) against lookups the caller fetched from the store in bulk.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

MAX_BATCH = 1000
MAX_SECONDS = 24 * 3600
MAX_ID_CHARS = 200
MAX_CODE_CHARS = 200
MAX_EMAIL_CHARS = 320
MAX_URL_CHARS = 2000
_REFERENCE_FIELDS = ("employee_email", "employee_id", "task_code", "start", "end", "seconds")


@dataclass(frozen=True)
class IntakeEntry:
    """A well-formed pushed entry; instants in UTC. ``bare_tombstone``: only ``id`` + ``deleted``.

    ``employee_row`` is the store's employee id, set by :func:`resolve_entry`.
    """

    id: str
    deleted: bool = False
    employee_email: str | None = None
    employee_id: str | None = None
    task_code: str = ""
    start: datetime | None = None
    end: datetime | None = None
    seconds: int = 0
    evidence_url: str | None = None
    bare_tombstone: bool = False
    employee_row: int | None = None


@dataclass(frozen=True)
class Rejection:
    """Why an entry was not taken (``id`` is None when the entry had no usable id)."""

    id: str | None
    reason: str


def _id_of(raw: Mapping[str, Any]) -> str | None:
    value = raw.get("id")
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        return None
    text = str(value).strip()
    return text if text and len(text) <= MAX_ID_CHARS and printable(text) else None


def printable(text: str) -> bool:
    """No control characters (a NUL cannot even be stored in PostgreSQL text)."""
    return not any(ord(c) < 32 or ord(c) == 127 for c in text)


def parse_instant(value: Any, name: str) -> datetime | str:
    """An aware UTC datetime from an ISO 8601 string, or the reason it is not one."""
    if not isinstance(value, str) or not value.strip():
        return f"{name} must be an ISO 8601 timestamp string"
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return f"{name} is not an ISO 8601 timestamp"
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        return f"{name} has no time zone offset (give Z or +03:00)"
    if not 1970 <= parsed.year <= 9000:
        return f"{name} is out of range (years 1970..9000)"
    return parsed.astimezone(UTC)


def _whole_seconds(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def _employee(raw: Mapping[str, Any]) -> tuple[str | None, str | None] | str:
    email, tracker_id = raw.get("employee_email"), raw.get("employee_id")
    if email is not None:
        if (
            not isinstance(email, str)
            or "@" not in email
            or len(email) > MAX_EMAIL_CHARS
            or not printable(email)
        ):
            return "employee_email is not an e-mail address"
        email = email.strip().lower()
    if tracker_id is not None:
        if isinstance(tracker_id, bool) or not isinstance(tracker_id, (str, int)):
            return "employee_id must be a string or a number"
        tracker_id = str(tracker_id).strip()
        if not tracker_id or len(tracker_id) > 100 or not printable(tracker_id):
            return "employee_id is empty, too long or has control characters"
    if email is None and tracker_id is None:
        return "missing employee_email or employee_id"
    return email, tracker_id


def _interval(raw: Mapping[str, Any]) -> tuple[datetime, datetime, int] | str:
    start = parse_instant(raw.get("start"), "start") if "start" in raw else "missing start"
    if isinstance(start, str):
        return start
    has_end, has_seconds = raw.get("end") is not None, raw.get("seconds") is not None
    if not has_end and not has_seconds:
        return "missing end or seconds"
    seconds: int | None = None
    if has_seconds:
        seconds = _whole_seconds(raw["seconds"])
        if seconds is None:
            return "seconds must be a whole number"
        if seconds < 0:
            return "negative duration"
    if has_end:
        end = parse_instant(raw["end"], "end")
        if isinstance(end, str):
            return end
        if end < start:
            return "end before start"
        span = int((end - start).total_seconds())
        if seconds is not None and seconds != span:
            return f"end and seconds disagree ({span} s between start and end, seconds={seconds})"
        seconds = span
    assert seconds is not None
    if seconds > MAX_SECONDS:
        return "duration over 24 h"
    return start, start + timedelta(seconds=seconds), seconds


def parse_entry(raw: object) -> IntakeEntry | Rejection:
    """Check one entry's shape, timestamps and duration (no store access)."""
    if not isinstance(raw, Mapping):
        return Rejection(None, "entry must be a JSON object")
    entry_id = _id_of(raw)
    if entry_id is None:
        return Rejection(None, f"missing id (a non-empty string of at most {MAX_ID_CHARS} characters)")
    deleted = raw.get("deleted", False)
    if deleted is None:
        deleted = False
    if not isinstance(deleted, bool):
        return Rejection(entry_id, "deleted must be true or false")
    if deleted and not any(raw.get(name) is not None for name in _REFERENCE_FIELDS):
        return IntakeEntry(id=entry_id, deleted=True, bare_tombstone=True)
    who = _employee(raw)
    if isinstance(who, str):
        return Rejection(entry_id, who)
    code = raw.get("task_code")
    if not isinstance(code, str) or not code.strip():
        return Rejection(entry_id, "missing task_code")
    if len(code) > MAX_CODE_CHARS or not printable(code):
        return Rejection(entry_id, "task_code is too long or has control characters")
    interval = _interval(raw)
    if isinstance(interval, str):
        return Rejection(entry_id, interval)
    evidence = raw.get("evidence_url")
    if evidence is not None and (
        not isinstance(evidence, str)
        or not evidence.startswith(("http://", "https://"))
        or len(evidence) > MAX_URL_CHARS
        or not printable(evidence)
    ):
        return Rejection(entry_id, "evidence_url must be an http(s) URL")
    start, end, seconds = interval
    return IntakeEntry(
        id=entry_id,
        deleted=deleted,
        employee_email=who[0],
        employee_id=who[1],
        task_code=code.strip(),
        start=start,
        end=end,
        seconds=seconds,
        evidence_url=evidence,
    )


def resolve_entry(
    entry: IntakeEntry,
    *,
    employees_by_email: Mapping[str, int],
    employees_by_tracker_id: Mapping[str, int],
    task_codes: Collection[str],
) -> IntakeEntry | Rejection:
    """Attach the store's employee to an entry, or reject it for an unknown employee or task.

    The tracker id is tried first (it is what the tracker itself knows), then the e-mail, which
    the lookup holds lower-cased.
    """
    if entry.bare_tombstone:
        return entry
    row = None
    if entry.employee_id is not None:
        row = employees_by_tracker_id.get(entry.employee_id)
    if row is None and entry.employee_email is not None:
        row = employees_by_email.get(entry.employee_email)
    if row is None:
        who = entry.employee_email or f"employee_id {entry.employee_id}"
        return Rejection(entry.id, f"unknown employee {who}")
    if entry.task_code not in task_codes:
        return Rejection(entry.id, f"unknown task code {entry.task_code}")
    return replace(entry, employee_row=row)


def batch_items(body: object) -> list[Any] | str:
    """The entries of a request body (``{"entries": [...]}`` or a bare list), or why it is unusable."""
    items = body.get("entries") if isinstance(body, dict) else body
    if not isinstance(items, list):
        return 'body must be {"entries": [...]} or a JSON array of entries'
    return items
