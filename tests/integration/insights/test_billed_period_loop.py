"""Billed periods end to end (mock 1C, mock tracker, the connector's labour flow and API): after a
customer's period is billed, a tracker correction inside it leaves 1C's billed rows as they were
and lands as an adjustment after the period, shown "after billing" in the billing report; closing
is refused while the customer's labour is not settled in 1C, and for an already billed day."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
import requests
from pydantic import SecretStr
from sqlalchemy import select

from connector.store.models import Labour
from connector.sync.labour.engine import LabourEngine
from testbed.connector_app import ADMIN_TOKEN, serve_runtime
from testbed.labour import LabourWorld, labour_world

FIRST, LAST = date(2026, 3, 2), date(2026, 3, 8)  # one ISO week, billed through its Sunday
NEXT_MONDAY = LAST + timedelta(days=1)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabourWorld]:
    folder = Path(tmp_path_factory.mktemp("billing"))
    settings = {"admin_token": SecretStr(ADMIN_TOKEN), "mappings_dir": folder}  # no rates file: hours only
    with labour_world(f"sqlite:///{folder / 'store.db'}", settings=settings) as w:
        w.tracker.simulate(FIRST.isoformat(), 7)
        yield w


def _customers(world: LabourWorld) -> dict[str, str]:
    """Object ref → customer ref of the labour the store holds."""
    with world.runtime.sessions() as s:
        return {o: c for o, c in s.execute(select(Labour.object_ref, Labour.customer_ref)) if c}


def test_a_correction_after_billing_is_an_adjustment_after_the_period(world: LabourWorld) -> None:
    engine = LabourEngine(world.runtime)
    engine.run(trigger="test", since=FIRST, until=LAST)
    before = world.in_1c(FIRST, LAST)
    assert before == world.expected(FIRST, LAST) and before

    interest = next(i for i in world.interests if i["Ref_Key"] in _customers(world))
    customer = _customers(world)[interest["Ref_Key"]]
    with serve_runtime(world.runtime) as app:
        closed = requests.post(
            app.url + "/api/billing/periods",
            json={"customer": customer, "to": LAST.isoformat()},
            headers=app.admin_headers,
            timeout=30,
        )
        assert closed.status_code == 201, closed.text
        assert closed.json()["to"] == LAST.isoformat()
        again = requests.post(
            app.url + "/api/billing/periods",
            json={"customer": customer, "to": (LAST - timedelta(days=3)).isoformat()},
            headers=app.admin_headers,
            timeout=30,
        )
        assert again.status_code == 409 and "already billed through 2026-03-08" in again.json()["message"]

        # the tracker learns of 45 more minutes on Wednesday 4 March, inside the billed week
        world.add_entry(
            world.emails[0], world.code(interest), "2026-03-04T20:00:00+03:00", "2026-03-04T20:45:00+03:00"
        )
        result = engine.run(trigger="test", since=FIRST, until=NEXT_MONDAY + timedelta(days=6))
        assert result.status == "ok", result.error

        assert world.in_1c(FIRST, LAST) == before, "the invoiced week is unchanged in 1C"
        emp = world.employee_by_email()[world.emails[0]]
        after = world.in_1c(NEXT_MONDAY, NEXT_MONDAY)
        assert after.get((emp, interest["Ref_Key"], NEXT_MONDAY)) == 45
        rows = [
            row
            for doc in world.documents()
            if doc.get("Posted") and doc["ДатаС"].date() == NEXT_MONDAY
            for row in doc.get("Операции") or []
            if row.get("ТТ_Объект") == interest["Ref_Key"]
        ]
        assert any("после выставления счёта по 08.03.2026" in (r.get("Комментарий") or "") for r in rows)

        report = requests.get(
            app.url + "/api/reports/billing",
            params={"from": FIRST.isoformat(), "to": (NEXT_MONDAY + timedelta(days=6)).isoformat()},
            headers=app.admin_headers,
            timeout=30,
        )
        assert report.status_code == 200, report.text
        marked = [r for r in report.json()["items"] if r["level"] == "line" and r.get("after_billing")]
        assert [(r["date"], r["after_billing"], r["minutes"]) for r in marked] == [
            (NEXT_MONDAY.isoformat(), "2026-03-04", 45)
        ]


def test_closing_is_refused_while_labour_is_unsettled(world: LabourWorld) -> None:
    LabourEngine(world.runtime).run(trigger="test", since=FIRST, until=LAST)  # labour of its own (any order)
    customers = _customers(world)
    interest = next(i for i in world.interests if i["Ref_Key"] in customers)
    day = date(2026, 3, 18)
    world.add_entry(world.emails[1], world.code(interest), f"{day}T10:00:00+03:00", f"{day}T11:00:00+03:00")
    LabourEngine(world.runtime, deliver=False).run(trigger="test", since=day, until=day)
    customer = _customers(world)[interest["Ref_Key"]]
    with serve_runtime(world.runtime) as app:
        refused = requests.post(
            app.url + "/api/billing/periods",
            json={"customer": customer, "to": "2026-03-31"},
            headers=app.admin_headers,
            timeout=30,
        )
        assert refused.status_code == 409
        body = refused.json()
        assert "not settled in 1C" in body["message"]
        assert [u["date"] for u in body["unsettled"]] == ["2026-03-18"]
        listed = requests.get(app.url + "/api/billing/periods", headers=app.admin_headers, timeout=30).json()
        assert all(p["to"] != "2026-03-31" for p in listed["items"])
        reversed_ = requests.post(
            app.url + "/api/billing/periods",
            json={"customer": customer, "to": "2026-13-01"},
            headers=app.admin_headers,
            timeout=30,
        )
        assert reversed_.status_code == 422 and "to" in reversed_.json()["message"]
        unknown = requests.post(
            app.url + "/api/billing/periods",
            json={"customer": "ООО Нет Такого", "to": "2026-03-31"},
            headers=app.admin_headers,
            timeout=30,
        )
        assert unknown.status_code == 404 and "no customer 'ООО Нет Такого'" in unknown.json()["message"]
