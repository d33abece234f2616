"""Diff of desired labour against what was last written to 1C: delivery intents keyed by target.

A target is what one writer owns at a time: for the OData channel the employee's ISO week (one
``Document_УчетВремени`` per employee per week, so an intent carries the week's full row set);
for SOAP the row key (one row per employee, object, day and work type; 0 minutes deletes).
An unchanged target yields no intent, so a no-change tick writes nothing.

Closed periods are never forced. A day is closed when 1C would refuse to write it: for SOAP a
date on or before the closing date; for OData a date whose week's document is dated (Monday,
``ДатаС``) on or before it, which closes the whole week. A difference on a closed day becomes a
:class:`ClosedPeriodChange`: with policy ``park`` it is only reported (again on every run until
resolved); with ``adjust`` the delta is written as a separate adjustment row on the first open
day (SOAP: the day after the closing date; OData: the Monday of the first open week) whose
comment names the original date. Adjustments already written count towards a closed day, so a
later run neither repeats nor loses them. Adjustment rows may be negative (a reduction).

A period billed to a customer (``billed``: customer → billed-through date) is frozen the same
way for that customer's rows whatever the policy: the invoice already sent is never contradicted,
a later correction is always written as an adjustment on the day after the billed period (or the
first day 1C accepts, if later), with a comment saying it came after billing.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from collections.abc import Mapping as AnyMapping
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

from connector.sync.core.keys import adjustment_row_key, row_key, week_row_key, week_target
from connector.sync.core.model import (
    Channel,
    ClosedPeriodChange,
    ClosedPeriodPolicy,
    LabourAggregate,
    LabourIntent,
    LabourKey,
    WeekRow,
    WrittenLabour,
)
from connector.sync.core.timeutil import week_of


@dataclass(frozen=True)
class LabourDiff:
    """Intents to deliver (sorted by target) and the closed-period differences found."""

    intents: list[LabourIntent] = field(default_factory=list)
    closed: list[ClosedPeriodChange] = field(default_factory=list)


def is_closed(day: date, channel: Channel, closing_date: date | None) -> bool:
    """Whether 1C refuses labour for ``day`` through ``channel`` given its closing date."""
    if closing_date is None:
        return False
    if channel == "odata_timesheet":
        return week_of(day)[0] <= closing_date
    return day <= closing_date


def first_open_day(channel: Channel, closing_date: date) -> date:
    """Where adjustments of closed days are written: the first day 1C accepts through ``channel``."""
    if channel == "odata_timesheet":
        monday = week_of(closing_date)[0]
        return monday + timedelta(days=7)
    return closing_date + timedelta(days=1)


NEGATIVE_SOAP_ADJUSTMENT = (
    "the reduction cannot be written as an adjustment: the labour service takes no negative minutes; "
    "correct the closed day in 1C or reopen the period"
)


def adjustment_comment(original: date, closing_date: date, billed: bool = False) -> str:
    """The 1C row comment of an adjustment: it names the corrected (closed or billed) date."""
    if billed:
        return f"Корректировка за {original:%d.%m.%Y} после выставления счёта по {closing_date:%d.%m.%Y}"
    return f"Корректировка за {original:%d.%m.%Y}: период закрыт по {closing_date:%d.%m.%Y}"


def billed_placement(channel: Channel, billed_until: date, closing_date: date | None) -> date:
    """Where a correction of a billed day goes: the day after the billed period, or the first day
    1C accepts through ``channel`` when that day is closed in 1C."""
    placed = billed_until + timedelta(days=1)
    if closing_date is not None and is_closed(placed, channel, closing_date):
        return first_open_day(channel, closing_date)
    return placed


def make_entry(
    key: LabourKey,
    minutes: int,
    channel: Channel,
    *,
    billable: bool = True,
    customer_ref: str | None = None,
    evidence_url: str | None = None,
    adjusts: date | None = None,
    comment: str | None = None,
) -> WrittenLabour:
    """A row as it is written through ``channel``, with its row key and delivery target."""
    emp, obj, day, wt = key.employee_ref, key.object_ref, key.work_date, key.work_type_ref
    if channel == "soap":
        rk = row_key(emp, obj, day, wt)
    else:
        rk = week_row_key(emp, obj, day, wt)
    if adjusts is not None:
        rk = adjustment_row_key(rk, adjusts)
    target = rk if channel == "soap" else week_target(emp, day)
    return WrittenLabour(key, minutes, target, rk, billable, customer_ref, evidence_url, adjusts, comment)


def _entry_from(agg: LabourAggregate, channel: Channel) -> WrittenLabour:
    return make_entry(
        agg.key,
        agg.minutes,
        channel,
        billable=agg.billable,
        customer_ref=agg.customer_ref,
        evidence_url=agg.evidence_url,
    )


def _sorted(entries: Iterable[WrittenLabour]) -> list[WrittenLabour]:
    return sorted(entries, key=lambda e: (e.row_key, e.key.work_date))


def week_rows(entries: Sequence[WrittenLabour]) -> tuple[WeekRow, ...]:
    """The document rows of one employee-week: per row key, minutes per weekday Monday..Sunday.

    A row's customer is the smallest one seen, its evidence link the earliest day's, its
    billability true if any day is billable.
    """
    by_row: dict[str, list[WrittenLabour]] = defaultdict(list)
    for e in entries:
        by_row[e.row_key].append(e)
    rows = []
    for rk in sorted(by_row):
        days = sorted(by_row[rk], key=lambda e: e.key.work_date)
        minutes = [0] * 7
        for e in days:
            minutes[e.key.work_date.weekday()] += e.minutes
        first = days[0]
        customers = [e.customer_ref for e in days if e.customer_ref]
        evidence = [e.evidence_url for e in days if e.evidence_url]
        comments = [e.comment for e in days if e.comment]
        rows.append(
            WeekRow(
                row_key=rk,
                object_type=first.key.object_type,
                object_ref=first.key.object_ref,
                work_type_ref=first.key.work_type_ref,
                customer_ref=min(customers) if customers else None,
                billable=any(e.billable for e in days),
                day_minutes=(
                    minutes[0],
                    minutes[1],
                    minutes[2],
                    minutes[3],
                    minutes[4],
                    minutes[5],
                    minutes[6],
                ),
                evidence_url=evidence[0] if evidence else None,
                comment=comments[0] if comments else None,
            )
        )
    return tuple(rows)


def _index_written(
    written: Iterable[WrittenLabour],
) -> tuple[list[WrittenLabour], dict[LabourKey, WrittenLabour], dict[tuple[LabourKey, date], WrittenLabour]]:
    all_rows: list[WrittenLabour] = []
    normal: dict[LabourKey, WrittenLabour] = {}
    adjustments: dict[tuple[LabourKey, date], WrittenLabour] = {}
    for w in written:
        all_rows.append(w)
        if w.adjusts is None:
            if w.key in normal:
                raise ValueError(f"written labour lists {w.key} twice")
            normal[w.key] = w
        else:
            adjustments[(replace(w.key, work_date=w.adjusts), w.key.work_date)] = w
    return all_rows, normal, adjustments


def diff_labour(
    desired: Iterable[LabourAggregate],
    written: Iterable[WrittenLabour],
    *,
    channel: Channel,
    closing_date: date | None = None,
    policy: ClosedPeriodPolicy = "park",
    window: tuple[date, date] | None = None,
    billed: AnyMapping[str, date] | None = None,
) -> LabourDiff:
    """Intents that make 1C hold ``desired`` where it now holds ``written``.

    ``window`` (inclusive) is the period ``desired`` is authoritative for; written rows outside it
    are kept as they are (a week crossing the window edge keeps its other days). Without a window
    everything given is authoritative. Aggregates of 0 minutes mean "nothing to write".
    ``billed`` maps a customer ref to the last day billed to it (see the module's text).
    """
    if policy not in ("park", "adjust"):
        raise ValueError(f"closed-period policy must be park or adjust, got {policy!r}")
    want: dict[LabourKey, LabourAggregate] = {}
    for agg in desired:
        if agg.minutes < 0:
            raise ValueError(f"negative labour for {agg.key}: {agg.minutes} min")
        if window is not None and not window[0] <= agg.key.work_date <= window[1]:
            raise ValueError(
                f"aggregate dated {agg.key.work_date} lies outside the window {window[0]}..{window[1]}"
            )
        if agg.key in want:
            raise ValueError(f"desired labour lists {agg.key} twice")
        if agg.minutes:
            want[agg.key] = agg
    all_written, normal, adjustments = _index_written(written)

    def authoritative(day: date) -> bool:
        return window is None or window[0] <= day <= window[1]

    entries: list[WrittenLabour] = []
    changes: list[ClosedPeriodChange] = []
    adjusted: dict[tuple[LabourKey, date], int] = {k: w.minutes for k, w in adjustments.items()}
    meta: dict[tuple[LabourKey, date], LabourAggregate | WrittenLabour] = dict(adjustments)
    already: Counter[LabourKey] = Counter()
    for (orig, _), old_adj in adjustments.items():
        already[orig] += old_adj.minutes
    why: dict[tuple[LabourKey, date], tuple[date, bool]] = {}  # adjustment → (limit, billed)
    for key in sorted(set(want) | set(normal) | set(already), key=LabourKey.sort_key):
        w, a = normal.get(key), want.get(key)
        customer = (a.customer_ref if a else None) or (w.customer_ref if w else None)
        billed_until = (billed or {}).get(customer) if customer else None
        is_billed = billed_until is not None and key.work_date <= billed_until
        closed = is_billed or is_closed(key.work_date, channel, closing_date)
        if not authoritative(key.work_date) or closed:
            if w is not None:
                entries.append(w)
            if not closed or not authoritative(key.work_date):
                continue
            limit = billed_until if is_billed and billed_until is not None else closing_date
            assert limit is not None
            effective = (w.minutes if w else 0) + already[key]
            wanted = a.minutes if a else 0
            if wanted == effective:
                continue
            if is_billed:
                placed: date | None = billed_placement(channel, limit, closing_date)
            else:
                placed = first_open_day(channel, limit) if policy == "adjust" else None
            rule: ClosedPeriodPolicy = "adjust" if is_billed else policy
            if placed is None:
                changes.append(ClosedPeriodChange(key, effective, wanted, rule, limit, billed=is_billed))
                continue
            why[(key, placed)] = (limit, is_billed)
            earlier = adjusted.get((key, placed), 0)
            total = earlier + wanted - effective
            meta[(key, placed)] = a or w or next(v for (o, _), v in adjustments.items() if o == key)
            if total < 0 and channel == "soap":
                # The labour service stores minutes per day, never negative: take back what earlier
                # adjustments added and park the rest of the reduction instead of sending a row 1C refuses.
                adjusted[(key, placed)] = 0
                changes.append(
                    ClosedPeriodChange(
                        key,
                        effective - earlier,
                        wanted,
                        rule,
                        limit,
                        None,
                        NEGATIVE_SOAP_ADJUSTMENT,
                        is_billed,
                    )
                )
                continue
            adjusted[(key, placed)] = total
            changes.append(ClosedPeriodChange(key, effective, wanted, rule, limit, placed, billed=is_billed))
        elif a is not None:
            entries.append(_entry_from(a, channel))

    for (orig, placed), minutes in sorted(adjusted.items(), key=lambda kv: (kv[0][0].sort_key(), kv[0][1])):
        old = adjustments.get((orig, placed))
        if old is not None and old.minutes == minutes:
            entries.append(old)
        elif minutes != 0:
            src = meta[(orig, placed)]
            limit, was_billed = why.get((orig, placed), (closing_date, False))
            entries.append(
                make_entry(
                    replace(orig, work_date=placed),
                    minutes,
                    channel,
                    billable=src.billable,
                    customer_ref=src.customer_ref,
                    evidence_url=src.evidence_url,
                    adjusts=orig.work_date,
                    comment=adjustment_comment(orig.work_date, limit, was_billed) if limit else None,
                )
            )

    return LabourDiff(_intents(entries, all_written, channel, closing_date), changes)


def _intents(
    entries: list[WrittenLabour], written: list[WrittenLabour], channel: Channel, closing_date: date | None
) -> list[LabourIntent]:
    new_by_target: dict[str, list[WrittenLabour]] = defaultdict(list)
    old_by_target: dict[str, list[WrittenLabour]] = defaultdict(list)
    for e in entries:
        new_by_target[e.target].append(e)
    for w in written:
        old_by_target[w.target].append(w)
    intents = []
    for target in sorted(set(new_by_target) | set(old_by_target)):
        new, old = _sorted(new_by_target[target]), _sorted(old_by_target[target])
        if Counter(e.compared() for e in new) == Counter(w.compared() for w in old):
            continue
        sample = (new or old)[0]
        if is_closed(sample.key.work_date, channel, closing_date):
            continue
        odata = channel == "odata_timesheet"
        intents.append(
            LabourIntent(
                target_key=target,
                channel=channel,
                kind="upsert" if new else "remove",
                employee_ref=sample.key.employee_ref,
                entries=tuple(new),
                previous=tuple(old),
                week_start=week_of(sample.key.work_date)[0] if odata else None,
                week_rows=week_rows(new) if odata else (),
            )
        )
    return intents


def apply_intents(written: Iterable[WrittenLabour], intents: Iterable[LabourIntent]) -> list[WrittenLabour]:
    """The written state after every intent was delivered: each target replaced by its entries."""
    intents = list(intents)
    replaced = {i.target_key for i in intents}
    kept = [w for w in written if w.target not in replaced]
    return kept + [e for i in intents for e in i.entries]
