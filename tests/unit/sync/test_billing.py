"""Billing detail: hand-computed amounts, customer rates over general ones, unpriced hours."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from connector.sync.core.billing import bill, rate_of
from connector.sync.core.model import LabourAggregate, LabourKey

RATES = {("consult", None): Decimal("2500"), ("consult", "Romashka"): Decimal("3000")}


def agg(
    emp: str, day: int, minutes: int, customer: str | None, billable: bool = True, wt: str = "consult"
) -> LabourAggregate:
    key = LabourKey(emp, "Document_CRM_Интерес", f"obj-{customer}", date(2026, 11, day), wt)
    return LabourAggregate(key, minutes * 60, minutes, billable, f"https://t/{emp}/{day}", customer)


def test_rates_customer_first_then_general_then_none() -> None:
    assert rate_of(RATES, "consult", "Romashka") == Decimal("3000")
    assert rate_of(RATES, "consult", "Vektor") == Decimal("2500")
    assert rate_of(RATES, "design", "Romashka") is None
    assert rate_of(RATES, "guid-1", None, aliases=["consult"]) == Decimal("2500")


def test_lines_and_totals_by_hand() -> None:
    lines, totals = bill(
        [
            agg("ivanov", 2, 90, "Romashka"),  # 1.5 h × 3000 = 4500.00
            agg("petrov", 2, 20, "Romashka"),  # 1/3 h × 3000 = 1000.00
            agg("ivanov", 3, 50, "Vektor"),  # 5/6 h × 2500 = 2083.33
            agg("ivanov", 3, 60, "Vektor", billable=False),  # not billable: not billed
            agg("ivanov", 4, 30, "Vektor", wt="design"),  # no rate: hours kept, no amount
        ],
        RATES,
    )
    assert [(x.employee_ref, x.amount) for x in lines] == [
        ("ivanov", Decimal("4500.00")),
        ("petrov", Decimal("1000.00")),
        ("ivanov", Decimal("2083.33")),
        ("ivanov", None),
    ]
    assert lines[0].evidence_url == "https://t/ivanov/2"
    assert [(t.customer, t.minutes, t.amount, t.unpriced_minutes) for t in totals] == [
        ("Romashka", 110, Decimal("5500.00"), 0),
        ("Vektor", 80, Decimal("2083.33"), 30),
    ]


def test_one_customer_and_a_period() -> None:
    data = [
        agg("ivanov", 2, 90, "Romashka"),
        agg("ivanov", 9, 60, "Romashka"),
        agg("ivanov", 3, 50, "Vektor"),
    ]
    lines, totals = bill(data, RATES, customer="Romashka", first=date(2026, 11, 1), last=date(2026, 11, 5))
    assert [(x.customer, x.day.day) for x in lines] == [("Romashka", 2)]
    assert [t.customer for t in totals] == ["Romashka"]


@given(st.lists(st.tuples(st.integers(1, 600), st.sampled_from(["Romashka", "Vektor", None])), max_size=30))
def test_totals_are_the_sum_of_their_lines(items: list[tuple[int, str | None]]) -> None:
    lines, totals = bill([agg(f"e{i}", 1 + i % 28, m, c) for i, (m, c) in enumerate(items)], RATES)
    for total in totals:
        mine = [x for x in lines if x.customer == total.customer]
        assert total.minutes == sum(x.minutes for x in mine)
        assert total.amount == sum((x.amount or Decimal(0) for x in mine), Decimal(0))
