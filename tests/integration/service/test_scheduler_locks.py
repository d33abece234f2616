"""Job locks: one holder per job name across processes (PostgreSQL) or threads (SQLite), and the
cluster-wide minimum gap that makes replicas firing the same tick run it once."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from apscheduler.triggers.interval import IntervalTrigger

from connector.runtime import Runtime
from connector.scheduler import JobSpec, build_jobs, job_lock, release_claims, run_job
from connector.store.db import make_engine
from connector.store.queues import claim_outbox, outbox_add
from tests.support.connector_app import make_runtime


@pytest.fixture
def runtime(store_url: str) -> Iterator[Runtime]:
    rt = make_runtime(store_url)
    try:
        yield rt
    finally:
        rt.close()


def test_a_held_lock_is_refused_to_a_second_holder_and_free_after_release(runtime: Runtime) -> None:
    other = make_engine(str(runtime.engine.url.render_as_string(hide_password=False)))
    try:
        with job_lock(runtime.engine, "labour") as first:
            assert first
            with job_lock(other, "labour") as second:
                assert not second
            with job_lock(other, "deliver") as unrelated:
                assert unrelated
        with job_lock(other, "labour") as again:
            assert again
    finally:
        other.dispose()


def test_a_periodic_job_runs_once_per_gap_across_replicas(runtime: Runtime) -> None:
    calls: list[int] = []
    spec = JobSpec("inbound:test", IntervalTrigger(hours=1), lambda: calls.append(1), timedelta(minutes=30))
    assert run_job(runtime, spec) == "ran"
    assert run_job(runtime, spec) == "recent"  # a second replica firing the same tick
    worker = JobSpec("inbox", IntervalTrigger(seconds=2), lambda: calls.append(2))
    assert run_job(runtime, worker) == "ran"
    assert run_job(runtime, worker) == "ran"  # queue workers have no gap
    assert calls == [1, 2, 2]


def test_a_failing_job_is_reported_not_raised(runtime: Runtime) -> None:
    def boom() -> None:
        raise RuntimeError("1C is down")

    assert run_job(runtime, JobSpec("labour", IntervalTrigger(seconds=1), boom)) == "failed"


def test_shutdown_releases_rows_this_process_still_holds(runtime: Runtime) -> None:
    with runtime.sessions.begin() as s:
        outbox_add(s, "week:e1:2026-01-05", 1, {})
        outbox_add(s, "week:e2:2026-01-05", 1, {})
    with runtime.sessions.begin() as s:
        assert len(claim_outbox(s, "host:123:deliver")) == 2
    assert release_claims(runtime, "host:999:") == 0
    assert release_claims(runtime, "host:123:") == 2
    with runtime.sessions.begin() as s:
        assert len(claim_outbox(s, "host:456:deliver")) == 2


def test_jobs_follow_each_polled_change_detection_of_the_shipped_mappings(tmp_path: Path) -> None:
    rt = make_runtime(f"sqlite:///{tmp_path / 's.db'}")
    try:
        names = {s.name: s for s in build_jobs(rt)}
    finally:
        rt.close()
    assert {"inbound:service:exchange_plan", "inbound:service:scan", "inbound:projects:scan"} <= set(names)
    assert not any(n.startswith("inbound:sales") for n in names)  # static tasks: nothing to poll
    assert {"inbox", "labour", "deliver", "reconcile"} <= set(names)
    assert names["inbound:service:exchange_plan"].min_gap == timedelta(seconds=15)
