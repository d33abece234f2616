"""The 1C user directory of one run: users with their e-mail, department and employee.

Loaded once per run, a few paged requests for the whole base (users, departments, employees),
never per object. E-mail comes from ``CRM_ЕмейлДляСинхронизации``, else from the first contact
information row of type ``АдресЭлектроннойПочты``; it is lower-cased because trackers and 1C
disagree about case. Deactivated (``Недействителен``), service (``Служебный``) and
deletion-marked users are left out: a task must never be assigned to them.

Pure: reading 1C and persisting live in ``inbound_directory``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

USERS = "Catalog_Пользователи"
DEPARTMENTS = "Catalog_СтруктурныеЕдиницы"
EMPLOYEES = "Catalog_Сотрудники"
EMAIL_KIND = "АдресЭлектроннойПочты"
USER_FIELDS = (
    "Ref_Key",
    "DeletionMark",
    "Description",
    "ФизическоеЛицо_Key",
    "Подразделение_Key",
    "Недействителен",
    "Служебный",
    "CRM_ЕмейлДляСинхронизации",
    "КонтактнаяИнформация",
)


@dataclass(frozen=True)
class DirectoryUser:
    """A 1C user who may be assigned tasks; ``email`` is None when 1C has none for them."""

    ref: str
    name: str
    email: str | None
    department_ref: str | None = None
    department: str | None = None
    employee_ref: str | None = None


@dataclass
class UserDirectory:
    """Users by ref and departments by ref; ``excluded`` holds refs of users left out and why."""

    users: dict[str, DirectoryUser] = field(default_factory=dict)
    departments: dict[str, str] = field(default_factory=dict)
    excluded: dict[str, str] = field(default_factory=dict)

    def get(self, ref: str) -> DirectoryUser | None:
        return self.users.get(ref)

    def in_department(self, *, ref: str | None = None, name: str | None = None) -> list[DirectoryUser]:
        """Users of a department given by GUID or by its Description, ordered by name."""
        wanted = {r for r, n in self.departments.items() if n == name} if name is not None else {ref}
        return sorted((u for u in self.users.values() if u.department_ref in wanted), key=lambda u: u.name)


def user_email(user: Mapping[str, Any]) -> str | None:
    """The e-mail 1C holds for a user (sync field first, then contact information), lower-case."""
    direct = user.get("CRM_ЕмейлДляСинхронизации")
    if isinstance(direct, str) and direct.strip():
        return direct.strip().lower()
    for row in user.get("КонтактнаяИнформация") or []:
        if isinstance(row, dict) and row.get("Тип") == EMAIL_KIND:
            for key in ("АдресЭП", "Представление"):
                value = row.get(key)
                if isinstance(value, str) and "@" in value:
                    return value.strip().lower()
    return None


def build_directory(
    users: Iterable[Mapping[str, Any]],
    departments: Iterable[Mapping[str, Any]] = (),
    employees: Iterable[Mapping[str, Any]] = (),
) -> UserDirectory:
    """The directory from raw 1C rows (pure; ``load_directory`` does the reading)."""
    directory = UserDirectory()
    for d in departments:
        directory.departments[str(d["Ref_Key"])] = str(d.get("Description") or "").strip()
    by_person: dict[str, str] = {}
    for e in employees:
        person = e.get("ФизическоеЛицо_Key")
        if person and not e.get("Недействителен") and not e.get("ВАрхиве") and not e.get("DeletionMark"):
            by_person.setdefault(str(person), str(e["Ref_Key"]))
    for u in users:
        ref = str(u["Ref_Key"])
        if u.get("DeletionMark"):
            directory.excluded[ref] = "deletion_marked"
            continue
        if u.get("Недействителен"):
            directory.excluded[ref] = "inactive"
            continue
        if u.get("Служебный"):
            directory.excluded[ref] = "service_user"
            continue
        dep = u.get("Подразделение_Key") or None
        person = u.get("ФизическоеЛицо_Key")
        directory.users[ref] = DirectoryUser(
            ref=ref,
            name=str(u.get("Description") or "").strip(),
            email=user_email(u),
            department_ref=dep,
            department=directory.departments.get(dep) if dep else None,
            employee_ref=by_person.get(str(person)) if person else None,
        )
    return directory
