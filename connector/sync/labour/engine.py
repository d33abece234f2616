"""The outbound engine: tracked time becomes exact actual labour in 1C.

One run: read 1C's directory and the tracker's window → store them and match employees (one
short transaction) → resolve task codes against 1C (no transaction open) → aggregate (pure) →
diff against what was enqueued before (pure) → store desired labour + outbox intents in one
transaction → deliver (``labour_deliver``) → refresh plan-fact and write the objects' flags
(``labour_flags``). No store transaction is ever held across 1C or tracker I/O. Every piece of time
that is not written has a named reason counted in the run (``skipped:<reason>`` and
``skipped_seconds:<reason>``); closed-period differences are parked or adjusted and reported.

All labour mappings are planned together: one weekly document holds an employee's rows of every
mapping that writes through the OData channel, so planning one mapping alone would drop the
others' rows from it. ``mapping`` only names the run.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from connector.mapping.schema import Employees, Mapping
from connector.onec.errors import NotFound
from connector.onec.values import parse_datetime
from connector.store.billing import billed_through
from connector.store.history import park
from connector.store.models import Employee, Failure
from connector.sync.core.aggregate import AggregationResult, aggregate
from connector.sync.core.labour_diff import diff_labour
from connector.sync.core.model import (
    Channel,
    ClosedPeriodChange,
    LabourAggregate,
    LabourIntent,
    Target,
    TimeSlice,
)
from connector.sync.core.timeutil import week_of
from connector.sync.labour.deliver import deliver_all
from connector.sync.labour.employees import load_directory, refresh_directory, refresh_matches
from connector.sync.labour.flags import sync_plan_fact
from connector.sync.labour.planfact import store_participant_plans
from connector.sync.labour.pull import EMAIL_KEY, intake_slices, read_window, snapshot_slices, store_window
from connector.sync.labour.record import LabourRecord as RunRecorder
from connector.sync.labour.state import enqueue, labour_key, load_written
from connector.sync.labour.targets import (
    NO_LABOUR_SECTION,
    OBJECT_DELETED,
    UNKNOWN_WORK_TYPE,
    TargetResolver,
    load_link_refs,
)

if TYPE_CHECKING:
    from connector.runtime import Runtime

log = logging.getLogger(__name__)
CLOSING_DATE = "Constant_ТТ_ДатаЗапретаИзменения"
NO_EMPLOYEE_RECORD = "no_1c_employee_record"
CHANNELS: tuple[Channel, ...] = ("odata_timesheet", "soap")
INPUT_FAILURE = "labour_input"
CLOSED_FAILURE = "labour_closed_period"
PARKED_REASONS = (OBJECT_DELETED, UNKNOWN_WORK_TYPE, NO_LABOUR_SECTION)


def park_input_problems(session: Session, problems: dict[str, str]) -> None:
    """Park this run's bad input (failures of kind ``labour_input``, one per key) and forget
    the ones no longer seen: once the input is fixed its failure disappears from the list."""
    stale = [
        f
        for f in session.execute(select(Failure).where(Failure.kind == INPUT_FAILURE)).scalars()
        if f.key not in problems
    ]
    for f in stale:
        session.delete(f)
    for key, reason in sorted(problems.items()):
        park(session, INPUT_FAILURE, key[:400], reason)


def employee_zones(configured: dict[str, str], employees: dict[str, str | None]) -> dict[str, str]:
    """``ONEC_BRIDGE_EMPLOYEE_TIMEZONES`` keyed by 1C employee: entries name an employee by e-mail
    (matched through the employees table) or by the GUID of their Сотрудники record."""
    out: dict[str, str] = {}
    for who, zone_name in configured.items():
        ref = employees.get(f"{EMAIL_KEY}{who}") if "@" in who else who
        if ref:
            out[ref] = zone_name
    return out


def closed_change_ref(change: ClosedPeriodChange) -> str:
    """The failure key of a closed-period change: employee/object/original date."""
    k = change.key
    return f"{k.employee_ref}/{k.object_ref or '-'}/{k.work_date}"


def forget_settled_closed_changes(
    session: Session, current: list[ClosedPeriodChange], window: tuple[date, date]
) -> None:
    """Drop parked closed-period failures inside ``window`` that this run no longer finds: the
    tracker went back to what 1C holds, or an adjustment settled it. Outside the window nothing
    is known, so nothing is dropped there."""
    still = {closed_change_ref(c) for c in current if not c.adjusted_on}
    for f in session.execute(select(Failure).where(Failure.kind == CLOSED_FAILURE)).scalars():
        day = f.key.rsplit("/", 1)[-1]
        if f.key not in still and window[0].isoformat() <= day <= window[1].isoformat():
            session.delete(f)


@dataclass
class RunResult:
    """What a labour run did: its record id, counters, intents and closed-period findings."""

    run_id: int | None
    window: tuple[date, date]
    counters: dict[str, int] = field(default_factory=dict)
    intents: list[LabourIntent] = field(default_factory=list)
    closed: list[ClosedPeriodChange] = field(default_factory=list)
    delivery: dict[str, int] = field(default_factory=dict)
    unmatched: list[dict[str, Any]] = field(default_factory=list)
    status: str = "ok"
    error: str | None = None


def read_closing_date(runtime: Runtime) -> date | None:
    """1C's closing date (labour on or before it is refused); None when unset or not published."""
    onec = runtime.onec
    try:
        resp = onec.http.request("GET", f"{onec.root}/{CLOSING_DATE}?$format=json", entity_set=CLOSING_DATE)
    except NotFound:
        return None
    value = resp.json().get("Value")
    if not isinstance(value, str):
        return None
    parsed = parse_datetime(value, onec.tz)
    return parsed.date() if parsed else None


