"""The whole loop with a tracker that takes tasks (Kimai, Clockify), real servers on loopback.

Mock 1C and the mock tracker run as processes; the connector's engines run here on a fresh
SQLite store. 1C interests → the task push creates them with their assignees and plan (one 1C
user has no tracker account: the task is made without them and they are reported); a second
push writes nothing; simulated work → labour in 1C equal to the tracker's truth per employee and
day; an edit and a deletion in the tracker are corrected in 1C; closing the interest in 1C
closes the task and reopening reopens it.
"""

from __future__ import annotations

import shutil
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from pydantic import SecretStr
from sqlalchemy import select

from connector.onec.client import ODataClient
from connector.runtime import Runtime
from connector.settings import Settings
from connector.store.migrate import upgrade
from connector.store.models import Employee, Link
from connector.sync.core.model import RoundingRule
from connector.sync.core.rounding import round_seconds
from connector.sync.inbound.engine import InboundEngine
from connector.sync.labour.deliver import deliver_pending
from connector.sync.labour.engine import LabourEngine
from connector.sync.push.engine import push_tasks
from testbed.connector_app import ADMIN_TOKEN, serve_runtime
from testbed.labour import timesheet_minutes
from testbed.mock1c import MockOneC, running_mock_1c
from testbed.mocktracker import MockTracker, api_writes, running_mock_tracker

REPO = Path(__file__).resolve().parents[3]
INTEREST = "Document_CRM_Интерес"
TZ = "Europe/Moscow"


@dataclass
class Loop:
    kind: str
    onec: MockOneC
    tracker: MockTracker
    runtime: Runtime
    left_out: str  # a 1C user's e-mail the tracker has no account for

    def links(self) -> dict[str, Link]:
        with self.runtime.sessions() as s:
            return {link.task_code: link for link in s.execute(select(Link)).scalars()}

    def tracker_tasks(self) -> dict[str, dict[str, Any]]:
        tasks = self.tracker.tasks()
        twice = [code for code, n in Counter(t["code"] for t in tasks).items() if n > 1]
        assert not twice, f"created twice in {self.kind}: {twice}"
        return {t["code"]: t for t in tasks}

    def labour(self) -> None:
        LabourEngine(self.runtime, worker_id="loop", deliver=True).run(trigger="manual")
        deliver_pending(self.runtime, "loop", 1000)

    def expected(self, first: date, last: date) -> dict[tuple[str, str, date], int]:
        """The tracker's truth, rounded as the service mapping rounds, per (employee, object, day)."""
        links = {c: link.onec_ref for c, link in self.links().items()}
        with self.runtime.sessions() as s:
            people = {
                str(e.email).lower(): e.onec_employee_ref
                for e in s.execute(select(Employee)).scalars()
                if e.email and e.onec_employee_ref
            }
        lab = self.runtime.mapping("service").labour
        assert lab is not None
        rule = RoundingRule(lab.rounding.unit_minutes, lab.rounding.mode)
        out: dict[tuple[str, str, date], int] = {}
        truth = self.tracker.truth(first.isoformat(), (last + timedelta(days=1)).isoformat())
        for item in truth:
            ref, who = links.get(item["task_code"]), people.get(item["employee_email"].lower())
            minutes = round_seconds(int(item["seconds"]), rule)
            if ref and who and minutes:
                out[(who, ref, date.fromisoformat(item["date"]))] = minutes
        return out

    def in_1c(self, first: date, last: date) -> dict[tuple[str, str, date], int]:
        with ODataClient(self.onec.base_url, self.onec.user, self.onec.password, timezone=TZ) as c:
            return timesheet_minutes(c, first, last)

    def set_state(self, ref: str, state: str) -> None:
        resp = self.onec.session().patch(
            f"{self.onec.odata_url}/{INTEREST}(guid'{ref}')?$format=json",
            json={"Состояние_Key": state},
            timeout=30,
        )
        assert resp.ok, resp.text
        result = InboundEngine(self.runtime).run("service", refs=[ref], trigger="resync")
        assert result.status == "ok", result.error


@pytest.fixture(scope="module", params=["kimai", "clockify"])
def loop(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Loop]:
    kind = str(request.param)
    work = tmp_path_factory.mktemp(kind)
    (work / "mappings").mkdir()
    shutil.copy(REPO / "mappings" / "service.yaml", work / "mappings" / "service.yaml")
    with running_mock_1c() as onec, running_mock_tracker(kind=kind, timezone=TZ) as tracker:
        workspace = ""
        if kind == "clockify":
            workspace = tracker.workspace()
        db = f"sqlite:///{work / 'store.db'}"
        upgrade(db)
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            database_url=db,
            onec_url=onec.base_url,
            onec_user=onec.user,
            onec_password=SecretStr(onec.password),
            timezone=TZ,
            onec_timezone=TZ,
            mappings_dir=work / "mappings",
            tracker_kind=kind,  # type: ignore[arg-type]
            tracker_url=tracker.api_url,
            tracker_api_key=SecretStr(tracker.api_key),
            tracker_clockify_workspace=workspace,
            tracker_rate_limit=200,
            tracker_timeout=1.0,
            admin_token=SecretStr(ADMIN_TOKEN),
        )
        runtime = Runtime.from_settings(settings)
        try:
            assert InboundEngine(runtime).run(None, trigger="full").status == "ok"
            with runtime.sessions() as s:
                busy = Counter(e for link in s.execute(select(Link)).scalars() for e in link.assignees)
                people = [(e.email, e.name) for e in s.execute(select(Employee)).scalars() if e.email]
            left_out = max(busy, key=lambda e: busy[e])  # the busiest assignee has no tracker account
            tracker.add_users([(email, name) for email, name in people if email.lower() != left_out.lower()])
            yield Loop(kind, onec, tracker, runtime, left_out)
        finally:
            runtime.close()


