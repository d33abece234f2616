"""``onec-bridge demo --no-wait`` runs the whole loop from a clean directory and its summary adds up."""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from testbed.servers import REPO_ROOT, script


@dataclass(frozen=True)
class DemoRun:
    result: subprocess.CompletedProcess[str]
    cwd: Path
    data: Path


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> DemoRun:
    """One ``onec-bridge demo --no-wait`` from a clean directory; its store is kept for the reports."""
    cwd = tmp_path_factory.mktemp("demo-run")
    result = subprocess.run(
        [script("onec-bridge"), "demo", "--no-wait", "--data-dir", str(cwd / "demo")],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=240,
        env={"PATH": "/usr/bin:/bin", "COLUMNS": "120"},
    )
    return DemoRun(result, cwd, cwd / "demo")


@pytest.mark.slow
def test_demo_runs_non_interactively_and_its_summary_matches_the_mocks(demo_run: DemoRun) -> None:
    result, tmp_path = demo_run.result, demo_run.cwd
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
    assert max(len(line) for line in table.splitlines()) <= 80  # fits an 80-column terminal
    assert (tmp_path / "demo" / "connector.db").exists()


def test_reports_for_people_fit_the_terminal_over_the_demos_store(demo_run: DemoRun) -> None:
    """``report`` over a real store (the demo's): human titles, no line over the width, no text
    cell cut below 8 characters, hours in the locale — at 80 and 200 columns and in a pipe."""
    demo, data, tmp_path = demo_run.result, demo_run.data, demo_run.cwd
    assert demo.returncode == 0, demo.stderr[-2000:]
    env = {
        "PATH": "/usr/bin:/bin",
        "ONEC_BRIDGE_DATABASE_URL": f"sqlite:///{data / 'connector.db'}",
        "ONEC_BRIDGE_MAPPINGS_DIR": str(REPO_ROOT / "mappings"),
    }
    for columns, width in (("80", 80), ("200", 200), (None, 120)):
        run_env = {**env, **({"COLUMNS": columns} if columns else {})}
        for lang, header in (("ru", ["Код", "Задача", "План,", "ч"]), ("en", ["Code", "Task", "Plan", "h"])):
            result = subprocess.run(
                [script("onec-bridge"), "report", "plan-fact", "--lang", lang],
                cwd=tmp_path,
                capture_output=True,
                text=True,
                timeout=120,
                env=run_env,
            )
            assert result.returncode == 0, result.stderr
            lines = result.stdout.splitlines()
            assert lines[0].split()[:4] == header
            assert all(len(line) <= width for line in lines), (width, max(map(len, lines)))
            assert "planned_minutes" not in result.stdout and "actual_hours" not in result.stdout
            body = [line for line in lines[2:] if line.startswith(("PRJ-", "SRV-"))]
            assert body
            for line in body:
                title = line.split("  ", 1)[1].lstrip().split("  ")[0]
                assert len(title) >= 8, line
            assert ("▲" in result.stdout) and ("," in lines[2] if lang == "ru" else "." in lines[2])

    # billing over the same store: priced at the shipped rates file, totals add up
    billing = subprocess.run(
        [
            script("onec-bridge"),
            "report",
            "billing",
            "--from",
            "2000-01-01",
            "--to",
            "2100-01-01",
            "--format",
            "json",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert billing.returncode == 0, billing.stderr
    rows = json.loads(billing.stdout)
    lines = [r for r in rows if r["level"] == "line"]
    totals = [r for r in rows if r["level"] == "total"]
    assert lines and totals
    consult = [r for r in lines if r["rate"] is not None]
    assert consult and all(r["rate"] in (2500.0, 2800.0) for r in consult)
    assert all(abs(r["amount"] - round(r["minutes"] / 60 * r["rate"], 2)) < 0.006 for r in consult)
    for total in totals:
        mine = [r for r in lines if r["customer"] == total["customer"]]
        assert total["minutes"] == sum(r["minutes"] for r in mine)
        assert abs(total["amount"] - sum(r["amount"] or 0 for r in mine)) < 0.01


@pytest.mark.chaos_long  # two more whole demos (~15 s each): behind `make chaos`, which CI runs too
@pytest.mark.parametrize("kind", ["kimai", "clockify"])
def test_demo_with_a_tracker_that_takes_tasks(kind: str, tmp_path: Path) -> None:
    """``demo --tracker kimai|clockify``: the push gives the tracker every task and the labour of
    the simulated week reaches 1C, the same as with the Bitcop account for the same seeds."""
    result = subprocess.run(
        [script("onec-bridge"), "demo", "--no-wait", "--tracker", kind, "--data-dir", str(tmp_path / "d")],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=240,
        env={"PATH": "/usr/bin:/bin", "COLUMNS": "120"},
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert f"{kind}: " in result.stdout and "the push created" in result.stdout
    summary = json.loads(next(x for x in result.stdout.splitlines() if x.startswith("summary: "))[9:])
    assert sum(summary["tasks"].values()) == summary["tracker_imported_items"]
    assert summary["labour_minutes"] > 0 and summary["employees_with_labour"] > 0
