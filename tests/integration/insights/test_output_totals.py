"""The console's output page sums labour in the database; its figures equal the JSON output report
summed per employee and customer (amounts rounded per day as there), on SQLite and PostgreSQL."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy.orm import Session, sessionmaker

from connector.reports import HourlyRates, Window, output_report, output_totals
from connector.store.links import LinkData, upsert_link
from connector.store.models import Employee, Labour

WT_A, WT_B = "00000000-0000-4000-a000-00000000000a", "00000000-0000-4000-a000-00000000000b"


def seed(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as s:
        for n, customer in enumerate(("ООО Ромашка", "АО Вектор", "ООО Ромашка")):
            upsert_link(
                s,
                LinkData(
                    "service",
                    "Document_CRM_Интерес",
                    f"obj-{n}",
                    f"SRV-{n}",
                    "h",
                    payload={"customer": customer},
                ),
            )
        for e in range(2):
            s.add(Employee(onec_employee_ref=f"emp-{e}", name=f"Сотрудник {e}", email=f"e{e}@x.ru"))
        k = 0
        for e in range(2):
            for d in range(4):
                for n, wt, minutes, billable in (
                    (0, WT_A, 50, True),
                    (1, WT_B, 35, True),
                    (2, WT_A, 25, False),
                ):
                    k += 1
                    s.add(
                        Labour(
                            key=f"k{k}",
                            employee_ref=f"emp-{e}",
                            object_type="Document_CRM_Интерес",
                            object_ref=f"obj-{n}",
                            work_date=date(2026, 3, 2) + timedelta(days=d),
                            work_type_ref=wt,
                            minutes=minutes + e * 7 + d,
                            billable=billable,
                            state="written",
                        )
                    )


def test_the_pages_sums_equal_the_output_report(sessions: sessionmaker[Session]) -> None:
    seed(sessions)
    rates = HourlyRates(default=1000.0, by_work_type={WT_B: 1333.33})
    span = Window(date(2026, 3, 1), date(2026, 3, 31))
    with sessions() as s:
        totals = output_totals(s, span, rates)
        report = output_report(s, span, rates)
    expected: dict[tuple[str, str], list[object]] = defaultdict(lambda: [0, 0, Decimal(0)])
    for r in report:
        row = expected[(r["employee"], r["customer"] or "—")]
        row[0] += r["minutes"]  # type: ignore[operator]
        row[1] += r["billable_minutes"]  # type: ignore[operator]
        row[2] += Decimal(str(r["money"]))  # type: ignore[operator]
    assert {k: (m, b, a) for k, (m, b, a) in totals.items()} == {k: tuple(v) for k, v in expected.items()}
    assert ("Сотрудник 1", "ООО Ромашка") in totals and totals[("Сотрудник 1", "АО Вектор")][2] is not None
    with sessions() as s:
        unpriced = output_totals(s, span, HourlyRates())
    assert all(a is None for _, _, a in unpriced.values())
