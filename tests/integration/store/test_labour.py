from datetime import date

from sqlalchemy.orm import Session, sessionmaker

from connector.store.labour import (
    LabourData,
    TimeRowData,
    labour_between,
    mark_labour_written,
    replace_time_rows,
    time_rows_between,
    upsert_labour,
)

D1, D2, D3 = date(2026, 11, 23), date(2026, 11, 24), date(2026, 11, 25)
KEY = "emp1|Document_CRM_Интерес:obj1|2026-11-24|wt1"


def test_repulled_window_replaces_the_snapshot_so_deletions_are_seen(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as s:
        replace_time_rows(
            s,
            D1,
            D3,
            [
                TimeRowData("e1", "SRV-1", D1, 3600),
                TimeRowData("e1", "SRV-1", D2, 1800, evidence="https://t/shots"),
                TimeRowData("e2", "SRV-2", D3, 600),
            ],
        )
    with sessions.begin() as s:
        assert replace_time_rows(s, D2, D3, [TimeRowData("e1", "SRV-1", D2, 2400)]) == 1
    with sessions() as s:
        rows = [(r.employee, r.task_code, r.day, r.seconds) for r in time_rows_between(s, D1, D3)]
        assert rows == [("e1", "SRV-1", D1, 3600), ("e1", "SRV-1", D2, 2400)]


def test_labour_needs_writing_until_1c_confirms_the_same_minutes(sessions: sessionmaker[Session]) -> None:
    data = LabourData(KEY, "emp1", "Document_CRM_Интерес", "obj1", D2, "wt1", 45)
    with sessions.begin() as s:
        row, needs = upsert_labour(s, data)
        assert needs and row.state == "pending"
        assert mark_labour_written(s, KEY, 45, "doc1")
    with sessions.begin() as s:
        row, needs = upsert_labour(s, data)
        assert not needs and row.state == "written" and row.onec_doc_ref == "doc1"
        row, needs = upsert_labour(s, LabourData(KEY, "emp1", "Document_CRM_Интерес", "obj1", D2, "wt1", 60))
        assert needs and row.written_minutes == 45
        assert not mark_labour_written(s, "nope", 1, None)
    with sessions() as s:
        assert [(r.key, r.minutes) for r in labour_between(s, D1, D3)] == [(KEY, 60)]
