"""Who books labour: 1C users with their employee records, matched to tracker employees.

Labour in 1C is recorded per employee (``Catalog_Сотрудники``), found through the user's person
(``ФизическоеЛицо_Key``). The directory is the one the inbound flow reads (``load_directory``,
a few paged requests, read with no store transaction open) and is persisted by the same writer
(``persist_directory`` → ``store.links.upsert_employees``, existing matches kept); then the
tracker's employees are matched against the stored people (``employee_match``).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from connector.mapping.schema import Employees
from connector.onec.client import ODataClient
from connector.sync.core.directory import UserDirectory
from connector.sync.labour.employee_match import (
    MatchResult,
    Person,
    match_employees,
    people_from_store,
    store_matches,
)
from connector.sync.people import load_directory, persist_directory
from connector.tracker.base import TrackerEmployee

__all__ = ["load_directory", "people", "read_people", "refresh_directory", "refresh_matches"]


def people(directory: UserDirectory) -> list[Person]:
    """The directory's users as people labour can be booked on (``onec_employee_ref`` may be None)."""
    return [Person(u.ref, u.employee_ref, u.email, u.name) for u in directory.users.values()]


def read_people(onec: ODataClient) -> list[Person]:
    """Active, non-service 1C users with their employee record (``None`` when they have none)."""
    return people(load_directory(onec))


def refresh_directory(session: Session, directory: UserDirectory) -> int:
    """Store a directory read beforehand (no I/O here); returns rows changed."""
    return persist_directory(session, directory)


def refresh_matches(session: Session, tracker: Sequence[TrackerEmployee], rules: Employees) -> MatchResult:
    """Match the tracker's employees to the stored 1C people and record the matches."""
    result = match_employees(tracker, people_from_store(session), rules=rules.match, manual=rules.manual)
    store_matches(session, result)
    return result
