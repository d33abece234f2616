"""The Clockify dialect of the mock tracker over real HTTP: X-Api-Key, workspaces, users with
paging, clients/projects/tasks with Clockify's limits, time entries and the detailed report,
running entries, faults and the rate limit."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from testbed.mocktracker import MockTracker, running_mock_tracker

IVANOV, PETROV, SIDOROVA = "ivanov.i@crm.example", "petrov.p@crm.example", "sidorova.a@crm.example"


@pytest.fixture(scope="module")
def clockify() -> Iterator[MockTracker]:
    with running_mock_tracker(kind="clockify", rate_limit=200) as mt:
        mt.add_users([(IVANOV, "Иванов Иван"), (PETROV, "Петров Пётр"), (SIDOROVA, "Сидорова Анна")])
        yield mt


@pytest.fixture(scope="module")
def limited() -> Iterator[MockTracker]:
    with running_mock_tracker(kind="clockify", rate_limit=1) as mt:
        yield mt


def call(mt: MockTracker, method: str, path: str, **kwargs: Any) -> requests.Response:
    headers = {**mt.auth_headers(), **kwargs.pop("headers", {})}
    kwargs.setdefault("timeout", 15)
    return requests.request(method, f"{mt.api_url}{path}", headers=headers, **kwargs)


def ok(resp: requests.Response, status: int = 200) -> Any:
    assert resp.status_code == status, resp.text
    return resp.json()


def ws(mt: MockTracker) -> str:
    return str(ok(call(mt, "GET", "/workspaces"))[0]["id"])


def user_ids(mt: MockTracker) -> dict[str, str]:
    return {u["email"]: u["id"] for u in ok(call(mt, "GET", f"/workspaces/{ws(mt)}/users"))}


def project(mt: MockTracker, name: str) -> str:
    return str(ok(call(mt, "POST", f"/workspaces/{ws(mt)}/projects", json={"name": name}), 201)["id"])


def report(mt: MockTracker, **body: Any) -> requests.Response:
    url = f"{mt.reports_url}/workspaces/{ws(mt)}/reports/detailed"
    return requests.post(url, json={"exportType": "JSON", **body}, headers=mt.auth_headers(), timeout=15)


def test_api_key_and_workspace_access_answer_as_clockify_does(clockify: MockTracker) -> None:
    me = ok(call(clockify, "GET", "/user"))
    assert me["email"] == "admin@tracker.example" and me["activeWorkspace"] == ws(clockify)
    for headers in ({}, {"X-Api-Key": "wrong"}):
        refused = requests.get(f"{clockify.api_url}/user", headers=headers, timeout=10)
        assert refused.status_code == 401
        assert refused.json() == {
            "message": "Full authentication is required to access this resource",
            "code": 1000,
        }
    foreign = call(clockify, "GET", "/workspaces/5b715612b079875110791234/projects")
    assert (foreign.status_code, foreign.json()) == (403, {"message": "Access Denied", "code": 501})


def test_users_page_by_one_based_pages_and_filter_by_email(clockify: MockTracker) -> None:
    base = f"/workspaces/{ws(clockify)}/users"
    everyone = ok(call(clockify, "GET", base))
    emails = [u["email"] for u in everyone]
    assert emails == sorted(emails, key=str.lower) and {IVANOV, PETROV, SIDOROVA} <= set(emails)
    pages = [ok(call(clockify, "GET", base, params={"page": n, "page-size": 2})) for n in (1, 2, 3, 4)]
    assert [u["email"] for page in pages for u in page] == emails and pages[-1] == []
    assert [u["name"] for u in ok(call(clockify, "GET", base, params={"email": "PETROV"}))] == ["Петров Пётр"]
    too_big = call(clockify, "GET", base, params={"page-size": 5001})
    assert too_big.status_code == 400 and too_big.json()["code"] == 501


def test_projects_archive_and_search_by_name(clockify: MockTracker) -> None:
    base = f"/workspaces/{ws(clockify)}"
    client = ok(call(clockify, "POST", f"{base}/clients", json={"name": "ООО Ромашка"}), 201)
    made = ok(
        call(clockify, "POST", f"{base}/projects", json={"name": "Внедрение", "clientId": client["id"]}), 201
    )
    assert made["clientName"] == "ООО Ромашка" and made["archived"] is False
    again = call(clockify, "POST", f"{base}/projects", json={"name": "ВНЕДРЕНИЕ", "clientId": client["id"]})
    assert again.status_code == 400
    assert call(clockify, "POST", f"{base}/projects", json={"name": "x" * 251}).status_code == 400
    assert call(clockify, "POST", f"{base}/clients", json={"name": "к" * 101}).status_code == 400
    strict = ok(
        call(clockify, "GET", f"{base}/projects", params={"name": "Внедрение", "strict-name-search": "true"})
    )
    assert [p["id"] for p in strict] == [made["id"]]
    assert (
        ok(call(clockify, "GET", f"{base}/projects", params={"name": "Внедр", "strict-name-search": "true"}))
        == []
    )
    ok(call(clockify, "PUT", f"{base}/projects/{made['id']}", json={"archived": True}))
    archived = ok(call(clockify, "GET", f"{base}/projects", params={"archived": "true"}))
    assert made["id"] in {p["id"] for p in archived}
    assert made["id"] not in {
        p["id"] for p in ok(call(clockify, "GET", f"{base}/projects", params={"archived": "false"}))
    }


def test_tasks_carry_assignees_estimate_and_status_into_the_account(clockify: MockTracker) -> None:
    ids, base = user_ids(clockify), f"/workspaces/{ws(clockify)}"
    pid = project(clockify, "Задачи")
    body = {"name": "[CK-1] Склад", "assigneeIds": [ids[IVANOV], ids[PETROV]], "estimate": "PT1H30M"}
    task = ok(call(clockify, "POST", f"{base}/projects/{pid}/tasks", json=body), 201)
    assert (task["estimate"], task["status"], sorted(task["assigneeIds"])) == (
        "PT1H30M",
        "ACTIVE",
        sorted([ids[IVANOV], ids[PETROV]]),
    )
    mirrored = {t["code"]: t for t in clockify.tasks()}["CK-1"]
    assert mirrored["employee_emails"] == [IVANOV, PETROV] and mirrored["planned_minutes"] == 90
    assert (
        call(clockify, "POST", f"{base}/projects/{pid}/tasks", json={"name": "[CK-1] Склад"}).status_code
        == 400
    )
    assert (
        call(clockify, "POST", f"{base}/projects/{pid}/tasks", json={"name": "я" * 1001}).status_code == 400
    )
    bad_estimate = call(
        clockify, "POST", f"{base}/projects/{pid}/tasks", json={"name": "[CK-2] x", "estimate": "1h"}
    )
    assert bad_estimate.status_code == 400

    done = ok(
        call(
            clockify,
            "PUT",
            f"{base}/projects/{pid}/tasks/{task['id']}",
            json={"name": "[CK-1] Склад", "status": "DONE"},
        )
    )
    assert done["status"] == "DONE" and done["assigneeIds"] == []  # PUT replaces what it is not given
    assert {t["code"]: t for t in clockify.tasks()}["CK-1"]["active"] is False
    active = ok(call(clockify, "GET", f"{base}/projects/{pid}/tasks", params={"is-active": "true"}))
    assert active == []


def test_time_entries_report_pages_and_running_entries(clockify: MockTracker) -> None:
    ids, base = user_ids(clockify), f"/workspaces/{ws(clockify)}"
    pid = project(clockify, "Отчёт")
    body = {"name": "[REP-1] Отчёт", "assigneeIds": [ids[IVANOV], ids[SIDOROVA]]}
    ok(call(clockify, "POST", f"{base}/projects/{pid}/tasks", json=body), 201)
    clockify.simulate("2026-03-02", 5)
    truth = [t for t in clockify.truth("2026-03-02", "2026-03-07") if t["task_code"] == "REP-1"]
    span = {"dateRangeStart": "2026-03-01T21:00:00Z", "dateRangeEnd": "2026-03-06T20:59:59Z"}
    first = ok(report(clockify, **span, detailedFilter={"page": 1, "pageSize": 5}))
    count = first["totals"][0]["entriesCount"]
    assert count > 10 and len(first["timeentries"]) == 5
    rows = []
    for page in range(1, -(-count // 5) + 1):
        rows += ok(report(clockify, **span, detailedFilter={"page": page, "pageSize": 5}))["timeentries"]
    assert len(rows) == count == len({r["_id"] for r in rows})
    mine = [r for r in rows if r["taskName"] == "[REP-1] Отчёт"]
    assert {r["userEmail"] for r in mine} == {t["employee_email"] for t in truth} == {IVANOV, SIDOROVA}
    assert sum(r["timeInterval"]["duration"] for r in mine) >= sum(t["seconds"] for t in truth) > 0
    assert rows[0]["timeInterval"]["start"].endswith("+03:00")
    assert report(clockify, **span, detailedFilter={"page": 1, "pageSize": 1001}).status_code == 400
    assert ok(report(clockify, dateRangeStart="2030-01-01T00:00:00Z", dateRangeEnd="2030-01-02T00:00:00Z",
                     detailedFilter={"page": 1}))["totals"] == [None]  # fmt: skip

    entries = ok(
        call(clockify, "GET", f"{base}/user/{ids[IVANOV]}/time-entries",
             params={"start": "2026-03-02T00:00:00Z", "end": "2026-03-07T00:00:00Z", "page-size": 3})
    )  # fmt: skip
    assert len(entries) == 3 and entries[0]["timeInterval"]["start"] > entries[-1]["timeInterval"]["start"]
    assert entries[0]["timeInterval"]["duration"].startswith("PT") and entries[0]["userId"] == ids[IVANOV]

    timer = clockify.start_timer(SIDOROVA, "REP-1", "2026-03-09T10:00:00+03:00")
    running = ok(
        call(clockify, "GET", f"{base}/user/{ids[SIDOROVA]}/time-entries", params={"in-progress": "true"})
    )
    assert [(e["timeInterval"]["end"], e["timeInterval"]["duration"]) for e in running] == [(None, None)]
    day = ok(report(clockify, dateRangeStart="2026-03-09T00:00:00Z", dateRangeEnd="2026-03-09T23:59:59Z",
                    detailedFilter={"page": 1}))  # fmt: skip
    assert [r["timeInterval"]["end"] for r in day["timeentries"]] == [None]
    assert clockify.truth("2026-03-09", "2026-03-10") == []
    clockify.stop_timer(timer["id"], "2026-03-09T10:45:00+03:00")
    assert [t["seconds"] for t in clockify.truth("2026-03-09", "2026-03-10")] == [2700]


def test_a_slow_create_is_committed_and_exactly_one_project_exists(clockify: MockTracker) -> None:
    base = f"/workspaces/{ws(clockify)}"
    clockify.stats(reset=True)
    clockify.faults(slow_creates=1, delay=1.5)
    with pytest.raises(requests.Timeout):
        call(clockify, "POST", f"{base}/projects", json={"name": "Медленный"}, timeout=0.5)
    retried = call(clockify, "POST", f"{base}/projects", json={"name": "Медленный"})
    assert retried.status_code == 400  # the first create did happen
    found = ok(
        call(clockify, "GET", f"{base}/projects", params={"name": "Медленный", "strict-name-search": "true"})
    )
    assert len(found) == 1
    assert clockify.stats()["created"] == {"projects": 1}
    clockify.faults(fail_5xx=1, fail_5xx_status=500)
    assert call(clockify, "GET", f"{base}/projects").status_code == 500


def test_requests_over_the_rate_answer_429_without_retry_after(limited: MockTracker) -> None:
    # One request per second: of four sent back to back the first passes, the others are refused.
    answers = [call(limited, "GET", "/user") for _ in range(4)]
    assert answers[0].status_code == 200 and [a.status_code for a in answers[1:]].count(429) >= 2
    refused = next(a for a in answers if a.status_code == 429)
    assert refused.json() == {"message": "Too Many Requests", "code": 429}
    assert "Retry-After" not in refused.headers
    time.sleep(1.2)
    assert call(limited, "GET", "/user").status_code == 200
