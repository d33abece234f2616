"""Matching tracker employees to 1C people: e-mail, then the mapping's manual table, then name.

Identities differ between systems (pitfall 4): e-mails are compared case-insensitively, the
manual table (e-mail → 1C user GUID) settles the rest, and the normalised full name is an
opt-in last resort (``ё`` = ``е``, case and extra spaces ignored, word order ignored). A name
shared by two 1C people matches nobody: guessing would book time on the wrong person. Whoever
stays unmatched is reported (``GET /api/unmatched-employees``) and their time is never written.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from connector.store.models import Employee
from connector.store.types import utcnow
from connector.tracker.base import TrackerEmployee

MATCH_RULES = ("email", "manual", "name")


@dataclass(frozen=True)
class Person:
    """A 1C user with the employee record labour is booked on (``None``: the user has none)."""

    onec_user_ref: str
    onec_employee_ref: str | None
    email: str | None
    name: str


@dataclass(frozen=True)
class Match:
    tracker_id: str
    person: Person
    how: str


@dataclass
class MatchResult:
    """Who matched whom and how; unmatched tracker employees keep their reason."""

    matched: list[Match] = field(default_factory=list)
    unmatched: list[tuple[TrackerEmployee, str]] = field(default_factory=list)


def normalise_email(value: str | None) -> str | None:
    value = (value or "").strip().lower()
    return value or None


def normalise_name(value: str | None) -> str | None:
    """``"  Иванов  Пётр "`` and ``"пётр иванов"`` compare equal; empty → None."""
    words = (value or "").lower().replace("ё", "е").split()
    return " ".join(sorted(words)) or None


def match_employees(
    tracker: Iterable[TrackerEmployee],
    people: Sequence[Person],
    *,
    rules: Sequence[str] = ("email", "manual"),
    manual: Mapping[str, str] | None = None,
) -> MatchResult:
    """Pair each tracker employee with at most one 1C person, trying ``rules`` in order.

    One 1C person is matched to at most one tracker employee (the first in tracker order).
    """
    for rule in rules:
        if rule not in MATCH_RULES:
            raise ValueError(f"unknown employee match rule {rule!r}; use one of {', '.join(MATCH_RULES)}")
    by_email = {normalise_email(p.email): p for p in people if normalise_email(p.email)}
    by_ref = {p.onec_user_ref.lower(): p for p in people}
    names: dict[str, list[Person]] = {}
    for p in people:
        key = normalise_name(p.name)
        if key:
            names.setdefault(key, []).append(p)
    manual_refs = {normalise_email(k): v.lower() for k, v in (manual or {}).items()}
    taken: set[str] = set()
    result = MatchResult()
    for emp in sorted(tracker, key=lambda e: e.id):
        email = normalise_email(emp.email)
        found: tuple[Person, str] | None = None
        for rule in rules:
            candidate: Person | None = None
            if rule == "email" and email:
                candidate = by_email.get(email)
            elif rule == "manual" and email and email in manual_refs:
                candidate = by_ref.get(manual_refs[email])
            elif rule == "name":
                same = names.get(normalise_name(emp.name) or "", [])
                candidate = same[0] if len(same) == 1 else None
            if candidate is not None and candidate.onec_user_ref not in taken:
                found = (candidate, rule)
                break
        if found is None:
            reason = "no 1C user with this e-mail" if email else "tracker employee has no e-mail"
            result.unmatched.append((emp, reason))
            continue
        taken.add(found[0].onec_user_ref)
        result.matched.append(Match(emp.id, found[0], found[1]))
    return result


def people_from_store(session: Session) -> list[Person]:
    """The 1C people the directory loaded into the employees table."""
    rows = session.execute(select(Employee).order_by(Employee.id)).scalars()
    return [
        Person(r.onec_user_ref, r.onec_employee_ref, r.email, r.name)
        for r in rows
        if r.onec_user_ref is not None
    ]


def store_matches(session: Session, result: MatchResult) -> int:
    """Record ``tracker_employee_id`` and ``how_matched`` on the employees table; returns changes.

    Earlier matches that no longer hold are cleared first (the id column is unique).
    """
    wanted = {m.person.onec_user_ref: m for m in result.matched}
    changed = 0
    rows = list(session.execute(select(Employee)).scalars())
    for row in rows:
        m = wanted.get(row.onec_user_ref or "")
        if row.tracker_employee_id is not None and (m is None or m.tracker_id != row.tracker_employee_id):
            session.execute(
                update(Employee)
                .where(Employee.id == row.id)
                .values(tracker_employee_id=None, how_matched=None)
            )
            changed += 1
    session.flush()
    session.expire_all()
    for row in session.execute(select(Employee)).scalars():
        m = wanted.get(row.onec_user_ref or "")
        if m is not None and (row.tracker_employee_id != m.tracker_id or row.how_matched != m.how):
            row.tracker_employee_id = m.tracker_id
            row.how_matched = m.how
            row.updated_at = utcnow()
            changed += 1
    session.flush()
    return changed


def unmatched_report(result: MatchResult) -> list[dict[str, Any]]:
    """Rows for ``GET /api/unmatched-employees``: who, and why they could not be matched."""
    return [
        {"tracker_employee_id": e.id, "email": e.email, "name": e.name, "active": e.active, "reason": why}
        for e, why in result.unmatched
    ]


def unmatched_employees(session: Session, tracker: Iterable[TrackerEmployee]) -> list[dict[str, Any]]:
    """Tracker employees not linked to any 1C person in the store (for the API)."""
    linked = {r for r in session.execute(select(Employee.tracker_employee_id)).scalars() if r is not None}
    return [
        {
            "tracker_employee_id": e.id,
            "email": e.email,
            "name": e.name,
            "active": e.active,
            "reason": "not matched to a 1C user",
        }
        for e in sorted(tracker, key=lambda e: e.id)
        if e.id not in linked
    ]
