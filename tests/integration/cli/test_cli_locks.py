"""Manual inbound runs (``sync tasks``, ``resync``) and the service's jobs exclude each other.

The CLI takes every job lock under which ``serve`` may process the same mapping (its scheduled
detections, the inbox worker, the reconciliation sweep): while one of them is held elsewhere the
command waits (``--lock-wait``) and then gives up with one line, having read and written nothing;
while the CLI holds them, the scheduler skips those jobs as ``locked``. On SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select

from connector.runtime import Runtime
from connector.scheduler import build_jobs, run_job
from connector.store.locks import job_lock
from connector.store.models import Link, Run
from connector.sync.inbound.locks import inbound_lock_names, inbound_locks
from testbed.connector_app import make_runtime
from tests.integration.cli.test_cli import EXAMPLES, run
from tests.support.mock1c import MockOneC, running_mock_1c


@pytest.fixture(scope="module")
def onec() -> Iterator[MockOneC]:
    with running_mock_1c() as mock:
        yield mock


@pytest.fixture
def runtime(onec: MockOneC, store_url: str) -> Iterator[Runtime]:
    rt = make_runtime(
        store_url, EXAMPLES, onec_url=onec.base_url, onec_user=onec.user, onec_password=onec.password
    )
    try:
        yield rt
    finally:
        rt.close()


def _env(onec: MockOneC, store_url: str) -> dict[str, str]:
    return {
        "ONEC_BRIDGE_DATABASE_URL": store_url,
        "ONEC_BRIDGE_MAPPINGS_DIR": str(EXAMPLES),
        "ONEC_BRIDGE_ONEC_URL": onec.base_url,
        "ONEC_BRIDGE_ONEC_USER": onec.user,
        "ONEC_BRIDGE_ONEC_PASSWORD": onec.password,
    }


def _counts(runtime: Runtime, mapping: str) -> tuple[int, int]:
    with runtime.sessions() as s:
        runs = s.execute(select(func.count()).select_from(Run).where(Run.kind == "inbound")).scalar_one()
        links = s.execute(select(func.count()).select_from(Link).where(Link.mapping == mapping)).scalar_one()
    return int(runs), int(links)


def test_the_cli_takes_every_lock_the_service_takes_for_a_mapping(runtime: Runtime) -> None:
    jobs = {spec.name for spec in build_jobs(runtime)}
    for m in runtime.mappings:
        names = set(inbound_lock_names(m))
        scheduled = {j for j in jobs if j.startswith(f"inbound:{m.name}:")}
        assert scheduled <= names
        assert {"inbox", "reconcile"} <= names <= jobs
        if m.source is not None and m.source.change_detection:
            assert scheduled


@pytest.mark.parametrize(
    ("held", "args"),
    [
        ("inbound:projects:scan", ("sync", "tasks", "--mapping", "projects")),
        ("inbox", ("resync", "projects")),
    ],
)
def test_a_manual_run_waits_for_the_services_lock_then_gives_up_having_done_nothing(
    onec: MockOneC, runtime: Runtime, store_url: str, tmp_path: Path, held: str, args: tuple[str, ...]
) -> None:
    env = _env(onec, store_url)
    other = create_engine(store_url)  # another process's engine would do the same
    try:
        with job_lock(other, held) as got:
            assert got
            result = run(*args, "--lock-wait", "1", cwd=tmp_path, **env)
            assert result.returncode == 1, result.stdout + result.stderr
            assert held in result.stderr and "Traceback" not in result.stderr
            assert _counts(runtime, "projects") == (0, 0)
    finally:
        other.dispose()
    result = run(*args, "--lock-wait", "1", cwd=tmp_path, **env)
    assert result.returncode == 0, result.stdout + result.stderr
    runs, links = _counts(runtime, "projects")
    assert runs == 1 and links > 0


def test_while_a_manual_run_holds_the_locks_the_services_jobs_of_that_mapping_skip(runtime: Runtime) -> None:
    jobs = {spec.name: spec for spec in build_jobs(runtime)}
    mine = [jobs[n] for n in inbound_lock_names(runtime.mapping("projects"))]
    with inbound_locks(runtime, "projects", wait=0):
        assert [run_job(runtime, spec) for spec in mine] == ["locked"] * len(mine)
        assert _counts(runtime, "projects") == (0, 0)
    assert run_job(runtime, jobs["reconcile"]) == "ran"  # released: the sweep re-reads every mapping
    assert _counts(runtime, "projects")[1] > 0
