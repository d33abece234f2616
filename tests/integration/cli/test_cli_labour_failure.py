"""``onec-bridge sync labour`` while 1C refuses every session: exit 1 with one line saying why,
no traceback, and the run recorded as failed (not left ``running``). The tracker answers (an
unreachable tracker stops the command before any run; see test_errors_for_people)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine, select

from connector.store.models import Run
from testbed.mocktracker import running_mock_tracker
from tests.integration.cli.test_cli import EXAMPLES, run
from tests.support.mock1c import running_mock_1c


def test_sync_labour_with_no_free_1c_session_fails_in_one_line_and_records_the_run(tmp_path: Path) -> None:
    store = f"sqlite:///{tmp_path / 'store.db'}"
    with running_mock_1c(max_sessions=0) as onec, running_mock_tracker() as tracker:
        result = run(
            "sync",
            "labour",
            cwd=tmp_path,
            ONEC_BRIDGE_DATABASE_URL=store,
            ONEC_BRIDGE_MAPPINGS_DIR=str(EXAMPLES),
            ONEC_BRIDGE_ONEC_URL=onec.base_url,
            ONEC_BRIDGE_ONEC_USER=onec.user,
            ONEC_BRIDGE_ONEC_PASSWORD=onec.password,
            ONEC_BRIDGE_ONEC_DEADLINE="1",
            ONEC_BRIDGE_TRACKER_URL=tracker.api_url,
            ONEC_BRIDGE_TRACKER_API_KEY=tracker.api_key,
        )
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout
    assert "labour run 1 failed: 1C session pool is full" in result.stderr.splitlines()[-1]
    engine = create_engine(store)
    try:
        with engine.connect() as conn:
            runs = conn.execute(select(Run.kind, Run.status, Run.counters)).all()
    finally:
        engine.dispose()
    assert [(k, s) for k, s, _ in runs] == [("labour", "failed")]
    assert runs[0][2]["failed:Retriable"] == 1
