"""Two ``serve`` replicas on one PostgreSQL: every scheduled sync job runs once, not twice."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import requests
from sqlalchemy import func, select

from connector.store.db import make_engine, session_factory
from connector.store.models import Run
from testbed.mocktracker import running_mock_tracker
from testbed.servers import REPO_ROOT
from testbed.service import running_service, service_env
from tests.integration.service.test_serve import eventually
from tests.support.mock1c import running_mock_1c

SYNC_JOBS = ("inbound:service:scan", "inbound:projects:scan", "labour")


def slow_mappings(tmp: Path) -> Path:
    """The shipped mappings with hour-long schedules, so only the start-up firing happens in a test."""
    target = tmp / "mappings"
    shutil.copytree(REPO_ROOT / "mappings", target)
    for path in target.glob("*.yaml"):
        text = re.sub(r"interval: \w+", "interval: 1h", path.read_text("utf-8"))
        path.write_text(re.sub(r'cron: "[^"]*"', 'cron: "0 3 * * *"', text), "utf-8")
    return target


def job_outcomes(url: str, job: str) -> dict[str, float]:
    text = requests.get(f"{url}/metrics", timeout=10).text
    pattern = rf'onec_bridge_jobs_total\{{job="{re.escape(job)}",outcome="(\w+)"\}} ([0-9.]+)'
    return {m[1]: float(m[2]) for m in re.finditer(pattern, text)}


def test_two_replicas_run_each_scheduled_job_once(pg_url: str, tmp_path: Path) -> None:
    mappings = slow_mappings(tmp_path)
    with running_mock_1c() as onec, running_mock_tracker() as tracker:
        env = service_env(pg_url, onec.base_url, onec.password, tracker.api_url, tracker.api_key, mappings)
        with running_service(env, cwd=tmp_path) as a, running_service(env, cwd=tmp_path) as b:
            for job in SYNC_JOBS:
                eventually(
                    lambda job=job: job_outcomes(a.url, job) and job_outcomes(b.url, job),
                    f"both replicas fired {job}",
                    timeout=90,
                )
                outcomes = [job_outcomes(a.url, job), job_outcomes(b.url, job)]
                executed = sum(o.get("ran", 0) + o.get("failed", 0) for o in outcomes)  # failed: engine's
                skipped = sum(o.get("locked", 0) + o.get("recent", 0) for o in outcomes)
                assert (executed, skipped) == (1, 1), (job, outcomes)
            engine = make_engine(pg_url)
            try:
                with session_factory(engine)() as s:
                    rows = s.execute(
                        select(Run.kind, Run.mapping, Run.trigger, func.count()).group_by(
                            Run.kind, Run.mapping, Run.trigger
                        )
                    ).all()
            finally:
                engine.dispose()
    counts = {(kind, mapping, trigger): n for kind, mapping, trigger, n in rows}
    assert counts[("inbound", "service", "scan")] == 1
    assert counts[("inbound", "projects", "scan")] == 1
    assert counts[("labour", None, "schedule")] == 1
