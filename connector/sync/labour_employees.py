"""Who books labour: 1C users with their employee records, matched to tracker employees.

Labour in 1C is recorded per employee (``Catalog_Сотрудники``), found through the user's person
(``ФизическоеЛицо_Key``). The directory is read once per run (two paged reads) into the
employees table (existing matches kept), then the tracker's employees are matched against that
table (``employee_match``) and the matches recorded.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from connector.mapping.schema import Employees
from connector.onec.client import ODataClient
from connector.store.models import Employee
from connector.store.types import utcnow
from connector.sync.employee_match import (
    MatchResult,
    Person,
    match_employees,
    people_from_store,
    store_matches,
)
from connector.tracker.base import TrackerEmployee

USERS = "Catalog_Пользователи"
EMPLOYEES = "Catalog_Сотрудники"
EMAIL_KIND = "АдресЭлектроннойПочты"
USER_FIELDS = (
    "Ref_Key",
    "DeletionMark",
    "Description",
    "ФизическоеЛицо_Key",
    "Недействителен",
    "Служебный",
    "CRM_ЕмейлДляСинхронизации",
    "КонтактнаяИнформация",
)


def user_email(user: Mapping[str, Any]) -> str | None:
    """The user's e-mail: the sync field first, then a contact row of the e-mail kind; lower-case."""
    direct = user.get("CRM_ЕмейлДляСинхронизации")
    if isinstance(direct, str) and "@" in direct:
        return direct.strip().lower()
    for row in user.get("КонтактнаяИнформация") or []:
        if isinstance(row, dict) and row.get("Тип") == EMAIL_KIND:
            for name in ("АдресЭП", "Представление"):
                value = row.get(name)
                if isinstance(value, str) and "@" in value:
                    return value.strip().lower()
    return None


def read_people(onec: ODataClient) -> list[Person]:
    """Active, non-service 1C users with their employee record (``None`` when they have none)."""
    employee_of: dict[str, str] = {}
    fields = ["Ref_Key", "DeletionMark", "ФизическоеЛицо_Key", "Недействителен", "ВАрхиве"]
    for e in onec.iter_entities(EMPLOYEES, select=fields):
        if e.get("DeletionMark") or e.get("Недействителен") or e.get("ВАрхиве"):
            continue
        person = e.get("ФизическоеЛицо_Key")
        if person and person not in employee_of:
            employee_of[person] = e["Ref_Key"]
    people = []
    for u in onec.iter_entities(USERS, select=list(USER_FIELDS)):
        if u.get("DeletionMark") or u.get("Недействителен") or u.get("Служебный"):
            continue
        person = u.get("ФизическоеЛицо_Key")
        people.append(
            Person(
                onec_user_ref=u["Ref_Key"],
                onec_employee_ref=employee_of.get(person) if person else None,
                email=user_email(u),
                name=str(u.get("Description") or "").strip(),
            )
        )
    return people


def store_people(session: Session, people: Sequence[Person]) -> int:
    """Create or refresh employees table rows of ``people`` (matches kept); returns rows changed."""
    existing = {r.onec_user_ref: r for r in session.execute(select(Employee)).scalars()}
    changed = 0
    for p in people:
        row = existing.get(p.onec_user_ref)
        if row is None:
            row = Employee(onec_user_ref=p.onec_user_ref)
            session.add(row)
        elif (row.onec_employee_ref, row.email, row.name) == (p.onec_employee_ref, p.email, p.name):
            continue
        row.onec_employee_ref = p.onec_employee_ref
        row.email = p.email
        row.name = p.name
        row.updated_at = utcnow()
        changed += 1
    session.flush()
    return changed


def refresh_directory(session: Session, onec: ODataClient) -> int:
    """Reload 1C users/employees into the employees table; returns rows changed."""
    return store_people(session, read_people(onec))


def refresh_matches(session: Session, tracker: Sequence[TrackerEmployee], rules: Employees) -> MatchResult:
    """Match the tracker's employees to the stored 1C people and record the matches."""
    result = match_employees(tracker, people_from_store(session), rules=rules.match, manual=rules.manual)
    store_matches(session, result)
    return result
