from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from mock_tracker.account import Account, EntryError, EntryNotFound, split_name, vary_case
from mock_tracker.feed import FeedTask
from mock_tracker.model import AccountState
from mock_tracker.persist import SnapshotStore

MSK = ZoneInfo("Europe/Moscow")


def item(code: str, *emails: str, status: str = "open", title: str = "Работа") -> FeedTask:
    return FeedTask.model_validate(
        {
            "code": code,
            "title": title,
            "status": status,
            "assignees": [{"email": e, "name": f"Фамилия{i} Имя{i} Отчество"} for i, e in enumerate(emails)],
        }
    )


def test_vary_case_capitalises_name_parts() -> None:
    assert vary_case("ivanov.i@crm.example") == "Ivanov.I@crm.example"
    assert vary_case("Petrov@crm.example") != "Petrov@crm.example"
    assert vary_case("Petrov@crm.example").lower() == "petrov@crm.example"


def test_split_name_reads_1c_style_full_names() -> None:
    assert split_name("Иванов Иван Иванович", "x@y") == ("Иван Иванович", "Иванов")
    assert split_name("", "ivanov@y") == ("ivanov", "")


def test_fresh_account_has_two_or_three_outsiders_and_one_has_left() -> None:
    for seed in range(10):
        state = Account(seed, MSK).state
        outsiders = [e for e in state.employees.values() if not e.from_feed]
        assert 2 <= len(outsiders) <= 3
        assert sum(not e.active for e in outsiders) == 1


def test_feed_assignees_become_employees_about_one_in_six_in_other_case() -> None:
    account = Account(42, MSK)
    emails = [f"user{i}.x@crm.example" for i in range(30)]
    counts = account.apply_feed([item(f"CRM-{i}", e) for i, e in enumerate(emails)], etag='"v1"')
    assert counts["employees_created"] == 30 and counts["tasks_created"] == 30
    stored = {e.email for e in account.state.employees.values() if e.from_feed}
    assert {s.lower() for s in stored} == set(emails)
    varied = [s for s in stored if s not in emails]
    assert len(varied) == 5
    assert account.state.feed_etag == '"v1"'


def test_small_feed_still_gets_a_case_variation() -> None:
    for seed in range(6):
        account = Account(seed, MSK)
        emails = ["a@x.example", "b@x.example", "c@x.example"]
        account.apply_feed([item("T-1", *emails)], None)
        assert any(e.email not in emails for e in account.state.employees.values() if e.from_feed)


def test_reimport_updates_tasks_and_matches_employees_case_insensitively() -> None:
    account = Account(42, MSK)
    account.apply_feed([item("CRM-1", "a@x.example", "b@x.example")], None)
    counts = account.apply_feed([item("CRM-1", "A@X.example", status="closed", title="Новое")], None)
    assert counts == {"tasks_created": 0, "tasks_updated": 1, "employees_created": 0, "assignees_skipped": 0}
    task = account.state.task_by_code("CRM-1")
    assert task is not None
    assert task.name == "[CRM-1] Новое" and not task.active
    assert task.employee_ids == [account.state.employee_by_email("a@x.example").id]  # type: ignore[union-attr]
    again = account.apply_feed([item("CRM-1", "a@x.example", status="closed", title="Новое")], None)
    assert again["tasks_updated"] == 0


def test_bad_assignee_emails_are_skipped_not_fatal() -> None:
    account = Account(42, MSK)
    counts = account.apply_feed([item("CRM-1", "not-an-email", "ok@x.example")], None)
    assert counts["assignees_skipped"] == 1 and counts["tasks_created"] == 1


def _account_with_task() -> Account:
    account = Account(42, MSK)
    account.apply_feed([item("CRM-1", "a@x.example"), item("CRM-2", "a@x.example")], None)
    return account


def test_entries_are_validated_with_reasons() -> None:
    account = _account_with_task()
    t0 = datetime(2026, 3, 2, 10, tzinfo=MSK)
    with pytest.raises(EntryError, match="unknown employee"):
        account.add_entry("nobody@x.example", "CRM-1", t0, t0 + timedelta(hours=1))
    with pytest.raises(EntryError, match="unknown task"):
        account.add_entry("a@x.example", "NOPE", t0, t0 + timedelta(hours=1))
    with pytest.raises(EntryError, match="after start"):
        account.add_entry("a@x.example", "CRM-1", t0, t0)
    with pytest.raises(EntryError, match="24 hours"):
        account.add_entry("a@x.example", "CRM-1", t0, t0 + timedelta(hours=25))
    with pytest.raises(EntryError, match="UTC offset"):
        account.add_entry("a@x.example", "CRM-1", t0.replace(tzinfo=None), t0 + timedelta(hours=1))
    entry = account.add_entry("A@X.EXAMPLE", "CRM-1", t0, t0 + timedelta(minutes=30))
    assert entry.seconds == 1800 and entry.start.tzinfo is UTC
    moved = account.update_entry(entry.id, {"task_code": "CRM-2", "end": t0 + timedelta(minutes=45)})
    assert moved.seconds == 2700 and account.state.tasks[moved.task_id].code == "CRM-2"
    account.delete_entry(entry.id)
    with pytest.raises(EntryNotFound):
        account.delete_entry(entry.id)


def test_simulating_a_period_again_replaces_its_simulated_entries_and_keeps_manual_ones() -> None:
    account = _account_with_task()
    t0 = datetime(2026, 3, 2, 10, tzinfo=MSK)
    manual = account.add_entry("a@x.example", "CRM-1", t0, t0 + timedelta(minutes=30))
    first = account.simulate(date(2026, 3, 2), 14)
    spans = sorted((e.start, e.end) for e in account.state.entries.values() if e.sim_day)
    second = account.simulate(date(2026, 3, 2), 14)
    assert first == second and first["entries"] > 0
    assert sorted((e.start, e.end) for e in account.state.entries.values() if e.sim_day) == spans
    assert manual.id in account.state.entries
    with pytest.raises(EntryError):
        account.simulate(date(2026, 3, 2), 0)


def test_state_survives_a_restart_through_the_snapshot(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'mt.db'}"
    account = Account(42, MSK, SnapshotStore(url))
    account.apply_feed([item("CRM-1", "a@x.example")], '"e1"')
    account.simulate(date(2026, 3, 2), 7)
    before = account.state.to_dict()
    reopened = Account(42, MSK, SnapshotStore(url))
    assert reopened.state.to_dict() == before
    assert AccountState.from_dict(before).to_dict() == before


def test_work_shares_option_is_checked_and_parsed() -> None:
    import pytest

    from mock_tracker.cli import parse_shares

    expected = {"SALES-COMMERCIAL": 60.0, "SALES-BREAK": 12.5}
    assert parse_shares("SALES-COMMERCIAL=60, SALES-BREAK=12.5") == expected
    assert parse_shares("") == {}
    for bad in ("SALES-ADMIN", "=5", "SALES-ADMIN=-1", "SALES-ADMIN=lots"):
        with pytest.raises(ValueError, match="--work-shares"):
            parse_shares(bad)
