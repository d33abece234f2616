"""Two ``onec-bridge serve`` replicas on one PostgreSQL under load: no job twice, no write twice.

Both replicas run every job on short periods (inbox and delivery each second, labour every 4 s,
the exchange-plan feed every 3 s and a DataVersion scan every 10 s) while e-mails keep arriving in
1C (new service interests, announced by webhooks to replica 0) and the tracker keeps simulating
work, on service interests (timesheets over OData) and project tasks (SOAP). Nothing else drives
the loop: the replicas alone must converge. Asserted afterwards:

* no two runs of one job overlap in time (runs in the store, per kind/trigger/mapping), and the
  replicas did contend (a firing skipped because the other held the job's lock or just ran it);
* one ``Document_УчетВремени`` per employee-week; successful writes to it (create/PATCH, Post)
  at most two per delivered timesheet intent, SOAP ``PutLabour`` calls at most one per delivered
  row intent (``/_mock/stats``);
* the whole-loop invariants: service tasks in the feed = open interests, every task once;
  service and project labour in 1C = the tracker's truth rounded; the outbox done or parked
  with reasons.
"""

from __future__ import annotations

import re
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
import requests
from sqlalchemy import select

from connector.store.models import OutboxIntent, Run
from tests.e2e.harness import ChaosLoop, poll
from tests.e2e.labour_view import expected_project_labour, per_key, register_rows
from tests.e2e.test_chaos_loop import register_email

FAST_JOBS = {
    "ONEC_BRIDGE_INBOX_INTERVAL": "1",
    "ONEC_BRIDGE_DELIVER_INTERVAL": "1",
    "ONEC_BRIDGE_LABOUR_INTERVAL": "4",
}
JOB_METRIC = re.compile(r'^onec_bridge_jobs_total\{job="([^"]+)",outcome="([^"]+)"\} ([0-9.e+]+)$', re.M)


@pytest.fixture
def loop(tmp_path: Path, pg_url: str) -> Iterator[ChaosLoop]:
    chaos = ChaosLoop(
        tmp_path,
        seed=19,
        store_url=pg_url,
        mappings=("service", "projects"),
        detection={"exchange_plan": "3s", "scan": "10s"},
        connector_env=FAST_JOBS,
    )
    try:
        chaos.start_onec()
        chaos.start_tracker()
        chaos.start_connector(0)
        chaos.start_connector(1)
        yield chaos
    finally:
        chaos.close()


def job_outcomes(loop: ChaosLoop, replica: int) -> Counter[str]:
    """Outcomes (ran, locked, recent, failed) of this replica's job firings, from ``/metrics``."""
    port = loop.connector_ports[replica]
    text = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=30).text
    out: Counter[str] = Counter()
    for _job, outcome, value in JOB_METRIC.findall(text):
        out[outcome] += int(float(value))
    return out


def overlapping_runs(loop: ChaosLoop) -> list[tuple[str, int, int]]:
    """Pairs of runs of one job (kind, trigger, mapping) whose time spans overlap."""
    engine = loop.store_engine()
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                select(Run.id, Run.kind, Run.trigger, Run.mapping, Run.started_at, Run.finished_at)
            ).all()
    finally:
        engine.dispose()
    by_job: dict[str, list[tuple[datetime, datetime | None, int]]] = defaultdict(list)
    for run_id, kind, trigger, mapping, started, finished in rows:
        by_job[f"{kind}/{trigger}/{mapping}"].append((started, finished, run_id))
    bad = []
    for job, runs in by_job.items():
        runs.sort(key=lambda r: (r[0], r[2]))
        for (_, end, a), (start, _, b) in zip(runs, runs[1:], strict=False):
            if end is None or start < end:
                bad.append((job, a, b))
    return bad


def run_summary(loop: ChaosLoop) -> str:
    """Runs per job and status, and the last labour runs' counters: what a failure message needs."""
    engine = loop.store_engine()
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                select(Run.id, Run.kind, Run.trigger, Run.mapping, Run.status, Run.counters).order_by(Run.id)
            ).all()
    finally:
        engine.dispose()
    per = Counter(f"{k}/{t}/{m}:{s}" for _, k, t, m, s, _ in rows)
    last = [(i, s, c) for i, k, _, _, s, c in rows if k == "labour"][-5:]
    return f"runs {dict(per)}; last labour runs {last}"


def delivered(loop: ChaosLoop) -> Counter[str]:
    """Done intents per channel: a timesheet target is ``employee|monday``, a SOAP one a row key."""
    engine = loop.store_engine()
    try:
        with engine.connect() as conn:
            keys = conn.execute(select(OutboxIntent.target_key).where(OutboxIntent.state == "done")).scalars()
            return Counter("odata" if k.count("|") == 1 else "soap" for k in keys)
    finally:
        engine.dispose()


