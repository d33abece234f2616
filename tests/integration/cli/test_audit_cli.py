"""Audit of CLI commands the other tests do not run: ``report`` (bad parameters, CSV), ``failures
list|retry``, ``sync tasks --dry-run`` against the mock 1C, and ``serve`` refusing one token used
as both the admin and the feed token beyond loopback."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from sqlalchemy import func, select

from connector.store.db import make_engine, session_factory
from connector.store.models import Link
from testbed.servers import REPO_ROOT, script
from tests.support.mock1c import running_mock_1c


def run(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ONEC_BRIDGE_")}
    return subprocess.run(
        [script("onec-bridge"), *args],
        cwd=cwd,
        env={**clean, "COLUMNS": "200", "ONEC_BRIDGE_MAPPINGS_DIR": str(REPO_ROOT / "mappings"), **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def one_line_error(result: subprocess.CompletedProcess[str], code: int) -> str:
    assert result.returncode == code, result.stdout + result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert result.stderr.strip() and result.stderr.strip().count("\n") == 0, result.stderr
    return result.stderr.strip()


def test_report_refuses_bad_parameters_with_one_line(tmp_path: Path) -> None:
    backwards = run("report", "timesheet", "--from", "2026-03-10", "--to", "2026-03-01", cwd=tmp_path)
    assert "from" in one_line_error(backwards, 2)
    unknown = run("report", "nope", cwd=tmp_path)
    message = one_line_error(unknown, 2)
    assert "plan-fact" in message and "timesheet" in message


def test_report_csv_and_failures_on_an_empty_store(tmp_path: Path) -> None:
    csv = run("report", "sales", "--format", "csv", cwd=tmp_path)
    assert csv.returncode == 0, csv.stderr
    listed = run("failures", "list", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    retried = run("failures", "retry", "outbox:999999", cwd=tmp_path)
    one_line_error(retried, 1)


def test_serve_refuses_the_admin_token_reused_as_the_feed_token(tmp_path: Path) -> None:
    result = run(
        "serve",
        "--host",
        "0.0.0.0",
        cwd=tmp_path,
        ONEC_BRIDGE_ADMIN_TOKEN="same-long-token",
        ONEC_BRIDGE_TRACKER_FEED_TOKEN="same-long-token",
        ONEC_BRIDGE_WEBHOOK_SECRET="webhook-secret",
    )
    message = one_line_error(result, 2)
    assert "ONEC_BRIDGE_ADMIN_TOKEN" in message and "ONEC_BRIDGE_TRACKER_FEED_TOKEN" in message


def test_sync_tasks_dry_run_reads_1c_and_writes_no_task(tmp_path: Path) -> None:
    store = f"sqlite:///{tmp_path / 'store.db'}"
    with running_mock_1c() as onec:
        env = {
            "ONEC_BRIDGE_DATABASE_URL": store,
            "ONEC_BRIDGE_ONEC_URL": onec.base_url,
            "ONEC_BRIDGE_ONEC_USER": onec.user,
            "ONEC_BRIDGE_ONEC_PASSWORD": onec.password,
        }
        dry = run("sync", "tasks", "--dry-run", cwd=tmp_path, **env)
        assert dry.returncode == 0, dry.stdout + dry.stderr
        assert onec.stats()["total"] > 0, "the dry run read 1C"
    assert "created" in dry.stdout
    engine = make_engine(store)
    try:
        with session_factory(engine)() as s:
            assert s.execute(select(func.count()).select_from(Link)).scalar_one() == 0
    finally:
        engine.dispose()
