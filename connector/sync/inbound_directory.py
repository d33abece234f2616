"""Reading the user directory from 1C (once per run, paged) and persisting it as employees."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from connector.onec.client import ODataClient
from connector.store.links import upsert_employee
from connector.store.models import Employee
from connector.sync.directory import (
    DEPARTMENTS,
    EMPLOYEES,
    USER_FIELDS,
    USERS,
    UserDirectory,
    build_directory,
)


def load_directory(client: ODataClient) -> UserDirectory:
    """Read users, departments and employees from 1C (paged; about three requests for a small base)."""
    departments = client.iter_entities(DEPARTMENTS, select=["Ref_Key", "Description"])
    employees = client.iter_entities(
        EMPLOYEES, select=["Ref_Key", "DeletionMark", "ФизическоеЛицо_Key", "Недействителен", "ВАрхиве"]
    )
    deps = list(departments)
    emps = list(employees)
    return build_directory(client.iter_entities(USERS, select=list(USER_FIELDS)), deps, emps)


def persist_directory(session: Session, directory: UserDirectory) -> int:
    """Store every directory user in the employees table (matched by e-mail when 1C has one).

    The tracker side fills ``tracker_employee_id`` later; existing matches are kept."""
    existing = {e.onec_user_ref: e for e in session.execute(select(Employee)).scalars()}
    written = 0
    for user in directory.users.values():
        old = existing.get(user.ref)
        if (
            old is not None
            and old.email == user.email
            and old.name == user.name
            and old.onec_employee_ref == user.employee_ref
        ):
            continue
        upsert_employee(
            session,
            onec_user_ref=user.ref,
            email=user.email,
            name=user.name,
            how_matched=old.how_matched if old is not None else None,
            tracker_employee_id=old.tracker_employee_id if old is not None else None,
            onec_employee_ref=user.employee_ref,
        )
        written += 1
    return written
