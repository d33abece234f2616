"""Billing detail: billable labour of a customer by object, work type, employee and day, priced
at the customer's rate for the work type (else the general rate of that work type).

Amounts are hours × rate, exact in decimals and rounded to kopecks per line; a line without a
rate keeps its hours and has no amount (it is counted as unpriced, never as zero).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from connector.sync.core.model import LabourAggregate

CENT = Decimal("0.01")
Rates = Mapping[tuple[str, str | None], Decimal]


@dataclass(frozen=True)
class BillLine:
    customer: str | None
    object_ref: str | None
    work_type: str
    employee_ref: str
    day: date
    minutes: int
    rate: Decimal | None
    amount: Decimal | None
    evidence_url: str | None = None


@dataclass(frozen=True)
class CustomerTotal:
    customer: str | None
    minutes: int
    amount: Decimal
    unpriced_minutes: int


def rate_of(
    rates: Rates, work_type: str, customer: str | None, aliases: Iterable[str] = ()
) -> Decimal | None:
    """The customer's own rate for the work type, else the general one; ``aliases`` are other
    names of the same work type (its GUID and its description)."""
    names = [work_type, *aliases]
    for who in (customer, None) if customer is not None else (None,):
        for name in names:
            found = rates.get((name, who))
            if found is not None:
                return found
    return None


def bill(
    aggregates: Iterable[LabourAggregate],
    rates: Rates,
    aliases: Callable[[str], Iterable[str]] = lambda _: (),
    customer: str | None = None,
    first: date | None = None,
    last: date | None = None,
) -> tuple[list[BillLine], list[CustomerTotal]]:
    """Billable lines (of one ``customer`` when given, within [first, last]) and totals per
    customer, in customer → object → work type → employee → day order."""
    lines: list[BillLine] = []
    for a in aggregates:
        k = a.key
        if not a.billable or a.minutes <= 0:
            continue
        if customer is not None and a.customer_ref != customer:
            continue
        if (first is not None and k.work_date < first) or (last is not None and k.work_date > last):
            continue
        rate = rate_of(rates, k.work_type_ref, a.customer_ref, aliases(k.work_type_ref))
        amount = None if rate is None else (Decimal(a.minutes) / 60 * rate).quantize(CENT, ROUND_HALF_UP)
        lines.append(
            BillLine(
                a.customer_ref,
                k.object_ref,
                k.work_type_ref,
                k.employee_ref,
                k.work_date,
                a.minutes,
                rate,
                amount,
                a.evidence_url,
            )
        )
    lines.sort(key=lambda x: (x.customer or "", x.object_ref or "", x.work_type, x.employee_ref, x.day))
    totals: dict[str | None, list[int | Decimal]] = {}
    for line in lines:
        t = totals.setdefault(line.customer, [0, Decimal(0), 0])
        t[0] = int(t[0]) + line.minutes
        if line.amount is None:
            t[2] = int(t[2]) + line.minutes
        else:
            t[1] = Decimal(t[1]) + line.amount
    out = [CustomerTotal(c, int(v[0]), Decimal(v[1]), int(v[2])) for c, v in totals.items()]
    out.sort(key=lambda t: t.customer or "")
    return lines, out
