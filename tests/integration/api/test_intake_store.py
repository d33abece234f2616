"""The pushed-entries store: window reads for the outbound engine, and concurrent replays."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
import requests
from sqlalchemy.orm import Session, sessionmaker

from connector.store.entries import EntryValues, entries_in_window, upsert_entries
from testbed.connector_app import running_connector
from tests.integration.api.feed_helpers import put_employee, put_task


@pytest.fixture
def sessions(sessions: sessionmaker[Session]) -> sessionmaker[Session]:
    """The shared migrated store, with one tracker employee in it."""
    put_employee(sessions, 1, "ivanov.i@crm.example", "Иванов", "bc-1")
    return sessions


def at(hour: int, minute: int = 0, day: int = 3) -> datetime:
    return datetime(2025, 3, day, hour, minute, tzinfo=UTC)


def values(entry_id: str, start: datetime, end: datetime, **kw: object) -> EntryValues:
    return EntryValues(
        entry_id=entry_id,
        employee_id=1,
        employee_email="ivanov.i@crm.example",
        tracker_employee_id=None,
        task_code="CRM-1",
        start_at=start,
        end_at=end,
        seconds=int((end - start).total_seconds()),
        **kw,  # type: ignore[arg-type]
    )


def test_window_holds_overlapping_entries_only(sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        upsert_entries(
            session,
            [
                values("ends-at-begin", at(8), at(10)),
                values("crosses-begin", at(9), at(11)),
                values("inside", at(12), at(13)),
                values("zero-inside", at(14), at(14)),
                values("crosses-end", at(23), at(1, day=4)),
                values("starts-at-end", at(0, day=4), at(1, day=4)),
                values("day-before-long", at(12, day=2), at(11, day=3)),
                values("deleted-inside", at(15), at(16), deleted=True),
            ],
        )
        session.commit()
    with sessions() as session:
        window = entries_in_window(session, at(10), at(0, day=4))
        with_deleted = entries_in_window(session, at(10), at(0, day=4), include_deleted=True)
    assert [e.entry_id for e in window] == [
        "day-before-long",
        "crosses-begin",
        "inside",
        "zero-inside",
        "crosses-end",
    ]
    assert window[0].onec_employee_ref == "00000000-0000-0000-0000-000000008001"
    assert "deleted-inside" in {e.entry_id for e in with_deleted}
    with pytest.raises(ValueError, match="aware"):
        with sessions() as session:
            entries_in_window(session, datetime(2025, 3, 3), at(12))


def test_concurrent_posts_of_the_same_new_batch_store_each_entry_once(store_url: str) -> None:
    with running_connector(store_url) as app:
        put_employee(app.runtime.sessions, 1, "ivanov.i@crm.example", "Иванов", "bc-1")
        put_task(app.runtime.sessions, 1, "CRM-1")
        batch = [
            {
                "id": f"e{i}",
                "employee_id": "bc-1",
                "task_code": "CRM-1",
                "start": f"2025-03-03T{i % 24:02d}:00:00Z",
                "seconds": 60,
            }
            for i in range(40)
        ]
        answers: list[requests.Response] = []
        lock = threading.Lock()

        def send() -> None:
            resp = requests.post(
                app.url + "/tracker/v1/time-entries", json=batch, headers=app.feed_headers, timeout=60
            )
            with lock:
                answers.append(resp)

        threads = [threading.Thread(target=send) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(90)
        assert [r.status_code for r in answers] == [202] * 4, [r.text[:200] for r in answers]
        accepted = sum(r.json()["accepted"] for r in answers)
        unchanged = sum(r.json()["unchanged"] for r in answers)
        assert (accepted, unchanged) == (40, 120)
        with app.runtime.sessions() as session:
            stored = entries_in_window(
                session, datetime(2025, 3, 1, tzinfo=UTC), datetime(2025, 3, 5, tzinfo=UTC)
            )
        assert sorted(e.entry_id for e in stored) == sorted(f"e{i}" for i in range(40))
