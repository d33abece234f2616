"""Scheduled jobs of the service, each run by one replica at a time.

Jobs: an inbound sync per mapping (on the mapping's change-detection interval or cron), the
inbox worker (webhook hints and operators' resync requests share that queue), the labour tick (pull,
aggregate, diff), the outbox delivery worker and a reconciliation sweep (full re-read, pitfall
10). Every execution first takes a lock named after the job: ``pg_try_advisory_lock`` on a
dedicated PostgreSQL connection, or a process-local lock on SQLite (one process owns an
embedded store). A replica that does not get the lock skips that execution.

Jobs that write the same tables (inbound syncs, the inbox worker, the reconciliation sweep and
the labour tick all refresh the employee directory and links) run in one serial executor of the
process, so two of them never interleave their writes (on SQLite one writer at a time anyway;
on PostgreSQL two inserts of one directory row would collide). Delivery runs beside them. A job
that raises finishes the run records it opened as ``failed``: no run is left ``running``.

Periodic syncs also record their last start in the store (cursor ``job:<name>``) under the lock,
so when N replicas fire the same tick one after another only the first one runs it: a sync job
runs at most once per ``min_gap`` across the cluster. Queue workers have no gap: the lock only
keeps two replicas from polling the same queue at once.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import event, update

from connector.logs import run_context
from connector.mapping.schema import Mapping
from connector.metrics import Metrics
from connector.runtime import Runtime
from connector.settings import Settings
from connector.store.history import finish_run
from connector.store.links import get_cursor, set_cursor
from connector.store.locks import job_lock
from connector.store.models import InboxEvent, OutboxIntent, Run
from connector.store.types import utcnow
from connector.sync.inbound.locks import inbound_job_name

log = logging.getLogger(__name__)

_opened_runs: ContextVar[list[int] | None] = ContextVar("opened_runs", default=None)
SERIAL = "serial"


@event.listens_for(Run, "after_insert")
def _note_opened_run(_mapper: Any, _conn: Any, run: Run) -> None:
    """Remember the runs a job opens (same thread) so a crash can close them as failed."""
    opened = _opened_runs.get()
    if opened is not None and run.id is not None:
        opened.append(int(run.id))


def worker_id(job: str) -> str:
    """Who claims queue rows: host, process and job, so a replica can release its own claims."""
    return f"{socket.gethostname()}:{os.getpid()}:{job}"


def release_claims(runtime: Runtime, prefix: str) -> int:
    """Return rows still claimed by this process's workers to ``pending`` (graceful shutdown)."""
    released = 0
    with runtime.sessions.begin() as s:
        for model in (InboxEvent, OutboxIntent):
            result = s.execute(
                update(model)
                .where(model.state == "claimed", model.claimed_by.like(prefix + "%"))
                .values(state="pending", claimed_by=None, claimed_at=None, next_attempt_at=utcnow())
            )
            released += int(result.rowcount or 0)  # type: ignore[attr-defined]
    return released


@dataclass(frozen=True)
class JobSpec:
    """One scheduled job: its name (the lock's), trigger, cluster-wide minimum gap and body."""

    name: str
    trigger: BaseTrigger
    func: Callable[[], Any]
    min_gap: timedelta = timedelta(0)
    first_run_now: bool = True
    serial: bool = True  # runs in the process's one-thread executor with the other store writers


@dataclass(frozen=True)
class Intervals:
    """Periods of the built-in workers and ticks (seconds)."""

    inbox: float = 2.0
    labour: float = 600.0
    deliver: float = 5.0
    reconcile_cron: str = "30 3 * * *"
    push: float = 60.0

    @classmethod
    def from_settings(cls, settings: Settings) -> Intervals:
        """From ``ONEC_BRIDGE_{INBOX,LABOUR,DELIVER}_INTERVAL`` and ``ONEC_BRIDGE_RECONCILE_CRON``."""
        return cls(
            settings.inbox_interval,
            settings.labour_interval,
            settings.deliver_interval,
            settings.reconcile_cron,
            settings.tracker_push_interval,
        )


def mapping_triggers(mapping: Mapping) -> list[tuple[str, BaseTrigger]]:
    """The inbound schedules of a mapping: (detection kind, trigger) per polled change detection
    (exchange plan every 30 s, a DataVersion scan every 15 min…); webhooks need no schedule."""
    if mapping.source is None:
        return []
    out: list[tuple[str, BaseTrigger]] = []
    for d in mapping.source.change_detection:
        if d.interval_seconds:
            out.append((d.kind, IntervalTrigger(seconds=d.interval_seconds)))
        elif d.cron:
            out.append((d.kind, CronTrigger.from_crontab(d.cron)))
    return out


