"""Pure validation of pushed time entries (connector.sync.core.intake)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from connector.sync.core.intake import (
    IntakeEntry,
    Rejection,
    batch_items,
    parse_entry,
    resolve_entry,
)


def raw(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": "e1",
        "employee_email": "Ivanov.I@CRM.example",
        "task_code": " CRM-1 ",
        "start": "2025-03-03T23:30:00+10:00",
        "end": "2025-03-04T00:45:00+10:00",
    }
    base.update(fields)
    return {k: v for k, v in base.items() if v is not None}


def reason_of(result: IntakeEntry | Rejection) -> str:
    assert isinstance(result, Rejection), result
    return result.reason


def test_a_good_entry_is_normalised_to_utc_and_lower_case() -> None:
    entry = parse_entry(raw(evidence_url="https://t.example/1"))
    assert entry == IntakeEntry(
        id="e1",
        employee_email="ivanov.i@crm.example",
        task_code="CRM-1",
        start=datetime(2025, 3, 3, 13, 30, tzinfo=UTC),
        end=datetime(2025, 3, 3, 14, 45, tzinfo=UTC),
        seconds=4500,
        evidence_url="https://t.example/1",
    )


def test_seconds_stand_in_for_end_and_must_agree_with_it_when_both_given() -> None:
    entry = parse_entry(raw(end=None, seconds=600, start="2025-03-03T09:00:00Z"))
    assert isinstance(entry, IntakeEntry)
    assert entry.end == datetime(2025, 3, 3, 9, 10, tzinfo=UTC)
    assert "disagree" in reason_of(parse_entry(raw(seconds=10)))
    assert isinstance(parse_entry(raw(seconds=4500)), IntakeEntry)


def test_numeric_ids_are_taken_as_strings() -> None:
    entry = parse_entry(raw(id=12345, employee_email=None, employee_id=77))
    assert isinstance(entry, IntakeEntry)
    assert (entry.id, entry.employee_id) == ("12345", "77")


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"end": "2025-03-03T23:00:00+10:00"}, "end before start"),
        ({"end": None, "seconds": -1}, "negative duration"),
        ({"end": None, "seconds": 86401}, "duration over 24 h"),
        ({"end": None, "seconds": 1.5}, "seconds must be a whole number"),
        ({"end": None, "seconds": True}, "seconds must be a whole number"),
        ({"end": None}, "missing end or seconds"),
        ({"start": None}, "missing start"),
        ({"start": "2025-03-03T09:00:00"}, "start has no time zone offset (give Z or +03:00)"),
        ({"end": "2025-03-03T10:00:00"}, "end has no time zone offset (give Z or +03:00)"),
        ({"start": "tomorrow"}, "start is not an ISO 8601 timestamp"),
        ({"start": 1741000000}, "start must be an ISO 8601 timestamp string"),
        ({"start": "9999-12-31T23:00:00-05:00"}, "start is out of range (years 1970..9000)"),
        ({"start": "0001-01-01T00:30:00+01:00"}, "start is out of range (years 1970..9000)"),
        ({"end": None, "seconds": float("nan")}, "seconds must be a whole number"),
        ({"end": None, "seconds": 10**400}, "duration over 24 h"),
        ({"employee_email": None}, "missing employee_email or employee_id"),
        ({"employee_email": "nobody"}, "employee_email is not an e-mail address"),
        ({"employee_email": None, "employee_id": {"x": 1}}, "employee_id must be a string or a number"),
        ({"task_code": "  "}, "missing task_code"),
        ({"task_code": None}, "missing task_code"),
        ({"deleted": "yes"}, "deleted must be true or false"),
        ({"evidence_url": "javascript:alert(1)"}, "evidence_url must be an http(s) URL"),
        ({"evidence_url": "https://x.example/\x00"}, "evidence_url must be an http(s) URL"),
        ({"task_code": "CRM\x00-1"}, "task_code is too long or has control characters"),
        ({"employee_email": "a\x00@b.example"}, "employee_email is not an e-mail address"),
        (
            {"employee_email": None, "employee_id": "b\x00c"},
            "employee_id is empty, too long or has control characters",
        ),
    ],
)
def test_bad_entries_are_rejected_with_a_reason(fields: dict[str, Any], reason: str) -> None:
    result = parse_entry(raw(**fields))
    assert reason_of(result) == reason
    assert isinstance(result, Rejection) and result.id == "e1"


@pytest.mark.parametrize("bad_id", [None, "", "   ", True, 1.5, "x" * 201, ["a"], "a\x00b"])
def test_an_entry_without_a_usable_id_is_rejected_without_one(bad_id: Any) -> None:
    fields = raw()
    fields["id"] = bad_id
    result = parse_entry(fields)
    assert isinstance(result, Rejection)
    assert result.id is None and result.reason.startswith("missing id")


def test_a_non_object_entry_is_rejected() -> None:
    assert reason_of(parse_entry(["e1"])) == "entry must be a JSON object"


def test_a_deletion_by_id_alone_is_a_bare_tombstone_but_full_deletions_are_validated() -> None:
    bare = parse_entry({"id": "e1", "deleted": True})
    assert bare == IntakeEntry(id="e1", deleted=True, bare_tombstone=True)
    assert reason_of(parse_entry(raw(deleted=True, end="2025-03-03T22:00:00+10:00"))) == "end before start"
    assert reason_of(parse_entry({"id": "e1"})) == "missing employee_email or employee_id"


def test_resolution_prefers_the_tracker_id_then_the_email_and_checks_the_code() -> None:
    entry = parse_entry(raw(employee_id="bc-1"))
    assert isinstance(entry, IntakeEntry)
    lookups: dict[str, Any] = {
        "employees_by_email": {"ivanov.i@crm.example": 5},
        "employees_by_tracker_id": {"bc-1": 7},
        "task_codes": {"CRM-1"},
    }
    resolved = resolve_entry(entry, **lookups)
    assert isinstance(resolved, IntakeEntry) and resolved.employee_row == 7
    by_email = resolve_entry(entry, **{**lookups, "employees_by_tracker_id": {}})
    assert isinstance(by_email, IntakeEntry) and by_email.employee_row == 5
    assert reason_of(resolve_entry(entry, **{**lookups, "task_codes": set()})) == "unknown task code CRM-1"
    nobody = resolve_entry(entry, employees_by_email={}, employees_by_tracker_id={}, task_codes={"CRM-1"})
    assert reason_of(nobody) == "unknown employee ivanov.i@crm.example"


def test_batch_items_accepts_an_object_with_entries_or_a_bare_list() -> None:
    assert batch_items({"entries": [1]}) == [1]
    assert batch_items([1, 2]) == [1, 2]
    assert isinstance(batch_items({"entries": {}}), str)
    assert isinstance(batch_items(42), str)