class LabourEngine:
    """``LabourEngine(runtime).run(trigger=...)``: one labour sync over a sliding window."""

    def __init__(self, runtime: Runtime, *, worker_id: str = "labour-run", deliver: bool = True) -> None:
        self.runtime = runtime
        self.worker_id = worker_id
        self.deliver = deliver
        self._problems: dict[str, str] = {}
        self._billed: dict[str, date] = {}  # customer ref → billed through (read at each run)

    def window(self, since: date | None, until: date | None, *, reconcile: bool = False) -> tuple[date, date]:
        """``since..until`` (inclusive), defaulting to the lookback ending today in the company zone
        (``labour_reconcile_days`` instead of ``labour_lookback_days`` when ``reconcile``)."""
        settings = self.runtime.settings
        today = datetime.now(ZoneInfo(settings.timezone)).date()
        last = until or today
        days = settings.labour_reconcile_days if reconcile else settings.labour_lookback_days
        first = since or last - timedelta(days=days - 1)
        if first > last:
            raise ValueError(f"labour window starts after it ends: {first} > {last}")
        return first, last

    def run(
        self,
        *,
        trigger: str,
        mapping: str | None = None,
        since: date | None = None,
        until: date | None = None,
        dry_run: bool = False,
        reconcile: bool = False,
    ) -> RunResult:
        """Plan (and unless ``dry_run``, commit and deliver) labour for the window.

        ``reconcile`` widens the default window to ``labour_reconcile_days`` (the nightly sweep
        that catches edits and deletions older than the lookback). No store transaction is open
        while 1C or the tracker is called: reads happen first, the store is written in short
        transactions between them (1C may call our webhook from inside its own write).
        """
        rt = self.runtime
        if mapping is not None:
            rt.mapping(mapping)
        mappings = [m for m in rt.mappings if m.labour is not None]
        first, last = self.window(since, until, reconcile=reconcile)
        rec = RunRecorder(trigger, mapping, dry_run=dry_run)
        result = RunResult(None, (first, last))
        with rt.sessions.begin() as session:
            rec.start(session)
        result.run_id = rec.run_id
        try:
            return self._execute(rec, result, mappings, dry_run)
        except Exception as exc:  # a systemic failure (1C or the tracker unreachable): record, do not raise
            return self._failed(rec, result, exc)

    def _failed(self, rec: RunRecorder, result: RunResult, exc: Exception) -> RunResult:
        """Finish the run as ``failed`` (counted ``failed:<error type>``, the message kept as an
        item) so no run is left ``running``; the outbox keeps whatever was committed before."""
        log.warning("labour run failed: %s", exc)
        rec.note("*", "failed", type(exc).__name__, str(exc)[:1000])
        with self.runtime.sessions.begin() as session:
            rec.flush(session, "failed")
        result.status, result.error = "failed", str(exc)
        result.counters = rec.summary()
        return result

    def _execute(
        self, rec: RunRecorder, result: RunResult, mappings: list[Mapping], dry_run: bool
    ) -> RunResult:
        rt = self.runtime
        first, last = result.window
        closing = read_closing_date(rt)
        policy = rt.settings.closed_period_policy
        tracker_people = rt.tracker.employees()
        directory = load_directory(rt.onec)
        time_rows = read_window(rt.tracker, first, last)
        with rt.sessions() as session:
            refresh_directory(session, directory)
            rules = mappings[0].employees if mappings else Employees()
            matched = refresh_matches(session, tracker_people, rules)
            result.unmatched = [
                {"tracker_employee_id": e.id, "email": e.email, "name": e.name, "reason": why}
                for e, why in matched.unmatched
            ]
            rec.count("tracker_rows", store_window(session, first, last, time_rows))
            slices = snapshot_slices(session, first, last) + intake_slices(
                session, first, last, rt.settings.timezone
            )
            links = load_link_refs(session, {s.task_code for s in slices})
            employees = self._employees(session)
            self._billed = billed_through(session)
            if dry_run:
                session.rollback()
            else:
                session.commit()
        resolver = TargetResolver(links, rt.onec, mappings)
        self._problems = {}
        by_channel = self._split(slices, resolver, mappings, rec)
        with rt.sessions() as session:
            for channel in CHANNELS:
                intents, closed = self._plan(
                    session,
                    channel,
                    by_channel.get(channel, []),
                    resolver,
                    employees,
                    closing,
                    policy,
                    (first, last),
                    rec,
                )
                result.intents += intents
                result.closed += closed
            park_input_problems(session, self._problems)
            forget_settled_closed_changes(session, result.closed, (first, last))
            if dry_run:
                session.rollback()
                result.counters = rec.summary()
                return result
            store_participant_plans(session, resolver.plans)
            rec.count("intents", enqueue(session, result.intents))
            rec.flush(session)
            session.commit()
        if self.deliver:
            result.delivery = deliver_all(rt, self.worker_id)
            for name, n in result.delivery.items():
                rec.count(f"delivery:{name}", n)
        rec.counters.update(sync_plan_fact(rt, mappings, write=self.deliver))
        with rt.sessions.begin() as session:
            failed = result.delivery.get("parked", 0) or rec.counters.get("flags_failed", 0)
            result.status = "partial" if failed else "ok"
            rec.flush(session, result.status)
        result.counters = rec.summary()
        return result

    def _split(
        self, slices: list[TimeSlice], resolver: TargetResolver, mappings: list[Mapping], rec: RunRecorder
    ) -> dict[Channel, list[TimeSlice]]:
        channel_of = {m.name: m.labour.channel for m in mappings if m.labour is not None}
        out: dict[Channel, list[TimeSlice]] = {}
        for s in slices:
            res = resolver.resolve(s.task_code)
            if res.target is None:
                reason = res.reason or "unknown_task"
                rec.count(f"skipped_seconds:{reason}", max(s.seconds or 0, 0))
                rec.note(f"{s.employee_key}/{s.task_code}", "skipped", reason, res.detail or None)
                if reason in PARKED_REASONS:
                    self._problems[f"{reason}:{s.task_code}"] = f"{reason}: {res.detail or s.task_code}"
                continue
            out.setdefault(channel_of[res.target.mapping], []).append(s)
        return out

    def _employees(self, session: Session) -> dict[str, str | None]:
        out: dict[str, str | None] = {}
        for r in session.execute(select(Employee)).scalars():
            if r.tracker_employee_id:
                out[r.tracker_employee_id] = r.onec_employee_ref
            if r.email:
                out[f"{EMAIL_KEY}{r.email.lower()}"] = r.onec_employee_ref
        return out

    def _plan(
        self,
        session: Session,
        channel: Channel,
        slices: list[TimeSlice],
        resolver: TargetResolver,
        employees: dict[str, str | None],
        closing: date | None,
        policy: Any,
        window: tuple[date, date],
        rec: RunRecorder,
    ) -> tuple[list[LabourIntent], list[ClosedPeriodChange]]:
        kept = []
        for s in slices:
            if s.employee_key in employees and employees[s.employee_key] is None:
                rec.count(f"skipped_seconds:{NO_EMPLOYEE_RECORD}", max(s.seconds or 0, 0))
                rec.note(f"{s.employee_key}/{s.task_code}", "skipped", NO_EMPLOYEE_RECORD)
                self._problems[f"{NO_EMPLOYEE_RECORD}:{s.employee_key}"] = (
                    f"{NO_EMPLOYEE_RECORD}: tracker employee {s.employee_key} has no 1C employee record"
                )
                continue
            kept.append(s)

        def target(code: str) -> Target | None:
            return resolver.resolve(code).target

        agg = aggregate(
            kept,
            resolve=target,
            match_employee=lambda k: employees.get(k),
            tz=self.runtime.settings.timezone,
            per_employee_tz=employee_zones(self.runtime.settings.employee_timezones, employees),
            rounding_for=resolver.rounding_for,
        )
        self._note_skips(agg, rec)
        for r in agg.rejected:
            k = r.aggregate.key
            self._problems[f"{r.reason}:{k.employee_ref}/{k.work_date}"] = (
                f"{r.reason}: employee {k.employee_ref} on {k.work_date}; 1C keeps what it holds for that day"
            )
        customers = {(a.key.object_type, a.key.object_ref): a.customer_ref for a in agg.aggregates}
        monday, sunday = week_of(window[0])[0], week_of(window[1])[1]
        written = load_written(session, channel, monday, sunday, closing, customers)
        desired = list(agg.aggregates) + self._hold(agg, written, window)
        diff = diff_labour(
            desired,
            written,
            channel=channel,
            closing_date=closing,
            policy=policy,
            window=window,
            billed=self._billed,
        )
        for c in diff.closed:
            ref = closed_change_ref(c)
            detail = f"{c.written_minutes} → {c.desired_minutes} min"
            kind = "billed_period" if c.billed else "closed_period"
            if c.policy == "adjust" and c.adjusted_on:
                rec.note(ref, "adjusted", kind, f"{detail}, written on {c.adjusted_on}")
            else:
                rec.note(ref, "parked", kind, detail)
                park(session, CLOSED_FAILURE, ref, c.reason, {"delta_minutes": c.delta_minutes})
        return diff.intents, diff.closed

    @staticmethod
    def _hold(agg: AggregationResult, written: list[Any], window: tuple[date, date]) -> list[LabourAggregate]:
        """Rejected days (e.g. over 24 h) keep what 1C already holds instead of being deleted."""
        bad = {r.aggregate.key for r in agg.rejected}
        return [
            LabourAggregate(w.key, w.minutes * 60, w.minutes, w.billable, w.evidence_url, w.customer_ref)
            for w in written
            if w.adjusts is None and w.key in bad and window[0] <= w.key.work_date <= window[1]
        ]

    @staticmethod
    def _note_skips(agg: AggregationResult, rec: RunRecorder) -> None:
        for reason, n in agg.skipped_seconds.items():
            rec.count(f"skipped_seconds:{reason}", n)
        for reason, items in agg.samples.items():
            extra = agg.skipped[reason] - len(items)
            for it in items:
                day = str(it.work_date) if it.work_date else None
                rec.note(f"{it.employee_key}/{it.task_code}", "skipped", reason, day)
            if extra > 0:
                rec.count("skipped", extra)
                rec.count(f"skipped:{reason}", extra)


__all__ = ["LabourEngine", "RunResult", "labour_key", "read_closing_date"]
