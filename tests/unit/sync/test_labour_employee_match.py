"""Employee matching: e-mail (any case), then the manual table, then an unambiguous full name."""

from __future__ import annotations

import pytest

from connector.sync.labour.employee_match import Person, match_employees, normalise_name
from connector.tracker.base import TrackerEmployee

PEOPLE = [
    Person("11111111-1111-1111-1111-111111111111", "e1", "ivanov@crm.example", "Иванов Пётр"),
    Person("22222222-2222-2222-2222-222222222222", "e2", None, "Петрова Анна"),
    Person("33333333-3333-3333-3333-333333333333", "e3", None, "Сидоров Иван"),
    Person("44444444-4444-4444-4444-444444444444", "e4", None, "Сидоров Иван"),
]


def emp(id_: str, email: str | None, name: str = "") -> TrackerEmployee:
    return TrackerEmployee(id_, email, name, True)


def test_email_matches_case_insensitively() -> None:
    result = match_employees([emp("7", "IVANOV@crm.example")], PEOPLE)
    assert [(m.tracker_id, m.person.onec_employee_ref, m.how) for m in result.matched] == [
        ("7", "e1", "email")
    ]


def test_manual_table_then_name_and_ambiguous_names_stay_unmatched() -> None:
    tracker = [emp("1", "anna@home.example"), emp("2", None, "пётр  иванов"), emp("3", None, "Иван Сидоров")]
    manual = {"anna@home.example": "22222222-2222-2222-2222-222222222222"}
    result = match_employees(tracker, PEOPLE[1:], rules=["email", "manual", "name"], manual=manual)
    assert {m.tracker_id: m.how for m in result.matched} == {"1": "manual"}
    assert [e.id for e, _ in result.unmatched] == ["2", "3"]
    full = match_employees(tracker[1:2], PEOPLE, rules=["name"])
    assert full.matched[0].person.onec_employee_ref == "e1"


def test_one_person_is_matched_once_and_unknown_rules_are_refused() -> None:
    result = match_employees([emp("1", "ivanov@crm.example"), emp("2", "Ivanov@CRM.example")], PEOPLE)
    assert [m.tracker_id for m in result.matched] == ["1"]
    assert normalise_name(" Ёлкин  Иван ") == normalise_name("иван елкин")
    with pytest.raises(ValueError, match="unknown employee match rule"):
        match_employees([], PEOPLE, rules=["phone"])
