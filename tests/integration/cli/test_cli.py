"""The installed ``onec-bridge`` console script, run as operators run it (a subprocess)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

from connector.store.migrate import current_revision, head_revision
from testbed.servers import REPO_ROOT, script

EXAMPLES = REPO_ROOT / "mappings"


def run(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ONEC_BRIDGE_")}
    return subprocess.run(
        [script("onec-bridge"), *args],
        cwd=cwd,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_validate_accepts_the_shipped_examples(tmp_path: Path) -> None:
    result = run("validate", str(EXAMPLES), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "3 mapping file(s) valid against the built-in 1C:CRM model" in result.stdout


def test_validate_reports_problems_with_file_and_line_and_exits_1(tmp_path: Path) -> None:
    bad = tmp_path / "mappings"
    shutil.copytree(EXAMPLES, bad)
    path = bad / "service.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("unit_minutes: 15", "unit_minutes: 0"), "utf-8")
    result = run("validate", cwd=tmp_path)  # default directory: ./mappings
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().startswith("mappings/service.yaml:")
    assert "labour.rounding.unit_minutes: Input should be greater than 0" in result.stderr


def test_schema_is_printed_as_json(tmp_path: Path) -> None:
    result = run("validate", "--schema", cwd=tmp_path)
    assert result.returncode == 0
    assert json.loads(result.stdout)["title"] == "onec-bridge mapping file"


def test_bad_setting_names_the_variable_and_exits_2(tmp_path: Path) -> None:
    result = run("validate", str(EXAMPLES), cwd=tmp_path, ONEC_BRIDGE_TIMEZONE="Mars/Olympus")
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "ONEC_BRIDGE_TIMEZONE: unknown time zone 'Mars/Olympus'; use an IANA name such as Europe/Moscow"
    )


def test_unsupported_database_url_exits_2(tmp_path: Path) -> None:
    result = run("db", "upgrade", cwd=tmp_path, ONEC_BRIDGE_DATABASE_URL="mysql://u@h/db")
    assert result.returncode == 2
    assert result.stderr.startswith("ONEC_BRIDGE_DATABASE_URL uses 'mysql'")


def test_db_upgrade_creates_the_default_sqlite_file_in_the_working_directory(tmp_path: Path) -> None:
    result = run("db", "upgrade", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "onec_bridge.db").exists()
    assert current_revision(f"sqlite:///{tmp_path / 'onec_bridge.db'}") == head_revision()


def test_db_upgrade_on_postgresql_with_a_libpq_url(pg_url: str, tmp_path: Path) -> None:
    plain = pg_url.replace("postgresql+psycopg://", "postgresql://")
    result = run("db", "upgrade", cwd=tmp_path, ONEC_BRIDGE_DATABASE_URL=plain)
    assert result.returncode == 0, result.stderr
    assert f"database at revision {head_revision()}" in result.stdout
    assert current_revision(pg_url) == head_revision()


def test_unreachable_1c_is_one_line_not_a_traceback(tmp_path: Path) -> None:
    env = {"ONEC_BRIDGE_ONEC_URL": "http://127.0.0.1:9/crm", "ONEC_BRIDGE_ONEC_DEADLINE": "1"}
    result = run("validate", str(EXAMPLES), "--online", cwd=tmp_path, **env)
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]  # earlier lines: the client's retry warnings
    assert last.startswith("cannot read $metadata from ONEC_BRIDGE_ONEC_URL=http://127.0.0.1:9/crm: ")
    assert "Traceback" not in result.stderr
