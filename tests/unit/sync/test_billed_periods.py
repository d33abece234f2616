"""Billed periods in the labour diff: a customer's billed days never change in 1C; a later
correction is an adjustment after the billed period, whatever the closed-period policy."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from connector.sync.core.labour_diff import apply_intents, diff_labour
from connector.sync.core.model import Channel, LabourAggregate, LabourKey, WrittenLabour

INTEREST = "Document_CRM_Интерес"
MAR_5 = date(2026, 3, 5)  # a Thursday
BILLED = {"cust-billed": date(2026, 3, 31)}


def agg(day: date, minutes: int, customer: str = "cust-billed", obj: str = "obj-1") -> LabourAggregate:
    return LabourAggregate(
        LabourKey("emp-1", INTEREST, obj, day, "wt-1"), minutes * 60, minutes, True, None, customer
    )


def held(desired: list[LabourAggregate], channel: Channel) -> list[WrittenLabour]:
    return apply_intents([], diff_labour(desired, [], channel=channel).intents)


def test_soap_a_correction_of_a_billed_day_is_an_adjustment_on_the_next_day() -> None:
    written = held([agg(MAR_5, 120)], "soap")
    diff = diff_labour([agg(MAR_5, 180)], written, channel="soap", policy="park", billed=BILLED)
    [change] = diff.closed
    assert (change.billed, change.policy, change.adjusted_on, change.delta_minutes) == (
        True,
        "adjust",
        date(2026, 4, 1),
        60,
    )
    assert change.reason == "billed_period: 2026-03-05 was billed to the customer through 2026-03-31"
    [intent] = diff.intents
    [row] = intent.entries
    assert (row.key.work_date, row.adjusts, row.minutes) == (date(2026, 4, 1), MAR_5, 60)
    assert row.comment == "Корректировка за 05.03.2026 после выставления счёта по 31.03.2026"
    after = apply_intents(written, diff.intents)
    assert [(w.key.work_date, w.minutes, w.adjusts) for w in after if w.adjusts is None] == [
        (MAR_5, 120, None)
    ]


def test_another_customers_row_in_the_same_period_is_written_as_usual() -> None:
    written = held([agg(MAR_5, 120, "cust-open")], "soap")
    diff = diff_labour([agg(MAR_5, 90, "cust-open")], written, channel="soap", billed=BILLED)
    assert diff.closed == []
    [intent] = diff.intents
    assert [(e.key.work_date, e.minutes, e.adjusts) for e in intent.entries] == [(MAR_5, 90, None)]


def test_odata_the_week_is_rewritten_for_the_open_customer_and_keeps_the_billed_row() -> None:
    written = held([agg(MAR_5, 120), agg(MAR_5, 60, "cust-open", obj="obj-2")], "odata_timesheet")
    diff = diff_labour(
        [agg(MAR_5, 150), agg(MAR_5, 30, "cust-open", obj="obj-2")],
        written,
        channel="odata_timesheet",
        billed=BILLED,
    )
    weeks = {i.week_start: i for i in diff.intents}
    march = weeks[date(2026, 3, 2)]
    by_object = {(e.key.object_ref, e.adjusts): e.minutes for e in march.entries}
    assert by_object == {("obj-1", None): 120, ("obj-2", None): 30}  # billed kept, open rewritten
    april = weeks[date(2026, 3, 30)]  # Wednesday 1 April lies in the week of 30 March
    assert [(e.key.work_date, e.minutes, e.adjusts) for e in april.entries] == [(date(2026, 4, 1), 30, MAR_5)]


def test_an_adjustment_already_written_is_not_repeated() -> None:
    written = held([agg(MAR_5, 120)], "soap")
    first = diff_labour([agg(MAR_5, 180)], written, channel="soap", billed=BILLED)
    now = apply_intents(written, first.intents)
    again = diff_labour([agg(MAR_5, 180)], now, channel="soap", billed=BILLED)
    assert again.intents == [] and again.closed == []


def test_a_billed_day_closed_in_1c_too_places_the_adjustment_on_the_first_open_day() -> None:
    written = held([agg(MAR_5, 120)], "soap")
    diff = diff_labour(
        [agg(MAR_5, 150)],
        written,
        channel="soap",
        billed=BILLED,
        closing_date=date(2026, 4, 10),
        policy="adjust",
    )
    [change] = diff.closed
    assert change.billed and change.adjusted_on == date(2026, 4, 11)


def test_a_soap_reduction_of_a_billed_day_is_parked_with_its_reason() -> None:
    written = held([agg(MAR_5, 120)], "soap")
    diff = diff_labour([agg(MAR_5, 100)], written, channel="soap", billed=BILLED)
    [change] = diff.closed
    assert change.billed and change.adjusted_on is None and diff.intents == []
    assert change.reason.startswith("billed_period: 2026-03-05 was billed") and "negative" in change.reason


@given(
    before=st.lists(st.integers(min_value=1, max_value=600), min_size=1, max_size=5),
    after=st.lists(st.integers(min_value=0, max_value=600), min_size=1, max_size=5),
    channel=st.sampled_from(["soap", "odata_timesheet"]),
)
def test_billed_labour_never_changes_whatever_the_tracker_does(
    before: list[int], after: list[int], channel: Channel
) -> None:
    days = [MAR_5 + timedelta(days=i) for i in range(5)]  # 5–9 March: all billed
    written = held([agg(d, m) for d, m in zip(days, before, strict=False)], channel)
    desired = [agg(d, m) for d, m in zip(days, after, strict=False)]
    diff = diff_labour(desired, written, channel=channel, billed=BILLED)
    now = apply_intents(written, diff.intents)
    frozen = sorted(((w.key.sort_key(), w.minutes) for w in written), key=repr)
    assert sorted(((w.key.sort_key(), w.minutes) for w in now if w.adjusts is None), key=repr) == frozen
    assert all(w.key.work_date > BILLED["cust-billed"] for w in now if w.adjusts is not None)
    # 1C holds what the tracker says (billed rows plus their adjustments), except SOAP reductions,
    # which the labour service cannot take as negative rows: those are parked, named in the diff
    total: dict[LabourKey, int] = {}
    for w in now:
        original = w.key if w.adjusts is None else replace(w.key, work_date=w.adjusts)
        total[original] = total.get(original, 0) + w.minutes
    parked = {c.key for c in diff.closed if c.adjusted_on is None}
    for a in desired:
        if a.key in parked:
            assert channel == "soap" and a.minutes < total.get(a.key, 0)
        else:
            assert total.get(a.key, 0) == a.minutes
