"""``GET /tracker/v1/tasks`` over real HTTP on SQLite and PostgreSQL: filters, items, paging, ETag."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from connector.store.links import LinkData, upsert_link
from testbed.connector_app import RunningConnector, running_connector
from tests.integration.api.feed_helpers import put_employee, put_task, set_actuals


@pytest.fixture
def feed(store_url: str) -> Iterator[RunningConnector]:
    with running_connector(store_url) as app:
        yield app


def get(app: RunningConnector, **params: Any) -> requests.Response:
    return requests.get(app.url + "/tracker/v1/tasks", params=params, headers=app.feed_headers, timeout=30)


def codes(resp: requests.Response) -> list[str]:
    assert resp.status_code == 200, resp.text
    return [item["code"] for item in resp.json()["items"]]


def test_items_carry_every_field_of_the_contract(feed: RunningConnector) -> None:
    sessions = feed.runtime.sessions
    put_task(sessions, 1, "CRM-000512", who=("ivanov", "petrova"), title="Внедрение склада")
    set_actuals(sessions, "CRM-000512", 540, "warn")
    put_task(sessions, 2, "SALES-ADM", static=True, title="Администрирование")

    resp = get(feed, status="all")
    items = {item["code"]: item for item in resp.json()["items"]}
    task = items["CRM-000512"]
    assert task == {
        "code": "CRM-000512",
        "title": "Внедрение склада",
        "description": "Описание CRM-000512",
        "category": "project",
        "customer": "ООО Ромашка",
        "project": "Внедрение",
        "assignees": [
            {"email": "ivanov.i@crm.example", "name": "Иванов Иван Иванович"},
            {"email": "petrova.a@crm.example", "name": "Петрова Анна Сергеевна"},
        ],
        "planned_minutes": 600,
        "actual_minutes": 540,
        "overrun": "warn",
        "risk": "none",  # not assessed yet
        "projected_minutes": None,
        "status": "open",
        "onec_type": "Document_CRM_Интерес",
        "onec_ref": "00000000-0000-0000-0000-000000000001",
        "onec_url": "e1cib/data/Документ.CRM_Интерес?ref=00000000000000000000000000000001",
        "updated_at": task["updated_at"],
    }
    assert task["updated_at"].endswith("Z")
    static = items["SALES-ADM"]
    assert (static["onec_type"], static["onec_ref"], static["onec_url"]) == (None, None, None)
    assert static["overrun"] == "none"
    assert resp.json()["next_cursor"] is None


def test_status_filter_defaults_to_open(feed: RunningConnector) -> None:
    sessions = feed.runtime.sessions
    put_task(sessions, 1, "T-1")
    put_task(sessions, 2, "T-2", status="closed")
    assert codes(get(feed)) == ["T-1"]
    assert codes(get(feed, status="closed")) == ["T-2"]
    assert sorted(codes(get(feed, status="all"))) == ["T-1", "T-2"]


def test_assignee_filter_ignores_case_and_matches_whole_addresses(feed: RunningConnector) -> None:
    sessions = feed.runtime.sessions
    put_task(sessions, 1, "T-1", who=("ivanov",))
    put_task(sessions, 2, "T-2", who=("petrova", "sidorov"))
    put_task(sessions, 3, "T-3", who=("sidorov",))
    assert codes(get(feed, assignee="SIDOROV.P@CRM.EXAMPLE")) == ["T-2", "T-3"]
    assert codes(get(feed, assignee="ivanov.i@crm.example")) == ["T-1"]
    assert codes(get(feed, assignee="van.i@crm.example")) == []
    assert codes(get(feed, assignee="nobody@crm.example")) == []


def test_changed_since_returns_only_later_changes(feed: RunningConnector) -> None:
    sessions = feed.runtime.sessions
    put_task(sessions, 1, "T-1")
    put_task(sessions, 2, "T-2")
    first, second = get(feed).json()["items"]
    put_task(sessions, 3, "T-3")
    later = codes(get(feed, changed_since=second["updated_at"]))
    expected = (["T-1"] if first["updated_at"] == second["updated_at"] else []) + ["T-2", "T-3"]
    assert later == expected
    assert codes(get(feed, changed_since="2999-01-01T00:00:00+03:00")) == []


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ({"changed_since": "yesterday"}, "changed_since must be an ISO 8601 instant"),
        ({"changed_since": "2025-03-01T09:00:00"}, "offset"),
        ({"status": "pending"}, "status"),
        ({"limit": 0}, "limit"),
        ({"limit": 1001}, "limit"),
        ({"assignee": "ivanov"}, "e-mail"),
        ({"assignee": "ivanov\x00@crm.example"}, "e-mail"),
    ],
)
def test_bad_parameters_are_a_422_with_a_message(
    feed: RunningConnector, params: dict[str, Any], fragment: str
) -> None:
    resp = get(feed, **params)
    assert resp.status_code == 422
    body = resp.json()
    assert body["error"] == "invalid_request"
    assert fragment in body["message"]
    assert "Traceback" not in resp.text


def test_paging_while_tasks_change_never_skips_and_repeats_only_changed_tasks(feed: RunningConnector) -> None:
    sessions = feed.runtime.sessions
    for n in range(1, 26):
        put_task(sessions, n, f"T-{n:02d}")
    seen: list[str] = []
    titles: dict[str, str] = {}
    cursor = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 10}
        if cursor:
            params["cursor"] = cursor
        body = get(feed, **params).json()
        pages += 1
        for item in body["items"]:
            seen.append(item["code"])
            titles[item["code"]] = item["title"]
        if pages == 1:
            put_task(sessions, 3, "T-03", title="Изменено после первой страницы")
            put_task(sessions, 22, "T-22", title="Изменено до своей страницы")
        cursor = body["next_cursor"]
        if cursor is None:
            break
        assert pages < 10
    assert sorted(set(seen)) == [f"T-{n:02d}" for n in range(1, 26)]
    assert seen.count("T-03") == 2
    assert seen.count("T-22") == 1
    assert all(seen.count(code) == 1 for code in set(seen) - {"T-03"})
    assert titles["T-03"] == "Изменено после первой страницы"
    assert titles["T-22"] == "Изменено до своей страницы"


def test_limit_splits_pages_and_the_last_page_has_no_cursor(feed: RunningConnector) -> None:
    for n in range(1, 6):
        put_task(feed.runtime.sessions, n, f"T-{n}")
    first = get(feed, limit=2).json()
    second = get(feed, limit=2, cursor=first["next_cursor"]).json()
    third = get(feed, limit=2, cursor=second["next_cursor"]).json()
    assert [i["code"] for i in first["items"] + second["items"] + third["items"]] == [
        f"T-{n}" for n in range(1, 6)
    ]
    assert third["next_cursor"] is None
    exact = get(feed, limit=5).json()
    assert len(exact["items"]) == 5 and exact["next_cursor"] is None


def test_garbage_tampered_and_foreign_cursors_are_refused_with_400(feed: RunningConnector) -> None:
    for n in range(1, 4):
        put_task(feed.runtime.sessions, n, f"T-{n}", who=("ivanov", "petrova"))
    cursor = get(feed, limit=1).json()["next_cursor"]
    body, sig = cursor.split(".")
    tampered = body[:-2] + ("AA" if body[-2:] != "AA" else "BB") + "." + sig
    for bad in ("garbage", "%%%", tampered, cursor + "0", "." + sig):
        resp = get(feed, limit=1, cursor=bad)
        assert resp.status_code == 400, bad
        assert resp.json()["error"] == "bad_request"
    foreign = get(feed, limit=1, cursor=cursor, assignee="petrova.a@crm.example")
    assert foreign.status_code == 400
    assert "other filters" in foreign.json()["message"]


def test_etag_answers_304_until_the_feed_changes(feed: RunningConnector) -> None:
    sessions = feed.runtime.sessions
    put_task(sessions, 1, "T-1")
    first = get(feed)
    etag = first.headers["ETag"]
    again = requests.get(
        feed.url + "/tracker/v1/tasks",
        headers={**feed.feed_headers, "If-None-Match": etag},
        timeout=30,
    )
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["ETag"] == etag
    other_query = requests.get(
        feed.url + "/tracker/v1/tasks",
        params={"status": "all"},
        headers={**feed.feed_headers, "If-None-Match": etag},
        timeout=30,
    )
    assert other_query.status_code == 200
    set_actuals(sessions, "T-1", 30, "none")
    changed = requests.get(
        feed.url + "/tracker/v1/tasks", headers={**feed.feed_headers, "If-None-Match": etag}, timeout=30
    )
    assert changed.status_code == 200
    assert changed.headers["ETag"] != etag
    assert changed.json()["items"][0]["actual_minutes"] == 30


def test_assignee_names_come_from_the_employees_table_when_the_link_has_only_emails(
    feed: RunningConnector,
) -> None:
    put_employee(feed.runtime.sessions, 1, "Sidorov.P@crm.example", "Сидоров Пётр", "bc-1")
    with feed.runtime.sessions() as session:
        upsert_link(
            session,
            LinkData(
                mapping="service",
                onec_type="Document_CRM_Интерес",
                onec_ref="00000000-0000-0000-0000-000000000077",
                task_code="SRV-77",
                content_hash="h",
                assignees=["sidorov.p@crm.example", "unknown@crm.example"],
            ),
        )
        session.commit()
    item = get(feed).json()["items"][0]
    assert item["assignees"] == [
        {"email": "sidorov.p@crm.example", "name": "Сидоров Пётр"},
        {"email": "unknown@crm.example", "name": ""},
    ]
    assert (item["description"], item["customer"], item["project"], item["onec_url"]) == (
        "",
        None,
        None,
        None,
    )
    assert codes(get(feed, assignee="Sidorov.P@crm.example")) == ["SRV-77"]
