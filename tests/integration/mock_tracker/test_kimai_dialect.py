"""The Kimai dialect of the mock tracker over real HTTP: auth as Kimai answers it, the catalogue
with its filters and limits, teams deciding who books, timesheets paged with Kimai's headers,
running timers, faults and the rate limit."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import requests

from testbed.mocktracker import MockTracker, running_mock_tracker

IVANOV, PETROV, SIDOROVA = "ivanov.i@crm.example", "petrov.p@crm.example", "sidorova.a@crm.example"
SIM_START, SIM_DAYS = "2026-03-02", 5


@pytest.fixture(scope="module")
def kimai() -> Iterator[MockTracker]:
    with running_mock_tracker(kind="kimai", rate_limit=200) as mt:
        mt.add_users([(IVANOV, "Иванов Иван"), (PETROV, "Петров Пётр"), (SIDOROVA, "Сидорова Анна")])
        yield mt


@pytest.fixture(scope="module")
def limited() -> Iterator[MockTracker]:
    with running_mock_tracker(kind="kimai", rate_limit=3, retry_after=2, kimai_version="2.40.0") as mt:
        yield mt


@pytest.fixture(scope="module")
def throttled() -> Iterator[MockTracker]:
    with running_mock_tracker(kind="kimai", rate_limit=1, retry_after=2) as mt:
        yield mt


def call(mt: MockTracker, method: str, path: str, **kwargs: Any) -> requests.Response:
    headers = {**mt.auth_headers(), **kwargs.pop("headers", {})}
    kwargs.setdefault("timeout", 15)
    return requests.request(method, f"{mt.api_url}{path}", headers=headers, **kwargs)


def ok(resp: requests.Response) -> Any:
    assert resp.status_code == 200, resp.text
    return resp.json()


def user_ids(mt: MockTracker) -> dict[str, int]:
    return {u["email"]: u["id"] for u in ok(call(mt, "GET", "/users"))}


def catalogue(mt: MockTracker, tag: str) -> tuple[int, int]:
    """A customer and one of its projects, named after the test."""
    customer = ok(call(mt, "POST", "/customers", json={"name": f"ООО {tag}"}))
    project = ok(call(mt, "POST", "/projects", json={"name": f"Проект {tag}", "customer": customer["id"]}))
    return customer["id"], project["id"]


def test_bearer_and_x_auth_are_both_accepted_and_failures_answer_as_kimai_does(kimai: MockTracker) -> None:
    assert ok(call(kimai, "GET", "/version"))["version"] == "2.66.0"
    x_auth = {"X-AUTH-USER": "admin", "X-AUTH-TOKEN": kimai.api_key}
    assert requests.get(f"{kimai.api_url}/ping", headers=x_auth, timeout=10).json() == {"message": "pong"}

    missing = requests.get(f"{kimai.api_url}/users", timeout=10)
    assert (missing.status_code, missing.json()) == (401, {"code": 401, "message": "Unauthorized"})
    wrong_token = requests.get(f"{kimai.api_url}/users", headers=kimai.auth_headers("nope"), timeout=10)
    assert wrong_token.status_code == 401 and wrong_token.content == b""
    assert 'error="invalid_token"' in wrong_token.headers["WWW-Authenticate"]
    wrong_pair = requests.get(
        f"{kimai.api_url}/users", headers={"X-AUTH-USER": "admin", "X-AUTH-TOKEN": "nope"}, timeout=10
    )
    assert (wrong_pair.status_code, wrong_pair.json()) == (403, {"message": "Invalid credentials"})


def test_users_carry_e_mails_from_2_45_on_and_not_before(kimai: MockTracker, limited: MockTracker) -> None:
    listed = ok(call(kimai, "GET", "/users"))
    ivanov = next(u for u in listed if u.get("email") == IVANOV)
    assert ivanov["username"] == "ivanov.i" and ivanov["alias"] == "Иванов Иван"
    assert ok(call(kimai, "GET", f"/users/{ivanov['id']}"))["email"] == IVANOV

    limited.add_users([(IVANOV, "Иванов Иван")])
    old = ok(call(limited, "GET", "/users", params={"term": IVANOV}))
    assert [u["username"] for u in old] == ["ivanov.i"] and "email" not in old[0]
    assert "email" not in ok(call(limited, "GET", f"/users/{old[0]['id']}"))


def test_catalogue_objects_appear_in_lists_with_kimai_filters(kimai: MockTracker) -> None:
    customer, project = catalogue(kimai, "Фильтры")
    other_customer, other_project = catalogue(kimai, "Другой")
    activity = ok(call(kimai, "POST", "/activities", json={"name": "[FLT-1] Анализ", "project": project}))
    hidden = ok(call(kimai, "POST", "/activities", json={"name": "[FLT-2] Скрытая", "project": project}))
    ok(call(kimai, "PATCH", f"/activities/{hidden['id']}", json={"visible": False}))
    ok(call(kimai, "POST", "/activities", json={"name": "[FLT-3] Чужая", "project": other_project}))

    listed = ok(call(kimai, "GET", "/activities", params={"project": project}))
    assert [a["name"] for a in listed] == ["[FLT-1] Анализ"] and listed[0]["parentTitle"] == "Проект Фильтры"
    both = ok(call(kimai, "GET", "/activities", params={"projects[]": [project], "visible": 3}))
    assert {a["id"] for a in both} == {activity["id"], hidden["id"]}
    only_hidden = ok(call(kimai, "GET", "/activities", params={"project": project, "visible": 2}))
    assert [a["id"] for a in only_hidden] == [hidden["id"]]
    assert [p["id"] for p in ok(call(kimai, "GET", "/projects", params={"customer": other_customer}))] == [
        other_project
    ]
    assert [c["name"] for c in ok(call(kimai, "GET", "/customers", params={"term": "Фильтры"}))] == [
        "ООО Фильтры"
    ]

    ok(call(kimai, "PATCH", f"/customers/{customer}", json={"visible": False}))
    assert ok(call(kimai, "GET", "/activities", params={"project": project})) == []
    assert project not in {p["id"] for p in ok(call(kimai, "GET", "/projects"))}
    tasks = {t["code"]: t for t in kimai.tasks()}
    assert tasks["FLT-1"]["active"] is False and tasks["FLT-3"]["active"] is True


def test_time_budget_is_a_kimai_duration_and_becomes_the_plan(kimai: MockTracker) -> None:
    _, project = catalogue(kimai, "План")
    made = ok(
        call(
            kimai,
            "POST",
            "/activities",
            json={"name": "[PLN-1] Работа", "project": project, "timeBudget": 1.5},
        )
    )
    assert made["timeBudget"] == 5400  # a plain number is hours, as Kimai's duration field reads it
    ok(call(kimai, "PATCH", f"/activities/{made['id']}", json={"timeBudget": "10:30"}))
    assert next(t for t in kimai.tasks() if t["code"] == "PLN-1")["planned_minutes"] == 630


def test_names_too_long_or_missing_answer_kimai_validation_bodies(kimai: MockTracker) -> None:
    _, project = catalogue(kimai, "Валидация")
    long_name = call(kimai, "POST", "/activities", json={"name": "[LONG] " + "я" * 150, "project": project})
    assert long_name.status_code == 400
    body = long_name.json()
    assert body["code"] == 400 and body["message"] == "Validation Failed"
    assert body["errors"]["children"]["name"] == {
        "errors": ["This value is too long. It should have 150 characters or less."]
    }
    no_customer = call(kimai, "POST", "/projects", json={"name": "Сирота", "bogus": 1}).json()
    assert no_customer["errors"]["children"]["customer"] == {"errors": ["This value should not be null."]}
    assert no_customer["errors"]["errors"] == ["This form should not contain extra fields."]
    team = call(kimai, "POST", "/teams", json={"name": "x" * 101, "members": []}).json()
    assert set(team["errors"]["children"]) >= {"name", "members"}
    assert call(kimai, "GET", "/customers/999999").json() == {"code": 404, "message": "Not Found"}


def test_team_membership_decides_who_the_simulation_books(kimai: MockTracker) -> None:
    ids = user_ids(kimai)
    _, project = catalogue(kimai, "Команда")
    activity = ok(call(kimai, "POST", "/activities", json={"name": "[TEAM-1] Закрытая", "project": project}))
    open_to_all = {t["code"]: t for t in kimai.tasks()}["TEAM-1"]["employee_emails"]
    assert {IVANOV, PETROV, SIDOROVA} <= set(open_to_all)  # no team: Kimai lets everyone book

    team = ok(
        call(
            kimai,
            "POST",
            "/teams",
            json={"name": "Склад", "members": [{"user": ids[IVANOV], "teamlead": True}]},
        )
    )
    ok(call(kimai, "POST", f"/teams/{team['id']}/members/{ids[PETROV]}"))
    linked = ok(call(kimai, "POST", f"/teams/{team['id']}/projects/{project}"))
    assert [p["id"] for p in linked["projects"]] == [project]
    assert call(kimai, "POST", f"/teams/{team['id']}/projects/{project}").json() == {
        "code": 400,
        "message": "Bad Request",
    }
    assert {t["code"]: t for t in kimai.tasks()}["TEAM-1"]["employee_emails"] == [IVANOV, PETROV]

    ok(call(kimai, "DELETE", f"/teams/{team['id']}/members/{ids[PETROV]}"))
    kimai.simulate("2026-04-06", 5)
    on_team = {
        t["employee_email"] for t in kimai.truth("2026-04-06", "2026-04-11") if t["task_code"] == "TEAM-1"
    }
    assert on_team == {IVANOV}
    ok(call(kimai, "POST", f"/teams/{team['id']}/activities/{activity['id']}"))
    shown = ok(call(kimai, "GET", f"/teams/{team['id']}"))
    assert [m["user"]["id"] for m in shown["members"]] == [ids[IVANOV]]
    assert [a["id"] for a in shown["activities"]] == [activity["id"]]


def test_timesheets_page_with_kimai_headers_and_show_running_timers(kimai: MockTracker) -> None:
    _, project = catalogue(kimai, "Табель")
    ok(call(kimai, "POST", "/activities", json={"name": "[TS-1] Табель", "project": project}))
    kimai.simulate(SIM_START, SIM_DAYS)
    window = {
        "user": "all",
        "begin": "2026-03-02T00:00:00",
        "end": "2026-03-06T23:59:59",
        "projects[]": project,
    }
    first = call(kimai, "GET", "/timesheets", params={**window, "size": 7})
    assert first.status_code == 200
    total, pages = int(first.headers["X-Total-Count"]), int(first.headers["X-Total-Pages"])
    assert first.headers["X-Page"] == "1" and first.headers["X-Per-Page"] == "7" and total > 14
    assert pages == -(-total // 7)
    seen = []
    for page in range(1, pages + 1):
        seen += ok(call(kimai, "GET", "/timesheets", params={**window, "size": 7, "page": page}))
    assert len(seen) == total == len({s["id"] for s in seen})
    assert [s["begin"] for s in seen] == sorted((s["begin"] for s in seen), reverse=True)
    assert seen[0]["begin"][-5:] == "+0300" and all(s["end"] is not None for s in seen)
    truth = sum(t["seconds"] for t in kimai.truth("2026-03-02", "2026-03-07") if t["task_code"] == "TS-1")
    assert sum(s["duration"] for s in seen) >= truth > 0  # the truth splits the evening past midnight off
    assert (
        call(kimai, "GET", "/timesheets", params={**window, "size": 7, "page": pages + 1}).status_code == 404
    )
    own = ok(call(kimai, "GET", "/timesheets", params={k: v for k, v in window.items() if k != "user"}))
    assert own == []  # without user=all: the API user's own records, and it has none
    capped = call(kimai, "GET", "/timesheets", params={"user": "all", "size": 5000})
    assert capped.headers["X-Per-Page"] == "500"

    timer = kimai.start_timer(IVANOV, "TS-1", "2026-03-09T10:00:00+03:00")
    running = ok(call(kimai, "GET", "/timesheets", params={"user": "all", "active": 1}))
    assert [(r["id"], r["end"], r["duration"]) for r in running] == [(timer["id"], None, 0)]
    assert kimai.truth("2026-03-09", "2026-03-10") == []
    kimai.stop_timer(timer["id"], "2026-03-09T11:00:00+03:00")
    assert [t["seconds"] for t in kimai.truth("2026-03-09", "2026-03-10")] == [3600]


def test_booking_through_the_api_without_end_starts_a_timer(kimai: MockTracker) -> None:
    ids = user_ids(kimai)
    _, project = catalogue(kimai, "Учёт")
    activity = ok(call(kimai, "POST", "/activities", json={"name": "[BOOK-1] Учёт", "project": project}))
    booked = ok(
        call(
            kimai,
            "POST",
            "/timesheets",
            json={"begin": "2026-05-04T09:00:00", "end": "2026-05-04T10:30:00", "project": project,
                  "activity": activity["id"], "user": ids[PETROV]},
        )
    )  # fmt: skip
    assert (booked["begin"], booked["duration"], booked["user"]) == (
        "2026-05-04T09:00:00+0300",
        5400,
        ids[PETROV],
    )
    an_hour_ago = (datetime.now(ZoneInfo("Europe/Moscow")) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S")
    running = ok(
        call(
            kimai,
            "POST",
            "/timesheets",
            json={"begin": an_hour_ago, "project": project, "activity": activity["id"]},
        )
    )
    assert running["end"] is None and running["user"] == ids["admin@tracker.example"]
    stopped = ok(call(kimai, "PATCH", f"/timesheets/{running['id']}/stop"))
    assert stopped["end"] is not None
    assert [
        t["seconds"] for t in kimai.truth("2026-05-04", "2026-05-05") if t["employee_email"] == PETROV
    ] == [5400]


def test_a_slow_create_is_committed_though_the_client_gave_up(kimai: MockTracker) -> None:
    kimai.faults(slow_creates=1, delay=1.5)
    with pytest.raises(requests.Timeout):
        call(kimai, "POST", "/customers", json={"name": "ООО Медленная"}, timeout=0.5)
    names = [c["name"] for c in ok(call(kimai, "GET", "/customers", params={"term": "Медленная"}))]
    assert names == ["ООО Медленная"]
    kimai.faults(fail_5xx=1, fail_429=1)
    assert call(kimai, "POST", "/customers", json={"name": "ООО Отказ"}).status_code == 429
    failed = call(kimai, "POST", "/customers", json={"name": "ООО Отказ"})
    assert (failed.status_code, failed.json()["code"]) == (503, 503)
    assert ok(call(kimai, "GET", "/customers", params={"term": "Отказ"})) == []
    stats = kimai.stats()
    assert stats["methods"]["/api/customers"]["POST"]["429"] == 1 and stats["created"]["customers"] >= 1


def test_requests_over_the_rate_answer_429_with_retry_after(throttled: MockTracker) -> None:
    # One request per second: of four sent back to back (well within a second even on a busy
    # box) the first passes and the others are refused.
    answers = [call(throttled, "GET", "/ping") for _ in range(4)]
    assert answers[0].status_code == 200 and [a.status_code for a in answers[1:]].count(429) >= 2
    refused = next(a for a in answers if a.status_code == 429)
    assert refused.json() == {"code": 429, "message": "Too Many Requests"}
    assert refused.headers["Retry-After"] == "2"
    time.sleep(1.2)
    assert call(throttled, "GET", "/ping").status_code == 200
