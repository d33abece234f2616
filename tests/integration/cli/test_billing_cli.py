"""``onec-bridge billing``: bad input answers in one line with what to give instead (exit 2)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from testbed.servers import REPO_ROOT, script


def cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ONEC_BRIDGE_")}
    env = {
        **clean,
        "ONEC_BRIDGE_DATABASE_URL": f"sqlite:///{tmp_path / 'store.db'}",
        "ONEC_BRIDGE_MAPPINGS_DIR": str(REPO_ROOT / "mappings"),
    }
    subprocess.run(
        [script("onec-bridge"), "db", "upgrade"], env=env, cwd=tmp_path, check=True, capture_output=True
    )
    return subprocess.run(
        [script("onec-bridge"), "billing", *args],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_an_unknown_customer_is_named_with_what_to_give(tmp_path: Path) -> None:
    done = cli(tmp_path, "close", "ООО Нет Такого", "--to", "2026-03-31")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.strip() == (
        "no customer 'ООО Нет Такого' with labour; give its 1C ref or one of: none with labour yet"
    )


def test_a_bad_date_is_refused_before_anything_is_read(tmp_path: Path) -> None:
    done = cli(tmp_path, "close", "ООО Ромашка", "--to", "31.03.2026")
    assert done.returncode == 2 and "--to" in done.stderr and "Traceback" not in done.stderr


def test_periods_of_an_empty_store_is_an_empty_list(tmp_path: Path) -> None:
    done = cli(tmp_path, "periods")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "billed periods: nothing to show"
