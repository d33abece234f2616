"""Aggregation of tracked time into the grain of 1C labour, with every skip named and counted.

Time is grouped by (employee, 1C object, local work date, work type); raw seconds are summed and
rounded once per aggregate. Time that cannot be placed — an unknown task code, an employee with
no 1C record, a static task with nothing to book on — is counted under a named reason with its
seconds and a few sample items, never dropped silently. An employee-day over 24 h is impossible
in 1C, so all of that day's aggregates are rejected together (which one is wrong is unknowable).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

from connector.sync.core.model import EmployeeRef, LabourAggregate, LabourKey, RoundingRule, Target, TimeSlice
from connector.sync.core.rounding import round_seconds
from connector.sync.core.timeutil import Zone, split_by_local_day, zone

SECONDS_PER_DAY = 24 * 60 * 60
SAMPLE_LIMIT = 20

UNKNOWN_TASK = "unknown_task"
UNMATCHED_EMPLOYEE = "unmatched_employee"
STATIC_TASK_WITHOUT_OBJECT = "static_task_without_object"
MISSING_WORK_TYPE = "missing_work_type"
NEGATIVE_DURATION = "negative_duration"
DAY_OVER_24H = "day_over_24h"


@dataclass(frozen=True)
class SkippedItem:
    """One example of skipped time, for the run record and the failed-items list."""

    reason: str
    employee_key: str
    task_code: str
    seconds: int
    source_entry_id: str | None = None
    work_date: date | None = None


@dataclass(frozen=True)
class RejectedAggregate:
    """An aggregate that must not be written (e.g. its employee-day exceeds 24 h)."""

    aggregate: LabourAggregate
    reason: str


@dataclass
class AggregationResult:
    """Aggregates to write, and everything that was not written with its reason.

    ``skipped`` counts items per reason (slices, or aggregates for ``day_over_24h``);
    ``skipped_seconds`` sums their time (negative slices contribute none), so the seconds of the
    non-negative input equal ``sum(a.seconds_raw for a in aggregates) + sum(skipped_seconds)``.
    """

    aggregates: list[LabourAggregate] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)
    skipped_seconds: Counter[str] = field(default_factory=Counter)
    samples: dict[str, list[SkippedItem]] = field(default_factory=dict)
    rejected: list[RejectedAggregate] = field(default_factory=list)

    def _skip(self, item: SkippedItem) -> None:
        self.skipped[item.reason] += 1
        self.skipped_seconds[item.reason] += max(item.seconds, 0)
        bucket = self.samples.setdefault(item.reason, [])
        if len(bucket) < SAMPLE_LIMIT:
            bucket.append(item)


@dataclass
class _Acc:
    seconds: int = 0
    billable: bool = False
    evidence: str | None = None
    customer: str | None = None
    rules: set[RoundingRule] = field(default_factory=set)


def _duration(s: TimeSlice) -> int:
    if s.start is not None and s.end is not None:
        return int((s.end - s.start).total_seconds())
    return s.seconds or 0


def _min_opt(a: str | None, b: str | None) -> str | None:
    if a is None or b is None:
        return a if b is None else b
    return min(a, b)


def aggregate(
    slices: Iterable[TimeSlice],
    *,
    resolve: Callable[[str], Target | None],
    match_employee: Callable[[str], EmployeeRef | None],
    tz: Zone,
    per_employee_tz: Mapping[EmployeeRef, Zone] | None = None,
    rounding_for: Callable[[Target], RoundingRule],
) -> AggregationResult:
    """Group ``slices`` into :class:`LabourAggregate` s in the company zone ``tz``.

    ``resolve`` maps a tracker task code to where its time goes in 1C (``None``: unknown);
    ``match_employee`` maps the tracker's employee key to the 1C employee (``None``: unmatched);
    ``per_employee_tz`` (keyed by 1C employee) overrides the zone for interval slices. Per-day
    slices are already dated by the tracker and keep their day. Targets without an object are
    booked by work type alone (sales categories); a target with neither is skipped as
    ``static_task_without_object``. An aggregate is billable if any of its time is (a slice's own
    flag wins over its target's); the evidence link and customer are the smallest non-empty
    values seen, so the output does not depend on input order. Output is sorted by key.
    """
    company_zone = zone(tz)
    employee_zones = {emp: zone(z) for emp, z in (per_employee_tz or {}).items()}
    targets: dict[str, Target | None] = {}
    employees: dict[str, EmployeeRef | None] = {}
    result = AggregationResult()
    acc: dict[LabourKey, _Acc] = defaultdict(_Acc)

    for s in slices:
        seconds = _duration(s)
        if seconds < 0:
            result._skip(
                SkippedItem(NEGATIVE_DURATION, s.employee_key, s.task_code, seconds, s.source_entry_id)
            )
            continue
        if seconds == 0:
            continue
        if s.task_code not in targets:
            targets[s.task_code] = resolve(s.task_code)
        target = targets[s.task_code]
        if target is None:
            result._skip(SkippedItem(UNKNOWN_TASK, s.employee_key, s.task_code, seconds, s.source_entry_id))
            continue
        if s.employee_key not in employees:
            employees[s.employee_key] = match_employee(s.employee_key)
        employee = employees[s.employee_key]
        if employee is None:
            result._skip(
                SkippedItem(UNMATCHED_EMPLOYEE, s.employee_key, s.task_code, seconds, s.source_entry_id)
            )
            continue
        if target.work_type_ref is None:
            reason = STATIC_TASK_WITHOUT_OBJECT if target.object_ref is None else MISSING_WORK_TYPE
            result._skip(SkippedItem(reason, s.employee_key, s.task_code, seconds, s.source_entry_id))
            continue

        if s.start is not None and s.end is not None:
            pieces = split_by_local_day(s.start, s.end, employee_zones.get(employee, company_zone))
        else:
            assert s.day is not None
            pieces = [(s.day, seconds)]
        billable = target.billable if s.billable is None else s.billable
        rule = rounding_for(target)
        for day, piece in pieces:
            key = LabourKey(employee, target.object_type, target.object_ref, day, target.work_type_ref)
            a = acc[key]
            a.seconds += piece
            a.billable = a.billable or billable
            a.evidence = _min_opt(a.evidence, s.evidence_url)
            a.customer = _min_opt(a.customer, target.customer_ref)
            a.rules.add(rule)

    day_totals: Counter[tuple[EmployeeRef, date]] = Counter()
    for key, a in acc.items():
        day_totals[(key.employee_ref, key.work_date)] += a.seconds

    for key in sorted(acc, key=LabourKey.sort_key):
        a = acc[key]
        rule = min(a.rules, key=lambda r: (r.unit_minutes, r.mode))
        overfull = day_totals[(key.employee_ref, key.work_date)] > SECONDS_PER_DAY
        agg = LabourAggregate(
            key=key,
            seconds_raw=a.seconds,
            minutes=round_seconds(a.seconds, rule),
            billable=a.billable,
            evidence_url=a.evidence,
            customer_ref=a.customer,
        )
        if overfull:
            result.rejected.append(RejectedAggregate(agg, DAY_OVER_24H))
            result._skip(
                SkippedItem(
                    DAY_OVER_24H, key.employee_ref, key.object_ref or "", a.seconds, None, key.work_date
                )
            )
        else:
            result.aggregates.append(agg)
    return result
