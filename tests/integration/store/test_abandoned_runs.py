"""Runs left ``running`` by a process that died are closed as ``abandoned``; live ones never are."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from connector.store.history import abandon_dead_runs, finish_run, heartbeat, start_run
from connector.store.models import Run
from connector.store.owner import process_owner
from connector.store.types import utcnow

HOUR = timedelta(hours=1)
OTHER_HOST = "elsewhere.example/4026531836/4242/123456"


def dead_owner() -> str:
    """The owner string of a process of this host that has ended."""
    code = "from connector.store.owner import process_owner; print(process_owner())"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return out.stdout.strip()


def make_run(s: Session, owner: str | None, idle: timedelta) -> int:
    run = start_run(s, "inbound", "full", "service")
    run.owner = owner
    run.heartbeat_at = utcnow() - idle if owner is not None else None
    run.started_at = utcnow() - idle
    s.flush()
    return run.id


def status_of(sessions: sessionmaker[Session]) -> dict[int, tuple[str, dict[str, int], bool]]:
    with sessions() as s:
        return {
            r.id: (r.status, r.counters, r.finished_at is not None) for r in s.execute(select(Run)).scalars()
        }


def test_only_dead_or_silent_runs_are_closed(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as s:
        mine_idle = make_run(s, process_owner(), 3 * HOUR)  # this process lives: never abandoned
        gone = make_run(s, dead_owner(), timedelta(seconds=5))  # ended on this host: at once
        far_fresh = make_run(s, OTHER_HOST, timedelta(minutes=5))
        far_silent = make_run(s, OTHER_HOST, 2 * HOUR)
        legacy_silent = make_run(s, None, 2 * HOUR)  # from before owners were recorded
        legacy_fresh = make_run(s, None, timedelta(minutes=1))
        done = make_run(s, dead_owner(), 3 * HOUR)
        finish_run(s, s.get(Run, done), "ok")  # type: ignore[arg-type]
    with sessions.begin() as s:
        closed = sorted(r.id for r in abandon_dead_runs(s, HOUR))
    assert closed == sorted([gone, far_silent, legacy_silent])
    after = status_of(sessions)
    assert after[gone] == ("abandoned", {"abandoned:owner_gone": 1}, True)
    assert after[far_silent] == ("abandoned", {"abandoned:no_heartbeat": 1}, True)
    assert after[legacy_silent] == ("abandoned", {"abandoned:no_heartbeat": 1}, True)
    for live in (mine_idle, far_fresh, legacy_fresh):
        assert after[live] == ("running", {}, False)
    assert after[done][0] == "ok"
    with sessions.begin() as s:  # a second sweep finds nothing more
        assert abandon_dead_runs(s, HOUR) == []


def test_a_sign_of_life_reopens_a_run_taken_for_dead(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as s:
        run_id = make_run(s, OTHER_HOST, 2 * HOUR)
    with sessions.begin() as s:
        assert [r.id for r in abandon_dead_runs(s, HOUR)] == [run_id]
    with sessions.begin() as s:
        run = s.get(Run, run_id)
        assert run is not None
        heartbeat(run)
    with sessions() as s:
        run = s.get(Run, run_id)
        assert run is not None and (run.status, run.finished_at) == ("running", None)


def test_a_run_of_a_killed_process_is_closed_by_the_next_sweep(
    sessions: sessionmaker[Session], store_url: str
) -> None:
    script = (
        "import sys, time\n"
        "from connector.store.db import make_engine, session_factory\n"
        "from connector.store.history import start_run\n"
        "sessions = session_factory(make_engine(sys.argv[1]))\n"
        "with sessions.begin() as s:\n"
        "    run_id = start_run(s, 'labour', 'schedule').id\n"
        "print(run_id, flush=True)  # committed: the parent may look now\n"
        "time.sleep(600)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", script, store_url], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        run_id = int(proc.stdout.readline())
        with sessions.begin() as s:
            assert abandon_dead_runs(s, HOUR) == []  # alive: left alone
        assert status_of(sessions)[run_id][0] == "running"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()
    deadline = time.monotonic() + 10
    while True:  # the kernel reaps /proc/<pid> right after wait()
        with sessions.begin() as s:
            closed = [r.id for r in abandon_dead_runs(s, HOUR)]
        if closed or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert closed == [run_id]
    assert status_of(sessions)[run_id][:2] == ("abandoned", {"abandoned:owner_gone": 1})