def _gap(trigger: BaseTrigger) -> timedelta:
    if isinstance(trigger, IntervalTrigger):
        return trigger.interval / 2
    return timedelta(seconds=30)


def build_jobs(runtime: Runtime, intervals: Intervals | None = None) -> list[JobSpec]:
    """Every job of the service for the loaded mappings (engines imported lazily); the built-in
    workers' periods come from ``intervals`` or else the runtime's settings."""
    intervals = intervals or Intervals.from_settings(runtime.settings)
    specs: list[JobSpec] = []
    for m in runtime.mappings:
        for kind, trigger in mapping_triggers(m):
            body = _bind(inbound_job, runtime, m.name, kind)
            specs.append(JobSpec(inbound_job_name(m.name, kind), trigger, body, _gap(trigger)))
    every = IntervalTrigger
    specs += [
        JobSpec("inbox", every(seconds=intervals.inbox), _bind(inbox_job, runtime, worker_id("inbox"))),
        JobSpec(
            "labour",
            every(seconds=intervals.labour),
            _bind(labour_job, runtime),
            timedelta(seconds=intervals.labour / 2),
        ),
        JobSpec(
            "deliver",
            every(seconds=intervals.deliver),
            _bind(deliver_job, runtime, worker_id("deliver")),
            serial=False,
        ),
        JobSpec("runs", every(seconds=RUNS_SWEEP_SECONDS), _bind(runs_sweep_job, runtime)),
        *push_jobs(runtime, intervals.push),
        JobSpec(
            "reconcile",
            CronTrigger.from_crontab(intervals.reconcile_cron),
            _bind(reconcile_job, runtime),
            timedelta(hours=1),
            first_run_now=False,
        ),
    ]
    return specs


# Job bodies: thin calls into the engines (imported lazily so the scheduler loads without them).


def inbound_job(runtime: Runtime, mapping: str, detection: str) -> Any:
    from connector.sync.inbound.engine import InboundEngine

    return InboundEngine(runtime).run(mapping, trigger=detection)


def push_jobs(runtime: Runtime, seconds: float) -> list[JobSpec]:
    """The task push, for a tracker whose API takes tasks (none for Bitcop: it reads the feed)."""
    try:
        sink = runtime.tracker.capabilities.publish_tasks
    except ValueError as exc:  # the tracker is not configured yet: the feed still serves the tasks
        log.warning("no task push job: %s", exc)
        return []
    if not sink:
        return []
    return [
        JobSpec(
            "push", IntervalTrigger(seconds=seconds), _bind(push_job, runtime), timedelta(seconds=seconds)
        )
    ]


def push_job(runtime: Runtime) -> Any:
    from connector.sync.push.engine import push_tasks

    return push_tasks(runtime)


def inbox_job(runtime: Runtime, worker: str, limit: int = 100) -> Any:
    from connector.sync.inbound.inbox import process_inbox

    return process_inbox(runtime, worker, limit)


def labour_job(runtime: Runtime) -> Any:
    from connector.sync.labour.engine import LabourEngine

    return LabourEngine(runtime, worker_id=worker_id("labour"), deliver=False).run(trigger="schedule")


def deliver_job(runtime: Runtime, worker: str, limit: int = 100) -> Any:
    """Deliver due labour intents, then write pending plan-fact flags to 1C (totals refreshed
    from the store first when this pass delivered something)."""
    from connector.sync.labour.deliver import deliver_pending
    from connector.sync.labour.flags import sync_plan_fact

    counts = deliver_pending(runtime, worker, limit)
    counts.update(sync_plan_fact(runtime, refresh=bool(counts.get("delivered"))))
    return counts


RUNS_SWEEP_SECONDS = 300.0


def runs_sweep_job(runtime: Runtime) -> int:
    """Close the runs a dead process left ``running`` (``ONEC_BRIDGE_RUN_STALE_AFTER``)."""
    from connector.store.history import abandon_dead_runs

    stale_after = timedelta(seconds=runtime.settings.run_stale_after)
    with runtime.sessions.begin() as s:
        closed = abandon_dead_runs(s, stale_after)
        for run in closed:
            reason = next((k for k in run.counters if k.startswith("abandoned:")), "abandoned")
            log.warning(
                "run %s (%s %s, started %s by %s) closed as %s",
                run.id,
                run.kind,
                run.trigger,
                run.started_at.isoformat(),
                run.owner or "an unknown process",
                reason,
            )
    return len(closed)


