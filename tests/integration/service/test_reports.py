"""Reports over HTTP equal values computed independently from the tracker's truth and 1C's plans.

A served connector (scheduler on) and ``onec-bridge sync labour`` share one SQLite file, as an
operator running a manual sync beside the service would. Expected values are computed here from
``/_mock/truth`` (seconds per employee e-mail, task code and local day), rounded once per
employee/object/day with the shipped mappings' rules, and from the plans read from mock 1C.

Mock 1C posts its webhooks from an outbox (its other mode, ``sync``, calls the connector from
inside the PATCH of the labour run's plan-fact flags, which waits on the SQLite write lock the
labour run holds — see the engines' known issue; this module is about the reports).
"""

from __future__ import annotations

import math
import subprocess
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
import requests
from sqlalchemy import select

from connector.store.db import make_engine, session_factory
from connector.store.models import Employee
from testbed.mocktracker import MockTracker, running_mock_tracker
from testbed.servers import REPO_ROOT, free_port, script
from testbed.service import FEED_TOKEN, WEBHOOK_SECRET, RunningService, running_service, service_env
from tests.support.mock1c import MockOneC, running_mock_1c

CONSULTING = "d3e94583-3fd7-58ed-8220-d01477c6bfc0"  # the service mapping's work type
RATES = {"ONEC_BRIDGE_DEFAULT_HOURLY_RATE": "1000", "ONEC_BRIDGE_HOURLY_RATES": f'{{"{CONSULTING}": 3000}}'}