def onec_writes(loop: ChaosLoop) -> Counter[str]:
    out: Counter[str] = Counter()
    for r in loop.onec_stats()["requests"]:
        if not 200 <= int(r["status"]) < 300:
            continue
        if r["entity_set"] == "Document_УчетВремени" and r["method"] in ("POST", "PATCH"):
            out["odata"] += int(r["count"])
        elif r["entity_set"] == "ws:TimeTracking:PutLabour":
            out["soap"] += int(r["count"])
    return out


def run_replicas(loop: ChaosLoop, *, rounds: int, seed: int) -> None:
    days = min(rounds + 1, 10)  # inside the connector's default 14-day labour lookback
    first = date.today() - timedelta(days=days + 1)
    span = (first, first + timedelta(days=days))
    poll(lambda: bool(loop.feed_codes()), 120, what="first inbound run of a replica")
    poll(loop.tracker_sync_feed, 60, what="first feed import")
    loop.simulate(first, 1)
    users = loop.onec_entities("Catalog_Пользователи", **{"$top": "5"})
    for n in range(rounds):  # load: new interests and new work while both replicas run every job
        register_email(loop, users, 1000 * seed + n)
        time.sleep(2)
        loop.tracker_sync_feed()
        loop.simulate(first, min(n + 2, days))
        time.sleep(2)

    state: dict[str, object] = {}

    def converged() -> bool:
        loop.tracker_sync_feed()
        busy = [o for o in loop.outbox() if o[1] in ("pending", "claimed")]
        feed, expected = loop.feed_codes(), loop.expected_open_codes()
        service_feed = {c for c in feed if c.startswith("SRV-")}
        service = loop.labour_in_1c(*span), loop.expected_labour(*span)
        projects = per_key(register_rows(loop)), expected_project_labour(loop, *span)
        state.update(busy=busy, feed=feed, expected=expected, service=service, projects=projects)
        return (
            not busy and service_feed == expected and service[0] == service[1] and projects[0] == projects[1]
        )

    try:
        poll(converged, 180, step=2, what="convergence of the two replicas")
    except AssertionError:
        pass  # the assertions below say what differs
    contention = [job_outcomes(loop, r) for r in (0, 1)]
    for replica in (1, 0):
        loop.replicas[replica].stop()  # graceful: running jobs finish their runs

    assert not state["busy"], f"deliveries still waiting: {state['busy']}\n{loop.logs()}"
    feed = Counter(state["feed"])  # type: ignore[call-overload]
    assert [c for c, n in feed.items() if n > 1] == [], "a task is listed more than once"
    service_feed = {c for c in feed if c.startswith("SRV-")}
    assert service_feed == state["expected"], "service tasks in the feed differ from the open interests in 1C"
    for name in ("service", "projects"):
        pair = state[name]
        assert isinstance(pair, tuple)
        got, want = pair
        assert want, f"no {name} labour to compare"
        assert got == want, (
            f"{name} labour in 1C differs from the truth: {set(got.items()) ^ set(want.items())}\n"
            f"{run_summary(loop)}\n{loop.logs()}"
        )
    assert overlapping_runs(loop) == [], "a job ran on both replicas at the same time"
    assert all(c["ran"] for c in contention), f"a replica ran no job: {contention}"
    assert sum(c["locked"] + c["recent"] for c in contention), f"the replicas never contended: {contention}"
    weeks = Counter((d["Сотрудник_Key"], d["ДатаС"]) for d in loop.onec_entities("Document_УчетВремени"))
    assert [w for w, n in weeks.items() if n > 1] == [], "two timesheets for one employee-week"
    writes, done = onec_writes(loop), delivered(loop)
    assert 0 < writes["odata"] <= 2 * done["odata"], (writes, done)
    assert 0 < writes["soap"] <= done["soap"], (writes, done)
    for key, state_, reason in loop.outbox():
        assert state_ == "done" or (state_ == "parked" and reason), (key, state_, reason)


# 20 s of two replicas under load: behind `make chaos` (CI runs it too); the quick check of
# replicas in make test is tests/integration/service/test_replicas.py
@pytest.mark.chaos_long
def test_two_replicas_on_postgresql_under_load(loop: ChaosLoop) -> None:
    run_replicas(loop, rounds=3, seed=1)


@pytest.mark.chaos_long
def test_two_replicas_on_postgresql_under_load_long(loop: ChaosLoop) -> None:
    run_replicas(loop, rounds=12, seed=2)
