"""The bench scripts stay runnable: each imports cleanly, has a guarded ``main``, and ours pass a smoke run.

``make bench`` is not part of ``make test``, so without this a renamed function or a changed
signature would only show up when someone runs the benchmarks. The full benches are minutes long;
here every script is imported (nothing runs: ``main`` is behind ``__name__ == "__main__"``) and
the two self-contained ones of this suite run their ``--smoke`` mode over real HTTP.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from testbed.servers import REPO_ROOT

BENCH = REPO_ROOT / "bench"
SCRIPTS = sorted(BENCH.glob("*.py"))


def run_script(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], cwd=REPO_ROOT, capture_output=True, text=True, timeout=timeout
    )


def last_json(stdout: str) -> dict[str, Any]:
    lines = [line for line in stdout.strip().splitlines() if line.strip()]
    assert lines, "the bench printed nothing"
    figures = json.loads(lines[-1])
    assert isinstance(figures, dict)
    return figures


def test_the_suite_has_every_bench() -> None:
    names = {p.stem for p in SCRIPTS}
    assert {
        "mock_1c_read",
        "onec_read",
        "inbound_sync",
        "labour_delivery",
        "webhook_intake",
        "memory_scale",
    } <= names


@pytest.mark.parametrize("path", SCRIPTS, ids=lambda p: p.name)
def test_bench_imports_and_guards_main(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    assert ast.get_docstring(tree), f"{path.name} needs a docstring saying what it measures"
    guards = [
        node
        for node in tree.body
        if isinstance(node, ast.If)
        and "__main__" in ast.unparse(node.test)
        and "__name__" in ast.unparse(node.test)
    ]
    assert guards, f"{path.name} must run only under `if __name__ == '__main__'`"
    monkeypatch.setattr(sys, "argv", [str(path)])
    monkeypatch.setattr(sys, "path", list(sys.path))
    spec = importlib.util.spec_from_file_location(f"bench_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)
    spec.loader.exec_module(module)
    assert callable(getattr(module, "main", None)), f"{path.name} has no main()"


@pytest.mark.parametrize("name", ["webhook_intake.py", "memory_scale.py", "labour_delivery.py"])
def test_help_describes_the_options(name: str) -> None:
    done = run_script(str(BENCH / name), "--help", timeout=60)
    assert done.returncode == 0, done.stderr
    assert "usage:" in done.stdout and "--" in done.stdout


def test_bad_options_are_a_usage_error_not_a_traceback() -> None:
    for args in (("webhook_intake.py", "--duplicates", "2"), ("memory_scale.py", "--scales", "huge")):
        done = run_script(str(BENCH / args[0]), *args[1:], timeout=60)
        assert done.returncode == 2, done.stderr
        assert "Traceback" not in done.stderr and "error:" in done.stderr


def test_webhook_intake_smoke_measures_both_servers() -> None:
    done = run_script(str(BENCH / "webhook_intake.py"), "--smoke")
    assert done.returncode == 0, done.stdout + done.stderr
    figures = last_json(done.stdout)
    assert figures["bench"] == "webhook_intake" and figures["requests"] == 60
    for key in ("connector_rps", "bare_rps", "connector_p99_ms", "bare_p99_ms"):
        assert figures[key] > 0, key
    assert figures["connector_p50_ms"] <= figures["connector_p99_ms"]
    assert figures["ratio"] == pytest.approx(figures["connector_p99_ms"] / figures["bare_p99_ms"], rel=0.05)


def test_memory_scale_smoke_measures_the_connector_child() -> None:
    done = run_script(str(BENCH / "memory_scale.py"), "--smoke")
    assert done.returncode == 0, done.stdout + done.stderr
    figures = last_json(done.stdout)
    assert figures["links_small"] > 0, "the sync wrote no task links: nothing was measured"
    assert figures["rss_mb_small"] > figures["imports_rss_mb"] > 10
    assert figures["flat_ratio"] == 1.0


def test_console_pages_smoke_measures_pages_against_the_json_api() -> None:
    done = run_script(
        str(BENCH / "console_pages.py"),
        "--links",
        "20",
        "--employees",
        "2",
        "--days",
        "3",
        "--repeat",
        "1",
        timeout=180,
    )
    assert done.returncode == 0, done.stderr
    figures = last_json(done.stdout)
    assert set(figures["pages"]) == {"plan-fact", "timesheet", "output", "early-warning", "billing"}
    assert all(f["page_p95_ms"] > 0 and f["api_p95_ms"] > 0 for f in figures["pages"].values())
    assert figures["ratio"] == max(f["ratio"] for f in figures["pages"].values())
    bad = run_script(str(BENCH / "console_pages.py"), "--repeat", "0", timeout=60)
    assert bad.returncode == 2 and "at least 1" in bad.stderr and "Traceback" not in bad.stderr


def test_tracker_push_smoke_checks_budgets_and_truth_for_both_kinds() -> None:
    done = run_script(
        str(BENCH / "tracker_push.py"), "--tasks", "50", "--employees", "10", "--days", "3", "--repeat", "1"
    )
    assert done.returncode == 0, done.stdout + done.stderr
    figures = last_json(done.stdout)
    for kind in ("kimai", "clockify"):
        f = figures[kind]
        assert f["created"] >= f["tasks"] and f["failed"] == 0
        assert f["requests_per_created"] <= 2.0 and f["nochange_writes"] == 0
        assert f["truth_equal"] is True and f["pull_requests"] <= f["pull_pages_bound"] + 2