def rounded(code: str, seconds: int) -> int:
    """The shipped mappings' rounding per aggregate: service 15 min up, projects/sales 5 min nearest."""
    if code.startswith("SRV-"):
        return math.ceil(seconds / 900) * 15
    return int((seconds + 150) // 300) * 5


def rate_of(code: str) -> Decimal | None:
    """Hourly rate by the code's mapping; None for non-billable time (sales)."""
    if code.startswith("SRV-"):
        return Decimal(3000)
    if code.startswith("PRJ-"):
        return Decimal(1000)
    return None


@dataclass
class Synced:
    onec: MockOneC
    tracker: MockTracker
    service: RunningService
    first: date
    last: date
    truth: list[dict[str, Any]]  # rounded minutes per (email, task code, day), matched employees only
    sync_output: str = ""

    def report(self, name: str, **params: Any) -> requests.Response:
        params = {"from": self.first.isoformat(), "to": self.last.isoformat(), **params}
        url = f"{self.service.url}/api/reports/{name}"
        return requests.get(url, headers=self.service.admin, params=params, timeout=60)


def odata(onec: MockOneC, entity_set: str) -> list[dict[str, Any]]:
    sep = "&" if "?" in entity_set else "?"
    resp = onec.session().get(f"{onec.odata_url}/{entity_set}{sep}$format=json", timeout=60)
    resp.raise_for_status()
    return list(resp.json()["value"])


def matched_emails(store_url: str) -> set[str]:
    engine = make_engine(store_url)
    try:
        with session_factory(engine)() as s:
            rows = s.execute(select(Employee)).scalars().all()
    finally:
        engine.dispose()
    return {r.email.lower() for r in rows if r.email and r.tracker_employee_id and r.onec_employee_ref}


@pytest.fixture(scope="module")
def synced(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Synced]:
    tmp = tmp_path_factory.mktemp("reports")
    port = free_port()
    connector = f"http://127.0.0.1:{port}"
    store_url = f"sqlite:///{tmp / 'store.db'}"
    with (
        running_mock_1c(
            webhook_url=f"{connector}/webhooks/1c", webhook_secret=WEBHOOK_SECRET, webhook_mode="outbox"
        ) as onec,
        running_mock_tracker(feed_url=f"{connector}/tracker/v1/tasks", feed_token=FEED_TOKEN) as tracker,
    ):
        env = service_env(
            store_url,
            onec.base_url,
            onec.password,
            tracker.api_url,
            tracker.api_key,
            REPO_ROOT / "mappings",
            **RATES,
        )
        with running_service(env, port=port, cwd=tmp) as service:
            sync = [script("onec-bridge"), "sync"]
            cli_env = {"PATH": "/usr/bin:/bin", "COLUMNS": "200", **env}
            tasks = subprocess.run(
                [*sync, "tasks"], env=cli_env, cwd=tmp, capture_output=True, text=True, timeout=180
            )
            assert tasks.returncode == 0, tasks.stdout + tasks.stderr
            tracker.sync_feed()
            first = date.today() - timedelta(days=6)
            last = date.today()
            tracker.simulate(first.isoformat(), 5)
            labour = subprocess.run(
                [*sync, "labour"], env=cli_env, cwd=tmp, capture_output=True, text=True, timeout=180
            )
            assert labour.returncode == 0, labour.stdout + labour.stderr
            emails = matched_emails(store_url)
            truth = [
                {**item, "minutes": rounded(item["task_code"], item["seconds"])}
                for item in tracker.truth(first.isoformat(), (last + timedelta(days=1)).isoformat())
                if item["employee_email"].lower() in emails
            ]
            yield Synced(onec, tracker, service, first, last, truth, labour.stdout + labour.stderr)


def test_the_labour_sync_beside_the_service_wrote_matched_time(synced: Synced) -> None:
    assert sum(t["minutes"] for t in synced.truth) > 0
    assert len({t["employee_email"] for t in synced.truth}) >= 5


def test_timesheet_equals_the_trackers_truth(synced: Synced) -> None:
    expected: Counter[tuple[str, str]] = Counter()
    for t in synced.truth:
        expected[(t["employee_email"].lower(), t["date"])] += t["minutes"]
    resp = synced.report("timesheet")
    assert resp.status_code == 200, resp.text
    got: Counter[tuple[str, str]] = Counter()
    for row in resp.json()["items"]:
        got[((row["email"] or "").lower(), row["period_start"])] += row["minutes"]
    assert +got == +expected, synced.sync_output
    csv_text = synced.report("timesheet", format="csv").text
    assert csv_text.splitlines()[0].startswith("employee_ref,employee,email,project,period")
    assert len(csv_text.splitlines()) == len(resp.json()["items"]) + 1


def test_plan_fact_equals_1c_plans_and_the_trackers_truth(synced: Synced) -> None:
    plans: dict[str, int] = {}
    for i in odata(synced.onec, "Document_CRM_Интерес"):
        plans[f"SRV-{i['Number']}"] = round(float(i.get("ТТ_СогласованныеТрудозатраты") or 0) * 60)
    projects = {
        p["Ref_Key"]: p["Code"].strip() for p in odata(synced.onec, "Catalog_Проекты")
    }  # 1C pads codes
    for t in odata(synced.onec, "Catalog_ЗадачиПроектов"):
        if not t.get("IsFolder") and t.get("Owner_Key") in projects:
            code = f"PRJ-{projects[t['Owner_Key']]}-{t['Code'].strip()}"
            plans[code] = round(float(t.get("ПлановыеТрудозатраты") or 0) * 60)
    actual: Counter[str] = Counter()
    for t in synced.truth:
        actual[t["task_code"]] += t["minutes"]
    resp = synced.report("plan-fact")
    assert resp.status_code == 200, resp.text
    tasks = [r for r in resp.json()["items"] if r["level"] == "task"]
    assert tasks
    for row in tasks:
        code = row["task_code"]
        assert code in plans, code
        assert (row["planned_minutes"] or 0) == plans[code], code
        assert row["actual_minutes"] == actual[code], code
        if row["planned_minutes"]:
            assert row["percent"] == round(100 * actual[code] / plans[code], 1), code
    reported = {r["task_code"] for r in tasks}
    assert {c for c in actual if c.startswith(("SRV-", "PRJ-")) and actual[c]} <= reported


def test_output_per_employee_customer_and_day_with_money(synced: Synced) -> None:
    interests = odata(synced.onec, "Document_CRM_Интерес?$expand=Партнер")
    customers = {f"SRV-{i['Number']}": (i.get("Партнер") or {}).get("Description") for i in interests}
    # Only the service mapping names a customer field (Партнер_Key); project and sales time has none.
    minutes: Counter[tuple[str, str | None, str]] = Counter()
    money: dict[tuple[str, str | None, str], Decimal] = {}
    for t in synced.truth:
        key = (t["employee_email"].lower(), customers.get(t["task_code"]), t["date"])
        minutes[key] += t["minutes"]
        rate = rate_of(t["task_code"])
        money[key] = money.get(key, Decimal(0)) + (Decimal(t["minutes"]) * rate / 60 if rate else Decimal(0))
    resp = synced.report("output")
    assert resp.status_code == 200, resp.text
    got_minutes: Counter[tuple[str, str | None, str]] = Counter()
    got_money: dict[tuple[str, str | None, str], float] = {}
    for row in resp.json()["items"]:
        key = ((row["email"] or "").lower(), row["customer"], row["date"])
        got_minutes[key] += row["minutes"]
        got_money[key] = got_money.get(key, 0.0) + row["money"]
    assert +got_minutes == +minutes
    cents = Decimal("0.01")
    expected_money = {k: float(v.quantize(cents, ROUND_HALF_UP)) for k, v in money.items() if minutes[k]}
    assert got_money == expected_money
    assert any(v > 0 for v in got_money.values())
