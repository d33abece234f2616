"""One page of the billing report, computed by the database instead of pricing the whole month.

``reports.billing_report`` prices every billable line of the window and then the console shows
fifty of them. A month of a large base is tens of thousands of lines, so the console asks here:

- the customers' blocks (lines per customer) and their totals come from ``GROUP BY`` queries —
  a total's amount is summed per distinct (customer, work type, minutes) line, each priced and
  rounded as ``bill`` prices one line, so it equals the sum of the rounded lines exactly;
- only the lines on the page are read, in the report's order (customer → object → work type →
  employee → day, then the row key), with ``OFFSET``/``LIMIT``.

The rows are the same dicts ``billing_report`` makes, in the same order (every line, then one
``total`` row per customer): ``billing_page(…, offset, limit)`` equals
``billing_report(…)[offset:offset + limit]`` (a test checks it on SQLite and PostgreSQL).
"""

from __future__ import annotations

from collections.abc import Mapping as Mapping_
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import func, literal, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from connector.mapping.schema import Mapping
from connector.reports import Directory, Window, _hours, _task_names, _work_type_names, after_billing
from connector.store.models import Labour, Link
from connector.sync.core.billing import CENT, rate_of


@dataclass(frozen=True)
class BillingPage:
    rows: list[dict[str, Any]]
    total: int
    """Rows of the whole report (lines and customer totals), for the pager."""


def _binary(session: Session, column: Any) -> ColumnElement[Any]:
    """Order by code point as Python does (PostgreSQL's default collation would not)."""
    return column.collate("C") if session.get_bind().dialect.name == "postgresql" else column


def billing_page(
    session: Session,
    mappings: Sequence[Mapping],
    window: Window,
    rates: Mapping_[tuple[str, str | None], Decimal],
    customer: str | None,
    offset: int,
    limit: int,
) -> BillingPage:
    """The rows ``offset … offset + limit`` of the billing report of ``window`` (see module doc)."""
    name = Link.payload["customer"].as_string()
    customer_of = func.coalesce(name, literal(""))
    conditions = [Labour.billable.is_(True), Labour.minutes > 0]
    if window.first is not None:
        conditions.append(Labour.work_date >= window.first)
    if window.last is not None:
        conditions.append(Labour.work_date <= window.last)
    if customer is not None:
        conditions.append(name == customer)
    joined = Labour.__table__.outerjoin(Link.__table__, Link.onec_ref == Labour.object_ref)
    names = _work_type_names(mappings)

    # Each customer's lines and priced total, summed by distinct line minutes.
    blocks: dict[str, list[Any]] = {}
    groups = session.execute(
        select(customer_of, Labour.work_type_ref, Labour.minutes, func.count())
        .select_from(joined)
        .where(*conditions)
        .group_by(customer_of, Labour.work_type_ref, Labour.minutes)
    )
    for who, work_type, minutes, count in groups:
        block = blocks.setdefault(who, [0, 0, Decimal(0), 0])  # lines, minutes, amount, unpriced
        block[0] += count
        block[1] += minutes * count
        rate = rate_of(rates, work_type, who or None, names.get(work_type, ()))
        if rate is None:
            block[3] += minutes * count
        else:
            block[2] += (Decimal(minutes) / 60 * rate).quantize(CENT, ROUND_HALF_UP) * count
    order = sorted(blocks)
    line_count = sum(blocks[c][0] for c in order)
    total_rows = line_count + len(order)
    end = offset + limit
    first_line, last_line = offset, min(end, line_count) - 1
    # After every line, one total row per customer in the customers' order.
    totals_on_page = {line_count + i: who for i, who in enumerate(order) if offset <= line_count + i < end}

    lines: list[dict[str, Any]] = []
    if first_line <= last_line:
        query = (
            select(
                customer_of.label("customer"),
                Labour.object_ref,
                Labour.work_type_ref,
                Labour.employee_ref,
                Labour.work_date,
                Labour.minutes,
            )
            .select_from(joined)
            .where(*conditions)
            .order_by(
                _binary(session, customer_of),
                _binary(session, func.coalesce(Labour.object_ref, literal(""))),
                _binary(session, Labour.work_type_ref),
                _binary(session, Labour.employee_ref),
                Labour.work_date,
                _binary(session, Labour.key),
            )
            .offset(first_line)
            .limit(last_line - first_line + 1)
        )
        lines = [dict(r._mapping) for r in session.execute(query)]

    directory = Directory.load(session, ())
    tasks = _task_names(session, (r["object_ref"] for r in lines))
    after = after_billing(session) if lines else {}
    rows: list[dict[str, Any]] = []
    line_rows = iter(lines)
    for at in range(offset, min(end, total_rows)):
        who_total = totals_on_page.get(at)
        if who_total is not None:
            count, minutes, amount, unpriced = blocks[who_total]
            rows.append(
                {
                    "level": "total",
                    "customer": who_total or None,
                    "minutes": minutes,
                    "hours": _hours(minutes),
                    "amount": float(amount),
                    "unpriced_hours": _hours(unpriced),
                }
            )
            continue
        r = next(line_rows)
        who, object_ref, work_type = r["customer"] or None, r["object_ref"] or None, r["work_type_ref"]
        rate = rate_of(rates, work_type, who, names.get(work_type, ()))
        amount_ = None if rate is None else (Decimal(r["minutes"]) / 60 * rate).quantize(CENT, ROUND_HALF_UP)
        code, title = tasks.get(object_ref or "", (None, None))
        rows.append(
            {
                "level": "line",
                "customer": who,
                "task_code": code,
                "title": title,
                "work_type": (names.get(work_type) or (work_type,))[0],
                **directory.employee(r["employee_ref"]),
                "date": r["work_date"].isoformat(),
                "minutes": r["minutes"],
                "hours": _hours(r["minutes"]),
                "rate": None if rate is None else float(rate),
                "amount": None if amount_ is None else float(amount_),
                "evidence_url": None,
                "after_billing": after.get((r["employee_ref"], object_ref, r["work_date"], work_type)),
            }
        )
    return BillingPage(rows, total_rows)
