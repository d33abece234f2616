"""The console's billing page reads one page from the database; every page equals the same slice of
the whole billing report (lines, customer totals, amounts, corrections after billing), on SQLite
and PostgreSQL — including Cyrillic and Latin customer names whose order differs by collation."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session, sessionmaker

from connector.reports import Window, billing_report
from connector.reports.billing_page import billing_page
from connector.store.links import LinkData, upsert_link
from connector.store.models import BilledPeriod, Employee, Labour

WT_A, WT_B, WT_FREE = (f"00000000-0000-4000-a000-00000000000{c}" for c in "abc")
CUSTOMERS = ("ООО Ромашка", "АО Вектор", "Zeta Ltd", "alpha GmbH", "ёлка", None)
RATES = {
    (WT_A, None): Decimal("1000"),
    (WT_B, None): Decimal("1333.33"),
    (WT_A, "АО Вектор"): Decimal("1777.77"),
}  # WT_FREE has no rate: its hours are unpriced


def seed(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as s:
        for n, customer in enumerate(CUSTOMERS):
            payload = {"customer": customer} if customer else {}
            upsert_link(
                s, LinkData("service", "Document_CRM_Интерес", f"obj-{n}", f"SRV-{n}", "h", payload=payload)
            )
        for e in range(3):
            s.add(Employee(onec_employee_ref=f"emp-{e}", name=f"Сотрудник {e}", email=f"e{e}@x.ru"))
        k = 0
        for e in range(3):
            for d in range(6):
                for n in range(len(CUSTOMERS) + 1):  # the last object has no link (no customer)
                    wt = (WT_A, WT_B, WT_FREE)[(n + d) % 3]
                    k += 1
                    s.add(
                        Labour(
                            key=f"k{k:04d}",
                            employee_ref=f"emp-{e}",
                            object_type="Document_CRM_Интерес",
                            object_ref=f"obj-{n}",
                            work_date=date(2026, 3, 2) + timedelta(days=d),
                            work_type_ref=wt,
                            minutes=(k * 7) % 95 - 5,  # some zero and negative rows: never billed
                            billable=(k % 5) != 0,
                            state="written",
                        )
                    )
        # A correction of a day already billed to its customer (an adjustment row).
        s.add(
            Labour(
                key="emp-0|obj-1|2026-03-09|adj:2026-03-03",
                employee_ref="emp-0",
                object_type="Document_CRM_Интерес",
                object_ref="obj-1",
                work_date=date(2026, 3, 9),
                work_type_ref=WT_A,
                minutes=40,
                billable=True,
                customer_ref="cust-vector",
                state="written",
            )
        )
        s.add(BilledPeriod(customer_ref="cust-vector", customer="АО Вектор", last_day=date(2026, 3, 5)))


@pytest.mark.parametrize("customer", [None, "АО Вектор"])
def test_every_page_is_the_same_slice_of_the_report(
    sessions: sessionmaker[Session], customer: str | None
) -> None:
    seed(sessions)
    span = Window(date(2026, 3, 1), date(2026, 3, 31))
    with sessions() as s:
        report = billing_report(s, [], span, RATES, customer)
        assert any(r["level"] == "total" and r["unpriced_hours"] for r in report)
        assert any(r.get("after_billing") == "2026-03-03" for r in report)
        for limit in (7, 50):
            for offset in range(0, len(report) + limit, limit):
                page = billing_page(s, [], span, RATES, customer, offset, limit)
                assert page.total == len(report)
                assert page.rows == report[offset : offset + limit], (offset, limit)
    customers = [r["customer"] for r in report if r["level"] == "total"]
    assert customers == sorted(customers, key=lambda c: c or "")
    if customer is None:
        assert customers == [None, "Zeta Ltd", "alpha GmbH", "АО Вектор", "ООО Ромашка", "ёлка"]


def test_a_window_without_billable_labour_is_one_empty_page(sessions: sessionmaker[Session]) -> None:
    seed(sessions)
    with sessions() as s:
        page = billing_page(s, [], Window(date(2025, 1, 1), date(2025, 1, 31)), RATES, None, 0, 50)
    assert page.rows == [] and page.total == 0