def test_the_whole_loop_with_a_tracker_that_takes_tasks(loop: Loop) -> None:
    # 1C objects → tasks with the right assignees and plan, through 429s, 5xx and creates whose
    # answer comes after the client gave up: nothing is created twice; the missing user is reported.
    loop.tracker.faults(fail_429=2, fail_5xx=2, slow_creates=2, delay=1.5)
    pushed = push_tasks(loop.runtime)
    assert pushed.status == "ok", pushed
    links = loop.links()
    tasks = loop.tracker_tasks()
    open_codes = {c for c, link in links.items() if link.status == "open"}
    assert open_codes and {c for c, t in tasks.items() if t["active"]} == open_codes
    for code in open_codes:
        link, task = links[code], tasks[code]
        wanted = sorted(e.lower() for e in link.assignees if e.lower() != loop.left_out.lower())
        assert [e.lower() for e in task["employee_emails"]] == wanted, code
        if link.planned_minutes:
            assert task["planned_minutes"] == link.planned_minutes, code
        assert link.tracker_task_id and link.push_error is None
    ids = [links[c].tracker_task_id for c in open_codes]
    assert len(set(ids)) == len(ids)  # one tracker object per task
    assert set(pushed.unmatched_emails) == {loop.left_out}
    with serve_runtime(loop.runtime) as app:  # the operator's view of the same
        unmatched = requests.get(app.url + "/api/unmatched-employees", headers=app.admin_headers, timeout=30)
    missing = [i for i in unmatched.json()["items"] if i["side"] == "tracker_missing"]
    assert [i["email"] for i in missing] == [loop.left_out.lower()] and missing[0]["tasks"]
    left = requests.get(f"{loop.tracker.admin_url}/faults", timeout=30).json()
    assert not any(left.get(k) for k in ("fail_429", "fail_5xx", "slow_creates")), left  # all were met

    # A tick with no change in 1C writes nothing to the tracker.
    loop.tracker.stats(reset=True)
    again = push_tasks(loop.runtime)
    assert again.status == "ok" and not again.counters.get("created") and not again.counters.get("updated")
    assert api_writes(loop.tracker.stats()) == 0

    # Tracked time → labour in 1C equal to the truth per employee and day.
    today = date.today()
    first, last = today - timedelta(days=6), today - timedelta(days=1)
    loop.tracker.simulate(first.isoformat(), 6)
    loop.labour()
    expected = loop.expected(first, last)
    assert expected and loop.in_1c(first, last) == expected

    # An edit and a deletion in the tracker are corrected in 1C.
    entries = requests.get(
        f"{loop.tracker.admin_url}/entries",
        params={"begin": first.isoformat(), "end": today.isoformat()},
        timeout=30,
    ).json()["items"]
    service = [e for e in entries if e["task_code"].startswith("SRV-") and e["seconds"] > 3600]
    edited, deleted = service[0], service[-1]
    assert edited["id"] != deleted["id"]
    end = datetime.fromisoformat(edited["end"]) - timedelta(minutes=30)
    shorter = requests.patch(
        f"{loop.tracker.admin_url}/entries/{edited['id']}", json={"end": end.isoformat()}, timeout=30
    )
    assert shorter.ok, shorter.text
    assert requests.delete(f"{loop.tracker.admin_url}/entries/{deleted['id']}", timeout=30).status_code == 204
    before = loop.in_1c(first, last)
    loop.labour()
    after = loop.in_1c(first, last)
    assert after == loop.expected(first, last) and after != before

    # Closing the interest in 1C closes the task; reopening reopens it.
    code = sorted(open_codes)[0]
    ref = links[code].onec_ref
    with loop.onec.session() as http:
        states = http.get(
            f"{loop.onec.odata_url}/Catalog_CRM_СостоянияИнтересов?$format=json", timeout=30
        ).json()["value"]
        current = http.get(f"{loop.onec.odata_url}/{INTEREST}(guid'{ref}')?$format=json", timeout=30).json()
    done = next(s["Ref_Key"] for s in states if s["Завершен"])
    loop.set_state(ref, done)
    assert push_tasks(loop.runtime).counters.get("updated") == 1
    assert loop.tracker_tasks()[code]["active"] is False
    loop.set_state(ref, current["Состояние_Key"])
    assert push_tasks(loop.runtime).counters.get("updated") == 1
    assert loop.tracker_tasks()[code]["active"] is True