def reconcile_job(runtime: Runtime) -> None:
    """A full re-read of every mapping (finds deletions and anything a feed missed), then a labour
    run over the deeper reconciliation window (``ONEC_BRIDGE_LABOUR_RECONCILE_DAYS``).

    The labour part takes the ``labour`` job's lock (skipped while a labour tick or a CLI labour
    run holds it) and is skipped when no tracker is configured, like the labour tick's input.
    """
    from connector.sync.inbound.engine import InboundEngine
    from connector.sync.labour.engine import LabourEngine

    engine = InboundEngine(runtime)
    for m in runtime.mappings:
        if m.source is not None:
            engine.run(m.name, trigger="full")
    if not any(m.labour is not None for m in runtime.mappings):
        return
    if not runtime.settings.tracker_api_key.get_secret_value():
        log.warning("labour reconciliation skipped: no tracker is configured (ONEC_BRIDGE_TRACKER_API_KEY)")
        return
    with job_lock(runtime.engine, "labour") as got:
        if got:
            LabourEngine(runtime, worker_id=worker_id("reconcile"), deliver=False).run(
                trigger="reconcile", reconcile=True
            )


def _bind(func: Callable[..., Any], *args: Any) -> Callable[[], Any]:
    return lambda: func(*args)


def run_job(runtime: Runtime, spec: JobSpec, metrics: Metrics | None = None) -> str:
    """Execute one firing of ``spec`` under its lock; returns ran / locked / recent / failed.

    A job that raises is logged and counted, and every run record it opened and left
    ``running`` is finished as ``failed``.
    """
    outcome = "ran"
    opened: list[int] = []
    token = _opened_runs.set(opened)
    try:
        with job_lock(runtime.engine, spec.name) as got:
            if not got:
                outcome = "locked"
            elif spec.min_gap and not _claim_slot(runtime, spec):
                outcome = "recent"
            else:
                with run_context(f"job:{spec.name}"):
                    spec.func()
    except Exception as exc:
        outcome = "failed"
        log.exception("job %s failed", spec.name)
        fail_open_runs(runtime, opened, exc)
    finally:
        _opened_runs.reset(token)
    if metrics is not None:
        metrics.jobs.labels(job=spec.name, outcome=outcome).inc()
    log.debug("job %s: %s", spec.name, outcome)
    return outcome


def fail_open_runs(runtime: Runtime, run_ids: list[int], exc: BaseException) -> int:
    """Finish the given runs that are still ``running`` as ``failed`` (best effort, never raises)."""
    if not run_ids:
        return 0
    try:
        with runtime.sessions.begin() as s:
            runs = s.query(Run).where(Run.id.in_(run_ids), Run.status == "running").all()
            for run in runs:
                finish_run(s, run, "failed", {f"failed:{type(exc).__name__}": 1})
            return len(runs)
    except Exception:
        log.exception("could not mark runs %s as failed", run_ids)
        return 0


def _claim_slot(runtime: Runtime, spec: JobSpec) -> bool:
    """Under the job's lock: True (and the start recorded) unless a replica ran it < min_gap ago."""
    stream = f"job:{spec.name}"
    now = utcnow()
    with runtime.sessions.begin() as s:
        last = get_cursor(s, stream)
        if last is not None and now - datetime.fromisoformat(last) < spec.min_gap:
            return False
        set_cursor(s, stream, now.isoformat())
    return True


class JobScheduler:
    """APScheduler in background threads running ``build_jobs`` through ``run_job``."""

    def __init__(
        self,
        runtime: Runtime,
        metrics: Metrics | None = None,
        specs: list[JobSpec] | None = None,
        max_workers: int = 4,
    ) -> None:
        self.runtime = runtime
        self.metrics = metrics
        self.specs = specs if specs is not None else build_jobs(runtime)
        self.scheduler = BackgroundScheduler(
            executors={"default": ThreadPoolExecutor(max_workers), SERIAL: ThreadPoolExecutor(1)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 60},
            timezone="UTC",
        )
        for spec in self.specs:
            options: dict[str, Any] = {}
            if spec.first_run_now:
                options["next_run_time"] = datetime.now().astimezone()
            if spec.serial:
                options["executor"] = SERIAL
            self.scheduler.add_job(
                run_job, spec.trigger, args=(runtime, spec, metrics), id=spec.name, name=spec.name, **options
            )

    def start(self) -> None:
        self.scheduler.start()
        log.info("scheduler started with jobs: %s", ", ".join(s.name for s in self.specs))

    def shutdown(self) -> int:
        """Stop firing, wait for running jobs to finish, release anything still claimed."""
        if self.scheduler.running:
            self.scheduler.shutdown(wait=True)
        released = release_claims(self.runtime, f"{socket.gethostname()}:{os.getpid()}:")
        if released:
            log.info("released %d claimed queue rows on shutdown", released)
        return released
