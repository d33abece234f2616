"""Labour diff: intents per target, nothing for unchanged targets, closed periods never forced."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connector.sync.core.labour_diff import apply_intents, diff_labour, first_open_day, is_closed
from connector.sync.core.model import Channel, LabourAggregate, LabourKey, WrittenLabour

INTEREST = "Document_CRM_Интерес"
MON = date(2024, 3, 4)


def agg(day: date, minutes: int, obj: str = "obj-1", emp: str = "emp-1", wt: str = "wt-1") -> LabourAggregate:
    return LabourAggregate(
        LabourKey(emp, INTEREST, obj, day, wt),
        minutes * 60,
        minutes,
        True,
        evidence_url=f"https://t/shots/{emp}/{day}",
        customer_ref="cust-1",
    )


def write(desired: list[LabourAggregate], channel: Channel, **kw: object) -> list[WrittenLabour]:
    """What 1C holds after delivering ``desired`` from scratch."""
    return apply_intents([], diff_labour(desired, [], channel=channel, **kw).intents)  # type: ignore[arg-type]


# ---------------------------------------------------------------- SOAP: one target per row


def test_soap_intents_are_keyed_by_row_key_with_minutes() -> None:
    d = diff_labour([agg(MON, 30), agg(MON + timedelta(1), 45)], [], channel="soap")
    assert [i.target_key for i in d.intents] == ["emp-1|obj-1|2024-03-04|wt-1", "emp-1|obj-1|2024-03-05|wt-1"]
    first = d.intents[0]
    assert first.kind == "upsert"
    assert [(e.minutes, e.row_key, e.evidence_url) for e in first.entries] == [
        (30, "emp-1|obj-1|2024-03-04|wt-1", "https://t/shots/emp-1/2024-03-04")
    ]


def test_unchanged_labour_yields_no_intent() -> None:
    desired = [agg(MON, 30), agg(MON, 10, obj="obj-2")]
    written = write(desired, "soap")
    assert diff_labour(desired, written, channel="soap").intents == []


def test_an_edit_rewrites_only_its_row_and_a_deletion_sends_a_removal() -> None:
    written = write([agg(MON, 30), agg(MON, 10, obj="obj-2")], "soap")
    d = diff_labour([agg(MON, 40)], written, channel="soap")
    assert [(i.target_key, i.kind) for i in d.intents] == [
        ("emp-1|obj-1|2024-03-04|wt-1", "upsert"),
        ("emp-1|obj-2|2024-03-04|wt-1", "remove"),
    ]
    removal = d.intents[1]
    assert removal.entries == () and [p.minutes for p in removal.previous] == [10]


def test_evidence_alone_changing_does_not_cause_a_write() -> None:
    written = write([agg(MON, 30)], "soap")
    moved = LabourAggregate(
        agg(MON, 30).key, 1800, 30, True, evidence_url="https://t/other", customer_ref="cust-1"
    )
    assert diff_labour([moved], written, channel="soap").intents == []


# ---------------------------------------------------------------- OData: one target per employee-week


def test_odata_intent_carries_the_whole_week_row_set() -> None:
    desired = [agg(MON, 60), agg(MON + timedelta(2), 90), agg(MON + timedelta(6), 15, obj="obj-2")]
    (intent,) = diff_labour(desired, [], channel="odata_timesheet").intents
    assert intent.target_key == "emp-1|2024-03-04"
    assert intent.week_start == MON
    assert [(r.row_key, r.day_minutes, r.customer_ref) for r in intent.week_rows] == [
        ("emp-1|obj-1|2024-W10|wt-1", (60, 0, 90, 0, 0, 0, 0), "cust-1"),
        ("emp-1|obj-2|2024-W10|wt-1", (0, 0, 0, 0, 0, 0, 15), "cust-1"),
    ]
    assert intent.week_rows[0].evidence_url == "https://t/shots/emp-1/2024-03-04"


def test_one_changed_day_resends_its_week_only_and_in_full() -> None:
    before = [agg(MON, 60), agg(MON + timedelta(1), 30), agg(MON + timedelta(7), 20)]
    written = write(before, "odata_timesheet")
    after = [agg(MON, 60), agg(MON + timedelta(1), 35), agg(MON + timedelta(7), 20)]
    (intent,) = diff_labour(after, written, channel="odata_timesheet").intents
    assert intent.target_key == "emp-1|2024-03-04"
    assert [r.day_minutes for r in intent.week_rows] == [(60, 35, 0, 0, 0, 0, 0)]


def test_a_week_reduced_to_nothing_is_a_removal() -> None:
    written = write([agg(MON, 60)], "odata_timesheet")
    (intent,) = diff_labour([], written, channel="odata_timesheet").intents
    assert (intent.kind, intent.entries, intent.week_rows) == ("remove", (), ())


def test_written_days_outside_the_window_are_kept() -> None:
    written = write([agg(MON, 60), agg(MON + timedelta(3), 30)], "odata_timesheet")
    window = (MON + timedelta(2), MON + timedelta(13))
    d = diff_labour([agg(MON + timedelta(3), 45)], written, channel="odata_timesheet", window=window)
    (intent,) = d.intents
    assert [r.day_minutes for r in intent.week_rows] == [(60, 0, 0, 45, 0, 0, 0)]
    assert (
        diff_labour([agg(MON + timedelta(3), 30)], written, channel="odata_timesheet", window=window).intents
        == []
    )


# ---------------------------------------------------------------- closed periods


def test_closed_days_per_channel() -> None:
    wednesday = MON + timedelta(2)
    assert is_closed(wednesday, "soap", wednesday) and not is_closed(
        wednesday + timedelta(1), "soap", wednesday
    )
    assert is_closed(MON + timedelta(6), "odata_timesheet", wednesday)
    assert not is_closed(MON + timedelta(7), "odata_timesheet", wednesday)
    assert first_open_day("soap", wednesday) == wednesday + timedelta(1)
    assert first_open_day("odata_timesheet", wednesday) == MON + timedelta(7)
    assert not is_closed(MON, "soap", None)


def test_park_policy_reports_the_change_and_writes_nothing_for_the_closed_day() -> None:
    written = write([agg(MON, 60), agg(MON + timedelta(3), 30)], "soap")
    closing = MON + timedelta(1)
    d = diff_labour(
        [agg(MON, 75), agg(MON + timedelta(3), 40)],
        written,
        channel="soap",
        closing_date=closing,
        policy="park",
    )
    assert [i.target_key for i in d.intents] == ["emp-1|obj-1|2024-03-07|wt-1"]
    (change,) = d.closed
    assert (change.key.work_date, change.written_minutes, change.desired_minutes, change.delta_minutes) == (
        MON,
        60,
        75,
        15,
    )
    assert change.policy == "park" and change.adjusted_on is None
    assert "2024-03-04" in change.reason and "2024-03-05" in change.reason
    again = diff_labour(
        [agg(MON, 75)], apply_intents(written, d.intents), channel="soap", closing_date=closing
    )
    assert len(again.closed) == 1


@pytest.mark.parametrize("channel", ["soap", "odata_timesheet"])
def test_adjust_policy_writes_the_delta_in_the_first_open_week_naming_the_original_date(
    channel: Channel,
) -> None:
    written = write([agg(MON, 60)], channel)
    closing = MON + timedelta(2)
    d = diff_labour([agg(MON, 80)], written, channel=channel, closing_date=closing, policy="adjust")
    (change,) = d.closed
    assert change.policy == "adjust" and change.delta_minutes == 20
    assert change.adjusted_on == first_open_day(channel, closing)
    (intent,) = d.intents
    (entry,) = [e for e in intent.entries if e.adjusts]
    assert (entry.minutes, entry.adjusts, entry.key.work_date) == (20, MON, change.adjusted_on)
    assert entry.comment is not None and "04.03.2024" in entry.comment
    assert entry.row_key.endswith("|adj:2024-03-04")

    after = apply_intents(written, d.intents)
    settled = diff_labour([agg(MON, 80)], after, channel=channel, closing_date=closing, policy="adjust")
    assert settled.intents == [] and settled.closed == []

    # A later edit of the same closed day updates the same adjustment row instead of adding one.
    edit = diff_labour([agg(MON, 70)], after, channel=channel, closing_date=closing, policy="adjust")
    (intent,) = edit.intents
    assert [e.minutes for e in intent.entries if e.adjusts] == [10]


def test_a_reduction_in_a_closed_timesheet_week_is_a_negative_adjustment_row() -> None:
    written = write([agg(MON, 60)], "odata_timesheet")
    closing = MON + timedelta(2)
    d = diff_labour([agg(MON, 45)], written, channel="odata_timesheet", closing_date=closing, policy="adjust")
    (change,) = d.closed
    assert change.adjusted_on == first_open_day("odata_timesheet", closing) and not change.not_adjustable
    assert [e.minutes for i in d.intents for e in i.entries if e.adjusts] == [-15]


def test_a_soap_reduction_takes_back_earlier_adjustments_and_parks_the_rest() -> None:
    closing = MON + timedelta(2)
    written = write([agg(MON, 60)], "soap")
    grown = apply_intents(
        written,
        diff_labour([agg(MON, 80)], written, channel="soap", closing_date=closing, policy="adjust").intents,
    )
    d = diff_labour([agg(MON, 45)], grown, channel="soap", closing_date=closing, policy="adjust")
    (change,) = d.closed
    # the +20 adjustment is withdrawn (1C then holds 60); the remaining -15 cannot be sent as minutes
    assert change.adjusted_on is None and change.delta_minutes == -15
    assert change.not_adjustable and "negative minutes" in change.reason and MON.isoformat() in change.reason
    state = apply_intents(grown, d.intents)
    assert [(e.minutes, e.adjusts) for e in state] == [(60, None)]
    assert all(e.minutes >= 0 for i in d.intents for e in i.entries)


def test_adjustment_of_time_that_vanished_from_the_tracker_is_withdrawn() -> None:
    closing = MON + timedelta(2)
    first = diff_labour([agg(MON, 30)], [], channel="soap", closing_date=closing, policy="adjust")
    state = apply_intents([], first.intents)
    assert [(e.minutes, e.adjusts) for e in state] == [(30, MON)]
    gone = diff_labour([], state, channel="soap", closing_date=closing, policy="adjust")
    (intent,) = gone.intents
    assert intent.kind == "remove"
    assert apply_intents(state, gone.intents) == []


# ---------------------------------------------------------------- bad input


def test_bad_input_is_refused_with_a_reason() -> None:
    with pytest.raises(ValueError, match="twice"):
        diff_labour([agg(MON, 1), agg(MON, 2)], [], channel="soap")
    with pytest.raises(ValueError, match="outside the window"):
        diff_labour([agg(MON, 1)], [], channel="soap", window=(MON + timedelta(1), MON + timedelta(2)))
    with pytest.raises(ValueError, match="park or adjust"):
        diff_labour([], [], channel="soap", policy="force")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="negative"):
        diff_labour([LabourAggregate(agg(MON, 1).key, -60, -1, True)], [], channel="soap")


# ---------------------------------------------------------------- diff then apply is a fixed point

day_st = st.integers(min_value=0, max_value=20).map(lambda n: MON + timedelta(days=n))
aggs_st = st.dictionaries(
    st.tuples(st.sampled_from(["emp-1", "emp-2"]), st.sampled_from(["obj-1", "obj-2", "obj-3"]), day_st),
    st.integers(min_value=0, max_value=600),
    max_size=25,
).map(lambda d: [agg(day, m, obj=obj, emp=emp) for (emp, obj, day), m in d.items()])


@settings(max_examples=120)
@given(
    before=aggs_st,
    after=aggs_st,
    channel=st.sampled_from(["soap", "odata_timesheet"]),
    closing=st.one_of(st.none(), day_st),
    policy=st.sampled_from(["park", "adjust"]),
)
def test_diff_then_apply_is_a_fixed_point(
    before: list[LabourAggregate],
    after: list[LabourAggregate],
    channel: Channel,
    closing: date | None,
    policy: str,
) -> None:
    written = write(before, channel)
    d = diff_labour(after, written, channel=channel, closing_date=closing, policy=policy)  # type: ignore[arg-type]
    assert all(
        not is_closed(
            i.entries[0].key.work_date if i.entries else i.previous[0].key.work_date, channel, closing
        )
        for i in d.intents
    )
    state = apply_intents(written, d.intents)
    again = diff_labour(after, state, channel=channel, closing_date=closing, policy=policy)  # type: ignore[arg-type]
    assert again.intents == []
    # Parked changes are reported again on every run until resolved; adjusted ones are settled.
    assert all(c.adjusted_on is None for c in again.closed)
    unadjustable = {c.key for c in again.closed}
    if policy == "adjust":
        assert all(c.not_adjustable and c.delta_minutes < 0 and channel == "soap" for c in again.closed)
    want = {a.key: a.minutes for a in after if a.minutes}
    held: dict[LabourKey, int] = {}
    for e in state:
        orig = LabourKey(
            e.key.employee_ref,
            e.key.object_type,
            e.key.object_ref,
            e.adjusts or e.key.work_date,
            e.key.work_type_ref,
        )
        held[orig] = held.get(orig, 0) + e.minutes
    held = {k: m for k, m in held.items() if m}
    if closing is None or (policy == "adjust" and not unadjustable):
        assert held == want
    elif policy == "adjust":
        # SOAP reductions that cannot be adjusted keep 1C above the tracker by exactly what is parked.
        parked = {c.key: c.delta_minutes for c in again.closed}
        for k in set(want) | set(held):
            assert held.get(k, 0) + parked.get(k, 0) == want.get(k, 0)
    else:
        open_keys = {k for k in set(want) | set(held) if not is_closed(k.work_date, channel, closing)}
        assert {k: held[k] for k in open_keys if k in held} == {k: want[k] for k in open_keys if k in want}
