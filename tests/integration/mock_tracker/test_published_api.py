"""The published GET API (docs/bitcop-assumptions.md) over real HTTP."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta

import pytest
import requests

from testbed.mocktracker import MockTracker
from tests.integration.mock_tracker.conftest import SIM_DAYS, SIM_START

PERIOD_METHODS = ["tasks/activity", "screenshots", "workperiods", "activity", "productivity"]
ALL_METHODS = ["employees", "tasks", *PERIOD_METHODS]
BEGIN, END = "20260302", "20260316"


def _ok(mt: MockTracker, method: str, **params: str) -> list[dict]:
    resp = mt.api_get(method, **params)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["status"] == "success"
    return list(body["items"])


def test_employees_with_the_active_filter(worked: MockTracker) -> None:
    everyone = _ok(worked, "employees")
    active = _ok(worked, "employees", active="true")
    assert set(everyone[0]) == {"id", "firstName", "lastName", "email", "active"}
    assert len(active) == len(everyone) - 1
    assert all(e["active"] for e in active)


def test_tasks_carry_code_in_name_active_flag_and_assignee_ids(worked: MockTracker) -> None:
    tasks = _ok(worked, "tasks")
    ids = {e["id"] for e in _ok(worked, "employees")}
    assert len(tasks) == 5
    for task in tasks:
        assert set(task) == {"id", "name", "active", "employees"}
        assert task["name"].startswith("[") and "] " in task["name"]
        assert set(task["employees"]) <= ids
    assert [t["active"] for t in tasks if t["name"].startswith("[CRM-000104]")] == [False]


def test_time_per_task_and_day_equals_the_truth(worked: MockTracker) -> None:
    employees = {e["id"]: e["email"] for e in _ok(worked, "employees")}
    codes = {t["id"]: t["name"][1:].split("]")[0] for t in _ok(worked, "tasks")}
    api = {
        (employees[i["employeeId"]], codes[i["taskId"]], i["date"]): i["totalTime"]
        for i in _ok(worked, "tasks/activity", begin=BEGIN, end=END)
    }
    truth = {
        (t["employee_email"], t["task_code"], t["date"]): t["seconds"]
        for t in worked.truth("2026-03-02", "2026-03-16")
    }
    assert api == truth and len(truth) > 20
    assert "CRM-000104" not in {code for _, code, _ in truth}, "closed tasks get no simulated work"


def test_one_day_windows_add_up_to_the_whole_period(worked: MockTracker) -> None:
    whole = _ok(worked, "tasks/activity", begin=BEGIN, end=END)
    per_day = []
    day = date(2026, 3, 2)
    while day < date(2026, 3, 16):
        nxt = day + timedelta(days=1)
        per_day += _ok(worked, "tasks/activity", begin=day.strftime("%Y%m%d"), end=nxt.strftime("%Y%m%d"))
        day = nxt
    assert sorted(per_day, key=str) == sorted(whole, key=str)


def test_employees_parameter_narrows_the_answer(worked: MockTracker) -> None:
    some = _ok(worked, "tasks/activity", begin=BEGIN, end=END)
    one = some[0]["employeeId"]
    for method in PERIOD_METHODS:
        items = _ok(worked, method, begin=BEGIN, end=END, employees=f"{one}, 99999")
        assert items and {i["employeeId"] for i in items} == {one}


def test_activity_productivity_and_workperiods_are_consistent(worked: MockTracker) -> None:
    per_day: dict[tuple[int, str], int] = defaultdict(int)
    for item in _ok(worked, "tasks/activity", begin=BEGIN, end=END):
        per_day[(item["employeeId"], item["date"])] += item["totalTime"]
    activity = {(a["employeeId"], a["date"]): a for a in _ok(worked, "activity", begin=BEGIN, end=END)}
    productivity = {
        (p["employeeId"], p["date"]): p for p in _ok(worked, "productivity", begin=BEGIN, end=END)
    }
    periods = {(w["employeeId"], w["date"]): w for w in _ok(worked, "workperiods", begin=BEGIN, end=END)}
    assert set(activity) == set(productivity) == set(periods) == set(per_day)
    for key, total in per_day.items():
        a, p, w = activity[key], productivity[key], periods[key]
        assert a["totalTime"] == total == a["activeTime"] + a["downTime"]
        assert p["totalTime"] == total == p["productiveTime"] + p["unproductiveTime"] + p["neutralTime"]
        start, end = datetime.fromisoformat(w["start"]), datetime.fromisoformat(w["end"])
        assert start.isoformat()[:10] == key[1] and start.utcoffset() == timedelta(hours=3)
        assert (end - start).total_seconds() >= total


def test_screenshots_every_ten_minutes_of_work_with_working_urls(worked: MockTracker) -> None:
    shots = _ok(worked, "screenshots", begin="20260303", end="20260304")
    work = sum(i["totalTime"] for i in _ok(worked, "tasks/activity", begin="20260303", end="20260304"))
    assert (
        shots
        and abs(len(shots) - work / 600) <= len({(s["employeeId"], s["taskId"]) for s in shots}) * 3 + 20
    )
    shot = shots[0]
    assert set(shot) == {"id", "employeeId", "taskId", "timestamp", "url"}
    assert shot["timestamp"].startswith("2026-03-03T") and shot["timestamp"].endswith("+03:00")
    assert shot["url"] == f"{worked.url}/_mock/screens/{shot['id']}.png"
    image = requests.get(shot["url"], timeout=10)
    assert image.status_code == 200 and image.headers["content-type"] == "image/png"
    assert image.content.startswith(b"\x89PNG")


@pytest.mark.parametrize("method", ALL_METHODS)
@pytest.mark.parametrize("key", [None, "", "wrong-key"])
def test_wrong_or_missing_key_is_401_with_the_envelope_only(
    worked: MockTracker, method: str, key: str | None
) -> None:
    params = {"begin": BEGIN, "end": END}
    if key is not None:
        params["apikey"] = key
    resp = requests.get(f"{worked.api_url}/{method}", params=params, timeout=10)
    assert resp.status_code == 401
    assert resp.json() == {"status": "error", "message": "invalid api key"}


@pytest.mark.parametrize("method", PERIOD_METHODS)
@pytest.mark.parametrize(
    ("params", "reason"),
    [
        ({"end": END}, "begin is required"),
        ({"begin": BEGIN}, "end is required"),
        ({"begin": "2026-03-02", "end": END}, "begin must be YYYYMMDD"),
        ({"begin": "20261302", "end": END}, "begin is not a valid date"),
        ({"begin": END, "end": BEGIN}, "end must be after begin"),
        ({"begin": BEGIN, "end": BEGIN}, "end must be after begin"),
        ({"begin": "20260101", "end": "20260202"}, "must not exceed 31 days"),
        ({"begin": BEGIN, "end": END, "employees": "1,x"}, "employees must be comma-separated integer ids"),
        ({"begin": BEGIN, "end": END, "employees": "1;2"}, "employees must be comma-separated integer ids"),
        ({"begin": BEGIN, "end": END, "employees": "-1"}, "employees must be comma-separated integer ids"),
    ],
)
def test_bad_parameters_are_400_with_a_reason(
    worked: MockTracker, method: str, params: dict, reason: str
) -> None:
    resp = worked.api_get(method, **params)
    assert resp.status_code == 400
    body = resp.json()
    assert body["status"] == "error" and reason in body["message"] and set(body) == {"status", "message"}


def test_bad_active_filter_and_unknown_method(worked: MockTracker) -> None:
    assert worked.api_get("employees", active="yes").status_code == 400
    resp = worked.api_get("nope")
    assert resp.status_code == 404 and resp.json()["status"] == "error"


def test_switched_off_api_answers_503_until_switched_on(worked: MockTracker) -> None:
    switch = f"{worked.admin_url}/api-switch"
    assert requests.post(switch, json={"enabled": False}, timeout=10).json() == {"enabled": False}
    try:
        for method in ALL_METHODS:
            resp = worked.api_get(method, begin=BEGIN, end=END)
            assert resp.status_code == 503
            assert resp.json() == {"status": "error", "message": "Web API is disabled"}
    finally:
        requests.post(switch, json={"enabled": True}, timeout=10)
    assert worked.api_get("employees").status_code == 200
    assert requests.post(switch, json={"enabled": "maybe"}, timeout=10).status_code == 400


def test_stats_count_requests_by_path_and_status(worked: MockTracker) -> None:
    assert requests.post(f"{worked.admin_url}/reset-stats", timeout=10).status_code == 200
    worked.api_get("employees")
    worked.api_get("employees")
    worked.api_get("tasks", apikey="bad")
    stats = requests.get(f"{worked.admin_url}/stats", timeout=10).json()
    assert stats["requests"] == {"/api/v1/employees": {"200": 2}, "/api/v1/tasks": {"401": 1}}
    assert stats["total"] == 3


def test_api_key_never_appears_in_the_server_log(worked: MockTracker) -> None:
    worked.api_get("employees")
    assert worked.api_key not in worked.process.output()


def test_simulated_period_is_reported(worked: MockTracker) -> None:
    # Guards the fixture: the simulated days are the ones the tests above read.
    assert SIM_START == "2026-03-02" and SIM_DAYS == 14
