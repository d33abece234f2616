"""RunRecorder: counters per outcome and reason, capped item rows, dry run writes nothing."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from connector.store.db import make_engine, session_factory
from connector.store.migrate import upgrade
from connector.store.models import Run, RunItem
from connector.sync.runs import RunRecorder


def test_counts_outcomes_and_reasons_and_keeps_only_noteworthy_items_up_to_the_cap() -> None:
    rec = RunRecorder("inbound", "manual", "service", max_items=2)
    rec.note("a", "unchanged", "same_content")
    rec.note("b", "created", "new_object", "SRV-1")
    rec.note("c", "skipped", "template_error", "x" * 5000)
    rec.note("d", "skipped", "filtered_out")
    rec.count("detected", 4)
    assert rec.summary() == {
        "created": 1,
        "created:new_object": 1,
        "detected": 4,
        "items_not_kept": 1,
        "skipped": 2,
        "skipped:filtered_out": 1,
        "skipped:template_error": 1,
        "unchanged": 1,
        "unchanged:same_content": 1,
    }
    assert [(n.ref, n.outcome) for n in rec.notes] == [("b", "created"), ("c", "skipped")]
    assert rec.notes[1].detail is not None and len(rec.notes[1].detail) == 2000


def test_flush_writes_items_and_counters_with_the_callers_transaction(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    upgrade(url)
    engine = make_engine(url)
    sessions = session_factory(engine)
    try:
        rec = RunRecorder("inbound", "schedule", "service")
        with sessions() as session:
            rec.start(session)
            rec.note("b", "created", "new_object", "SRV-1")
            rec.flush(session)
            session.rollback()  # the caller's transaction failed: nothing of it is kept
        with sessions() as session:
            assert session.execute(select(RunItem)).first() is None
            rec.start(session)
            rec.flush(session)
            rec.note("c", "skipped", "not_found")
            rec.flush(session, "partial")
            session.commit()
        with sessions() as session:
            run = session.execute(select(Run)).scalar_one()
            assert run.status == "partial" and run.finished_at is not None
            assert run.counters["skipped:not_found"] == 1
            items = session.execute(select(RunItem.ref, RunItem.reason)).all()
            assert [tuple(i) for i in items] == [("c", "not_found")]
    finally:
        engine.dispose()


def test_dry_run_only_tallies() -> None:
    rec = RunRecorder("inbound", "manual", dry_run=True)
    rec.note("a", "created", "new_object")
    assert rec.start(None) is None  # type: ignore[arg-type]
    rec.flush(None, "ok")  # type: ignore[arg-type]
    assert rec.run_id is None and rec.summary() == {"created": 1, "created:new_object": 1}
