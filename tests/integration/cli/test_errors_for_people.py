"""Errors for people: with 1C or the tracker unreachable, or a wrong password, ``sync`` says so in
one line that names the system, says what happened in words, names the setting that fixes it and
quotes no percent-encoded URL; exit codes 3 (unreachable) and 2 (refused our credentials)."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from connector.store.db import make_engine, session_factory
from connector.store.models import Run, RunItem
from testbed.mock1c import MockOneC, running_mock_1c
from testbed.servers import REPO_ROOT, free_port, script


@pytest.fixture(scope="module")
def onec() -> Iterator[MockOneC]:
    with running_mock_1c() as m:
        yield m


def sync(tmp_path: Path, what: str, *extra: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ONEC_BRIDGE_")}
    base = {
        "COLUMNS": "200",
        "ONEC_BRIDGE_MAPPINGS_DIR": str(REPO_ROOT / "mappings"),
        "ONEC_BRIDGE_DATABASE_URL": f"sqlite:///{tmp_path / 'store.db'}",
        "ONEC_BRIDGE_TRACKER_API_KEY": "key",
    }
    return subprocess.run(
        [script("onec-bridge"), *extra, "sync", what],
        cwd=tmp_path,
        env={**clean, **base, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def one_line(result: subprocess.CompletedProcess[str], code: int) -> str:
    assert result.returncode == code, result.stdout + result.stderr
    out = result.stdout + result.stderr
    assert "Traceback" not in out and "%D0" not in out and "%d0" not in out
    lines = [x for x in result.stderr.splitlines() if x.strip()]
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_unreachable_1c_is_one_line_naming_the_url_setting(tmp_path: Path) -> None:
    closed = f"http://127.0.0.1:{free_port()}/crm"
    line = one_line(sync(tmp_path, "tasks", ONEC_BRIDGE_ONEC_URL=closed), 3)
    assert line.startswith("1C http://127.0.0.1:")
    assert "connection refused" in line and "ONEC_BRIDGE_ONEC_URL" in line
    engine = make_engine(f"sqlite:///{tmp_path / 'store.db'}")
    with session_factory(engine)() as s:
        assert [(r.kind, r.status) for r in s.execute(select(Run)).scalars()] == [("inbound", "failed")]
    engine.dispose()


def test_wrong_1c_password_is_one_line_naming_the_credentials(tmp_path: Path, onec: MockOneC) -> None:
    result = sync(
        tmp_path,
        "all",
        ONEC_BRIDGE_ONEC_URL=onec.base_url,
        ONEC_BRIDGE_ONEC_USER=onec.user,
        ONEC_BRIDGE_ONEC_PASSWORD="not-the-password",
    )
    line = one_line(result, 2)
    assert "401: wrong user or password" in line and "ONEC_BRIDGE_ONEC_PASSWORD" in line


def test_unreachable_tracker_stops_the_cycle_before_any_run(tmp_path: Path, onec: MockOneC) -> None:
    closed = f"http://127.0.0.1:{free_port()}/api/v1"
    result = sync(
        tmp_path,
        "all",
        ONEC_BRIDGE_ONEC_URL=onec.base_url,
        ONEC_BRIDGE_ONEC_USER=onec.user,
        ONEC_BRIDGE_ONEC_PASSWORD=onec.password,
        ONEC_BRIDGE_TRACKER_URL=closed,
    )
    line = one_line(result, 3)
    assert line.startswith("the tracker http://127.0.0.1:")
    assert "connection refused" in line and "ONEC_BRIDGE_TRACKER_URL" in line
    engine = make_engine(f"sqlite:///{tmp_path / 'store.db'}")
    with session_factory(engine)() as s:
        runs = s.execute(select(Run)).scalars().all()
        # one run recorded as failed with the reason; the rest of the cycle was not started
        assert [(r.kind, r.status, r.counters.get("failed:unreachable")) for r in runs] == [
            ("labour", "failed", 1)
        ]
        items = s.execute(select(RunItem).where(RunItem.run_id == runs[0].id)).scalars().all()
        assert [i.detail for i in items] == [line]
    engine.dispose()


def test_verbose_shows_the_full_request(tmp_path: Path) -> None:
    closed = f"http://127.0.0.1:{free_port()}/crm"
    result = sync(tmp_path, "tasks", "-v", ONEC_BRIDGE_ONEC_URL=closed)
    assert result.returncode == 3
    assert f"GET {closed}/odata/standard.odata/" in result.stderr


def test_help_documents_the_exit_codes(tmp_path: Path) -> None:
    result = subprocess.run([script("onec-bridge"), "--help"], capture_output=True, text=True, timeout=60)
    text = " ".join(result.stdout.split())
    assert "0 done" in text and "1 a run failed" in text and "2 bad input or settings" in text
    assert "3 1C or the tracker unreachable" in text


@pytest.mark.pg
def test_the_store_unreachable_or_missing_is_one_line_naming_the_database_setting(tmp_path: Path) -> None:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ONEC_BRIDGE_")}
    env = {**clean, "ONEC_BRIDGE_MAPPINGS_DIR": str(REPO_ROOT / "mappings")}
    for url, code in (
        (f"postgresql://postgres@127.0.0.1:{free_port()}/x", 3),  # nothing listens: unreachable
        ("postgresql://postgres@127.0.0.1:5432/no_such_database_here", 2),  # wrong setting
    ):
        result = subprocess.run(
            [script("onec-bridge"), "report", "plan-fact"],
            cwd=tmp_path,
            env={**env, "ONEC_BRIDGE_DATABASE_URL": url},
            capture_output=True,
            text=True,
            timeout=60,
        )
        line = one_line(result, code)
        assert line.startswith("the store: ") and "ONEC_BRIDGE_DATABASE_URL" in line


def test_a_bad_rates_file_is_refused_with_file_and_line(tmp_path: Path) -> None:
    import shutil

    mappings = tmp_path / "mappings"
    shutil.copytree(REPO_ROOT / "mappings", mappings)
    (mappings / "rates.yaml").write_text(
        "rates:\n  - work_type: d3e94583-3fd7-58ed-8220-d01477c6bfc0\n    rate: -100\n", "utf-8"
    )
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ONEC_BRIDGE_")}
    env = {
        **clean,
        "ONEC_BRIDGE_MAPPINGS_DIR": str(mappings),
        "ONEC_BRIDGE_DATABASE_URL": f"sqlite:///{tmp_path / 'store.db'}",
    }
    for argv, code in ((["validate"], 1), (["report", "billing"], 2)):
        result = subprocess.run(
            [script("onec-bridge"), *argv], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
        )
        line = one_line(result, code)
        assert line.startswith(f"{mappings / 'rates.yaml'}:3: rates[0].rate: negative"), line
