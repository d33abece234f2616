"""One writer of the employees table, safe when two replicas refresh the directory at once."""

from __future__ import annotations

import threading

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from connector.store.links import upsert_employee, upsert_employees
from connector.store.models import Employee
from connector.sync.core.directory import build_directory
from connector.sync.labour.employees import refresh_directory

USERS = [
    {
        "Ref_Key": f"00000000-0000-0000-0000-{i:012d}",
        "Description": f"User {i}",
        "CRM_ЕмейлДляСинхронизации": f"U{i}@Example.test",
    }
    for i in range(40)
]


def test_concurrent_directory_refreshes_of_the_same_users_never_collide(
    sessions: sessionmaker[Session],
) -> None:
    directory = build_directory(USERS)
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def refresh() -> None:
        try:
            start.wait()
            for _ in range(3):
                with sessions.begin() as s:
                    refresh_directory(s, directory)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=refresh) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with sessions() as s:
        assert s.execute(select(func.count()).select_from(Employee)).scalar_one() == len(USERS)
        emails = {e.email for e in s.execute(select(Employee)).scalars()}
    assert emails == {f"u{i}@example.test" for i in range(40)}


def test_the_directory_refresh_keeps_a_match_and_updates_directory_fields(
    sessions: sessionmaker[Session],
) -> None:
    ref = USERS[0]["Ref_Key"]
    with sessions.begin() as s:
        upsert_employee(
            s,
            onec_user_ref=ref,
            email="old@x.test",
            name="Old",
            how_matched="email",
            tracker_employee_id="t-1",
        )
    with sessions.begin() as s:
        upsert_employees(
            s, [{"onec_user_ref": ref, "email": "NEW@X.test", "name": "New", "onec_employee_ref": None}]
        )
    with sessions() as s:
        row = s.execute(select(Employee).where(Employee.onec_user_ref == ref)).scalar_one()
        assert (row.email, row.name, row.tracker_employee_id, row.how_matched) == (
            "new@x.test",
            "New",
            "t-1",
            "email",
        )


def test_one_call_with_rows_of_different_columns_sets_only_each_rows_columns(
    sessions: sessionmaker[Session],
) -> None:
    a, b, c = (u["Ref_Key"] for u in USERS[:3])
    with sessions.begin() as s:
        for ref, n in ((a, "A"), (b, "B")):
            upsert_employee(
                s,
                onec_user_ref=ref,
                email=f"{n}@x.test",
                name=n,
                how_matched="email",
                tracker_employee_id=n,
            )
    with sessions.begin() as s:
        written = upsert_employees(
            s,
            [
                {"onec_user_ref": b, "tracker_employee_id": "t-b", "how_matched": "manual"},
                {"onec_user_ref": a, "email": " A2@X.test ", "name": "A2", "onec_employee_ref": None},
                {"onec_user_ref": c, "email": "C@x.test", "name": "C", "onec_employee_ref": None},
            ],
        )
    assert written == 3
    with sessions() as s:
        rows = {
            e.onec_user_ref: (e.email, e.name, e.tracker_employee_id, e.how_matched)
            for e in s.execute(select(Employee)).scalars()
        }
    assert rows == {
        a: ("a2@x.test", "A2", "A", "email"),
        b: ("b@x.test", "B", "t-b", "manual"),
        c: ("c@x.test", "C", None, None),
    }


def test_a_user_named_twice_in_one_call_is_written_as_if_one_after_the_other(
    sessions: sessionmaker[Session],
) -> None:
    ref = USERS[0]["Ref_Key"]
    with sessions.begin() as s:
        written = upsert_employees(
            s,
            [
                {
                    "onec_user_ref": ref,
                    "email": "first@x.test",
                    "name": "First",
                    "onec_employee_ref": None,
                },
                {"onec_user_ref": ref, "tracker_employee_id": "t-9", "how_matched": "email"},
                {"onec_user_ref": ref, "name": "Second"},
                {"onec_user_ref": ref, "name": "Third"},  # same columns: one statement on PostgreSQL
            ],
        )
    assert written == 1
    with sessions() as s:
        row = s.execute(select(Employee).where(Employee.onec_user_ref == ref)).scalar_one()
        assert (row.email, row.name, row.tracker_employee_id, row.how_matched) == (
            "first@x.test",
            "Third",
            "t-9",
            "email",
        )
