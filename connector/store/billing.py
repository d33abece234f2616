"""Billed periods in the store: closing a customer's period, and what is billed through when.

Closing is refused while labour of that customer in the period is not settled in 1C (waiting,
failed or parked): an invoice must not be frozen on numbers 1C does not hold yet.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from connector.store.models import BilledPeriod, Labour, Link

GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


class BillingError(ValueError):
    """A close that cannot be done; ``unsettled`` lists what holds it back."""

    def __init__(self, message: str, unsettled: list[dict[str, object]] | None = None) -> None:
        super().__init__(message)
        self.unsettled = unsettled or []


@dataclass(frozen=True)
class Customer:
    ref: str
    name: str


def billed_through(session: Session) -> dict[str, date]:
    """Customer ref → the last day billed to it."""
    rows = session.execute(
        select(BilledPeriod.customer_ref, func.max(BilledPeriod.last_day)).group_by(BilledPeriod.customer_ref)
    )
    return {ref: day for ref, day in rows}


def customers(session: Session) -> dict[str, str]:
    """Customer ref → name, for every customer with labour (names from the objects' links)."""
    name = Link.payload["customer"].as_string()  # extracted by the database, not decoded here
    pairs = (
        select(Labour.customer_ref, name)
        .join(Link, Link.onec_ref == Labour.object_ref, isouter=True)
        .where(Labour.customer_ref.is_not(None))
        .distinct()
    )
    out: dict[str, str] = {}
    for customer_ref, customer in session.execute(pairs):
        if customer_ref and (customer or customer_ref not in out):
            out[customer_ref] = customer or out.get(customer_ref, "")
    return out


def resolve_customer(session: Session, text: str) -> Customer:
    """The customer named by ``text``: its 1C ref (GUID) or its name as reports show it."""
    wanted = text.strip()
    known = customers(session)
    if GUID.match(wanted):
        ref = wanted.lower()
        return Customer(ref, known.get(ref, ""))
    found = sorted(ref for ref, name in known.items() if name.casefold() == wanted.casefold())
    if len(found) == 1:
        return Customer(found[0], known[found[0]])
    if not found:
        sample = ", ".join(sorted({n for n in known.values() if n})[:5]) or "none with labour yet"
        raise BillingError(f"no customer {wanted!r} with labour; give its 1C ref or one of: {sample}")
    raise BillingError(
        f"{len(found)} customers are named {wanted!r}; give the 1C ref of one: {', '.join(found)}"
    )


def unsettled(session: Session, customer_ref: str, last_day: date) -> list[dict[str, object]]:
    """Labour of the customer dated up to ``last_day`` that 1C does not hold as computed."""
    rows = session.execute(
        select(Labour)
        .where(
            Labour.customer_ref == customer_ref,
            Labour.work_date <= last_day,
            (Labour.written_minutes.is_(None) & (Labour.minutes != 0))
            | (Labour.written_minutes != Labour.minutes),
        )
        .order_by(Labour.work_date, Labour.key)
    ).scalars()
    return [
        {
            "key": r.key,
            "date": r.work_date.isoformat(),
            "minutes": r.minutes,
            "in_1c_minutes": r.written_minutes,
            "state": r.state,
        }
        for r in rows
    ]


def close_period(session: Session, customer: Customer, last_day: date) -> BilledPeriod:
    """Mark the customer's labour billed through ``last_day`` (refused while anything is unsettled
    or when an equal or later period is already closed)."""
    current = billed_through(session).get(customer.ref)
    if current is not None and last_day <= current:
        raise BillingError(f"{customer.name or customer.ref} is already billed through {current.isoformat()}")
    waiting = unsettled(session, customer.ref, last_day)
    if waiting:
        raise BillingError(
            f"{len(waiting)} labour row(s) of {customer.name or customer.ref} up to {last_day.isoformat()} "
            "are not settled in 1C; deliver or resolve them first (see `onec-bridge failures`)",
            waiting,
        )
    period = BilledPeriod(customer_ref=customer.ref, customer=customer.name, last_day=last_day)
    session.add(period)
    session.flush()
    return period


def periods(session: Session) -> list[BilledPeriod]:
    return list(
        session.execute(select(BilledPeriod).order_by(BilledPeriod.customer, BilledPeriod.last_day)).scalars()
    )
