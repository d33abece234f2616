"""``onec-bridge demo --no-wait`` runs the whole loop from a clean directory and its summary adds up."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from testbed.servers import script


@pytest.mark.slow
def test_demo_runs_non_interactively_and_its_summary_matches_the_mocks(tmp_path: Path) -> None:
    result = subprocess.run(
        [script("onec-bridge"), "demo", "--no-wait", "--data-dir", str(tmp_path / "demo")],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=240,
        env={"PATH": "/usr/bin:/bin", "COLUMNS": "120"},
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "Traceback" not in result.stdout + result.stderr
    line = next(x for x in result.stdout.splitlines() if x.startswith("summary: "))
    summary = json.loads(line.removeprefix("summary: "))
    tasks = summary["tasks"]
    assert set(tasks) == {"service", "project", "sales"}
    assert tasks["service"] >= 3  # at least the three e-mails registered by the demo
    assert sum(tasks.values()) == summary["tracker_imported_items"]  # the tracker imported every task
    assert summary["labour_minutes"] > 0 and summary["employees_with_labour"] > 0
    assert "alert" in result.stdout  # the plan-fact table lists overruns
    # …as the exception: the simulated work follows the plan, about one task in six runs over
    assert 0 < summary["overruns"] < summary["planned_tasks_with_labour"] / 3
    table = result.stdout[result.stdout.index("Plan-fact") : result.stdout.index("summary: ")]
    rows = [line.split("│") for line in table.splitlines() if line.startswith("│")]
    assert rows and all(not cells[2].strip().startswith("[") for cells in rows)  # no code in the title
    assert (tmp_path / "demo" / "connector.db").exists()
