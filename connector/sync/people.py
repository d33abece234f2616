"""Reading the user directory from 1C (once per run, paged) and persisting it as employees."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from connector.onec.client import ODataClient
from connector.store.links import upsert_employees
from connector.store.models import Employee
from connector.sync.core.directory import (
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

    Only new or changed users are written, all in one ``upsert_employees`` call, and only the
    columns 1C owns (``DIRECTORY_COLUMNS``): ``tracker_employee_id``/``how_matched`` are filled
    by the tracker side later and existing matches are kept. Returns how many rows were written."""
    existing = {
        ref: (email, name, employee)
        for ref, email, name, employee in session.execute(
            select(Employee.onec_user_ref, Employee.email, Employee.name, Employee.onec_employee_ref)
        )
    }
    rows = [
        {"onec_user_ref": u.ref, "email": u.email, "name": u.name, "onec_employee_ref": u.employee_ref}
        for u in directory.users.values()
        if existing.get(u.ref) != (u.email, u.name, u.employee_ref)
    ]
    return upsert_employees(session, rows) if rows else 0
