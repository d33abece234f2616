"""Job locks: one holder per job name across processes (PostgreSQL) or threads (SQLite), and the
cluster-wide minimum gap that makes replicas firing the same tick run it once."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from apscheduler.triggers.interval import IntervalTrigger

from connector.runtime import Runtime
from connector.scheduler import JobSpec, build_jobs, release_claims, run_job
from connector.store.db import make_engine
from connector.store.locks import job_lock
from connector.store.queues import claim_outbox, outbox_add
from testbed.connector_app import make_runtime


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


def test_a_job_that_raises_finishes_the_runs_it_opened_as_failed(runtime: Runtime) -> None:
    from connector.store.history import start_run
    from connector.store.models import Run

    def crash_mid_run() -> None:
        with runtime.sessions.begin() as s:
            start_run(s, "labour", "schedule")
        raise ConnectionError("tracker unreachable")

    with runtime.sessions.begin() as s:
        other = start_run(s, "inbound", "webhook", "service").id  # someone else's run in progress
    assert run_job(runtime, JobSpec("labour", IntervalTrigger(seconds=1), crash_mid_run)) == "failed"
    with runtime.sessions() as s:
        runs = {r.id: r for r in s.query(Run).all()}
    crashed = [r for r in runs.values() if r.kind == "labour"]
    assert len(crashed) == 1 and crashed[0].status == "failed" and crashed[0].finished_at is not None
    assert crashed[0].counters.get("failed:ConnectionError") == 1
    assert runs[other].status == "running"  # not this job's run: left alone


class OverlapProbe:
    """Two job bodies, each waiting (bounded by ``wait`` seconds) for the other to have started;
    records the peak overlap. Whichever the scheduler starts first, a second body that may run
    alongside finds the first still active: the peak does not depend on the start order."""

    def __init__(self, wait: float) -> None:
        import threading

        self.wait = wait
        self.active = 0
        self.peak = 0
        self.finished = 0
        self.guard = threading.Lock()
        self.started = {True: threading.Event(), False: threading.Event()}
        self.all_done = threading.Event()

    def body(self, first: bool) -> None:
        with self.guard:
            self.active += 1
            self.peak = max(self.peak, self.active)
        self.started[first].set()
        self.started[not first].wait(self.wait)
        with self.guard:
            self.active -= 1
            self.finished += 1
            if self.finished == 2:
                self.all_done.set()


def test_store_writing_jobs_of_one_process_never_run_at_the_same_time(runtime: Runtime) -> None:
    from connector.scheduler import JobScheduler

    peaks = {}
    # serial: the first body waits 3 s for an overlap that must not come; parallel: each waits
    # (up to 30 s on a loaded box) until the other has started, so the overlap is certain
    for label, second_serial, wait in (("serial", True, 3.0), ("parallel", False, 30.0)):
        probe = OverlapProbe(wait)
        specs = [
            JobSpec(f"inbound:{label}", IntervalTrigger(hours=1), functools.partial(probe.body, True)),
            JobSpec(
                f"labour:{label}",
                IntervalTrigger(hours=1),
                functools.partial(probe.body, False),
                serial=second_serial,
            ),
        ]
        jobs = JobScheduler(runtime, specs=specs)
        jobs.start()
        try:
            assert probe.all_done.wait(60)
        finally:
            jobs.shutdown()
        peaks[label] = probe.peak
    assert peaks == {"serial": 1, "parallel": 2}


def test_built_in_job_periods_come_from_the_settings(tmp_path: Path) -> None:
    rt = make_runtime(
        f"sqlite:///{tmp_path / 's.db'}",
        inbox_interval=7,
        deliver_interval=11,
        labour_interval=1200,
        reconcile_cron="15 2 * * *",
    )
    try:
        specs = {s.name: s for s in build_jobs(rt)}
    finally:
        rt.close()
    assert isinstance(specs["inbox"].trigger, IntervalTrigger)
    assert specs["inbox"].trigger.interval == timedelta(seconds=7)
    assert specs["deliver"].trigger.interval == timedelta(seconds=11)
    assert specs["labour"].trigger.interval == timedelta(seconds=1200)
    assert specs["labour"].min_gap == timedelta(seconds=600)
    assert "hour='2'" in str(specs["reconcile"].trigger) and "minute='15'" in str(specs["reconcile"].trigger)
    writers = {n for n, s in specs.items() if s.serial}
    assert writers == set(specs) - {"deliver"}  # everything that touches directory/links is serial


def test_the_runs_job_closes_runs_a_dead_process_left_running(
    runtime: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    from connector.store.history import start_run
    from connector.store.models import Run

    with runtime.sessions.begin() as s:
        dead = start_run(s, "inbound", "full", "service")
        dead.owner = "elsewhere.example/1/2/3"
        dead.heartbeat_at = dead.started_at - timedelta(seconds=runtime.settings.run_stale_after + 60)
        live = start_run(s, "labour", "schedule")
        ids = dead.id, live.id
    jobs = {spec.name: spec for spec in build_jobs(runtime)}
    with caplog.at_level("WARNING", logger="connector"):
        assert run_job(runtime, jobs["runs"]) == "ran"
    with runtime.sessions() as s:
        assert [s.get(Run, i).status for i in ids] == ["abandoned", "running"]  # type: ignore[union-attr]
    assert any(
        f"run {ids[0]} " in r.getMessage() and "abandoned:no_heartbeat" in r.getMessage()
        for r in caplog.records
    )
